//! Single-use, expiring tokens for password resets and invitations.
//! Only a SHA-256 of the token is stored, so a database leak reveals no usable link.

use crate::types::UserId;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::PgExecutor;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    PasswordReset,
    Invitation,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::PasswordReset => "password_reset",
            Purpose::Invitation => "invitation",
        }
    }
}

/// 256 random bits, URL-safe.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub fn digest(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Issues a token, invalidating earlier unused ones of the same purpose.
pub async fn issue(
    tx: &mut sqlx::PgConnection,
    user_id: UserId,
    purpose: Purpose,
    hours: i64,
) -> Result<String, sqlx::Error> {
    sqlx::query("UPDATE user_token SET used_at = now() WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL")
        .bind(user_id)
        .bind(purpose.as_str())
        .execute(&mut *tx)
        .await?;
    let secret = random_secret();
    sqlx::query(
        "INSERT INTO user_token (id, user_id, purpose, token_hash, expires_at)
         VALUES ($1, $2, $3, $4, now() + make_interval(hours => $5))",
    )
    .bind(uuid::Uuid::new_v4())
    .bind(user_id)
    .bind(purpose.as_str())
    .bind(digest(&secret))
    .bind(hours as i32)
    .execute(&mut *tx)
    .await?;
    Ok(secret)
}

/// Marks the token used and returns its user, atomically: a second use finds nothing.
pub async fn consume(
    db: impl PgExecutor<'_>,
    secret: &str,
    purpose: Purpose,
) -> Result<Option<UserId>, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE user_token SET used_at = now()
         WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()
         RETURNING user_id",
    )
    .bind(digest(secret))
    .bind(purpose.as_str())
    .fetch_optional(db)
    .await
}

/// Whether a token would be accepted, without using it (to show the form or an error).
pub async fn is_valid(
    db: impl PgExecutor<'_>,
    secret: &str,
    purpose: Purpose,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM user_token
         WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now())",
    )
    .bind(digest(secret))
    .bind(purpose.as_str())
    .fetch_one(db)
    .await
}
