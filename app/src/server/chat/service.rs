//! Domain verbs on chat conversations.
//!
//! Who may do what: a client reaches only the conversations they started; staff read any
//! (`ReadChats`); support staff (`WorkChats`) take them, and post in the ones assigned to
//! them or that they were invited to; support managers (`ManageSupport`) may post in any
//! and assign. Whispers are staff-only.

use super::repo::{self, Access, NewMessage};
use super::{routing, rules, ChatNotice, NOTICE_INLINE_LIMIT};
use crate::server::auth::{Caller, Permission};
use crate::server::tickets::{self, attachments};
use crate::server::{accounts, email, AppState, ServiceError};
use crate::types::{
    AccountId, AgentPresence, AgentStatus, AuthorKind, CannedResponse, CannedResponseId,
    ChatAvailability, ChatContext, ChatFileId, ChatInbox, ChatMessage, ChatMessageKind,
    ChatSearchHit, ChatSettings, ChatTicketRef, ContactId, ConversationDetail, ConversationId,
    ConversationStatus, ConversationSummary, NewTicket, TeamId, TicketChannel, TicketId, UserId,
};
use sqlx::{PgConnection, PgExecutor, PgPool};
use uuid::Uuid;

/// A person in a chat: chat is between people, so API keys and jobs have no place here.
#[derive(Debug, Clone)]
pub struct Participant {
    pub user_id: UserId,
    pub name: String,
    pub staff: bool,
    /// Support roles: take and answer chats.
    pub works: bool,
    /// Support managers and admins: supervise any chat.
    pub supervises: bool,
    pub contact_id: Option<ContactId>,
    pub account_id: Option<AccountId>,
}

pub async fn participant(db: &PgPool, caller: &Caller) -> Result<Participant, ServiceError> {
    match caller {
        Caller::Client(c) => Ok(Participant {
            user_id: c.user_id,
            name: repo::user_name(db, c.user_id)
                .await?
                .unwrap_or_else(|| "Client".into()),
            staff: false,
            works: false,
            supervises: false,
            contact_id: Some(c.contact_id),
            account_id: Some(c.account_id),
        }),
        Caller::Staff(s) => {
            caller.staff(Permission::ReadChats)?;
            let user_id = s.user_id.ok_or(ServiceError::Forbidden)?;
            Ok(Participant {
                user_id,
                name: repo::user_name(db, user_id)
                    .await?
                    .unwrap_or_else(|| "Agent".into()),
                staff: true,
                works: caller.can(Permission::WorkChats),
                supervises: caller.can(Permission::ManageSupport),
                contact_id: None,
                account_id: None,
            })
        }
        Caller::Anonymous => Err(ServiceError::Unauthenticated),
        Caller::System => Err(ServiceError::Forbidden),
    }
}

impl Participant {
    /// May see the conversation at all (out of reach is reported as missing).
    pub fn can_read(&self, a: &Access) -> bool {
        if self.staff {
            true
        } else {
            a.client_user_id == Some(self.user_id)
        }
    }

    /// May write in it now.
    fn check_post(&self, a: &Access, whisper: bool) -> Result<(), ServiceError> {
        if !self.can_read(a) {
            return Err(ServiceError::NotFound);
        }
        if a.status() == ConversationStatus::Closed {
            return Err(ServiceError::Conflict("the chat is closed".into()));
        }
        if !self.staff {
            return if whisper {
                Err(ServiceError::Forbidden)
            } else {
                Ok(())
            };
        }
        if !self.works {
            return Err(ServiceError::Forbidden);
        }
        let mine = a.assignee_id == Some(self.user_id) || a.participant;
        if whisper {
            return Ok(());
        }
        if self.supervises || (mine && a.participant) {
            return Ok(());
        }
        if !mine {
            return Err(ServiceError::Forbidden);
        }
        if a.status() == ConversationStatus::Waiting {
            return Err(ServiceError::Conflict("accept the chat first".into()));
        }
        Ok(())
    }
}

/// Opens the conversation for `who` under lock, or reports it missing.
async fn locked(
    tx: &mut PgConnection,
    who: &Participant,
    id: ConversationId,
) -> Result<Access, ServiceError> {
    let access = repo::lock(tx, id, Some(who.user_id))
        .await?
        .ok_or(ServiceError::NotFound)?;
    if !who.can_read(&access) {
        return Err(ServiceError::NotFound);
    }
    Ok(access)
}

/// A system line in the conversation (joined, transferred, closed …).
async fn event(
    tx: &mut PgConnection,
    id: ConversationId,
    text: &str,
) -> Result<ChatMessage, ServiceError> {
    let m = repo::append(
        tx,
        &NewMessage {
            conversation_id: id,
            client_msg_id: Uuid::new_v4(),
            author_user_id: None,
            author_name: "Steward",
            author_kind: AuthorKind::System,
            kind: ChatMessageKind::Event,
            body: text,
            attachment_id: None,
        },
    )
    .await?;
    announce_message(&mut *tx, &m).await?;
    Ok(m)
}

async fn announce_message(db: impl PgExecutor<'_>, m: &ChatMessage) -> Result<(), sqlx::Error> {
    let whisper = m.kind == ChatMessageKind::Whisper;
    let mut notice = ChatNotice::Message {
        c: m.conversation_id,
        seq: m.seq,
        whisper,
        m: Some(m.clone()),
    };
    if serde_json::to_string(&notice).map_or(0, |s| s.len()) > NOTICE_INLINE_LIMIT {
        notice = ChatNotice::Message {
            c: m.conversation_id,
            seq: m.seq,
            whisper,
            m: None,
        };
    }
    repo::notify(db, &notice).await
}

