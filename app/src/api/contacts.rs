use crate::error::AppError;
use crate::types::{Contact, ContactFilter, ContactFormFields, ContactId, Page};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::edge::{context, fail, invalid},
    crate::server::{contacts, users},
};

#[server]
pub async fn list_contacts(
    #[server(default)] filter: ContactFilter,
) -> Result<Page<Contact>, AppError> {
    let (state, caller) = context().await?;
    contacts::list(&state.db, &caller, &filter)
        .await
        .map_err(fail)
}

#[server]
pub async fn get_contact(id: ContactId) -> Result<Contact, AppError> {
    let (state, caller) = context().await?;
    contacts::get(&state.db, &caller, id).await.map_err(fail)
}

#[server]
pub async fn create_contact(form: ContactFormFields) -> Result<Contact, AppError> {
    let (state, caller) = context().await?;
    let input = form.parse().map_err(invalid)?;
    let contact = contacts::create(&state.db, &caller, &input)
        .await
        .map_err(fail)?;
    leptos_axum::redirect(&format!("/console/accounts/{}", contact.account_id));
    Ok(contact)
}

#[server]
pub async fn update_contact(id: ContactId, form: ContactFormFields) -> Result<Contact, AppError> {
    let (state, caller) = context().await?;
    let input = form.parse().map_err(invalid)?;
    let contact = contacts::update(&state.db, &caller, id, &input)
        .await
        .map_err(fail)?;
    leptos_axum::redirect(&format!("/console/accounts/{}", contact.account_id));
    Ok(contact)
}

#[server]
pub async fn delete_contact(id: ContactId) -> Result<(), AppError> {
    let (state, caller) = context().await?;
    contacts::delete(&state.db, &caller, id).await.map_err(fail)
}

/// Emails the contact an invitation to the client portal.
#[server]
pub async fn invite_contact(id: ContactId) -> Result<(), AppError> {
    let (state, caller) = context().await?;
    users::invite_client(&state, &caller, id)
        .await
        .map_err(fail)
}
