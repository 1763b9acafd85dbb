//! Alerts and reminders on a real database and SMTP server: every rule fires once per due item
//! with two workers, mail follows each user's preference (each one, a daily digest, none), and
//! each user sees only their own notifications.

use crate::helpers::TestApp;
use crate::onboarding::{step, template};
use crate::tickets::{client, new_ticket, staff};
use app::server::{notifications, onboarding, reminders, tasks, tickets};
use app::types::{
    EmailMode, NewFollowUpTask, OnboardingStart, Role, TicketChanges, TicketChannel, UserId,
};
use chrono::Utc;

async fn titles(app: &TestApp, user: UserId) -> Vec<String> {
    sqlx::query_scalar("SELECT title FROM notification WHERE user_id = $1 ORDER BY title")
        .bind(user)
        .fetch_all(&app.db)
        .await
        .expect("titles")
}

/// Puts the user in a time zone where it is past 07:00 now, so that their digest is due.
async fn make_it_morning_for(app: &TestApp, user: UserId) {
    let zone = if chrono::Timelike::hour(&Utc::now()) >= 7 {
        "UTC"
    } else {
        "Asia/Tokyo"
    };
    sqlx::query("UPDATE app_user SET time_zone = $2 WHERE id = $1")
        .bind(user)
        .bind(zone)
        .execute(&app.db)
        .await
        .expect("zone");
}

#[tokio::test]
async fn each_reminder_rule_fires_once_per_due_item_with_two_workers() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let (client_caller, _) = client(&app, acme).await;
    let (agent, agent_id, _) = staff(&app, Role::SupportAgent).await;
    // An onboarding whose staff step is due today.
    template(
        &app,
        "Quick start",
        vec![step(
            "Configure the kiosks",
            Some(Role::SupportAgent),
            0,
            &[],
        )],
    )
    .await;
    onboarding::start(&app.state, &agent, acme, None, OnboardingStart::ByHand)
        .await
        .expect("onboarding");
    sqlx::query("UPDATE onboarding_step SET assignee_id = $1")
        .bind(agent_id)
        .execute(&app.db)
        .await
        .expect("assign");
    // A ticket assigned to the agent, past its SLA.
    let t = tickets::create(
        &app.state,
        &client_caller,
        &new_ticket("Kiosk down"),
        TicketChannel::Portal,
    )
    .await
    .expect("ticket");
    tickets::update(
        &app.state,
        &agent,
        t.summary.id,
        &TicketChanges {
            assignee_id: Some(Some(agent_id)),
            ..Default::default()
        },
    )
    .await
    .expect("assign");
    sqlx::query("UPDATE ticket SET sla_state = 'breached' WHERE id = $1")
        .bind(t.summary.id)
        .execute(&app.db)
        .await
        .expect("breach");
    // A follow-up task due today.
    tasks::create(
        &app.db,
        &agent,
        &NewFollowUpTask {
            title: "Call Acme".into(),
            due_on: Some(Utc::now().date_naive()),
            account_id: Some(acme),
            ..Default::default()
        },
    )
    .await
    .expect("task");
    sqlx::query("UPDATE follow_up_task SET due_on = current_date - 1")
        .execute(&app.db)
        .await
        .expect("due yesterday");
    // A survey the client has left for two days.
    sqlx::query(
        "INSERT INTO survey_request (id, kind, trigger_key, account_id, contact_id, to_address, subject, sent_at, expires_at)
         SELECT gen_random_uuid(), 'csat', 'test', $1, contact_id, email, '#1 Kiosk', now() - interval '2 days', now() + interval '5 days'
         FROM app_user WHERE kind = 'client'",
    )
    .bind(acme)
    .execute(&app.db)
    .await
    .expect("survey");

    let (a, b) = tokio::join!(reminders::run(&app.state), reminders::run(&app.state));
    assert_eq!(a.expect("a") + b.expect("b"), 4, "step, SLA, task, survey");
    assert_eq!(reminders::run(&app.state).await.expect("again"), 0);
    let mine = titles(&app, agent_id).await;
    let reminders: Vec<&String> = mine
        .iter()
        .filter(|t| t.starts_with("Due today") || t.starts_with("SLA") || t.starts_with("Task due"))
        .collect();
    assert_eq!(reminders.len(), 3, "{mine:?}");
    let client_user: UserId = sqlx::query_scalar("SELECT id FROM app_user WHERE kind = 'client'")
        .fetch_one(&app.db)
        .await
        .expect("client");
    assert_eq!(
        titles(&app, client_user).await,
        vec!["Your feedback is waiting: #1 Kiosk".to_string()]
    );
    // Snoozing the overdue task makes it due again on its new day: a new reminder then, not
    // now. (The day comes: the snooze ends today.)
    let task: uuid::Uuid = sqlx::query_scalar("SELECT id FROM follow_up_task")
        .fetch_one(&app.db)
        .await
        .expect("task");
    tasks::snooze(
        &app.db,
        &agent,
        task,
        Utc::now().date_naive() + chrono::Duration::days(1),
    )
    .await
    .expect("snooze");
    assert_eq!(reminders::run(&app.state).await.expect("snoozed"), 0);
    sqlx::query("UPDATE follow_up_task SET snoozed_until = current_date")
        .execute(&app.db)
        .await
        .expect("wake");
    assert_eq!(reminders::run(&app.state).await.expect("woken"), 1);
}

