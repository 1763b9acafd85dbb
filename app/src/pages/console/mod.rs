//! Staff console pages.

mod accounts;
mod admin;
mod contacts;
mod dashboard;
mod notifications;
pub(crate) mod pickers;
mod support;

pub use crate::ui::ConsoleShell;
pub use accounts::*;
pub use admin::*;
pub use contacts::*;
pub use dashboard::*;
pub use notifications::*;
pub use support::*;

/// Percent-encodes a query value (everything but unreserved characters).
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Builds `path?k=v&...`, skipping empty values.
pub(crate) fn with_query(path: &str, pairs: &[(&str, Option<String>)]) -> String {
    let q: Vec<String> = pairs
        .iter()
        .filter_map(|(k, v)| {
            v.as_ref()
                .filter(|v| !v.is_empty())
                .map(|v| format!("{k}={}", encode(v)))
        })
        .collect();
    if q.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", q.join("&"))
    }
}
