//! The chat websocket with a real websocket client (tokio-tungstenite) against running
//! servers on real PostgreSQL: acks, order, idempotent resends, resume after a dropped
//! connection, limits, refusals, and two instances sharing one database.

use crate::helpers::{TestApp, PASSWORD};
use crate::tickets::staff;
use app::server::auth::{Caller, ClientCaller};
use app::server::chat;
use app::types::{
    AccountId, AgentPresence, ChatMessage, ClientFrame, ConversationId, ResumeFrom, Role,
    ServerFrame, CHAT_PROTOCOL_VERSION,
};
use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use uuid::Uuid;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

const WAIT: Duration = Duration::from_secs(10);

/// The session cookie of a fresh sign-in, as a browser would hold it.
async fn session_cookie(base: &str, email: &str) -> String {
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .post(format!("{base}/api/login"))
        .header("Origin", base)
        .header("Accept", "application/json")
        .form(&[("email", email), ("password", PASSWORD)])
        .send()
        .await
        .expect("sign in");
    assert_eq!(res.status(), 200, "sign-in failed for {email}");
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("steward_session="))
        .and_then(|c| c.split(';').next())
        .expect("session cookie")
        .to_string()
}

/// The upgrade as a browser on our pages sends it: cookie and Origin.
async fn open(base: &str, cookie: Option<&str>, origin: Option<&str>) -> Result<Socket, WsError> {
    let url = format!("{}/ws/chat", base.replacen("http", "ws", 1));
    let mut req = url.into_client_request()?;
    if let Some(c) = cookie {
        req.headers_mut()
            .insert("Cookie", HeaderValue::from_str(c).expect("cookie"));
    }
    if let Some(o) = origin {
        req.headers_mut()
            .insert("Origin", HeaderValue::from_str(o).expect("origin"));
    }
    tokio_tungstenite::connect_async(req).await.map(|(s, _)| s)
}

async fn send(ws: &mut Socket, frame: &ClientFrame) {
    ws.send(Message::text(serde_json::to_string(frame).expect("json")))
        .await
        .expect("send frame");
}

/// The next frame the test cares about (heartbeats skipped); fails after WAIT.
async fn next(ws: &mut Socket) -> ServerFrame {
    loop {
        let msg = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("a frame in time")
            .expect("connection open")
            .expect("frame");
        match msg {
            Message::Text(t) => {
                let frame: ServerFrame = serde_json::from_str(&t).expect("server frame");
                if !matches!(frame, ServerFrame::Heartbeat) {
                    return frame;
                }
            }
            Message::Close(c) => panic!("closed: {c:?}"),
            _ => {}
        }
    }
}

/// Frames until `pick` returns something.
async fn until<T>(ws: &mut Socket, mut pick: impl FnMut(ServerFrame) -> Option<T>) -> T {
    loop {
        if let Some(t) = pick(next(ws).await) {
            return t;
        }
    }
}

/// Connects and says hello; returns the socket after the welcome.
async fn connect(base: &str, cookie: &str, resume: Vec<ResumeFrom>) -> Socket {
    let mut ws = open(base, Some(cookie), Some("http://steward.test"))
        .await
        .expect("upgrade");
    send(
        &mut ws,
        &ClientFrame::Hello {
            v: CHAT_PROTOCOL_VERSION,
            resume,
        },
    )
    .await;
    match next(&mut ws).await {
        ServerFrame::Welcome { .. } => ws,
        other => panic!("expected welcome, got {other:?}"),
    }
}

fn say(c: ConversationId, id: Uuid, text: &str) -> ClientFrame {
    ClientFrame::Send {
        conversation_id: c,
        client_msg_id: id,
        text: text.into(),
        whisper: false,
    }
}

