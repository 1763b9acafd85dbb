//! Outgoing mail through a durable outbox: `enqueue` writes the message in the
//! caller's transaction; `deliver_pending` (run by the worker, or by tests to
//! drain the queue) sends it with lettre and records the outcome.

use crate::server::{AppState, ServiceError};
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sqlx::PgExecutor;
use uuid::Uuid;

/// Where mail goes: a real SMTP server, or the log when none is configured (dev runs).
#[derive(Clone)]
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Log,
}

impl Mailer {
    /// `smtp://host:port` (plain, for local relays and tests) or `smtps://user:pass@host`.
    pub fn from_url(url: Option<&str>) -> Result<Self, String> {
        match url {
            None | Some("") => Ok(Mailer::Log),
            Some(url) => AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .map(|b| Mailer::Smtp(b.build()))
                .map_err(|e| format!("invalid STEWARD_SMTP_URL: {e}")),
        }
    }
}

pub async fn enqueue(
    db: impl PgExecutor<'_>,
    to: &str,
    subject: &str,
    body: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO outbound_email (id, to_address, subject, body_text) VALUES ($1, $2, $3, $4)",
    )
    .bind(Uuid::new_v4())
    .bind(to)
    .bind(subject)
    .bind(body)
    .execute(db)
    .await?;
    Ok(())
}

/// A ticket mail: it carries its own Message-ID (so that the client's reply can be
/// threaded back through In-Reply-To) and, for a reply, the thread it continues.
pub struct ThreadedMail<'a> {
    pub to: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    pub ticket_id: uuid::Uuid,
    pub message_id: &'a str,
    pub in_reply_to: Option<&'a str>,
}

pub async fn enqueue_threaded(
    db: impl PgExecutor<'_>,
    mail: &ThreadedMail<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO outbound_email (id, to_address, subject, body_text, ticket_id, message_id, in_reply_to)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(Uuid::new_v4())
    .bind(mail.to)
    .bind(mail.subject)
    .bind(mail.body)
    .bind(mail.ticket_id)
    .bind(mail.message_id)
    .bind(mail.in_reply_to)
    .execute(db)
    .await?;
    Ok(())
}

/// A new globally unique Message-ID (without angle brackets) in the sender's domain.
pub fn new_message_id(mail_from: &str, tag: &str) -> String {
    let domain = mail_from
        .rsplit('@')
        .next()
        .map(|d| d.trim_end_matches('>').trim())
        .filter(|d| !d.is_empty() && !d.contains(' '))
        .unwrap_or("steward.invalid");
    format!("{tag}.{}@{domain}", Uuid::new_v4().simple())
}

/// The address part of the configured sender, for recognising our own mail.
pub fn sender_address(mail_from: &str) -> String {
    mail_from
        .parse::<Mailbox>()
        .map(|m| m.email.to_string().to_lowercase())
        .unwrap_or_default()
}

struct Pending {
    id: Uuid,
    to: String,
    subject: String,
    body: String,
    attempts: i32,
    message_id: Option<String>,
    in_reply_to: Option<String>,
}

const MAX_ATTEMPTS: i32 = 8;

/// Sends up to `limit` due messages. Rows are locked with SKIP LOCKED so several
/// workers (or instances) never send the same message twice.
pub async fn deliver_pending(state: &AppState, limit: i64) -> Result<usize, ServiceError> {
    let mut tx = state.db.begin().await?;
    #[allow(clippy::type_complexity)]
    let rows: Vec<(Uuid, String, String, String, i32, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT id, to_address, subject, body_text, attempts, message_id, in_reply_to FROM outbound_email
         WHERE status = 'pending' AND next_attempt_at <= now()
         ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED",
    )
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    let mut sent = 0;
    for (id, to, subject, body, attempts, message_id, in_reply_to) in rows {
        let mail = Pending {
            id,
            to,
            subject,
            body,
            attempts,
            message_id,
            in_reply_to,
        };
        match send(state, &mail).await {
            Ok(()) => {
                sent += 1;
                sqlx::query("UPDATE outbound_email SET status = 'sent', sent_at = now(), attempts = attempts + 1 WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            Err(e) => {
                tracing::warn!(email_id = %id, error = %e, "mail delivery failed");
                let status = if mail.attempts + 1 >= MAX_ATTEMPTS {
                    "failed"
                } else {
                    "pending"
                };
                sqlx::query(
                    "UPDATE outbound_email SET attempts = attempts + 1, last_error = $2, status = $3,
                       next_attempt_at = now() + make_interval(secs => power(2, attempts + 1)::int * 5)
                     WHERE id = $1",
                )
                .bind(id)
                .bind(e)
                .bind(status)
                .execute(&mut *tx)
                .await?;
            }
        }
    }
    tx.commit().await?;
    Ok(sent)
}

async fn send(state: &AppState, mail: &Pending) -> Result<(), String> {
    let (to, subject, body) = (&mail.to, &mail.subject, &mail.body);
    match &state.mailer {
        Mailer::Log => {
            tracing::info!(target: "steward::mail", email_id = %mail.id, "mail to {to}: {subject}\n{body}");
            Ok(())
        }
        Mailer::Smtp(transport) => {
            let from: Mailbox = state
                .settings
                .mail_from
                .parse()
                .map_err(|e| format!("bad sender: {e}"))?;
            let to: Mailbox = to.parse().map_err(|e| format!("bad recipient: {e}"))?;
            let mut builder = Message::builder().from(from).to(to).subject(subject);
            if let Some(id) = &mail.message_id {
                builder = builder.message_id(Some(format!("<{id}>")));
            }
            if let Some(parent) = &mail.in_reply_to {
                builder = builder
                    .in_reply_to(format!("<{parent}>"))
                    .references(format!("<{parent}>"));
            }
            let message = builder.body(body.to_string()).map_err(|e| e.to_string())?;
            transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
    }
}
