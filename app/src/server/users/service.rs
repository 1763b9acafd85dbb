use crate::server::auth::tokens::{self, Purpose};
use crate::server::auth::{Caller, Permission};
use crate::server::error::Checks;
use crate::server::{contacts, email, AppState, ServiceError};
use crate::types::{ContactId, Role, UserId, UserSummary};
use chrono::{DateTime, Utc};
use sqlx::FromRow;

#[derive(FromRow)]
struct UserRow {
    id: UserId,
    email: String,
    display_name: String,
    role: Option<String>,
    contact_id: Option<ContactId>,
    is_active: bool,
    has_password: bool,
    last_login_at: Option<DateTime<Utc>>,
}

impl From<UserRow> for UserSummary {
    fn from(r: UserRow) -> Self {
        UserSummary {
            id: r.id,
            email: r.email,
            display_name: r.display_name,
            role: r.role.and_then(|r| r.parse().ok()),
            contact_id: r.contact_id,
            is_active: r.is_active,
            has_password: r.has_password,
            last_login_at: r.last_login_at,
        }
    }
}

const SELECT: &str = "SELECT id, email, display_name, role, contact_id, is_active,
    password_hash IS NOT NULL AS has_password, last_login_at FROM app_user";

pub async fn list(
    state: &AppState,
    caller: &Caller,
    include_clients: bool,
) -> Result<Vec<UserSummary>, ServiceError> {
    caller.staff(Permission::ManageUsers)?;
    let filter = if include_clients {
        ""
    } else {
        " WHERE kind = 'staff'"
    };
    let rows: Vec<UserRow> = sqlx::query_as(&format!(
        "{SELECT}{filter} ORDER BY kind DESC, lower(display_name) LIMIT 500"
    ))
    .fetch_all(&state.db)
    .await?;
    Ok(rows.into_iter().map(UserSummary::from).collect())
}

/// A single-use link to choose a password (for a new user) or to sign in (for one who has
/// one already). Issuing it invalidates the user's earlier invitation links.
pub(crate) async fn portal_link(
    tx: &mut sqlx::PgConnection,
    settings: &crate::server::Settings,
    user_id: UserId,
    has_password: bool,
) -> Result<String, ServiceError> {
    if has_password {
        return Ok(format!("{}/login", settings.public_url));
    }
    let secret = tokens::issue(
        tx,
        user_id,
        Purpose::Invitation,
        settings.invitation_token_hours,
    )
    .await?;
    Ok(format!("{}/invitation?token={secret}", settings.public_url))
}

async fn send_invitation(
    tx: &mut sqlx::PgConnection,
    state: &AppState,
    user_id: UserId,
    address: &str,
    name: &str,
    what: &str,
) -> Result<(), ServiceError> {
    let link = portal_link(tx, &state.settings, user_id, false).await?;
    email::enqueue(
        &mut *tx,
        address,
        "You are invited to Steward",
        &format!(
            "Hello {name},\n\nYou have been invited to {what}.\n\
             Choose your password here (the link works once, for {} hours):\n\n{link}\n",
            state.settings.invitation_token_hours
        ),
    )
    .await?;
    Ok(())
}

