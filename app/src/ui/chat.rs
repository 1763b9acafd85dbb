//! The browser's chat connection (`ChatLink`) and the conversation panel shared by the
//! portal and the console.
//!
//! One websocket per tab, opened by the chat pages (and the console shell for agents),
//! reconnecting with backoff. Messages are kept per conversation by sequence number, so
//! whatever arrives twice (a replay after reconnecting, the echo of our own message) is
//! stored once; messages not yet acknowledged stay "sending" and are resent with the same
//! id after a reconnect, which the server recognises.

use crate::types::{
    AgentPresence, AuthorKind, ChatMessage, ChatMessageKind, ClientFrame, ConversationDetail,
    ConversationId, ConversationStatus, ConversationSummary, ResumeFrom, ServerFrame, UserId,
};
use leptos::prelude::*;
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    Idle,
    Connecting,
    Online,
    Reconnecting { in_secs: u32 },
    SignedOut,
}

impl LinkState {
    pub fn label(self) -> String {
        match self {
            LinkState::Idle => "Not connected".into(),
            LinkState::Connecting => "Connecting…".into(),
            LinkState::Online => "Connected".into(),
            LinkState::Reconnecting { in_secs } => {
                format!("Connection lost; retrying in {in_secs} s…")
            }
            LinkState::SignedOut => "Signed out: sign in again to chat".into(),
        }
    }
}

/// A message typed here and not yet acknowledged by the server.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingMessage {
    pub conversation_id: ConversationId,
    pub client_msg_id: Uuid,
    pub text: String,
    pub whisper: bool,
    pub error: Option<String>,
}

#[derive(Clone, Copy)]
pub struct ChatLink {
    pub state: RwSignal<LinkState>,
    pub me: RwSignal<Option<(UserId, bool)>>,
    pub messages: RwSignal<HashMap<ConversationId, BTreeMap<i64, ChatMessage>>>,
    pub pending: RwSignal<Vec<PendingMessage>>,
    /// Who is typing where, with a generation number to expire it.
    pub typing: RwSignal<HashMap<ConversationId, (String, u64)>>,
    /// How far the other side has read.
    pub read_by_other: RwSignal<HashMap<ConversationId, i64>>,
    pub conversations: RwSignal<HashMap<ConversationId, ConversationSummary>>,
    /// Bumped when the agents' inbox should be reloaded.
    pub inbox_changed: RwSignal<u64>,
    /// New messages from the other side, per conversation, not yet seen.
    pub unread: RwSignal<HashMap<ConversationId, u32>>,
    /// The conversation on screen (its messages are read as they come).
    pub open: RwSignal<Option<ConversationId>>,
    pub notice: RwSignal<Option<String>>,
    generation: StoredValue<u64>,
}

/// The tab's chat link, created by the shell; pages `connect` when they need it.
pub fn provide_chat_link() -> ChatLink {
    let link = ChatLink {
        state: RwSignal::new(LinkState::Idle),
        me: RwSignal::new(None),
        messages: RwSignal::new(HashMap::new()),
        pending: RwSignal::new(Vec::new()),
        typing: RwSignal::new(HashMap::new()),
        read_by_other: RwSignal::new(HashMap::new()),
        conversations: RwSignal::new(HashMap::new()),
        inbox_changed: RwSignal::new(0),
        unread: RwSignal::new(HashMap::new()),
        open: RwSignal::new(None),
        notice: RwSignal::new(None),
        generation: StoredValue::new(0),
    };
    provide_context(link);
    link
}

pub fn use_chat_link() -> ChatLink {
    use_context::<ChatLink>().unwrap_or_else(provide_chat_link)
}

impl ChatLink {
    /// Opens the websocket if it is not open (browser only).
    pub fn connect(self) {
        #[cfg(feature = "hydrate")]
        socket::connect(self);
    }

    fn send_frame(self, frame: &ClientFrame) -> bool {
        #[cfg(feature = "hydrate")]
        {
            socket::send(frame)
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = frame;
            false
        }
    }

    /// Where to resume: the last message held for each conversation.
    pub fn resume_points(self) -> Vec<ResumeFrom> {
        self.messages.with_untracked(|m| {
            m.iter()
                .map(|(c, msgs)| ResumeFrom {
                    conversation_id: *c,
                    after_seq: msgs.keys().next_back().copied().unwrap_or(0),
                })
                .collect()
        })
    }

