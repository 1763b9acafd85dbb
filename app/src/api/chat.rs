//! Server functions for live chat: everything but the messages themselves, which travel
//! over the websocket (`/ws/chat`).

use crate::error::AppError;
use crate::types::{
    AgentPresence, CannedResponse, CannedResponseId, ChatAvailability, ChatInbox, ChatSearchHit,
    ChatSettings, ConversationDetail, ConversationId, ConversationSummary, TeamId, TicketId,
    UserId,
};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::edge::{context, fail},
    crate::server::chat,
};

#[server]
pub async fn load_chat_availability() -> Result<ChatAvailability, AppError> {
    let (state, caller) = context().await?;
    chat::availability(&state.db, &caller).await.map_err(fail)
}

/// A client starts a chat; refused with the reason when nobody can answer.
#[server]
pub async fn start_chat(
    topic: String,
    text: String,
    #[server(default)] team_id: Option<TeamId>,
    #[server(default)] client_msg_id: Option<uuid::Uuid>,
) -> Result<ConversationSummary, AppError> {
    let (state, caller) = context().await?;
    let team = team_id;
    let started = chat::start(
        &state.db,
        &caller,
        &topic,
        team,
        &text,
        client_msg_id.unwrap_or_else(uuid::Uuid::new_v4),
    )
    .await
    .map_err(fail)?;
    leptos_axum::redirect(&format!("/portal/chat/{}", started.id));
    Ok(started)
}

/// No agent available: the message becomes a ticket. Returns (ticket, number).
#[server]
pub async fn leave_chat_message(topic: String, text: String) -> Result<(TicketId, i64), AppError> {
    let (state, caller) = context().await?;
    chat::leave_message(&state, &caller, &topic, &text)
        .await
        .map_err(fail)
}

#[server]
pub async fn my_chats() -> Result<Vec<ConversationSummary>, AppError> {
    let (state, caller) = context().await?;
    chat::client_conversations(&state.db, &caller)
        .await
        .map_err(fail)
}

#[server]
pub async fn load_conversation(id: ConversationId) -> Result<ConversationDetail, AppError> {
    let (state, caller) = context().await?;
    chat::detail(&state.db, &caller, id).await.map_err(fail)
}

#[server]
pub async fn load_chat_inbox() -> Result<ChatInbox, AppError> {
    let (state, caller) = context().await?;
    chat::inbox(&state.db, &caller).await.map_err(fail)
}

#[server]
pub async fn set_chat_presence(status: AgentPresence) -> Result<(), AppError> {
    let (state, caller) = context().await?;
    chat::set_presence(&state.db, &caller, status)
        .await
        .map_err(fail)
}

#[server]
pub async fn accept_chat(id: ConversationId) -> Result<(), AppError> {
    let (state, caller) = context().await?;
    chat::accept(&state.db, &caller, id).await.map_err(fail)
}

/// To an agent or to a team's queue (one of the two).
#[server]
pub async fn transfer_chat(
    id: ConversationId,
    #[server(default)] to_agent: Option<UserId>,
    #[server(default)] to_team: Option<TeamId>,
) -> Result<(), AppError> {
    let (state, caller) = context().await?;
    chat::transfer(&state.db, &caller, id, to_agent, to_team)
        .await
        .map_err(fail)
}

#[server]
pub async fn invite_to_chat(id: ConversationId, user_id: UserId) -> Result<(), AppError> {
    let (state, caller) = context().await?;
    chat::invite(&state.db, &caller, id, user_id)
        .await
        .map_err(fail)
}

#[server]
pub async fn end_chat(id: ConversationId) -> Result<(), AppError> {
    let (state, caller) = context().await?;
    chat::close(&state.db, &caller, id).await.map_err(fail)
}