async fn changed(tx: &mut PgConnection, id: ConversationId) -> Result<(), sqlx::Error> {
    repo::notify(&mut *tx, &ChatNotice::Changed { c: id }).await
}

/// Whether a client can chat now. Chat is open while an agent is online, the desk is
/// within business hours (unless settings say otherwise) and the queue has room.
pub async fn availability(db: &PgPool, caller: &Caller) -> Result<ChatAvailability, ServiceError> {
    caller.require_signed_in()?;
    let mut conn = db.acquire().await?;
    availability_in(&mut conn).await
}

async fn availability_in(conn: &mut PgConnection) -> Result<ChatAvailability, ServiceError> {
    let settings = repo::settings(&mut *conn).await?;
    let waiting: i64 =
        sqlx::query_scalar("SELECT count(*) FROM chat_conversation WHERE status = 'waiting'")
            .fetch_one(&mut *conn)
            .await?;
    let closed = |reason: &str| ChatAvailability {
        open: false,
        reason: Some(reason.into()),
        waiting,
    };
    if settings.offline_outside_hours {
        let (calendar, _) = tickets::repo::calendar(conn).await?;
        let now = chrono::Utc::now();
        if calendar.business_minutes_between(now, now + chrono::Duration::minutes(1)) == 0 {
            return Ok(closed("Our support desk is outside its opening hours."));
        }
    }
    let (online, free): (i64, i64) = sqlx::query_as(&format!(
        "SELECT count(*), count(*) FILTER (WHERE load < cap) FROM (
            SELECT coalesce(p.max_chats, $1) AS cap,
                   (SELECT count(*) FROM chat_conversation c
                     WHERE c.assignee_id = p.user_id AND c.status <> 'closed') AS load
            FROM agent_presence p JOIN app_user u ON u.id = p.user_id
            WHERE p.status = 'online' AND p.seen_at > now() - interval '{} seconds' AND u.is_active
              AND u.role IN ('admin', 'support_manager', 'support_agent')) a",
        repo::PRESENCE_TTL_SECS
    ))
    .bind(settings.max_chats_per_agent)
    .fetch_one(&mut *conn)
    .await?;
    if online == 0 {
        return Ok(closed("No agent is available right now."));
    }
    if free == 0 && waiting >= i64::from(settings.max_queue) {
        return Ok(closed("All our agents are busy and the queue is full."));
    }
    Ok(ChatAvailability {
        open: true,
        reason: None,
        waiting,
    })
}

/// A client starts a conversation with a topic and a first message. When no agent is
/// available it is refused with the reason (the portal then offers `leave_message`).
#[tracing::instrument(skip_all)]
pub async fn start(
    db: &PgPool,
    caller: &Caller,
    topic: &str,
    team: Option<TeamId>,
    text: &str,
    client_msg_id: Uuid,
) -> Result<ConversationSummary, ServiceError> {
    let client = caller.client()?.clone();
    let who = participant(db, caller).await?;
    let topic = rules::topic(topic)?;
    let text = rules::text(text)?;
    if let Some(team) = team {
        let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM team WHERE id = $1)")
            .bind(team)
            .fetch_one(db)
            .await?;
        if !exists {
            return Err(ServiceError::field("team_id", "is not a team"));
        }
    }
    let mut tx = db.begin().await?;
    let available = availability_in(&mut tx).await?;
    if !available.open {
        return Err(ServiceError::Conflict(
            available.reason.unwrap_or_else(|| "chat is closed".into()),
        ));
    }
    let id = ConversationId::new();
    sqlx::query(
        "INSERT INTO chat_conversation (id, account_id, contact_id, client_user_id, client_name, topic, team_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(client.account_id)
    .bind(client.contact_id)
    .bind(client.user_id)
    .bind(&who.name)
    .bind(&topic)
    .bind(team)
    .execute(&mut *tx)
    .await?;
    let m = repo::append(
        &mut tx,
        &NewMessage {
            conversation_id: id,
            client_msg_id,
            author_user_id: Some(who.user_id),
            author_name: &who.name,
            author_kind: AuthorKind::Client,
            kind: ChatMessageKind::Text,
            body: &text,
            attachment_id: None,
        },
    )
    .await?;
    announce_message(&mut *tx, &m).await?;
    changed(&mut tx, id).await?;
    tx.commit().await?;
    routing::route_waiting(db).await?;
    summary(db, caller, id).await
}

/// The outcome of a send: the stored message, and whether it had been stored before.
#[derive(Debug, Clone)]
pub struct Sent {
    pub message: ChatMessage,
    pub duplicate: bool,
}

/// Stores a message (text or whisper) and tells everyone in the conversation.
/// A resend with the same `client_msg_id` returns the stored one and changes nothing.
#[tracing::instrument(skip_all)]
pub async fn send(
    db: &PgPool,
    who: &Participant,
    id: ConversationId,
    client_msg_id: Uuid,
    text: &str,
    whisper: bool,
) -> Result<Sent, ServiceError> {
    let text = rules::text(text)?;
    let mut tx = db.begin().await?;
    let access = locked(&mut tx, who, id).await?;
    who.check_post(&access, whisper)?;
    // A resend (even one racing the first send) finds the message under the lock.
    if let Some(message) = repo::by_client_id(&mut *tx, id, client_msg_id).await? {
        return duplicate(who, message);
    }
    let message = repo::append(
        &mut tx,
        &NewMessage {
            conversation_id: id,
            client_msg_id,
            author_user_id: Some(who.user_id),
            author_name: &who.name,
            author_kind: if who.staff {
                AuthorKind::Agent
            } else {
                AuthorKind::Client
            },
            kind: if whisper {
                ChatMessageKind::Whisper
            } else {
                ChatMessageKind::Text
            },
            body: &text,
            attachment_id: None,
        },
    )
    .await?;
    tx.commit().await?;
    // Announced after the commit, not inside it: PostgreSQL serialises the commits of
    // transactions that NOTIFY (a global lock held through the WAL flush), which held chat
    // to one message per disk flush. A notice lost here (the instance dying in between)
    // costs delivery time, not the message: receivers catch up by sequence on the next
    // message or reconnect.
    if let Err(e) = announce_message(db, &message).await {
        tracing::warn!(error = %e, conversation_id = %id, seq = message.seq, "chat: notice not sent");
    }
    Ok(Sent {
        message,
        duplicate: false,
    })
}

