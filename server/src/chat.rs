//! The chat websocket (`GET /ws/chat`) and this instance's fan-out of chat notices.
//!
//! A connection is authenticated by the session cookie (resolved by the middleware like
//! any request) and must come from our own Origin. Frames are `app::types::ClientFrame`
//! and `ServerFrame` (JSON, protocol version 1, docs/CHAT.md). A message is acknowledged
//! only after it is committed; every instance hears of it through PostgreSQL NOTIFY and
//! hands it to the connections following the conversation. Connections track the last
//! sequence number delivered per conversation: older ones are skipped, a gap is filled
//! from the database, so a lost notice or a reconnect loses and duplicates nothing.

use crate::middleware::origin_allowed;
use app::error::AppError;
use app::server::auth::Caller;
use app::server::chat::{self, repo, ChatNotice, Participant, NOTICE_CHANNEL};
use app::server::{AppState, ServiceError};
use app::types::{
    AgentPresence, ClientFrame, ConversationId, ServerFrame, UserId, CHAT_PROTOCOL_VERSION,
    CLOSE_RATE_LIMITED, CLOSE_SIGNED_OUT, CLOSE_TOO_SLOW, MAX_CHAT_FRAME_BYTES,
};
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use sqlx::postgres::PgListener;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

pub const HEARTBEAT: Duration = Duration::from_secs(20);
/// A connection silent (no frame, no pong) this long is dead.
const IDLE_LIMIT: Duration = Duration::from_secs(65);
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
/// Frames queued for a connection before it counts as too slow and is closed (it resumes).
const OUTBOX: usize = 1024;
/// Messages a connection may send: a burst, then this many per second.
const SEND_BURST: f64 = 20.0;
const SEND_RATE: f64 = 5.0;
/// Refused sends before the connection is closed.
const STRIKES: u32 = 50;

/// What the hub hands a connection.
#[derive(Debug, Clone)]
enum Outbound {
    /// A frame ready to send.
    Frame(Utf8Bytes),
    /// A stored message (`seq`), ready to send unless already delivered.
    Message {
        c: ConversationId,
        seq: i64,
        frame: Utf8Bytes,
    },
    /// Start following a conversation: send what was missed, then live messages.
    Follow(ConversationId),
    /// Notices may have been missed (the LISTEN connection dropped): catch up everything.
    CatchUp,
}

struct Conn {
    user: UserId,
    staff: bool,
    tx: mpsc::Sender<Outbound>,
}

#[derive(Default)]
struct Registry {
    conns: HashMap<u64, Conn>,
    by_conversation: HashMap<ConversationId, HashSet<u64>>,
    by_user: HashMap<UserId, HashSet<u64>>,
}

impl Registry {
    fn send(&mut self, id: u64, out: Outbound) {
        let full = match self.conns.get(&id) {
            Some(conn) => conn.tx.try_send(out).is_err(),
            None => false,
        };
        if full {
            // Too slow (or gone): dropping its sender closes it; it will resume.
            self.remove(id);
        }
    }

    fn remove(&mut self, id: u64) {
        if let Some(conn) = self.conns.remove(&id) {
            if let Some(set) = self.by_user.get_mut(&conn.user) {
                set.remove(&id);
                if set.is_empty() {
                    self.by_user.remove(&conn.user);
                }
            }
        }
        self.by_conversation.retain(|_, set| {
            set.remove(&id);
            !set.is_empty()
        });
    }

    fn follow(&mut self, id: u64, c: ConversationId) -> bool {
        if !self.conns.contains_key(&id) {
            return false;
        }
        self.by_conversation.entry(c).or_default().insert(id)
    }

    fn followers(&self, c: ConversationId) -> Vec<u64> {
        self.by_conversation
            .get(&c)
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default()
    }
}