async fn ack(ws: &mut Socket, id: Uuid) -> (i64, bool) {
    until(ws, |f| match f {
        ServerFrame::Ack {
            client_msg_id,
            seq,
            duplicate,
            ..
        } if client_msg_id == id => Some((seq, duplicate)),
        ServerFrame::Error {
            client_msg_id: Some(cid),
            message,
            ..
        } if cid == id => panic!("refused: {message}"),
        _ => None,
    })
    .await
}

async fn message(ws: &mut Socket, c: ConversationId) -> ChatMessage {
    until(ws, |f| match f {
        ServerFrame::Message { message } if message.conversation_id == c => Some(message),
        _ => None,
    })
    .await
}

/// A desk with an agent who has accepted a client's chat.
struct Desk {
    app: TestApp,
    conversation: ConversationId,
    client_cookie: String,
    agent_cookie: String,
    agent: Caller,
    client: Caller,
    acme: AccountId,
}

async fn desk() -> Desk {
    let app = TestApp::spawn().await;
    sqlx::query("UPDATE chat_settings SET offline_outside_hours = false")
        .execute(&app.db)
        .await
        .expect("settings");
    let acme = app.account("Acme", None).await;
    let (agent, _, agent_email) = staff(&app, Role::SupportAgent).await;
    chat::set_presence(&app.db, &agent, AgentPresence::Online)
        .await
        .expect("online");
    let (user, contact, client_email) = app.client_user(acme).await;
    let client = Caller::Client(ClientCaller {
        user_id: user,
        contact_id: contact,
        account_id: acme,
    });
    let started = chat::start(&app.db, &client, "Scanner", None, "Hello?", Uuid::new_v4())
        .await
        .expect("start");
    chat::accept(&app.db, &agent, started.id)
        .await
        .expect("accept");
    let client_cookie = session_cookie(&app.base, &client_email).await;
    let agent_cookie = session_cookie(&app.base, &agent_email).await;
    Desk {
        conversation: started.id,
        client_cookie,
        agent_cookie,
        agent,
        client,
        acme,
        app,
    }
}

/// Messages of the conversation as stored, in order.
async fn stored(app: &TestApp, c: ConversationId) -> Vec<(i64, String)> {
    sqlx::query_as("SELECT seq, body FROM chat_message WHERE conversation_id = $1 ORDER BY seq")
        .bind(c)
        .fetch_all(&app.db)
        .await
        .expect("messages")
}

#[tokio::test]
async fn messages_are_acknowledged_once_stored_and_reach_the_agent_in_order() {
    let d = desk().await;
    let c = d.conversation;
    let mut agent = connect(&d.app.base, &d.agent_cookie, vec![]).await;
    let mut client = connect(&d.app.base, &d.client_cookie, vec![]).await;
    // Both start with the history: the first message (1) and the join line (2).
    assert_eq!(message(&mut agent, c).await.seq, 1);
    assert_eq!(message(&mut agent, c).await.seq, 2);
    let mut seqs = Vec::new();
    for i in 0..5 {
        let id = Uuid::new_v4();
        send(&mut client, &say(c, id, &format!("line {i}"))).await;
        let (seq, duplicate) = ack(&mut client, id).await;
        assert!(!duplicate);
        // Acknowledged means stored.
        let row: Option<String> = sqlx::query_scalar(
            "SELECT body FROM chat_message WHERE conversation_id = $1 AND seq = $2",
        )
        .bind(c)
        .bind(seq)
        .fetch_optional(&d.app.db)
        .await
        .expect("row");
        assert_eq!(row.as_deref(), Some(format!("line {i}").as_str()));
        seqs.push(seq);
    }
    assert_eq!(seqs, vec![3, 4, 5, 6, 7]);
    for i in 0..5 {
        let m = message(&mut agent, c).await;
        assert_eq!((m.seq, m.body), (3 + i, format!("line {i}")));
    }
}

