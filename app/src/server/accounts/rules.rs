//! Pure validation of account input.

use crate::server::error::Checks;
use crate::types::{
    AccountId, AccountInput, AccountSubtype, AccountType, RecordStatus, UserId, NAME_MAX,
};

/// Account input after validation: trimmed, bounded, defaults applied.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidAccount {
    pub name: String,
    pub account_type: AccountType,
    pub subtype: Option<AccountSubtype>,
    pub status: RecordStatus,
    pub parent_id: Option<AccountId>,
    pub location_count: Option<i32>,
    pub accounting_id: Option<String>,
    pub owner_id: Option<UserId>,
    pub industry: Option<String>,
    pub website: Option<String>,
    pub phone: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
}

pub fn validate(input: &AccountInput) -> Result<ValidAccount, crate::server::ServiceError> {
    let mut c = Checks::default();
    let name = c.required("name", &input.name, NAME_MAX);
    let accounting_id = c.optional("accounting_id", &input.accounting_id, 50);
    let industry = c.optional("industry", &input.industry, 100);
    let website = c.optional("website", &input.website, 200);
    if let Some(w) = &website {
        if !(w.starts_with("https://") || w.starts_with("http://"))
            || w.contains(char::is_whitespace)
        {
            c.add("website", "must be a web address starting with https://");
        }
    }
    let phone = c.optional("phone", &input.phone, 50);
    let city = c.optional("city", &input.city, 100);
    let country = c.optional("country", &input.country, 100);
    if input
        .location_count
        .is_some_and(|n| !(0..=1_000_000).contains(&n))
    {
        c.add("location_count", "must be between 0 and 1,000,000");
    }
    c.finish()?;
    Ok(ValidAccount {
        name,
        account_type: input.account_type.unwrap_or(AccountType::Prospect),
        subtype: input.subtype,
        status: input.status.unwrap_or(RecordStatus::Active),
        parent_id: input.parent_id,
        location_count: input.location_count,
        accounting_id,
        owner_id: input.owner_id,
        industry,
        website,
        phone,
        city,
        country,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::ServiceError;

    fn fields(err: ServiceError) -> Vec<String> {
        match err {
            ServiceError::Validation(v) => v.into_iter().map(|f| f.field).collect(),
            other => panic!("expected validation error, got {other:?}"),
        }
    }

    #[test]
    fn an_account_needs_a_name() {
        let err = validate(&AccountInput {
            name: "   ".into(),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(fields(err), vec!["name"]);
    }

    #[test]
    fn oversized_fields_are_refused_by_name() {
        let err = validate(&AccountInput {
            name: "x".repeat(201),
            city: Some("y".repeat(101)),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(fields(err), vec!["name", "city"]);
    }

    #[test]
    fn websites_must_be_web_addresses() {
        let err = validate(&AccountInput {
            name: "Acme".into(),
            website: Some("javascript:alert(1)".into()),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(fields(err), vec!["website"]);
    }

    #[test]
    fn new_accounts_default_to_active_prospects_and_are_trimmed() {
        let v = validate(&AccountInput {
            name: "  Acme  ".into(),
            city: Some(" ".into()),
            ..Default::default()
        })
        .expect("valid");
        assert_eq!(v.name, "Acme");
        assert_eq!(v.account_type, AccountType::Prospect);
        assert_eq!(v.status, RecordStatus::Active);
        assert_eq!(v.city, None);
    }
}
