//! Support tickets on a real database: raising, access, transitions, history, SLA,
//! escalation, notifications and mail.

use crate::helpers::TestApp;
use app::server::auth::{Caller, ClientCaller, StaffCaller};
use app::server::tickets::{self, sweep};
use app::server::ServiceError;
use app::types::{
    AccountId, NewTicket, Role, TicketChanges, TicketChannel, TicketFilter, TicketPriority,
    TicketStatus, TicketView, UserId,
};

pub async fn client(app: &TestApp, account: AccountId) -> (Caller, String) {
    let (user_id, contact_id, email) = app.client_user(account).await;
    (
        Caller::Client(ClientCaller {
            user_id,
            contact_id,
            account_id: account,
        }),
        email,
    )
}

pub async fn staff(app: &TestApp, role: Role) -> (Caller, UserId, String) {
    let (id, email) = app.staff_user(role).await;
    (
        Caller::Staff(StaffCaller {
            user_id: Some(id),
            api_key_id: None,
            role,
        }),
        id,
        email,
    )
}

pub fn new_ticket(subject: &str) -> NewTicket {
    NewTicket {
        subject: subject.into(),
        description: "The receipt printer at the front desk jams on every second ticket.".into(),
        ticket_type: Some("hardware".into()),
        priority: Some(TicketPriority::High),
        ..Default::default()
    }
}

fn status(s: TicketStatus) -> TicketChanges {
    TicketChanges {
        status: Some(s),
        ..Default::default()
    }
}

fn field_names(err: ServiceError) -> Vec<String> {
    match err {
        ServiceError::Validation(v) => v.into_iter().map(|f| f.field).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_client_raises_a_ticket_for_their_own_account_and_the_desk_is_told() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let other = app.account("Other", None).await;
    let (_, agent_id, agent_email) = staff(&app, Role::SupportAgent).await;
    let (client, client_email) = client(&app, acme).await;
    // Whatever account the client names, the ticket is their own account's.
    let mut input = new_ticket("Printer jams");
    input.account_id = Some(other);
    let t = tickets::create(&app.state, &client, &input, TicketChannel::Api)
        .await
        .expect("create");
    assert_eq!(t.summary.account_id, acme);
    assert_eq!(t.summary.channel, TicketChannel::Portal);
    assert_eq!(t.summary.status, TicketStatus::New);
    assert!(t.summary.number >= 1001);
    assert!(t.summary.first_response_due < t.summary.resolution_due);
    // The desk hears of it from the ticket's event, once.
    assert_eq!(app.follow_new_tickets().await, 1);
    assert_eq!(app.follow_new_tickets().await, 0);
    let notified: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM notification WHERE user_id = $1 AND link LIKE '%' || $2",
    )
    .bind(agent_id)
    .bind(t.summary.id.to_string())
    .fetch_one(&app.db)
    .await
    .expect("count");
    assert_eq!(notified, 1);
    let mails = app.deliver_mail().await;
    let to_agent = mails
        .iter()
        .find(|m| m.to.iter().any(|t| t.contains(&agent_email)))
        .expect("mail to the agent");
    assert!(to_agent.data.contains(&format!("[#{}]", t.summary.number)));
    let ack = mails
        .iter()
        .find(|m| m.to.iter().any(|t| t.contains(&client_email)))
        .expect("acknowledgement to the client");
    assert!(ack.data.contains("Message-ID: <t"), "{}", ack.data);
}

#[tokio::test]
async fn a_new_tickets_history_opens_with_how_it_was_raised_even_after_a_quick_change() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let (agent, _, _) = staff(&app, Role::SupportAgent).await;
    let mut input = new_ticket("Printer");
    input.account_id = Some(acme);
    let t = tickets::create(&app.state, &agent, &input, TicketChannel::Phone)
        .await
        .expect("create");
    let id = t.summary.id;
    // A change made before the worker follows the ticket still reads after its first line.
    tickets::update(
        &app.state,
        &agent,
        id,
        &TicketChanges {
            priority: Some(TicketPriority::Low),
            ..Default::default()
        },
    )
    .await
    .expect("lower the priority");
    assert_eq!(app.follow_new_tickets().await, 1);
    assert_eq!(app.follow_new_tickets().await, 0);
    let d = tickets::detail(&app.db, &agent, id).await.expect("detail");
    let fields: Vec<&str> = d.history.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, vec!["created", "priority"]);
    let created = &d.history[0];
    assert_eq!(
        created.new_value.as_deref(),
        Some(format!("#{} via Phone", t.summary.number).as_str())
    );
    assert_eq!(created.actor_name, "Test Support agent");
    assert_eq!(created.at, t.summary.created_at);
}

