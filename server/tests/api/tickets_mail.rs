//! Email-to-case through the real HTTP endpoint and the real parser, threading on the
//! Message-IDs of mail that went out through the real SMTP server; REST for tickets;
//! files; live updates.

use crate::helpers::TestApp;
use crate::tickets::{client, new_ticket, staff};
use app::server::tickets;
use app::types::{Role, TicketChannel, TicketStatus};
use serde_json::{json, Value};

fn raw_mail(from: &str, subject: &str, message_id: &str, extra: &str, body: &str) -> String {
    format!(
        "From: Client <{from}>\r\nTo: support@steward.test\r\nSubject: {subject}\r\n\
         Message-ID: <{message_id}>\r\nDate: Wed, 25 Nov 2026 10:00:00 +0000\r\n{extra}\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
}

async fn post_mail(app: &TestApp, gateway: &reqwest::Client, raw: String) -> (u16, Value) {
    let res = gateway
        .post(format!("{}/api/v1/inbound-email", app.base))
        .header("content-type", "message/rfc822")
        .body(raw)
        .send()
        .await
        .expect("post");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_mail_from_a_known_contact_becomes_a_ticket_and_the_reply_threads_onto_it() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let (_, client_email) = client(&app, acme).await;
    let (agent, _, agent_email) = staff(&app, Role::SupportAgent).await;
    let (gateway, _) = app.api_client(Role::SupportManager).await;

    let (status, body) = post_mail(
        &app,
        &gateway,
        raw_mail(
            &client_email,
            "Printer jams",
            "first@client.example",
            "",
            "It jams again.",
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["outcome"], "new_ticket");
    let ticket: app::types::TicketId =
        serde_json::from_value(body["ticket_id"].clone()).expect("ticket id");
    let t = tickets::get(&app.db, &agent, ticket).await.expect("ticket");
    assert_eq!(t.summary.channel, TicketChannel::Email);
    assert_eq!(t.summary.account_id, acme);
    assert_eq!(t.description, "It jams again.");

    // The desk is told, and the agent's public reply goes out with its own Message-ID.
    app.follow_new_tickets().await;
    tickets::reply(
        &app.state,
        &agent,
        ticket,
        "Please send a photo of the jam.",
        false,
    )
    .await
    .expect("reply");
    let mails = app.deliver_mail().await;
    assert!(mails
        .iter()
        .any(|m| m.to.iter().any(|t| t.contains(&agent_email))));
    let reply_mail = mails
        .iter()
        .rev()
        .find(|m| m.to.iter().any(|t| t.contains(&client_email)) && m.data.contains("photo"))
        .expect("reply mail");
    let message_id = reply_mail
        .data
        .lines()
        .find_map(|l| l.strip_prefix("Message-ID: "))
        .expect("Message-ID header")
        .trim()
        .trim_matches(['<', '>'])
        .to_string();
    assert!(
        reply_mail.data.contains("In-Reply-To: <"),
        "{}",
        reply_mail.data
    );

    // The client answers from their mail program: In-Reply-To names our mail.
    let answer = format!(
        "From: Client <{client_email}>\r\nTo: support@steward.test\r\nSubject: Re: something else\r\n\
         Message-ID: <answer@client.example>\r\nIn-Reply-To: <{message_id}>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
         <p>Here it is<script>alert(1)</script></p>\r\n--b1\r\nContent-Type: image/png\r\n\
         Content-Disposition: attachment; filename=\"jam.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
         iVBORw0KGgoAAAANSUhEUg==\r\n--b1--\r\n"
    );
    let (status, body) = post_mail(&app, &gateway, answer.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["outcome"], "reply");
    assert_eq!(body["ticket_id"], json!(ticket.to_string()));
    let d = tickets::detail(&app.db, &agent, ticket)
        .await
        .expect("detail");
    let last = d.messages.last().expect("message");
    assert_eq!(last.via, "email");
    assert!(last.body.contains("Here it is"));
    assert!(!last.body.contains("<script>"));
    let html: Option<String> = sqlx::query_scalar(
        "SELECT body_html FROM ticket_message WHERE email_message_id = 'answer@client.example'",
    )
    .fetch_one(&app.db)
    .await
    .expect("html");
    let html = html.expect("sanitized html kept");
    assert!(
        html.contains("Here it is") && !html.contains("script"),
        "{html}"
    );
    assert_eq!(d.attachments.len(), 1);
    assert_eq!(d.attachments[0].file_name, "jam.png");

    // The same message delivered twice creates nothing new.
    let (status, body) = post_mail(&app, &gateway, answer).await;
    assert_eq!(status, 200);
    assert_eq!(body["duplicate"], true);
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM ticket_message WHERE ticket_id = $1")
        .bind(ticket)
        .fetch_one(&app.db)
        .await
        .expect("count");
    assert_eq!(count, 2);
}

#[tokio::test]
async fn the_ticket_tag_in_the_subject_threads_a_reply_from_the_same_company_only() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let globex = app.account("Globex", None).await;
    let (acme_client, acme_email) = client(&app, acme).await;
    let (_, globex_email) = client(&app, globex).await;
    let (gateway, _) = app.api_client(Role::Admin).await;
    let t = tickets::create(
        &app.state,
        &acme_client,
        &new_ticket("Printer"),
        TicketChannel::Portal,
    )
    .await
    .expect("create");
    let subject = format!("Re: [#{}] Printer", t.summary.number);
    let (_, body) = post_mail(
        &app,
        &gateway,
        raw_mail(
            &acme_email,
            &subject,
            "r1@client.example",
            "",
            "More detail.",
        ),
    )
    .await;
    assert_eq!(body["outcome"], "reply");
    // Someone at another company guessing the number gets a ticket of their own instead.
    let (_, body) = post_mail(
        &app,
        &gateway,
        raw_mail(
            &globex_email,
            &subject,
            "r2@globex.example",
            "",
            "Let me in.",
        ),
    )
    .await;
    assert_eq!(body["outcome"], "new_ticket");
    assert_ne!(body["ticket_id"], json!(t.summary.id.to_string()));
}

#[tokio::test]
async fn mail_from_an_unknown_sender_is_kept_for_review_and_answered() {
    let app = TestApp::spawn().await;
    let (gateway, _) = app.api_client(Role::SupportManager).await;
    let (_, body) = post_mail(
        &app,
        &gateway,
        raw_mail(
            "stranger@nowhere.example",
            "Help",
            "s1@nowhere.example",
            "",
            "Who are you?",
        ),
    )
    .await;
    assert_eq!(body["outcome"], "review");
    let queued: i64 =
        sqlx::query_scalar("SELECT count(*) FROM inbound_email WHERE outcome = 'review'")
            .fetch_one(&app.db)
            .await
            .expect("count");
    assert_eq!(queued, 1);
    let mails = app.deliver_mail().await;
    let answer = mails
        .iter()
        .find(|m| m.to.iter().any(|t| t.contains("stranger@nowhere.example")))
        .expect("answer to the sender");
    assert!(answer.data.contains("portal"));
    // An auto-reply is kept but never answered (no mail loops).
    let (_, body) = post_mail(
        &app,
        &gateway,
        raw_mail(
            "robot@nowhere.example",
            "Out of office",
            "s2@nowhere.example",
            "Auto-Submitted: auto-replied\r\n",
            "Away.",
        ),
    )
    .await;
    assert_eq!(body["outcome"], "ignored");
    let mails = app.deliver_mail().await;
    assert!(mails
        .iter()
        .all(|m| !m.to.iter().any(|t| t.contains("robot@"))));
}

#[tokio::test]
async fn only_a_support_manager_or_admin_key_may_post_inbound_mail() {
    let app = TestApp::spawn().await;
    let (agent_key, _) = app.api_client(Role::SupportAgent).await;
    let (status, body) = post_mail(
        &app,
        &agent_key,
        raw_mail("a@b.example", "x", "x@b.example", "", "x"),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let anonymous = reqwest::Client::new();
    let (status, _) = post_mail(
        &app,
        &anonymous,
        raw_mail("a@b.example", "x", "y@b.example", "", "x"),
    )
    .await;
    assert_eq!(status, 401);
    let (manager, _) = app.api_client(Role::SupportManager).await;
    let (status, body) = post_mail(&app, &manager, "not a mail at all".into()).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"][0]["field"], "message");
}

#[tokio::test]
async fn rest_raises_lists_changes_and_answers_tickets_with_problem_errors() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let (agent, _) = app.api_client(Role::SupportAgent).await;
    let (rep, _) = app.api_client(Role::SalesRep).await;
    let url = |p: &str| format!("{}/api/v1{p}", app.base);

    let res = agent
        .post(url("/tickets"))
        .json(&json!({ "subject": "", "description": "" }))
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 422);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let res = rep
        .post(url("/tickets"))
        .json(&json!({ "subject": "x", "description": "y", "account_id": acme }))
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 403);

    let res = agent
        .post(url("/tickets"))
        .json(&json!({ "subject": "Printer jams", "description": "Every morning.", "account_id": acme, "priority": "urgent", "tags": ["Front desk"] }))
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 201);
    let t: Value = res.json().await.expect("json");
    assert_eq!(t["channel"], "api");
    assert_eq!(t["tags"], json!(["front desk"]));
    let id = t["id"].as_str().expect("id").to_string();

    let res = agent
        .patch(url(&format!("/tickets/{id}")))
        .json(&json!({ "status": "closed" }))
        .send()
        .await
        .expect("patch");
    assert_eq!(res.status(), 200);
    let res = agent
        .patch(url(&format!("/tickets/{id}")))
        .json(&json!({ "status": "open" }))
        .send()
        .await
        .expect("patch");
    assert_eq!(res.status(), 422);
    let res = agent
        .post(url(&format!("/tickets/{id}/messages")))
        .json(&json!({ "body": "after close" }))
        .send()
        .await
        .expect("reply");
    assert_eq!(res.status(), 409);

    // Found by its text once the worker has followed it.
    app.follow_new_tickets().await;
    let list: Value = rep
        .get(url("/tickets?view=all&q=printer"))
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
    let doc: Value = rep
        .get(url(&format!("/tickets/{id}")))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(doc["ticket"]["status"], "closed");
    assert!(doc["history"].as_array().is_some_and(|h| h.len() >= 2));
    let spec: Value = reqwest::get(url("/openapi.json"))
        .await
        .expect("spec")
        .json()
        .await
        .expect("json");
    assert!(spec["paths"]["/api/v1/tickets"]["get"].is_object());
    assert!(spec["paths"]["/api/v1/inbound-email"]["post"].is_object());
}

