//! Signing in and out, password resets and accepting invitations.

use super::passwords;
use super::tokens::{self, Purpose};
use super::{Caller, ClientCaller, StaffCaller};
use crate::server::email;
use crate::server::{AppState, ServiceError};
use crate::types::{AccountId, ContactId, Me, MeKind, Role, UserId};
use sqlx::{FromRow, PgExecutor};

/// The session key holding the signed-in user's id.
pub const SESSION_USER_KEY: &str = "user_id";

/// A user as authentication needs it; has the hash, so it is never serialized.
#[derive(Debug, FromRow)]
struct UserAuthRow {
    id: UserId,
    email: String,
    display_name: String,
    password_hash: Option<String>,
    kind: String,
    role: Option<String>,
    contact_id: Option<ContactId>,
    account_id: Option<AccountId>,
    is_active: bool,
}

const USER_AUTH_SELECT: &str =
    "SELECT u.id, u.email, u.display_name, u.password_hash, u.kind, u.role,
        u.contact_id, c.account_id, u.is_active
     FROM app_user u LEFT JOIN contact c ON c.id = u.contact_id";

impl UserAuthRow {
    fn caller(&self) -> Option<Caller> {
        if !self.is_active {
            return None;
        }
        match self.kind.as_str() {
            "staff" => {
                let role: Role = self.role.as_deref()?.parse().ok()?;
                Some(Caller::Staff(StaffCaller {
                    user_id: Some(self.id),
                    api_key_id: None,
                    role,
                }))
            }
            "client" => Some(Caller::Client(ClientCaller {
                user_id: self.id,
                contact_id: self.contact_id?,
                account_id: self.account_id?,
            })),
            _ => None,
        }
    }

    fn me(&self) -> Option<Me> {
        let kind = match self.caller()? {
            Caller::Staff(s) => MeKind::Staff { role: s.role },
            Caller::Client(c) => MeKind::Client {
                contact_id: c.contact_id,
                account_id: c.account_id,
            },
            _ => return None,
        };
        Some(Me {
            user_id: self.id,
            email: self.email.clone(),
            display_name: self.display_name.clone(),
            kind,
        })
    }
}

/// Resolves a session's user id into a caller; an unknown or disabled user is anonymous.
pub async fn caller_for_user(
    db: impl PgExecutor<'_>,
    user_id: UserId,
) -> Result<Caller, ServiceError> {
    let row: Option<UserAuthRow> = sqlx::query_as(&format!("{USER_AUTH_SELECT} WHERE u.id = $1"))
        .bind(user_id)
        .fetch_optional(db)
        .await?;
    Ok(row.and_then(|r| r.caller()).unwrap_or_default())
}

pub async fn me(db: impl PgExecutor<'_>, caller: &Caller) -> Result<Option<Me>, ServiceError> {
    let Some(user_id) = caller.user_id() else {
        return Ok(None);
    };
    let row: Option<UserAuthRow> = sqlx::query_as(&format!("{USER_AUTH_SELECT} WHERE u.id = $1"))
        .bind(user_id)
        .fetch_optional(db)
        .await?;
    Ok(row.and_then(|r| r.me()))
}

