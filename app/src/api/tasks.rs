//! Follow-up tasks: the caller's list, an account's, creating, finishing and snoozing.

use crate::error::AppError;
use crate::types::{AccountId, FollowUpTask, NewFollowUpTask};
use chrono::NaiveDate;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::edge::{context, fail},
    crate::server::tasks::{self, TaskList},
};

#[server]
pub async fn my_tasks() -> Result<Vec<FollowUpTask>, AppError> {
    let (state, caller) = context().await?;
    tasks::list(&state.db, &caller, TaskList::Mine)
        .await
        .map_err(fail)
}

#[server]
pub async fn account_tasks(account_id: AccountId) -> Result<Vec<FollowUpTask>, AppError> {
    let (state, caller) = context().await?;
    tasks::list(&state.db, &caller, TaskList::Account(account_id))
        .await
        .map_err(fail)
}

#[server]
pub async fn create_task(task: NewFollowUpTask) -> Result<FollowUpTask, AppError> {
    let (state, caller) = context().await?;
    tasks::create(&state.db, &caller, &task).await.map_err(fail)
}

#[server]
pub async fn complete_task(id: uuid::Uuid) -> Result<(), AppError> {
    let (state, caller) = context().await?;
    tasks::complete(&state.db, &caller, id).await.map_err(fail)
}

#[server]
pub async fn snooze_task(id: uuid::Uuid, until: NaiveDate) -> Result<(), AppError> {
    let (state, caller) = context().await?;
    tasks::snooze(&state.db, &caller, id, until)
        .await
        .map_err(fail)
}
