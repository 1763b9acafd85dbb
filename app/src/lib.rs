//! Steward's shared crate: wire types, UI components and pages, server functions,
//! and (behind the `ssr` feature) the domain in `server/`.
#![recursion_limit = "256"]

pub mod api;
pub mod app;
pub mod error;
pub mod pages;
pub mod types;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod server;

#[cfg(feature = "hydrate")]
pub fn hydrate() {
    leptos::mount::hydrate_body(app::App);
}