#[tokio::test]
async fn a_message_whose_notice_was_lost_arrives_once_the_instance_listens_again() {
    let d = desk().await;
    let c = d.conversation;
    let mut agent = connect(&d.app.base, &d.agent_cookie, vec![]).await;
    assert_eq!(message(&mut agent, c).await.seq, 1);
    assert_eq!(message(&mut agent, c).await.seq, 2);
    // Stored without a notice, as when it was sent while this instance's LISTEN connection
    // was away; then the database ends that connection.
    sqlx::query(
        "INSERT INTO chat_message (conversation_id, seq, client_msg_id, author_name, author_kind, kind, body)
         VALUES ($1, 3, $2, 'Client', 'client', 'text', 'sent while nobody listened')",
    )
    .bind(c)
    .bind(Uuid::new_v4())
    .execute(&d.app.db)
    .await
    .expect("message");
    d.app.drop_listening_connections("steward_chat").await;
    let m = message(&mut agent, c).await;
    assert_eq!((m.seq, m.body.as_str()), (3, "sent while nobody listened"));
}

#[tokio::test]
async fn a_resend_with_the_same_id_is_acknowledged_as_a_duplicate_and_stored_once() {
    let d = desk().await;
    let c = d.conversation;
    let mut client = connect(&d.app.base, &d.client_cookie, vec![]).await;
    let id = Uuid::new_v4();
    send(&mut client, &say(c, id, "only once")).await;
    let (first, dup) = ack(&mut client, id).await;
    assert!(!dup);
    send(&mut client, &say(c, id, "only once")).await;
    let (again, dup) = ack(&mut client, id).await;
    assert!(dup);
    assert_eq!(first, again);
    let copies = stored(&d.app, c)
        .await
        .into_iter()
        .filter(|(_, b)| b == "only once")
        .count();
    assert_eq!(copies, 1);
}

#[tokio::test]
async fn a_dropped_connection_resumes_without_loss_or_duplicates() {
    let d = desk().await;
    let c = d.conversation;
    let mut client = connect(&d.app.base, &d.client_cookie, vec![]).await;
    let mut agent = connect(&d.app.base, &d.agent_cookie, vec![]).await;
    let mut last_seen = 0;
    for _ in 0..2 {
        last_seen = message(&mut agent, c).await.seq;
    }
    for i in 0..3 {
        let id = Uuid::new_v4();
        send(&mut client, &say(c, id, &format!("before {i}"))).await;
        ack(&mut client, id).await;
        last_seen = message(&mut agent, c).await.seq;
    }
    // The agent's connection drops mid-conversation; the client keeps writing.
    drop(agent);
    for i in 0..4 {
        let id = Uuid::new_v4();
        send(&mut client, &say(c, id, &format!("while away {i}"))).await;
        ack(&mut client, id).await;
    }
    let mut agent = connect(
        &d.app.base,
        &d.agent_cookie,
        vec![ResumeFrom {
            conversation_id: c,
            after_seq: last_seen,
        }],
    )
    .await;
    let mut got = Vec::new();
    for _ in 0..4 {
        let m = message(&mut agent, c).await;
        got.push((m.seq, m.body));
    }
    let expected: Vec<(i64, String)> = (0..4)
        .map(|i| (last_seen + 1 + i, format!("while away {i}")))
        .collect();
    assert_eq!(got, expected, "exactly what was missed, in order");
    // Nothing more arrives twice: the next live message follows on directly.
    let id = Uuid::new_v4();
    send(&mut client, &say(c, id, "back")).await;
    ack(&mut client, id).await;
    let m = message(&mut agent, c).await;
    assert_eq!((m.seq, m.body.as_str()), (last_seen + 5, "back"));
}

