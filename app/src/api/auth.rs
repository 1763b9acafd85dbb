use crate::error::AppError;
use crate::types::Me;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::edge::{context, fail},
    crate::server::auth::{service, tokens::Purpose},
    crate::server::ServiceError,
};

#[cfg(feature = "ssr")]
async fn start_session(me: &Me) -> Result<(), AppError> {
    let session = leptos_axum::extract::<tower_sessions::Session>()
        .await
        .map_err(|e| fail(ServiceError::Internal(format!("no session layer: {e}"))))?;
    // A new id on every sign-in defeats session fixation.
    session
        .cycle_id()
        .await
        .map_err(|e| fail(ServiceError::Internal(e.to_string())))?;
    session
        .insert(service::SESSION_USER_KEY, me.user_id)
        .await
        .map_err(|e| fail(ServiceError::Internal(e.to_string())))?;
    Ok(())
}

#[server]
pub async fn current_user() -> Result<Option<Me>, AppError> {
    let (state, caller) = context().await?;
    service::me(&state.db, &caller).await.map_err(fail)
}

/// A stable URL (`/api/login`): scripts and benchmarks sign in with it.
#[server(endpoint = "/login")]
pub async fn login(email: String, password: String) -> Result<Me, AppError> {
    let (state, _) = context().await?;
    let me = service::authenticate(&state, &email, &password)
        .await
        .map_err(fail)?;
    start_session(&me).await?;
    Ok(me)
}

#[server]
pub async fn logout() -> Result<(), AppError> {
    let session = leptos_axum::extract::<tower_sessions::Session>()
        .await
        .map_err(|e| fail(ServiceError::Internal(e.to_string())))?;
    session
        .flush()
        .await
        .map_err(|e| fail(ServiceError::Internal(e.to_string())))?;
    leptos_axum::redirect("/login");
    Ok(())
}

#[server]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    let (state, _) = context().await?;
    service::request_password_reset(&state, &email)
        .await
        .map_err(fail)
}

#[server]
pub async fn token_is_valid(token: String, invitation: bool) -> Result<bool, AppError> {
    let (state, _) = context().await?;
    let purpose = if invitation {
        Purpose::Invitation
    } else {
        Purpose::PasswordReset
    };
    service::token_is_valid(&state, &token, purpose)
        .await
        .map_err(fail)
}

/// Sets the password from a reset or invitation link and signs the user in.
#[server]
pub async fn set_password(
    token: String,
    invitation: bool,
    password: String,
    confirm: String,
) -> Result<Me, AppError> {
    let (state, _) = context().await?;
    let purpose = if invitation {
        Purpose::Invitation
    } else {
        Purpose::PasswordReset
    };
    let me = service::set_password_with_token(&state, &token, &password, &confirm, purpose)
        .await
        .map_err(fail)?;
    start_session(&me).await?;
    Ok(me)
}