#[server]
pub async fn rate_chat(
    id: ConversationId,
    rating: i16,
    #[server(default)] comment: Option<String>,
) -> Result<(), AppError> {
    let (state, caller) = context().await?;
    chat::rate(&state.db, &caller, id, rating, &comment)
        .await
        .map_err(fail)
}

#[server]
pub async fn email_chat_transcript(id: ConversationId) -> Result<(), AppError> {
    let (state, caller) = context().await?;
    chat::email_transcript(&state.db, &caller, id)
        .await
        .map_err(fail)
}

/// Returns the ticket's (id, number).
#[server]
pub async fn convert_chat_to_ticket(id: ConversationId) -> Result<(TicketId, i64), AppError> {
    let (state, caller) = context().await?;
    let (ticket, number) = chat::convert_to_ticket(&state, &caller, id)
        .await
        .map_err(fail)?;
    if !matches!(caller, crate::server::auth::Caller::Client(_)) {
        leptos_axum::redirect(&format!("/console/tickets/{ticket}"));
    }
    Ok((ticket, number))
}

#[server]
pub async fn account_chats(
    account: crate::types::AccountId,
) -> Result<Vec<ConversationSummary>, AppError> {
    let (state, caller) = context().await?;
    chat::for_account(&state.db, &caller, account)
        .await
        .map_err(fail)
}

#[server]
pub async fn search_chats(q: String) -> Result<Vec<ChatSearchHit>, AppError> {
    let (state, caller) = context().await?;
    chat::search(&state.db, &caller, &q).await.map_err(fail)
}

#[server]
pub async fn load_canned_responses() -> Result<Vec<CannedResponse>, AppError> {
    let (state, caller) = context().await?;
    chat::canned_responses(&state.db, &caller)
        .await
        .map_err(fail)
}

#[server]
pub async fn save_canned_response(
    shortcut: String,
    title: String,
    body: String,
) -> Result<(), AppError> {
    let (state, caller) = context().await?;
    chat::save_canned_response(&state.db, &caller, &shortcut, &title, &body)
        .await
        .map_err(fail)
}

#[server]
pub async fn delete_canned_response(id: CannedResponseId) -> Result<(), AppError> {
    let (state, caller) = context().await?;
    chat::delete_canned_response(&state.db, &caller, id)
        .await
        .map_err(fail)
}

#[server]
pub async fn load_chat_settings() -> Result<ChatSettings, AppError> {
    let (state, caller) = context().await?;
    chat::settings(&state.db, &caller).await.map_err(fail)
}

/// Form fields as text: an empty retention keeps conversations forever.
#[server]
pub async fn save_chat_settings(
    max_chats_per_agent: i32,
    max_queue: i32,
    #[server(default)] offline_outside_hours: Option<String>,
    away_after_minutes: i32,
    #[server(default)] retention_days: Option<String>,
) -> Result<(), AppError> {
    let (state, caller) = context().await?;
    let retention_days = match retention_days.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(d) => Some(d.parse::<i32>().map_err(|_| {
            fail(crate::server::ServiceError::field(
                "retention_days",
                "must be a number of days",
            ))
        })?),
    };
    chat::save_settings(
        &state.db,
        &caller,
        &ChatSettings {
            max_chats_per_agent,
            max_queue,
            offline_outside_hours: offline_outside_hours.is_some(),
            away_after_minutes,
            retention_days,
        },
    )
    .await
    .map_err(fail)
}

/// One agent's limit of concurrent chats; empty returns them to the desk's default.
#[server]
pub async fn set_agent_chat_limit(
    user_id: UserId,
    #[server(default)] max_chats: Option<String>,
) -> Result<(), AppError> {
    let (state, caller) = context().await?;
    let max = match max_chats.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(v) => Some(v.parse::<i32>().map_err(|_| {
            fail(crate::server::ServiceError::field(
                "max_chats",
                "must be a number",
            ))
        })?),
    };
    chat::set_agent_limit(&state.db, &caller, user_id, max)
        .await
        .map_err(fail)
}
