//! Account health: the account page's section, the dashboard, the admin's weights.

use crate::error::AppError;
use crate::types::{AccountHealth, AccountId, HealthBoard, HealthFilter, HealthSettings};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::edge::{context, fail},
    crate::server::health,
};

#[server]
pub async fn load_account_health(account_id: AccountId) -> Result<AccountHealth, AppError> {
    let (state, caller) = context().await?;
    health::for_account(&state.db, &caller, account_id)
        .await
        .map_err(fail)
}

#[server]
pub async fn load_health_board(
    filter: HealthFilter,
    #[server(default)] page: u32,
) -> Result<HealthBoard, AppError> {
    let (state, caller) = context().await?;
    health::board(&state.db, &caller, &filter, page)
        .await
        .map_err(fail)
}

#[server]
pub async fn load_health_settings() -> Result<HealthSettings, AppError> {
    let (state, caller) = context().await?;
    health::load_settings(&state.db, &caller)
        .await
        .map_err(fail)
}

#[server]
pub async fn save_health_settings(settings: HealthSettings) -> Result<(), AppError> {
    let (state, caller) = context().await?;
    health::save_settings(&state.db, &caller, &settings)
        .await
        .map_err(fail)
}