/// Checks credentials with throttling. The same error for an unknown address and a
/// wrong password, so that sign-in reveals nothing about who has an account.
#[tracing::instrument(skip_all)]
pub async fn authenticate(
    state: &AppState,
    email: &str,
    password: &str,
) -> Result<Me, ServiceError> {
    let email = email.trim().to_lowercase();
    if email.is_empty() || password.is_empty() {
        return Err(ServiceError::Validation(vec![
            crate::error::FieldError::new(
                if email.is_empty() {
                    "email"
                } else {
                    "password"
                },
                "is required",
            ),
        ]));
    }
    let failures: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM login_attempt
         WHERE lower(email) = $1 AND NOT succeeded
           AND created_at > now() - make_interval(mins => $2)",
    )
    .bind(&email)
    .bind(state.settings.login_window_minutes as i32)
    .fetch_one(&state.db)
    .await?;
    if failures >= state.settings.login_max_failures {
        tracing::warn!("sign-in throttled");
        return Err(ServiceError::TooManyRequests);
    }

    let row: Option<UserAuthRow> =
        sqlx::query_as(&format!("{USER_AUTH_SELECT} WHERE lower(u.email) = $1"))
            .bind(&email)
            .fetch_optional(&state.db)
            .await?;
    let stored = row.as_ref().and_then(|r| r.password_hash.clone());
    let has_hash = stored.is_some();
    let ok = passwords::verify(password.to_string(), stored).await? && has_hash;
    let me = row.as_ref().filter(|_| ok).and_then(|r| r.me());

    sqlx::query("INSERT INTO login_attempt (email, succeeded) VALUES ($1, $2)")
        .bind(&email)
        .bind(me.is_some())
        .execute(&state.db)
        .await?;
    match me {
        Some(me) => {
            sqlx::query("UPDATE app_user SET last_login_at = now() WHERE id = $1")
                .bind(me.user_id)
                .execute(&state.db)
                .await?;
            Ok(me)
        }
        None => Err(ServiceError::Validation(vec![
            crate::error::FieldError::new("password", "Email or password is incorrect"),
        ])),
    }
}

/// Emails a reset link when the address belongs to an active user; silent otherwise.
#[tracing::instrument(skip_all)]
pub async fn request_password_reset(state: &AppState, email: &str) -> Result<(), ServiceError> {
    let email = email.trim().to_lowercase();
    if email.is_empty() {
        return Err(ServiceError::field("email", "is required"));
    }
    let mut tx = state.db.begin().await?;
    let user: Option<(UserId, String, String)> = sqlx::query_as(
        "SELECT id, email, display_name FROM app_user WHERE lower(email) = $1 AND is_active",
    )
    .bind(&email)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some((user_id, address, name)) = user {
        let secret = tokens::issue(
            &mut tx,
            user_id,
            Purpose::PasswordReset,
            state.settings.reset_token_hours,
        )
        .await?;
        let link = format!(
            "{}/reset-password?token={secret}",
            state.settings.public_url
        );
        email::enqueue(
            &mut *tx,
            &address,
            "Reset your Steward password",
            &format!(
                "Hello {name},\n\nSomeone asked to reset the password of your Steward account.\n\
                 Choose a new password here (the link works once, for {} hours):\n\n{link}\n\n\
                 If it was not you, ignore this message: your password is unchanged.\n",
                state.settings.reset_token_hours
            ),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Sets a new password with a reset or invitation token and returns who it was for.
#[tracing::instrument(skip_all)]
pub async fn set_password_with_token(
    state: &AppState,
    secret: &str,
    password: &str,
    confirm: &str,
    purpose: Purpose,
) -> Result<Me, ServiceError> {
    if let Some(msg) = passwords::policy_error(password) {
        return Err(ServiceError::field("password", &msg));
    }
    if password != confirm {
        return Err(ServiceError::field(
            "confirm",
            "does not match the password",
        ));
    }
    let hash = passwords::hash(password.to_string()).await?;
    let mut tx = state.db.begin().await?;
    let user_id = tokens::consume(&mut *tx, secret, purpose)
        .await?
        .ok_or_else(|| {
            ServiceError::Conflict(
                "This link has expired or was already used. Ask for a new one.".into(),
            )
        })?;
    sqlx::query("UPDATE app_user SET password_hash = $2 WHERE id = $1")
        .bind(user_id)
        .bind(&hash)
        .execute(&mut *tx)
        .await?;
    let row: UserAuthRow = sqlx::query_as(&format!("{USER_AUTH_SELECT} WHERE u.id = $1"))
        .bind(user_id)
        .fetch_one(&mut *tx)
        .await?;
    let me = row.me().ok_or(ServiceError::Forbidden)?;
    tx.commit().await?;
    Ok(me)
}

pub async fn token_is_valid(
    state: &AppState,
    secret: &str,
    purpose: Purpose,
) -> Result<bool, ServiceError> {
    Ok(tokens::is_valid(&state.db, secret, purpose).await?)
}
