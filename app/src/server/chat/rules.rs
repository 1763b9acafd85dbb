//! Pure checks on chat input.

use crate::server::error::Checks;
use crate::server::ServiceError;
use crate::types::{ChatSettings, MAX_CHAT_TEXT_CHARS};

/// A message's text, trimmed; empty and over-long texts are refused.
pub fn text(raw: &str) -> Result<String, ServiceError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(ServiceError::field("text", "is empty"));
    }
    if text.chars().count() > MAX_CHAT_TEXT_CHARS {
        return Err(ServiceError::field(
            "text",
            &format!("is longer than {MAX_CHAT_TEXT_CHARS} characters"),
        ));
    }
    Ok(text.to_string())
}

pub fn topic(raw: &str) -> Result<String, ServiceError> {
    let mut checks = Checks::default();
    let topic = checks.required("topic", raw, 200);
    checks.finish()?;
    Ok(topic)
}

pub fn rating(stars: i16, comment: &Option<String>) -> Result<Option<String>, ServiceError> {
    let mut checks = Checks::default();
    if !(1..=5).contains(&stars) {
        checks.add("rating", "must be between 1 and 5 stars");
    }
    let comment = checks.optional("comment", comment, 2000);
    checks.finish()?;
    Ok(comment)
}

pub fn canned(
    shortcut: &str,
    title: &str,
    body: &str,
) -> Result<(String, String, String), ServiceError> {
    let mut checks = Checks::default();
    let shortcut = shortcut.trim().trim_start_matches('/').to_lowercase();
    let valid = !shortcut.is_empty()
        && shortcut.len() <= 30
        && shortcut
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && !shortcut.starts_with(['-', '_']);
    if !valid {
        checks.add("shortcut", "use 1 to 30 letters, digits, - or _");
    }
    let title = checks.required("title", title, 100);
    let body = checks.required("body", body, MAX_CHAT_TEXT_CHARS);
    checks.finish()?;
    Ok((shortcut, title, body))
}

pub fn settings(s: &ChatSettings) -> Result<(), ServiceError> {
    let mut checks = Checks::default();
    if !(1..=50).contains(&s.max_chats_per_agent) {
        checks.add("max_chats_per_agent", "must be between 1 and 50");
    }
    if !(0..=1000).contains(&s.max_queue) {
        checks.add("max_queue", "must be between 0 and 1000");
    }
    if !(1..=240).contains(&s.away_after_minutes) {
        checks.add("away_after_minutes", "must be between 1 and 240");
    }
    if s.retention_days.is_some_and(|d| d < 30) {
        checks.add(
            "retention_days",
            "must be at least 30 days, or empty to keep forever",
        );
    }
    checks.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_text_is_trimmed_and_bounded() {
        assert_eq!(text("  hi \n").expect("ok"), "hi");
        assert!(text("   ").is_err());
        assert!(text(&"x".repeat(MAX_CHAT_TEXT_CHARS)).is_ok());
        assert!(text(&"é".repeat(MAX_CHAT_TEXT_CHARS + 1)).is_err());
    }

    #[test]
    fn ratings_are_one_to_five_stars() {
        assert!(rating(0, &None).is_err());
        assert!(rating(6, &None).is_err());
        assert_eq!(
            rating(5, &Some(" great ".into())).expect("ok").as_deref(),
            Some("great")
        );
    }

    #[test]
    fn canned_shortcuts_are_simple_words() {
        assert_eq!(canned("/Hours", "Hours", "9 to 5").expect("ok").0, "hours");
        assert!(canned("two words", "t", "b").is_err());
        assert!(canned("-x", "t", "b").is_err());
    }
}
