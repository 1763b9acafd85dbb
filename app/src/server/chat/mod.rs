//! Live chat between clients and support agents.
//!
//! `service` holds the verbs (start, send, accept, transfer, close, convert …), `routing`
//! hands waiting conversations to available agents and runs the chat sweep, `repo` the SQL,
//! `rules` the pure checks. Every message is stored under the conversation's next sequence
//! number before anyone is told of it; `ChatNotice` is how the change reaches every server
//! instance (PostgreSQL NOTIFY on `steward_chat`), and the websocket layer fans it out.

pub mod repo;
pub mod routing;
pub mod rules;
pub mod service;

pub use service::*;

use crate::types::{AgentPresence, ChatMessage, ConversationId, UserId};
use serde::{Deserialize, Serialize};

pub const NOTICE_CHANNEL: &str = "steward_chat";

/// What one instance tells the others (and itself) through NOTIFY, after commit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "k", rename_all = "snake_case")]
pub enum ChatNotice {
    /// A stored message; `m` carries it when it fits in a notice, else listeners read it.
    Message {
        c: ConversationId,
        seq: i64,
        whisper: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        m: Option<ChatMessage>,
    },
    Typing {
        c: ConversationId,
        user: UserId,
        name: String,
        staff: bool,
        typing: bool,
    },
    Read {
        c: ConversationId,
        by_staff: bool,
        seq: i64,
    },
    /// State changed (started, offered, accepted, transferred, closed, rated, converted).
    Changed {
        c: ConversationId,
    },
    Presence {
        user: UserId,
        status: AgentPresence,
    },
}

/// NOTIFY payloads must stay under 8000 bytes; bigger messages travel by reference.
pub const NOTICE_INLINE_LIMIT: usize = 7000;
