//! The mail that tells the requesting contact their ticket was received: sent to the
//! contact's first address (none if they have no address), for a ticket a client raised or
//! one staff raised naming a contact. Its Message-ID is the thread the client's reply comes
//! back on (`inbound`).
//!
//! Written by the worker from the ticket's event (`arrivals`), not with the ticket: in the
//! ticket's insert it was a join, a foreign-key check and a row per ticket in the hot
//! statement (docs/BENCHMARKS.md), and the client does not wait for it: the mail is sent by
//! the worker in any case. It is dated when the ticket was raised, so that it comes before
//! any later mail on the ticket, in the outbox and as the thread's first message.

use super::arrivals::Arrival;
use crate::server::{email, AppState, ServiceError};
use sqlx::PgConnection;

struct Acknowledgement<'a> {
    arrival: &'a Arrival,
    subject: String,
    body: String,
    message_id: String,
}

/// Queues the acknowledgements of those new tickets that are to get one, in the caller's
/// transaction.
pub async fn send(
    tx: &mut PgConnection,
    state: &AppState,
    arrivals: &[Arrival],
) -> Result<(), ServiceError> {
    let mails: Vec<Acknowledgement<'_>> = arrivals
        .iter()
        .filter(|a| a.acknowledge == Some(true) && a.contact.is_some())
        .map(|a| {
            let (number, subject) = (a.number, &a.subject);
            Acknowledgement {
                arrival: a,
                subject: format!("[#{number}] {subject}"),
                body: format!(
                    "We have received your request and will answer soon.\n\nTicket #{number}: {subject}\n\
                     Reply to this message to add to it, or follow it in the portal: {}/portal/tickets/{}\n",
                    state.settings.public_url, a.ticket
                ),
                message_id: email::new_message_id(&state.settings.mail_from, &format!("t{number}")),
            }
        })
        .collect();
    if mails.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO outbound_email (id, to_address, subject, body_text, ticket_id, message_id, created_at)
         SELECT steward_uuid_v7(), e.email, i.subject, i.body, i.ticket_id, i.message_id, i.at
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::timestamptz[])
           WITH ORDINALITY AS i(ticket_id, contact_id, subject, body, message_id, at, ord)
         CROSS JOIN LATERAL (SELECT email FROM contact_email WHERE contact_id = i.contact_id
                             ORDER BY position LIMIT 1) e
         ORDER BY i.ord",
    )
    .bind(mails.iter().map(|m| m.arrival.ticket.0).collect::<Vec<_>>())
    .bind(
        mails
            .iter()
            .map(|m| m.arrival.contact.map(|c| c.0))
            .collect::<Vec<_>>(),
    )
    .bind(mails.iter().map(|m| m.subject.as_str()).collect::<Vec<_>>())
    .bind(mails.iter().map(|m| m.body.as_str()).collect::<Vec<_>>())
    .bind(mails.iter().map(|m| m.message_id.as_str()).collect::<Vec<_>>())
    .bind(
        mails
            .iter()
            .map(|m| m.arrival.created_at)
            .collect::<Vec<_>>(),
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}