#[tokio::test]
async fn mail_follows_each_users_preference_and_digests_go_once_a_day() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let (instant, instant_id, instant_email) = staff(&app, Role::SalesRep).await;
    let (digest, digest_id, digest_email) = staff(&app, Role::SalesRep).await;
    let (quiet, quiet_id, quiet_email) = staff(&app, Role::SalesRep).await;
    notifications::set_preference(&app.db, &digest, EmailMode::DailyDigest)
        .await
        .expect("digest");
    notifications::set_preference(&app.db, &quiet, EmailMode::Off)
        .await
        .expect("off");
    assert_eq!(
        notifications::preference(&app.db, &instant)
            .await
            .expect("default"),
        EmailMode::Immediate
    );
    for (who, user) in [
        (&instant, instant_id),
        (&digest, digest_id),
        (&quiet, quiet_id),
    ] {
        for title in ["First", "Second"] {
            tasks::create(
                &app.db,
                who,
                &NewFollowUpTask {
                    title: title.into(),
                    due_on: Some(Utc::now().date_naive()),
                    account_id: Some(acme),
                    assignee_id: Some(user),
                    ..Default::default()
                },
            )
            .await
            .expect("task");
        }
    }
    assert_eq!(reminders::run(&app.state).await.expect("run"), 6);
    // Digest users get theirs once their morning has come.
    make_it_morning_for(&app, digest_id).await;
    let (a, b) = tokio::join!(
        notifications::send_digests(&app.state),
        notifications::send_digests(&app.state)
    );
    assert_eq!(a.expect("a") + b.expect("b"), 1, "one digest");
    assert_eq!(
        notifications::send_digests(&app.state)
            .await
            .expect("again"),
        0
    );
    let mails = app.deliver_mail().await;
    let to = |addr: &str| {
        mails
            .iter()
            .filter(|m| m.to.iter().any(|t| t.contains(addr)))
            .map(|m| m.data.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(to(&instant_email).len(), 2, "a mail each");
    let digests = to(&digest_email);
    assert_eq!(digests.len(), 1, "one digest");
    assert!(digests[0].contains("Task due: First") && digests[0].contains("Task due: Second"));
    assert!(to(&quiet_email).is_empty(), "no mail at all");
    // Everyone still has their notifications in the app, and only their own.
    for user in [instant_id, digest_id, quiet_id] {
        assert_eq!(
            titles(&app, user).await,
            vec!["Task due: First", "Task due: Second"]
        );
    }
    let list = notifications::list(&app.db, &quiet).await.expect("list");
    assert_eq!(list.len(), 2);
    // A client's list is their own, and anonymous callers have none.
    let (client_caller, _) = client(&app, acme).await;
    assert!(notifications::list(&app.db, &client_caller)
        .await
        .expect("client list")
        .is_empty());
    assert!(
        notifications::list(&app.db, &app::server::auth::Caller::Anonymous)
            .await
            .is_err()
    );
    assert!(notifications::set_preference(
        &app.db,
        &app::server::auth::Caller::Anonymous,
        EmailMode::Off
    )
    .await
    .is_err());
}

#[tokio::test]
async fn the_follow_up_forms_create_tasks_on_a_contact_or_ticket_for_their_account() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let (client_caller, _) = client(&app, acme).await;
    let t = tickets::create(
        &app.state,
        &client_caller,
        &new_ticket("Scanner"),
        TicketChannel::Portal,
    )
    .await
    .expect("ticket");
    let contact: uuid::Uuid = sqlx::query_scalar("SELECT id FROM contact WHERE account_id = $1")
        .bind(acme)
        .fetch_one(&app.db)
        .await
        .expect("contact");
    let (_, email) = app.staff_user(Role::SalesRep).await;
    let browser = app.signed_in(&email).await;
    let due = (Utc::now().date_naive() + chrono::Duration::days(2)).to_string();
    for (field, id) in [
        ("task[contact_id]", contact.to_string()),
        ("task[ticket_id]", t.summary.id.0.to_string()),
    ] {
        let res = app
            .call::<app::api::tasks::CreateTask>(
                &browser,
                &[
                    ("task[title]", "Check in".to_string()),
                    ("task[due_on]", due.clone()),
                    (field, id),
                ],
            )
            .await;
        assert_eq!(
            res.status(),
            200,
            "{}",
            res.text().await.unwrap_or_default()
        );
    }
    let on_account: i64 =
        sqlx::query_scalar("SELECT count(*) FROM follow_up_task WHERE account_id = $1")
            .bind(acme)
            .fetch_one(&app.db)
            .await
            .expect("count");
    assert_eq!(on_account, 2, "both land on the account's list");
    // A client's session is refused.
    let (_, _, client_email) = app.client_user(acme).await;
    let client_browser = app.signed_in(&client_email).await;
    let res = app
        .call::<app::api::tasks::CreateTask>(
            &client_browser,
            &[
                ("task[title]", "x".to_string()),
                ("task[due_on]", due),
                ("task[contact_id]", contact.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn the_desks_new_ticket_mail_follows_each_agents_preference() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let (client_caller, _) = client(&app, acme).await;
    let (_, instant_id, instant_email) = staff(&app, Role::SupportAgent).await;
    let (digest, digest_id, digest_email) = staff(&app, Role::SupportAgent).await;
    let (quiet, quiet_id, quiet_email) = staff(&app, Role::SupportManager).await;
    notifications::set_preference(&app.db, &digest, EmailMode::DailyDigest)
        .await
        .expect("digest");
    notifications::set_preference(&app.db, &quiet, EmailMode::Off)
        .await
        .expect("off");
    tickets::service::create(
        &app.state,
        &client_caller,
        &new_ticket("Badge reader silent"),
        TicketChannel::Portal,
    )
    .await
    .expect("ticket");
    app.follow_new_tickets().await;
    // Everyone on the desk has it in the app.
    for user in [instant_id, digest_id, quiet_id] {
        let titles = titles(&app, user).await;
        assert_eq!(titles.len(), 1, "one notification");
        assert!(titles[0].contains("Badge reader silent"));
    }
    // Only the one-by-one reader gets the mail now.
    let mails = app.deliver_mail().await;
    let to = |mails: &[crate::helpers::ReceivedMail], addr: &str| {
        mails
            .iter()
            .filter(|m| m.to.iter().any(|t| t.contains(addr)))
            .map(|m| m.data.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(to(&mails, &instant_email).len(), 1);
    assert!(to(&mails, &digest_email).is_empty(), "waits for the digest");
    assert!(to(&mails, &quiet_email).is_empty(), "no mail at all");
    // The digest reader's morning: the ticket is in their digest.
    make_it_morning_for(&app, digest_id).await;
    assert_eq!(
        notifications::send_digests(&app.state)
            .await
            .expect("digests"),
        1
    );
    let mails = app.deliver_mail().await;
    let digests = to(&mails, &digest_email);
    assert_eq!(digests.len(), 1);
    assert!(digests[0].contains("Badge reader silent"));
    assert!(to(&mails, &quiet_email).is_empty());
}
