//! Client onboarding (FR006, FR007): admins keep versioned templates of steps; an onboarding
//! runs those steps for one account, started when the account becomes a customer, by hand or
//! through the API, and welcomes the client by email with a portal invitation.
//! Invariants: an account runs at most one onboarding at a time (a unique index, which is
//! also what makes the automatic start happen once); a running onboarding keeps the template
//! version it started with; a step opens when the steps it depends on are finished, and its
//! automatic action runs once, then; the counters on `onboarding` (progress, stage, next due
//! date) are refreshed in the transaction of every step change.
//! Callers: server functions, the REST API, the accounts capability (type change).

pub mod repo;
pub mod rules;
pub mod service;
pub mod templates;
pub mod welcome;

pub use service::*;
pub use templates::*;
