//! Pure validation of contact input.

use crate::server::error::Checks;
use crate::server::ServiceError;
use crate::types::{AccountId, ContactInput, RecordStatus, CONTACT_EMAILS_MAX};

#[derive(Debug, Clone, PartialEq)]
pub struct ValidContact {
    pub account_id: AccountId,
    pub first_name: String,
    pub last_name: String,
    pub title: Option<String>,
    pub role: Option<String>,
    pub status: RecordStatus,
    pub linkedin_url: Option<String>,
    pub holiday_card: bool,
    pub emails: Vec<String>,
    pub phones: Vec<String>,
}

/// A pragmatic address check: one `@`, a dot in the domain, no spaces, RFC length.
pub fn is_plausible_email(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && e.len() <= 254
        && !e
            .chars()
            .any(|c| c.is_whitespace() || c == '<' || c == '>' || c == ',')
}

pub fn validate(input: &ContactInput) -> Result<ValidContact, ServiceError> {
    let mut c = Checks::default();
    let first_name = c.required("first_name", &input.first_name, 100);
    let last_name = c.required("last_name", &input.last_name, 100);
    let title = c.optional("title", &input.title, 100);
    let role = c.optional("role", &input.role, 100);
    let linkedin_url = c.optional("linkedin_url", &input.linkedin_url, 200);
    if let Some(url) = &linkedin_url {
        let ok = [
            "https://www.linkedin.com/",
            "https://linkedin.com/",
            "https://uk.linkedin.com/",
        ]
        .iter()
        .any(|p| url.starts_with(p))
            || (url.starts_with("https://") && url.contains(".linkedin.com/"));
        if !ok || url.contains(char::is_whitespace) {
            c.add(
                "linkedin_url",
                "must be a LinkedIn address starting with https://www.linkedin.com/",
            );
        }
    }
    if input.account_id.is_none() {
        c.add("account_id", "is required");
    }
    let mut emails: Vec<String> = Vec::new();
    for e in input
        .emails
        .iter()
        .map(|e| e.trim())
        .filter(|e| !e.is_empty())
    {
        if !is_plausible_email(e) {
            c.add(
                "emails",
                &format!(
                    "`{}` is not a valid email address",
                    e.chars().take(60).collect::<String>()
                ),
            );
        } else if !emails.iter().any(|x| x.eq_ignore_ascii_case(e)) {
            emails.push(e.to_string());
        }
    }
    if emails.len() > CONTACT_EMAILS_MAX {
        c.add("emails", &format!("at most {CONTACT_EMAILS_MAX} addresses"));
    }
    let mut phones: Vec<String> = Vec::new();
    for p in input
        .phones
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
    {
        if p.chars().count() > 50
            || !p
                .chars()
                .all(|ch| ch.is_ascii_digit() || " +-().x/".contains(ch))
        {
            c.add(
                "phones",
                &format!(
                    "`{}` is not a valid phone number",
                    p.chars().take(60).collect::<String>()
                ),
            );
        } else {
            phones.push(p.to_string());
        }
    }
    if phones.len() > 10 {
        c.add("phones", "at most 10 numbers");
    }
    c.finish()?;
    Ok(ValidContact {
        account_id: input.account_id.unwrap_or_default(),
        first_name,
        last_name,
        title,
        role,
        status: input.status.unwrap_or(RecordStatus::Active),
        linkedin_url,
        holiday_card: input.holiday_card,
        emails,
        phones,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> ContactInput {
        ContactInput {
            account_id: Some(AccountId::new()),
            first_name: "Ada".into(),
            last_name: "Lovelace".into(),
            ..Default::default()
        }
    }

    #[test]
    fn addresses_are_checked_and_deduplicated_case_insensitively() {
        let mut i = input();
        i.emails = vec![
            "ada@example.com".into(),
            "ADA@example.com".into(),
            " ".into(),
        ];
        assert_eq!(validate(&i).expect("valid").emails, vec!["ada@example.com"]);
        i.emails = vec!["not-an-address".into()];
        assert!(validate(&i).is_err());
    }

    #[test]
    fn linkedin_urls_must_point_at_linkedin() {
        let mut i = input();
        i.linkedin_url = Some("https://www.linkedin.com/in/ada".into());
        assert!(validate(&i).is_ok());
        i.linkedin_url = Some("https://evil.example/in/ada".into());
        assert!(validate(&i).is_err());
    }

    #[test]
    fn a_contact_needs_names_and_an_account() {
        let err = validate(&ContactInput::default()).unwrap_err();
        let ServiceError::Validation(fields) = err else {
            panic!("expected validation")
        };
        let names: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, vec!["first_name", "last_name", "account_id"]);
    }

    #[test]
    fn plausible_emails() {
        assert!(is_plausible_email("a.b@c.io"));
        assert!(!is_plausible_email("a@b"));
        assert!(!is_plausible_email("a b@c.io"));
        assert!(!is_plausible_email("@c.io"));
    }
}
