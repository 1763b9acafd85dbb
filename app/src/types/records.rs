use super::{AccountId, ContactId, SortDir, UserId};
use crate::error::FieldError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

text_enum!(
    /// What the account is to us (from the customer's account field list).
    AccountType {
        Prospect => "prospect" / "Prospect",
        Customer => "customer" / "Customer",
        Vendor => "vendor" / "Vendor",
        Competitor => "competitor" / "Competitor",
    }
);

text_enum!(
    /// What kind of site an account is (from the customer's account field list).
    AccountSubtype {
        Office => "office" / "Office",
        KioskLocation => "kiosk_location" / "Kiosk location",
    }
);

text_enum!(
    /// Whether the record is in use; health (active / at-risk) comes with its own module.
    RecordStatus {
        Active => "active" / "Active",
        Inactive => "inactive" / "Inactive",
    }
);

pub const NAME_MAX: usize = 200;
pub const SHORT_TEXT_MAX: usize = 200;
pub const CONTACT_EMAILS_MAX: usize = 10;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Account {
    pub id: AccountId,
    pub name: String,
    pub account_type: AccountType,
    pub subtype: Option<AccountSubtype>,
    pub status: RecordStatus,
    pub parent_id: Option<AccountId>,
    pub parent_name: Option<String>,
    /// Known number of locations (parent companies).
    pub location_count: Option<i32>,
    pub accounting_id: Option<String>,
    pub owner_id: Option<UserId>,
    pub owner_name: Option<String>,
    pub industry: Option<String>,
    pub website: Option<String>,
    pub phone: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a caller may set on an account. `accounting_id` is honoured only for admins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AccountInput {
    pub name: String,
    pub account_type: Option<AccountType>,
    #[serde(default)]
    pub subtype: Option<AccountSubtype>,
    pub status: Option<RecordStatus>,
    #[serde(default)]
    pub parent_id: Option<AccountId>,
    #[serde(default)]
    pub location_count: Option<i32>,
    #[serde(default)]
    pub accounting_id: Option<String>,
    #[serde(default)]
    pub owner_id: Option<UserId>,
    #[serde(default)]
    pub industry: Option<String>,
    #[serde(default)]
    pub website: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
}

impl From<&Account> for AccountInput {
    fn from(a: &Account) -> Self {
        AccountInput {
            name: a.name.clone(),
            account_type: Some(a.account_type),
            subtype: a.subtype,
            status: Some(a.status),
            parent_id: a.parent_id,
            location_count: a.location_count,
            accounting_id: a.accounting_id.clone(),
            owner_id: a.owner_id,
            industry: a.industry.clone(),
            website: a.website.clone(),
            phone: a.phone.clone(),
            city: a.city.clone(),
            country: a.country.clone(),
        }
    }
}

/// The account form as HTML posts it: every field a string, parsed with field errors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct AccountFormFields {
    pub name: String,
    pub account_type: String,
    pub subtype: String,
    pub status: String,
    pub parent_id: String,
    pub location_count: String,
    pub accounting_id: String,
    pub owner_id: String,
    pub industry: String,
    pub website: String,
    pub phone: String,
    pub city: String,
    pub country: String,
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn parse_id<T: std::str::FromStr>(field: &str, s: &str, errors: &mut Vec<FieldError>) -> Option<T> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    match t.parse() {
        Ok(v) => Some(v),
        Err(_) => {
            errors.push(FieldError::new(field, "is not a valid choice"));
            None
        }
    }
}

