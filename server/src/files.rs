//! Ticket and chat files for the browser pages: upload from a plain HTML form (multipart, then
//! back to the ticket) and download, both with the session's caller and the same
//! domain checks as the REST API.

use crate::rest::tickets::{file_response, read_upload};
use app::error::AppError;
use app::server::auth::Caller;
use app::server::chat;
use app::server::tickets::attachments;
use app::server::AppState;
use app::types::{AttachmentId, ChatFileId, ConversationId, TicketId};
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;

/// `POST /files/tickets/{id}`: adds the form's file, then returns to the ticket page;
/// a refusal comes back as `?upload_error=` for the page to show beside the form.
pub async fn upload(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    form: Multipart,
) -> Response {
    let Ok(ticket) = id.parse::<TicketId>() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let page = match caller {
        Caller::Client(_) => format!("/portal/tickets/{ticket}"),
        _ => format!("/console/tickets/{ticket}"),
    };
    let result = match read_upload(form).await {
        Ok(upload) => attachments::attach(&state.db, &caller, ticket, &upload)
            .await
            .map(|_| ())
            .map_err(|e| AppError::from(e).to_string()),
        Err(p) => Err(p.detail.unwrap_or(p.title)),
    };
    match result {
        Ok(()) => Redirect::to(&page).into_response(),
        Err(message) => {
            let q: String = url_escape(&message);
            Redirect::to(&format!("{page}?upload_error={q}")).into_response()
        }
    }
}

fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `GET /files/{id}`: the file as a download, if the caller may see its ticket.
pub async fn download(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<AttachmentId>() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match attachments::download(&state.db, &caller, id).await {
        Ok((name, content_type, bytes)) => {
            file_response(&name, &content_type, bytes).into_response()
        }
        Err(e) => refusal(e),
    }
}

/// `POST /files/conversations/{id}`: adds the form's file to a chat, then returns to the
/// chat page (which resumes its connection); refusals come back as `?upload_error=`.
pub async fn upload_to_chat(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    form: Multipart,
) -> Response {
    let Ok(conversation) = id.parse::<ConversationId>() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let page = match caller {
        Caller::Client(_) => format!("/portal/chat/{conversation}"),
        _ => format!("/console/chats/{conversation}"),
    };
    let result = match read_upload(form).await {
        Ok(upload) => chat::attach(&state.db, &caller, conversation, &upload)
            .await
            .map(|_| ())
            .map_err(|e| AppError::from(e).to_string()),
        Err(p) => Err(p.detail.unwrap_or(p.title)),
    };
    match result {
        Ok(()) => Redirect::to(&page).into_response(),
        Err(message) => {
            Redirect::to(&format!("{page}?upload_error={}", url_escape(&message))).into_response()
        }
    }
}

/// `GET /files/chat/{id}`: a chat file as a download, if the caller may see the chat.
pub async fn download_chat_file(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<ChatFileId>() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match chat::download(&state.db, &caller, id).await {
        Ok((name, content_type, bytes)) => {
            file_response(&name, &content_type, bytes).into_response()
        }
        Err(e) => refusal(e),
    }
}

fn refusal(e: app::server::ServiceError) -> Response {
    let status = match AppError::from(e) {
        AppError::Unauthorized => StatusCode::UNAUTHORIZED,
        AppError::Forbidden | AppError::NotFound => StatusCode::NOT_FOUND,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    status.into_response()
}
