//! Surveys: the public answer page (no login), the portal's pending list, the console's
//! analytics, templates and rules.

use crate::error::AppError;
use crate::types::{
    FeedbackFilter, FeedbackGrouping, FeedbackReport, PendingSurvey, SurveyAnswerOutcome,
    SurveyForm, SurveyKind, SurveySettings, SurveyTemplate,
};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::edge::{context, fail},
    crate::server::surveys,
};

/// The survey behind a signed link; anyone holding the link may read it.
#[server]
pub async fn load_survey(token: String) -> Result<SurveyForm, AppError> {
    let (state, _) = context().await?;
    surveys::form(&state.db, &token).await.map_err(fail)
}

/// Answers through a signed link; no login. A blank comment is no comment.
#[server]
pub async fn answer_survey(
    token: String,
    score: i16,
    #[server(default)] comment: Option<String>,
) -> Result<SurveyAnswerOutcome, AppError> {
    let (state, _) = context().await?;
    surveys::answer(&state, &token, score, comment.as_deref())
        .await
        .map_err(fail)
}

#[server]
pub async fn my_pending_surveys() -> Result<Vec<PendingSurvey>, AppError> {
    let (state, caller) = context().await?;
    surveys::pending_for_client(&state.db, &caller)
        .await
        .map_err(fail)
}

#[server]
pub async fn answer_my_survey(
    id: uuid::Uuid,
    score: i16,
    #[server(default)] comment: Option<String>,
) -> Result<SurveyAnswerOutcome, AppError> {
    let (state, caller) = context().await?;
    surveys::answer_in_portal(&state, &caller, id, score, comment.as_deref())
        .await
        .map_err(fail)
}

#[server]
pub async fn load_feedback_report(
    filter: FeedbackFilter,
    grouping: FeedbackGrouping,
    #[server(default)] page: u32,
) -> Result<FeedbackReport, AppError> {
    let (state, caller) = context().await?;
    surveys::analytics::report(&state.db, &caller, &filter, grouping, page)
        .await
        .map_err(fail)
}

#[server]
pub async fn load_survey_templates() -> Result<Vec<SurveyTemplate>, AppError> {
    let (state, caller) = context().await?;
    surveys::templates(&state.db, &caller).await.map_err(fail)
}

#[server]
pub async fn save_survey_template(
    kind: SurveyKind,
    subject: String,
    body: String,
    question: String,
) -> Result<(), AppError> {
    let (state, caller) = context().await?;
    surveys::save_template(&state.db, &caller, kind, &subject, &body, &question)
        .await
        .map_err(fail)
}

#[server]
pub async fn load_survey_settings() -> Result<SurveySettings, AppError> {
    let (state, caller) = context().await?;
    surveys::load_settings(&state.db, &caller)
        .await
        .map_err(fail)
}

#[server]
pub async fn save_survey_settings(settings: SurveySettings) -> Result<(), AppError> {
    let (state, caller) = context().await?;
    surveys::save_settings(&state.db, &caller, &settings)
        .await
        .map_err(fail)
}
