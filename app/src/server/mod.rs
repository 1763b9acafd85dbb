//! The domain: plain Rust per capability, knowing nothing of HTTP or HTML.
//! Server functions (`crate::api`), REST handlers and jobs are thin adapters over it.

pub mod accounts;
pub mod auth;
pub mod chat;
pub mod contacts;
pub mod documents;
pub mod email;
pub mod error;
pub mod health;
pub mod knowledge;
pub mod notifications;
pub mod onboarding;
pub mod reminders;
pub mod state;
pub mod surveys;
pub mod tasks;
pub mod tickets;
pub mod training;
pub mod users;

pub use error::ServiceError;
pub use state::{AppState, Settings};