fn duplicate(who: &Participant, message: ChatMessage) -> Result<Sent, ServiceError> {
    // Only the author's own resend is a duplicate; someone else reusing an id is refused.
    if message.author_user_id != Some(who.user_id) {
        return Err(ServiceError::Conflict("message id already used".into()));
    }
    Ok(Sent {
        message,
        duplicate: true,
    })
}

/// Keeps a file in the conversation (same rules as ticket attachments) as a message.
pub async fn attach(
    db: &PgPool,
    caller: &Caller,
    id: ConversationId,
    upload: &attachments::Upload,
) -> Result<ChatMessage, ServiceError> {
    let who = participant(db, caller).await?;
    let (name, content_type) = attachments::check(upload)?;
    let mut tx = db.begin().await?;
    let access = locked(&mut tx, &who, id).await?;
    who.check_post(&access, false)?;
    let count: i64 =
        sqlx::query_scalar("SELECT count(*) FROM chat_attachment WHERE conversation_id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
    if count >= attachments::MAX_PER_TICKET {
        return Err(ServiceError::field(
            "file",
            &format!("a chat holds at most {} files", attachments::MAX_PER_TICKET),
        ));
    }
    let file = ChatFileId::new();
    sqlx::query(
        "INSERT INTO chat_attachment (id, conversation_id, file_name, content_type, size_bytes, content)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(file)
    .bind(id)
    .bind(&name)
    .bind(&content_type)
    .bind(upload.bytes.len() as i32)
    .bind(&upload.bytes)
    .execute(&mut *tx)
    .await?;
    let mut message = repo::append(
        &mut tx,
        &NewMessage {
            conversation_id: id,
            client_msg_id: Uuid::new_v4(),
            author_user_id: Some(who.user_id),
            author_name: &who.name,
            author_kind: if who.staff {
                AuthorKind::Agent
            } else {
                AuthorKind::Client
            },
            kind: ChatMessageKind::File,
            body: &name,
            attachment_id: Some(file),
        },
    )
    .await?;
    message.file = Some(crate::types::ChatFile {
        id: file,
        file_name: name,
        content_type,
        size_bytes: upload.bytes.len() as i32,
    });
    announce_message(&mut *tx, &message).await?;
    tx.commit().await?;
    Ok(message)
}

/// A chat file, for someone who may see its conversation: (name, type, bytes).
pub async fn download(
    db: &PgPool,
    caller: &Caller,
    file: ChatFileId,
) -> Result<(String, String, Vec<u8>), ServiceError> {
    let who = participant(db, caller).await?;
    let row: Option<(ConversationId, String, String, Vec<u8>)> = sqlx::query_as(
        "SELECT conversation_id, file_name, content_type, content FROM chat_attachment WHERE id = $1",
    )
    .bind(file)
    .fetch_optional(db)
    .await?;
    let (conversation, name, content_type, bytes) = row.ok_or(ServiceError::NotFound)?;
    let access = repo::access(db, conversation, Some(who.user_id))
        .await?
        .ok_or(ServiceError::NotFound)?;
    if !who.can_read(&access) {
        return Err(ServiceError::NotFound);
    }
    Ok((name, content_type, bytes))
}

/// The conversation, if the caller may see it.
pub async fn summary(
    db: &PgPool,
    caller: &Caller,
    id: ConversationId,
) -> Result<ConversationSummary, ServiceError> {
    let who = participant(db, caller).await?;
    let row = repo::summary(db, id).await?.ok_or(ServiceError::NotFound)?;
    if !who.staff && row.client_user_id != Some(who.user_id) {
        return Err(ServiceError::NotFound);
    }
    Ok(row.summary())
}

/// The conversation with its messages (whispers for staff only) and, for staff, the
/// account and contact beside it.
pub async fn detail(
    db: &PgPool,
    caller: &Caller,
    id: ConversationId,
) -> Result<ConversationDetail, ServiceError> {
    let who = participant(db, caller).await?;
    let summary = summary(db, caller, id).await?;
    let messages = repo::messages_after(db, id, 0, who.staff, 5000).await?;
    let participants: Vec<String> = sqlx::query_scalar(
        "SELECT u.display_name FROM chat_participant p JOIN app_user u ON u.id = p.user_id
         WHERE p.conversation_id = $1 ORDER BY p.joined_at",
    )
    .bind(id)
    .fetch_all(db)
    .await?;
    let context = if who.staff {
        Some(context(db, &summary).await?)
    } else {
        None
    };
    Ok(ConversationDetail {
        summary,
        messages,
        participants,
        context,
    })
}

async fn context(db: &PgPool, s: &ConversationSummary) -> Result<ChatContext, ServiceError> {
    let (account_status, account_type): (String, String) =
        sqlx::query_as("SELECT status, account_type FROM account WHERE id = $1")
            .bind(s.account_id)
            .fetch_one(db)
            .await?;
    let (contact_email, contact_phone): (Option<String>, Option<String>) = sqlx::query_as(
        "SELECT (SELECT email FROM contact_email WHERE contact_id = c.id ORDER BY position LIMIT 1),
                c.phones[1]
         FROM contact c WHERE c.id = $1",
    )
    .bind(s.contact_id)
    .fetch_optional(db)
    .await?
    .unwrap_or((None, None));
    let open_tickets: Vec<(TicketId, i64, String, String)> = sqlx::query_as(
        "SELECT id, number, subject, status FROM ticket
         WHERE account_id = $1 AND status NOT IN ('resolved', 'closed')
         ORDER BY created_at DESC LIMIT 10",
    )
    .bind(s.account_id)
    .fetch_all(db)
    .await?;
    let earlier_conversations: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM chat_conversation WHERE contact_id = $1 AND id <> $2",
    )
    .bind(s.contact_id)
    .bind(s.id)
    .fetch_one(db)
    .await?;
    Ok(ChatContext {
        account_status,
        account_type,
        contact_email,
        contact_phone,
        open_tickets: open_tickets
            .into_iter()
            .map(|(id, number, subject, status)| ChatTicketRef {
                id,
                number,
                subject,
                status,
            })
            .collect(),
        earlier_conversations,
    })
}

/// Messages after `after_seq` for a reconnecting participant.
pub async fn messages_after(
    db: &PgPool,
    who: &Participant,
    id: ConversationId,
    after_seq: i64,
) -> Result<Vec<ChatMessage>, ServiceError> {
    let access = repo::access(db, id, Some(who.user_id))
        .await?
        .ok_or(ServiceError::NotFound)?;
    if !who.can_read(&access) {
        return Err(ServiceError::NotFound);
    }
    Ok(repo::messages_after(db, id, after_seq, who.staff, 10_000).await?)
}

/// The conversations a connection follows from the start: a client's open ones; an
/// agent's assigned or joined open ones.
pub async fn followed(db: &PgPool, who: &Participant) -> Result<Vec<ConversationId>, ServiceError> {
    let ids = if who.staff {
        sqlx::query_scalar(
            "SELECT id FROM chat_conversation c WHERE status <> 'closed' AND (assignee_id = $1
               OR EXISTS (SELECT 1 FROM chat_participant p WHERE p.conversation_id = c.id AND p.user_id = $1))",
        )
        .bind(who.user_id)
        .fetch_all(db)
        .await?
    } else {
        sqlx::query_scalar(
            "SELECT id FROM chat_conversation WHERE client_user_id = $1
               AND (status <> 'closed' OR closed_at > now() - interval '1 day')",
        )
        .bind(who.user_id)
        .fetch_all(db)
        .await?
    };
    Ok(ids)
}

