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

const MAX_ATTEMPTS: i32 = 8;

/// Sends up to `limit` due messages. Rows are locked with SKIP LOCKED so several
/// workers (or instances) never send the same message twice.
pub async fn deliver_pending(state: &AppState, limit: i64) -> Result<usize, ServiceError> {
    let mut tx = state.db.begin().await?;
    let rows: Vec<(Uuid, String, String, String, i32)> = sqlx::query_as(
        "SELECT id, to_address, subject, body_text, attempts FROM outbound_email
         WHERE status = 'pending' AND next_attempt_at <= now()
         ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED",
    )
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    let mut sent = 0;
    for (id, to, subject, body, attempts) in rows {
        match send(state, &to, &subject, &body).await {
            Ok(()) => {
                sent += 1;
                sqlx::query("UPDATE outbound_email SET status = 'sent', sent_at = now(), attempts = attempts + 1 WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            Err(e) => {
                tracing::warn!(email_id = %id, error = %e, "mail delivery failed");
                let status = if attempts + 1 >= MAX_ATTEMPTS {
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

async fn send(state: &AppState, to: &str, subject: &str, body: &str) -> Result<(), String> {
    match &state.mailer {
        Mailer::Log => {
            tracing::info!(target: "steward::mail", "mail to {to}: {subject}\n{body}");
            Ok(())
        }
        Mailer::Smtp(transport) => {
            let from: Mailbox = state
                .settings
                .mail_from
                .parse()
                .map_err(|e| format!("bad sender: {e}"))?;
            let to: Mailbox = to.parse().map_err(|e| format!("bad recipient: {e}"))?;
            let message = Message::builder()
                .from(from)
                .to(to)
                .subject(subject)
                .body(body.to_string())
                .map_err(|e| e.to_string())?;
            transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
    }
}
