use crate::error::AppError;
use crate::types::{
    Account, AccountDetail, AccountFilter, AccountFormFields, AccountId, Choice, ConsoleSummary,
    Page,
};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::edge::{context, fail, invalid},
    crate::server::accounts,
};

#[server]
pub async fn list_accounts(
    #[server(default)] filter: AccountFilter,
) -> Result<Page<Account>, AppError> {
    let (state, caller) = context().await?;
    accounts::list(&state.db, &caller, &filter)
        .await
        .map_err(fail)
}

#[server]
pub async fn get_account_detail(id: AccountId) -> Result<AccountDetail, AppError> {
    let (state, caller) = context().await?;
    accounts::detail(&state.db, &caller, id).await.map_err(fail)
}

#[server]
pub async fn create_account(form: AccountFormFields) -> Result<Account, AppError> {
    let (state, caller) = context().await?;
    let input = form.parse().map_err(invalid)?;
    let account = accounts::create(&state, &caller, &input)
        .await
        .map_err(fail)?;
    leptos_axum::redirect(&format!("/console/accounts/{}", account.id));
    Ok(account)
}

#[server]
pub async fn update_account(id: AccountId, form: AccountFormFields) -> Result<Account, AppError> {
    let (state, caller) = context().await?;
    let input = form.parse().map_err(invalid)?;
    let account = accounts::update(&state, &caller, id, &input)
        .await
        .map_err(fail)?;
    leptos_axum::redirect(&format!("/console/accounts/{}", account.id));
    Ok(account)
}

#[server]
pub async fn delete_account(id: AccountId) -> Result<(), AppError> {
    let (state, caller) = context().await?;
    accounts::delete(&state.db, &caller, id)
        .await
        .map_err(fail)?;
    leptos_axum::redirect("/console/accounts");
    Ok(())
}

#[server]
pub async fn owner_choices() -> Result<Vec<Choice>, AppError> {
    let (state, caller) = context().await?;
    accounts::owner_choices(&state.db, &caller)
        .await
        .map_err(fail)
}

#[server]
pub async fn account_choices(q: String) -> Result<Vec<Choice>, AppError> {
    let (state, caller) = context().await?;
    accounts::search_choices(&state.db, &caller, &q)
        .await
        .map_err(fail)
}

#[server]
pub async fn get_console_summary() -> Result<ConsoleSummary, AppError> {
    let (state, caller) = context().await?;
    accounts::summary(&state.db, &caller).await.map_err(fail)
}
