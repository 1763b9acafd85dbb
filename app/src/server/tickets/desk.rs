//! The support desk hears of every new ticket: each active support user (the team's members
//! when the ticket's team has any) gets an in-app notification and a mail as they chose: one
//! by one, in the daily digest, or none.
//!
//! Why it follows the `ticket.created` event instead of being written with the ticket: the
//! fan-out is a notification and a mail per person on the desk, so written in the ticket's
//! insert it made each ticket cost more the larger the desk (with two people, a third of that
//! statement: docs/BENCHMARKS.md). Here it runs in the worker's rounds, hundreds of tickets
//! to a statement. The event is written in the ticket's own statement, so a committed ticket
//! is always told; events are claimed with SKIP LOCKED and marked consumed in the same
//! transaction as the notices, so with any number of workers each ticket is told once.

use crate::server::{AppState, ServiceError};
use crate::types::{TeamId, TicketChannel, TicketId, UserId};
use std::collections::BTreeSet;

/// New tickets told in one transaction at most.
pub const BATCH: i64 = 500;

/// What the desk is told of one ticket.
struct Notice {
    ticket: TicketId,
    team: Option<TeamId>,
    title: String,
    link: String,
    mail_subject: String,
    mail_body: String,
}

/// Tells the desk of up to `BATCH` new tickets, oldest first; returns how many tickets.
/// A ticket deleted before its turn is passed over.
pub async fn tell_of_new_tickets(state: &AppState) -> Result<usize, ServiceError> {
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
    )> = sqlx::query_as(
        "WITH event AS (
            SELECT id, subject_id, payload FROM domain_event
            WHERE consumed_at IS NULL AND kind = 'ticket.created'
            ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
         )
         SELECT e.id, t.id, t.number, t.subject, t.description, t.channel, t.team_id,
                e.payload->>'raised_by'
         FROM event e LEFT JOIN ticket t ON t.id = e.subject_id ORDER BY e.id",
    )
    .bind(BATCH)
    .fetch_all(&mut *tx)
    .await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let events: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let notices: Vec<Notice> = rows
        .into_iter()
        .filter_map(|(_, id, number, subject, description, channel, team, by)| {
            let (id, number, subject) = (id?, number?, subject?);
            let channel = channel
                .as_deref()
                .and_then(TicketChannel::parse)
                .map_or("", TicketChannel::label);
            let link = format!("/console/tickets/{id}");
            Some(Notice {
                ticket: id,
                team,
                title: format!("New ticket #{number}: {subject}"),
                mail_subject: format!("[#{number}] New ticket: {subject}"),
                mail_body: format!(
                    "{} raised a ticket via {channel}.\n\n{subject}\n\n{}\n\nOpen it: {}{link}\n\n\
                     You get these mails one by one; choose a daily digest or none on your notifications page.\n",
                    by.as_deref().unwrap_or("Someone"),
                    description.unwrap_or_default(),
                    state.settings.public_url,
                ),
                link,
            })
        })
        .collect();
    let told: Vec<UserId> = sqlx::query_scalar(
        "WITH input AS (
            SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[])
              WITH ORDINALITY AS i(ticket_id, team_id, title, link, mail_subject, mail_body, ord)
         ), desk AS (
            SELECT i.ord, i.title, i.link, i.mail_subject, i.mail_body, u.id AS user_id, u.email,
                   coalesce(p.email_mode, 'immediate') AS mode
            FROM input i
            JOIN app_user u ON u.is_active AND u.role IN ('support_manager', 'support_agent')
              AND (i.team_id IS NULL
                   OR EXISTS (SELECT 1 FROM team_member m WHERE m.team_id = i.team_id AND m.user_id = u.id)
                   OR NOT EXISTS (SELECT 1 FROM team_member m WHERE m.team_id = i.team_id))
            LEFT JOIN notification_preference p ON p.user_id = u.id
         ), in_app AS (
            INSERT INTO notification (id, user_id, title, link, digest_pending)
            SELECT steward_uuid_v7(), user_id, title, link, mode = 'daily_digest' FROM desk ORDER BY ord, user_id
         ), mail AS (
            INSERT INTO outbound_email (id, to_address, subject, body_text)
            SELECT steward_uuid_v7(), email, mail_subject, mail_body FROM desk WHERE mode = 'immediate'
            ORDER BY ord, email
         ), consumed AS (
            UPDATE domain_event SET consumed_at = now() WHERE id = ANY($7)
         )
         SELECT DISTINCT user_id FROM desk",
    )
    .bind(notices.iter().map(|n| n.ticket.0).collect::<Vec<_>>())
    .bind(notices.iter().map(|n| n.team.map(|t| t.0)).collect::<Vec<_>>())
    .bind(notices.iter().map(|n| n.title.as_str()).collect::<Vec<_>>())
    .bind(notices.iter().map(|n| n.link.as_str()).collect::<Vec<_>>())
    .bind(notices.iter().map(|n| n.mail_subject.as_str()).collect::<Vec<_>>())
    .bind(notices.iter().map(|n| n.mail_body.as_str()).collect::<Vec<_>>())
    .bind(&events)
    .fetch_all(&mut *tx)
    .await?;
    // Their open pages refresh the bell once this commits.
    let told: BTreeSet<UserId> = told.into_iter().collect();
    sqlx::query("SELECT pg_notify('steward_notices', u::text) FROM unnest($1::uuid[]) AS u")
        .bind(told.iter().map(|u| u.0).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(events.len())
}
