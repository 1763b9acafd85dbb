//! Live chat: records, and the websocket protocol (version 1) spoken between the
//! browser (or any client) and `/ws/chat`. docs/CHAT.md documents the protocol.

use super::{AccountId, ChatFileId, ContactId, ConversationId, TeamId, TicketId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const CHAT_PROTOCOL_VERSION: u32 = 1;
/// Longest chat message, in characters.
pub const MAX_CHAT_TEXT_CHARS: usize = 4000;
/// Largest websocket frame the server reads; a bigger one closes the connection (1009).
pub const MAX_CHAT_FRAME_BYTES: usize = 64 * 1024;
/// Close code for a connection that kept sending after being told to slow down.
pub const CLOSE_RATE_LIMITED: u16 = 4429;
/// Close code for a connection that fell too far behind; it should resume.
pub const CLOSE_TOO_SLOW: u16 = 4408;
/// Close code when the session behind the connection is no longer valid.
pub const CLOSE_SIGNED_OUT: u16 = 4401;

text_enum!(
    /// Where a conversation stands.
    ConversationStatus {
        Waiting => "waiting" / "Waiting",
        Active => "active" / "Active",
        Closed => "closed" / "Closed",
    }
);

text_enum!(
    /// An agent's chat presence.
    AgentPresence {
        Online => "online" / "Online",
        Away => "away" / "Away",
        Offline => "offline" / "Offline",
    }
);

text_enum!(
    AuthorKind {
        Client => "client" / "Client",
        Agent => "agent" / "Agent",
        System => "system" / "Steward",
    }
);

text_enum!(
    /// Text for both sides; whispers for staff only; files; system events (joined, closed …).
    ChatMessageKind {
        Text => "text" / "Message",
        Whisper => "whisper" / "Internal note",
        File => "file" / "File",
        Event => "event" / "Event",
    }
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatFile {
    pub id: ChatFileId,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i32,
}

/// One message of a conversation; `seq` is its place (1, 2, 3 …) in that conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub conversation_id: ConversationId,
    pub seq: i64,
    pub client_msg_id: Uuid,
    pub author_user_id: Option<UserId>,
    pub author_name: String,
    pub author_kind: AuthorKind,
    pub kind: ChatMessageKind,
    pub body: String,
    pub file: Option<ChatFile>,
    pub created_at: DateTime<Utc>,
}

/// A conversation as lists and the panel header show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationSummary {
    pub id: ConversationId,
    pub topic: String,
    pub status: ConversationStatus,
    pub account_id: AccountId,
    pub account_name: String,
    pub contact_id: ContactId,
    pub client_name: String,
    pub team_id: Option<TeamId>,
    pub team_name: Option<String>,
    pub assignee_id: Option<UserId>,
    pub assignee_name: Option<String>,
    /// Routed to the assignee, who has not accepted yet.
    pub offered: bool,
    pub last_seq: i64,
    pub client_read_seq: i64,
    pub agent_read_seq: i64,
    pub rating: Option<i16>,
    pub ticket_id: Option<TicketId>,
    pub ticket_number: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub last_message_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    /// 1 for the next conversation to be answered; only while waiting.
    pub queue_position: Option<i64>,
}

/// The agents' inbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatInbox {
    pub waiting: Vec<ConversationSummary>,
    pub mine: Vec<ConversationSummary>,
    pub others: Vec<ConversationSummary>,
    pub presence: AgentPresence,
    pub max_chats: i32,
    /// Idle minutes before the console sets the agent away.
    pub away_after_minutes: i32,
    pub agents: Vec<AgentStatus>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentStatus {
    pub user_id: UserId,
    pub name: String,
    pub presence: AgentPresence,
    pub active_chats: i64,
    pub max_chats: i32,
}

