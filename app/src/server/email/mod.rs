//! Outgoing mail through a durable outbox: `enqueue` writes the message in the
//! caller's transaction; `deliver_pending` (run by the worker, or by tests to
//! drain the queue) sends it with lettre and records the outcome.

use crate::server::{AppState, ServiceError};
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::PoolConfig;
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
            // A connection for each recipient in flight, kept open between rounds.
            Some(url) => AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .map(|b| {
                    Mailer::Smtp(
                        b.pool_config(PoolConfig::new().max_size(IN_FLIGHT as u32))
                            .build(),
                    )
                })
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
    chrono::DateTime<chrono::Utc>,
);

const MAX_ATTEMPTS: i32 = 8;

/// Recipients sent to at once, each on a pooled connection of its own (the pool's size): one
/// mail at a time, a round's mails waited on each other's round trips to the relay.
const IN_FLIGHT: usize = 8;

/// How long a claimed mail is left to the worker that claimed it; past that another may send
/// it (the first died before it wrote the outcome).
const CLAIM_SECS: i32 = 300;

/// Sends up to `limit` due messages and returns how many were sent: `IN_FLIGHT` recipients at
/// once, each recipient's mails one after the other in the order they were written (so that a
/// ticket's acknowledgement arrives before the reply to it).
///
/// Claiming is a short statement of its own: the due mails (SKIP LOCKED) get their next
/// attempt moved past the claim, so several workers or instances never take the same
/// message and no transaction stays open while the relay answers. Each mail's outcome is
/// written as soon as it is known, so a worker that dies resends only the mails it had in
/// flight, once their claim runs out.
pub async fn deliver_pending(state: &AppState, limit: i64) -> Result<usize, ServiceError> {
    let rows: Vec<PendingRow> = sqlx::query_as(
        "WITH due AS (
            SELECT id FROM outbound_email
            WHERE status = 'pending' AND next_attempt_at <= now()
            ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED
         )
         UPDATE outbound_email o SET next_attempt_at = now() + make_interval(secs => $2)
         FROM due WHERE o.id = due.id
         RETURNING o.id, o.to_address, o.subject, o.body_text, o.attempts, o.message_id,
                   o.in_reply_to, o.body_html, o.calendar, o.created_at",
    )
    .bind(limit)
    .bind(CLAIM_SECS)
    .fetch_all(&state.db)
    .await?;
    let mut rows = rows;
    rows.sort_by_key(|r| (r.9, r.0));
    let mut by_recipient: Vec<(String, Vec<Pending>)> = Vec::new();
    for (id, to, subject, body, attempts, message_id, in_reply_to, body_html, calendar, _) in rows {
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
        let key = mail.to.to_lowercase();
        match by_recipient.iter_mut().find(|(k, _)| *k == key) {
            Some((_, mails)) => mails.push(mail),
            None => by_recipient.push((key, vec![mail])),
        }
    }
    let mut sending = tokio::task::JoinSet::new();
    let mut round = Round::default();
    for (_, mails) in by_recipient {
        if sending.len() >= IN_FLIGHT {
            if let Some(done) = sending.join_next().await {
                round.add(done);
            }
        }
        let state = state.clone();
        sending.spawn(async move {
            let mut round = Round::default();
            for mail in mails {
                let outcome = send(&state, &mail).await;
                round.sent += usize::from(outcome.is_ok());
                if let Err(e) = record(&state, &mail, outcome).await {
                    tracing::error!(email_id = %mail.id, error = %e, "a mail's outcome was not written");
                    round.error.get_or_insert(e);
                }
            }
            round
        });
    }
    while let Some(done) = sending.join_next().await {
        round.add(done);
    }
    match round.error {
        Some(e) => Err(e.into()),
        None => Ok(round.sent),
    }
}

/// What a delivery round sent, and the first failure to write an outcome (the round goes on,
/// so that every mail in flight gets its outcome written).
#[derive(Default)]
struct Round {
    sent: usize,
    error: Option<sqlx::Error>,
}

impl Round {
    fn add(&mut self, done: Result<Round, tokio::task::JoinError>) {
        match done {
            Ok(other) => {
                self.sent += other.sent;
                if let Some(e) = other.error {
                    self.error.get_or_insert(e);
                }
            }
            // Its mails' claims run out and another round tries them.
            Err(e) => tracing::error!(error = %e, "a mail delivery task failed"),
        }
    }
}

/// Writes a mail's outcome: sent, or its error with the next attempt backed off
/// exponentially (failed for good after `MAX_ATTEMPTS`).
async fn record(
    state: &AppState,
    mail: &Pending,
    outcome: Result<(), String>,
) -> Result<(), sqlx::Error> {
    match outcome {
        Ok(()) => {
            sqlx::query(
                "UPDATE outbound_email SET status = 'sent', sent_at = now(), attempts = attempts + 1
                 WHERE id = $1",
            )
            .bind(mail.id)
            .execute(&state.db)
            .await?;
        }
        Err(e) => {
            tracing::warn!(email_id = %mail.id, error = %e, "mail delivery failed");
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
            .bind(mail.id)
            .bind(e)
            .bind(status)
            .execute(&state.db)
            .await?;
        }
    }
    Ok(())
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
