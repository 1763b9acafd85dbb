//! Server functions: public HTTP endpoints the UI calls. Each one resolves the
//! caller, makes one domain call, and maps the domain error to `AppError`.

pub mod accounts;
pub mod admin;
pub mod auth;
pub mod chat;
pub mod contacts;
pub mod health;
pub mod knowledge;
pub mod notifications;
pub mod onboarding;
pub mod portal;
pub mod support;
pub mod surveys;
pub mod tasks;
pub mod tickets;
pub mod training;

#[cfg(feature = "ssr")]
pub(crate) mod edge {
    use crate::error::AppError;
    use crate::server::auth::Caller;
    use crate::server::{AppState, ServiceError};
    use http::StatusCode;
    use leptos::prelude::use_context;

    /// The shared state and the caller the auth middleware put on the request.
    pub async fn context() -> Result<(AppState, Caller), AppError> {
        let state = use_context::<AppState>().ok_or(AppError::Internal)?;
        let caller = leptos_axum::extract::<axum::Extension<Caller>>()
            .await
            .map(|e| e.0)
            .unwrap_or_default();
        Ok((state, caller))
    }

    /// Maps a domain error to the wire, with a matching HTTP status.
    pub fn fail(err: ServiceError) -> AppError {
        let status = match &err {
            ServiceError::Unauthenticated => StatusCode::UNAUTHORIZED,
            ServiceError::Forbidden => StatusCode::FORBIDDEN,
            ServiceError::NotFound => StatusCode::NOT_FOUND,
            ServiceError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ServiceError::Conflict(_) => StatusCode::CONFLICT,
            ServiceError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            ServiceError::Database(_) | ServiceError::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(status);
        }
        err.into()
    }

    pub fn invalid(errors: Vec<crate::error::FieldError>) -> AppError {
        fail(ServiceError::Validation(errors))
    }
}
