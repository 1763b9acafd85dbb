//! Account health on a real database: factors measured from real rows against hand-computed
//! fixtures, bands, the roll-up of a parent's locations, exactly one alert per band change with
//! two workers, the recompute queue filled by the changes themselves, the nightly run claimed
//! once, last week's comparison, and guards.

use crate::helpers::TestApp;
use crate::tickets::{client, new_ticket, staff};
use app::server::auth::Caller;
use app::server::{health, tickets, ServiceError};
use app::types::{
    AccountId, HealthBand, HealthFactorKind, HealthFilter, HealthSettings, Role, TicketChannel,
};

/// `n` open tickets at the account, `breached` of them past their SLA.
async fn tickets_at(app: &TestApp, account: AccountId, n: usize, breached: usize) {
    let manager = TestApp::caller(Role::SupportManager);
    for i in 0..n {
        let mut t = new_ticket(&format!("Problem {i}"));
        t.account_id = Some(account);
        let made = tickets::create(&app.state, &manager, &t, TicketChannel::Phone)
            .await
            .expect("ticket");
        if i < breached {
            sqlx::query("UPDATE ticket SET sla_state = 'breached' WHERE id = $1")
                .bind(made.summary.id)
                .execute(&app.db)
                .await
                .expect("breach");
        }
    }
}

/// An answered survey straight into the table (CSAT or NPS), two days ago.
async fn answer(app: &TestApp, account: AccountId, kind: &str, score: i16) {
    sqlx::query(
        "WITH c AS (INSERT INTO contact (id, account_id, first_name, last_name, status)
                    VALUES (gen_random_uuid(), $1, 'Sur', 'Vey', 'active') RETURNING id)
         INSERT INTO survey_request (id, kind, trigger_key, account_id, contact_id, to_address, expires_at, score, answered_at)
         SELECT gen_random_uuid(), $2, gen_random_uuid()::text, $1, c.id, 'x@example.test', now() + interval '1 day', $3, now() - interval '2 days'
         FROM c",
    )
    .bind(account)
    .bind(kind)
    .bind(score)
    .execute(&app.db)
    .await
    .expect("answer");
}

async fn recompute(app: &TestApp, ids: &[AccountId]) -> health::Recomputed {
    let mut tx = app.db.begin().await.expect("tx");
    let done = health::recompute(&mut tx, &app.state, ids)
        .await
        .expect("recompute");
    tx.commit().await.expect("commit");
    done
}

fn admin() -> Caller {
    TestApp::caller(Role::Admin)
}

#[tokio::test]
async fn factor_contributions_and_band_match_a_hand_computed_fixture() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    // Tickets: 4 open, 1 breached → 100 − 20 − 20 = 60 (weight 25).
    tickets_at(&app, acme, 4, 1).await;
    // CSAT: 1 of 4 satisfied → 25 (weight 20).
    for s in [5, 2, 1, 3] {
        answer(&app, acme, "csat", s).await;
    }
    // NPS: 10, 3, 5, 8 → (1 − 2) / 4 = −25 → 37.5 (weight 15).
    for s in [10, 3, 5, 8] {
        answer(&app, acme, "nps", s).await;
    }
    // No onboarding and no client user or client-raised ticket: those factors have no data;
    // the 60 weight points left are 25 + 20 + 15.
    // Score = (60×25 + 25×20 + 37.5×15) / 60 = 42.7 → 43: needs attention.
    recompute(&app, &[acme]).await;
    let h = health::for_account(&app.db, &admin(), acme)
        .await
        .expect("health");
    assert_eq!(h.score, Some(43));
    assert_eq!(h.band, Some(HealthBand::NeedsAttention));
    let f = |k: HealthFactorKind| {
        h.factors
            .iter()
            .find(|f| f.kind == k)
            .expect("factor")
            .clone()
    };
    assert_eq!(f(HealthFactorKind::Tickets).sub_score, Some(60.0));
    assert_eq!(f(HealthFactorKind::Tickets).contribution, Some(25.0));
    assert_eq!(f(HealthFactorKind::Csat).sub_score, Some(25.0));
    assert_eq!(f(HealthFactorKind::Nps).sub_score, Some(37.5));
    assert_eq!(f(HealthFactorKind::Onboarding).sub_score, None);
    assert_eq!(f(HealthFactorKind::Activity).detail, "no data");
    assert!(f(HealthFactorKind::Tickets)
        .detail
        .contains("4 open tickets, 1 SLA breach"));
    // Client activity counts once the client uses the portal.
    let (_, _, _) = app.client_user(acme).await;
    sqlx::query(
        "UPDATE app_user SET last_login_at = now() - interval '1 day' WHERE kind = 'client'",
    )
    .execute(&app.db)
    .await
    .expect("login");
    recompute(&app, &[acme]).await;
    let h = health::for_account(&app.db, &admin(), acme)
        .await
        .expect("health");
    // Activity 100 with weight 25 joins: (60×25 + 25×20 + 37.5×15 + 100×25) / 85 = 59.6 → 60.
    assert_eq!(h.score, Some(60));
}

