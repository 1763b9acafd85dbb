use crate::error::AppError;
use crate::types::{
    NewTicketForm, SavedTicketView, Ticket, TicketChangesForm, TicketDetail, TicketFilter,
    TicketId, TicketMessage, TicketOptions, TicketPage, TicketViewCounts, TicketViewer,
};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::edge::{context, fail, invalid},
    crate::server::auth::Caller,
    crate::server::tickets,
    crate::types::TicketChannel,
};

#[server]
pub async fn list_tickets(#[server(default)] filter: TicketFilter) -> Result<TicketPage, AppError> {
    let (state, caller) = context().await?;
    tickets::list(&state.db, &caller, &filter)
        .await
        .map_err(fail)
}

#[server]
pub async fn count_ticket_views() -> Result<TicketViewCounts, AppError> {
    let (state, caller) = context().await?;
    tickets::view_counts(&state.db, &caller).await.map_err(fail)
}

#[server]
pub async fn load_ticket_options() -> Result<TicketOptions, AppError> {
    let (state, caller) = context().await?;
    tickets::options(&state.db, &caller).await.map_err(fail)
}

#[server]
pub async fn get_ticket_detail(id: TicketId) -> Result<TicketDetail, AppError> {
    let (state, caller) = context().await?;
    tickets::detail(&state.db, &caller, id).await.map_err(fail)
}

/// Clients raise tickets in the portal; staff log them from the console (phone by default).
#[server]
pub async fn raise_ticket(form: NewTicketForm) -> Result<Ticket, AppError> {
    let (state, caller) = context().await?;
    let mut input = form.parse().map_err(invalid)?;
    if !form.contact_email.trim().is_empty() && !matches!(caller, Caller::Client(_)) {
        input.contact_id = Some(
            tickets::contact_by_email(&state.db, &caller, &form.contact_email)
                .await
                .map_err(fail)?,
        );
    }
    let t = tickets::create(&state, &caller, &input, TicketChannel::Phone)
        .await
        .map_err(fail)?;
    let area = if matches!(caller, Caller::Client(_)) {
        "portal"
    } else {
        "console"
    };
    leptos_axum::redirect(&format!("/{area}/tickets/{}", t.summary.id));
    Ok(t)
}

#[server]
pub async fn change_ticket(id: TicketId, form: TicketChangesForm) -> Result<Ticket, AppError> {
    let (state, caller) = context().await?;
    let changes = form.parse().map_err(invalid)?;
    tickets::update(&state, &caller, id, &changes)
        .await
        .map_err(fail)
}

#[server]
pub async fn reply_to_ticket(
    id: TicketId,
    body: String,
    #[server(default)] internal: Option<String>,
) -> Result<TicketMessage, AppError> {
    let (state, caller) = context().await?;
    tickets::reply(&state, &caller, id, &body, internal.is_some())
        .await
        .map_err(fail)
}

#[server]
pub async fn close_ticket(id: TicketId) -> Result<Ticket, AppError> {
    let (state, caller) = context().await?;
    tickets::close(&state, &caller, id).await.map_err(fail)
}

#[server]
pub async fn reopen_ticket(id: TicketId) -> Result<Ticket, AppError> {
    let (state, caller) = context().await?;
    tickets::reopen(&state, &caller, id).await.map_err(fail)
}

#[server]
pub async fn ticket_presence(id: TicketId, replying: bool) -> Result<Vec<TicketViewer>, AppError> {
    let (state, caller) = context().await?;
    tickets::presence(&state.db, &caller, id, replying)
        .await
        .map_err(fail)
}

/// The same changes on the ticked tickets (`ids[n]` from the dashboard's checkboxes).
#[server]
pub async fn bulk_change_tickets(
    #[server(default)] ids: Vec<TicketId>,
    form: TicketChangesForm,
) -> Result<usize, AppError> {
    let (state, caller) = context().await?;
    if ids.is_empty() {
        return Err(invalid(vec![crate::error::FieldError::new(
            "ids",
            "tick at least one ticket",
        )]));
    }
    let changes = form.parse().map_err(invalid)?;
    tickets::bulk_update(&state, &caller, &ids, &changes)
        .await
        .map_err(fail)
}

#[server]
pub async fn list_saved_views() -> Result<Vec<SavedTicketView>, AppError> {
    let (state, caller) = context().await?;
    tickets::saved_views(&state.db, &caller).await.map_err(fail)
}

#[server]
pub async fn save_ticket_view(name: String, query: String) -> Result<(), AppError> {
    let (state, caller) = context().await?;
    tickets::save_view(&state.db, &caller, &name, &query)
        .await
        .map_err(fail)
}

#[server]
pub async fn delete_ticket_view(id: uuid::Uuid) -> Result<(), AppError> {
    let (state, caller) = context().await?;
    tickets::delete_view(&state.db, &caller, id)
        .await
        .map_err(fail)
}
