//! The console's ticket server functions over HTTP, as the pages call them: bulk changes
//! from the dashboard's checkboxes, saved views, notifications.

use crate::helpers::TestApp;
use crate::tickets::{new_ticket, staff};
use app::api::notifications::{MarkNotificationsRead, MyNotifications, UnreadNotifications};
use app::api::tickets::{BulkChangeTickets, ListSavedViews, SaveTicketView};
use app::server::tickets;
use app::types::{Notification, Role, SavedTicketView, TicketChannel, TicketStatus};

#[tokio::test]
async fn ticked_tickets_change_together_from_the_dashboard_form() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let (agent, agent_id, agent_email) = staff(&app, Role::SupportAgent).await;
    let mut input = new_ticket("Printer");
    input.account_id = Some(acme);
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(
            tickets::create(&app.state, &agent, &input, TicketChannel::Phone)
                .await
                .expect("create")
                .summary
                .id,
        );
    }
    let browser = app.signed_in(&agent_email).await;
    // Rows 0 and 2 ticked: the checkboxes of unticked rows are not sent.
    let res = app
        .call::<BulkChangeTickets>(
            &browser,
            &[
                ("ids[0]", ids[0].to_string()),
                ("ids[2]", ids[2].to_string()),
                ("form[status]", "on_hold".into()),
                ("form[assignee_id]", agent_id.to_string()),
                ("form[add_tag]", "kiosk".into()),
            ],
        )
        .await;
    assert_eq!(
        res.status(),
        200,
        "{}",
        res.text().await.unwrap_or_default()
    );
    for (i, id) in ids.iter().enumerate() {
        let t = tickets::get(&app.db, &agent, *id).await.expect("get");
        let ticked = i != 1;
        assert_eq!(t.summary.status == TicketStatus::OnHold, ticked);
        assert_eq!(t.summary.tags == vec!["kiosk".to_string()], ticked);
    }
    // Nothing ticked is a clear error, not a silent success.
    let res = app
        .call::<BulkChangeTickets>(&browser, &[("form[status]", "open".into())])
        .await;
    assert_eq!(res.status(), 422);
    // A sales rep may look but not change.
    let (_, rep_email) = app.staff_user(Role::SalesRep).await;
    let rep = app.signed_in(&rep_email).await;
    let res = app
        .call::<BulkChangeTickets>(
            &rep,
            &[
                ("ids[0]", ids[1].to_string()),
                ("form[status]", "open".into()),
            ],
        )
        .await;
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn saved_views_belong_to_the_user_who_saved_them() {
    let app = TestApp::spawn().await;
    let (_, a_email) = app.staff_user(Role::SupportAgent).await;
    let (_, b_email) = app.staff_user(Role::SupportAgent).await;
    let a = app.signed_in(&a_email).await;
    let b = app.signed_in(&b_email).await;
    let res = app
        .call::<SaveTicketView>(
            &a,
            &[
                ("name", "Urgent hardware".into()),
                ("query", "?view=open&priority=urgent&type=hardware".into()),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let mine: Vec<SavedTicketView> = app
        .call::<ListSavedViews>(&a, &[])
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].query, "view=open&priority=urgent&type=hardware");
    let theirs: Vec<SavedTicketView> = app
        .call::<ListSavedViews>(&b, &[])
        .await
        .json()
        .await
        .expect("json");
    assert!(theirs.is_empty());
    let res = app
        .call::<SaveTicketView>(&a, &[("name", " ".into()), ("query", "".into())])
        .await;
    assert_eq!(res.status(), 422);
}

