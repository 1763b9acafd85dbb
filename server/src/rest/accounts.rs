use super::problem::Problem;
use super::{decode_cursor, encode_cursor, path_id, ApiJson, ApiQuery};
use app::server::accounts;
use app::server::auth::Caller;
use app::server::AppState;
use app::types::{
    Account, AccountFilter, AccountId, AccountInput, AccountType, RecordStatus, UserId,
};
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccountListQuery {
    /// Matches name, city or accounting id (case-insensitive, partial).
    pub q: Option<String>,
    #[param(inline)]
    pub account_type: Option<AccountType>,
    #[param(inline)]
    pub status: Option<RecordStatus>,
    #[param(value_type = Option<String>, format = Uuid)]
    pub owner_id: Option<UserId>,
    #[param(value_type = Option<String>, format = Uuid)]
    pub parent_id: Option<AccountId>,
    /// Page size, 1 to 100 (default 25).
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AccountList {
    pub data: Vec<Account>,
    /// Absent on the last page.
    pub next_cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/accounts", tag = "accounts", params(AccountListQuery),
    responses((status = 200, body = AccountList), (status = 400, body = Problem), (status = 401, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(query): ApiQuery<AccountListQuery>,
) -> Result<Json<AccountList>, Problem> {
    let after = match query.cursor.as_deref() {
        Some(c) => {
            let (at, id) = decode_cursor(c)?;
            Some((at, AccountId(id)))
        }
        None => None,
    };
    let filter = AccountFilter {
        q: query.q,
        account_type: query.account_type,
        status: query.status,
        owner_id: query.owner_id,
        parent_id: query.parent_id,
        ..Default::default()
    };
    let limit = query
        .limit
        .unwrap_or(accounts::DEFAULT_PER_PAGE)
        .clamp(1, accounts::MAX_PER_PAGE);
    let data = accounts::list_after(&state.db, &caller, &filter, after, limit).await?;
    let next_cursor = (data.len() as u32 == limit)
        .then(|| data.last().map(|a| encode_cursor(a.created_at, a.id.0)))
        .flatten();
    Ok(Json(AccountList { data, next_cursor }))
}

#[utoipa::path(get, path = "/api/v1/accounts/{id}", tag = "accounts",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = Account), (status = 404, body = Problem)))]
pub async fn get_one(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<Account>, Problem> {
    Ok(Json(
        accounts::get(&state.db, &caller, path_id(&id)?).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/accounts", tag = "accounts", request_body = AccountInput,
    responses((status = 201, body = Account), (status = 400, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(input): ApiJson<AccountInput>,
) -> Result<impl IntoResponse, Problem> {
    let account = accounts::create(&state, &caller, &input).await?;
    let location = format!("/api/v1/accounts/{}", account.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(account),
    ))
}

/// JSON Merge Patch (RFC 7396): fields present replace the stored value, `null` clears it.
#[utoipa::path(patch, path = "/api/v1/accounts/{id}", tag = "accounts",
    params(("id" = String, Path, format = Uuid)),
    request_body(content = AccountInput, description = "Any subset of the fields"),
    responses((status = 200, body = Account), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<serde_json::Value>,
) -> Result<Json<Account>, Problem> {
    let id: AccountId = path_id(&id)?;
    let current = accounts::get(&state.db, &caller, id).await?;
    let input: AccountInput = super::contacts::merge_patch(&AccountInput::from(&current), patch)?;
    Ok(Json(accounts::update(&state, &caller, id, &input).await?))
}

#[utoipa::path(delete, path = "/api/v1/accounts/{id}", tag = "accounts",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn delete(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    accounts::delete(&state.db, &caller, path_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
