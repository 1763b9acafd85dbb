use super::problem::Problem;
use super::{path_id, ApiJson, ApiQuery};
use app::server::auth::Caller;
use app::server::{onboarding, AppState};
use app::types::{
    AccountId, OnboardingStart, OnboardingSummary, OnboardingView, StartOnboarding, TemplateSummary,
};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Extension, Json};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OnboardingListQuery {
    #[param(value_type = String, format = Uuid)]
    pub account_id: AccountId,
}

#[utoipa::path(get, path = "/api/v1/onboardings", tag = "onboarding", params(OnboardingListQuery),
    responses((status = 200, body = Vec<OnboardingSummary>), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(query): ApiQuery<OnboardingListQuery>,
) -> Result<Json<Vec<OnboardingSummary>>, Problem> {
    let (current, mut past) = onboarding::for_account(&state.db, &caller, query.account_id).await?;
    if let Some(c) = current {
        past.insert(0, c.summary);
    }
    Ok(Json(past))
}

#[utoipa::path(get, path = "/api/v1/onboardings/{id}", tag = "onboarding",
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = OnboardingView), (status = 404, body = Problem)))]
pub async fn get_one(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<OnboardingView>, Problem> {
    Ok(Json(
        onboarding::view(&state.db, &caller, path_id(&id)?).await?,
    ))
}

/// Starts an onboarding for an account (the default template unless one is named).
#[utoipa::path(post, path = "/api/v1/onboardings", tag = "onboarding", request_body = StartOnboarding,
    responses((status = 201, body = OnboardingView), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn start(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(input): ApiJson<StartOnboarding>,
) -> Result<impl IntoResponse, Problem> {
    let view = onboarding::start(
        &state,
        &caller,
        input.account_id,
        input.template_id,
        OnboardingStart::Api,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(view)))
}

#[utoipa::path(get, path = "/api/v1/onboarding-templates", tag = "onboarding",
    responses((status = 200, body = Vec<TemplateSummary>), (status = 401, body = Problem)))]
pub async fn templates(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Vec<TemplateSummary>>, Problem> {
    Ok(Json(
        onboarding::list_templates(&state.db, &caller, false).await?,
    ))
}