    /// Puts a conversation loaded by a server function into the store.
    pub fn seed(self, detail: &ConversationDetail) {
        let c = detail.summary.id;
        self.messages.update(|m| {
            let held = m.entry(c).or_default();
            for msg in &detail.messages {
                held.entry(msg.seq).or_insert_with(|| msg.clone());
            }
        });
        let staff = self.me.get_untracked().map(|(_, s)| s);
        let other_read = if staff == Some(false) {
            detail.summary.agent_read_seq
        } else {
            detail.summary.client_read_seq
        };
        self.read_by_other.update(|r| {
            let e = r.entry(c).or_insert(0);
            *e = (*e).max(other_read);
        });
        self.conversations.update(|cs| {
            cs.insert(c, detail.summary.clone());
        });
    }

    pub fn send_text(self, c: ConversationId, text: String, whisper: bool) {
        let pending = PendingMessage {
            conversation_id: c,
            client_msg_id: Uuid::new_v4(),
            text,
            whisper,
            error: None,
        };
        self.transmit(&pending);
        self.pending.update(|p| p.push(pending));
    }

    fn transmit(self, p: &PendingMessage) {
        self.send_frame(&ClientFrame::Send {
            conversation_id: p.conversation_id,
            client_msg_id: p.client_msg_id,
            text: p.text.clone(),
            whisper: p.whisper,
        });
    }

    /// Sends again a message the server refused for the moment (same id).
    pub fn retry(self, id: Uuid) {
        let mut again = None;
        self.pending.update(|p| {
            if let Some(m) = p.iter_mut().find(|m| m.client_msg_id == id) {
                m.error = None;
                again = Some(m.clone());
            }
        });
        if let Some(m) = again {
            self.transmit(&m);
        }
    }

    pub fn discard(self, id: Uuid) {
        self.pending.update(|p| p.retain(|m| m.client_msg_id != id));
    }

    pub fn typing_now(self, c: ConversationId, typing: bool) {
        self.send_frame(&ClientFrame::Typing {
            conversation_id: c,
            typing,
        });
    }

    pub fn mark_read(self, c: ConversationId, seq: i64) {
        self.unread.update(|u| {
            u.remove(&c);
        });
        self.send_frame(&ClientFrame::Read {
            conversation_id: c,
            seq,
        });
    }

    /// Staff: follow a conversation they are not assigned to.
    pub fn watch(self, c: ConversationId) {
        let after_seq = self.messages.with_untracked(|m| {
            m.get(&c)
                .and_then(|held| held.keys().next_back().copied())
                .unwrap_or(0)
        });
        self.send_frame(&ClientFrame::Watch {
            conversation_id: c,
            after_seq,
        });
    }

    pub fn set_presence(self, status: AgentPresence) {
        self.send_frame(&ClientFrame::Presence { status });
    }

    fn on_welcome(self) {
        // Everything not acknowledged goes again, under the same ids.
        let again: Vec<PendingMessage> = self.pending.get_untracked();
        for p in again.iter().filter(|p| p.error.is_none()) {
            self.transmit(p);
        }
        if let Some(c) = self.open.get_untracked() {
            if self.me.get_untracked().is_some_and(|(_, staff)| staff) {
                self.watch(c);
            }
        }
    }

