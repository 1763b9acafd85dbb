//! Account health: a 0–100 score per account from weighted, explainable factors, in bands,
//! with a daily history; recomputed by the worker when inputs change (a queue the database
//! fills in the same transaction as the change) and nightly. Callers: server functions, REST,
//! the worker.

pub mod rules;
pub mod service;

pub use service::*;
