//! Tickets over REST: list with the dashboard's filters, read, raise, change, reply,
//! attach files; and the inbound-mail endpoint for mail gateways.

use super::problem::Problem;
use super::{path_id, ApiJson, ApiQuery};
use app::server::auth::Caller;
use app::server::tickets::{self, attachments, inbound};
use app::server::AppState;
use app::types::{
    AccountId, AttachmentInfo, NewTicket, TeamId, Ticket, TicketChanges, TicketChannel,
    TicketDetail, TicketFilter, TicketId, TicketMessage, TicketPage, TicketPriority, TicketSort,
    TicketStatus, TicketView, UserId,
};
use axum::body::Bytes;
use axum::extract::{Multipart, Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::{Extension, Json};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TicketListQuery {
    /// mine, unassigned, open, breaching, recent or all (default: open for staff).
    #[param(inline)]
    pub view: Option<TicketView>,
    /// Full-text search over subject, description and replies; `#1042` finds a number.
    pub q: Option<String>,
    #[param(inline)]
    pub status: Option<TicketStatus>,
    #[param(inline)]
    pub priority: Option<TicketPriority>,
    pub ticket_type: Option<String>,
    #[param(value_type = Option<String>, format = Uuid)]
    pub assignee_id: Option<UserId>,
    #[param(value_type = Option<String>, format = Uuid)]
    pub team_id: Option<TeamId>,
    #[param(value_type = Option<String>, format = Uuid)]
    pub account_id: Option<AccountId>,
    pub tag: Option<String>,
    /// Created on or after this day (YYYY-MM-DD).
    pub created_from: Option<NaiveDate>,
    /// Created on or before this day.
    pub created_to: Option<NaiveDate>,
    #[param(inline)]
    pub sort: Option<TicketSort>,
    /// Page size, 1 to 100 (default 25).
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/tickets", tag = "tickets", params(TicketListQuery),
    responses((status = 200, body = TicketPage), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(q): ApiQuery<TicketListQuery>,
) -> Result<Json<TicketPage>, Problem> {
    let filter = TicketFilter {
        view: q.view,
        q: q.q,
        status: q.status,
        priority: q.priority,
        ticket_type: q.ticket_type,
        assignee_id: q.assignee_id,
        team_id: q.team_id,
        account_id: q.account_id,
        tag: q.tag,
        created_from: q.created_from,
        created_to: q.created_to,
        sort: q.sort,
        cursor: q.cursor,
        limit: q.limit,
    };
    Ok(Json(tickets::list(&state.db, &caller, &filter).await?))
}

/// A ticket with its conversation, files and history.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketDocument {
    pub ticket: Ticket,
    pub messages: Vec<TicketMessage>,
    pub attachments: Vec<AttachmentInfo>,
    pub history: Vec<app::types::TicketEvent>,
}

impl From<TicketDetail> for TicketDocument {
    fn from(d: TicketDetail) -> Self {
        TicketDocument {
            ticket: d.ticket,
            messages: d.messages,
            attachments: d.attachments,
            history: d.history,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}", tag = "tickets",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = TicketDocument), (status = 404, body = Problem)))]
pub async fn get_one(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<TicketDocument>, Problem> {
    let detail = tickets::detail(&state.db, &caller, path_id(&id)?).await?;
    Ok(Json(detail.into()))
}

#[utoipa::path(post, path = "/api/v1/tickets", tag = "tickets", request_body = NewTicket,
    responses((status = 201, body = Ticket), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(input): ApiJson<NewTicket>,
) -> Result<impl IntoResponse, Problem> {
    let ticket = tickets::create(&state, &caller, &input, TicketChannel::Api).await?;
    let location = format!("/api/v1/tickets/{}", ticket.summary.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(ticket),
    ))
}

#[utoipa::path(patch, path = "/api/v1/tickets/{id}", tag = "tickets",
    params(("id" = String, Path, format = Uuid)),
    request_body(content = TicketChanges, description = "Fields to change; `null` clears assignee or team"),
    responses((status = 200, body = Ticket), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ApiJson(changes): ApiJson<TicketChanges>,
) -> Result<Json<Ticket>, Problem> {
    Ok(Json(
        tickets::update(&state, &caller, path_id(&id)?, &changes).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewMessage {
    pub body: String,
    /// An internal note, seen by staff only.
    #[serde(default)]
    pub internal: bool,
}

#[utoipa::path(post, path = "/api/v1/tickets/{id}/messages", tag = "tickets",
    params(("id" = String, Path, format = Uuid)), request_body = NewMessage,
    responses((status = 201, body = TicketMessage), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn add_message(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ApiJson(m): ApiJson<NewMessage>,
) -> Result<impl IntoResponse, Problem> {
    let message = tickets::reply(&state, &caller, path_id(&id)?, &m.body, m.internal).await?;
    Ok((StatusCode::CREATED, Json(message)))
}

/// Reads the single file of a multipart upload (field `file`).
pub async fn read_upload(mut form: Multipart) -> Result<attachments::Upload, Problem> {
    let bad = |detail: String| {
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "Invalid upload").detail(detail)
    };
    while let Some(field) = form.next_field().await.map_err(|e| bad(e.body_text()))? {
        if field.name() != Some("file") {
            continue;
        }
        let file_name = field.file_name().unwrap_or("attachment").to_string();
        let content_type = field
            .content_type()
            .unwrap_or("application/octet-stream")
            .to_string();
        let bytes = field.bytes().await.map_err(|e| bad(e.body_text()))?;
        return Ok(attachments::Upload {
            file_name,
            content_type,
            bytes: bytes.to_vec(),
        });
    }
    Err(bad(
        "Send the file in a multipart field named `file`.".into()
    ))
}

#[utoipa::path(post, path = "/api/v1/tickets/{id}/attachments", tag = "tickets",
    params(("id" = String, Path, format = Uuid)),
    request_body(content_type = "multipart/form-data", description = "One file in the field `file` (10 MB at most)"),
    responses((status = 201, body = AttachmentInfo), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn add_attachment(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    form: Multipart,
) -> Result<impl IntoResponse, Problem> {
    let id: TicketId = path_id(&id)?;
    let upload = read_upload(form).await?;
    let info = attachments::attach(&state.db, &caller, id, &upload).await?;
    Ok((StatusCode::CREATED, Json(info)))
}

#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "tickets",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, description = "The file, as a download"), (status = 404, body = Problem)))]
pub async fn download(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, Problem> {
    let (name, content_type, bytes) =
        attachments::download(&state.db, &caller, path_id(&id)?).await?;
    Ok(file_response(&name, &content_type, bytes))
}

/// A file sent as a download, never rendered inline by the browser.
pub fn file_response(name: &str, content_type: &str, bytes: Vec<u8>) -> impl IntoResponse {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_ ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{ascii}\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; sandbox".to_string(),
            ),
        ],
        bytes,
    )
}

#[utoipa::path(post, path = "/api/v1/inbound-email", tag = "email",
    request_body(content_type = "message/rfc822", description = "One raw RFC 5322 message, as the mail gateway received it"),
    responses((status = 200, body = inbound::InboundResult), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn inbound_email(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<Json<inbound::InboundResult>, Problem> {
    Ok(Json(inbound::receive(&state, &caller, &body).await?))
}
