//! Routed pages: `auth` (public), `console` (staff), `portal` (clients).

pub mod auth;
pub mod chat;
pub mod console;
pub mod health;
pub mod knowledge;
pub mod onboarding;
pub mod portal;
pub mod surveys;
pub mod tasks;
pub mod tickets;
pub mod training;

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found"/>
        <main class="auth-page" id="main">
            <div class="auth-card">
                <h1>"Page not found"</h1>
                <p>"The address may be mistyped, or the page has moved."</p>
                <a class="button" href="/">"Go home"</a>
            </div>
        </main>
    }
}

/// Full-page navigation after signing in, so every part of the page sees the new session.
pub fn go_to(path: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(w) = web_sys::window() {
        let _ = w.location().set_href(path);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}
