//! Support settings and the inbound mail review queue.

use crate::error::AppError;
use crate::types::{ReviewMail, SupportSettings, TeamId, UserId};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::edge::{context, fail, invalid},
    crate::error::FieldError,
    crate::server::tickets::settings,
    crate::types::{parse_clock, BusinessHours, SlaTarget, TicketPriority},
};

#[server]
pub async fn load_support_settings() -> Result<SupportSettings, AppError> {
    let (state, caller) = context().await?;
    settings::get(&state.db, &caller).await.map_err(fail)
}

#[server]
pub async fn save_ticket_type(
    key: String,
    label: String,
    #[server(default)] active: Option<String>,
) -> Result<(), AppError> {
    let (state, caller) = context().await?;
    settings::save_type(&state.db, &caller, &key, &label, active.is_some())
        .await
        .map_err(fail)
}

#[server]
pub async fn save_sla_target(
    priority: String,
    first_response_minutes: String,
    resolution_minutes: String,
) -> Result<(), AppError> {
    let (state, caller) = context().await?;
    let mut errors = Vec::new();
    let mut number = |field: &str, v: &str| {
        v.trim().parse::<i32>().unwrap_or_else(|_| {
            errors.push(FieldError::new(field, "must be a whole number of minutes"));
            0
        })
    };
    let first = number("first_response_minutes", &first_response_minutes);
    let resolution = number("resolution_minutes", &resolution_minutes);
    let Some(priority) = TicketPriority::parse(&priority) else {
        return Err(invalid(vec![FieldError::new(
            "priority",
            "is not a priority",
        )]));
    };
    if !errors.is_empty() {
        return Err(invalid(errors));
    }
    let target = SlaTarget {
        priority,
        first_response_minutes: first,
        resolution_minutes: resolution,
    };
    settings::save_target(&state, &caller, &target)
        .await
        .map_err(fail)
}

#[server]
pub async fn save_business_hours(
    time_zone: String,
    #[server(default)] open: Vec<String>,
    #[server(default)] close: Vec<String>,
    reopen_days: String,
) -> Result<(), AppError> {
    let (state, caller) = context().await?;
    let mut errors = Vec::new();
    let mut clock = |field: String, v: &str| {
        parse_clock(v).unwrap_or_else(|| {
            errors.push(FieldError::new(&field, "must be a time like 09:00"));
            0
        })
    };
    let open: Vec<i32> = open
        .iter()
        .enumerate()
        .map(|(d, v)| clock(format!("open[{d}]"), v))
        .collect();
    let close: Vec<i32> = close
        .iter()
        .enumerate()
        .map(|(d, v)| clock(format!("close[{d}]"), v))
        .collect();
    let reopen_days = reopen_days.trim().parse::<i32>().unwrap_or_else(|_| {
        errors.push(FieldError::new(
            "reopen_days",
            "must be a whole number of days",
        ));
        0
    });
    if !errors.is_empty() {
        return Err(invalid(errors));
    }
    let hours = BusinessHours {
        time_zone: time_zone.trim().to_string(),
        open_minute: open,
        close_minute: close,
        reopen_days,
    };
    settings::save_hours(&state, &caller, &hours)
        .await
        .map_err(fail)
}

#[server]
pub async fn add_holiday(day: String, name: String) -> Result<(), AppError> {
    let (state, caller) = context().await?;
    let day = day
        .parse()
        .map_err(|_| invalid(vec![FieldError::new("day", "must be a date")]))?;
    settings::add_holiday(&state, &caller, day, &name)
        .await
        .map_err(fail)
}

#[server]
pub async fn remove_holiday(day: String) -> Result<(), AppError> {
    let (state, caller) = context().await?;
    let day = day
        .parse()
        .map_err(|_| invalid(vec![FieldError::new("day", "must be a date")]))?;
    settings::remove_holiday(&state, &caller, day)
        .await
        .map_err(fail)
}

#[server]
pub async fn save_team(
    #[server(default)] id: Option<TeamId>,
    name: String,
    #[server(default)] auto_assign: Option<String>,
    #[server(default)] members: Vec<UserId>,
) -> Result<(), AppError> {
    let (state, caller) = context().await?;
    settings::save_team(
        &state.db,
        &caller,
        id,
        &name,
        auto_assign.is_some(),
        &members,
    )
    .await
    .map(|_| ())
    .map_err(fail)
}

#[server]
pub async fn inbound_review_queue() -> Result<Vec<ReviewMail>, AppError> {
    let (state, caller) = context().await?;
    settings::review_queue(&state.db, &caller)
        .await
        .map_err(fail)
}

#[server]
pub async fn dismiss_review_mail(id: uuid::Uuid) -> Result<(), AppError> {
    let (state, caller) = context().await?;
    settings::dismiss_review(&state.db, &caller, id)
        .await
        .map_err(fail)
}
