use crate::error::AppError;
use crate::types::{Company, Contact, ProfileFields};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::edge::{context, fail},
    crate::server::contacts,
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
