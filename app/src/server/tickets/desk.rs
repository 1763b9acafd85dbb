//! The support desk hears of every new ticket: each active support user (the team's members
//! when the ticket's team has any) gets an in-app notification and a mail as they chose: one
//! by one, in the daily digest, or none.
//!
//! Written by the worker from the ticket's event (`arrivals`), not with the ticket: the
//! fan-out is a notification and a mail per person on the desk, so written in the ticket's
//! insert it made each ticket cost more the larger the desk (with two people, a third of that
//! statement: docs/BENCHMARKS.md).

use super::arrivals::Arrival;
use crate::server::{AppState, ServiceError};
use crate::types::UserId;
use sqlx::PgConnection;
use std::collections::BTreeSet;

/// What the desk is told of one ticket.
struct Notice<'a> {
    arrival: &'a Arrival,
    title: String,
    link: String,
    mail_subject: String,
    mail_body: String,
}

/// Tells the desk of these new tickets, in the caller's transaction; the people told see
/// their bell refresh once it commits.
pub async fn tell(
    tx: &mut PgConnection,
    state: &AppState,
    arrivals: &[Arrival],
) -> Result<(), ServiceError> {
    if arrivals.is_empty() {
        return Ok(());
    }
    let notices: Vec<Notice<'_>> = arrivals
        .iter()
        .map(|a| {
            let channel = a.channel_label();
            let (number, subject) = (a.number, &a.subject);
            let link = format!("/console/tickets/{}", a.ticket);
            Notice {
                arrival: a,
                title: format!("New ticket #{number}: {subject}"),
                mail_subject: format!("[#{number}] New ticket: {subject}"),
                mail_body: format!(
                    "{} raised a ticket via {channel}.\n\n{subject}\n\n{}\n\nOpen it: {}{link}\n\n\
                     You get these mails one by one; choose a daily digest or none on your notifications page.\n",
                    a.raised_by.as_deref().unwrap_or("Someone"),
                    a.description,
                    state.settings.public_url,
                ),
                link,
            }
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
         )
         SELECT DISTINCT user_id FROM desk",
    )
    .bind(notices.iter().map(|n| n.arrival.ticket.0).collect::<Vec<_>>())
    .bind(notices.iter().map(|n| n.arrival.team.map(|t| t.0)).collect::<Vec<_>>())
    .bind(notices.iter().map(|n| n.title.as_str()).collect::<Vec<_>>())
    .bind(notices.iter().map(|n| n.link.as_str()).collect::<Vec<_>>())
    .bind(notices.iter().map(|n| n.mail_subject.as_str()).collect::<Vec<_>>())
    .bind(notices.iter().map(|n| n.mail_body.as_str()).collect::<Vec<_>>())
    .fetch_all(&mut *tx)
    .await?;
    let told: BTreeSet<UserId> = told.into_iter().collect();
    sqlx::query("SELECT pg_notify('steward_notices', u::text) FROM unnest($1::uuid[]) AS u")
        .bind(told.iter().map(|u| u.0).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    Ok(())
}
