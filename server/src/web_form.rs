//! The public support web form, embeddable in the customer's own site with an iframe:
//! `<iframe src="https://crm.example.com/support/form" …>`. Plain HTML that works without
//! JavaScript; the domain (`tickets::web_form`) does the checks.

use app::error::AppError;
use app::server::tickets::{repo, web_form};
use app::server::AppState;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Form;
use serde::Deserialize;
use std::net::SocketAddr;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A whole page; framing by any site is allowed for this form only.
fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · Support</title><link rel=\"stylesheet\" href=\"/pkg/steward.css\"></head>\
         <body><main class=\"auth-page\" id=\"main\"><div class=\"auth-card web-form\"><h1>{title}</h1>{body}</div></main></body></html>",
        title = escape(title)
    );
    (
        status,
        [(header::CONTENT_SECURITY_POLICY, "frame-ancestors *")],
        Html(html),
    )
        .into_response()
}

fn form_html(
    types: &[app::types::TicketType],
    post: &web_form::WebFormPost,
    errors: &[(String, String)],
    banner: Option<&str>,
) -> String {
    let err = |f: &str| {
        errors
            .iter()
            .filter(|(k, _)| k == f)
            .map(|(_, m)| {
                format!(
                    "<p class=\"field-error\" id=\"{f}-error\">{}</p>",
                    escape(m)
                )
            })
            .collect::<String>()
    };
    let options: String = types
        .iter()
        .map(|t| {
            let sel = if t.key == post.ticket_type {
                " selected"
            } else {
                ""
            };
            format!(
                "<option value=\"{}\"{sel}>{}</option>",
                escape(&t.key),
                escape(&t.label)
            )
        })
        .collect();
    format!(
        "{banner}<p>For registered clients. We will email you a link to confirm the request.</p>\
         <form method=\"post\" action=\"/support/form\" class=\"form\">\
         <div class=\"field\"><label for=\"email\">Your email address *</label>\
         <input id=\"email\" name=\"email\" type=\"email\" required maxlength=\"254\" value=\"{email}\" autocomplete=\"email\">{e_email}</div>\
         <div class=\"field\"><label for=\"subject\">Subject *</label>\
         <input id=\"subject\" name=\"subject\" required maxlength=\"200\" value=\"{subject}\">{e_subject}</div>\
         <div class=\"field\"><label for=\"ticket_type\">Type</label><select id=\"ticket_type\" name=\"ticket_type\">{options}</select>{e_type}</div>\
         <div class=\"field\"><label for=\"description\">Description *</label>\
         <textarea id=\"description\" name=\"description\" rows=\"6\" required>{description}</textarea>{e_description}</div>\
         <div class=\"visually-hidden\" aria-hidden=\"true\"><label for=\"website\">Leave this empty</label>\
         <input id=\"website\" name=\"website\" tabindex=\"-1\" autocomplete=\"off\"></div>\
         <button class=\"button\" type=\"submit\" id=\"send-request\">Send request</button></form>",
        banner = banner.map(|b| format!("<p class=\"form-error\" role=\"alert\">{}</p>", escape(b))).unwrap_or_default(),
        email = escape(&post.email),
        subject = escape(&post.subject),
        description = escape(&post.description),
        e_email = err("email"),
        e_subject = err("subject"),
        e_type = err("ticket_type"),
        e_description = err("description"),
    )
}

pub async fn show(State(state): State<AppState>) -> Response {
    let types = repo::types(&state.db).await.unwrap_or_default();
    let post = web_form::WebFormPost {
        ticket_type: "question".into(),
        ..Default::default()
    };
    page(
        StatusCode::OK,
        "Contact support",
        &form_html(&types, &post, &[], None),
    )
}

pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Form(post): Form<web_form::WebFormPost>,
) -> Response {
    match web_form::submit(&state, &post, &peer.ip().to_string()).await {
        Ok(web_form::Submitted::CheckYourMail) => page(
            StatusCode::OK,
            "Check your mail",
            "<p id=\"check-mail\">If this address is registered with us, you will receive an email with a link to \
             confirm your request. The ticket is created when you confirm.</p>",
        ),
        Err(e) => {
            let types = repo::types(&state.db).await.unwrap_or_default();
            match AppError::from(e) {
                AppError::Validation(fields) => {
                    let errors: Vec<(String, String)> =
                        fields.into_iter().map(|f| (f.field, f.message)).collect();
                    page(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "Contact support",
                        &form_html(&types, &post, &errors, Some("Please correct the marked fields.")),
                    )
                }
                AppError::TooManyRequests => page(
                    StatusCode::TOO_MANY_REQUESTS,
                    "Contact support",
                    &form_html(&types, &post, &[], Some("Too many requests from here. Please try again in an hour.")),
                ),
                _ => page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Contact support",
                    &form_html(&types, &post, &[], Some("Something went wrong. Please try again.")),
                ),
            }
        }
    }
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// The link in the mail shows a button: link scanners that follow GETs confirm nothing.
pub async fn confirm_page(Query(q): Query<TokenQuery>) -> Response {
    page(
        StatusCode::OK,
        "Confirm your request",
        &format!(
            "<form method=\"post\" action=\"/support/confirm\"><input type=\"hidden\" name=\"token\" value=\"{}\">\
             <button class=\"button\" type=\"submit\" id=\"confirm-request\">Create my ticket</button></form>",
            escape(&q.token)
        ),
    )
}

pub async fn confirm(State(state): State<AppState>, Form(q): Form<TokenQuery>) -> Response {
    match web_form::confirm(&state, &q.token).await {
        Ok((_, number)) => page(
            StatusCode::OK,
            "Request received",
            &format!("<p id=\"ticket-created\">Your ticket #{number} has been created. We will reply by email.</p>"),
        ),
        Err(e) => {
            let message = match AppError::from(e) {
                AppError::Conflict(m) => m,
                _ => "Something went wrong. Please try again.".into(),
            };
            page(StatusCode::GONE, "Link not valid", &format!("<p class=\"form-error\">{}</p>", escape(&message)))
        }
    }
}
