//! Steward's server: configuration, the HTTP composition root, the REST API,
//! background work and demo data. The domain itself lives in `app::server`.

pub mod chat;
pub mod config;
pub mod demo;
pub mod files;
pub mod health;
pub mod live;
pub mod middleware;
pub mod rest;
pub mod startup;
pub mod telemetry;
pub mod web_form;
pub mod worker;
