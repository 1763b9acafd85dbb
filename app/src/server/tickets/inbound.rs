//! Email-to-case. A mail gateway (Postfix pipe, an MTA webhook, fetchmail) posts each raw
//! RFC 5322 message to `POST /api/v1/inbound-email`; it is parsed with mail-parser and:
//! - a reply (In-Reply-To / References naming one of our mails, or `[#1042]` in the
//!   subject) from a contact of the ticket's account lands on that ticket;
//! - a new mail from a known contact becomes a ticket and notifies the desk;
//! - anything else is kept for review and the sender is told how to get access.
//!
//! Every raw message is stored first under its Message-ID (unique), so the same mail
//! delivered twice creates nothing new, and nothing is ever dropped.

use super::attachments::{self, Upload};
use super::service::{add_message_in, create_for_contact, lock_for_system, Actor};
use super::{repo, rules};
use crate::server::auth::{Caller, Permission};
use crate::server::{accounts, email, AppState, ServiceError};
use crate::types::{
    AccountId, ContactId, NewTicket, TicketChannel, TicketId, TicketStatus, UserId,
};
use mail_parser::{MessageParser, MimeHeaders};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;

pub const MAX_RAW_BYTES: usize = 30 * 1024 * 1024;

/// What became of a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum InboundOutcome {
    NewTicket,
    Reply,
    /// From an unknown sender: kept for a person to look at.
    Review,
    /// Automatic mail (auto-replies, bounces, our own): kept, not acted on.
    Ignored,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct InboundResult {
    pub outcome: InboundOutcome,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, format = Uuid))]
    pub ticket_id: Option<TicketId>,
    pub ticket_number: Option<i64>,
    /// True when this Message-ID had been received before; nothing new was done.
    pub duplicate: bool,
}

impl InboundOutcome {
    fn as_str(&self) -> &'static str {
        match self {
            InboundOutcome::NewTicket => "new_ticket",
            InboundOutcome::Reply => "reply",
            InboundOutcome::Review => "review",
            InboundOutcome::Ignored => "ignored",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "new_ticket" => InboundOutcome::NewTicket,
            "reply" => InboundOutcome::Reply,
            "ignored" => InboundOutcome::Ignored,
            _ => InboundOutcome::Review,
        }
    }
}

/// Drops the quoted history a mail client appends under a reply.
pub fn strip_quoted(text: &str) -> String {
    let mut out = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        let attribution = t.starts_with("On ") && t.ends_with("wrote:");
        if attribution || t == "-----Original Message-----" {
            break;
        }
        if t.starts_with('>') {
            continue;
        }
        out.push(line);
    }
    out.join("\n").trim().to_string()
}

fn subject_number(subject: &str) -> Option<i64> {
    let start = subject.find("[#")? + 2;
    let rest = &subject[start..];
    let end = rest.find(']')?;
    rest[..end].parse().ok()
}

fn strip_brackets(id: &str) -> String {
    id.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_string()
}

struct Sender {
    contact: Option<(ContactId, AccountId, String)>,
    staff: Option<(UserId, String)>,
}

async fn identify(tx: &mut PgConnection, address: &str) -> Result<Sender, sqlx::Error> {
    let contact: Option<(ContactId, AccountId, String)> = sqlx::query_as(
        "SELECT c.id, c.account_id, btrim(c.first_name || ' ' || c.last_name)
         FROM contact_email e JOIN contact c ON c.id = e.contact_id
         WHERE lower(e.email) = lower($1) AND c.status = 'active'",
    )
    .bind(address)
    .fetch_optional(&mut *tx)
    .await?;
    let staff: Option<(UserId, String)> = sqlx::query_as(
        "SELECT id, display_name FROM app_user WHERE lower(email) = lower($1) AND kind = 'staff'
           AND is_active AND role IN ('admin', 'support_manager', 'support_agent')",
    )
    .bind(address)
    .fetch_optional(&mut *tx)
    .await?;
    Ok(Sender { contact, staff })
}

