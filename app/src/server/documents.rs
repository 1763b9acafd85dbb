//! Account documents: contracts and guides staff share with an account, and the files a
//! client uploads for an onboarding step. Stored in PostgreSQL like ticket files (one store
//! to back up, one transaction); checked with the same content rules; access is checked on
//! every download: staff, or a user of the account itself.
//! Callers: server functions, the file routes (multipart upload, download), onboarding.

use crate::server::auth::{Caller, Permission};
use crate::server::onboarding;
use crate::server::tickets::attachments::{check, Upload};
use crate::server::{AppState, ServiceError};
use crate::types::{AccountId, DocumentId, DocumentInfo, OnboardingStepId};
use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgPool};

pub const MAX_PER_ACCOUNT: i64 = 500;

#[derive(FromRow)]
struct Row {
    id: DocumentId,
    title: String,
    file_name: String,
    content_type: String,
    size_bytes: i32,
    shared_by: String,
    uploaded_by_name: String,
    requirement: Option<String>,
    created_at: DateTime<Utc>,
}

impl From<Row> for DocumentInfo {
    fn from(r: Row) -> Self {
        DocumentInfo {
            id: r.id,
            title: r.title,
            file_name: r.file_name,
            content_type: r.content_type,
            size_bytes: r.size_bytes,
            shared_by: r.shared_by,
            uploaded_by_name: r.uploaded_by_name,
            requirement: r.requirement,
            created_at: r.created_at,
        }
    }
}

const COLUMNS: &str = "id, title, file_name, content_type, size_bytes, shared_by, uploaded_by_name,
    requirement, created_at";

fn may_read(caller: &Caller, account: AccountId) -> Result<(), ServiceError> {
    match caller {
        Caller::Client(c) if c.account_id == account => Ok(()),
        Caller::Client(_) => Err(ServiceError::NotFound),
        _ => caller.staff(Permission::ReadAccounts).map(|_| ()),
    }
}

async fn uploader_name(db: &PgPool, caller: &Caller) -> Result<String, ServiceError> {
    Ok(match caller.user_id() {
        Some(u) => sqlx::query_scalar("SELECT display_name FROM app_user WHERE id = $1")
            .bind(u)
            .fetch_optional(db)
            .await?
            .unwrap_or_else(|| "Steward".into()),
        None => "Steward".into(),
    })
}

/// The account's documents, newest first.
pub async fn list(
    db: &PgPool,
    caller: &Caller,
    account: AccountId,
) -> Result<Vec<DocumentInfo>, ServiceError> {
    caller.require_signed_in()?;
    may_read(caller, account)?;
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM account_document WHERE account_id = $1 ORDER BY created_at DESC LIMIT 200"
    ))
    .bind(account)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(DocumentInfo::from).collect())
}

struct NewDocument<'a> {
    account: AccountId,
    title: &'a str,
    shared_by: &'a str,
    step: Option<OnboardingStepId>,
    requirement: Option<&'a str>,
}

async fn insert(
    tx: &mut sqlx::PgConnection,
    caller: &Caller,
    by_name: &str,
    doc: &NewDocument<'_>,
    upload: &Upload,
) -> Result<DocumentInfo, ServiceError> {
    let (file_name, content_type) = check(upload)?;
    let count: i64 =
        sqlx::query_scalar("SELECT count(*) FROM account_document WHERE account_id = $1")
            .bind(doc.account)
            .fetch_one(&mut *tx)
            .await?;
    if count >= MAX_PER_ACCOUNT {
        return Err(ServiceError::field(
            "file",
            &format!("an account holds at most {MAX_PER_ACCOUNT} documents"),
        ));
    }
    let title = match doc.title.trim() {
        "" => file_name.clone(),
        t => t.chars().take(200).collect(),
    };
    let row: Row = sqlx::query_as(&format!(
        "INSERT INTO account_document (id, account_id, title, file_name, content_type, size_bytes,
             content, shared_by, uploaded_by, uploaded_by_name, onboarding_step_id, requirement)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING {COLUMNS}"
    ))
    .bind(DocumentId::new())
    .bind(doc.account)
    .bind(&title)
    .bind(&file_name)
    .bind(&content_type)
    .bind(upload.bytes.len() as i32)
    .bind(&upload.bytes)
    .bind(doc.shared_by)
    .bind(caller.user_id())
    .bind(by_name)
    .bind(doc.step)
    .bind(doc.requirement)
    .fetch_one(&mut *tx)
    .await?;
    Ok(row.into())
}

