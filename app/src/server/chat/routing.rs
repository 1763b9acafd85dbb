//! Routing waiting conversations to agents, and the chat sweep.
//!
//! Routing is round-robin over agents who are online (presence fresh), in the
//! conversation's team when it has one, and under their limit of concurrent chats; the
//! agent routed to longest ago goes first. The conversation is offered (assigned, still
//! waiting) until the agent accepts. One routing pass runs at a time across all
//! instances (a transaction-scoped advisory lock), so two instances never offer the same
//! agent past their limit.

use super::repo::{self, PRESENCE_TTL_SECS};
use super::service::close_in;
use super::ChatNotice;
use crate::server::ServiceError;
use crate::types::{ConversationId, TeamId, UserId};
use sqlx::PgPool;

/// An offer not accepted within this many seconds goes to the next agent.
pub const OFFER_TIMEOUT_SECS: i64 = 60;
/// Active chats of an agent gone (no presence) this long go back to the queue.
pub const ORPHAN_AFTER_SECS: i64 = 120;

const ROUTING_LOCK: i64 = 0x5354_4348_4154; // "STCHAT"

/// Offers every routable waiting conversation to an available agent; returns how many.
pub async fn route_waiting(db: &PgPool) -> Result<usize, ServiceError> {
    let mut tx = db.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(ROUTING_LOCK)
        .execute(&mut *tx)
        .await?;
    let settings = repo::settings(&mut *tx).await?;
    let waiting: Vec<(ConversationId, Option<TeamId>)> = sqlx::query_as(
        "SELECT id, team_id FROM chat_conversation
         WHERE status = 'waiting' AND assignee_id IS NULL ORDER BY created_at LIMIT 200",
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut routed = 0;
    for (id, team) in waiting {
        let agent: Option<UserId> = sqlx::query_scalar(&format!(
            "SELECT p.user_id FROM agent_presence p JOIN app_user u ON u.id = p.user_id
             WHERE p.status = 'online' AND p.seen_at > now() - interval '{PRESENCE_TTL_SECS} seconds'
               AND u.is_active AND u.role IN ('admin', 'support_manager', 'support_agent')
               AND ($1::uuid IS NULL OR EXISTS (SELECT 1 FROM team_member m WHERE m.team_id = $1 AND m.user_id = p.user_id)
                    OR NOT EXISTS (SELECT 1 FROM team_member m WHERE m.team_id = $1))
               AND (SELECT count(*) FROM chat_conversation c
                     WHERE c.assignee_id = p.user_id AND c.status <> 'closed') < coalesce(p.max_chats, $2)
             ORDER BY p.last_routed_at NULLS FIRST, p.user_id
             LIMIT 1"
        ))
        .bind(team)
        .bind(settings.max_chats_per_agent)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(agent) = agent else {
            continue;
        };
        sqlx::query(
            "UPDATE chat_conversation SET assignee_id = $2, offered_at = now() WHERE id = $1",
        )
        .bind(id)
        .bind(agent)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE agent_presence SET last_routed_at = clock_timestamp() WHERE user_id = $1",
        )
        .bind(agent)
        .execute(&mut *tx)
        .await?;
        repo::notify(&mut *tx, &ChatNotice::Changed { c: id }).await?;
        routed += 1;
    }
    tx.commit().await?;
    Ok(routed)
}

/// What one sweep did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub offers_withdrawn: u64,
    pub orphans_requeued: u64,
    pub purged: u64,
    pub routed: usize,
}

/// The chat job (worker, every few seconds): withdraws offers nobody accepted, puts the
/// chats of agents who vanished (their instance died, their browser closed) back in the
/// queue, deletes conversations past retention, and routes what is waiting.
pub async fn sweep(db: &PgPool) -> Result<Swept, ServiceError> {
    let mut swept = Swept::default();
    let mut tx = db.begin().await?;
    let withdrawn: Vec<ConversationId> = sqlx::query_scalar(&format!(
        "UPDATE chat_conversation c SET assignee_id = NULL, offered_at = NULL
         WHERE c.status = 'waiting' AND c.assignee_id IS NOT NULL
           AND (c.offered_at < now() - interval '{OFFER_TIMEOUT_SECS} seconds'
                OR NOT EXISTS (SELECT 1 FROM agent_presence p WHERE p.user_id = c.assignee_id
                               AND p.status = 'online' AND p.seen_at > now() - interval '{PRESENCE_TTL_SECS} seconds'))
         RETURNING c.id"
    ))
    .fetch_all(&mut *tx)
    .await?;
    for id in &withdrawn {
        repo::notify(&mut *tx, &ChatNotice::Changed { c: *id }).await?;
    }
    swept.offers_withdrawn = withdrawn.len() as u64;
    let orphaned: Vec<(ConversationId, String)> = sqlx::query_as(&format!(
        "UPDATE chat_conversation c SET status = 'waiting', assignee_id = NULL, offered_at = NULL
         FROM app_user u
         WHERE u.id = c.assignee_id AND c.status = 'active'
           AND NOT EXISTS (SELECT 1 FROM agent_presence p WHERE p.user_id = c.assignee_id
                           AND p.seen_at > now() - interval '{ORPHAN_AFTER_SECS} seconds')
         RETURNING c.id, u.display_name"
    ))
    .fetch_all(&mut *tx)
    .await?;
    for (id, name) in &orphaned {
        let m = repo::append(
            &mut tx,
            &repo::NewMessage {
                conversation_id: *id,
                client_msg_id: uuid::Uuid::new_v4(),
                author_user_id: None,
                author_name: "Steward",
                author_kind: crate::types::AuthorKind::System,
                kind: crate::types::ChatMessageKind::Event,
                body: &format!("{name} was disconnected; we are finding another agent"),
                attachment_id: None,
            },
        )
        .await?;
        repo::notify(
            &mut *tx,
            &ChatNotice::Message {
                c: *id,
                seq: m.seq,
                whisper: false,
                m: Some(m),
            },
        )
        .await?;
        repo::notify(&mut *tx, &ChatNotice::Changed { c: *id }).await?;
    }
    swept.orphans_requeued = orphaned.len() as u64;
    // Agents whose connection vanished are offline, for the inbox lists too.
    sqlx::query(&format!(
        "UPDATE agent_presence SET status = 'offline'
         WHERE status <> 'offline' AND seen_at < now() - interval '{PRESENCE_TTL_SECS} seconds'"
    ))
    .execute(&mut *tx)
    .await?;
    let settings = repo::settings(&mut *tx).await?;
    if let Some(days) = settings.retention_days {
        swept.purged = sqlx::query(
            "DELETE FROM chat_conversation WHERE status = 'closed'
               AND closed_at < now() - make_interval(days => $1)",
        )
        .bind(days)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    }
    tx.commit().await?;
    swept.routed = route_waiting(db).await?;
    Ok(swept)
}

/// Closes waiting chats left by clients who went away long ago (a day), so the queue
/// does not fill with ghosts.
pub async fn close_abandoned(db: &PgPool) -> Result<u64, ServiceError> {
    let ids: Vec<ConversationId> = sqlx::query_scalar(
        "SELECT id FROM chat_conversation WHERE status <> 'closed' AND last_message_at < now() - interval '1 day'",
    )
    .fetch_all(db)
    .await?;
    for id in &ids {
        let mut tx = db.begin().await?;
        close_in(
            &mut tx,
            *id,
            "The chat was closed after a day without messages",
        )
        .await?;
        tx.commit().await?;
    }
    Ok(ids.len() as u64)
}
