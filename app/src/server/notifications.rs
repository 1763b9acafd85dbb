//! Notifications: short messages with a link, per user (staff or client), read or unread, in
//! the app, and by mail as each user prefers (at once, in a daily digest, or not at all).
//! Alerts and reminders go through `notify`, inside the transaction of their cause, with an
//! idempotency key so that nothing is announced twice. Ticket notices written earlier through
//! `tickets::repo::notify_user` send their own mail. Callers: server functions, the worker.

use crate::server::auth::Caller;
use crate::server::{email, AppState, ServiceError};
use crate::types::{EmailMode, Notification, UserId};
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

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

/// A notification to one user.
#[derive(Debug, Clone)]
pub struct Notice<'a> {
    pub user: UserId,
    pub title: &'a str,
    /// A path in the app (`/console/…` or `/portal/…`).
    pub link: &'a str,
    /// Names the cause; a second notice with the same key does nothing.
    pub key: Option<&'a str>,
}

/// Notifies a user in the caller's transaction: the in-app notification, and the mail their
/// preference asks for. Returns false when the key was already used (nothing is sent).
pub async fn notify(
    tx: &mut PgConnection,
    state: &AppState,
    n: &Notice<'_>,
) -> Result<bool, ServiceError> {
    let recipient: Option<(String, Option<String>)> = sqlx::query_as(
        "SELECT u.email, p.email_mode FROM app_user u
         LEFT JOIN notification_preference p ON p.user_id = u.id WHERE u.id = $1 AND u.is_active",
    )
    .bind(n.user)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((address, mode)) = recipient else {
        return Ok(false);
    };
    let mode = mode
        .as_deref()
        .and_then(EmailMode::parse)
        .unwrap_or(EmailMode::Immediate);
    let inserted = sqlx::query(
        "INSERT INTO notification (id, user_id, title, link, idempotency_key, digest_pending)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING",
    )
    .bind(uuid::Uuid::now_v7())
    .bind(n.user)
    .bind(n.title)
    .bind(n.link)
    .bind(n.key)
    .bind(mode == EmailMode::DailyDigest)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Ok(false);
    }
    // The user's open pages refresh their bell (delivered when the transaction commits).
    sqlx::query("SELECT pg_notify('steward_notices', $1::text)")
        .bind(n.user)
        .execute(&mut *tx)
        .await?;
    if mode == EmailMode::Immediate {
        email::enqueue_mail(
            &mut *tx,
            &email::Mail {
                to: &address,
                subject: n.title,
                body_text: &format!(
                    "{}\n\n{}{}\n\nYou get these mails one by one; choose a daily digest or none on your notifications page.\n",
                    n.title, state.settings.public_url, n.link
                ),
                kind: "notification",
                ..Default::default()
            },
        )
        .await?;
    }
    Ok(true)
}

pub async fn preference(db: &PgPool, caller: &Caller) -> Result<EmailMode, ServiceError> {
    let me = me(caller)?;
    let mode: Option<String> =
        sqlx::query_scalar("SELECT email_mode FROM notification_preference WHERE user_id = $1")
            .bind(me)
            .fetch_optional(db)
            .await?;
    Ok(mode
        .as_deref()
        .and_then(EmailMode::parse)
        .unwrap_or(EmailMode::Immediate))
}

pub async fn set_preference(
    db: &PgPool,
    caller: &Caller,
    mode: EmailMode,
) -> Result<(), ServiceError> {
    let me = me(caller)?;
    sqlx::query(
        "INSERT INTO notification_preference (user_id, email_mode) VALUES ($1, $2)
         ON CONFLICT (user_id) DO UPDATE SET email_mode = excluded.email_mode",
    )
    .bind(me)
    .bind(mode.as_str())
    .execute(db)
    .await?;
    if mode != EmailMode::DailyDigest {
        // Leaving the digest: what waited for it is not mailed later.
        sqlx::query(
            "UPDATE notification SET digest_pending = false WHERE user_id = $1 AND digest_pending",
        )
        .bind(me)
        .execute(db)
        .await?;
    }
    Ok(())
}

/// Sends each digest user, once their local morning has come (07:00 in their saved time zone,
/// UTC otherwise), one mail listing what waited; the day is claimed first so that two workers
/// never send two digests. Returns how many digests went out.
pub async fn send_digests(state: &AppState) -> Result<usize, ServiceError> {
    let mut tx = state.db.begin().await?;
    let due: Vec<(UserId, String)> = sqlx::query_as(
        "UPDATE notification_preference p
         SET digest_sent_on = (now() AT TIME ZONE coalesce(u.time_zone, 'UTC'))::date
         FROM app_user u
         WHERE u.id = p.user_id AND u.is_active AND p.email_mode = 'daily_digest'
           AND (now() AT TIME ZONE coalesce(u.time_zone, 'UTC'))::time >= '07:00'
           AND p.digest_sent_on IS DISTINCT FROM (now() AT TIME ZONE coalesce(u.time_zone, 'UTC'))::date
           AND EXISTS (SELECT 1 FROM notification n WHERE n.user_id = p.user_id AND n.digest_pending)
         RETURNING p.user_id, u.email",
    )
    .fetch_all(&mut *tx)
    .await?;
    for (user, address) in &due {
        let items: Vec<(String, String)> = sqlx::query_as(
            "UPDATE notification SET digest_pending = false
             WHERE user_id = $1 AND digest_pending RETURNING title, link",
        )
        .bind(user)
        .fetch_all(&mut *tx)
        .await?;
        let mut body = format!("{} new since your last digest:\n\n", items.len());
        for (title, link) in &items {
            body.push_str(&format!(
                "- {title}\n  {}{link}\n",
                state.settings.public_url
            ));
        }
        email::enqueue_mail(
            &mut *tx,
            &email::Mail {
                to: address,
                subject: &format!("Your Steward digest: {} new", items.len()),
                body_text: &body,
                kind: "digest",
                ..Default::default()
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(due.len())
}