/// Staff share a document with an account; its clients see it in the portal.
pub async fn share(
    db: &PgPool,
    caller: &Caller,
    account: AccountId,
    title: &str,
    upload: &Upload,
) -> Result<DocumentInfo, ServiceError> {
    caller.staff(Permission::ShareDocuments)?;
    if title.chars().count() > 200 {
        return Err(ServiceError::field(
            "title",
            "must be at most 200 characters",
        ));
    }
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM account WHERE id = $1)")
        .bind(account)
        .fetch_one(db)
        .await?;
    if !exists {
        return Err(ServiceError::NotFound);
    }
    let name = uploader_name(db, caller).await?;
    let mut tx = db.begin().await?;
    let doc = NewDocument {
        account,
        title,
        shared_by: "staff",
        step: None,
        requirement: None,
    };
    let info = insert(&mut tx, caller, &name, &doc, upload).await?;
    tx.commit().await?;
    tracing::info!(document_id = %info.id, %account, "document shared");
    Ok(info)
}

/// A file for one of a step's required documents, from the client (their own step) or staff.
pub async fn upload_for_step(
    state: &AppState,
    caller: &Caller,
    step: OnboardingStepId,
    requirement: &str,
    upload: &Upload,
) -> Result<DocumentInfo, ServiceError> {
    caller.require_signed_in()?;
    let db = &state.db;
    let name = uploader_name(db, caller).await?;
    let mut tx = db.begin().await?;
    let (account, required) = onboarding::workable_for_upload(&mut tx, caller, step).await?;
    let requirement = requirement.trim();
    if !required.iter().any(|r| r == requirement) {
        return Err(ServiceError::field(
            "requirement",
            "is not a document this step asks for",
        ));
    }
    let doc = NewDocument {
        account,
        title: requirement,
        shared_by: if matches!(caller, Caller::Client(_)) {
            "client"
        } else {
            "staff"
        },
        step: Some(step),
        requirement: Some(requirement),
    };
    let info = insert(&mut tx, caller, &name, &doc, upload).await?;
    tx.commit().await?;
    tracing::info!(document_id = %info.id, step_id = %step, "step document uploaded");
    Ok(info)
}

/// The file, if the caller may see its account. Out of reach looks the same as missing.
pub async fn download(
    db: &PgPool,
    caller: &Caller,
    id: DocumentId,
) -> Result<(String, String, Vec<u8>), ServiceError> {
    caller.require_signed_in()?;
    let row: Option<(AccountId, String, String, Vec<u8>)> = sqlx::query_as(
        "SELECT account_id, file_name, content_type, content FROM account_document WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?;
    let (account, name, content_type, bytes) = row.ok_or(ServiceError::NotFound)?;
    may_read(caller, account)?;
    Ok((name, content_type, bytes))
}

/// Staff remove a document (a wrong file, an outdated contract).
pub async fn remove(db: &PgPool, caller: &Caller, id: DocumentId) -> Result<(), ServiceError> {
    caller.staff(Permission::ShareDocuments)?;
    let done = sqlx::query("DELETE FROM account_document WHERE id = $1")
        .bind(id)
        .execute(db)
        .await?;
    if done.rows_affected() == 0 {
        return Err(ServiceError::NotFound);
    }
    tracing::info!(document_id = %id, "document removed");
    Ok(())
}
