//! Feedback, account health and follow-up tasks over the REST API.

use super::problem::Problem;
use super::{path_id, ApiJson, ApiQuery};
use app::server::auth::Caller;
use app::server::tasks::{self, TaskList};
use app::server::{health, surveys, AppState};
use app::types::{
    AccountHealth, FeedbackFilter, FeedbackGrouping, FeedbackReport, FollowUpTask, NewFollowUpTask,
};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Extension, Json};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::ToSchema;

/// Survey answers in a period (the last twelve months by default), by month: CSAT, NPS and CES
/// totals, the months, and the newest 50 answers.
#[utoipa::path(get, path = "/api/v1/feedback", tag = "feedback", params(FeedbackFilter),
    responses((status = 200, body = FeedbackReport), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn report(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(filter): ApiQuery<FeedbackFilter>,
) -> Result<Json<FeedbackReport>, Problem> {
    Ok(Json(
        surveys::analytics::report(&state.db, &caller, &filter, FeedbackGrouping::Month, 0).await?,
    ))
}

/// An account's health: score, band, each factor's part and 90 days of history.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/health", tag = "health",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = AccountHealth), (status = 404, body = Problem)))]
pub async fn account_health(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<AccountHealth>, Problem> {
    Ok(Json(
        health::for_account(&state.db, &caller, path_id(&id)?).await?,
    ))
}

/// The caller's open follow-up tasks (snoozed ones from their day), soonest due first. API
/// keys belong to no user and have none.
#[utoipa::path(get, path = "/api/v1/tasks", tag = "tasks",
    responses((status = 200, body = Vec<FollowUpTask>), (status = 401, body = Problem)))]
pub async fn my_tasks(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Vec<FollowUpTask>>, Problem> {
    Ok(Json(tasks::list(&state.db, &caller, TaskList::Mine).await?))
}

/// A follow-up task on an account, contact or ticket (assigned to the caller unless named).
#[utoipa::path(post, path = "/api/v1/tasks", tag = "tasks", request_body = NewFollowUpTask,
    responses((status = 201, body = FollowUpTask), (status = 422, body = Problem)))]
pub async fn create_task(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(input): ApiJson<NewFollowUpTask>,
) -> Result<impl IntoResponse, Problem> {
    let task = tasks::create(&state.db, &caller, &input).await?;
    Ok((StatusCode::CREATED, Json(task)))
}

#[utoipa::path(post, path = "/api/v1/tasks/{id}/complete", tag = "tasks",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn complete_task(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    tasks::complete(&state.db, &caller, path_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Snooze {
    pub until: NaiveDate,
}

#[utoipa::path(post, path = "/api/v1/tasks/{id}/snooze", tag = "tasks", request_body = Snooze,
    params(("id" = String, Path, format = Uuid)),
    responses((status = 204), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn snooze_task(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<Snooze>,
) -> Result<StatusCode, Problem> {
    tasks::snooze(&state.db, &caller, path_id(&id)?, input.until).await?;
    Ok(StatusCode::NO_CONTENT)
}