async fn threaded_ticket(
    tx: &mut PgConnection,
    refs: &[String],
    subject: &str,
) -> Result<Option<TicketId>, sqlx::Error> {
    if !refs.is_empty() {
        let found: Option<TicketId> = sqlx::query_scalar(
            "SELECT ticket_id FROM outbound_email WHERE message_id = ANY($1) AND ticket_id IS NOT NULL
             UNION ALL SELECT ticket_id FROM ticket_message WHERE email_message_id = ANY($1)
             UNION ALL SELECT ticket_id FROM inbound_email WHERE message_id = ANY($1) AND ticket_id IS NOT NULL
             LIMIT 1",
        )
        .bind(refs)
        .fetch_optional(&mut *tx)
        .await?;
        if found.is_some() {
            return Ok(found);
        }
    }
    match subject_number(subject) {
        Some(n) => repo::id_by_number(&mut *tx, n).await,
        None => Ok(None),
    }
}

/// Receives one raw message. The caller is the mail gateway's API key (support manager or admin).
#[tracing::instrument(skip_all, fields(bytes = raw.len()))]
pub async fn receive(
    state: &AppState,
    caller: &Caller,
    raw: &[u8],
) -> Result<InboundResult, ServiceError> {
    caller.staff(Permission::ManageSupport)?;
    if raw.len() > MAX_RAW_BYTES {
        return Err(ServiceError::field("message", "is larger than 30 MB"));
    }
    let message = MessageParser::default()
        .parse(raw)
        .filter(|m| m.from().and_then(|f| f.first()).is_some())
        .ok_or_else(|| {
            ServiceError::field("message", "is not an RFC 5322 message with a From address")
        })?;
    let from = message
        .from()
        .and_then(|f| f.first())
        .and_then(|a| a.address())
        .unwrap_or("")
        .trim()
        .to_lowercase();
    if from.is_empty() || !from.contains('@') {
        return Err(ServiceError::field("message", "has no sender address"));
    }
    let message_id = match message.message_id() {
        Some(id) if !id.trim().is_empty() => strip_brackets(id),
        // Without a Message-ID the content itself identifies a redelivery.
        _ => format!(
            "sha256-{}@steward.invalid",
            hex::encode(Sha256::digest(raw))
        ),
    };
    let subject = message.subject().unwrap_or("").trim().to_string();

    let mut tx = state.db.begin().await?;
    // Claim the Message-ID first: a concurrent redelivery waits here, then sees it taken.
    let claimed: Option<uuid::Uuid> = sqlx::query_scalar(
        "INSERT INTO inbound_email (id, message_id, from_address, subject, raw, outcome)
         VALUES ($1, $2, $3, $4, $5, 'review') ON CONFLICT (message_id) DO NOTHING RETURNING id",
    )
    .bind(uuid::Uuid::new_v4())
    .bind(&message_id)
    .bind(&from)
    .bind(&subject)
    .bind(raw)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row_id) = claimed else {
        tx.rollback().await?;
        let (outcome, ticket_id): (String, Option<TicketId>) =
            sqlx::query_as("SELECT outcome, ticket_id FROM inbound_email WHERE message_id = $1")
                .bind(&message_id)
                .fetch_one(&state.db)
                .await?;
        let number = match ticket_id {
            Some(t) => {
                sqlx::query_scalar("SELECT number FROM ticket WHERE id = $1")
                    .bind(t)
                    .fetch_optional(&state.db)
                    .await?
            }
            None => None,
        };
        return Ok(InboundResult {
            outcome: InboundOutcome::parse(&outcome),
            ticket_id,
            ticket_number: number,
            duplicate: true,
        });
    };

    let automatic = message
        .header_raw("Auto-Submitted")
        .is_some_and(|v| !v.trim().eq_ignore_ascii_case("no"))
        || message
            .header_raw("Precedence")
            .is_some_and(|v| matches!(v.trim().to_lowercase().as_str(), "bulk" | "junk" | "list"))
        || from == email::sender_address(&state.settings.mail_from);

    let text = message
        .body_text(0)
        .map(|t| strip_quoted(&t))
        .unwrap_or_default();
    let html = message.body_html(0).map(|h| ammonia::clean(&h));
    let body = if text.is_empty() {
        "(no text)".to_string()
    } else {
        text.chars().take(rules::BODY_MAX).collect()
    };
    let files: Vec<Upload> = message
        .attachments()
        .map(|part| Upload {
            file_name: part.attachment_name().unwrap_or("attachment").to_string(),
            content_type: part
                .content_type()
                .map(|c| match c.subtype() {
                    Some(sub) => format!("{}/{}", c.ctype(), sub),
                    None => c.ctype().to_string(),
                })
                .unwrap_or_else(|| "application/octet-stream".into()),
            bytes: part.contents().to_vec(),
        })
        .collect();

    let mut refs: Vec<String> = Vec::new();
    for header in [message.in_reply_to(), message.references()] {
        if let Some(list) = header.as_text_list() {
            refs.extend(list.iter().map(|r| strip_brackets(r)));
        }
    }
    let sender = identify(&mut tx, &from).await?;
    let mut outcome = InboundOutcome::Review;
    let mut ticket: Option<(TicketId, i64)> = None;

    if automatic {
        outcome = InboundOutcome::Ignored;
    } else if let Some(existing) = threaded_ticket(&mut tx, &refs, &subject).await? {
        if let Some(locked) = lock_for_system(&mut tx, existing).await? {
            let actor = match (&sender.contact, &sender.staff) {
                (_, Some((user, name))) => Some(Actor {
                    user_id: Some(*user),
                    contact_id: None,
                    name: name.clone(),
                    staff: true,
                }),
                (Some((contact, account, name)), None) => {
                    let reach = accounts::repo::subtree(&mut *tx, *account).await?;
                    reach.contains(&locked.account_id).then(|| Actor {
                        user_id: None,
                        contact_id: Some(*contact),
                        name: name.clone(),
                        staff: false,
                    })
                }
                (None, None) => None,
            };
            if let Some(actor) = actor {
                if locked.status == TicketStatus::Closed {
                    // A reply to a closed ticket starts a new one, as the portal would.
                    if let (Some((contact, _, _)), false) = (&sender.contact, actor.staff) {
                        let id =
                            new_ticket(&mut tx, state, *contact, &subject, &body, locked.number)
                                .await?;
                        ticket = Some(id);
                        outcome = InboundOutcome::NewTicket;
                    }
                } else {
                    let msg = add_message_in(
                        &mut tx,
                        state,
                        &actor,
                        existing,
                        &locked,
                        &body,
                        false,
                        "email",
                        Some((&message_id, html.as_deref())),
                    )
                    .await?;
                    for f in &files {
                        store_file(&mut tx, existing, Some(msg), &actor.name, f).await;
                    }
                    ticket = Some((existing, locked.number));
                    outcome = InboundOutcome::Reply;
                }
            }
        }
    }
    if outcome == InboundOutcome::Review && !automatic {
        if let Some((contact, _, name)) = &sender.contact {
            let id = new_ticket(&mut tx, state, *contact, &subject, &body, 0).await?;
            for f in &files {
                store_file(&mut tx, id.0, None, name, f).await;
            }
            ticket = Some(id);
            outcome = InboundOutcome::NewTicket;
        }
    }
    if outcome == InboundOutcome::Review {
        // Never dropped: kept for review, and the sender learns how to get access.
        email::enqueue(
            &mut *tx,
            &from,
            &format!("Re: {subject}"),
            &format!(
                "Thank you for your message. We could not match your address to a registered client, \
                 so it has been passed to our support team for review.\n\n\
                 To raise and follow support requests, ask your company's administrator to invite you \
                 to the client portal ({}/portal), or reply from the address registered with us.\n",
                state.settings.public_url
            ),
        )
        .await?;
        tracing::info!(from = %from, "inbound mail from an unknown sender kept for review");
    }
    sqlx::query("UPDATE inbound_email SET outcome = $2, ticket_id = $3 WHERE id = $1")
        .bind(row_id)
        .bind(outcome.as_str())
        .bind(ticket.map(|t| t.0))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(InboundResult {
        outcome,
        ticket_id: ticket.map(|t| t.0),
        ticket_number: ticket.map(|t| t.1),
        duplicate: false,
    })
}

