//! Request middleware: who is calling (never fails), and the CSRF origin check.

use crate::rest::problem::Problem;
use app::server::auth::{api_keys, service, Caller};
use app::server::AppState;
use app::types::UserId;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

/// Puts a `Caller` on every request: from an API key (`Authorization: Bearer`) or the
/// session cookie; anonymous otherwise. Refusing is the handlers' job.
pub async fn resolve_caller(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let caller = match bearer {
        Some(token) => match api_keys::authenticate(&state.db, &state.api_keys, &token).await {
            Ok(Some(caller)) => caller,
            Ok(None) => {
                return Problem::new(StatusCode::UNAUTHORIZED, "Invalid API key")
                    .detail("The key is unknown or was revoked.")
                    .into_response()
            }
            Err(e) => {
                tracing::error!(error = %e, "api key lookup failed");
                Caller::Anonymous
            }
        },
        None => {
            let user_id = match req.extensions().get::<Session>() {
                Some(session) => session
                    .get::<UserId>(service::SESSION_USER_KEY)
                    .await
                    .ok()
                    .flatten(),
                None => None,
            };
            match user_id {
                Some(id) => service::caller_for_user(&state.db, id)
                    .await
                    .unwrap_or_else(|e| {
                        tracing::error!(error = %e, "session user lookup failed");
                        Caller::Anonymous
                    }),
                None => Caller::Anonymous,
            }
        }
    };
    req.extensions_mut().insert(caller);
    next.run(req).await
}

/// Refuses state-changing browser requests that come from another origin.
/// Requests authenticated by an API key carry no ambient credentials and pass.
pub async fn check_origin(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let has_bearer = req.headers().contains_key(header::AUTHORIZATION);
    if unsafe_method
        && !has_bearer
        && !origin_allowed(req.headers(), &state.settings.public_url, false)
    {
        tracing::warn!("cross-origin request refused");
        return Problem::new(StatusCode::FORBIDDEN, "Cross-site request refused")
            .detail("State-changing requests must come from Steward's own pages.")
            .into_response();
    }
    next.run(req).await
}

/// Whether a browser request comes from our own pages: its `Origin` (or `Referer`) is
/// the public URL or the request's own host. Without either, only a request carrying no
/// cookies passes, unless `required` (websockets, which browsers always send it for).
pub fn origin_allowed(headers: &HeaderMap, public_url: &str, required: bool) -> bool {
    let origin = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok())
        .map(origin_of);
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    match origin {
        Some(o) => {
            o == origin_of(public_url)
                || o == format!("http://{host}")
                || o == format!("https://{host}")
        }
        None => !required && !headers.contains_key(header::COOKIE),
    }
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    format!("{scheme}://{host}")
}

#[cfg(test)]
mod tests {
    use super::origin_of;

    #[test]
    fn origins_drop_paths() {
        assert_eq!(
            origin_of("http://127.0.0.1:3000/console?x=1"),
            "http://127.0.0.1:3000"
        );
        assert_eq!(
            origin_of("https://crm.example.com"),
            "https://crm.example.com"
        );
    }
}