#[tokio::test]
async fn a_parent_rolls_up_its_locations_weighted_by_their_tickets() {
    let app = TestApp::spawn().await;
    let parent = app.account("Globex Group", None).await;
    let busy = app.account("Globex North", Some(parent)).await;
    let quiet = app.account("Globex South", Some(parent)).await;
    // Busy: 5 open tickets, 3 breached → 100 − 30 − 60 = 10. Quiet and parent: no tickets → 100.
    tickets_at(&app, busy, 5, 3).await;
    recompute(&app, &[parent, busy, quiet]).await;
    let h = health::for_account(&app.db, &admin(), parent)
        .await
        .expect("health");
    // Parent own 100 (w1), busy 10 (5 tickets: w6), quiet 100 (w1): (100 + 60 + 100) / 8 = 32.5 → 33.
    assert_eq!(h.own_score, Some(100));
    assert_eq!(h.score, Some(33));
    assert_eq!(h.band, Some(HealthBand::AtRisk));
    assert_eq!(h.locations, 2);
    // A change at a location alone recomputes the parent too.
    sqlx::query("UPDATE ticket SET status = 'resolved', sla_state = 'ok' WHERE account_id = $1")
        .bind(busy)
        .execute(&app.db)
        .await
        .expect("resolve all");
    let done = health::process_queue(&app.state, 100).await.expect("queue");
    assert!(done.accounts >= 2, "{done:?}");
    let h = health::for_account(&app.db, &admin(), parent)
        .await
        .expect("health");
    assert_eq!(h.score, Some(100));
}

#[tokio::test]
async fn a_band_change_alerts_the_owner_and_support_managers_exactly_once() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let (_, owner, owner_email) = staff(&app, Role::SalesRep).await;
    let (_, manager, _) = staff(&app, Role::SupportManager).await;
    sqlx::query("UPDATE account SET owner_id = $2 WHERE id = $1")
        .bind(acme)
        .bind(owner)
        .execute(&app.db)
        .await
        .expect("owner");
    recompute(&app, &[acme]).await; // healthy, first score: no alert
    tickets_at(&app, acme, 6, 3).await; // 100 − 40 − 60 → 0: at risk
                                        // Two workers take the queue at once, then a full recompute runs on top.
    let (a, b) = tokio::join!(
        health::process_queue(&app.state, 100),
        health::process_queue(&app.state, 100)
    );
    let changes = a.expect("a").band_changes + b.expect("b").band_changes;
    assert_eq!(changes, 1);
    health::recompute_all(&app.state).await.expect("all");
    for user in [owner, manager] {
        let alerts: Vec<String> =
            sqlx::query_scalar("SELECT title FROM notification WHERE user_id = $1 AND link = $2")
                .bind(user)
                .bind(format!("/console/accounts/{}", acme.0))
                .fetch_all(&app.db)
                .await
                .expect("alerts");
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert!(alerts[0].contains("at risk"), "{}", alerts[0]);
    }
    let mails = app.deliver_mail().await;
    assert_eq!(
        mails
            .iter()
            .filter(|m| m.to.iter().any(|t| t.contains(&owner_email)))
            .count(),
        1
    );
    // The dashboard lists it first.
    let board = health::board(&app.db, &admin(), &HealthFilter::default(), 0)
        .await
        .expect("board");
    assert_eq!(board.rows[0].account_id, acme);
    assert_eq!(board.at_risk, 1);
    assert_eq!(
        board.rows[0].weakest.as_deref(),
        Some(HealthFactorKind::Tickets.label())
    );
}

async fn queued(app: &TestApp, account: AccountId) -> bool {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM health_recompute WHERE account_id = $1)")
        .bind(account)
        .fetch_one(&app.db)
        .await
        .expect("queued")
}

#[tokio::test]
async fn a_new_ticket_queues_a_recompute_when_followed_and_a_change_in_its_own_transaction() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let (client, _) = client(&app, acme).await;
    let ticket = tickets::create(
        &app.state,
        &client,
        &new_ticket("Printer"),
        TicketChannel::Portal,
    )
    .await
    .expect("ticket");
    // A new ticket's account is marked by the worker that follows the ticket's event.
    assert!(!queued(&app, acme).await, "not in the ticket's own insert");
    let followed = tickets::arrivals::follow_new_tickets(&app.state)
        .await
        .expect("follow");
    assert_eq!(followed, 1);
    assert!(queued(&app, acme).await);
    health::process_queue(&app.state, 100).await.expect("queue");
    assert!(!queued(&app, acme).await);
    // A change of status marks it in the change's own transaction.
    sqlx::query("UPDATE ticket SET status = 'open' WHERE id = $1")
        .bind(ticket.summary.id)
        .execute(&app.db)
        .await
        .expect("change");
    assert!(queued(&app, acme).await);
    health::process_queue(&app.state, 100).await.expect("queue");
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM health_recompute")
        .fetch_one(&app.db)
        .await
        .expect("left");
    assert_eq!(left, 0);
    let h = health::for_account(&app.db, &admin(), acme)
        .await
        .expect("health");
    assert!(h.score.is_some());
    assert_eq!(h.history.len(), 1, "today's snapshot");
}