/// Creates a staff user without a password and emails them an invitation.
#[tracing::instrument(skip_all)]
pub async fn invite_staff(
    state: &AppState,
    caller: &Caller,
    email_address: &str,
    display_name: &str,
    role: Role,
) -> Result<UserSummary, ServiceError> {
    caller.staff(Permission::ManageUsers)?;
    let mut c = Checks::default();
    let address = c.required("email", email_address, 254);
    if !address.is_empty() && !contacts::rules::is_plausible_email(&address) {
        c.add("email", "is not a valid email address");
    }
    let name = c.required("display_name", display_name, 200);
    c.finish()?;
    let id = UserId::new();
    let mut tx = state.db.begin().await?;
    sqlx::query("INSERT INTO app_user (id, email, display_name, kind, role) VALUES ($1, $2, $3, 'staff', $4)")
        .bind(id)
        .bind(&address)
        .bind(&name)
        .bind(role.as_str())
        .execute(&mut *tx)
        .await
        .map_err(ServiceError::from_db)?;
    send_invitation(&mut tx, state, id, &address, &name, "the Steward console").await?;
    let row: UserRow = sqlx::query_as(&format!("{SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    tracing::info!(user_id = %id, "staff user invited");
    Ok(row.into())
}

/// Changes a user's role and whether they may sign in.
#[tracing::instrument(skip_all, fields(user_id = %id))]
pub async fn update(
    state: &AppState,
    caller: &Caller,
    id: UserId,
    role: Option<Role>,
    is_active: bool,
) -> Result<UserSummary, ServiceError> {
    let admin = caller.staff(Permission::ManageUsers)?;
    if admin.user_id == Some(id) && (!is_active || role.is_some_and(|r| r != Role::Admin)) {
        return Err(ServiceError::Conflict(
            "You cannot remove your own admin access. Ask another admin.".into(),
        ));
    }
    let mut tx = state.db.begin().await?;
    let kind: Option<String> =
        sqlx::query_scalar("SELECT kind FROM app_user WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    match kind.as_deref() {
        None => return Err(ServiceError::NotFound),
        Some("client") if role.is_some() => {
            return Err(ServiceError::field(
                "role",
                "clients do not have a staff role",
            ))
        }
        Some("staff") if role.is_none() => return Err(ServiceError::field("role", "is required")),
        _ => {}
    }
    sqlx::query("UPDATE app_user SET role = coalesce($2, role), is_active = $3 WHERE id = $1")
        .bind(id)
        .bind(role.map(Role::as_str))
        .bind(is_active)
        .execute(&mut *tx)
        .await?;
    let row: UserRow = sqlx::query_as(&format!("{SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(row.into())
}

/// Gives a contact portal access: creates their client user (or re-sends a pending
/// invitation) and emails a link to their first address.
#[tracing::instrument(skip_all, fields(contact_id = %contact_id))]
pub async fn invite_client(
    state: &AppState,
    caller: &Caller,
    contact_id: ContactId,
) -> Result<(), ServiceError> {
    caller.staff(Permission::InviteClients)?;
    let contact = contacts::repo::find(&state.db, contact_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let Some(address) = contact.emails.first().cloned() else {
        return Err(ServiceError::field(
            "emails",
            "The contact needs an email address to be invited",
        ));
    };
    let name = contact.full_name();
    let mut tx = state.db.begin().await?;
    let (user_id, has_password) = ensure_client_user(&mut tx, contact_id, &address, &name).await?;
    if has_password {
        return Err(ServiceError::Conflict(
            "This contact already uses the portal.".into(),
        ));
    }
    let what = format!("the Steward client portal of {}", contact.account_name);
    send_invitation(&mut tx, state, user_id, &address, &name, &what).await?;
    tx.commit().await?;
    tracing::info!(user_id = %user_id, "client invited");
    Ok(())
}

/// The contact's portal user, created (without a password) or re-activated if needed.
/// Returns the user and whether they already chose a password.
pub(crate) async fn ensure_client_user(
    tx: &mut sqlx::PgConnection,
    contact_id: ContactId,
    address: &str,
    name: &str,
) -> Result<(UserId, bool), ServiceError> {
    let existing: Option<(UserId, bool, bool)> = sqlx::query_as(
        "SELECT id, password_hash IS NOT NULL, is_active FROM app_user WHERE contact_id = $1 FOR UPDATE",
    )
    .bind(contact_id)
    .fetch_optional(&mut *tx)
    .await?;
    match existing {
        Some((id, true, true)) => Ok((id, true)),
        Some((id, _, _)) => {
            sqlx::query("UPDATE app_user SET is_active = true, email = $2 WHERE id = $1")
                .bind(id)
                .bind(address)
                .execute(&mut *tx)
                .await
                .map_err(ServiceError::from_db)?;
            Ok((id, false))
        }
        None => {
            let id = UserId::new();
            sqlx::query(
                "INSERT INTO app_user (id, email, display_name, kind, contact_id) VALUES ($1, $2, $3, 'client', $4)",
            )
            .bind(id)
            .bind(address)
            .bind(name)
            .bind(contact_id)
            .execute(&mut *tx)
            .await
            .map_err(ServiceError::from_db)?;
            Ok((id, false))
        }
    }
}

/// The caller as a client admin of their company (FR012), or why not.
async fn client_admin(
    db: &sqlx::PgPool,
    caller: &Caller,
) -> Result<crate::server::auth::ClientCaller, ServiceError> {
    let client = caller.client()?.clone();
    let admin: bool =
        sqlx::query_scalar("SELECT is_client_admin FROM app_user WHERE id = $1 AND is_active")
            .bind(client.user_id)
            .fetch_optional(db)
            .await?
            .unwrap_or(false);
    if !admin {
        return Err(ServiceError::Forbidden);
    }
    Ok(client)
}

/// Whether the caller administers their company's portal users.
pub async fn is_client_admin(db: &sqlx::PgPool, caller: &Caller) -> Result<bool, ServiceError> {
    Ok(match caller {
        Caller::Client(c) => {
            sqlx::query_scalar("SELECT is_client_admin FROM app_user WHERE id = $1 AND is_active")
                .bind(c.user_id)
                .fetch_optional(db)
                .await?
                .unwrap_or(false)
        }
        _ => false,
    })
}

/// A client admin's colleagues: the portal users of their own account.
pub async fn colleagues(
    db: &sqlx::PgPool,
    caller: &Caller,
) -> Result<Vec<crate::types::Colleague>, ServiceError> {
    let me = client_admin(db, caller).await?;
    type Row = (UserId, ContactId, String, String, bool, bool, bool);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT u.id, u.contact_id, u.display_name, u.email, u.is_client_admin, u.is_active,
                u.password_hash IS NOT NULL
         FROM app_user u JOIN contact c ON c.id = u.contact_id
         WHERE c.account_id = $1 ORDER BY u.is_active DESC, lower(u.display_name)",
    )
    .bind(me.account_id)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(user_id, contact_id, name, email, is_client_admin, is_active, has_password)| {
                crate::types::Colleague {
                    is_me: user_id == me.user_id,
                    user_id,
                    contact_id,
                    name,
                    email,
                    is_client_admin,
                    is_active,
                    has_password,
                }
            },
        )
        .collect())
}

/// A client admin invites a colleague: a contact on their account (or the existing one with
/// that address, if it is theirs) and a portal invitation.
pub async fn invite_colleague(
    state: &AppState,
    caller: &Caller,
    input: &crate::types::ColleagueInput,
) -> Result<(), ServiceError> {
    let me = client_admin(&state.db, caller).await?;
    let mut checks = Checks::default();
    let first = checks.required("first_name", &input.first_name, 100);
    let last = checks.required("last_name", &input.last_name, 100);
    let address = checks.required("email", &input.email, 254);
    if !address.is_empty() && !contacts::rules::is_plausible_email(&address) {
        checks.add("email", "is not an email address");
    }
    checks.finish()?;
    let mut tx = state.db.begin().await?;
    let existing: Option<(ContactId, crate::types::AccountId)> = sqlx::query_as(
        "SELECT c.id, c.account_id FROM contact_email e JOIN contact c ON c.id = e.contact_id
         WHERE lower(e.email) = lower($1)",
    )
    .bind(&address)
    .fetch_optional(&mut *tx)
    .await?;
    let contact_id = match existing {
        Some((id, account)) if account == me.account_id => id,
        // Another company's address: refuse without saying whose it is.
        Some(_) => {
            return Err(ServiceError::field(
                "email",
                "cannot be invited to your company",
            ))
        }
        None => {
            let id = ContactId::new();
            sqlx::query(
                "INSERT INTO contact (id, account_id, first_name, last_name, status)
                 VALUES ($1, $2, $3, $4, 'active')",
            )
            .bind(id)
            .bind(me.account_id)
            .bind(&first)
            .bind(&last)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO contact_email (contact_id, position, email) VALUES ($1, 0, $2)",
            )
            .bind(id)
            .bind(&address)
            .execute(&mut *tx)
            .await
            .map_err(ServiceError::from_db)?;
            id
        }
    };
    let name = format!("{first} {last}");
    let (user_id, has_password) = ensure_client_user(&mut tx, contact_id, &address, &name).await?;
    if has_password {
        return Err(ServiceError::field("email", "already uses the portal"));
    }
    let company: String = sqlx::query_scalar("SELECT name FROM account WHERE id = $1")
        .bind(me.account_id)
        .fetch_one(&mut *tx)
        .await?;
    let what = format!("the client portal of {company}");
    send_invitation(&mut tx, state, user_id, &address, &name, &what).await?;
    tx.commit().await?;
    tracing::info!(user_id = %user_id, "colleague invited by client admin");
    Ok(())
}

/// A client admin makes a colleague with portal access an admin too, or no longer one. Never
/// themselves: so a company always keeps the admin who acts, and no admin can lock out the
/// last one. The change holds at once: admin rights are read on every call.
pub async fn set_colleague_admin(
    db: &sqlx::PgPool,
    caller: &Caller,
    user: UserId,
    admin: bool,
) -> Result<(), ServiceError> {
    let me = client_admin(db, caller).await?;
    if user == me.user_id {
        return Err(ServiceError::Conflict(
            "You cannot change your own admin rights; ask another admin.".into(),
        ));
    }
    let active: Option<bool> = sqlx::query_scalar(
        "UPDATE app_user u SET is_client_admin = $3 AND u.is_active
         FROM contact c WHERE c.id = u.contact_id AND u.id = $1 AND c.account_id = $2
         RETURNING u.is_active",
    )
    .bind(user)
    .bind(me.account_id)
    .bind(admin)
    .fetch_optional(db)
    .await?;
    match active {
        // Another company's user, or none: the same answer, so ids reveal nothing.
        None => Err(ServiceError::NotFound),
        Some(false) if admin => Err(ServiceError::Conflict(
            "This colleague's access was revoked; invite them again first.".into(),
        )),
        Some(_) => {
            tracing::info!(user_id = %user, admin, "colleague's admin rights changed by client admin");
            Ok(())
        }
    }
}

/// A client admin revokes a colleague's portal access (never their own).
pub async fn revoke_colleague(
    db: &sqlx::PgPool,
    caller: &Caller,
    user: UserId,
) -> Result<(), ServiceError> {
    let me = client_admin(db, caller).await?;
    if user == me.user_id {
        return Err(ServiceError::Conflict(
            "You cannot revoke your own access.".into(),
        ));
    }
    let done = sqlx::query(
        "UPDATE app_user u SET is_active = false, is_client_admin = false
         FROM contact c WHERE c.id = u.contact_id AND u.id = $1 AND c.account_id = $2",
    )
    .bind(user)
    .bind(me.account_id)
    .execute(db)
    .await?;
    if done.rows_affected() == 0 {
        return Err(ServiceError::NotFound);
    }
    tracing::info!(user_id = %user, "colleague revoked by client admin");
    Ok(())
}