#[tokio::test]
async fn the_client_is_acknowledged_once_and_before_any_later_mail_on_the_ticket() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let (agent, _, _) = staff(&app, Role::SupportAgent).await;
    let (client, client_email) = client(&app, acme).await;
    let t = tickets::create(
        &app.state,
        &client,
        &new_ticket("Printer"),
        TicketChannel::Portal,
    )
    .await
    .expect("create");
    // The agent answers before the worker has followed the ticket.
    tickets::reply(&app.state, &agent, t.summary.id, "We are on it.", false)
        .await
        .expect("reply");
    app.follow_new_tickets().await;
    app.follow_new_tickets().await;
    let mails: Vec<(String, String)> = sqlx::query_as(
        "SELECT to_address, body_text FROM outbound_email WHERE ticket_id = $1
         ORDER BY created_at, id",
    )
    .bind(t.summary.id)
    .fetch_all(&app.db)
    .await
    .expect("mails");
    let bodies: Vec<&str> = mails.iter().map(|m| m.1.as_str()).collect();
    assert_eq!(mails.len(), 2, "{bodies:?}");
    assert!(mails.iter().all(|m| m.0 == client_email));
    assert!(
        bodies[0].starts_with("We have received your request"),
        "{bodies:?}"
    );
    assert!(bodies[1].starts_with("We are on it."), "{bodies:?}");
}

#[tokio::test]
async fn a_ticket_raised_before_the_upgrade_gets_no_second_history_line_or_acknowledgement() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let (client, _) = client(&app, acme).await;
    let t = tickets::create(
        &app.state,
        &client,
        &new_ticket("Printer"),
        TicketChannel::Portal,
    )
    .await
    .expect("create");
    // An event as the earlier version wrote it, beside the history line and the mail.
    sqlx::query(
        "UPDATE domain_event SET payload = payload - 'acknowledge' - 'raised_by_user'
         WHERE subject_id = $1",
    )
    .bind(t.summary.id)
    .execute(&app.db)
    .await
    .expect("an old event");
    assert_eq!(app.follow_new_tickets().await, 1);
    let (lines, mails): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM ticket_event WHERE ticket_id = $1),
                (SELECT count(*) FROM outbound_email WHERE ticket_id = $1)",
    )
    .bind(t.summary.id)
    .fetch_one(&app.db)
    .await
    .expect("counts");
    assert_eq!((lines, mails), (0, 0));
    assert!(followed(&app, t.summary.id).await, "the rest still follows");
}

#[tokio::test]
async fn two_workers_follow_each_new_ticket_exactly_once() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let (agent, agent_id, _) = staff(&app, Role::SupportAgent).await;
    let (_, manager_id, _) = staff(&app, Role::SupportManager).await;
    for i in 0..30 {
        let mut input = new_ticket(&format!("Scanner {i}"));
        input.account_id = Some(acme);
        tickets::create(&app.state, &agent, &input, TicketChannel::Phone)
            .await
            .expect("create");
    }
    let (one, two) = tokio::join!(
        tickets::arrivals::follow_new_tickets(&app.state),
        tickets::arrivals::follow_new_tickets(&app.state)
    );
    assert_eq!(one.expect("one") + two.expect("two"), 30);
    assert_eq!(
        app.follow_new_tickets().await,
        0,
        "nothing is left to follow"
    );
    let (entries, tickets): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(DISTINCT e.ticket_id) FROM ticket_search_entry e
         JOIN ticket t ON t.id = e.ticket_id WHERE e.message_id IS NULL AND t.subject LIKE 'Scanner %'",
    )
    .fetch_one(&app.db)
    .await
    .expect("entries");
    assert_eq!((entries, tickets), (30, 30), "one search entry per ticket");
    for user in [agent_id, manager_id] {
        let (notices, tickets): (i64, i64) = sqlx::query_as(
            "SELECT count(*), count(DISTINCT link) FROM notification
             WHERE user_id = $1 AND title LIKE 'New ticket #%'",
        )
        .bind(user)
        .fetch_one(&app.db)
        .await
        .expect("notices");
        assert_eq!((notices, tickets), (30, 30), "one notice per ticket each");
    }
    let mails: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbound_email WHERE subject LIKE '[#%] New ticket: Scanner%'",
    )
    .fetch_one(&app.db)
    .await
    .expect("mails");
    assert_eq!(mails, 60, "a mail per ticket to each of the two");
}

/// Whether the worker has followed this ticket: told the desk and written its search entry.
async fn followed(app: &TestApp, ticket: app::types::TicketId) -> bool {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM ticket_search_entry WHERE ticket_id = $1 AND message_id IS NULL)",
    )
    .bind(ticket)
    .fetch_one(&app.db)
    .await
    .expect("followed")
}