impl AccountFormFields {
    pub fn parse(&self) -> Result<AccountInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        let account_type = match AccountType::parse(self.account_type.trim()) {
            Some(t) => Some(t),
            None if self.account_type.trim().is_empty() => None,
            None => {
                errors.push(FieldError::new(
                    "account_type",
                    "is not a valid account type",
                ));
                None
            }
        };
        let status = match RecordStatus::parse(self.status.trim()) {
            Some(s) => Some(s),
            None if self.status.trim().is_empty() => None,
            None => {
                errors.push(FieldError::new("status", "is not a valid status"));
                None
            }
        };
        let subtype = match AccountSubtype::parse(self.subtype.trim()) {
            Some(s) => Some(s),
            None if self.subtype.trim().is_empty() => None,
            None => {
                errors.push(FieldError::new("subtype", "is not a valid subtype"));
                None
            }
        };
        let location_count = match self.location_count.trim() {
            "" => None,
            n => match n.parse::<i32>() {
                Ok(v) => Some(v),
                Err(_) => {
                    errors.push(FieldError::new("location_count", "must be a whole number"));
                    None
                }
            },
        };
        let parent_id = parse_id("parent_id", &self.parent_id, &mut errors);
        let owner_id = parse_id("owner_id", &self.owner_id, &mut errors);
        let input = AccountInput {
            name: self.name.clone(),
            account_type,
            subtype,
            status,
            parent_id,
            location_count,
            accounting_id: opt(&self.accounting_id),
            owner_id,
            industry: opt(&self.industry),
            website: opt(&self.website),
            phone: opt(&self.phone),
            city: opt(&self.city),
            country: opt(&self.country),
        };
        if errors.is_empty() {
            Ok(input)
        } else {
            Err(errors)
        }
    }

    pub fn from_account(a: &Account) -> Self {
        let s = |o: &Option<String>| o.clone().unwrap_or_default();
        AccountFormFields {
            name: a.name.clone(),
            account_type: a.account_type.as_str().into(),
            subtype: a
                .subtype
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            status: a.status.as_str().into(),
            parent_id: a.parent_id.map(|p| p.to_string()).unwrap_or_default(),
            location_count: a.location_count.map(|n| n.to_string()).unwrap_or_default(),
            accounting_id: s(&a.accounting_id),
            owner_id: a.owner_id.map(|p| p.to_string()).unwrap_or_default(),
            industry: s(&a.industry),
            website: s(&a.website),
            phone: s(&a.phone),
            city: s(&a.city),
            country: s(&a.country),
        }
    }
}

text_enum!(
    AccountSort {
        Name => "name" / "Name",
        Type => "type" / "Type",
        City => "city" / "City",
        Created => "created" / "Created",
        Updated => "updated" / "Updated",
    }
);

