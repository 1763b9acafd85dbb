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

async fn send_invitation(
    tx: &mut sqlx::PgConnection,
    state: &AppState,
    user_id: UserId,
    address: &str,
    name: &str,
    what: &str,
) -> Result<(), ServiceError> {
    let secret = tokens::issue(
        tx,
        user_id,
        Purpose::Invitation,
        state.settings.invitation_token_hours,
    )
    .await?;
    let link = format!("{}/invitation?token={secret}", state.settings.public_url);
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
    let existing: Option<(UserId, bool, bool)> = sqlx::query_as(
        "SELECT id, password_hash IS NOT NULL, is_active FROM app_user WHERE contact_id = $1 FOR UPDATE",
    )
    .bind(contact_id)
    .fetch_optional(&mut *tx)
    .await?;
    let user_id = match existing {
        Some((_, true, true)) => {
            return Err(ServiceError::Conflict(
                "This contact already uses the portal.".into(),
            ))
        }
        Some((id, _, _)) => {
            sqlx::query("UPDATE app_user SET is_active = true, email = $2 WHERE id = $1")
                .bind(id)
                .bind(&address)
                .execute(&mut *tx)
                .await
                .map_err(ServiceError::from_db)?;
            id
        }
        None => {
            let id = UserId::new();
            sqlx::query(
                "INSERT INTO app_user (id, email, display_name, kind, contact_id) VALUES ($1, $2, $3, 'client', $4)",
            )
            .bind(id)
            .bind(&address)
            .bind(&name)
            .bind(contact_id)
            .execute(&mut *tx)
            .await
            .map_err(ServiceError::from_db)?;
            id
        }
    };
    let what = format!("the Steward client portal of {}", contact.account_name);
    send_invitation(&mut tx, state, user_id, &address, &name, &what).await?;
    tx.commit().await?;
    tracing::info!(user_id = %user_id, "client invited");
    Ok(())
}
