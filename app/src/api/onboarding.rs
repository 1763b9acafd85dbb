//! Onboarding: the staff board and the account section, templates and the welcome email
//! (admins), steps worked by staff in the console and by clients in the portal.

use crate::error::AppError;
use crate::types::{
    AccountId, AccountOnboarding, BoardFilter, OnboardingBoard, OnboardingId, OnboardingStepId,
    OnboardingView, TemplateDetail, TemplateId, TemplateInput, TemplateSummary, UserId,
    WelcomeTemplate,
};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::edge::{context, fail},
    crate::server::onboarding,
    crate::types::OnboardingStart,
};

#[server]
pub async fn load_onboarding_board(
    #[server(default)] filter: BoardFilter,
) -> Result<OnboardingBoard, AppError> {
    let (state, caller) = context().await?;
    onboarding::board(&state.db, &caller, &filter)
        .await
        .map_err(fail)
}

#[server]
pub async fn load_onboarding(id: OnboardingId) -> Result<OnboardingView, AppError> {
    let (state, caller) = context().await?;
    onboarding::view(&state.db, &caller, id).await.map_err(fail)
}

#[server]
pub async fn load_account_onboarding(account: AccountId) -> Result<AccountOnboarding, AppError> {
    let (state, caller) = context().await?;
    onboarding::account_section(&state.db, &caller, account)
        .await
        .map_err(fail)
}

#[server]
pub async fn start_onboarding(
    account: AccountId,
    #[server(default)] template: Option<TemplateId>,
) -> Result<OnboardingView, AppError> {
    let (state, caller) = context().await?;
    onboarding::start(&state, &caller, account, template, OnboardingStart::ByHand)
        .await
        .map_err(fail)
}

#[server]
pub async fn cancel_onboarding(id: OnboardingId) -> Result<OnboardingView, AppError> {
    let (state, caller) = context().await?;
    onboarding::cancel(&state.db, &caller, id)
        .await
        .map_err(fail)
}

#[server]
pub async fn tick_checklist_item(
    step: OnboardingStepId,
    item: i32,
    done: bool,
) -> Result<OnboardingView, AppError> {
    let (state, caller) = context().await?;
    onboarding::tick(&state.db, &caller, step, item, done)
        .await
        .map_err(fail)
}

#[server]
pub async fn complete_onboarding_step(step: OnboardingStepId) -> Result<OnboardingView, AppError> {
    let (state, caller) = context().await?;
    onboarding::complete_step(&state, &caller, step)
        .await
        .map_err(fail)
}

#[server]
pub async fn skip_onboarding_step(step: OnboardingStepId) -> Result<OnboardingView, AppError> {
    let (state, caller) = context().await?;
    onboarding::skip_step(&state, &caller, step)
        .await
        .map_err(fail)
}

#[server]
pub async fn assign_onboarding_step(
    step: OnboardingStepId,
    #[server(default)] assignee: Option<UserId>,
) -> Result<OnboardingView, AppError> {
    let (state, caller) = context().await?;
    onboarding::assign_step(&state.db, &caller, step, assignee)
        .await
        .map_err(fail)
}

#[server]
pub async fn list_onboarding_templates() -> Result<Vec<TemplateSummary>, AppError> {
    let (state, caller) = context().await?;
    onboarding::list_templates(&state.db, &caller, true)
        .await
        .map_err(fail)
}

#[server]
pub async fn load_onboarding_template(id: TemplateId) -> Result<TemplateDetail, AppError> {
    let (state, caller) = context().await?;
    onboarding::template_detail(&state.db, &caller, id)
        .await
        .map_err(fail)
}

#[server(input = leptos::server_fn::codec::Json)]
pub async fn save_onboarding_template(
    id: Option<TemplateId>,
    template: TemplateInput,
) -> Result<TemplateSummary, AppError> {
    let (state, caller) = context().await?;
    match id {
        Some(id) => onboarding::update_template(&state.db, &caller, id, &template).await,
        None => onboarding::create_template(&state.db, &caller, &template).await,
    }
    .map_err(fail)
}

#[server]
pub async fn archive_onboarding_template(
    id: TemplateId,
    archived: bool,
) -> Result<TemplateSummary, AppError> {
    let (state, caller) = context().await?;
    onboarding::archive_template(&state.db, &caller, id, archived)
        .await
        .map_err(fail)
}

#[server]
pub async fn load_welcome_template() -> Result<WelcomeTemplate, AppError> {
    let (state, caller) = context().await?;
    onboarding::welcome::template(&state.db, &caller)
        .await
        .map_err(fail)
}

#[server]
pub async fn save_welcome_template(
    subject: String,
    body_markdown: String,
) -> Result<WelcomeTemplate, AppError> {
    let (state, caller) = context().await?;
    onboarding::welcome::save_template(&state.db, &caller, &subject, &body_markdown)
        .await
        .map_err(fail)
}

/// The welcome email filled with sample values: (subject, sanitised HTML).
#[server]
pub async fn preview_welcome_template(
    subject: String,
    body_markdown: String,
) -> Result<(String, String), AppError> {
    let (state, caller) = context().await?;
    onboarding::welcome::preview(&caller, &state.settings, &subject, &body_markdown).map_err(fail)
}

#[server]
pub async fn resend_welcome_email(id: OnboardingId) -> Result<OnboardingView, AppError> {
    let (state, caller) = context().await?;
    onboarding::resend_welcome(&state, &caller, id)
        .await
        .map_err(fail)
}