#[tokio::test]
async fn the_worker_follows_new_tickets_as_soon_as_the_intake_has_committed_them() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let (agent, _, _) = staff(&app, Role::SupportAgent).await;
    // The worker's follow-up with an hour between rounds: only the intake's ring can make it
    // follow a ticket within the test.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(server::worker::follow_new_tickets(
        app.state.clone(),
        stopped,
        std::time::Duration::from_secs(3600),
    ));
    let mut input = new_ticket("Kiosk frozen");
    input.account_id = Some(acme);
    for _ in 0..2 {
        // The first may be taken by the worker's first pass; the second only by the ring.
        let t = tickets::create(&app.state, &agent, &input, TicketChannel::Phone)
            .await
            .expect("create");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        while !followed(&app, t.summary.id).await {
            assert!(
                std::time::Instant::now() < deadline,
                "the worker never followed the new ticket"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
    stop.send(true).expect("stop");
    worker.await.expect("the worker stops");
}

/// Rows SQL writes after a new ticket's event (the acknowledgement, the desk's notices) land at the right edge of their id indexes, like every other new row.
#[tokio::test]
async fn what_a_new_ticket_writes_gets_time_ordered_ids() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let (agent_id, _) = app.staff_user(Role::SupportAgent).await;
    let (client, _) = client(&app, acme).await;
    let before = uuid::Uuid::now_v7();
    let t = tickets::create(
        &app.state,
        &client,
        &new_ticket("Ordered"),
        TicketChannel::Portal,
    )
    .await
    .expect("create");
    app.follow_new_tickets().await;
    let ids: Vec<uuid::Uuid> = sqlx::query_scalar(
        "SELECT id FROM outbound_email WHERE ticket_id = $1 OR subject LIKE '%' || $2 || '%'
         UNION ALL SELECT id FROM notification WHERE user_id = $3",
    )
    .bind(t.summary.id)
    .bind(format!("#{}", t.summary.number))
    .bind(agent_id)
    .fetch_all(&app.db)
    .await
    .expect("ids");
    assert!(
        ids.len() >= 3,
        "acknowledgement, desk mail, desk notice: {ids:?}"
    );
    for id in ids {
        assert_eq!(id.get_version_num(), 7, "{id}");
        assert!(id > before, "{id} is newer than {before}");
    }
}

#[tokio::test]
async fn anonymous_callers_cannot_raise_tickets() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let mut input = new_ticket("Spam");
    input.account_id = Some(acme);
    let err = tickets::create(&app.state, &Caller::Anonymous, &input, TicketChannel::Api)
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::Unauthenticated));
}

#[tokio::test]
async fn client_cannot_read_another_accounts_ticket() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let globex = app.account("Globex", None).await;
    let (agent, _, _) = staff(&app, Role::SupportAgent).await;
    let (acme_client, _) = client(&app, acme).await;
    let mut input = new_ticket("Globex only");
    input.account_id = Some(globex);
    let t = tickets::create(&app.state, &agent, &input, TicketChannel::Phone)
        .await
        .expect("create");
    let id = t.summary.id;
    assert!(matches!(
        tickets::get(&app.db, &acme_client, id).await,
        Err(ServiceError::NotFound)
    ));
    assert!(matches!(
        tickets::reply(&app.state, &acme_client, id, "let me in", false).await,
        Err(ServiceError::NotFound)
    ));
    assert!(matches!(
        tickets::close(&app.state, &acme_client, id).await,
        Err(ServiceError::NotFound)
    ));
    let page = tickets::list(&app.db, &acme_client, &TicketFilter::default())
        .await
        .expect("list");
    assert!(page.items.is_empty());
    // A client at the parent company sees its locations' tickets.
    let branch = app.account("Acme Leeds", Some(acme)).await;
    input.account_id = Some(branch);
    tickets::create(&app.state, &agent, &input, TicketChannel::Phone)
        .await
        .expect("create");
    let page = tickets::list(&app.db, &acme_client, &TicketFilter::default())
        .await
        .expect("list");
    assert_eq!(page.items.len(), 1);
}

#[tokio::test]
async fn sales_reads_tickets_but_only_the_support_desk_works_them() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let (agent, _, _) = staff(&app, Role::SupportAgent).await;
    let (rep, _, _) = staff(&app, Role::SalesRep).await;
    let mut input = new_ticket("Printer");
    input.account_id = Some(acme);
    assert!(matches!(
        tickets::create(&app.state, &rep, &input, TicketChannel::Phone).await,
        Err(ServiceError::Forbidden)
    ));
    let t = tickets::create(&app.state, &agent, &input, TicketChannel::Phone)
        .await
        .expect("create");
    tickets::get(&app.db, &rep, t.summary.id)
        .await
        .expect("sales reads");
    assert!(matches!(
        tickets::update(&app.state, &rep, t.summary.id, &status(TicketStatus::Open)).await,
        Err(ServiceError::Forbidden)
    ));
    assert!(matches!(
        tickets::reply(&app.state, &rep, t.summary.id, "hello", false).await,
        Err(ServiceError::Forbidden)
    ));
}

