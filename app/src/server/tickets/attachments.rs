//! Ticket files. Stored in PostgreSQL (bytea): one store to back up, and the same
//! transaction and access checks as the ticket (see docs/ARCHITECTURE.md). Content is
//! checked against its declared type; files are served only as downloads.

use super::repo;
use super::service::{actor, get};
use crate::server::auth::{Caller, Permission};
use crate::server::ServiceError;
use crate::types::{AttachmentId, AttachmentInfo, MessageId, TicketId, TicketStatus};
use sqlx::{PgConnection, PgPool};

pub const MAX_BYTES: usize = 10 * 1024 * 1024;
pub const MAX_PER_TICKET: i64 = 50;

/// A file as it arrived: from a form upload or a mail part.
#[derive(Debug, Clone)]
pub struct Upload {
    pub file_name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// The types we keep, and how to recognise their content.
fn content_matches(content_type: &str, b: &[u8]) -> Option<bool> {
    let zip = b.starts_with(b"PK\x03\x04");
    let textual = || !b.contains(&0) && std::str::from_utf8(b).is_ok();
    Some(match content_type {
        "image/png" => b.starts_with(b"\x89PNG\r\n\x1a\n"),
        "image/jpeg" => b.starts_with(&[0xFF, 0xD8, 0xFF]),
        "image/gif" => b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a"),
        "image/webp" => b.len() > 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WEBP",
        "application/pdf" => b.starts_with(b"%PDF-"),
        "application/zip"
        | "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        | "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        | "application/vnd.openxmlformats-officedocument.presentationml.presentation" => zip,
        "text/plain" | "text/csv" | "message/rfc822" => textual(),
        _ => return None,
    })
}

/// Checks a file before it is kept: size, a type we accept, content that matches it,
/// and a file name without path parts.
pub fn check(upload: &Upload) -> Result<(String, String), ServiceError> {
    let content_type = upload
        .content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_lowercase();
    if upload.bytes.is_empty() {
        return Err(ServiceError::field("file", "is empty"));
    }
    if upload.bytes.len() > MAX_BYTES {
        return Err(ServiceError::field(
            "file",
            &format!("is larger than {} MB", MAX_BYTES / 1024 / 1024),
        ));
    }
    match content_matches(&content_type, &upload.bytes) {
        None => {
            return Err(ServiceError::field(
                "file",
                "must be an image, PDF, text, CSV, ZIP or Office document",
            ))
        }
        Some(false) => {
            return Err(ServiceError::field(
                "file",
                "does not contain what its type says",
            ))
        }
        Some(true) => {}
    }
    let name: String = upload
        .file_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(255)
        .collect();
    let name = if name.trim().is_empty() {
        "attachment".to_string()
    } else {
        name.trim().to_string()
    };
    Ok((name, content_type))
}

/// Keeps a checked file on a ticket, in the caller's transaction.
pub async fn store_in(
    tx: &mut PgConnection,
    ticket: TicketId,
    message: Option<MessageId>,
    uploaded_by: &str,
    upload: &Upload,
) -> Result<AttachmentId, ServiceError> {
    let (name, content_type) = check(upload)?;
    let count: i64 =
        sqlx::query_scalar("SELECT count(*) FROM ticket_attachment WHERE ticket_id = $1")
            .bind(ticket)
            .fetch_one(&mut *tx)
            .await?;
    if count >= MAX_PER_TICKET {
        return Err(ServiceError::field(
            "file",
            &format!("a ticket holds at most {MAX_PER_TICKET} files"),
        ));
    }
    let id = AttachmentId::new();
    sqlx::query(
        "INSERT INTO ticket_attachment (id, ticket_id, message_id, file_name, content_type, size_bytes,
            content, uploaded_by_name)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id)
    .bind(ticket)
    .bind(message)
    .bind(&name)
    .bind(&content_type)
    .bind(upload.bytes.len() as i32)
    .bind(&upload.bytes)
    .bind(uploaded_by)
    .execute(&mut *tx)
    .await?;
    Ok(id)
}

/// A client on their own ticket, or support staff, adds a file.
pub async fn attach(
    db: &PgPool,
    caller: &Caller,
    ticket: TicketId,
    upload: &Upload,
) -> Result<AttachmentInfo, ServiceError> {
    if !matches!(caller, Caller::Client(_)) {
        caller.staff(Permission::WorkTickets)?;
    }
    let t = get(db, caller, ticket).await?;
    if t.summary.status == TicketStatus::Closed {
        return Err(ServiceError::Conflict(
            "This ticket is closed. Please raise a new ticket.".into(),
        ));
    }
    let actor = actor(db, caller).await?;
    let mut tx = db.begin().await?;
    let id = store_in(&mut tx, ticket, None, &actor.name, upload).await?;
    repo::record_event(
        &mut tx,
        ticket,
        (actor.user_id, &actor.name),
        "attachment",
        None,
        Some(&upload.file_name),
    )
    .await?;
    sqlx::query("UPDATE ticket SET updated_at = now() WHERE id = $1")
        .bind(ticket)
        .execute(&mut *tx)
        .await?;
    repo::announce(&mut *tx, ticket, t.summary.account_id).await?;
    tx.commit().await?;
    repo::attachments(db, ticket, true)
        .await?
        .into_iter()
        .find(|a| a.id == id)
        .ok_or(ServiceError::NotFound)
}

/// A file for download: (name, content type, bytes), if the caller may see its ticket
/// (and, for clients, it is not on an internal note).
pub async fn download(
    db: &PgPool,
    caller: &Caller,
    id: AttachmentId,
) -> Result<(String, String, Vec<u8>), ServiceError> {
    let row: Option<(TicketId, bool, String, String, Vec<u8>)> = sqlx::query_as(
        "SELECT f.ticket_id, coalesce(m.internal, false), f.file_name, f.content_type, f.content
         FROM ticket_attachment f LEFT JOIN ticket_message m ON m.id = f.message_id WHERE f.id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?;
    let (ticket, internal, name, content_type, bytes) = row.ok_or(ServiceError::NotFound)?;
    get(db, caller, ticket).await?;
    if internal && matches!(caller, Caller::Client(_)) {
        return Err(ServiceError::NotFound);
    }
    Ok((name, content_type, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload(name: &str, ct: &str, bytes: &[u8]) -> Upload {
        Upload {
            file_name: name.into(),
            content_type: ct.into(),
            bytes: bytes.to_vec(),
        }
    }

    #[test]
    fn a_png_that_is_a_png_is_kept_under_its_base_name() {
        let (name, ct) = check(&upload(
            "C:\\photos\\jam.png",
            "image/png",
            b"\x89PNG\r\n\x1a\n....",
        ))
        .expect("ok");
        assert_eq!((name.as_str(), ct.as_str()), ("jam.png", "image/png"));
    }

    #[test]
    fn content_that_does_not_match_its_type_is_refused() {
        assert!(check(&upload("x.pdf", "application/pdf", b"<script>")).is_err());
        assert!(check(&upload("x.html", "text/html", b"<p>hi</p>")).is_err());
        assert!(check(&upload("x.txt", "text/plain", b"a\0b")).is_err());
        assert!(check(&upload("x.txt", "text/plain", b"")).is_err());
    }
}