#[tokio::test]
async fn files_are_checked_and_served_only_to_those_who_may_see_the_ticket() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let globex = app.account("Globex", None).await;
    let (acme_client, _) = client(&app, acme).await;
    let (_, _, acme_email) = app.client_user(acme).await;
    let (_, _, globex_email) = app.client_user(globex).await;
    let t = tickets::create(
        &app.state,
        &acme_client,
        &new_ticket("Printer"),
        TicketChannel::Portal,
    )
    .await
    .expect("create");
    let browser = app.signed_in(&acme_email).await;
    let upload = |name: &str, ct: &str, bytes: Vec<u8>| {
        reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(bytes)
                .file_name(name.to_string())
                .mime_str(ct)
                .expect("mime"),
        )
    };
    let res = browser
        .post(format!("{}/files/tickets/{}", app.base, t.summary.id))
        .multipart(upload("fake.pdf", "application/pdf", b"<html>".to_vec()))
        .send()
        .await
        .expect("upload");
    let location = |r: &reqwest::Response| {
        r.headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(res.status(), 303);
    assert!(
        location(&res).contains("upload_error="),
        "{}",
        location(&res)
    );
    let res = browser
        .post(format!("{}/files/tickets/{}", app.base, t.summary.id))
        .multipart(upload("note.txt", "text/plain", b"serial 42".to_vec()))
        .send()
        .await
        .expect("upload");
    assert_eq!(location(&res), format!("/portal/tickets/{}", t.summary.id));
    let staff_view = tickets::detail(&app.db, &TestApp::caller(Role::SupportAgent), t.summary.id)
        .await
        .expect("detail");
    assert_eq!(staff_view.attachments.len(), 1);
    let file = staff_view.attachments[0].id;
    let res = browser
        .get(format!("{}/files/{file}", app.base))
        .send()
        .await
        .expect("download");
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap_or_default()
        .starts_with("attachment"));
    assert_eq!(res.text().await.expect("body"), "serial 42");
    let outsider = app.signed_in(&globex_email).await;
    let res = outsider
        .get(format!("{}/files/{file}", app.base))
        .send()
        .await
        .expect("download");
    assert_eq!(res.status(), 404);
    let anonymous = reqwest::Client::new();
    let res = anonymous
        .get(format!("{}/files/{file}", app.base))
        .send()
        .await
        .expect("download");
    assert_eq!(res.status(), 401);
}

