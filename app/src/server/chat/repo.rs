//! SQL for chat. Functions take any executor so verbs compose them in one transaction.

use crate::types::{
    AccountId, AgentPresence, AuthorKind, ChatFile, ChatFileId, ChatMessage, ChatMessageKind,
    ChatSettings, ContactId, ConversationId, ConversationStatus, ConversationSummary, TeamId,
    TicketId, UserId,
};
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

/// Presence not refreshed for this long is offline: its connection (or instance) is gone.
pub const PRESENCE_TTL_SECS: i64 = 60;

const SUMMARY_SELECT: &str = "
SELECT c.id, c.topic, c.status, c.account_id, a.name AS account_name, c.contact_id, c.client_name,
       c.client_user_id, c.team_id, t.name AS team_name, c.assignee_id, u.display_name AS assignee_name,
       (c.status = 'waiting' AND c.assignee_id IS NOT NULL) AS offered,
       c.last_seq, c.client_read_seq, c.agent_read_seq, c.rating, c.ticket_id, tk.number AS ticket_number,
       c.created_at, c.accepted_at, c.last_message_at, c.closed_at,
       CASE WHEN c.status = 'waiting' THEN
         (SELECT count(*) FROM chat_conversation w WHERE w.status = 'waiting' AND w.created_at <= c.created_at)
       END AS queue_position
FROM chat_conversation c
JOIN account a ON a.id = c.account_id
LEFT JOIN team t ON t.id = c.team_id
LEFT JOIN app_user u ON u.id = c.assignee_id
LEFT JOIN ticket tk ON tk.id = c.ticket_id";

#[derive(sqlx::FromRow)]
pub struct SummaryRow {
    id: ConversationId,
    topic: String,
    status: String,
    account_id: AccountId,
    account_name: String,
    contact_id: ContactId,
    client_name: String,
    pub client_user_id: Option<UserId>,
    team_id: Option<TeamId>,
    team_name: Option<String>,
    assignee_id: Option<UserId>,
    assignee_name: Option<String>,
    offered: bool,
    last_seq: i64,
    client_read_seq: i64,
    agent_read_seq: i64,
    rating: Option<i16>,
    ticket_id: Option<TicketId>,
    ticket_number: Option<i64>,
    created_at: DateTime<Utc>,
    accepted_at: Option<DateTime<Utc>>,
    last_message_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
    queue_position: Option<i64>,
}

impl SummaryRow {
    pub fn summary(self) -> ConversationSummary {
        ConversationSummary {
            id: self.id,
            topic: self.topic,
            status: ConversationStatus::parse(&self.status).unwrap_or(ConversationStatus::Closed),
            account_id: self.account_id,
            account_name: self.account_name,
            contact_id: self.contact_id,
            client_name: self.client_name,
            team_id: self.team_id,
            team_name: self.team_name,
            assignee_id: self.assignee_id,
            assignee_name: self.assignee_name,
            offered: self.offered,
            last_seq: self.last_seq,
            client_read_seq: self.client_read_seq,
            agent_read_seq: self.agent_read_seq,
            rating: self.rating,
            ticket_id: self.ticket_id,
            ticket_number: self.ticket_number,
            created_at: self.created_at,
            accepted_at: self.accepted_at,
            last_message_at: self.last_message_at,
            closed_at: self.closed_at,
            queue_position: self.queue_position,
        }
    }
}

pub async fn summary(
    db: impl PgExecutor<'_>,
    id: ConversationId,
) -> Result<Option<SummaryRow>, sqlx::Error> {
    sqlx::query_as(&format!("{SUMMARY_SELECT} WHERE c.id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await
}

/// Open conversations (waiting first, then by age) and, for the inbox, nothing closed.
pub async fn open_summaries(db: impl PgExecutor<'_>) -> Result<Vec<SummaryRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SUMMARY_SELECT} WHERE c.status <> 'closed' ORDER BY c.created_at LIMIT 500"
    ))
    .fetch_all(db)
    .await
}

pub async fn for_client(
    db: impl PgExecutor<'_>,
    user: UserId,
) -> Result<Vec<SummaryRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SUMMARY_SELECT} WHERE c.client_user_id = $1 ORDER BY c.created_at DESC LIMIT 100"
    ))
    .bind(user)
    .fetch_all(db)
    .await
}

pub async fn for_accounts(
    db: impl PgExecutor<'_>,
    accounts: &[AccountId],
) -> Result<Vec<SummaryRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SUMMARY_SELECT} WHERE c.account_id = ANY($1) ORDER BY c.created_at DESC LIMIT 50"
    ))
    .bind(accounts)
    .fetch_all(db)
    .await
}

/// Who may act in a conversation, read under a row lock.
#[derive(Debug, sqlx::FromRow)]
pub struct Access {
    pub status: String,
    pub account_id: AccountId,
    pub contact_id: ContactId,
    pub client_user_id: Option<UserId>,
    pub assignee_id: Option<UserId>,
    pub team_id: Option<TeamId>,
    pub topic: String,
    pub client_name: String,
    pub ticket_id: Option<TicketId>,
    pub participant: bool,
}

