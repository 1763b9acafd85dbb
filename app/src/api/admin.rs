use crate::error::AppError;
use crate::types::{ApiKeyId, ApiKeySummary, NewApiKey, UserId, UserSummary};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::edge::{context, fail, invalid},
    crate::error::FieldError,
    crate::server::{auth::api_keys, users},
    crate::types::Role,
};

#[cfg(feature = "ssr")]
fn parse_role(field: &str, role: &str) -> Result<Role, Vec<FieldError>> {
    role.parse()
        .map_err(|_| vec![FieldError::new(field, "choose a role")])
}

#[server]
pub async fn list_users() -> Result<Vec<UserSummary>, AppError> {
    let (state, caller) = context().await?;
    users::list(&state, &caller, true).await.map_err(fail)
}

#[server]
pub async fn invite_staff(
    email: String,
    display_name: String,
    role: String,
) -> Result<UserSummary, AppError> {
    let (state, caller) = context().await?;
    let role = parse_role("role", &role).map_err(invalid)?;
    users::invite_staff(&state, &caller, &email, &display_name, role)
        .await
        .map_err(fail)
}

/// `role` is empty for client users; `active` is the checkbox (present when ticked).
#[server]
pub async fn update_user(
    id: UserId,
    role: String,
    active: Option<String>,
) -> Result<UserSummary, AppError> {
    let (state, caller) = context().await?;
    let role = if role.is_empty() {
        None
    } else {
        Some(parse_role("role", &role).map_err(invalid)?)
    };
    users::update(&state, &caller, id, role, active.is_some())
        .await
        .map_err(fail)
}

#[server]
pub async fn list_api_keys() -> Result<Vec<ApiKeySummary>, AppError> {
    let (state, caller) = context().await?;
    api_keys::list(&state.db, &caller).await.map_err(fail)
}

#[server]
pub async fn create_api_key(name: String, role: String) -> Result<NewApiKey, AppError> {
    let (state, caller) = context().await?;
    let role = parse_role("role", &role).map_err(invalid)?;
    api_keys::create(&state.db, &caller, &name, role)
        .await
        .map_err(fail)
}

#[server]
pub async fn revoke_api_key(id: ApiKeyId) -> Result<(), AppError> {
    let (state, caller) = context().await?;
    api_keys::revoke(&state.db, &state.api_keys, &caller, id)
        .await
        .map_err(fail)
}