#[tokio::test]
async fn the_support_desk_finds_new_tickets_among_its_notifications() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let (agent, _, agent_email) = staff(&app, Role::SupportAgent).await;
    let (_, rep_email) = app.staff_user(Role::SalesRep).await;
    let mut input = new_ticket("Kiosk offline");
    input.account_id = Some(acme);
    let t = tickets::create(&app.state, &agent, &input, TicketChannel::Phone)
        .await
        .expect("create");
    app.follow_new_tickets().await;
    let browser = app.signed_in(&agent_email).await;
    let unread: i64 = app
        .call::<UnreadNotifications>(&browser, &[])
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(unread, 1);
    let list: Vec<Notification> = app
        .call::<MyNotifications>(&browser, &[])
        .await
        .json()
        .await
        .expect("json");
    assert!(list[0].title.contains("Kiosk offline"));
    assert_eq!(list[0].link, format!("/console/tickets/{}", t.summary.id));
    // Sales is not the support desk: no notification for them.
    let rep = app.signed_in(&rep_email).await;
    let rep_unread: i64 = app
        .call::<UnreadNotifications>(&rep, &[])
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(rep_unread, 0);
    // Another user cannot mark someone else's notification read.
    let res = app
        .call::<MarkNotificationsRead>(&rep, &[("id", list[0].id.to_string())])
        .await;
    assert_eq!(res.status(), 200);
    let still: i64 = app
        .call::<UnreadNotifications>(&browser, &[])
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(still, 1);
    app.call::<MarkNotificationsRead>(&browser, &[]).await;
    let none: i64 = app
        .call::<UnreadNotifications>(&browser, &[])
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(none, 0);
    let anonymous = app.browser();
    let res = app.call::<UnreadNotifications>(&anonymous, &[]).await;
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn the_portal_renders_the_clients_tickets_without_internal_notes() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let (_, _, client_email) = app.client_user(acme).await;
    let (agent, _, _) = staff(&app, Role::SupportAgent).await;
    let mut input = new_ticket("Card terminal offline");
    input.account_id = Some(acme);
    let t = tickets::create(&app.state, &agent, &input, TicketChannel::Phone)
        .await
        .expect("create");
    tickets::reply(
        &app.state,
        &agent,
        t.summary.id,
        "INTERNAL-ONLY suspect the router",
        true,
    )
    .await
    .expect("note");
    tickets::reply(&app.state, &agent, t.summary.id, "We are on it.", false)
        .await
        .expect("reply");
    let browser = app.signed_in(&client_email).await;
    for (path, needle) in [
        ("/portal/tickets".to_string(), "Card terminal offline"),
        (format!("/portal/tickets/{}", t.summary.id), "We are on it."),
        ("/portal/tickets/new".to_string(), "id=\"form-subject\""),
    ] {
        let res = browser
            .get(format!("{}{path}", app.base))
            .header("Accept", "text/html")
            .send()
            .await
            .expect("page");
        assert_eq!(res.status(), 200, "{path}");
        let html = res.text().await.expect("html");
        assert!(html.contains(needle), "{path} should contain {needle}");
        assert!(
            !html.contains("INTERNAL-ONLY"),
            "{path} leaked an internal note"
        );
    }
    // Another company's client gets no ticket page.
    let globex = app.account("Globex", None).await;
    let (_, _, other_email) = app.client_user(globex).await;
    let other = app.signed_in(&other_email).await;
    let res = other
        .get(format!("{}/portal/tickets/{}", app.base, t.summary.id))
        .header("Accept", "text/html")
        .send()
        .await
        .expect("page");
    let html = res.text().await.expect("html");
    assert!(!html.contains("Card terminal offline"));
}

#[tokio::test]
async fn an_agent_logs_a_phone_ticket_for_a_contact_named_by_email() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let (_, contact, client_email) = app.client_user(acme).await;
    let (_, agent_email) = app.staff_user(Role::SupportAgent).await;
    let browser = app.signed_in(&agent_email).await;
    let form = |email: &str| {
        vec![
            ("form[subject]", "Phone: scanner dead".to_string()),
            ("form[description]", "Called at 9:10.".to_string()),
            ("form[account_id]", acme.to_string()),
            ("form[contact_email]", email.to_string()),
        ]
    };
    let res = app
        .call::<app::api::tickets::RaiseTicket>(&browser, &form("nobody@nowhere.example"))
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap_or_default().contains("contact_id"));
    let res = app
        .call::<app::api::tickets::RaiseTicket>(&browser, &form(&client_email.to_uppercase()))
        .await;
    assert_eq!(
        res.status(),
        200,
        "{}",
        res.text().await.unwrap_or_default()
    );
    let t: app::types::Ticket = res.json().await.expect("json");
    assert_eq!(t.contact_id, Some(contact));
    assert_eq!(t.summary.channel, TicketChannel::Phone);
}
