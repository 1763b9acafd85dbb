//! Outgoing mail through a durable outbox: `enqueue` writes the message in the
//! caller's transaction; `deliver_pending` (run by the worker, or by tests to
//! drain the queue) sends it with lettre and records the outcome.

use crate::server::{AppState, ServiceError};
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
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
    .bind(Uuid::now_v7())
    .bind(to)
    .bind(subject)
    .bind(body)
    .execute(db)
    .await?;
    Ok(())
}

/// A mail with more than plain text: an HTML part, a calendar invitation, the account it
/// concerns (so the account's page lists it) and what kind of mail it is.
#[derive(Debug, Clone, Default)]
pub struct Mail<'a> {
    pub to: &'a str,
    pub subject: &'a str,
    pub body_text: &'a str,
    pub body_html: Option<&'a str>,
    /// An iCalendar object; its METHOD goes into the part's content type too.
    pub calendar: Option<&'a str>,
    pub account_id: Option<crate::types::AccountId>,
    pub kind: &'a str,
}

pub async fn enqueue_mail(db: impl PgExecutor<'_>, mail: &Mail<'_>) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO outbound_email (id, to_address, subject, body_text, body_html, calendar, account_id, kind)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id)
    .bind(mail.to)
    .bind(mail.subject)
    .bind(mail.body_text)
    .bind(mail.body_html)
    .bind(mail.calendar)
    .bind(mail.account_id)
    .bind(if mail.kind.is_empty() { "other" } else { mail.kind })
    .execute(db)
    .await?;
    Ok(id)
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
    .bind(Uuid::now_v7())
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
    body_html: Option<String>,
    calendar: Option<String>,
}

type PendingRow = (
    Uuid,
    String,
    String,
    String,
    i32,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

const MAX_ATTEMPTS: i32 = 8;

/// Sends up to `limit` due messages. Rows are locked with SKIP LOCKED so several
/// workers (or instances) never send the same message twice.
pub async fn deliver_pending(state: &AppState, limit: i64) -> Result<usize, ServiceError> {
    let mut tx = state.db.begin().await?;
    let rows: Vec<PendingRow> = sqlx::query_as(
        "SELECT id, to_address, subject, body_text, attempts, message_id, in_reply_to, body_html, calendar
         FROM outbound_email
         WHERE status = 'pending' AND next_attempt_at <= now()
         ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED",
    )
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    let mut sent = 0;
    for (id, to, subject, body, attempts, message_id, in_reply_to, body_html, calendar) in rows {
        let mail = Pending {
            id,
            to,
            subject,
            body,
            attempts,
            message_id,
            in_reply_to,
            body_html,
            calendar,
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

/// Plain text first, then HTML, then the invitation: mail programs show the last part they
/// understand. The calendar also travels as `invite.ics` for programs that only look at
/// attachments.
fn parts(mail: &Pending) -> Result<MultiPart, String> {
    let mut alternative = MultiPart::alternative().singlepart(SinglePart::plain(mail.body.clone()));
    if let Some(html) = &mail.body_html {
        alternative = alternative.singlepart(SinglePart::html(html.clone()));
    }
    let Some(calendar) = &mail.calendar else {
        return Ok(alternative);
    };
    let method = calendar
        .lines()
        .find_map(|l| l.strip_prefix("METHOD:"))
        .map(str::trim)
        .unwrap_or("PUBLISH");
    let content_type =
        ContentType::parse(&format!("text/calendar; method={method}; charset=UTF-8"))
            .map_err(|e| e.to_string())?;
    alternative = alternative.singlepart(
        SinglePart::builder()
            .header(content_type.clone())
            .body(calendar.clone()),
    );
    Ok(MultiPart::mixed()
        .multipart(alternative)
        .singlepart(Attachment::new("invite.ics".into()).body(calendar.clone(), content_type)))
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
            let message = if mail.body_html.is_none() && mail.calendar.is_none() {
                builder.body(body.to_string())
            } else {
                builder.multipart(parts(mail)?)
            }
            .map_err(|e| e.to_string())?;
            transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
    }
}

#[derive(sqlx::FromRow)]
struct MailRow {
    id: Uuid,
    kind: String,
    to_address: String,
    subject: String,
    status: String,
    attempts: i32,
    last_error: Option<String>,
    created_at: chrono::DateTime<chrono::Utc>,
    sent_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The latest mail about an account, with its delivery state (the account's page shows it).
pub async fn for_account(
    db: impl PgExecutor<'_>,
    account: crate::types::AccountId,
) -> Result<Vec<crate::types::MailRecord>, sqlx::Error> {
    let rows: Vec<MailRow> = sqlx::query_as(
        "SELECT id, kind, to_address, subject, status, attempts, last_error, created_at, sent_at
         FROM outbound_email WHERE account_id = $1 ORDER BY created_at DESC LIMIT 20",
    )
    .bind(account)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| crate::types::MailRecord {
            id: r.id,
            kind: r.kind,
            to: r.to_address,
            subject: r.subject,
            status: r.status,
            attempts: r.attempts,
            last_error: r.last_error,
            created_at: r.created_at,
            sent_at: r.sent_at,
        })
        .collect())
}