/// Marks everything up to `seq` read by the caller's side.
pub async fn mark_read(
    db: &PgPool,
    who: &Participant,
    id: ConversationId,
    seq: i64,
) -> Result<(), ServiceError> {
    let access = repo::access(db, id, Some(who.user_id))
        .await?
        .ok_or(ServiceError::NotFound)?;
    if !who.can_read(&access) {
        return Err(ServiceError::NotFound);
    }
    if who.staff && !who.works {
        // Reading along (sales, say) is not answering: the client's marks stay as they are.
        return Ok(());
    }
    let column = if who.staff {
        "agent_read_seq"
    } else {
        "client_read_seq"
    };
    let moved: Option<i64> = sqlx::query_scalar(&format!(
        "UPDATE chat_conversation SET {column} = least($2, last_seq)
         WHERE id = $1 AND {column} < least($2, last_seq) RETURNING {column}"
    ))
    .bind(id)
    .bind(seq)
    .fetch_optional(db)
    .await?;
    if let Some(seq) = moved {
        repo::notify(
            db,
            &ChatNotice::Read {
                c: id,
                by_staff: who.staff,
                seq,
            },
        )
        .await?;
    }
    Ok(())
}

/// Tells the other side that the caller is (or stopped) typing. Not stored.
pub async fn typing(
    db: &PgPool,
    who: &Participant,
    id: ConversationId,
    typing: bool,
) -> Result<(), ServiceError> {
    let access = repo::access(db, id, Some(who.user_id))
        .await?
        .ok_or(ServiceError::NotFound)?;
    if !who.can_read(&access) {
        return Err(ServiceError::NotFound);
    }
    if who.staff && !who.works {
        return Err(ServiceError::Forbidden);
    }
    repo::notify(
        db,
        &ChatNotice::Typing {
            c: id,
            user: who.user_id,
            name: who.name.clone(),
            staff: who.staff,
            typing,
        },
    )
    .await?;
    Ok(())
}

fn worker(who: &Participant) -> Result<(), ServiceError> {
    if who.staff && who.works {
        Ok(())
    } else {
        Err(ServiceError::Forbidden)
    }
}