impl Access {
    pub fn status(&self) -> ConversationStatus {
        ConversationStatus::parse(&self.status).unwrap_or(ConversationStatus::Closed)
    }
}

const ACCESS_SELECT: &str = "SELECT c.status, c.account_id, c.contact_id, c.client_user_id, c.assignee_id,
        c.team_id, c.topic, c.client_name, c.ticket_id,
        EXISTS (SELECT 1 FROM chat_participant p WHERE p.conversation_id = c.id AND p.user_id = $2) AS participant
 FROM chat_conversation c WHERE c.id = $1";

pub async fn access(
    db: impl PgExecutor<'_>,
    id: ConversationId,
    user: Option<UserId>,
) -> Result<Option<Access>, sqlx::Error> {
    sqlx::query_as(ACCESS_SELECT)
        .bind(id)
        .bind(user)
        .fetch_optional(db)
        .await
}

/// The same, locking the conversation: sequence numbers and state changes go one at a time.
pub async fn lock(
    tx: &mut PgConnection,
    id: ConversationId,
    user: Option<UserId>,
) -> Result<Option<Access>, sqlx::Error> {
    sqlx::query_as(&format!("{ACCESS_SELECT} FOR UPDATE OF c"))
        .bind(id)
        .bind(user)
        .fetch_optional(&mut *tx)
        .await
}

#[derive(sqlx::FromRow)]
struct MessageRow {
    conversation_id: ConversationId,
    seq: i64,
    client_msg_id: Uuid,
    author_user_id: Option<UserId>,
    author_name: String,
    author_kind: String,
    kind: String,
    body: String,
    attachment_id: Option<ChatFileId>,
    file_name: Option<String>,
    content_type: Option<String>,
    size_bytes: Option<i32>,
    created_at: DateTime<Utc>,
}

impl MessageRow {
    fn message(self) -> ChatMessage {
        ChatMessage {
            conversation_id: self.conversation_id,
            seq: self.seq,
            client_msg_id: self.client_msg_id,
            author_user_id: self.author_user_id,
            author_name: self.author_name,
            author_kind: AuthorKind::parse(&self.author_kind).unwrap_or(AuthorKind::System),
            kind: ChatMessageKind::parse(&self.kind).unwrap_or(ChatMessageKind::Event),
            body: self.body,
            file: match (self.attachment_id, self.file_name) {
                (Some(id), Some(file_name)) => Some(ChatFile {
                    id,
                    file_name,
                    content_type: self.content_type.unwrap_or_default(),
                    size_bytes: self.size_bytes.unwrap_or_default(),
                }),
                _ => None,
            },
            created_at: self.created_at,
        }
    }
}

const MESSAGE_SELECT: &str = "SELECT m.conversation_id, m.seq, m.client_msg_id, m.author_user_id, m.author_name,
        m.author_kind, m.kind, m.body, m.attachment_id, f.file_name, f.content_type, f.size_bytes, m.created_at
 FROM chat_message m LEFT JOIN chat_attachment f ON f.id = m.attachment_id";

/// Messages after `after_seq`, in order; whispers only for staff.
pub async fn messages_after(
    db: impl PgExecutor<'_>,
    id: ConversationId,
    after_seq: i64,
    staff: bool,
    limit: i64,
) -> Result<Vec<ChatMessage>, sqlx::Error> {
    let rows: Vec<MessageRow> = sqlx::query_as(&format!(
        "{MESSAGE_SELECT} WHERE m.conversation_id = $1 AND m.seq > $2 AND ($3 OR m.kind <> 'whisper')
         ORDER BY m.seq LIMIT $4"
    ))
    .bind(id)
    .bind(after_seq)
    .bind(staff)
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(MessageRow::message).collect())
}

pub async fn message(
    db: impl PgExecutor<'_>,
    id: ConversationId,
    seq: i64,
) -> Result<Option<ChatMessage>, sqlx::Error> {
    let row: Option<MessageRow> = sqlx::query_as(&format!(
        "{MESSAGE_SELECT} WHERE m.conversation_id = $1 AND m.seq = $2"
    ))
    .bind(id)
    .bind(seq)
    .fetch_optional(db)
    .await?;
    Ok(row.map(MessageRow::message))
}

/// The stored message with this sender id, if it was stored before.
pub async fn by_client_id(
    db: impl PgExecutor<'_>,
    id: ConversationId,
    client_msg_id: Uuid,
) -> Result<Option<ChatMessage>, sqlx::Error> {
    let row: Option<MessageRow> = sqlx::query_as(&format!(
        "{MESSAGE_SELECT} WHERE m.conversation_id = $1 AND m.client_msg_id = $2"
    ))
    .bind(id)
    .bind(client_msg_id)
    .fetch_optional(db)
    .await?;
    Ok(row.map(MessageRow::message))
}

pub struct NewMessage<'a> {
    pub conversation_id: ConversationId,
    pub client_msg_id: Uuid,
    pub author_user_id: Option<UserId>,
    pub author_name: &'a str,
    pub author_kind: AuthorKind,
    pub kind: ChatMessageKind,
    pub body: &'a str,
    pub attachment_id: Option<ChatFileId>,
}