    /// Applies one frame from the server to the store.
    pub fn on_frame(self, frame: ServerFrame) {
        match frame {
            ServerFrame::Welcome { user_id, staff, .. } => {
                self.me.set(Some((user_id, staff)));
                self.state.set(LinkState::Online);
                self.on_welcome();
            }
            ServerFrame::Ack { client_msg_id, .. } => {
                // The message itself arrives as a `message` frame (before or after this).
                self.pending
                    .update(|p| p.retain(|m| m.client_msg_id != client_msg_id));
            }
            ServerFrame::Message { message } => {
                let c = message.conversation_id;
                let mine = self.me.get_untracked().map(|(id, _)| id) == message.author_user_id;
                let from_other_side = !mine
                    && message.kind != ChatMessageKind::Event
                    && message.kind != ChatMessageKind::Whisper;
                let cid = message.client_msg_id;
                let author = message.author_name.clone();
                self.messages.update(|m| {
                    m.entry(c)
                        .or_default()
                        .entry(message.seq)
                        .or_insert(message);
                });
                self.pending
                    .update(|p| p.retain(|m| m.client_msg_id != cid));
                self.typing.update(|t| {
                    if t.get(&c).is_some_and(|(who, _)| *who == author) {
                        t.remove(&c);
                    }
                });
                if from_other_side {
                    let visible = self.open.get_untracked() == Some(c) && page_visible();
                    if !visible {
                        self.unread.update(|u| *u.entry(c).or_insert(0) += 1);
                        signal_new_message();
                    }
                }
            }
            ServerFrame::Typing {
                conversation_id,
                name,
                typing,
                ..
            } => {
                if typing {
                    let generation = self.generation.get_value() + 1;
                    self.generation.set_value(generation);
                    self.typing.update(|t| {
                        t.insert(conversation_id, (name, generation));
                    });
                    // A typing signal lasts a few seconds unless renewed.
                    let typing = self.typing;
                    set_timeout(
                        move || {
                            typing.update(|t| {
                                if t.get(&conversation_id)
                                    .is_some_and(|(_, g)| *g == generation)
                                {
                                    t.remove(&conversation_id);
                                }
                            })
                        },
                        std::time::Duration::from_secs(6),
                    );
                } else {
                    self.typing.update(|t| {
                        t.remove(&conversation_id);
                    });
                }
            }
            ServerFrame::Read {
                conversation_id,
                by_staff,
                seq,
            } => {
                let staff = self.me.get_untracked().map(|(_, s)| s).unwrap_or(false);
                if by_staff != staff {
                    self.read_by_other.update(|r| {
                        let e = r.entry(conversation_id).or_insert(0);
                        *e = (*e).max(seq);
                    });
                }
            }
            ServerFrame::Conversation { conversation } => {
                let new_for_me = self.me.get_untracked().is_some_and(|(id, staff)| {
                    staff
                        && conversation.assignee_id == Some(id)
                        && conversation.offered
                        && self
                            .conversations
                            .with_untracked(|c| c.get(&conversation.id).is_none_or(|o| !o.offered))
                });
                self.conversations.update(|c| {
                    c.insert(conversation.id, conversation);
                });
                self.inbox_changed.update(|n| *n += 1);
                if new_for_me {
                    signal_new_message();
                }
            }
            ServerFrame::Inbox | ServerFrame::Presence { .. } => {
                self.inbox_changed.update(|n| *n += 1);
            }
            ServerFrame::Error {
                code,
                message,
                client_msg_id,
                ..
            } => match client_msg_id {
                Some(id) => self.pending.update(|p| {
                    if let Some(m) = p.iter_mut().find(|m| m.client_msg_id == id) {
                        m.error = Some(if code == "rate_limited" {
                            "Too fast: wait a moment and retry.".into()
                        } else {
                            message
                        });
                    }
                }),
                None => self.notice.set(Some(message)),
            },
            ServerFrame::Heartbeat | ServerFrame::Pong => {}
        }
    }
}

fn page_visible() -> bool {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window()
            .and_then(|w| w.document())
            .map(|d| !d.hidden())
            .unwrap_or(true)
    }
    #[cfg(not(feature = "hydrate"))]
    true
}

/// A short tone, for a new message or chat while the agent looks elsewhere.
fn signal_new_message() {
    #[cfg(feature = "hydrate")]
    {
        if let Ok(ctx) = web_sys::AudioContext::new() {
            if let Ok(osc) = ctx.create_oscillator() {
                osc.frequency().set_value(880.0);
                if let Ok(gain) = ctx.create_gain() {
                    gain.gain().set_value(0.05);
                    let _ = osc.connect_with_audio_node(&gain);
                    let _ = gain.connect_with_audio_node(&ctx.destination());
                    let _ = osc.start();
                    let _ = osc.stop_with_when(ctx.current_time() + 0.15);
                }
            }
        }
    }
}

#[cfg(feature = "hydrate")]
mod socket {
    use super::{ChatLink, LinkState};
    use crate::types::{ClientFrame, ServerFrame, CHAT_PROTOCOL_VERSION, CLOSE_SIGNED_OUT};
    use leptos::prelude::Set;
    use std::cell::{Cell, RefCell};
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    use web_sys::{CloseEvent, Event, MessageEvent, WebSocket};

