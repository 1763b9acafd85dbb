//! The public web form: anyone may post it, but a ticket is created only for a
//! registered contact, and only after they confirm from the mailbox on record (002:
//! only registered clients create tickets). Spam protection: a honeypot field and rate
//! limits per sender address and per IP address.

use super::rules;
use super::service::create_for_contact;
use crate::server::auth::tokens;
use crate::server::error::Checks;
use crate::server::{email, AppState, ServiceError};
use crate::types::{ContactId, NewTicket, TicketChannel, TicketId};
use chrono::{Duration, Utc};

/// Requests per hour from one IP address, and per sender address.
pub const PER_IP_PER_HOUR: i64 = 10;
pub const PER_EMAIL_PER_HOUR: i64 = 3;
/// How long the confirmation link works.
pub const CONFIRM_HOURS: i64 = 24;

/// The form as posted. `website` is the honeypot: hidden from people, filled by bots.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct WebFormPost {
    pub email: String,
    pub subject: String,
    pub description: String,
    pub ticket_type: String,
    pub website: String,
}

/// What the sender is told. Known and unknown addresses get the same answer, so the form
/// cannot be used to find out who is a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submitted {
    CheckYourMail,
}

pub async fn submit(
    state: &AppState,
    post: &WebFormPost,
    client_ip: &str,
) -> Result<Submitted, ServiceError> {
    if !post.website.trim().is_empty() {
        tracing::info!(ip = %client_ip, "web form honeypot filled; dropped");
        return Ok(Submitted::CheckYourMail);
    }
    let mut c = Checks::default();
    let address = c.required("email", &post.email, 254).to_lowercase();
    if !address.is_empty() && (!address.contains('@') || address.contains(char::is_whitespace)) {
        c.add("email", "is not an email address");
    }
    let subject = c.required("subject", &post.subject, rules::SUBJECT_MAX);
    let description = c.required("description", &post.description, rules::DESCRIPTION_MAX);
    let ticket_type = match post.ticket_type.trim() {
        "" => "question".to_string(),
        t => t.to_string(),
    };
    c.finish()?;
    let db = &state.db;
    if !super::repo::type_exists(db, &ticket_type).await? {
        return Err(ServiceError::field("ticket_type", "is not a ticket type"));
    }
    let (by_ip, by_email): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE client_ip = $1), count(*) FILTER (WHERE lower(email) = $2)
         FROM web_form_request WHERE created_at > now() - interval '1 hour'",
    )
    .bind(client_ip)
    .bind(&address)
    .fetch_one(db)
    .await?;
    if by_ip >= PER_IP_PER_HOUR || by_email >= PER_EMAIL_PER_HOUR {
        return Err(ServiceError::TooManyRequests);
    }
    let contact: Option<ContactId> = sqlx::query_scalar(
        "SELECT c.id FROM contact_email e JOIN contact c ON c.id = e.contact_id
         WHERE lower(e.email) = $1 AND c.status = 'active'",
    )
    .bind(&address)
    .fetch_optional(db)
    .await?;
    let token = tokens::random_secret();
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO web_form_request (id, email, subject, description, ticket_type, token_hash, client_ip,
            contact_id, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(uuid::Uuid::new_v4())
    .bind(&address)
    .bind(&subject)
    .bind(&description)
    .bind(&ticket_type)
    .bind(tokens::digest(&token))
    .bind(client_ip)
    .bind(contact)
    .bind(Utc::now() + Duration::hours(CONFIRM_HOURS))
    .execute(&mut *tx)
    .await?;
    let body = match contact {
        Some(_) => format!(
            "Please confirm your support request \"{subject}\" by opening this link within {CONFIRM_HOURS} hours:\n\n\
             {}/support/confirm?token={token}\n\nIf you did not send it, ignore this message and nothing will happen.\n",
            state.settings.public_url
        ),
        None => format!(
            "We received a support request \"{subject}\" from this address, but it is not registered with us, \
             so no ticket was created.\n\nTo raise support requests, ask your company's administrator to invite \
             you to the client portal ({}/portal), or use the address registered with us.\n",
            state.settings.public_url
        ),
    };
    email::enqueue(&mut *tx, &address, "Confirm your support request", &body).await?;
    tx.commit().await?;
    Ok(Submitted::CheckYourMail)
}

/// Confirms a request: the ticket is raised for the contact, once.
pub async fn confirm(state: &AppState, token: &str) -> Result<(TicketId, i64), ServiceError> {
    let mut tx = state.db.begin().await?;
    let row: Option<(uuid::Uuid, Option<ContactId>, String, String, String)> = sqlx::query_as(
        "UPDATE web_form_request SET confirmed_at = now()
         WHERE token_hash = $1 AND confirmed_at IS NULL AND expires_at > now() AND contact_id IS NOT NULL
         RETURNING id, contact_id, subject, description, ticket_type",
    )
    .bind(tokens::digest(token))
    .fetch_optional(&mut *tx)
    .await?;
    let Some((request, Some(contact), subject, description, ticket_type)) = row else {
        return Err(ServiceError::Conflict(
            "This link has expired or was already used.".into(),
        ));
    };
    let input = NewTicket {
        subject,
        description,
        ticket_type: Some(ticket_type),
        ..Default::default()
    };
    let id = create_for_contact(&mut tx, state, contact, &input, TicketChannel::WebForm).await?;
    sqlx::query("UPDATE web_form_request SET ticket_id = $2 WHERE id = $1")
        .bind(request)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let number: i64 = sqlx::query_scalar("SELECT number FROM ticket WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok((id, number))
}