/// Opens a page's live event stream at `base` and gives the server a moment to subscribe
/// before the test makes its changes.
async fn open_stream(browser: &reqwest::Client, base: &str) -> reqwest::Response {
    let stream = browser
        .get(format!("{base}/live/tickets"))
        .send()
        .await
        .expect("connect");
    assert_eq!(stream.status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    stream
}

#[tokio::test]
async fn live_updates_reach_the_clients_page_only_for_their_own_tickets() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let globex = app.account("Globex", None).await;
    let (_, _, acme_email) = app.client_user(acme).await;
    let (agent, _, _) = staff(&app, Role::SupportAgent).await;
    let browser = app.signed_in(&acme_email).await;
    let mut stream = open_stream(&browser, &app.base).await;
    let mut input = new_ticket("Globex printer");
    input.account_id = Some(globex);
    tickets::create(&app.state, &agent, &input, TicketChannel::Phone)
        .await
        .expect("globex");
    input.account_id = Some(acme);
    input.subject = "Acme printer".into();
    let mine = tickets::create(&app.state, &agent, &input, TicketChannel::Phone)
        .await
        .expect("acme");
    let received = read_until(&mut stream, "ticket_id").await;
    let first = received
        .lines()
        .find_map(|l| l.strip_prefix("data: "))
        .expect("data line");
    let change: app::types::TicketChanged = serde_json::from_str(first).expect("json");
    assert_eq!(change.ticket_id, mine.summary.id);
    assert_eq!(mine.summary.status, TicketStatus::New);
    let anonymous = reqwest::Client::new();
    let res = anonymous
        .get(format!("{}/live/tickets", app.base))
        .send()
        .await
        .expect("connect");
    assert_eq!(res.status(), 401);
}