#[tokio::test]
async fn internal_notes_never_reach_the_portal_or_the_clients_mail() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let (agent, _, _) = staff(&app, Role::SupportAgent).await;
    let (client, client_email) = client(&app, acme).await;
    let t = tickets::create(
        &app.state,
        &client,
        &new_ticket("Printer"),
        TicketChannel::Portal,
    )
    .await
    .expect("create");
    let id = t.summary.id;
    tickets::reply(
        &app.state,
        &agent,
        id,
        "SECRET: customer is on a final warning",
        true,
    )
    .await
    .expect("note");
    tickets::reply(
        &app.state,
        &agent,
        id,
        "Please power-cycle the printer.",
        false,
    )
    .await
    .expect("reply");
    assert!(matches!(
        tickets::reply(&app.state, &client, id, "a note of my own", true).await,
        Err(ServiceError::Forbidden)
    ));
    let seen = tickets::detail(&app.db, &client, id).await.expect("detail");
    assert_eq!(seen.messages.len(), 1);
    assert_eq!(seen.messages[0].body, "Please power-cycle the printer.");
    let staff_view = tickets::detail(&app.db, &agent, id).await.expect("detail");
    assert_eq!(staff_view.messages.len(), 2);
    // The first public staff reply opens the ticket and stops the first-response clock.
    assert_eq!(staff_view.ticket.summary.status, TicketStatus::Open);
    assert!(staff_view.ticket.summary.first_responded_at.is_some());
    let mails = app.deliver_mail().await;
    let to_client: Vec<_> = mails
        .iter()
        .filter(|m| m.to.iter().any(|t| t.contains(&client_email)))
        .collect();
    assert!(to_client.iter().any(|m| m.data.contains("power-cycle")));
    assert!(mails.iter().all(|m| !m.data.contains("SECRET")));
}

#[tokio::test]
async fn invalid_transitions_are_refused_and_history_records_every_change() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let (agent, agent_id, _) = staff(&app, Role::SupportAgent).await;
    let mut input = new_ticket("Printer");
    input.account_id = Some(acme);
    let t = tickets::create(&app.state, &agent, &input, TicketChannel::Phone)
        .await
        .expect("create");
    let id = t.summary.id;
    let changes = TicketChanges {
        status: Some(TicketStatus::Resolved),
        assignee_id: Some(Some(agent_id)),
        priority: Some(TicketPriority::Low),
        ..Default::default()
    };
    tickets::update(&app.state, &agent, id, &changes)
        .await
        .expect("resolve");
    let err = tickets::update(&app.state, &agent, id, &status(TicketStatus::PendingClient))
        .await
        .unwrap_err();
    assert_eq!(field_names(err), vec!["status"]);
    tickets::update(&app.state, &agent, id, &status(TicketStatus::Open))
        .await
        .expect("reopen");
    tickets::update(&app.state, &agent, id, &status(TicketStatus::Closed))
        .await
        .expect("close");
    let err = tickets::update(&app.state, &agent, id, &status(TicketStatus::Open))
        .await
        .unwrap_err();
    assert_eq!(field_names(err), vec!["status"]);
    let d = tickets::detail(&app.db, &agent, id).await.expect("detail");
    let statuses: Vec<(Option<String>, Option<String>)> = d
        .history
        .iter()
        .filter(|e| e.field == "status")
        .map(|e| (e.old_value.clone(), e.new_value.clone()))
        .collect();
    let s = |a: &str, b: &str| (Some(a.to_string()), Some(b.to_string()));
    assert_eq!(
        statuses,
        vec![
            s("new", "resolved"),
            s("resolved", "open"),
            s("open", "closed")
        ]
    );
    let assignee = d
        .history
        .iter()
        .find(|e| e.field == "assignee")
        .expect("assignee change");
    assert_eq!(assignee.new_value.as_deref(), Some("Test Support agent"));
    assert_eq!(assignee.actor_name, "Test Support agent");
    assert!(d.history.iter().any(|e| e.field == "priority"
        && e.old_value.as_deref() == Some("high")
        && e.new_value.as_deref() == Some("low")));
}

