//! Ticket and chat files for the browser pages: upload from a plain HTML form (multipart, then
//! back to the ticket) and download, both with the session's caller and the same
//! domain checks as the REST API.

use crate::rest::tickets::{file_response, read_upload};
use app::error::AppError;
use app::server::auth::Caller;
use app::server::chat;
use app::server::tickets::attachments;
use app::server::AppState;
use app::server::{documents, training};
use app::types::{
    AccountId, AttachmentId, ChatFileId, ConversationId, DocumentId, OnboardingStepId, TicketId,
};
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

/// A multipart form with one file (`file`) and short text fields beside it.
async fn read_form(
    mut form: Multipart,
) -> Result<
    (
        Option<attachments::Upload>,
        std::collections::HashMap<String, String>,
    ),
    String,
> {
    let mut upload = None;
    let mut fields = std::collections::HashMap::new();
    while let Some(field) = form.next_field().await.map_err(|e| e.body_text())? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            let file_name = field.file_name().unwrap_or("document").to_string();
            let content_type = field
                .content_type()
                .unwrap_or("application/octet-stream")
                .to_string();
            let bytes = field.bytes().await.map_err(|e| e.body_text())?;
            upload = Some(attachments::Upload {
                file_name,
                content_type,
                bytes: bytes.to_vec(),
            });
        } else {
            let text = field.text().await.map_err(|e| e.body_text())?;
            fields.insert(name, text.chars().take(500).collect());
        }
    }
    Ok((upload, fields))
}

fn back_to(page: &str, result: Result<(), String>) -> Response {
    match result {
        Ok(()) => Redirect::to(page).into_response(),
        Err(message) => {
            let sep = if page.contains('?') { '&' } else { '?' };
            Redirect::to(&format!("{page}{sep}upload_error={}", url_escape(&message)))
                .into_response()
        }
    }
}

/// `POST /files/accounts/{id}/documents`: staff share a document (`title`, `file`) with an
/// account, then return to its page.
pub async fn share_document(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    form: Multipart,
) -> Response {
    let Ok(account) = id.parse::<AccountId>() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let result = match read_form(form).await {
        Ok((Some(upload), fields)) => {
            let title = fields.get("title").map(String::as_str).unwrap_or("");
            documents::share(&state.db, &caller, account, title, &upload)
                .await
                .map(|_| ())
                .map_err(|e| AppError::from(e).to_string())
        }
        Ok((None, _)) => Err("Choose a file to share.".into()),
        Err(e) => Err(e),
    };
    back_to(&format!("/console/accounts/{account}"), result)
}

/// `POST /files/onboarding-steps/{id}`: a file for one of a step's required documents
/// (`requirement`, `file`), from the client in the portal or staff in the console.
pub async fn upload_step_document(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    form: Multipart,
) -> Response {
    let Ok(step) = id.parse::<OnboardingStepId>() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let (result, back) = match read_form(form).await {
        Ok((upload, fields)) => {
            // Only pages of our own side are valid places to return to.
            let back = fields
                .get("back")
                .filter(|b| b.starts_with("/console/onboarding/") && !b.contains("//"))
                .cloned();
            let result = match upload {
                Some(upload) => {
                    let requirement = fields.get("requirement").map(String::as_str).unwrap_or("");
                    documents::upload_for_step(&state, &caller, step, requirement, &upload)
                        .await
                        .map(|_| ())
                        .map_err(|e| AppError::from(e).to_string())
                }
                None => Err("Choose a file to upload.".into()),
            };
            (result, back)
        }
        Err(e) => (Err(e), None),
    };
    let page = match caller {
        Caller::Client(_) => "/portal/onboarding".to_string(),
        _ => back.unwrap_or_else(|| "/console/onboarding".into()),
    };
    back_to(&page, result)
}

/// `GET /files/documents/{id}`: an account document, if the caller may see its account.
pub async fn download_document(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<DocumentId>() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match documents::download(&state.db, &caller, id).await {
        Ok((name, content_type, bytes)) => {
            file_response(&name, &content_type, bytes).into_response()
        }
        Err(e) => refusal(e),
    }
}

/// `GET /calendar/{secret}.ics`: a staff user's private feed of the training calls they host.
/// The secret in the URL is the credential (calendar apps cannot sign in).
pub async fn calendar_feed(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let Some(secret) = file.strip_suffix(".ics") else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match training::feed(&state.db, &state.settings, secret).await {
        Ok(ics) => (
            [
                (
                    axum::http::header::CONTENT_TYPE,
                    "text/calendar; charset=utf-8",
                ),
                (axum::http::header::CACHE_CONTROL, "private, max-age=300"),
            ],
            ics,
        )
            .into_response(),
        Err(e) => refusal(e),
    }
}

/// `GET /files/feedback.csv?<filter>`: the survey answers the analytics page shows, as CSV.
pub async fn feedback_csv(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    axum::extract::Query(filter): axum::extract::Query<app::types::FeedbackFilter>,
) -> Response {
    match app::server::surveys::analytics::export_csv(&state.db, &caller, &filter).await {
        Ok(bytes) => (
            [
                (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    axum::http::header::CONTENT_DISPOSITION,
                    "attachment; filename=\"feedback.csv\"",
                ),
            ],
            bytes,
        )
            .into_response(),
        // Not a record whose existence needs hiding: say plainly that the role may not.
        Err(app::server::ServiceError::Forbidden) => StatusCode::FORBIDDEN.into_response(),
        Err(e) => refusal(e),
    }
}