#[tokio::test]
async fn the_nightly_run_is_claimed_by_one_worker_a_day() {
    let app = TestApp::spawn().await;
    app.account("Acme", None).await;
    app.account("Globex", None).await;
    let (a, b) = tokio::join!(health::nightly(&app.state), health::nightly(&app.state));
    let runs: Vec<_> = [a.expect("a"), b.expect("b")]
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].accounts, 2);
    assert!(health::nightly(&app.state).await.expect("again").is_none());
}

#[tokio::test]
async fn the_account_shows_what_changed_since_last_week() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    recompute(&app, &[acme]).await;
    // Pretend today's snapshot was taken eight days ago, then breaches arrive.
    sqlx::query("UPDATE account_health_snapshot SET day = current_date - 8 WHERE account_id = $1")
        .bind(acme)
        .execute(&app.db)
        .await
        .expect("age");
    tickets_at(&app, acme, 1, 1).await;
    recompute(&app, &[acme]).await;
    let h = health::for_account(&app.db, &admin(), acme)
        .await
        .expect("health");
    assert_eq!(h.score_last_week, Some(100));
    assert_eq!(h.score, Some(80));
    let tickets = h
        .factors
        .iter()
        .find(|f| f.kind == HealthFactorKind::Tickets)
        .expect("tickets");
    assert_eq!(tickets.change_since_last_week, Some(-20.0));
    assert_eq!(h.history.len(), 2);
}

#[tokio::test]
async fn health_refuses_clients_anonymous_and_non_admin_weights() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let (client, _) = client(&app, acme).await;
    for who in [client.clone(), Caller::Anonymous] {
        assert!(matches!(
            health::for_account(&app.db, &who, acme).await.unwrap_err(),
            ServiceError::Forbidden | ServiceError::Unauthenticated
        ));
        assert!(health::board(&app.db, &who, &HealthFilter::default(), 0)
            .await
            .is_err());
    }
    let manager = TestApp::caller(Role::SupportManager);
    let err = health::save_settings(&app.db, &manager, &HealthSettings::default())
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::Forbidden));
    // Bad weights: field errors, nothing saved.
    let bad = HealthSettings {
        weight_csat: 101,
        healthy_from: 30,
        attention_from: 40,
        ..HealthSettings::default()
    };
    let err = health::save_settings(&app.db, &admin(), &bad)
        .await
        .unwrap_err();
    let fields: Vec<String> = match err {
        ServiceError::Validation(v) => v.into_iter().map(|f| f.field).collect(),
        other => panic!("{other:?}"),
    };
    assert_eq!(fields, vec!["weight_csat", "attention_from"]);
    assert_eq!(
        health::load_settings(&app.db, &admin())
            .await
            .expect("settings"),
        HealthSettings::default()
    );
    // Over HTTP, a client's session is refused the account's health.
    let (_, _, email) = app.client_user(acme).await;
    let browser = app.signed_in(&email).await;
    let res = app
        .call::<app::api::health::LoadAccountHealth>(
            &browser,
            &[("account_id", acme.0.to_string())],
        )
        .await;
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn rest_serves_health_feedback_and_tasks_with_problem_errors() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    recompute(&app, &[acme]).await;
    let (api, _) = app.api_client(Role::SupportManager).await;
    let base = format!("{}/api/v1", app.base);
    let res = api
        .get(format!("{base}/accounts/{}/health", acme.0))
        .send()
        .await
        .expect("health");
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["score"], 100);
    assert_eq!(body["band"], "healthy");
    let res = api
        .get(format!("{base}/accounts/{}/health", uuid::Uuid::new_v4()))
        .send()
        .await
        .expect("missing");
    assert_eq!(res.status(), 404);
    let res = api
        .get(format!("{base}/feedback?kind=csat"))
        .send()
        .await
        .expect("feedback");
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["totals"]["csat_responses"], 0);
    // Tasks: an API key belongs to no user, so it names the assignee.
    let (owner, _) = app.staff_user(Role::SalesRep).await;
    let res = api
        .post(format!("{base}/tasks"))
        .json(&serde_json::json!({ "title": "", "account_id": acme.0 }))
        .send()
        .await
        .expect("bad task");
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap_or_default(),
        "application/problem+json"
    );
    let res = api
        .post(format!("{base}/tasks"))
        .json(&serde_json::json!({
            "title": "Renewal call", "account_id": acme.0, "assignee_id": owner.0,
            "due_on": chrono::Utc::now().date_naive().to_string()
        }))
        .send()
        .await
        .expect("task");
    assert_eq!(res.status(), 201);
    let task: serde_json::Value = res.json().await.expect("json");
    let res = api
        .post(format!(
            "{base}/tasks/{}/complete",
            task["id"].as_str().unwrap_or_default()
        ))
        .send()
        .await
        .expect("complete");
    assert_eq!(res.status(), 204);
    let res = reqwest::Client::new()
        .get(format!("{base}/tasks"))
        .send()
        .await
        .expect("anonymous");
    assert_eq!(res.status(), 401);
}
