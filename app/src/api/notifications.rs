use crate::error::AppError;
use crate::types::{EmailMode, Notification};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::edge::{context, fail},
    crate::server::notifications,
};

#[server]
pub async fn my_notifications() -> Result<Vec<Notification>, AppError> {
    let (state, caller) = context().await?;
    notifications::list(&state.db, &caller).await.map_err(fail)
}

#[server]
pub async fn unread_notifications() -> Result<i64, AppError> {
    let (state, caller) = context().await?;
    notifications::unread_count(&state.db, &caller)
        .await
        .map_err(fail)
}

/// Marks one notification read (or all of them when `id` is empty).
#[server]
pub async fn mark_notifications_read(
    #[server(default)] id: Option<uuid::Uuid>,
) -> Result<u64, AppError> {
    let (state, caller) = context().await?;
    notifications::mark_read(&state.db, &caller, id)
        .await
        .map_err(fail)
}

#[server]
pub async fn my_email_mode() -> Result<EmailMode, AppError> {
    let (state, caller) = context().await?;
    notifications::preference(&state.db, &caller)
        .await
        .map_err(fail)
}

/// How the caller wants notifications by mail: each one, a daily digest, or none.
#[server]
pub async fn set_email_mode(mode: EmailMode) -> Result<(), AppError> {
    let (state, caller) = context().await?;
    notifications::set_preference(&state.db, &caller, mode)
        .await
        .map_err(fail)
}