#[tokio::test]
async fn a_burst_beyond_the_rate_limit_is_refused_and_not_stored() {
    let d = desk().await;
    let c = d.conversation;
    let mut client = connect(&d.app.base, &d.client_cookie, vec![]).await;
    let ids: Vec<Uuid> = (0..40).map(|_| Uuid::new_v4()).collect();
    for (i, id) in ids.iter().enumerate() {
        send(&mut client, &say(c, *id, &format!("burst {i}"))).await;
    }
    let (mut acked, mut limited) = (0, 0);
    while acked + limited < ids.len() {
        match next(&mut client).await {
            ServerFrame::Ack { .. } => acked += 1,
            ServerFrame::Error { code, .. } if code == "rate_limited" => limited += 1,
            _ => {}
        }
    }
    assert!(limited > 0, "some of 40 at once must be refused");
    assert!(acked >= 20, "the burst allowance is honoured");
    let burst = stored(&d.app, c)
        .await
        .into_iter()
        .filter(|(_, b)| b.starts_with("burst"))
        .count();
    assert_eq!(burst, acked);
}

#[tokio::test]
async fn an_oversized_frame_closes_the_connection_and_an_overlong_text_is_refused() {
    let d = desk().await;
    let c = d.conversation;
    let mut client = connect(&d.app.base, &d.client_cookie, vec![]).await;
    // Over 4000 characters but within the frame limit: an error, nothing stored.
    let id = Uuid::new_v4();
    send(&mut client, &say(c, id, &"x".repeat(4001))).await;
    let code = until(&mut client, |f| match f {
        ServerFrame::Error {
            code,
            client_msg_id: Some(cid),
            ..
        } if cid == id => Some(code),
        _ => None,
    })
    .await;
    assert_eq!(code, "invalid");
    assert!(stored(&d.app, c)
        .await
        .iter()
        .all(|(_, b)| !b.starts_with("xxx")));
    // A frame over 64 KiB ends the connection with 1009.
    send(&mut client, &say(c, Uuid::new_v4(), &"y".repeat(70_000))).await;
    let closed = tokio::time::timeout(WAIT, async {
        loop {
            match client.next().await {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| f.code),
                Some(Ok(_)) => continue,
                _ => return None,
            }
        }
    })
    .await
    .expect("closed in time");
    assert_eq!(closed, Some(CloseCode::Size));
    assert!(stored(&d.app, c)
        .await
        .iter()
        .all(|(_, b)| !b.starts_with("yyy")));
}

#[tokio::test]
async fn foreign_origins_and_missing_sessions_are_refused_at_the_handshake() {
    let d = desk().await;
    let status = |e: WsError| match e {
        WsError::Http(res) => res.status().as_u16(),
        other => panic!("expected an HTTP refusal, got {other:?}"),
    };
    let e = open(
        &d.app.base,
        Some(&d.client_cookie),
        Some("https://evil.example"),
    )
    .await
    .expect_err("refused");
    assert_eq!(status(e), 403);
    let e = open(&d.app.base, Some(&d.client_cookie), None)
        .await
        .expect_err("refused");
    assert_eq!(status(e), 403, "no Origin, no chat");
    let e = open(&d.app.base, None, Some("http://steward.test"))
        .await
        .expect_err("refused");
    assert_eq!(status(e), 401);
    // A first frame that is not hello ends the connection.
    let mut ws = open(
        &d.app.base,
        Some(&d.client_cookie),
        Some("http://steward.test"),
    )
    .await
    .expect("upgrade");
    send(&mut ws, &ClientFrame::Ping).await;
    let closed = tokio::time::timeout(WAIT, async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| f.code),
                Some(Ok(_)) => continue,
                _ => return None,
            }
        }
    })
    .await
    .expect("closed in time");
    assert_eq!(closed, Some(CloseCode::Protocol));
}