/// This instance's chat connections and the task that feeds them from NOTIFY.
#[derive(Clone)]
pub struct ChatHub {
    registry: Arc<Mutex<Registry>>,
    next_id: Arc<AtomicU64>,
    shutdown: watch::Receiver<bool>,
    stop: Arc<watch::Sender<bool>>,
}

impl ChatHub {
    pub fn start(state: &AppState) -> Self {
        let (stop, shutdown) = watch::channel(false);
        let hub = ChatHub {
            registry: Arc::default(),
            next_id: Arc::new(AtomicU64::new(1)),
            shutdown,
            stop: Arc::new(stop),
        };
        tokio::spawn(listen(state.db.clone(), hub.clone()));
        hub
    }

    /// Closes every connection (1001, going away) and stops listening: the instance is
    /// leaving; clients reconnect to another one and resume.
    pub fn shut_down(&self) {
        let _ = self.stop.send(true);
    }

    fn registry(&self) -> std::sync::MutexGuard<'_, Registry> {
        // A panic while holding the lock cannot leave the maps inconsistent in a way
        // that matters more than losing all chat delivery, so carry on.
        self.registry.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn register(&self, user: UserId, staff: bool, tx: mpsc::Sender<Outbound>) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut r = self.registry();
        r.conns.insert(id, Conn { user, staff, tx });
        r.by_user.entry(user).or_default().insert(id);
        id
    }

    pub fn connections(&self) -> usize {
        self.registry().conns.len()
    }

    /// Delivers one notice to the connections here that should have it.
    async fn deliver(&self, db: &sqlx::PgPool, notice: ChatNotice) {
        match notice {
            ChatNotice::Message { c, seq, whisper, m } => {
                let message = match m {
                    Some(m) => Some(m),
                    None => repo::message(db, c, seq).await.ok().flatten(),
                };
                let Some(message) = message else { return };
                let frame = frame(&ServerFrame::Message { message });
                let mut r = self.registry();
                for id in r.followers(c) {
                    if whisper && !r.conns.get(&id).is_some_and(|x| x.staff) {
                        continue;
                    }
                    r.send(
                        id,
                        Outbound::Message {
                            c,
                            seq,
                            frame: frame.clone(),
                        },
                    );
                }
            }
            ChatNotice::Typing {
                c,
                user,
                name,
                staff,
                typing,
            } => {
                let frame = frame(&ServerFrame::Typing {
                    conversation_id: c,
                    name,
                    staff,
                    typing,
                });
                let mut r = self.registry();
                for id in r.followers(c) {
                    if r.conns.get(&id).is_some_and(|x| x.user != user) {
                        r.send(id, Outbound::Frame(frame.clone()));
                    }
                }
            }
            ChatNotice::Read { c, by_staff, seq } => {
                let frame = frame(&ServerFrame::Read {
                    conversation_id: c,
                    by_staff,
                    seq,
                });
                let mut r = self.registry();
                for id in r.followers(c) {
                    r.send(id, Outbound::Frame(frame.clone()));
                }
            }
            ChatNotice::Changed { c } => self.changed(db, c).await,
            ChatNotice::Presence { user, status } => {
                self.to_staff(frame(&ServerFrame::Presence {
                    user_id: user,
                    status,
                }));
                self.to_staff(frame(&ServerFrame::Inbox));
            }
        }
    }

    fn to_staff(&self, frame: Utf8Bytes) {
        let mut r = self.registry();
        let staff: Vec<u64> = r
            .conns
            .iter()
            .filter(|(_, c)| c.staff)
            .map(|(id, _)| *id)
            .collect();
        for id in staff {
            r.send(id, Outbound::Frame(frame.clone()));
        }
    }

    async fn changed(&self, db: &sqlx::PgPool, c: ConversationId) {
        let Ok(Some(row)) = repo::summary(db, c).await else {
            return;
        };
        let client = row.client_user_id;
        let summary = row.summary();
        let assignee = summary.assignee_id;
        let participants: Vec<UserId> =
            sqlx::query_scalar("SELECT user_id FROM chat_participant WHERE conversation_id = $1")
                .bind(c)
                .fetch_all(db)
                .await
                .unwrap_or_default();
        let frame_changed = frame(&ServerFrame::Conversation {
            conversation: summary,
        });
        {
            let mut r = self.registry();
            // The client, the assignee and invited staff follow it from now on.
            let mut people: Vec<UserId> = participants;
            people.extend(client);
            people.extend(assignee);
            for user in people {
                let conns: Vec<u64> = r
                    .by_user
                    .get(&user)
                    .map(|s| s.iter().copied().collect())
                    .unwrap_or_default();
                for id in conns {
                    if r.follow(id, c) {
                        r.send(id, Outbound::Follow(c));
                    }
                }
            }
            for id in r.followers(c) {
                r.send(id, Outbound::Frame(frame_changed.clone()));
            }
        }
        self.to_staff(frame(&ServerFrame::Inbox));
        // The queue moved: clients still waiting here get their new position.
        let waiting: Vec<ConversationId> = sqlx::query_scalar(
            "SELECT id FROM chat_conversation WHERE status = 'waiting' AND id <> $1",
        )
        .bind(c)
        .fetch_all(db)
        .await
        .unwrap_or_default();
        let local: Vec<ConversationId> = {
            let r = self.registry();
            waiting
                .into_iter()
                .filter(|w| r.by_conversation.contains_key(w))
                .collect()
        };
        for w in local {
            if let Ok(Some(row)) = repo::summary(db, w).await {
                let f = frame(&ServerFrame::Conversation {
                    conversation: row.summary(),
                });
                let mut r = self.registry();
                for id in r.followers(w) {
                    r.send(id, Outbound::Frame(f.clone()));
                }
            }
        }
    }
}

