//! What follows a new ticket, in the worker's rounds: the first line of its history
//! (`repo::record_created`), the client's acknowledgement (`acknowledgement`), the support
//! desk told of it (`desk`), its subject and description made searchable
//! (`search::index_new_tickets`) and its account's health score marked stale
//! (`health::service::mark_stale`).
//!
//! Why not with the ticket: all of them are work that the client does not wait for, and
//! written in the ticket's insert they were most of its cost after the row itself
//! (docs/BENCHMARKS.md); here they run hundreds of tickets to a statement, a fraction of a
//! second after the ticket (the intake wakes the worker). The `ticket.created` event is
//! written in the ticket's own statement, so every committed ticket is followed; events are
//! claimed with SKIP LOCKED and marked consumed in the same transaction as what follows them,
//! so with any number of workers each ticket is followed once. The ticket's live announcement is not among them: lists show a new ticket at once.

use super::{acknowledgement, desk, repo, search};
use crate::server::{health, AppState, ServiceError};
use crate::types::{AccountId, ContactId, TeamId, TicketChannel, TicketId, UserId};
use chrono::{DateTime, Utc};

/// New tickets followed in one transaction at most.
pub const BATCH: i64 = 500;

/// A new ticket as its event and its row tell of it.
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
    pub raised_by_user: Option<UserId>,
    pub contact: Option<ContactId>,
    pub created_at: DateTime<Utc>,
    /// Whether the client is to be acknowledged; `None` for an event written before the
    /// history line and the acknowledgement followed it (they were written with the ticket).
    pub acknowledge: Option<bool>,
}

impl Arrival {
    /// The channel as people read it ("Portal"), for the history line and the desk's mail.
    pub fn channel_label(&self) -> &'static str {
        TicketChannel::parse(&self.channel).map_or("", TicketChannel::label)
    }
}

/// The row a `ticket.created` event and its ticket read as.
#[derive(sqlx::FromRow)]
struct EventRow {
    event: i64,
    ticket: Option<TicketId>,
    number: Option<i64>,
    subject: Option<String>,
    description: Option<String>,
    channel: Option<String>,
    team: Option<TeamId>,
    raised_by: Option<String>,
    raised_by_user: Option<String>,
    acknowledge: Option<bool>,
    account: Option<AccountId>,
    contact: Option<ContactId>,
    created_at: Option<DateTime<Utc>>,
}

/// Follows up to `BATCH` new tickets, oldest first; returns how many events it consumed.
/// A ticket deleted before its turn is passed over.
pub async fn follow_new_tickets(state: &AppState) -> Result<usize, ServiceError> {
    let mut tx = state.db.begin().await?;
    let rows: Vec<EventRow> = sqlx::query_as(
        "WITH event AS (
            SELECT id, subject_id, payload FROM domain_event
            WHERE consumed_at IS NULL AND kind = 'ticket.created'
            ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
         )
         SELECT e.id AS event, t.id AS ticket, t.number, t.subject, t.description, t.channel,
                t.team_id AS team, e.payload->>'raised_by' AS raised_by,
                e.payload->>'raised_by_user' AS raised_by_user,
                (e.payload->'acknowledge')::boolean AS acknowledge, t.account_id AS account,
                t.contact_id AS contact, t.created_at
         FROM event e LEFT JOIN ticket t ON t.id = e.subject_id ORDER BY e.id",
    )
    .bind(BATCH)
    .fetch_all(&mut *tx)
    .await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let events: Vec<i64> = rows.iter().map(|r| r.event).collect();
    let arrivals: Vec<Arrival> = rows
        .into_iter()
        .filter_map(|r| {
            Some(Arrival {
                ticket: r.ticket?,
                number: r.number?,
                account: r.account?,
                subject: r.subject?,
                description: r.description.unwrap_or_default(),
                channel: r.channel.unwrap_or_default(),
                team: r.team,
                raised_by: r.raised_by,
                raised_by_user: r.raised_by_user.and_then(|u| u.parse().ok()),
                contact: r.contact,
                created_at: r.created_at?,
                acknowledge: r.acknowledge,
            })
        })
        .collect();
    let lines: Vec<repo::CreatedLine<'_>> = arrivals
        .iter()
        .filter(|a| a.acknowledge.is_some())
        .map(|a| repo::CreatedLine {
            ticket: a.ticket,
            actor: (
                a.raised_by_user,
                a.raised_by.as_deref().unwrap_or("Someone"),
            ),
            text: format!("#{} via {}", a.number, a.channel_label()),
            at: a.created_at,
        })
        .collect();
    repo::record_created(&mut tx, &lines).await?;
    acknowledgement::send(&mut tx, state, &arrivals).await?;
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