#[tokio::test]
async fn a_client_cannot_write_into_or_resume_another_clients_conversation() {
    let d = desk().await;
    let c = d.conversation;
    let other = d.app.account("Other", None).await;
    let (_, _, stranger_email) = d.app.client_user(other).await;
    let (_, _, colleague_email) = d.app.client_user(d.acme).await;
    for email in [stranger_email, colleague_email] {
        let cookie = session_cookie(&d.app.base, &email).await;
        let mut ws = connect(
            &d.app.base,
            &cookie,
            vec![ResumeFrom {
                conversation_id: c,
                after_seq: 0,
            }],
        )
        .await;
        let code = until(&mut ws, |f| match f {
            ServerFrame::Error { code, .. } => Some(code),
            ServerFrame::Message { .. } => panic!("another client's message leaked"),
            _ => None,
        })
        .await;
        assert_eq!(code, "not_found");
        let id = Uuid::new_v4();
        send(&mut ws, &say(c, id, "let me in")).await;
        let code = until(&mut ws, |f| match f {
            ServerFrame::Error {
                code,
                client_msg_id: Some(cid),
                ..
            } if cid == id => Some(code),
            ServerFrame::Message { .. } => panic!("another client's message leaked"),
            _ => None,
        })
        .await;
        assert_eq!(code, "not_found");
        send(
            &mut ws,
            &ClientFrame::Watch {
                conversation_id: c,
                after_seq: 0,
            },
        )
        .await;
        let code = until(&mut ws, |f| match f {
            ServerFrame::Error { code, .. } => Some(code),
            ServerFrame::Message { .. } => panic!("another client's message leaked"),
            _ => None,
        })
        .await;
        assert_eq!(code, "forbidden");
    }
    assert!(stored(&d.app, c)
        .await
        .iter()
        .all(|(_, b)| b != "let me in"));
}

#[tokio::test]
async fn a_sales_rep_cannot_write_and_whispers_never_reach_the_client() {
    let d = desk().await;
    let c = d.conversation;
    let (_, rep_email) = d.app.staff_user(Role::SalesRep).await;
    let rep_cookie = session_cookie(&d.app.base, &rep_email).await;
    let mut rep = connect(&d.app.base, &rep_cookie, vec![]).await;
    let id = Uuid::new_v4();
    send(&mut rep, &say(c, id, "sales here")).await;
    let code = until(&mut rep, |f| match f {
        ServerFrame::Error {
            code,
            client_msg_id: Some(cid),
            ..
        } if cid == id => Some(code),
        _ => None,
    })
    .await;
    assert_eq!(code, "forbidden");

    let mut client = connect(&d.app.base, &d.client_cookie, vec![]).await;
    let mut agent = connect(&d.app.base, &d.agent_cookie, vec![]).await;
    let whisper = Uuid::new_v4();
    send(
        &mut agent,
        &ClientFrame::Send {
            conversation_id: c,
            client_msg_id: whisper,
            text: "internal: check the firmware".into(),
            whisper: true,
        },
    )
    .await;
    ack(&mut agent, whisper).await;
    let public = Uuid::new_v4();
    send(&mut agent, &say(c, public, "Could you restart it?")).await;
    ack(&mut agent, public).await;
    // The client sees the public message and never the whisper before it.
    let m = until(&mut client, |f| match f {
        ServerFrame::Message { message } if message.seq > 2 => Some(message),
        _ => None,
    })
    .await;
    assert_eq!(m.body, "Could you restart it?");
    // Nor on a replay.
    drop(client);
    let mut client = connect(
        &d.app.base,
        &d.client_cookie,
        vec![ResumeFrom {
            conversation_id: c,
            after_seq: 0,
        }],
    )
    .await;
    let mut bodies = Vec::new();
    for _ in 0..3 {
        bodies.push(message(&mut client, c).await.body);
    }
    assert!(bodies.iter().all(|b| !b.contains("firmware")), "{bodies:?}");
    let _ = (&d.agent, &d.client);
}

