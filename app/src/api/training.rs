//! The training scheduler: slots and bookings in the console, booking in the portal.

use crate::error::AppError;
use crate::types::{
    BookingId, BookingView, PortalTraining, SlotId, SlotInput, SlotView, TrainingDesk,
};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::edge::{context, fail},
    crate::server::training,
};

/// `time_zone`: the browser's zone (IANA name), remembered for the reader's mail.
#[server]
pub async fn load_portal_training(
    #[server(default)] time_zone: Option<String>,
) -> Result<PortalTraining, AppError> {
    let (state, caller) = context().await?;
    training::portal(&state.db, &caller, time_zone.as_deref())
        .await
        .map_err(fail)
}

#[server]
pub async fn book_training(
    slot: SlotId,
    #[server(default)] time_zone: Option<String>,
) -> Result<BookingView, AppError> {
    let (state, caller) = context().await?;
    training::book(&state, &caller, slot, time_zone.as_deref())
        .await
        .map_err(fail)
}

#[server]
pub async fn reschedule_training(
    booking: BookingId,
    slot: SlotId,
    #[server(default)] time_zone: Option<String>,
) -> Result<BookingView, AppError> {
    let (state, caller) = context().await?;
    training::reschedule(&state, &caller, booking, slot, time_zone.as_deref())
        .await
        .map_err(fail)
}

#[server]
pub async fn cancel_training(booking: BookingId) -> Result<(), AppError> {
    let (state, caller) = context().await?;
    training::cancel_booking(&state, &caller, booking)
        .await
        .map_err(fail)
}

#[server]
pub async fn load_training_desk(
    #[server(default)] time_zone: Option<String>,
) -> Result<TrainingDesk, AppError> {
    let (state, caller) = context().await?;
    training::desk(&state.db, &caller, time_zone.as_deref())
        .await
        .map_err(fail)
}

#[server]
pub async fn publish_training_slot(form: SlotInput) -> Result<SlotView, AppError> {
    let (state, caller) = context().await?;
    training::publish_slot(&state.db, &caller, &form)
        .await
        .map_err(fail)
}

#[server]
pub async fn cancel_training_slot(slot: SlotId) -> Result<(), AppError> {
    let (state, caller) = context().await?;
    training::cancel_slot(&state, &caller, slot)
        .await
        .map_err(fail)
}

/// A new private calendar-feed URL (shown once; the previous one stops working).
#[server]
pub async fn create_calendar_feed() -> Result<String, AppError> {
    let (state, caller) = context().await?;
    training::create_feed(&state.db, &state.settings, &caller)
        .await
        .map_err(fail)
}
