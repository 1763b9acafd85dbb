//! In-app notifications: short messages with a link, per user, read or unread.
//! Written by other capabilities in their own transactions (`tickets::repo::notify_user`);
//! read here. Callers: server functions.

use crate::server::auth::Caller;
use crate::server::ServiceError;
use crate::types::Notification;
use chrono::{DateTime, Utc};
use sqlx::PgPool;

fn me(caller: &Caller) -> Result<crate::types::UserId, ServiceError> {
    caller.require_signed_in()?;
    caller.user_id().ok_or(ServiceError::Forbidden)
}

type Row = (
    uuid::Uuid,
    String,
    String,
    Option<DateTime<Utc>>,
    DateTime<Utc>,
);

/// The latest 50, unread first.
pub async fn list(db: &PgPool, caller: &Caller) -> Result<Vec<Notification>, ServiceError> {
    let me = me(caller)?;
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, title, link, read_at, created_at FROM notification WHERE user_id = $1
             ORDER BY read_at IS NOT NULL, created_at DESC LIMIT 50",
    )
    .bind(me)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, title, link, read_at, created_at)| Notification {
            id,
            title,
            link,
            read: read_at.is_some(),
            created_at,
        })
        .collect())
}

pub async fn unread_count(db: &PgPool, caller: &Caller) -> Result<i64, ServiceError> {
    let me = me(caller)?;
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM notification WHERE user_id = $1 AND read_at IS NULL",
    )
    .bind(me)
    .fetch_one(db)
    .await?)
}

/// Marks one (or, with `None`, every) notification of the caller as read.
pub async fn mark_read(
    db: &PgPool,
    caller: &Caller,
    id: Option<uuid::Uuid>,
) -> Result<u64, ServiceError> {
    let me = me(caller)?;
    let done = sqlx::query(
        "UPDATE notification SET read_at = now()
         WHERE user_id = $1 AND read_at IS NULL AND ($2::uuid IS NULL OR id = $2)",
    )
    .bind(me)
    .bind(id)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