#[tokio::test]
async fn a_client_reopens_within_the_window_but_not_after_it() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let (agent, _, _) = staff(&app, Role::SupportAgent).await;
    let (client, _) = client(&app, acme).await;
    let t = tickets::create(
        &app.state,
        &client,
        &new_ticket("Printer"),
        TicketChannel::Portal,
    )
    .await
    .expect("create");
    let id = t.summary.id;
    tickets::update(&app.state, &agent, id, &status(TicketStatus::Resolved))
        .await
        .expect("resolve");
    tickets::reopen(&app.state, &client, id)
        .await
        .expect("reopen");
    tickets::update(&app.state, &agent, id, &status(TicketStatus::Resolved))
        .await
        .expect("resolve again");
    sqlx::query("UPDATE ticket SET resolved_at = now() - interval '30 days' WHERE id = $1")
        .bind(id)
        .execute(&app.db)
        .await
        .expect("age");
    let err = tickets::reopen(&app.state, &client, id).await.unwrap_err();
    assert_eq!(field_names(err), vec!["status"]);
    // The client may still close it for good.
    let closed = tickets::close(&app.state, &client, id)
        .await
        .expect("close");
    assert_eq!(closed.summary.status, TicketStatus::Closed);
    assert!(matches!(
        tickets::reply(&app.state, &client, id, "one more thing", false).await,
        Err(ServiceError::Conflict(_))
    ));
}

#[tokio::test]
async fn resolving_emits_one_durable_feedback_event() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let (agent, _, _) = staff(&app, Role::SupportAgent).await;
    let mut input = new_ticket("Printer");
    input.account_id = Some(acme);
    let t = tickets::create(&app.state, &agent, &input, TicketChannel::Phone)
        .await
        .expect("create");
    tickets::update(
        &app.state,
        &agent,
        t.summary.id,
        &status(TicketStatus::Resolved),
    )
    .await
    .expect("resolve");
    let events: Vec<(String, serde_json::Value)> = sqlx::query_as(
        "SELECT kind, payload FROM domain_event WHERE subject_id = $1 AND kind = 'ticket.resolved'",
    )
    .bind(t.summary.id)
    .fetch_all(&app.db)
    .await
    .expect("events");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].1["number"], t.summary.number);
}

#[tokio::test]
async fn waiting_on_the_client_stops_the_resolution_clock() {
    let app = TestApp::spawn().await;
    app.desk_open_round_the_clock().await;
    let acme = app.account("Acme", None).await;
    let (agent, _, _) = staff(&app, Role::SupportAgent).await;
    let (client, _) = client(&app, acme).await;
    let t = tickets::create(
        &app.state,
        &client,
        &new_ticket("Printer"),
        TicketChannel::Portal,
    )
    .await
    .expect("create");
    let id = t.summary.id;
    // High priority: 960 business minutes to resolve.
    let minutes = (t.summary.resolution_due - t.summary.created_at).num_minutes();
    assert!((959..=960).contains(&minutes), "{minutes}");
    tickets::update(&app.state, &agent, id, &status(TicketStatus::PendingClient))
        .await
        .expect("pending");
    sqlx::query("UPDATE ticket SET sla_paused_at = now() - interval '2 hours' WHERE id = $1")
        .bind(id)
        .execute(&app.db)
        .await
        .expect("age the pause");
    // The client's reply brings it back to open and the two hours are given back.
    tickets::reply(&app.state, &client, id, "Done, still jams.", false)
        .await
        .expect("reply");
    let after = tickets::get(&app.db, &agent, id).await.expect("get");
    assert_eq!(after.summary.status, TicketStatus::Open);
    assert!(after.sla_paused_at.is_none());
    let shift = (after.summary.resolution_due - t.summary.resolution_due).num_minutes();
    assert!((119..=121).contains(&shift), "{shift}");
}

#[tokio::test]
async fn the_escalation_job_fires_exactly_once_with_two_workers() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let (agent, _, _) = staff(&app, Role::SupportAgent).await;
    let (_, _, manager_a) = staff(&app, Role::SupportManager).await;
    let (_, _, manager_b) = staff(&app, Role::SupportManager).await;
    let mut input = new_ticket("Printer on fire");
    input.account_id = Some(acme);
    let high = tickets::create(&app.state, &agent, &input, TicketChannel::Phone)
        .await
        .expect("create");
    input.priority = Some(TicketPriority::Low);
    let low = tickets::create(&app.state, &agent, &input, TicketChannel::Phone)
        .await
        .expect("create");
    sqlx::query("UPDATE ticket SET created_at = now() - interval '25 hours'")
        .execute(&app.db)
        .await
        .expect("age");
    sqlx::query("DELETE FROM outbound_email")
        .execute(&app.db)
        .await
        .expect("clear");
    let (a, b) = tokio::join!(sweep::run_once(&app.state), sweep::run_once(&app.state));
    let escalated = a.expect("worker a").escalated + b.expect("worker b").escalated;
    assert_eq!(escalated, 1);
    assert_eq!(
        sweep::run_once(&app.state).await.expect("again").escalated,
        0
    );
    let to: Vec<String> = sqlx::query_scalar(
        "SELECT to_address FROM outbound_email WHERE subject LIKE '%Escalation%' ORDER BY to_address",
    )
    .fetch_all(&app.db)
    .await
    .expect("mail");
    let mut expected = vec![manager_a, manager_b];
    expected.sort();
    assert_eq!(to, expected);
    let high = tickets::get(&app.db, &agent, high.summary.id)
        .await
        .expect("get");
    assert!(high.escalated_at.is_some());
    let low = tickets::get(&app.db, &agent, low.summary.id)
        .await
        .expect("get");
    assert!(low.escalated_at.is_none());
}

