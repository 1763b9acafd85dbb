//! Live chat through the server functions and file routes the pages use: who may do what,
//! the offline fallback, transcripts, search, settings, and the chat sweep.

use crate::helpers::{TestApp, PASSWORD};
use crate::tickets::staff;
use app::api::chat::{
    AcceptChat, AccountChats, ConvertChatToTicket, EmailChatTranscript, LeaveChatMessage,
    LoadChatInbox, LoadConversation, RateChat, SaveCannedResponse, SaveChatSettings, SearchChats,
    StartChat, TransferChat,
};
use app::server::auth::{Caller, ClientCaller};
use app::server::chat::{self, routing};
use app::types::{
    AccountId, AgentPresence, ConversationId, ConversationStatus, ConversationSummary, Role, UserId,
};
use uuid::Uuid;

struct Client {
    caller: Caller,
    email: String,
    user: UserId,
}

async fn client(app: &TestApp, account: AccountId) -> Client {
    let (user, contact, email) = app.client_user(account).await;
    Client {
        caller: Caller::Client(ClientCaller {
            user_id: user,
            contact_id: contact,
            account_id: account,
        }),
        email,
        user,
    }
}

/// Chat any time of day in tests (the hours rule has its own test).
async fn around_the_clock(app: &TestApp) {
    sqlx::query("UPDATE chat_settings SET offline_outside_hours = false")
        .execute(&app.db)
        .await
        .expect("settings");
}

async fn start(app: &TestApp, c: &Client, topic: &str) -> ConversationSummary {
    chat::start(
        &app.db,
        &c.caller,
        topic,
        None,
        "The scanner is offline.",
        Uuid::new_v4(),
    )
    .await
    .expect("start chat")
}

async fn say(app: &TestApp, who: &Caller, id: ConversationId, text: &str, whisper: bool) {
    let p = chat::participant(&app.db, who).await.expect("participant");
    chat::send(&app.db, &p, id, Uuid::new_v4(), text, whisper)
        .await
        .expect("send");
}

#[tokio::test]
async fn the_inbox_is_for_staff_and_a_client_is_refused() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let c = client(&app, acme).await;
    let browser = app.signed_in(&c.email).await;
    let res = app.call::<LoadChatInbox>(&browser, &[]).await;
    assert_eq!(res.status(), 403);
    let (_, rep_email) = app.staff_user(Role::SalesRep).await;
    let rep = app.signed_in(&rep_email).await;
    assert_eq!(app.call::<LoadChatInbox>(&rep, &[]).await.status(), 200);
}

#[tokio::test]
async fn client_cannot_open_another_clients_conversation() {
    let app = TestApp::spawn().await;
    around_the_clock(&app).await;
    let acme = app.account("Acme", None).await;
    let other = app.account("Other", None).await;
    let (agent, _, _) = staff(&app, Role::SupportAgent).await;
    chat::set_presence(&app.db, &agent, AgentPresence::Online)
        .await
        .expect("online");
    let owner = client(&app, acme).await;
    let colleague = client(&app, acme).await;
    let stranger = client(&app, other).await;
    let conv = start(&app, &owner, "Scanner").await;
    for intruder in [&colleague, &stranger] {
        let browser = app.signed_in(&intruder.email).await;
        let res = app
            .call::<LoadConversation>(&browser, &[("id", conv.id.to_string())])
            .await;
        assert_eq!(res.status(), 404, "{} must not see it", intruder.email);
        let res = app
            .call::<RateChat>(
                &browser,
                &[("id", conv.id.to_string()), ("rating", "1".into())],
            )
            .await;
        assert_eq!(res.status(), 404);
    }
    let browser = app.signed_in(&owner.email).await;
    let res = app
        .call::<LoadConversation>(&browser, &[("id", conv.id.to_string())])
        .await;
    assert_eq!(res.status(), 200);
    let body = res.text().await.expect("body");
    assert!(body.contains("The scanner is offline."));
    assert!(
        !body.contains("open_tickets"),
        "clients get no staff context"
    );
}