/// An agent takes a waiting conversation (offered to them, or unassigned), within their
/// limit of concurrent chats.
#[tracing::instrument(skip_all)]
pub async fn accept(db: &PgPool, caller: &Caller, id: ConversationId) -> Result<(), ServiceError> {
    let who = participant(db, caller).await?;
    worker(&who)?;
    let mut tx = db.begin().await?;
    let access = locked(&mut tx, &who, id).await?;
    if access.status() != ConversationStatus::Waiting {
        return Err(ServiceError::Conflict(
            "the chat has already been taken or closed".into(),
        ));
    }
    if access.assignee_id.is_some_and(|a| a != who.user_id) {
        return Err(ServiceError::Conflict(
            "the chat is being offered to another agent".into(),
        ));
    }
    if !who.supervises {
        let settings = repo::settings(&mut *tx).await?;
        let (_, own_max) = repo::presence_of(&mut *tx, who.user_id).await?;
        let load: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM chat_conversation WHERE assignee_id = $1 AND status <> 'closed' AND id <> $2",
        )
        .bind(who.user_id)
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        if load >= i64::from(own_max.unwrap_or(settings.max_chats_per_agent)) {
            return Err(ServiceError::Conflict(
                "you are at your limit of concurrent chats".into(),
            ));
        }
    }
    sqlx::query(
        "UPDATE chat_conversation SET status = 'active', assignee_id = $2, accepted_at = now(), offered_at = NULL
         WHERE id = $1",
    )
    .bind(id)
    .bind(who.user_id)
    .execute(&mut *tx)
    .await?;
    event(&mut tx, id, &format!("{} joined the chat", who.name)).await?;
    changed(&mut tx, id).await?;
    tx.commit().await?;
    Ok(())
}

/// Hands the conversation to another agent (active at once, as a warm transfer) or back
/// to a team's queue. The assignee or a supervisor may transfer.
#[tracing::instrument(skip_all)]
pub async fn transfer(
    db: &PgPool,
    caller: &Caller,
    id: ConversationId,
    to_agent: Option<UserId>,
    to_team: Option<TeamId>,
) -> Result<(), ServiceError> {
    let who = participant(db, caller).await?;
    worker(&who)?;
    let mut tx = db.begin().await?;
    let access = locked(&mut tx, &who, id).await?;
    if access.status() == ConversationStatus::Closed {
        return Err(ServiceError::Conflict("the chat is closed".into()));
    }
    let waiting_unassigned =
        access.status() == ConversationStatus::Waiting && access.assignee_id.is_none();
    if !who.supervises && access.assignee_id != Some(who.user_id) && !waiting_unassigned {
        return Err(ServiceError::Forbidden);
    }
    match (to_agent, to_team) {
        (Some(agent), _) => {
            if !repo::is_chat_agent(&mut *tx, agent).await? {
                return Err(ServiceError::field("to_agent", "is not a support agent"));
            }
            let name = repo::user_name(&mut *tx, agent).await?.unwrap_or_default();
            sqlx::query(
                "UPDATE chat_conversation SET status = 'active', assignee_id = $2,
                    accepted_at = coalesce(accepted_at, now()), offered_at = NULL WHERE id = $1",
            )
            .bind(id)
            .bind(agent)
            .execute(&mut *tx)
            .await?;
            if let Some(previous) = access.assignee_id.filter(|p| *p != agent) {
                sqlx::query(
                    "DELETE FROM chat_participant WHERE conversation_id = $1 AND user_id = $2",
                )
                .bind(id)
                .bind(previous)
                .execute(&mut *tx)
                .await?;
            }
            event(
                &mut tx,
                id,
                &format!("{} transferred the chat to {name}", who.name),
            )
            .await?;
        }
        (None, Some(team)) => {
            let name: Option<String> = sqlx::query_scalar("SELECT name FROM team WHERE id = $1")
                .bind(team)
                .fetch_optional(&mut *tx)
                .await?;
            let name = name.ok_or_else(|| ServiceError::field("to_team", "is not a team"))?;
            sqlx::query(
                "UPDATE chat_conversation SET status = 'waiting', team_id = $2, assignee_id = NULL,
                    offered_at = NULL WHERE id = $1",
            )
            .bind(id)
            .bind(team)
            .execute(&mut *tx)
            .await?;
            event(
                &mut tx,
                id,
                &format!("{} transferred the chat to the {name} team", who.name),
            )
            .await?;
        }
        (None, None) => return Err(ServiceError::field("to_agent", "choose an agent or a team")),
    }
    changed(&mut tx, id).await?;
    tx.commit().await?;
    routing::route_waiting(db).await?;
    Ok(())
}

/// A supervisor routes a waiting chat to an agent directly.
pub async fn assign(
    db: &PgPool,
    caller: &Caller,
    id: ConversationId,
    agent: UserId,
) -> Result<(), ServiceError> {
    caller.staff(Permission::ManageSupport)?;
    transfer(db, caller, id, Some(agent), None).await
}