#[tokio::test]
async fn overdue_tickets_are_marked_breached_and_listed_as_breaching() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let (agent, _, _) = staff(&app, Role::SupportAgent).await;
    let mut input = new_ticket("Printer");
    input.account_id = Some(acme);
    let late = tickets::create(&app.state, &agent, &input, TicketChannel::Phone)
        .await
        .expect("create");
    tickets::create(&app.state, &agent, &input, TicketChannel::Phone)
        .await
        .expect("create");
    sqlx::query("UPDATE ticket SET first_response_due = now() - interval '1 minute' WHERE id = $1")
        .bind(late.summary.id)
        .execute(&app.db)
        .await
        .expect("overdue");
    sweep::run_once(&app.state).await.expect("sweep");
    let t = tickets::get(&app.db, &agent, late.summary.id)
        .await
        .expect("get");
    assert_eq!(t.summary.sla_state, app::types::SlaState::Breached);
    let breaching = tickets::list(
        &app.db,
        &agent,
        &TicketFilter {
            view: Some(TicketView::Breaching),
            ..Default::default()
        },
    )
    .await
    .expect("list");
    assert_eq!(
        breaching.items.iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![late.summary.id]
    );
    let counts = tickets::view_counts(&app.db, &agent).await.expect("counts");
    assert_eq!(
        (counts.open, counts.breaching, counts.unassigned),
        (2, 1, 2)
    );
}

#[tokio::test]
async fn a_team_with_round_robin_hands_new_tickets_to_its_members_in_turn() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let (agent, a, _) = staff(&app, Role::SupportAgent).await;
    let (_, b, _) = staff(&app, Role::SupportAgent).await;
    let team = uuid::Uuid::new_v4();
    sqlx::query("INSERT INTO team (id, name, auto_assign) VALUES ($1, 'Hardware', true)")
        .bind(team)
        .execute(&app.db)
        .await
        .expect("team");
    for user in [a, b] {
        sqlx::query("INSERT INTO team_member (team_id, user_id) VALUES ($1, $2)")
            .bind(team)
            .bind(user)
            .execute(&app.db)
            .await
            .expect("member");
    }
    let mut input = new_ticket("Printer");
    input.account_id = Some(acme);
    input.team_id = Some(app::types::TeamId(team));
    let mut assignees = Vec::new();
    for _ in 0..4 {
        let t = tickets::create(&app.state, &agent, &input, TicketChannel::Phone)
            .await
            .expect("create");
        assignees.push(t.summary.assignee_id.expect("assigned"));
    }
    assert_ne!(assignees[0], assignees[1]);
    assert_eq!(assignees[0], assignees[2]);
    assert_eq!(assignees[1], assignees[3]);
}

#[tokio::test]
async fn search_finds_words_in_replies_and_ranks_subject_matches_first() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let (agent, _, _) = staff(&app, Role::SupportAgent).await;
    let mut input = new_ticket("Scanner offline");
    input.account_id = Some(acme);
    input.description = "Nothing scans.".into();
    let scanner = tickets::create(&app.state, &agent, &input, TicketChannel::Phone)
        .await
        .expect("create");
    input.subject = "Toner low".into();
    input.description = "Order more toner.".into();
    let toner = tickets::create(&app.state, &agent, &input, TicketChannel::Phone)
        .await
        .expect("create");
    tickets::reply(
        &app.state,
        &agent,
        scanner.summary.id,
        "Replaced the toner cartridge too.",
        false,
    )
    .await
    .expect("reply");
    tickets::reply(
        &app.state,
        &agent,
        toner.summary.id,
        "Firmware flashed",
        true,
    )
    .await
    .expect("note");
    let search = |q: &str| TicketFilter {
        q: Some(q.into()),
        view: Some(TicketView::All),
        ..Default::default()
    };
    // The tickets' own text is searchable once the worker has followed them.
    app.follow_new_tickets().await;
    let found = tickets::list(&app.db, &agent, &search("toner"))
        .await
        .expect("search");
    let ids: Vec<_> = found.items.iter().map(|t| t.id).collect();
    assert_eq!(ids, vec![toner.summary.id, scanner.summary.id]);
    let by_number = tickets::list(
        &app.db,
        &agent,
        &search(&format!("#{}", scanner.summary.number)),
    )
    .await
    .expect("number");
    assert_eq!(by_number.items.len(), 1);
    // Internal notes are searchable by staff, never by the client.
    assert_eq!(
        tickets::list(&app.db, &agent, &search("firmware"))
            .await
            .expect("s")
            .items
            .len(),
        1
    );
}

