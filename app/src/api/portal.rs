use crate::error::AppError;
use crate::types::{
    Colleague, ColleagueInput, Company, Contact, OnboardingView, PortalOverview, ProfileFields,
    UserId,
};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::edge::{context, fail},
    crate::server::{contacts, onboarding, users},
};

#[server]
pub async fn my_company() -> Result<Company, AppError> {
    let (state, caller) = context().await?;
    contacts::my_company(&state.db, &caller).await.map_err(fail)
}

#[server]
pub async fn my_profile() -> Result<Contact, AppError> {
    let (state, caller) = context().await?;
    contacts::my_profile(&state.db, &caller).await.map_err(fail)
}

#[server]
pub async fn update_my_profile(form: ProfileFields) -> Result<Contact, AppError> {
    let (state, caller) = context().await?;
    contacts::update_my_profile(&state.db, &caller, &form)
        .await
        .map_err(fail)
}

#[server]
pub async fn load_portal_overview() -> Result<PortalOverview, AppError> {
    let (state, caller) = context().await?;
    onboarding::portal_overview(&state.db, &caller)
        .await
        .map_err(fail)
}

/// The client's running onboarding with every step (none when there is none).
#[server]
pub async fn my_onboarding() -> Result<Option<OnboardingView>, AppError> {
    let (state, caller) = context().await?;
    let client = caller.client().map_err(fail)?.clone();
    onboarding::for_account(&state.db, &caller, client.account_id)
        .await
        .map(|(current, _)| current)
        .map_err(fail)
}

#[server]
pub async fn list_colleagues() -> Result<Vec<Colleague>, AppError> {
    let (state, caller) = context().await?;
    users::colleagues(&state.db, &caller).await.map_err(fail)
}

#[server]
pub async fn invite_colleague(form: ColleagueInput) -> Result<(), AppError> {
    let (state, caller) = context().await?;
    users::invite_colleague(&state, &caller, &form)
        .await
        .map_err(fail)
}

#[server]
pub async fn revoke_colleague(user: UserId) -> Result<(), AppError> {
    let (state, caller) = context().await?;
    users::revoke_colleague(&state.db, &caller, user)
        .await
        .map_err(fail)
}

#[server]
pub async fn set_colleague_admin(user: UserId, admin: bool) -> Result<(), AppError> {
    let (state, caller) = context().await?;
    users::set_colleague_admin(&state.db, &caller, user, admin)
        .await
        .map_err(fail)
}