/// Brings another staff member (a supervisor) into the conversation.
pub async fn invite(
    db: &PgPool,
    caller: &Caller,
    id: ConversationId,
    user: UserId,
) -> Result<(), ServiceError> {
    let who = participant(db, caller).await?;
    worker(&who)?;
    let mut tx = db.begin().await?;
    let access = locked(&mut tx, &who, id).await?;
    if access.status() == ConversationStatus::Closed {
        return Err(ServiceError::Conflict("the chat is closed".into()));
    }
    if !who.supervises && access.assignee_id != Some(who.user_id) && !access.participant {
        return Err(ServiceError::Forbidden);
    }
    if !repo::is_chat_agent(&mut *tx, user).await? {
        return Err(ServiceError::field("user_id", "is not a support agent"));
    }
    let added = sqlx::query(
        "INSERT INTO chat_participant (conversation_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(user)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if added > 0 {
        let name = repo::user_name(&mut *tx, user).await?.unwrap_or_default();
        event(&mut tx, id, &format!("{} invited {name}", who.name)).await?;
        tickets::repo::notify_user(
            &mut tx,
            user,
            &format!("{} invited you to a chat: {}", who.name, access.topic),
            &format!("/console/chats/{id}"),
        )
        .await?;
        changed(&mut tx, id).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The client leaves, or an agent closes the conversation.
#[tracing::instrument(skip_all)]
pub async fn close(db: &PgPool, caller: &Caller, id: ConversationId) -> Result<(), ServiceError> {
    let who = participant(db, caller).await?;
    let mut tx = db.begin().await?;
    let access = locked(&mut tx, &who, id).await?;
    if access.status() == ConversationStatus::Closed {
        return Ok(());
    }
    if who.staff {
        worker(&who)?;
        if !who.supervises && access.assignee_id != Some(who.user_id) && !access.participant {
            return Err(ServiceError::Forbidden);
        }
    }
    close_in(&mut tx, id, &format!("{} ended the chat", who.name)).await?;
    tx.commit().await?;
    routing::route_waiting(db).await?;
    Ok(())
}

pub(super) async fn close_in(
    tx: &mut PgConnection,
    id: ConversationId,
    why: &str,
) -> Result<(), ServiceError> {
    sqlx::query(
        "UPDATE chat_conversation SET status = 'closed', closed_at = now(), offered_at = NULL WHERE id = $1",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?;
    // The survey module asks the client about chats an agent took (durable, like tickets).
    sqlx::query(
        "INSERT INTO domain_event (kind, subject_id)
         SELECT 'chat.closed', id FROM chat_conversation WHERE id = $1 AND accepted_at IS NOT NULL",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?;
    event(tx, id, why).await?;
    changed(tx, id).await?;
    Ok(())
}

/// The client rates their conversation (once it has an agent), 1 to 5 stars.
pub async fn rate(
    db: &PgPool,
    caller: &Caller,
    id: ConversationId,
    stars: i16,
    comment: &Option<String>,
) -> Result<(), ServiceError> {
    caller.client()?;
    let who = participant(db, caller).await?;
    let comment = rules::rating(stars, comment)?;
    let mut tx = db.begin().await?;
    locked(&mut tx, &who, id).await?;
    sqlx::query("UPDATE chat_conversation SET rating = $2, rating_comment = $3 WHERE id = $1")
        .bind(id)
        .bind(stars)
        .bind(comment)
        .execute(&mut *tx)
        .await?;
    changed(&mut tx, id).await?;
    tx.commit().await?;
    Ok(())
}

/// The conversation as plain text (no whispers), for mail and ticket attachments.
pub fn transcript(summary: &ConversationSummary, messages: &[ChatMessage]) -> String {
    let mut out = format!(
        "Chat: {}\n{} · {}\nStarted {}\n\n",
        summary.topic,
        summary.client_name,
        summary.account_name,
        summary.created_at.format("%Y-%m-%d %H:%M UTC")
    );
    for m in messages {
        if m.kind == ChatMessageKind::Whisper {
            continue;
        }
        let time = m.created_at.format("%H:%M");
        match m.kind {
            ChatMessageKind::Event => out.push_str(&format!("[{time}] — {} —\n", m.body)),
            ChatMessageKind::File => {
                out.push_str(&format!("[{time}] {}: (file) {}\n", m.author_name, m.body))
            }
            _ => out.push_str(&format!("[{time}] {}: {}\n", m.author_name, m.body)),
        }
    }
    out
}

/// Mails the transcript to the client's address on file.
pub async fn email_transcript(
    db: &PgPool,
    caller: &Caller,
    id: ConversationId,
) -> Result<(), ServiceError> {
    let c = caller.client()?.clone();
    let detail = detail(db, caller, id).await?;
    let to: Option<String> = sqlx::query_scalar("SELECT email FROM app_user WHERE id = $1")
        .bind(c.user_id)
        .fetch_optional(db)
        .await?;
    let to = to.ok_or(ServiceError::NotFound)?;
    let body = transcript(&detail.summary, &detail.messages);
    email::enqueue(
        db,
        &to,
        &format!("Your chat transcript: {}", detail.summary.topic),
        &body,
    )
    .await?;
    Ok(())
}

/// Turns the conversation into a ticket for the client's account, with the transcript
/// attached, and closes it. Agents convert any open chat they work; a waiting client may
/// convert their own ("leave a message instead"). Converting twice gives the same ticket.
#[tracing::instrument(skip_all)]
pub async fn convert_to_ticket(
    state: &AppState,
    caller: &Caller,
    id: ConversationId,
) -> Result<(TicketId, i64), ServiceError> {
    let db = &state.db;
    let who = participant(db, caller).await?;
    if who.staff {
        worker(&who)?;
        caller.staff(Permission::WorkTickets)?;
    }
    let mut tx = db.begin().await?;
    let access = locked(&mut tx, &who, id).await?;
    if let Some(ticket) = access.ticket_id {
        let number: i64 = sqlx::query_scalar("SELECT number FROM ticket WHERE id = $1")
            .bind(ticket)
            .fetch_one(&mut *tx)
            .await?;
        return Ok((ticket, number));
    }
    if !who.staff && access.status() != ConversationStatus::Waiting {
        return Err(ServiceError::Conflict(
            "an agent has joined; ask them to raise a ticket".into(),
        ));
    }
    if access.status() == ConversationStatus::Closed {
        return Err(ServiceError::Conflict("the chat is closed".into()));
    }
    let summary = repo::summary(&mut *tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?
        .summary();
    let messages = repo::messages_after(&mut *tx, id, 0, false, 10_000).await?;
    let client_text: Vec<&str> = messages
        .iter()
        .filter(|m| m.author_kind == AuthorKind::Client && m.kind == ChatMessageKind::Text)
        .map(|m| m.body.as_str())
        .collect();
    let mut description = format!(
        "From a live chat: {}\n\n{}",
        summary.topic,
        client_text.join("\n\n")
    );
    if description.chars().count() > tickets::rules::DESCRIPTION_MAX {
        description = description
            .chars()
            .take(tickets::rules::DESCRIPTION_MAX - 1)
            .collect::<String>()
            + "…";
    }
    let ticket = tickets::create_for_contact(
        &mut tx,
        state,
        access.contact_id,
        &NewTicket {
            subject: summary.topic.clone(),
            description,
            team_id: access.team_id,
            ..NewTicket::default()
        },
        TicketChannel::Chat,
    )
    .await?;
    let transcript = transcript(&summary, &messages);
    attachments::store_in(
        &mut tx,
        ticket,
        None,
        &who.name,
        &attachments::Upload {
            file_name: "chat-transcript.txt".into(),
            content_type: "text/plain".into(),
            bytes: transcript.into_bytes(),
        },
    )
    .await?;
    let number: i64 = sqlx::query_scalar("SELECT number FROM ticket WHERE id = $1")
        .bind(ticket)
        .fetch_one(&mut *tx)
        .await?;
    sqlx::query("UPDATE chat_conversation SET ticket_id = $2 WHERE id = $1")
        .bind(id)
        .bind(ticket)
        .execute(&mut *tx)
        .await?;
    close_in(
        &mut tx,
        id,
        &format!("Ticket #{number} was raised from this chat; we will answer there"),
    )
    .await?;
    tx.commit().await?;
    routing::route_waiting(db).await?;
    Ok((ticket, number))
}

/// No agent available: the client's message becomes a ticket (channel chat) at once.
#[tracing::instrument(skip_all)]
pub async fn leave_message(
    state: &AppState,
    caller: &Caller,
    topic: &str,
    text: &str,
) -> Result<(TicketId, i64), ServiceError> {
    let c = caller.client()?.clone();
    let topic = rules::topic(topic)?;
    let text = rules::text(text)?;
    let mut tx = state.db.begin().await?;
    let ticket = tickets::create_for_contact(
        &mut tx,
        state,
        c.contact_id,
        &NewTicket {
            subject: topic,
            description: text,
            ..NewTicket::default()
        },
        TicketChannel::Chat,
    )
    .await?;
    let number: i64 = sqlx::query_scalar("SELECT number FROM ticket WHERE id = $1")
        .bind(ticket)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok((ticket, number))
}

/// Online or away, for an agent; tells the inboxes and routes waiting chats.
pub async fn set_presence(
    db: &PgPool,
    caller: &Caller,
    status: AgentPresence,
) -> Result<(), ServiceError> {
    let who = participant(db, caller).await?;
    worker(&who)?;
    repo::set_presence(db, who.user_id, status).await?;
    repo::notify(
        db,
        &ChatNotice::Presence {
            user: who.user_id,
            status,
        },
    )
    .await?;
    if status == AgentPresence::Online {
        routing::route_waiting(db).await?;
    }
    Ok(())
}

/// The agents' inbox: waiting, mine (assigned or joined), others', and who is online.
pub async fn inbox(db: &PgPool, caller: &Caller) -> Result<ChatInbox, ServiceError> {
    let who = participant(db, caller).await?;
    if !who.staff {
        return Err(ServiceError::Forbidden);
    }
    let joined: Vec<ConversationId> =
        sqlx::query_scalar("SELECT conversation_id FROM chat_participant WHERE user_id = $1")
            .bind(who.user_id)
            .fetch_all(db)
            .await?;
    let mut inbox = ChatInbox {
        waiting: vec![],
        mine: vec![],
        others: vec![],
        presence: AgentPresence::Offline,
        max_chats: 0,
        away_after_minutes: 5,
        agents: vec![],
    };
    for row in repo::open_summaries(db).await? {
        let s = row.summary();
        if s.assignee_id == Some(who.user_id) || joined.contains(&s.id) {
            inbox.mine.push(s);
        } else if s.status == ConversationStatus::Waiting {
            inbox.waiting.push(s);
        } else {
            inbox.others.push(s);
        }
    }
    let settings = repo::settings(db).await?;
    let (presence, own_max) = repo::presence_of(db, who.user_id).await?;
    inbox.presence = presence;
    inbox.max_chats = own_max.unwrap_or(settings.max_chats_per_agent);
    inbox.away_after_minutes = settings.away_after_minutes;
    // id, name, presence, own limit, seen recently, open chats
    type AgentRow = (UserId, String, Option<String>, Option<i32>, bool, i64);
    let agents: Vec<AgentRow> = sqlx::query_as(&format!(
        "SELECT u.id, u.display_name, p.status, p.max_chats,
                coalesce(p.seen_at > now() - interval '{} seconds', false),
                (SELECT count(*) FROM chat_conversation c WHERE c.assignee_id = u.id AND c.status <> 'closed')
         FROM app_user u LEFT JOIN agent_presence p ON p.user_id = u.id
         WHERE u.kind = 'staff' AND u.is_active AND u.role IN ('admin', 'support_manager', 'support_agent')
         ORDER BY u.display_name",
        repo::PRESENCE_TTL_SECS
    ))
    .fetch_all(db)
    .await?;
    inbox.agents = agents
        .into_iter()
        .map(
            |(user_id, name, status, max, fresh, active_chats)| AgentStatus {
                user_id,
                name,
                presence: match status.as_deref().and_then(AgentPresence::parse) {
                    Some(p) if fresh => p,
                    _ => AgentPresence::Offline,
                },
                active_chats,
                max_chats: max.unwrap_or(settings.max_chats_per_agent),
            },
        )
        .collect();
    Ok(inbox)
}

/// A client's own conversations, newest first.
pub async fn client_conversations(
    db: &PgPool,
    caller: &Caller,
) -> Result<Vec<ConversationSummary>, ServiceError> {
    let c = caller.client()?;
    Ok(repo::for_client(db, c.user_id)
        .await?
        .into_iter()
        .map(repo::SummaryRow::summary)
        .collect())
}

/// Conversations at an account and its locations, for its 360° view.
pub async fn for_account(
    db: &PgPool,
    caller: &Caller,
    account: AccountId,
) -> Result<Vec<ConversationSummary>, ServiceError> {
    caller.staff(Permission::ReadChats)?;
    let tree = accounts::repo::subtree(db, account).await?;
    Ok(repo::for_accounts(db, &tree)
        .await?
        .into_iter()
        .map(repo::SummaryRow::summary)
        .collect())
}

/// Full-text search over chat messages and topics, for staff.
pub async fn search(
    db: &PgPool,
    caller: &Caller,
    query: &str,
) -> Result<Vec<ChatSearchHit>, ServiceError> {
    caller.staff(Permission::ReadChats)?;
    let q = query.trim();
    if q.is_empty() {
        return Ok(vec![]);
    }
    let hits: Vec<(ConversationId, String)> = sqlx::query_as(
        "SELECT DISTINCT ON (c.id) c.id, coalesce(
                ts_headline('simple', m.body, plainto_tsquery('simple', $1),
                            'StartSel=«,StopSel=»,MaxWords=20,MinWords=5'), c.topic)
         FROM chat_conversation c
         LEFT JOIN chat_message m ON m.conversation_id = c.id AND m.kind IN ('text', 'whisper')
              AND to_tsvector('simple', m.body) @@ plainto_tsquery('simple', $1)
         WHERE m.seq IS NOT NULL OR c.topic ILIKE '%' || $2 || '%'
         ORDER BY c.id, m.seq
         LIMIT 50",
    )
    .bind(q)
    .bind(q.replace(['%', '_', '\\'], ""))
    .fetch_all(db)
    .await?;
    let mut out = Vec::with_capacity(hits.len());
    for (id, excerpt) in hits {
        if let Some(row) = repo::summary(db, id).await? {
            out.push(ChatSearchHit {
                conversation: row.summary(),
                excerpt,
            });
        }
    }
    out.sort_by_key(|hit| std::cmp::Reverse(hit.conversation.created_at));
    Ok(out)
}

pub async fn canned_responses(
    db: &PgPool,
    caller: &Caller,
) -> Result<Vec<CannedResponse>, ServiceError> {
    caller.staff(Permission::ReadChats)?;
    let rows: Vec<(CannedResponseId, String, String, String)> =
        sqlx::query_as("SELECT id, shortcut, title, body FROM canned_response ORDER BY shortcut")
            .fetch_all(db)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(id, shortcut, title, body)| CannedResponse {
            id,
            shortcut,
            title,
            body,
        })
        .collect())
}

pub async fn save_canned_response(
    db: &PgPool,
    caller: &Caller,
    shortcut: &str,
    title: &str,
    body: &str,
) -> Result<(), ServiceError> {
    caller.staff(Permission::ManageSupport)?;
    let (shortcut, title, body) = rules::canned(shortcut, title, body)?;
    sqlx::query(
        "INSERT INTO canned_response (id, shortcut, title, body) VALUES ($1, $2, $3, $4)
         ON CONFLICT (shortcut) DO UPDATE SET title = EXCLUDED.title, body = EXCLUDED.body",
    )
    .bind(CannedResponseId::new())
    .bind(shortcut)
    .bind(title)
    .bind(body)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn delete_canned_response(
    db: &PgPool,
    caller: &Caller,
    id: CannedResponseId,
) -> Result<(), ServiceError> {
    caller.staff(Permission::ManageSupport)?;
    sqlx::query("DELETE FROM canned_response WHERE id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// A supervisor sets one agent's limit of concurrent chats (none: the desk's default).
pub async fn set_agent_limit(
    db: &PgPool,
    caller: &Caller,
    agent: UserId,
    max_chats: Option<i32>,
) -> Result<(), ServiceError> {
    caller.staff(Permission::ManageSupport)?;
    if max_chats.is_some_and(|m| !(1..=50).contains(&m)) {
        return Err(ServiceError::field("max_chats", "must be between 1 and 50"));
    }
    if !repo::is_chat_agent(db, agent).await? {
        return Err(ServiceError::field("user_id", "is not a support agent"));
    }
    sqlx::query(
        "INSERT INTO agent_presence (user_id, max_chats, seen_at) VALUES ($1, $2, now() - interval '1 day')
         ON CONFLICT (user_id) DO UPDATE SET max_chats = EXCLUDED.max_chats",
    )
    .bind(agent)
    .bind(max_chats)
    .execute(db)
    .await?;
    routing::route_waiting(db).await?;
    Ok(())
}

pub async fn settings(db: &PgPool, caller: &Caller) -> Result<ChatSettings, ServiceError> {
    caller.staff(Permission::ManageSupport)?;
    Ok(repo::settings(db).await?)
}

pub async fn save_settings(
    db: &PgPool,
    caller: &Caller,
    s: &ChatSettings,
) -> Result<(), ServiceError> {
    caller.staff(Permission::ManageSupport)?;
    rules::settings(s)?;
    sqlx::query(
        "UPDATE chat_settings SET max_chats_per_agent = $1, max_queue = $2, offline_outside_hours = $3,
            away_after_minutes = $4, retention_days = $5",
    )
    .bind(s.max_chats_per_agent)
    .bind(s.max_queue)
    .bind(s.offline_outside_hours)
    .bind(s.away_after_minutes)
    .bind(s.retention_days)
    .execute(db)
    .await?;
    routing::route_waiting(db).await?;
    Ok(())
}
