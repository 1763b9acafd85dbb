//! Accounts: the companies we sell to and serve, with parent/child locations.
//! Invariants: no account is its own ancestor; `accounting_id` is unique and only
//! admins change it; a client reaches only their own account and its locations.
//! Callers: server functions, REST handlers, the demo loader.

pub mod repo;
pub mod rules;
pub mod service;

pub use service::*;
