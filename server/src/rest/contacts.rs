use super::problem::Problem;
use super::{decode_cursor, encode_cursor, path_id, ApiJson, ApiQuery};
use app::server::auth::Caller;
use app::server::{accounts, contacts, AppState};
use app::types::{AccountId, Contact, ContactFilter, ContactId, ContactInput, RecordStatus};
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::{Extension, Json};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Applies an RFC 7396 merge patch to `current` and reads the result back.
pub fn merge_patch<T: Serialize + DeserializeOwned>(
    current: &T,
    patch: serde_json::Value,
) -> Result<T, Problem> {
    let serde_json::Value::Object(changes) = patch else {
        return Err(
            Problem::new(StatusCode::BAD_REQUEST, "Malformed request body")
                .detail("A merge patch must be a JSON object."),
        );
    };
    let mut doc = serde_json::to_value(current).map_err(|e| {
        Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal error").detail(e.to_string())
    })?;
    if let serde_json::Value::Object(fields) = &mut doc {
        for (k, v) in changes {
            fields.insert(k, v);
        }
    }
    serde_json::from_value(doc).map_err(|e| {
        Problem::new(StatusCode::BAD_REQUEST, "Malformed request body").detail(e.to_string())
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContactListQuery {
    /// Matches name or email (case-insensitive, partial).
    pub q: Option<String>,
    #[param(value_type = Option<String>, format = Uuid)]
    pub account_id: Option<AccountId>,
    #[param(inline)]
    pub status: Option<RecordStatus>,
    /// Page size, 1 to 100 (default 25).
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ContactList {
    pub data: Vec<Contact>,
    pub next_cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/contacts", tag = "contacts", params(ContactListQuery),
    responses((status = 200, body = ContactList), (status = 400, body = Problem), (status = 401, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(query): ApiQuery<ContactListQuery>,
) -> Result<Json<ContactList>, Problem> {
    let after = match query.cursor.as_deref() {
        Some(c) => {
            let (at, id) = decode_cursor(c)?;
            Some((at, ContactId(id)))
        }
        None => None,
    };
    let filter = ContactFilter {
        q: query.q,
        account_id: query.account_id,
        status: query.status,
        ..Default::default()
    };
    let limit = query
        .limit
        .unwrap_or(accounts::DEFAULT_PER_PAGE)
        .clamp(1, accounts::MAX_PER_PAGE);
    let data = contacts::list_after(&state.db, &caller, &filter, after, limit).await?;
    let next_cursor = (data.len() as u32 == limit)
        .then(|| data.last().map(|c| encode_cursor(c.created_at, c.id.0)))
        .flatten();
    Ok(Json(ContactList { data, next_cursor }))
}

#[utoipa::path(get, path = "/api/v1/contacts/{id}", tag = "contacts",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Contact), (status = 404, body = Problem)))]
pub async fn get_one(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<Contact>, Problem> {
    Ok(Json(
        contacts::get(&state.db, &caller, path_id(&id)?).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/contacts", tag = "contacts", request_body = ContactInput,
    responses((status = 201, body = Contact), (status = 400, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(input): ApiJson<ContactInput>,
) -> Result<impl IntoResponse, Problem> {
    let contact = contacts::create(&state.db, &caller, &input).await?;
    let location = format!("/api/v1/contacts/{}", contact.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(contact),
    ))
}

/// JSON Merge Patch (RFC 7396).
#[utoipa::path(patch, path = "/api/v1/contacts/{id}", tag = "contacts",
    params(("id" = String, Path, format = Uuid)),
    request_body(content = ContactInput, description = "Any subset of the fields"),
    responses((status = 200, body = Contact), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<serde_json::Value>,
) -> Result<Json<Contact>, Problem> {
    let id: ContactId = path_id(&id)?;
    let current = contacts::get(&state.db, &caller, id).await?;
    let input: ContactInput = merge_patch(&ContactInput::from(&current), patch)?;
    Ok(Json(
        contacts::update(&state.db, &caller, id, &input).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/contacts/{id}", tag = "contacts",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    contacts::delete(&state.db, &caller, path_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