    struct Live {
        ws: WebSocket,
        _on_open: Closure<dyn FnMut(Event)>,
        _on_message: Closure<dyn FnMut(MessageEvent)>,
        _on_close: Closure<dyn FnMut(CloseEvent)>,
    }

    thread_local! {
        static LIVE: RefCell<Option<Live>> = const { RefCell::new(None) };
        static ATTEMPT: Cell<u32> = const { Cell::new(0) };
        static HEARD: Cell<f64> = const { Cell::new(0.0) };
        static WATCHDOG: Cell<bool> = const { Cell::new(false) };
    }

    fn now_ms() -> f64 {
        web_sys::window()
            .and_then(|w| w.performance())
            .map(|p| p.now())
            .unwrap_or(0.0)
    }

    pub fn send(frame: &ClientFrame) -> bool {
        let Ok(text) = serde_json::to_string(frame) else {
            return false;
        };
        LIVE.with(|l| match l.borrow().as_ref() {
            Some(live) if live.ws.ready_state() == WebSocket::OPEN => {
                live.ws.send_with_str(&text).is_ok()
            }
            _ => false,
        })
    }

    pub fn connect(link: ChatLink) {
        let busy = LIVE.with(|l| {
            l.borrow().as_ref().is_some_and(|live| {
                matches!(
                    live.ws.ready_state(),
                    WebSocket::CONNECTING | WebSocket::OPEN
                )
            })
        });
        if busy {
            return;
        }
        let Some(window) = web_sys::window() else {
            return;
        };
        let location = window.location();
        let scheme = if location.protocol().ok().as_deref() == Some("https:") {
            "wss:"
        } else {
            "ws:"
        };
        let host = location.host().unwrap_or_default();
        let Ok(ws) = WebSocket::new(&format!("{scheme}//{host}/ws/chat")) else {
            return;
        };
        link.state.set(LinkState::Connecting);
        let opened = ws.clone();
        let on_open = Closure::<dyn FnMut(Event)>::new(move |_| {
            HEARD.with(|h| h.set(now_ms()));
            let hello = ClientFrame::Hello {
                v: CHAT_PROTOCOL_VERSION,
                resume: link.resume_points(),
            };
            if let Ok(text) = serde_json::to_string(&hello) {
                let _ = opened.send_with_str(&text);
            }
        });
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            HEARD.with(|h| h.set(now_ms()));
            if let Some(text) = e.data().as_string() {
                if let Ok(frame) = serde_json::from_str::<ServerFrame>(&text) {
                    if matches!(frame, ServerFrame::Welcome { .. }) {
                        ATTEMPT.with(|a| a.set(0));
                    }
                    link.on_frame(frame);
                }
            }
        });
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |e: CloseEvent| {
            LIVE.with(|l| l.borrow_mut().take());
            if e.code() == CLOSE_SIGNED_OUT {
                link.state.set(LinkState::SignedOut);
                return;
            }
            // Backoff: 1, 2, 4, 8, 15 s (with jitter), reset by a welcome.
            let attempt = ATTEMPT.with(|a| {
                let n = a.get();
                a.set(n + 1);
                n
            });
            let base = (1u64 << attempt.min(4)).min(15) * 1000;
            let jitter = (now_ms() as u64) % 500;
            let delay = base + jitter;
            link.state.set(LinkState::Reconnecting {
                in_secs: (delay / 1000).max(1) as u32,
            });
            leptos::prelude::set_timeout(
                move || connect(link),
                std::time::Duration::from_millis(delay),
            );
        });
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        LIVE.with(|l| {
            *l.borrow_mut() = Some(Live {
                ws,
                _on_open: on_open,
                _on_message: on_message,
                _on_close: on_close,
            })
        });
        start_watchdog();
    }

    /// A connection that has heard nothing (not even a heartbeat) for 50 s is dead
    /// even if the browser has not noticed: close it, which reconnects.
    fn start_watchdog() {
        if WATCHDOG.with(|w| w.replace(true)) {
            return;
        }
        let _ = leptos::prelude::set_interval_with_handle(
            || {
                let silent = now_ms() - HEARD.with(|h| h.get()) > 50_000.0;
                if silent {
                    LIVE.with(|l| {
                        if let Some(live) = l.borrow().as_ref() {
                            if live.ws.ready_state() == WebSocket::OPEN {
                                let _ = live.ws.close();
                            }
                        }
                    });
                }
            },
            std::time::Duration::from_secs(10),
        );
    }
}