#[tokio::test]
async fn pages_follow_the_cursor_without_gaps_or_repeats() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let (agent, _, _) = staff(&app, Role::SupportAgent).await;
    let mut input = new_ticket("Printer");
    input.account_id = Some(acme);
    let mut all = Vec::new();
    for i in 0..7 {
        input.subject = format!("Printer {i}");
        all.push(
            tickets::create(&app.state, &agent, &input, TicketChannel::Phone)
                .await
                .expect("create")
                .summary
                .id,
        );
    }
    let mut seen = Vec::new();
    let mut filter = TicketFilter {
        view: Some(TicketView::All),
        limit: Some(3),
        ..Default::default()
    };
    loop {
        let page = tickets::list(&app.db, &agent, &filter).await.expect("page");
        seen.extend(page.items.iter().map(|t| t.id));
        match page.next_cursor {
            Some(c) => filter.cursor = Some(c),
            None => break,
        }
    }
    seen.sort();
    all.sort();
    assert_eq!(seen, all);
    filter.cursor = Some("garbage".into());
    assert!(matches!(
        tickets::list(&app.db, &agent, &filter).await,
        Err(ServiceError::Validation(_))
    ));
}

#[tokio::test]
async fn bulk_changes_apply_to_every_ticket_or_none() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let (agent, agent_id, _) = staff(&app, Role::SupportAgent).await;
    let mut input = new_ticket("Printer");
    input.account_id = Some(acme);
    let a = tickets::create(&app.state, &agent, &input, TicketChannel::Phone)
        .await
        .expect("a");
    let b = tickets::create(&app.state, &agent, &input, TicketChannel::Phone)
        .await
        .expect("b");
    let changes = TicketChanges {
        assignee_id: Some(Some(agent_id)),
        add_tags: Some(vec!["VIP".into()]),
        ..Default::default()
    };
    let n = tickets::bulk_update(&app.state, &agent, &[a.summary.id, b.summary.id], &changes)
        .await
        .expect("bulk");
    assert_eq!(n, 2);
    for id in [a.summary.id, b.summary.id] {
        let t = tickets::get(&app.db, &agent, id).await.expect("get");
        assert_eq!(t.summary.assignee_id, Some(agent_id));
        assert_eq!(t.summary.tags, vec!["vip"]);
    }
    // One closed ticket in the batch refuses the move and changes nothing.
    tickets::update(
        &app.state,
        &agent,
        b.summary.id,
        &status(TicketStatus::Closed),
    )
    .await
    .expect("close");
    let err = tickets::bulk_update(
        &app.state,
        &agent,
        &[a.summary.id, b.summary.id],
        &status(TicketStatus::OnHold),
    )
    .await
    .unwrap_err();
    assert_eq!(field_names(err), vec!["status"]);
    let a = tickets::get(&app.db, &agent, a.summary.id)
        .await
        .expect("get");
    assert_eq!(a.summary.status, TicketStatus::New);
}

#[tokio::test]
async fn a_ticket_must_point_at_its_own_accounts_location_and_contact() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let globex = app.account("Globex", None).await;
    let (agent, _, _) = staff(&app, Role::SupportAgent).await;
    let (_, globex_contact, _) = app.client_user(globex).await;
    let mut input = new_ticket("Printer");
    input.account_id = Some(acme);
    let first = tickets::create(&app.state, &agent, &input, TicketChannel::Phone)
        .await
        .expect("a valid ticket");
    input.location_id = Some(globex);
    input.contact_id = Some(globex_contact);
    input.team_id = Some(app::types::TeamId::new());
    input.ticket_type = Some("nonsense".into());
    let err = tickets::create(&app.state, &agent, &input, TicketChannel::Phone)
        .await
        .unwrap_err();
    assert_eq!(
        field_names(err),
        vec!["ticket_type", "location_id", "contact_id", "team_id"]
    );
    // An account that does not exist says only that: the rest cannot be checked against it.
    input.account_id = Some(AccountId::new());
    let err = tickets::create(&app.state, &agent, &input, TicketChannel::Phone)
        .await
        .unwrap_err();
    assert_eq!(field_names(err), vec!["ticket_type", "account_id"]);
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM ticket")
        .fetch_one(&app.db)
        .await
        .expect("count");
    assert_eq!(count, 1, "refused tickets leave nothing behind");
    // Refused input draws no number: the next ticket follows the last one.
    let next = tickets::create(
        &app.state,
        &agent,
        &new_ticket_for(acme),
        TicketChannel::Phone,
    )
    .await
    .expect("a valid ticket");
    assert_eq!(next.summary.number, first.summary.number + 1);
}

