//! What follows a new ticket, in the worker's rounds: the support desk is told of it (`desk`),
//! its subject and description become searchable (`search::index_new_tickets`) and its
//! account's health score is marked stale (`health::service::mark_stale`).
//!
//! Why not with the ticket: all three are work that the client does not wait for, and
//! written in the ticket's insert they were most of its cost after the row itself
//! (docs/BENCHMARKS.md); here they run hundreds of tickets to a statement. The
//! `ticket.created` event is written in the ticket's own statement, so every committed ticket
//! is followed; events are claimed with SKIP LOCKED and marked consumed in the same
//! transaction as what follows them, so with any number of workers each ticket is followed
//! once. The ticket's live announcement is not among them: lists show a new ticket at once.

use super::{desk, search};
use crate::server::{health, AppState, ServiceError};
use crate::types::{AccountId, TeamId, TicketId};

/// New tickets followed in one transaction at most.
pub const BATCH: i64 = 500;

/// A new ticket as the desk is told of it.
pub struct Arrival {
    pub ticket: TicketId,
    pub number: i64,
    pub account: AccountId,
    pub subject: String,
    pub description: String,
    pub channel: String,
    pub team: Option<TeamId>,
    /// Who raised it, as the event names them.
    pub raised_by: Option<String>,
}

/// Follows up to `BATCH` new tickets, oldest first; returns how many events it consumed.
/// A ticket deleted before its turn is passed over.
pub async fn follow_new_tickets(state: &AppState) -> Result<usize, ServiceError> {
    let mut tx = state.db.begin().await?;
    #[allow(clippy::type_complexity)]
    let rows: Vec<(
        i64,
        Option<TicketId>,
        Option<i64>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<TeamId>,
        Option<String>,
        Option<AccountId>,
    )> = sqlx::query_as(
        "WITH event AS (
            SELECT id, subject_id, payload FROM domain_event
            WHERE consumed_at IS NULL AND kind = 'ticket.created'
            ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
         )
         SELECT e.id, t.id, t.number, t.subject, t.description, t.channel, t.team_id,
                e.payload->>'raised_by', t.account_id
         FROM event e LEFT JOIN ticket t ON t.id = e.subject_id ORDER BY e.id",
    )
    .bind(BATCH)
    .fetch_all(&mut *tx)
    .await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let events: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let arrivals: Vec<Arrival> = rows
        .into_iter()
        .filter_map(
            |(_, ticket, number, subject, description, channel, team, raised_by, account)| {
                Some(Arrival {
                    ticket: ticket?,
                    number: number?,
                    account: account?,
                    subject: subject?,
                    description: description.unwrap_or_default(),
                    channel: channel.unwrap_or_default(),
                    team,
                    raised_by,
                })
            },
        )
        .collect();
    search::index_new_tickets(&mut tx, &arrivals).await?;
    desk::tell(&mut tx, state, &arrivals).await?;
    let accounts: Vec<AccountId> = arrivals.iter().map(|a| a.account).collect();
    health::service::mark_stale(&mut tx, &accounts).await?;
    sqlx::query("UPDATE domain_event SET consumed_at = now() WHERE id = ANY($1)")
        .bind(&events)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(events.len())
}