/// Console list query: server-side search, filters, sort and page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct AccountFilter {
    pub q: Option<String>,
    pub account_type: Option<AccountType>,
    pub status: Option<RecordStatus>,
    pub owner_id: Option<UserId>,
    pub parent_id: Option<AccountId>,
    pub sort: Option<AccountSort>,
    pub dir: Option<SortDir>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// An account with what its 360° page shows today; later modules add sections.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountDetail {
    pub account: Account,
    pub locations: Vec<AccountRef>,
    pub contacts: Vec<Contact>,
    /// The latest tickets of the account and its locations.
    pub tickets: Vec<super::TicketSummary>,
    pub can_edit: bool,
    pub can_delete: bool,
    pub can_edit_accounting_id: bool,
    pub can_invite: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountRef {
    pub id: AccountId,
    pub name: String,
    pub city: Option<String>,
    pub status: RecordStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Contact {
    pub id: ContactId,
    pub account_id: AccountId,
    pub account_name: String,
    pub first_name: String,
    pub last_name: String,
    pub title: Option<String>,
    pub role: Option<String>,
    pub status: RecordStatus,
    pub linkedin_url: Option<String>,
    /// Receives the company's holiday card.
    pub holiday_card: bool,
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    /// The account's type and status, shown on the contact (customer requirement).
    pub account_type: AccountType,
    pub account_status: RecordStatus,
    /// Whether this contact has portal access, and whether it has been accepted.
    pub portal_access: PortalAccess,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Contact {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PortalAccess {
    None,
    Invited,
    Active,
    Disabled,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ContactInput {
    pub account_id: Option<AccountId>,
    pub first_name: String,
    pub last_name: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub status: Option<RecordStatus>,
    #[serde(default)]
    pub linkedin_url: Option<String>,
    #[serde(default)]
    pub holiday_card: bool,
    #[serde(default)]
    pub emails: Vec<String>,
    #[serde(default)]
    pub phones: Vec<String>,
}

impl From<&Contact> for ContactInput {
    fn from(c: &Contact) -> Self {
        ContactInput {
            account_id: Some(c.account_id),
            first_name: c.first_name.clone(),
            last_name: c.last_name.clone(),
            title: c.title.clone(),
            role: c.role.clone(),
            status: Some(c.status),
            linkedin_url: c.linkedin_url.clone(),
            holiday_card: c.holiday_card,
            emails: c.emails.clone(),
            phones: c.phones.clone(),
        }
    }
}

/// The contact form as HTML posts it; emails and phones one per line (or comma separated).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ContactFormFields {
    pub account_id: String,
    pub first_name: String,
    pub last_name: String,
    pub title: String,
    pub role: String,
    pub status: String,
    pub linkedin_url: String,
    /// The checkbox: present (any value) when ticked.
    pub holiday_card: Option<String>,
    pub emails: String,
    pub phones: String,
}

fn split_list(s: &str) -> Vec<String> {
    s.split(['\n', ',', ';'])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(String::from)
        .collect()
}

impl ContactFormFields {
    pub fn parse(&self) -> Result<ContactInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        let account_id = parse_id("account_id", &self.account_id, &mut errors);
        let status = match RecordStatus::parse(self.status.trim()) {
            Some(s) => Some(s),
            None if self.status.trim().is_empty() => None,
            None => {
                errors.push(FieldError::new("status", "is not a valid status"));
                None
            }
        };
        let input = ContactInput {
            account_id,
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            title: opt(&self.title),
            role: opt(&self.role),
            status,
            linkedin_url: opt(&self.linkedin_url),
            holiday_card: self.holiday_card.is_some(),
            emails: split_list(&self.emails),
            phones: split_list(&self.phones),
        };
        if errors.is_empty() {
            Ok(input)
        } else {
            Err(errors)
        }
    }

    pub fn from_contact(c: &Contact) -> Self {
        let s = |o: &Option<String>| o.clone().unwrap_or_default();
        ContactFormFields {
            account_id: c.account_id.to_string(),
            first_name: c.first_name.clone(),
            last_name: c.last_name.clone(),
            title: s(&c.title),
            role: s(&c.role),
            status: c.status.as_str().into(),
            linkedin_url: s(&c.linkedin_url),
            holiday_card: c.holiday_card.then(|| "on".to_string()),
            emails: c.emails.join("\n"),
            phones: c.phones.join("\n"),
        }
    }
}

text_enum!(
    ContactSort {
        Name => "name" / "Name",
        Account => "account" / "Account",
        Created => "created" / "Created",
    }
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ContactFilter {
    pub q: Option<String>,
    pub account_id: Option<AccountId>,
    pub status: Option<RecordStatus>,
    pub sort: Option<ContactSort>,
    pub dir: Option<SortDir>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// Fields a client may change on their own contact from the portal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ProfileFields {
    pub first_name: String,
    pub last_name: String,
    pub title: String,
    pub phones: String,
    pub linkedin_url: String,
}

impl ProfileFields {
    pub fn apply_to(&self, c: &Contact) -> ContactInput {
        let mut input = ContactInput::from(c);
        input.first_name = self.first_name.clone();
        input.last_name = self.last_name.clone();
        input.title = opt(&self.title);
        input.phones = split_list(&self.phones);
        input.linkedin_url = opt(&self.linkedin_url);
        input
    }
}

/// The portal's view of the client's company: their account and its locations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Company {
    pub account: Account,
    pub locations: Vec<AccountRef>,
    pub me: Contact,
}

/// Small choice lists for forms (owners, parent accounts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    pub id: String,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ConsoleSummary {
    pub accounts: i64,
    pub customers: i64,
    pub prospects: i64,
    pub contacts: i64,
    pub locations: i64,
}