async fn new_ticket(
    tx: &mut PgConnection,
    state: &AppState,
    contact: ContactId,
    subject: &str,
    body: &str,
    follows: i64,
) -> Result<(TicketId, i64), ServiceError> {
    let subject = if subject.is_empty() {
        "(no subject)".to_string()
    } else {
        subject.chars().take(rules::SUBJECT_MAX).collect()
    };
    let description = if follows > 0 {
        format!("(Follows closed ticket #{follows}.)\n\n{body}")
    } else {
        body.to_string()
    };
    let input = NewTicket {
        subject,
        description: description.chars().take(rules::DESCRIPTION_MAX).collect(),
        ..Default::default()
    };
    let id = create_for_contact(tx, state, contact, &input, TicketChannel::Email).await?;
    let number: i64 = sqlx::query_scalar("SELECT number FROM ticket WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    Ok((id, number))
}

/// Keeps a mail's file; one the rules refuse is noted in the log, not fatal to the mail.
async fn store_file(
    tx: &mut PgConnection,
    ticket: TicketId,
    message: Option<crate::types::MessageId>,
    by: &str,
    f: &Upload,
) {
    if let Err(e) = attachments::check(f) {
        tracing::info!(file = %f.file_name, error = ?e, "mail attachment not kept");
        return;
    }
    // A savepoint, so that a refused file cannot abort the mail's transaction.
    let result = async {
        sqlx::query("SAVEPOINT attachment")
            .execute(&mut *tx)
            .await?;
        match attachments::store_in(tx, ticket, message, by, f).await {
            Ok(_) => {
                sqlx::query("RELEASE SAVEPOINT attachment")
                    .execute(&mut *tx)
                    .await?;
            }
            Err(e) => {
                tracing::info!(file = %f.file_name, error = ?e, "mail attachment not kept");
                sqlx::query("ROLLBACK TO SAVEPOINT attachment")
                    .execute(&mut *tx)
                    .await?;
            }
        }
        Ok::<(), sqlx::Error>(())
    }
    .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "storing a mail attachment failed");
    }
}

