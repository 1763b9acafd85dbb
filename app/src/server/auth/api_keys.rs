//! API keys for the public REST API: shown once, stored as a SHA-256, scoped to a role.

use super::tokens::{digest, random_secret};
use super::{Caller, Permission, StaffCaller};
use crate::server::error::Checks;
use crate::server::ServiceError;
use crate::types::{ApiKeyId, ApiKeySummary, NewApiKey, Role};
use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgPool};

#[derive(FromRow)]
struct ApiKeyRow {
    id: ApiKeyId,
    name: String,
    prefix: String,
    role: String,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

impl ApiKeyRow {
    fn summary(self) -> Result<ApiKeySummary, ServiceError> {
        Ok(ApiKeySummary {
            id: self.id,
            name: self.name,
            prefix: self.prefix,
            role: self.role.parse().map_err(ServiceError::Internal)?,
            created_at: self.created_at,
            last_used_at: self.last_used_at,
            revoked: self.revoked_at.is_some(),
        })
    }
}

pub async fn create(
    db: &PgPool,
    caller: &Caller,
    name: &str,
    role: Role,
) -> Result<NewApiKey, ServiceError> {
    let staff = caller.staff(Permission::ManageApiKeys)?;
    let mut checks = Checks::default();
    let name = checks.required("name", name, 100);
    checks.finish()?;
    let secret = random_secret();
    let prefix: String = secret.chars().take(8).collect();
    let full = format!("stw_{secret}");
    let row: ApiKeyRow = sqlx::query_as(
        "INSERT INTO api_key (id, name, prefix, key_hash, role, created_by)
         VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING id, name, prefix, role, created_at, last_used_at, revoked_at",
    )
    .bind(ApiKeyId::new())
    .bind(&name)
    .bind(format!("stw_{prefix}"))
    .bind(digest(&full))
    .bind(role.as_str())
    .bind(staff.user_id)
    .fetch_one(db)
    .await?;
    Ok(NewApiKey {
        summary: row.summary()?,
        secret: full,
    })
}

pub async fn list(db: &PgPool, caller: &Caller) -> Result<Vec<ApiKeySummary>, ServiceError> {
    caller.staff(Permission::ManageApiKeys)?;
    let rows: Vec<ApiKeyRow> = sqlx::query_as(
        "SELECT id, name, prefix, role, created_at, last_used_at, revoked_at FROM api_key ORDER BY created_at DESC",
    )
    .fetch_all(db)
    .await?;
    rows.into_iter().map(ApiKeyRow::summary).collect()
}

pub async fn revoke(db: &PgPool, caller: &Caller, id: ApiKeyId) -> Result<(), ServiceError> {
    caller.staff(Permission::ManageApiKeys)?;
    let done =
        sqlx::query("UPDATE api_key SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1")
            .bind(id)
            .execute(db)
            .await?;
    if done.rows_affected() == 0 {
        return Err(ServiceError::NotFound);
    }
    Ok(())
}

/// Resolves a bearer token to a staff caller with the key's role; `None` if unknown or revoked.
pub async fn authenticate(db: &PgPool, bearer: &str) -> Result<Option<Caller>, ServiceError> {
    let row: Option<(ApiKeyId, String)> = sqlx::query_as(
        // Touch last_used_at at most once a minute: no write on every request.
        "WITH k AS (SELECT id, role, last_used_at FROM api_key WHERE key_hash = $1 AND revoked_at IS NULL),
              touched AS (UPDATE api_key SET last_used_at = now()
                          WHERE id IN (SELECT id FROM k WHERE last_used_at IS NULL
                                       OR last_used_at < now() - interval '1 minute'))
         SELECT id, role FROM k",
    )
    .bind(digest(bearer.trim()))
    .fetch_optional(db)
    .await?;
    Ok(match row {
        Some((id, role)) => Some(Caller::Staff(StaffCaller {
            user_id: None,
            api_key_id: Some(id),
            role: role.parse().map_err(ServiceError::Internal)?,
        })),
        None => None,
    })
}
