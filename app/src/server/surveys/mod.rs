//! Feedback surveys (CSAT, NPS, CES): requests sent from durable events and on a schedule,
//! answered through signed links or the portal, and their analytics.
//! Callers: server functions, REST handlers, the worker.

pub mod analytics;
pub mod rules;
pub mod service;

pub use service::*;