/// Appends a message under the next sequence number. The caller holds the conversation's
/// lock (`lock`), so numbers are gapless and in commit order.
pub async fn append(tx: &mut PgConnection, m: &NewMessage<'_>) -> Result<ChatMessage, sqlx::Error> {
    let (seq, created_at): (i64, DateTime<Utc>) = sqlx::query_as(
        "WITH s AS (
            UPDATE chat_conversation SET last_seq = last_seq + 1, last_message_at = now()
            WHERE id = $1 RETURNING last_seq)
         INSERT INTO chat_message (conversation_id, seq, client_msg_id, author_user_id, author_name,
                                   author_kind, kind, body, attachment_id)
         SELECT $1, s.last_seq, $2, $3, $4, $5, $6, $7, $8 FROM s
         RETURNING seq, created_at",
    )
    .bind(m.conversation_id)
    .bind(m.client_msg_id)
    .bind(m.author_user_id)
    .bind(m.author_name)
    .bind(m.author_kind.as_str())
    .bind(m.kind.as_str())
    .bind(m.body)
    .bind(m.attachment_id)
    .fetch_one(&mut *tx)
    .await?;
    Ok(ChatMessage {
        conversation_id: m.conversation_id,
        seq,
        client_msg_id: m.client_msg_id,
        author_user_id: m.author_user_id,
        author_name: m.author_name.to_string(),
        author_kind: m.author_kind,
        kind: m.kind,
        body: m.body.to_string(),
        file: None,
        created_at,
    })
}

/// Tells every instance (LISTEN steward_chat); delivered only if the transaction commits.
pub async fn notify(
    db: impl PgExecutor<'_>,
    notice: &super::ChatNotice,
) -> Result<(), sqlx::Error> {
    let payload = serde_json::to_string(notice).unwrap_or_default();
    sqlx::query("SELECT pg_notify('steward_chat', $1)")
        .bind(payload)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn settings(db: impl PgExecutor<'_>) -> Result<ChatSettings, sqlx::Error> {
    let (max_chats_per_agent, max_queue, offline_outside_hours, away_after_minutes, retention_days) =
        sqlx::query_as::<_, (i32, i32, bool, i32, Option<i32>)>(
            "SELECT max_chats_per_agent, max_queue, offline_outside_hours, away_after_minutes,
                    retention_days FROM chat_settings",
        )
        .fetch_one(db)
        .await?;
    Ok(ChatSettings {
        max_chats_per_agent,
        max_queue,
        offline_outside_hours,
        away_after_minutes,
        retention_days,
    })
}

/// An agent's presence, with staleness applied.
pub async fn presence_of(
    db: impl PgExecutor<'_>,
    user: UserId,
) -> Result<(AgentPresence, Option<i32>), sqlx::Error> {
    let row: Option<(String, Option<i32>, bool)> = sqlx::query_as(&format!(
        "SELECT status, max_chats, seen_at > now() - interval '{PRESENCE_TTL_SECS} seconds'
         FROM agent_presence WHERE user_id = $1"
    ))
    .bind(user)
    .fetch_optional(db)
    .await?;
    Ok(match row {
        Some((status, max, fresh)) => (
            if fresh {
                AgentPresence::parse(&status).unwrap_or(AgentPresence::Offline)
            } else {
                AgentPresence::Offline
            },
            max,
        ),
        None => (AgentPresence::Offline, None),
    })
}

pub async fn set_presence(
    db: impl PgExecutor<'_>,
    user: UserId,
    status: AgentPresence,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO agent_presence (user_id, status, seen_at) VALUES ($1, $2, now())
         ON CONFLICT (user_id) DO UPDATE SET status = EXCLUDED.status, seen_at = now()",
    )
    .bind(user)
    .bind(status.as_str())
    .execute(db)
    .await?;
    Ok(())
}

/// Keeps an agent's presence fresh while their connection lives.
pub async fn touch_presence(db: impl PgExecutor<'_>, user: UserId) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE agent_presence SET seen_at = now() WHERE user_id = $1")
        .bind(user)
        .execute(db)
        .await?;
    Ok(())
}

/// Open conversations an agent carries (offered ones included).
pub async fn load_of(db: impl PgExecutor<'_>, user: UserId) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT count(*) FROM chat_conversation WHERE assignee_id = $1 AND status <> 'closed'",
    )
    .bind(user)
    .fetch_one(db)
    .await
}

pub async fn user_name(
    db: impl PgExecutor<'_>,
    user: UserId,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT display_name FROM app_user WHERE id = $1")
        .bind(user)
        .fetch_optional(db)
        .await
}

/// Staff who may take chats (support roles, active).
pub async fn is_chat_agent(db: impl PgExecutor<'_>, user: UserId) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM app_user WHERE id = $1 AND kind = 'staff' AND is_active
                 AND role IN ('admin', 'support_manager', 'support_agent'))",
    )
    .bind(user)
    .fetch_one(db)
    .await
}