#[tokio::test]
async fn a_ticket_may_name_a_location_at_any_depth_below_its_account_and_a_contact_there() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let north = app.account("Acme North", Some(acme)).await;
    let depot = app.account("Acme North Depot", Some(north)).await;
    let (agent, _, _) = staff(&app, Role::SupportAgent).await;
    let (_, north_contact, _) = app.client_user(north).await;
    let mut input = new_ticket_for(acme);
    input.location_id = Some(depot);
    input.contact_id = Some(north_contact);
    let t = tickets::create(&app.state, &agent, &input, TicketChannel::Phone)
        .await
        .expect("a location two levels down and a contact one level down");
    assert_eq!(t.location_name.as_deref(), Some("Acme North Depot"));
    assert_eq!(t.summary.account_name, "Acme");
    // Up is not down: the parent is no location of its child.
    let mut input = new_ticket_for(north);
    input.location_id = Some(acme);
    let err = tickets::create(&app.state, &agent, &input, TicketChannel::Phone)
        .await
        .unwrap_err();
    assert_eq!(field_names(err), vec!["location_id"]);
    // A location that does not exist is refused as one.
    input.location_id = Some(AccountId::new());
    let err = tickets::create(&app.state, &agent, &input, TicketChannel::Phone)
        .await
        .unwrap_err();
    assert_eq!(field_names(err), vec!["location_id"]);
}

fn new_ticket_for(account: AccountId) -> NewTicket {
    NewTicket {
        account_id: Some(account),
        ..new_ticket("Scanner")
    }
}

#[tokio::test]
async fn tickets_raised_at_the_same_moment_commit_together_and_each_caller_gets_its_own_answer() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let globex = app.account("Globex", None).await;
    let (agent, _, _) = staff(&app, Role::SupportAgent).await;
    let (_, globex_contact, _) = app.client_user(globex).await;
    // The database itself refuses one of them (a constraint of this test's database).
    sqlx::query("ALTER TABLE ticket ADD CONSTRAINT test_refused CHECK (subject <> 'Refused by the database')")
        .execute(&app.db)
        .await
        .expect("constraint");
    let inputs: Vec<NewTicket> = (0..16)
        .map(|i| {
            let mut t = new_ticket_for(acme);
            t.subject = match i {
                5 => "Refused by the database".into(),
                _ => format!("Scanner {i}"),
            };
            if i == 9 {
                t.contact_id = Some(globex_contact);
            }
            t
        })
        .collect();
    let answers = futures_util::future::join_all(
        inputs
            .iter()
            .map(|t| tickets::create(&app.state, &agent, t, TicketChannel::Api)),
    )
    .await;
    let mut numbers = Vec::new();
    for (i, answer) in answers.into_iter().enumerate() {
        match i {
            5 => assert!(answer.is_err(), "the refused ticket is refused"),
            9 => assert_eq!(field_names(answer.unwrap_err()), vec!["contact_id"]),
            _ => {
                let t = answer.expect("the other tickets are raised");
                assert_eq!(
                    t.summary.subject,
                    format!("Scanner {i}"),
                    "each caller gets its own"
                );
                numbers.push(t.summary.number);
            }
        }
    }
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(numbers.len(), 14, "fourteen tickets, fourteen numbers");
    app.follow_new_tickets().await;
    let (tickets, desk): (i64, i64) = sqlx::query_as(
        "SELECT count(*), (SELECT count(*) FROM notification WHERE title LIKE 'New ticket #%')
         FROM ticket",
    )
    .fetch_one(&app.db)
    .await
    .expect("counts");
    assert_eq!(
        tickets, 14,
        "a refusal in a batch leaves the others standing"
    );
    assert_eq!(desk, 14, "the desk hears of each ticket once");
    // An integration's key: nothing to look up before the intake, so on the test's single
    // thread all eight are queued before the first batch starts.
    let integration = Caller::Staff(StaffCaller {
        user_id: None,
        api_key_id: None,
        role: Role::SupportAgent,
    });
    let scanner = new_ticket_for(acme);
    let again = futures_util::future::join_all(
        (0..8).map(|_| tickets::create(&app.state, &integration, &scanner, TicketChannel::Api)),
    )
    .await;
    assert!(again.iter().all(|a| a.is_ok()));
    let batched: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT xmin::text) FROM ticket WHERE subject = 'Scanner'",
    )
    .fetch_one(&app.db)
    .await
    .expect("transactions");
    assert_eq!(
        batched, 1,
        "eight tickets raised at once commit in one transaction"
    );
}