#[tokio::test]
async fn a_sales_rep_reads_chats_but_cannot_take_or_convert_them() {
    let app = TestApp::spawn().await;
    around_the_clock(&app).await;
    let acme = app.account("Acme", None).await;
    let (agent, _, _) = staff(&app, Role::SupportAgent).await;
    chat::set_presence(&app.db, &agent, AgentPresence::Online)
        .await
        .expect("online");
    let c = client(&app, acme).await;
    let conv = start(&app, &c, "Scanner").await;
    let (_, rep_email) = app.staff_user(Role::SalesRep).await;
    let rep = app.signed_in(&rep_email).await;
    let id = [("id", conv.id.to_string())];
    assert_eq!(app.call::<LoadConversation>(&rep, &id).await.status(), 200);
    assert_eq!(app.call::<AcceptChat>(&rep, &id).await.status(), 403);
    assert_eq!(
        app.call::<ConvertChatToTicket>(&rep, &id).await.status(),
        403
    );
    let res = app
        .call::<TransferChat>(
            &rep,
            &[
                ("id", conv.id.to_string()),
                ("to_agent", Uuid::new_v4().to_string()),
            ],
        )
        .await;
    assert_eq!(res.status(), 403);
    let rep_caller = TestApp::caller(Role::SalesRep);
    assert!(
        chat::participant(&app.db, &rep_caller).await.is_err(),
        "API keys and user-less callers do not chat"
    );
}