/// Reads the event stream until `wanted` appears in it; fails after ten seconds.
async fn read_until(stream: &mut reqwest::Response, wanted: &str) -> String {
    let mut received = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while !received.contains(wanted) {
        match tokio::time::timeout_at(deadline, stream.chunk())
            .await
            .unwrap_or_else(|_| panic!("{wanted} in time; got {received:?}"))
            .expect("stream")
        {
            Some(c) => received.push_str(&String::from_utf8_lossy(&c)),
            None => panic!("stream ended"),
        }
    }
    received
}

#[tokio::test]
async fn open_pages_are_told_to_reload_when_the_instance_may_have_missed_changes() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let (agent, _, agent_email) = staff(&app, Role::SupportAgent).await;
    let browser = app.signed_in(&agent_email).await;
    let mut stream = open_stream(&browser, &app.base).await;
    // Changes committed while the instance's LISTEN connection is gone are never heard, so
    // once it listens again every open page must reload.
    app.drop_listening_connections("steward_tickets").await;
    read_until(&mut stream, "event: resync").await;
    // And it hears changes again.
    let mut input = new_ticket("Raised after the reconnection");
    input.account_id = Some(acme);
    let t = tickets::create(&app.state, &agent, &input, TicketChannel::Phone)
        .await
        .expect("create");
    read_until(&mut stream, &t.summary.id.to_string()).await;
}

#[tokio::test]
async fn a_change_made_on_one_instance_reaches_pages_open_on_another() {
    let app = TestApp::spawn().await;
    let (other_base, _stop) = app.second_instance().await;
    let acme = app.account("Acme", None).await;
    let (agent, _, agent_email) = staff(&app, Role::SupportAgent).await;
    // The agent's browser is connected to the second instance…
    let browser = app.signed_in(&agent_email).await;
    let mut stream = open_stream(&browser, &other_base).await;
    // …and the ticket is raised through the first.
    let mut input = new_ticket("Raised on instance one");
    input.account_id = Some(acme);
    let t = tickets::create(&app.state, &agent, &input, TicketChannel::Phone)
        .await
        .expect("create");
    read_until(&mut stream, &t.summary.id.to_string()).await;
}