/// Resolves once the hub is shutting down (the guard is dropped before it returns).
async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}

fn frame(f: &ServerFrame) -> Utf8Bytes {
    Utf8Bytes::from(serde_json::to_string(f).unwrap_or_else(|_| "{}".into()))
}

async fn listen(db: sqlx::PgPool, hub: ChatHub) {
    let listening = crate::startup::listener_pool(&db);
    let mut shutdown = hub.shutdown.clone();
    let mut first = true;
    'connect: loop {
        match PgListener::connect_with(&listening).await {
            Ok(mut listener) => match listener.listen(NOTICE_CHANNEL).await {
                Ok(()) => {
                    if !first {
                        // Notices sent while we were away are lost: everyone catches up.
                        let mut r = hub.registry();
                        let ids: Vec<u64> = r.conns.keys().copied().collect();
                        for id in ids {
                            r.send(id, Outbound::CatchUp);
                        }
                    }
                    first = false;
                    loop {
                        tokio::select! {
                            // try_recv, not recv: recv would reconnect silently, and the
                            // notices lost meanwhile would never be caught up.
                            n = listener.try_recv() => match n {
                                Ok(Some(n)) => match serde_json::from_str::<ChatNotice>(n.payload()) {
                                    Ok(notice) => hub.deliver(&db, notice).await,
                                    Err(e) => tracing::warn!(error = %e, "bad chat notice"),
                                },
                                Ok(None) => {
                                    tracing::warn!("chat LISTEN connection lost; reopening");
                                    continue 'connect;
                                }
                                Err(e) => {
                                    tracing::warn!(error = %e, "chat notice stream broke; reconnecting");
                                    break;
                                }
                            },
                            _ = stopped(&mut shutdown) => return,
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "LISTEN steward_chat failed"),
            },
            Err(e) => tracing::warn!(error = %e, "cannot open the chat LISTEN connection"),
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = stopped(&mut shutdown) => return,
        }
    }
}

/// `GET /ws/chat`: upgrades a signed-in client's or agent's request from our own pages.
pub async fn connect(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    Extension(hub): Extension<ChatHub>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
) -> Response {
    if !origin_allowed(&headers, &state.settings.public_url, true) {
        tracing::warn!("chat connection from a foreign origin refused");
        return (StatusCode::FORBIDDEN, "Cross-site connection refused").into_response();
    }
    let who = match chat::participant(&state.db, &caller).await {
        Ok(who) => who,
        Err(ServiceError::Unauthenticated) => {
            return (StatusCode::UNAUTHORIZED, "Sign in first").into_response()
        }
        Err(ServiceError::Forbidden) => {
            return (StatusCode::FORBIDDEN, "Chat is for people signed in").into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "chat: caller lookup failed");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    // A small read buffer: the default 128 KiB per connection would make ten thousand idle
    // connections cost over a gigabyte; frames larger than it still arrive whole.
    ws.read_buffer_size(4 * 1024)
        .write_buffer_size(4 * 1024)
        .max_message_size(MAX_CHAT_FRAME_BYTES)
        .max_frame_size(MAX_CHAT_FRAME_BYTES)
        .on_upgrade(move |socket| async move {
            Connection::run(socket, state, hub, caller, who).await;
        })
}

/// A token bucket: `burst` at once, refilled at `rate` per second.
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn full() -> Self {
        Bucket {
            tokens: SEND_BURST,
            at: Instant::now(),
        }
    }

    fn take(&mut self) -> bool {
        let now = Instant::now();
        self.tokens =
            (self.tokens + now.duration_since(self.at).as_secs_f64() * SEND_RATE).min(SEND_BURST);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

struct Connection {
    socket: WebSocket,
    state: AppState,
    hub: ChatHub,
    caller: Caller,
    who: Participant,
    id: u64,
    /// Last sequence number delivered, per followed conversation.
    delivered: HashMap<ConversationId, i64>,
    bucket: Bucket,
    typing_at: HashMap<ConversationId, Instant>,
    strikes: u32,
    heard: Instant,
}

/// Why a connection ends, and the close code it gets.
enum End {
    Closed,
    Code(u16, &'static str),
}

impl Connection {
    async fn run(
        socket: WebSocket,
        state: AppState,
        hub: ChatHub,
        caller: Caller,
        who: Participant,
    ) {
        let (tx, rx) = mpsc::channel(OUTBOX);
        let id = hub.register(who.user_id, who.staff, tx);
        let mut conn = Connection {
            socket,
            state,
            hub: hub.clone(),
            caller,
            who,
            id,
            delivered: HashMap::new(),
            bucket: Bucket::full(),
            typing_at: HashMap::new(),
            strikes: 0,
            heard: Instant::now(),
        };
        let end = conn.serve(rx).await;
        hub.registry().remove(id);
        if let End::Code(code, reason) = end {
            let _ = conn
                .socket
                .send(Message::Close(Some(CloseFrame {
                    code,
                    reason: Utf8Bytes::from_static(reason),
                })))
                .await;
        }
    }

    async fn serve(&mut self, mut rx: mpsc::Receiver<Outbound>) -> End {
        let mut shutdown = self.hub.shutdown.clone();
        // The first frame must be a hello with our protocol version.
        let hello = tokio::select! {
            f = tokio::time::timeout(HELLO_TIMEOUT, self.socket.recv()) => f,
            _ = stopped(&mut shutdown) => return End::Code(1001, "server going away"),
        };
        let resume = match hello {
            Ok(Some(Ok(Message::Text(text)))) => match serde_json::from_str::<ClientFrame>(&text) {
                Ok(ClientFrame::Hello { v, resume }) if v == CHAT_PROTOCOL_VERSION => resume,
                Ok(ClientFrame::Hello { .. }) => {
                    self.error("version", "unsupported protocol version", None, None)
                        .await;
                    return End::Code(1002, "unsupported protocol version");
                }
                _ => return End::Code(1002, "expected hello"),
            },
            Ok(Some(Ok(Message::Close(_)))) | Ok(None) => return End::Closed,
            Err(_) => return End::Code(1008, "no hello"),
            _ => return End::Code(1002, "expected hello"),
        };
        if let Err(end) = self.welcome(resume).await {
            return end;
        }
        let mut beat = tokio::time::interval(HEARTBEAT);
        beat.tick().await;
        loop {
            tokio::select! {
                incoming = self.socket.recv() => {
                    self.heard = Instant::now();
                    match incoming {
                        Some(Ok(Message::Text(text))) => {
                            if let Err(end) = self.on_text(&text).await {
                                return end;
                            }
                        }
                        Some(Ok(Message::Binary(_))) => {
                            self.error("bad_frame", "frames are JSON text", None, None).await;
                        }
                        Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                        Some(Ok(Message::Close(_))) | None => return End::Closed,
                        // Oversized frames and protocol errors end here.
                        Some(Err(e)) => {
                            tracing::debug!(error = %e, "chat connection error");
                            return if e.to_string().contains("too long") || e.to_string().contains("too big") {
                                End::Code(1009, "message too big")
                            } else {
                                End::Closed
                            };
                        }
                    }
                }
                out = rx.recv() => match out {
                    Some(out) => {
                        if let Err(end) = self.on_outbound(out).await {
                            return end;
                        }
                    }
                    None => return End::Code(CLOSE_TOO_SLOW, "too slow; resume"),
                },
                _ = beat.tick() => {
                    if self.heard.elapsed() > IDLE_LIMIT {
                        return End::Code(1001, "no heartbeat");
                    }
                    if self.send(frame(&ServerFrame::Heartbeat)).await.is_err()
                        || self.socket.send(Message::Ping(Default::default())).await.is_err()
                    {
                        return End::Closed;
                    }
                    if let Err(end) = self.keep_presence().await {
                        return end;
                    }
                }
                _ = stopped(&mut shutdown) => return End::Code(1001, "server going away"),
            }
        }
    }

    async fn send(&mut self, text: Utf8Bytes) -> Result<(), End> {
        self.socket
            .send(Message::Text(text))
            .await
            .map_err(|_| End::Closed)
    }

    async fn error(
        &mut self,
        code: &str,
        message: &str,
        client_msg_id: Option<uuid::Uuid>,
        conversation_id: Option<ConversationId>,
    ) {
        let _ = self
            .send(frame(&ServerFrame::Error {
                code: code.into(),
                message: message.into(),
                client_msg_id,
                conversation_id,
            }))
            .await;
    }

    async fn welcome(&mut self, resume: Vec<app::types::ResumeFrom>) -> Result<(), End> {
        let db = self.state.db.clone();
        self.send(frame(&ServerFrame::Welcome {
            v: CHAT_PROTOCOL_VERSION,
            user_id: self.who.user_id,
            name: self.who.name.clone(),
            staff: self.who.staff,
            heartbeat_secs: HEARTBEAT.as_secs(),
        }))
        .await?;
        if self.who.works {
            // Opening the console brings an offline agent online; away stays away.
            let (presence, _) = repo::presence_of(&db, self.who.user_id)
                .await
                .map_err(|_| End::Code(1011, "database unavailable"))?;
            if presence == AgentPresence::Offline {
                let _ = chat::set_presence(&db, &self.caller, AgentPresence::Online).await;
            } else {
                let _ = repo::touch_presence(&db, self.who.user_id).await;
            }
        }
        let followed = chat::followed(&db, &self.who)
            .await
            .map_err(|_| End::Code(1011, "database unavailable"))?;
        let mut from: HashMap<ConversationId, i64> = followed.into_iter().map(|c| (c, 0)).collect();
        for r in resume {
            // Only conversations the caller may read; the rest are answered not_found.
            match repo::access(&db, r.conversation_id, Some(self.who.user_id)).await {
                Ok(Some(a)) if self.who.can_read(&a) => {
                    from.insert(r.conversation_id, r.after_seq.max(0));
                }
                Ok(_) => {
                    self.error(
                        "not_found",
                        "no such conversation",
                        None,
                        Some(r.conversation_id),
                    )
                    .await
                }
                Err(_) => return Err(End::Code(1011, "database unavailable")),
            }
        }
        for (c, after) in from {
            self.delivered.insert(c, after);
            self.hub.registry().follow(self.id, c);
            self.catch_up(c).await?;
        }
        Ok(())
    }

    /// Sends what the connection has not had of a conversation, from the database.
    async fn catch_up(&mut self, c: ConversationId) -> Result<(), End> {
        let after = self.delivered.get(&c).copied().unwrap_or(0);
        let messages = match chat::messages_after(&self.state.db, &self.who, c, after).await {
            Ok(m) => m,
            Err(ServiceError::NotFound) => return Ok(()),
            Err(_) => return Err(End::Code(1011, "database unavailable")),
        };
        for message in messages {
            let seq = message.seq;
            self.send(frame(&ServerFrame::Message { message })).await?;
            self.delivered.insert(c, seq);
        }
        Ok(())
    }

    async fn on_outbound(&mut self, out: Outbound) -> Result<(), End> {
        match out {
            Outbound::Frame(f) => self.send(f).await,
            Outbound::Message { c, seq, frame } => {
                let last = self.delivered.get(&c).copied().unwrap_or(0);
                if seq <= last {
                    Ok(())
                } else if seq == last + 1 {
                    self.delivered.insert(c, seq);
                    self.send(frame).await
                } else {
                    // A gap: a notice was missed; the database has everything.
                    self.catch_up(c).await
                }
            }
            Outbound::Follow(c) => {
                self.delivered.entry(c).or_insert(0);
                self.catch_up(c).await
            }
            Outbound::CatchUp => {
                let followed: Vec<ConversationId> = self.delivered.keys().copied().collect();
                for c in followed {
                    self.catch_up(c).await?;
                }
                Ok(())
            }
        }
    }

    async fn keep_presence(&mut self) -> Result<(), End> {
        let db = &self.state.db;
        let active: Option<bool> =
            sqlx::query_scalar("SELECT is_active FROM app_user WHERE id = $1")
                .bind(self.who.user_id)
                .fetch_optional(db)
                .await
                .unwrap_or(Some(true));
        if active != Some(true) {
            return Err(End::Code(CLOSE_SIGNED_OUT, "signed out"));
        }
        if self.who.works {
            let _ = repo::touch_presence(db, self.who.user_id).await;
        }
        Ok(())
    }

    fn strike(&mut self) -> Result<(), End> {
        self.strikes += 1;
        if self.strikes > STRIKES {
            Err(End::Code(CLOSE_RATE_LIMITED, "too many refused frames"))
        } else {
            Ok(())
        }
    }

    async fn on_text(&mut self, text: &str) -> Result<(), End> {
        let frame_in = match serde_json::from_str::<ClientFrame>(text) {
            Ok(f) => f,
            Err(e) => {
                self.error("bad_frame", &format!("not a chat frame: {e}"), None, None)
                    .await;
                return self.strike();
            }
        };
        let db = self.state.db.clone();
        match frame_in {
            ClientFrame::Hello { .. } => {
                self.error("bad_frame", "already said hello", None, None)
                    .await;
                self.strike()
            }
            ClientFrame::Ping => self.send(frame(&ServerFrame::Pong)).await,
            ClientFrame::Send {
                conversation_id,
                client_msg_id,
                text,
                whisper,
            } => {
                if !self.bucket.take() {
                    self.error(
                        "rate_limited",
                        "slow down: too many messages",
                        Some(client_msg_id),
                        Some(conversation_id),
                    )
                    .await;
                    return self.strike();
                }
                match chat::send(
                    &db,
                    &self.who,
                    conversation_id,
                    client_msg_id,
                    &text,
                    whisper,
                )
                .await
                {
                    Ok(sent) => {
                        self.send(frame(&ServerFrame::Ack {
                            conversation_id,
                            client_msg_id,
                            seq: sent.message.seq,
                            at: sent.message.created_at,
                            duplicate: sent.duplicate,
                        }))
                        .await?;
                        // Follow what we write in (an agent answering an offered chat).
                        if self.hub.registry().follow(self.id, conversation_id) {
                            self.delivered.entry(conversation_id).or_insert(0);
                            self.catch_up(conversation_id).await?;
                        }
                        Ok(())
                    }
                    Err(e) => {
                        let (code, message) = describe(e);
                        self.error(&code, &message, Some(client_msg_id), Some(conversation_id))
                            .await;
                        if code == "unavailable" {
                            Ok(())
                        } else {
                            self.strike()
                        }
                    }
                }
            }
            ClientFrame::Typing {
                conversation_id,
                typing,
            } => {
                // At most one typing signal per second per conversation goes out.
                let now = Instant::now();
                if typing
                    && self
                        .typing_at
                        .get(&conversation_id)
                        .is_some_and(|t| now.duration_since(*t) < Duration::from_secs(1))
                {
                    return Ok(());
                }
                self.typing_at.insert(conversation_id, now);
                if let Err(e) = chat::typing(&db, &self.who, conversation_id, typing).await {
                    let (code, message) = describe(e);
                    self.error(&code, &message, None, Some(conversation_id))
                        .await;
                    return self.strike();
                }
                Ok(())
            }
            ClientFrame::Read {
                conversation_id,
                seq,
            } => {
                if let Err(e) = chat::mark_read(&db, &self.who, conversation_id, seq).await {
                    let (code, message) = describe(e);
                    self.error(&code, &message, None, Some(conversation_id))
                        .await;
                    return self.strike();
                }
                Ok(())
            }
            ClientFrame::Watch {
                conversation_id,
                after_seq,
            } => {
                if !self.who.staff {
                    self.error(
                        "forbidden",
                        "only staff watch conversations",
                        None,
                        Some(conversation_id),
                    )
                    .await;
                    return self.strike();
                }
                match repo::access(&db, conversation_id, Some(self.who.user_id)).await {
                    Ok(Some(_)) => {
                        let known = self.delivered.get(&conversation_id).copied();
                        self.delivered
                            .insert(conversation_id, known.unwrap_or(after_seq.max(0)));
                        self.hub.registry().follow(self.id, conversation_id);
                        self.catch_up(conversation_id).await
                    }
                    Ok(None) => {
                        self.error(
                            "not_found",
                            "no such conversation",
                            None,
                            Some(conversation_id),
                        )
                        .await;
                        self.strike()
                    }
                    Err(_) => Err(End::Code(1011, "database unavailable")),
                }
            }
            ClientFrame::Presence { status } => {
                if let Err(e) = chat::set_presence(&db, &self.caller, status).await {
                    let (code, message) = describe(e);
                    self.error(&code, &message, None, None).await;
                    return self.strike();
                }
                Ok(())
            }
        }
    }
}

/// A domain refusal as an error frame's code and words.
fn describe(e: ServiceError) -> (String, String) {
    match e {
        ServiceError::NotFound => ("not_found".into(), "no such conversation".into()),
        ServiceError::Forbidden => (
            "forbidden".into(),
            "not allowed in this conversation".into(),
        ),
        ServiceError::Unauthenticated => ("forbidden".into(), "sign in first".into()),
        ServiceError::Conflict(m) => ("conflict".into(), m),
        ServiceError::Validation(fields) => (
            "invalid".into(),
            fields
                .iter()
                .map(|f| format!("{} {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        ServiceError::TooManyRequests => ("rate_limited".into(), "slow down".into()),
        other => {
            let e = AppError::from(other);
            tracing::error!(error = %e, "chat send failed");
            ("unavailable".into(), "try again in a moment".into())
        }
    }
}