#[tokio::test]
async fn with_nobody_online_the_client_is_told_and_their_message_becomes_a_ticket() {
    let app = TestApp::spawn().await;
    around_the_clock(&app).await;
    let acme = app.account("Acme", None).await;
    let c = client(&app, acme).await;
    let browser = app.signed_in(&c.email).await;
    let res = app
        .call::<StartChat>(
            &browser,
            &[
                ("topic", "Scanner".into()),
                ("text", "Offline since noon".into()),
            ],
        )
        .await;
    assert_eq!(res.status(), 409);
    assert!(res
        .text()
        .await
        .expect("body")
        .contains("No agent is available"));
    let res = app
        .call::<LeaveChatMessage>(
            &browser,
            &[
                ("topic", "Scanner".into()),
                ("text", "Offline since noon".into()),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let (channel, account, description): (String, AccountId, String) = sqlx::query_as(
        "SELECT channel, account_id, description FROM ticket WHERE subject = 'Scanner'",
    )
    .fetch_one(&app.db)
    .await
    .expect("ticket");
    assert_eq!(channel, "chat");
    assert_eq!(account, acme);
    assert_eq!(description, "Offline since noon");
    // An empty message is a field error, and raises nothing.
    let res = app
        .call::<LeaveChatMessage>(&browser, &[("topic", "Empty".into()), ("text", " ".into())])
        .await;
    assert_eq!(res.status(), 422);
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM ticket")
        .fetch_one(&app.db)
        .await
        .expect("count");
    assert_eq!(n, 1);
}

#[tokio::test]
async fn outside_business_hours_chat_takes_messages_only() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let (agent, _, _) = staff(&app, Role::SupportAgent).await;
    chat::set_presence(&app.db, &agent, AgentPresence::Online)
        .await
        .expect("online");
    // A desk open half an hour a day, three hours away from now (UTC).
    use chrono::Timelike;
    let now = chrono::Utc::now();
    let open = (now.hour() as i32 * 60 + now.minute() as i32 + 180) % 1380;
    let days = |m: i32| format!("{{{}}}", vec![m.to_string(); 7].join(","));
    sqlx::query(&format!(
        "UPDATE business_calendar SET time_zone = 'UTC', open_minute = '{}', close_minute = '{}'",
        days(open),
        days(open + 30)
    ))
    .execute(&app.db)
    .await
    .expect("hours");
    let c = client(&app, acme).await;
    let a = chat::availability(&app.db, &c.caller)
        .await
        .expect("availability");
    assert!(!a.open);
    assert!(a.reason.unwrap_or_default().contains("opening hours"));
    around_the_clock(&app).await;
    assert!(
        chat::availability(&app.db, &c.caller)
            .await
            .expect("availability")
            .open
    );
}

#[tokio::test]
async fn the_client_rates_the_chat_and_gets_a_transcript_without_internal_notes() {
    let app = TestApp::spawn().await;
    around_the_clock(&app).await;
    let acme = app.account("Acme", None).await;
    let (agent, _, _) = staff(&app, Role::SupportAgent).await;
    chat::set_presence(&app.db, &agent, AgentPresence::Online)
        .await
        .expect("online");
    let c = client(&app, acme).await;
    let conv = start(&app, &c, "Scanner").await;
    chat::accept(&app.db, &agent, conv.id)
        .await
        .expect("accept");
    say(&app, &agent, conv.id, "Please restart it.", false).await;
    say(
        &app,
        &agent,
        conv.id,
        "Customer is on the old firmware",
        true,
    )
    .await;
    say(&app, &c.caller, conv.id, "It works now.", false).await;
    chat::close(&app.db, &c.caller, conv.id)
        .await
        .expect("close");
    let browser = app.signed_in(&c.email).await;
    let bad = app
        .call::<RateChat>(
            &browser,
            &[("id", conv.id.to_string()), ("rating", "9".into())],
        )
        .await;
    assert_eq!(bad.status(), 422);
    let res = app
        .call::<RateChat>(
            &browser,
            &[
                ("id", conv.id.to_string()),
                ("rating", "5".into()),
                ("comment", "Quick".into()),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let rating: Option<i16> =
        sqlx::query_scalar("SELECT rating FROM chat_conversation WHERE id = $1")
            .bind(conv.id)
            .fetch_one(&app.db)
            .await
            .expect("rating");
    assert_eq!(rating, Some(5));
    let res = app
        .call::<EmailChatTranscript>(&browser, &[("id", conv.id.to_string())])
        .await;
    assert_eq!(res.status(), 200);
    let mails = app.deliver_mail().await;
    let mail = mails
        .iter()
        .find(|m| m.to.iter().any(|t| t.contains(&c.email)))
        .expect("transcript mail");
    let body = mail.data.replace("=\r\n", "");
    assert!(body.contains("Please restart it."));
    assert!(body.contains("It works now."));
    assert!(!body.contains("old firmware"), "whispers stay internal");
}

#[tokio::test]
async fn the_account_lists_its_chats_and_staff_find_them_by_what_was_said() {
    let app = TestApp::spawn().await;
    around_the_clock(&app).await;
    let acme = app.account("Acme", None).await;
    let depot = app.account("Acme depot", Some(acme)).await;
    let (agent, _, agent_email) = staff(&app, Role::SupportAgent).await;
    chat::set_presence(&app.db, &agent, AgentPresence::Online)
        .await
        .expect("online");
    let c = client(&app, depot).await;
    let conv = start(&app, &c, "Handheld").await;
    chat::accept(&app.db, &agent, conv.id)
        .await
        .expect("accept");
    say(
        &app,
        &c.caller,
        conv.id,
        "The barcode laser flickers",
        false,
    )
    .await;
    let browser = app.signed_in(&agent_email).await;
    let res = app
        .call::<AccountChats>(&browser, &[("account", acme.to_string())])
        .await;
    assert_eq!(res.status(), 200);
    assert!(
        res.text().await.expect("body").contains("Handheld"),
        "a location's chats show on the parent account"
    );
    let res = app
        .call::<SearchChats>(&browser, &[("q", "laser".into())])
        .await;
    let hits: Vec<app::types::ChatSearchHit> = res.json().await.expect("json");
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].conversation.id, conv.id);
    assert!(hits[0].excerpt.contains("laser"));
    let none: Vec<app::types::ChatSearchHit> = app
        .call::<SearchChats>(&browser, &[("q", "printer".into())])
        .await
        .json()
        .await
        .expect("json");
    assert!(none.is_empty());
    let client_browser = app.signed_in(&c.email).await;
    assert_eq!(
        app.call::<SearchChats>(&client_browser, &[("q", "laser".into())])
            .await
            .status(),
        403
    );
}

#[tokio::test]
async fn only_support_managers_change_chat_settings_and_canned_responses() {
    let app = TestApp::spawn().await;
    let (_, agent_email) = app.staff_user(Role::SupportAgent).await;
    let (_, manager_email) = app.staff_user(Role::SupportManager).await;
    let settings = |retention: &str| {
        vec![
            ("max_chats_per_agent", "4".to_string()),
            ("max_queue", "6".to_string()),
            ("away_after_minutes", "10".to_string()),
            ("retention_days", retention.to_string()),
        ]
    };
    let agent = app.signed_in(&agent_email).await;
    assert_eq!(
        app.call::<SaveChatSettings>(&agent, &settings(""))
            .await
            .status(),
        403
    );
    let res = app
        .call::<SaveCannedResponse>(
            &agent,
            &[
                ("shortcut", "hi".into()),
                ("title", "Hi".into()),
                ("body", "Hello".into()),
            ],
        )
        .await;
    assert_eq!(res.status(), 403);
    let manager = app.signed_in(&manager_email).await;
    let res = app.call::<SaveChatSettings>(&manager, &settings("5")).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.expect("body").contains("retention_days"));
    assert_eq!(
        app.call::<SaveChatSettings>(&manager, &settings("90"))
            .await
            .status(),
        200
    );
    let saved = chat::repo::settings(&app.db).await.expect("settings");
    assert_eq!(
        (
            saved.max_chats_per_agent,
            saved.max_queue,
            saved.offline_outside_hours,
            saved.retention_days
        ),
        (4, 6, false, Some(90))
    );
    let res = app
        .call::<SaveCannedResponse>(
            &manager,
            &[
                ("shortcut", "two words".into()),
                ("title", "Hi".into()),
                ("body", "Hello".into()),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let res = app
        .call::<SaveCannedResponse>(
            &manager,
            &[
                ("shortcut", "/Hours".into()),
                ("title", "Hours".into()),
                ("body", "9 to 5".into()),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let shortcut: String = sqlx::query_scalar("SELECT shortcut FROM canned_response")
        .fetch_one(&app.db)
        .await
        .expect("canned");
    assert_eq!(shortcut, "hours");
}

#[tokio::test]
async fn a_chat_file_is_served_only_to_people_in_the_conversation() {
    let app = TestApp::spawn().await;
    around_the_clock(&app).await;
    let acme = app.account("Acme", None).await;
    let other = app.account("Other", None).await;
    let (agent, _, agent_email) = staff(&app, Role::SupportAgent).await;
    chat::set_presence(&app.db, &agent, AgentPresence::Online)
        .await
        .expect("online");
    let c = client(&app, acme).await;
    let stranger = client(&app, other).await;
    let conv = start(&app, &c, "Scanner").await;
    let browser = app.signed_in(&c.email).await;
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(b"%PDF-1.4 test".to_vec())
            .file_name("manual.pdf")
            .mime_str("application/pdf")
            .expect("mime"),
    );
    let res = browser
        .post(format!("{}/files/conversations/{}", app.base, conv.id))
        .multipart(form)
        .send()
        .await
        .expect("upload");
    assert_eq!(res.status(), 303);
    let (file, kind): (Uuid, String) = sqlx::query_as(
        "SELECT attachment_id, kind FROM chat_message WHERE conversation_id = $1 AND attachment_id IS NOT NULL",
    )
    .bind(conv.id)
    .fetch_one(&app.db)
    .await
    .expect("file message");
    assert_eq!(kind, "file");
    let agent_browser = app.signed_in(&agent_email).await;
    let res = agent_browser
        .get(format!("{}/files/chat/{file}", app.base))
        .send()
        .await
        .expect("download");
    assert_eq!(res.status(), 200);
    assert!(res
        .headers()
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .starts_with("attachment"));
    let stranger_browser = app.signed_in(&stranger.email).await;
    let res = stranger_browser
        .get(format!("{}/files/chat/{file}", app.base))
        .send()
        .await
        .expect("download");
    assert_eq!(res.status(), 404);
    // A file that is not what it says is refused, and nothing is kept.
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(b"MZ\x90\x00 not a pdf".to_vec())
            .file_name("manual.pdf")
            .mime_str("application/pdf")
            .expect("mime"),
    );
    let res = browser
        .post(format!("{}/files/conversations/{}", app.base, conv.id))
        .multipart(form)
        .send()
        .await
        .expect("upload");
    assert!(res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .contains("upload_error="));
    let files: i64 = sqlx::query_scalar("SELECT count(*) FROM chat_attachment")
        .fetch_one(&app.db)
        .await
        .expect("count");
    assert_eq!(files, 1);
}

#[tokio::test]
async fn an_offer_nobody_accepts_goes_to_the_next_agent() {
    let app = TestApp::spawn().await;
    around_the_clock(&app).await;
    let acme = app.account("Acme", None).await;
    let (first, first_id, _) = staff(&app, Role::SupportAgent).await;
    let (second, second_id, _) = staff(&app, Role::SupportAgent).await;
    for a in [&first, &second] {
        chat::set_presence(&app.db, a, AgentPresence::Online)
            .await
            .expect("online");
    }
    let c = client(&app, acme).await;
    let conv = start(&app, &c, "Scanner").await;
    let offered_to = conv.assignee_id.expect("offered");
    assert!(conv.offered);
    sqlx::query(
        "UPDATE chat_conversation SET offered_at = now() - interval '2 minutes' WHERE id = $1",
    )
    .bind(conv.id)
    .execute(&app.db)
    .await
    .expect("age the offer");
    let swept = routing::sweep(&app.db).await.expect("sweep");
    assert_eq!(swept.offers_withdrawn, 1);
    let now = chat::summary(&app.db, &c.caller, conv.id)
        .await
        .expect("summary");
    let expected = if offered_to == first_id {
        second_id
    } else {
        first_id
    };
    assert_eq!(now.assignee_id, Some(expected), "the other agent gets it");
    assert_eq!(now.status, ConversationStatus::Waiting);
}

#[tokio::test]
async fn an_agent_who_vanishes_has_their_chats_put_back_in_the_queue() {
    let app = TestApp::spawn().await;
    around_the_clock(&app).await;
    let acme = app.account("Acme", None).await;
    let (agent, agent_id, _) = staff(&app, Role::SupportAgent).await;
    chat::set_presence(&app.db, &agent, AgentPresence::Online)
        .await
        .expect("online");
    let c = client(&app, acme).await;
    let conv = start(&app, &c, "Scanner").await;
    chat::accept(&app.db, &agent, conv.id)
        .await
        .expect("accept");
    // Still fresh: nothing moves.
    assert_eq!(
        routing::sweep(&app.db)
            .await
            .expect("sweep")
            .orphans_requeued,
        0
    );
    // Their server instance died: no heartbeat for five minutes.
    sqlx::query(
        "UPDATE agent_presence SET seen_at = now() - interval '5 minutes' WHERE user_id = $1",
    )
    .bind(agent_id)
    .execute(&app.db)
    .await
    .expect("stale");
    let swept = routing::sweep(&app.db).await.expect("sweep");
    assert_eq!(swept.orphans_requeued, 1);
    let now = chat::summary(&app.db, &c.caller, conv.id)
        .await
        .expect("summary");
    assert_eq!(now.status, ConversationStatus::Waiting);
    assert_eq!(now.assignee_id, None);
    let detail = chat::detail(&app.db, &c.caller, conv.id)
        .await
        .expect("detail");
    assert!(detail
        .messages
        .iter()
        .any(|m| m.body.contains("was disconnected")));
    let presence: String =
        sqlx::query_scalar("SELECT status FROM agent_presence WHERE user_id = $1")
            .bind(agent_id)
            .fetch_one(&app.db)
            .await
            .expect("presence");
    assert_eq!(presence, "offline");
}

#[tokio::test]
async fn retention_deletes_closed_chats_past_the_limit_and_keeps_the_rest() {
    let app = TestApp::spawn().await;
    around_the_clock(&app).await;
    let acme = app.account("Acme", None).await;
    let (agent, _, _) = staff(&app, Role::SupportAgent).await;
    chat::set_presence(&app.db, &agent, AgentPresence::Online)
        .await
        .expect("online");
    let c = client(&app, acme).await;
    let old = start(&app, &c, "Old").await;
    chat::close(&app.db, &c.caller, old.id)
        .await
        .expect("close");
    let recent = start(&app, &c, "Recent").await;
    chat::close(&app.db, &c.caller, recent.id)
        .await
        .expect("close");
    sqlx::query(
        "UPDATE chat_conversation SET closed_at = now() - interval '40 days' WHERE id = $1",
    )
    .bind(old.id)
    .execute(&app.db)
    .await
    .expect("age");
    assert_eq!(
        routing::sweep(&app.db).await.expect("sweep").purged,
        0,
        "kept forever by default"
    );
    sqlx::query("UPDATE chat_settings SET retention_days = 30")
        .execute(&app.db)
        .await
        .expect("retention");
    assert_eq!(routing::sweep(&app.db).await.expect("sweep").purged, 1);
    let left: Vec<String> = sqlx::query_scalar("SELECT topic FROM chat_conversation")
        .fetch_all(&app.db)
        .await
        .expect("left");
    assert_eq!(left, vec!["Recent".to_string()]);
    let _ = (PASSWORD, c.user);
}

#[tokio::test]
async fn transfer_and_invite_follow_who_is_in_the_chat() {
    let app = TestApp::spawn().await;
    around_the_clock(&app).await;
    let acme = app.account("Acme", None).await;
    let (agent, _, _) = staff(&app, Role::SupportAgent).await;
    let (other, other_id, _) = staff(&app, Role::SupportAgent).await;
    let (_, supervisor_id, _) = staff(&app, Role::SupportManager).await;
    chat::set_presence(&app.db, &agent, AgentPresence::Online)
        .await
        .expect("online");
    let c = client(&app, acme).await;
    let conv = start(&app, &c, "Scanner").await;
    chat::accept(&app.db, &agent, conv.id)
        .await
        .expect("accept");
    // Someone else's chat: an agent may not transfer it, nor invite into it.
    assert!(
        chat::transfer(&app.db, &other, conv.id, Some(other_id), None)
            .await
            .is_err()
    );
    assert!(chat::invite(&app.db, &other, conv.id, other_id)
        .await
        .is_err());
    let other_side = chat::participant(&app.db, &other)
        .await
        .expect("participant");
    assert!(
        chat::send(&app.db, &other_side, conv.id, Uuid::new_v4(), "hi", false)
            .await
            .is_err()
    );
    // The assignee invites a supervisor, who may then write; then transfers the chat.
    chat::invite(&app.db, &agent, conv.id, supervisor_id)
        .await
        .expect("invite");
    chat::transfer(&app.db, &agent, conv.id, Some(other_id), None)
        .await
        .expect("transfer");
    let now = chat::summary(&app.db, &c.caller, conv.id)
        .await
        .expect("summary");
    assert_eq!(now.assignee_id, Some(other_id));
    assert_eq!(now.status, ConversationStatus::Active);
    chat::send(
        &app.db,
        &other_side,
        conv.id,
        Uuid::new_v4(),
        "I'll take it from here",
        false,
    )
    .await
    .expect("the new assignee writes");
    let detail = chat::detail(&app.db, &c.caller, conv.id)
        .await
        .expect("detail");
    let lines: Vec<&str> = detail.messages.iter().map(|m| m.body.as_str()).collect();
    assert!(lines.iter().any(|l| l.contains("invited")));
    assert!(lines.iter().any(|l| l.contains("transferred the chat to")));
    assert_eq!(detail.participants.len(), 1);
}

#[tokio::test]
async fn a_supervisor_sets_an_agents_own_limit_and_routing_respects_it() {
    use app::api::chat::SetAgentChatLimit;
    let app = TestApp::spawn().await;
    around_the_clock(&app).await;
    let acme = app.account("Acme", None).await;
    let (agent, agent_id, agent_email) = staff(&app, Role::SupportAgent).await;
    let (_, manager_email) = app.staff_user(Role::SupportManager).await;
    let form = |limit: &str| {
        vec![
            ("user_id", agent_id.to_string()),
            ("max_chats", limit.to_string()),
        ]
    };
    let by_agent = app.signed_in(&agent_email).await;
    assert_eq!(
        app.call::<SetAgentChatLimit>(&by_agent, &form("9"))
            .await
            .status(),
        403
    );
    let manager = app.signed_in(&manager_email).await;
    assert_eq!(
        app.call::<SetAgentChatLimit>(&manager, &form("0"))
            .await
            .status(),
        422
    );
    assert_eq!(
        app.call::<SetAgentChatLimit>(&manager, &form("1"))
            .await
            .status(),
        200
    );
    chat::set_presence(&app.db, &agent, AgentPresence::Online)
        .await
        .expect("online");
    let first = start(&app, &client(&app, acme).await, "First").await;
    assert_eq!(first.assignee_id, Some(agent_id));
    let second = start(&app, &client(&app, acme).await, "Second").await;
    assert_eq!(
        second.assignee_id, None,
        "the agent is at their limit of one"
    );
    assert_eq!(second.queue_position, Some(2));
    // Back to the desk's default (3): the waiting chat is offered at once.
    assert_eq!(
        app.call::<SetAgentChatLimit>(&manager, &form(""))
            .await
            .status(),
        200
    );
    let (assignee,): (Option<UserId>,) =
        sqlx::query_as("SELECT assignee_id FROM chat_conversation WHERE id = $1")
            .bind(second.id)
            .fetch_one(&app.db)
            .await
            .expect("row");
    assert_eq!(assignee, Some(agent_id));
}