/// The review queue: mails from unknown senders not yet looked at.
pub async fn review_queue(
    db: &sqlx::PgPool,
    caller: &Caller,
) -> Result<Vec<crate::types::ReviewMail>, ServiceError> {
    caller.staff(Permission::WorkTickets)?;
    let rows: Vec<(uuid::Uuid, String, String, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
        "SELECT id, from_address, subject, received_at FROM inbound_email
         WHERE outcome = 'review' AND reviewed_at IS NULL ORDER BY received_at DESC LIMIT 200",
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| crate::types::ReviewMail {
            id: r.0,
            from_address: r.1,
            subject: r.2,
            received_at: r.3,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_history_is_dropped_from_a_reply() {
        let text = "Thanks, that fixed it.\n\nOn Tue, 24 Nov 2026, Support wrote:\n> Try this";
        assert_eq!(strip_quoted(text), "Thanks, that fixed it.");
        assert_eq!(strip_quoted("> only quote\nreal"), "real");
    }

    #[test]
    fn the_ticket_number_is_read_from_the_subject_tag() {
        assert_eq!(subject_number("Re: [#1042] Printer jam"), Some(1042));
        assert_eq!(subject_number("Re: Printer jam"), None);
        assert_eq!(subject_number("[#abc]"), None);
    }
}