/// What the agent sees beside a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatContext {
    pub account_status: String,
    pub account_type: String,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub open_tickets: Vec<ChatTicketRef>,
    pub earlier_conversations: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatTicketRef {
    pub id: TicketId,
    pub number: i64,
    pub subject: String,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationDetail {
    pub summary: ConversationSummary,
    pub messages: Vec<ChatMessage>,
    /// Staff in the conversation besides the assignee (invited supervisors).
    pub participants: Vec<String>,
    /// Staff only.
    pub context: Option<ChatContext>,
}

/// Whether a client can chat now, or should leave a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatAvailability {
    pub open: bool,
    /// Why not, in words for the client.
    pub reason: Option<String>,
    pub waiting: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CannedResponse {
    pub id: super::CannedResponseId,
    pub shortcut: String,
    pub title: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatSettings {
    pub max_chats_per_agent: i32,
    pub max_queue: i32,
    pub offline_outside_hours: bool,
    pub away_after_minutes: i32,
    pub retention_days: Option<i32>,
}

/// A hit of the agents' conversation search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatSearchHit {
    pub conversation: ConversationSummary,
    pub excerpt: String,
}

/// Where a reconnecting client was: resend everything after `after_seq`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResumeFrom {
    pub conversation_id: ConversationId,
    pub after_seq: i64,
}

/// Frames a client sends (JSON text frames, tagged by `type`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    /// First frame: the protocol version and where to resume. Clients are subscribed to
    /// all their open conversations; agents to the ones they work (and `watch` others).
    Hello {
        v: u32,
        #[serde(default)]
        resume: Vec<ResumeFrom>,
    },
    /// A message; `client_msg_id` makes a resend harmless.
    Send {
        conversation_id: ConversationId,
        client_msg_id: Uuid,
        text: String,
        #[serde(default)]
        whisper: bool,
    },
    Typing {
        conversation_id: ConversationId,
        typing: bool,
    },
    /// Everything up to `seq` has been read.
    Read {
        conversation_id: ConversationId,
        seq: i64,
    },
    /// Staff: follow a conversation they are not in (supervising, reading along).
    Watch {
        conversation_id: ConversationId,
        after_seq: i64,
    },
    /// Agents: online or away (offline is closing the console).
    Presence {
        status: AgentPresence,
    },
    Ping,
}

/// Frames the server sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    Welcome {
        v: u32,
        user_id: UserId,
        name: String,
        staff: bool,
        heartbeat_secs: u64,
    },
    /// The message is stored (it survives a crash) under `seq`.
    Ack {
        conversation_id: ConversationId,
        client_msg_id: Uuid,
        seq: i64,
        at: DateTime<Utc>,
        /// The message had been stored before (a resend).
        duplicate: bool,
    },
    Message {
        message: ChatMessage,
    },
    Typing {
        conversation_id: ConversationId,
        name: String,
        staff: bool,
        typing: bool,
    },
    /// The other side has read up to `seq`.
    Read {
        conversation_id: ConversationId,
        by_staff: bool,
        seq: i64,
    },
    /// The conversation changed: accepted, transferred, closed, rated, converted, queued.
    Conversation {
        conversation: ConversationSummary,
    },
    /// Agents: the inbox changed (new, routed, accepted, closed); refetch it.
    Inbox,
    Presence {
        user_id: UserId,
        status: AgentPresence,
    },
    Error {
        code: String,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_msg_id: Option<Uuid>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        conversation_id: Option<ConversationId>,
    },
    Heartbeat,
    Pong,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_tagged_snake_case_json() {
        let f = ClientFrame::Send {
            conversation_id: ConversationId(Uuid::nil()),
            client_msg_id: Uuid::nil(),
            text: "hi".into(),
            whisper: false,
        };
        let json = serde_json::to_value(&f).expect("json");
        assert_eq!(json["type"], "send");
        let back: ClientFrame = serde_json::from_str(
            r#"{"type":"send","conversation_id":"00000000-0000-0000-0000-000000000000","client_msg_id":"00000000-0000-0000-0000-000000000000","text":"hi"}"#,
        )
        .expect("whisper defaults to false");
        assert_eq!(back, f);
        assert_eq!(
            serde_json::to_string(&ServerFrame::Heartbeat).expect("json"),
            r#"{"type":"heartbeat"}"#
        );
    }
}