/// Text with its web links made into safe links (new tab, no referrer, no follow);
/// everything else stays text, which the view escapes.
pub fn linkify(text: &str) -> Vec<(String, bool)> {
    let mut out: Vec<(String, bool)> = Vec::new();
    let mut plain = String::new();
    for piece in text.split_inclusive(char::is_whitespace) {
        let word = piece.trim_end();
        let is_link = (word.starts_with("https://") || word.starts_with("http://"))
            && word.len() > 8
            && !word.contains(['<', '>', '"', '\'']);
        if is_link {
            // Trailing punctuation belongs to the sentence, not the link.
            let link = word.trim_end_matches(['.', ',', ')', '!', '?', ';', ':']);
            if !plain.is_empty() {
                out.push((std::mem::take(&mut plain), false));
            }
            out.push((link.to_string(), true));
            plain.push_str(&piece[link.len()..]);
        } else {
            plain.push_str(piece);
        }
    }
    if !plain.is_empty() {
        out.push((plain, false));
    }
    out
}

#[component]
fn MessageText(text: String) -> impl IntoView {
    linkify(&text)
        .into_iter()
        .map(|(part, link)| {
            if link {
                let href = part.clone();
                view! { <a href=href target="_blank" rel="noopener noreferrer nofollow">{part}</a> }
                    .into_any()
            } else {
                view! { <span>{part}</span> }.into_any()
            }
        })
        .collect_view()
}

fn time_of(m: &ChatMessage) -> String {
    m.created_at.format("%H:%M").to_string()
}