#[tokio::test]
async fn two_instances_carry_messages_and_typing_both_ways_and_survive_one_dying() {
    let d = desk().await;
    let c = d.conversation;
    let (second, stop_second) = d.app.second_instance().await;
    // The client on the second instance, the agent on the first.
    let mut client = connect(&second, &d.client_cookie, vec![]).await;
    let mut agent = connect(&d.app.base, &d.agent_cookie, vec![]).await;
    for _ in 0..2 {
        message(&mut client, c).await;
        message(&mut agent, c).await;
    }
    send(
        &mut agent,
        &ClientFrame::Typing {
            conversation_id: c,
            typing: true,
        },
    )
    .await;
    let typing = until(&mut client, |f| match f {
        ServerFrame::Typing { typing, staff, .. } => Some((typing, staff)),
        _ => None,
    })
    .await;
    assert_eq!(typing, (true, true));
    let id = Uuid::new_v4();
    send(&mut agent, &say(c, id, "from the first instance")).await;
    ack(&mut agent, id).await;
    let m = message(&mut client, c).await;
    assert_eq!(m.body, "from the first instance");
    let mut client_seen = m.seq;
    send(
        &mut client,
        &ClientFrame::Typing {
            conversation_id: c,
            typing: true,
        },
    )
    .await;
    let typing = until(&mut agent, |f| match f {
        ServerFrame::Typing { typing, staff, .. } => Some((typing, staff)),
        _ => None,
    })
    .await;
    assert_eq!(typing, (true, false));
    let id = Uuid::new_v4();
    send(&mut client, &say(c, id, "from the second instance")).await;
    ack(&mut client, id).await;
    let m = message(&mut agent, c).await;
    assert_eq!(m.body, "from the second instance");
    client_seen = client_seen.max(m.seq);

    // The second instance goes away: its sockets are closed (1001).
    stop_second.send(true).expect("stop");
    let code = tokio::time::timeout(WAIT, async {
        loop {
            match client.next().await {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| f.code),
                Some(Ok(_)) => continue,
                _ => return None,
            }
        }
    })
    .await
    .expect("closed in time");
    assert_eq!(code, Some(CloseCode::Away));
    // Meanwhile the agent writes; the client reconnects to the first instance and resumes.
    for i in 0..3 {
        let id = Uuid::new_v4();
        send(&mut agent, &say(c, id, &format!("while you moved {i}"))).await;
        ack(&mut agent, id).await;
    }
    let mut client = connect(
        &d.app.base,
        &d.client_cookie,
        vec![ResumeFrom {
            conversation_id: c,
            after_seq: client_seen,
        }],
    )
    .await;
    let mut got = Vec::new();
    for _ in 0..3 {
        let m = message(&mut client, c).await;
        got.push((m.seq, m.body));
    }
    let expected: Vec<(i64, String)> = (0..3)
        .map(|i| (client_seen + 1 + i, format!("while you moved {i}")))
        .collect();
    assert_eq!(got, expected);
}

#[tokio::test]
async fn a_client_is_told_their_place_in_the_queue_as_it_moves() {
    let app = TestApp::spawn().await;
    sqlx::query("UPDATE chat_settings SET offline_outside_hours = false, max_chats_per_agent = 1")
        .execute(&app.db)
        .await
        .expect("settings");
    let acme = app.account("Acme", None).await;
    let (agent, _, _) = staff(&app, Role::SupportAgent).await;
    chat::set_presence(&app.db, &agent, AgentPresence::Online)
        .await
        .expect("online");
    let mut clients = Vec::new();
    for topic in ["First", "Second"] {
        let (user, contact, email) = app.client_user(acme).await;
        let caller = Caller::Client(ClientCaller {
            user_id: user,
            contact_id: contact,
            account_id: acme,
        });
        let s = chat::start(&app.db, &caller, topic, None, "Hello", Uuid::new_v4())
            .await
            .expect("start");
        clients.push((s.id, email));
    }
    let cookie = session_cookie(&app.base, &clients[1].1).await;
    let mut second = connect(&app.base, &cookie, vec![]).await;
    // The first chat ends: the second client hears they are now first.
    chat::accept(&app.db, &agent, clients[0].0)
        .await
        .expect("accept");
    let position = until(&mut second, |f| match f {
        ServerFrame::Conversation { conversation }
            if conversation.id == clients[1].0 && conversation.queue_position == Some(1) =>
        {
            Some(1)
        }
        _ => None,
    })
    .await;
    assert_eq!(position, 1);
}