/// The conversation panel: header with state, messages with delivery and read marks,
/// typing indicator, composer. `canned` (staff) expands `/shortcut` on Tab.
#[component]
pub fn ChatPanel(
    detail: ConversationDetail,
    staff: bool,
    #[prop(optional)] canned: Vec<crate::types::CannedResponse>,
) -> impl IntoView {
    let link = use_chat_link();
    let c = detail.summary.id;
    link.seed(&detail);
    link.open.set(Some(c));
    on_cleanup(move || {
        if link.open.get_untracked() == Some(c) {
            link.open.set(None);
        }
    });
    #[cfg(feature = "hydrate")]
    {
        link.connect();
        if staff {
            link.watch(c);
        }
    }
    let summary = Memo::new(move |_| link.conversations.with(|cs| cs.get(&c).cloned()));
    let messages = Memo::new(move |_| {
        link.messages.with(|m| {
            m.get(&c)
                .map(|held| {
                    held.values()
                        .filter(|msg| staff || msg.kind != ChatMessageKind::Whisper)
                        .cloned()
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    });
    let me = Memo::new(move |_| link.me.get().map(|(id, _)| id));
    // Read what arrives while the conversation is on screen.
    Effect::new(move |_| {
        let last_other = messages.with(|ms| {
            ms.iter()
                .rev()
                .find(|m| {
                    m.kind != ChatMessageKind::Event
                        && (if staff {
                            m.author_kind == AuthorKind::Client
                        } else {
                            m.author_kind == AuthorKind::Agent
                        })
                })
                .map(|m| m.seq)
        });
        if let (Some(seq), LinkState::Online) = (last_other, link.state.get()) {
            if page_visible() {
                link.mark_read(c, seq);
            }
        }
    });
    let pending = Memo::new(move |_| {
        link.pending.with(|p| {
            p.iter()
                .filter(|m| m.conversation_id == c)
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    let read_upto =
        Memo::new(move |_| link.read_by_other.with(|r| r.get(&c).copied().unwrap_or(0)));
    let typing = Memo::new(move |_| link.typing.with(|t| t.get(&c).map(|(n, _)| n.clone())));
    let (draft, set_draft) = signal(String::new());
    let (whisper, set_whisper) = signal(false);
    let closed = Memo::new(move |_| {
        summary
            .get()
            .is_some_and(|s| s.status == ConversationStatus::Closed)
    });
    let canned = StoredValue::new(canned);
    let last_typing = StoredValue::new(0u64);
    let send = move || {
        let text = draft.get_untracked();
        if text.trim().is_empty() || closed.get_untracked() {
            return;
        }
        link.send_text(c, text.trim().to_string(), whisper.get_untracked());
        set_draft.set(String::new());
        link.typing_now(c, false);
    };
    let on_keydown = move |e: leptos::ev::KeyboardEvent| {
        let key = e.key();
        if key == "Tab" && staff {
            let text = draft.get_untracked();
            if let Some(short) = text.trim().strip_prefix('/') {
                if let Some(body) = canned.with_value(|cs| {
                    cs.iter()
                        .find(|r| r.shortcut == short)
                        .map(|r| r.body.clone())
                }) {
                    e.prevent_default();
                    set_draft.set(body);
                }
            }
        } else if key == "Enter" && !e.shift_key() {
            e.prevent_default();
            send();
        }
    };
    let on_input = move |e: leptos::ev::Event| {
        set_draft.set(event_target_value(&e));
        // Tell the other side at most every two seconds, and never for whispers.
        if !whisper.get_untracked() {
            let n = last_typing.get_value() + 1;
            last_typing.set_value(n);
            if n % 8 == 1 {
                link.typing_now(c, true);
            }
        }
    };
    let state = move || link.state.get();
    view! {
        <section class="chat-panel" aria-label="Conversation">
            <p class="chat-link-state" id="chat-connection" data-state=move || format!("{:?}", state())
                role="status">{move || state().label()}</p>
            {move || summary.get().map(|s| view! { <ChatHeader summary=s staff/> })}
            <ol class="chat-messages" id="chat-messages" aria-live="polite">
                <For each=move || messages.get() key=|m| m.seq let:m>
                    {
                        let own = Some(m.author_user_id) == Some(me.get_untracked()) && m.author_user_id.is_some();
                        let seq = m.seq;
                        let class = match (m.kind, own) {
                            (ChatMessageKind::Event, _) => "chat-message event",
                            (ChatMessageKind::Whisper, _) => "chat-message whisper",
                            (_, true) => "chat-message own",
                            _ => "chat-message",
                        };
                        let time = time_of(&m);
                        view! {
                            <li class=class data-seq=seq>
                                {(m.kind != ChatMessageKind::Event).then(|| view! {
                                    <span class="chat-author">{m.author_name.clone()}
                                        {(m.kind == ChatMessageKind::Whisper).then_some(" (internal)")}</span>
                                })}
                                <span class="chat-body">
                                    {match m.file.clone() {
                                        Some(f) => view! { <a href=format!("/files/chat/{}", f.id) download>{format!("📎 {}", f.file_name)}</a> }.into_any(),
                                        None => view! { <MessageText text=m.body.clone()/> }.into_any(),
                                    }}
                                </span>
                                <span class="chat-meta">
                                    <time>{time}</time>
                                    {own.then(|| view! {
                                        <span class="chat-mark">{move || if read_upto.get() >= seq { " ✓✓ Read" } else { " ✓ Delivered" }}</span>
                                    })}
                                </span>
                            </li>
                        }
                    }
                </For>
                <For each=move || pending.get() key=|p| (p.client_msg_id, p.error.clone()) let:p>
                    {
                        let id = p.client_msg_id;
                        view! {
                            <li class="chat-message own pending">
                                <span class="chat-body"><MessageText text=p.text.clone()/></span>
                                <span class="chat-meta">
                                    {match p.error.clone() {
                                        Some(e) => view! {
                                            <span class="field-error" role="alert">{e}</span>
                                            " " <button type="button" class="button link" on:click=move |_| link.retry(id)>"Retry"</button>
                                            " " <button type="button" class="button link" on:click=move |_| link.discard(id)>"Discard"</button>
                                        }.into_any(),
                                        None => view! { <span class="chat-mark">"Sending…"</span> }.into_any(),
                                    }}
                                </span>
                            </li>
                        }
                    }
                </For>
            </ol>
            <p class="chat-typing" id="chat-typing" aria-live="polite">
                {move || typing.get().map(|n| format!("{n} is typing…"))}
            </p>
            <Show when=move || !closed.get() fallback=|| view! { <p class="muted" id="chat-closed">"This chat has ended."</p> }>
                <form class="chat-composer" on:submit=move |e| { e.prevent_default(); send(); }>
                    <label for="chat-text" class="visually-hidden">"Message"</label>
                    <textarea id="chat-text" name="text" rows="2" maxlength="4000"
                        placeholder=if staff { "Type a message; /shortcut then Tab for a canned response" } else { "Type a message" }
                        prop:value=move || draft.get() on:input=on_input on:keydown=on_keydown></textarea>
                    {staff.then(|| view! {
                        <label class="checkbox"><input type="checkbox" id="chat-whisper"
                            prop:checked=move || whisper.get()
                            on:change=move |e| set_whisper.set(event_target_checked(&e))/>" Internal note (whisper)"</label>
                    })}
                    <button type="submit" class="button" id="chat-send">"Send"</button>
                </form>
                <form class="chat-upload" method="post" action=format!("/files/conversations/{c}") enctype="multipart/form-data">
                    <label for="chat-file">"Attach a file"</label>
                    <input type="file" id="chat-file" name="file" required/>
                    <button type="submit" class="button secondary">"Upload"</button>
                </form>
            </Show>
        </section>
    }
    .into_any()
}

#[component]
fn ChatHeader(summary: ConversationSummary, staff: bool) -> impl IntoView {
    let status = match summary.status {
        ConversationStatus::Waiting if staff && summary.offered => format!(
            "Offered to {}",
            summary.assignee_name.clone().unwrap_or_default()
        ),
        ConversationStatus::Waiting => match summary.queue_position {
            Some(n) => format!("Waiting for an agent: you are number {n} in the queue"),
            None => "Waiting for an agent".into(),
        },
        ConversationStatus::Active => format!(
            "With {}",
            summary
                .assignee_name
                .clone()
                .unwrap_or_else(|| "an agent".into())
        ),
        ConversationStatus::Closed => "Ended".into(),
    };
    let waited = (summary.status == ConversationStatus::Waiting).then_some(summary.created_at);
    view! {
        <header class="chat-header">
            <h2 id="chat-topic">{summary.topic.clone()}</h2>
            <p id="chat-status" data-status=summary.status.as_str()>{status}</p>
            {waited.map(|since| view! { <WaitClock since/> })}
            {summary.ticket_number.map(|n| {
                let href = if staff { format!("/console/tickets/{}", summary.ticket_id.map(|t| t.to_string()).unwrap_or_default()) } else { format!("/portal/tickets/{}", summary.ticket_id.map(|t| t.to_string()).unwrap_or_default()) };
                view! { <p id="chat-ticket">"Ticket " <a href=href>{format!("#{n}")}</a></p> }
            })}
        </header>
    }
}

/// "Waiting 1:23", ticking in the browser.
#[component]
fn WaitClock(since: chrono::DateTime<chrono::Utc>) -> impl IntoView {
    let (now, set_now) = signal(chrono::Utc::now());
    #[cfg(feature = "hydrate")]
    {
        if let Ok(h) = set_interval_with_handle(
            move || set_now.update(|n| *n += chrono::Duration::seconds(1)),
            std::time::Duration::from_secs(1),
        ) {
            on_cleanup(move || h.clear());
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = set_now;
    view! {
        <p class="muted" id="chat-wait">{move || {
            let secs = (now.get() - since).num_seconds().max(0);
            format!("Waiting {}:{:02}", secs / 60, secs % 60)
        }}</p>
    }
}

#[cfg(test)]
mod tests {
    use super::linkify;

    #[test]
    fn links_are_found_and_punctuation_stays_outside() {
        let parts = linkify("see https://example.com/a?b=1. thanks");
        assert_eq!(
            parts,
            vec![
                ("see ".to_string(), false),
                ("https://example.com/a?b=1".to_string(), true),
                (". thanks".to_string(), false)
            ]
        );
    }

    #[test]
    fn script_urls_and_markup_are_never_links() {
        assert!(linkify("javascript:alert(1)").iter().all(|(_, l)| !l));
        assert!(linkify("https://x.com/\"onmouseover=")
            .iter()
            .all(|(_, l)| !l));
        assert_eq!(linkify("<b>hi</b>"), vec![("<b>hi</b>".to_string(), false)]);
    }
}
