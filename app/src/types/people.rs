use super::{AccountId, ApiKeyId, ContactId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Staff roles. Clients have no role: their reach is their own account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    SupportManager,
    SupportAgent,
    SalesManager,
    SalesRep,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::SupportManager,
        Role::SupportAgent,
        Role::SalesManager,
        Role::SalesRep,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::SupportManager => "support_manager",
            Role::SupportAgent => "support_agent",
            Role::SalesManager => "sales_manager",
            Role::SalesRep => "sales_rep",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::SupportManager => "Support manager",
            Role::SupportAgent => "Support agent",
            Role::SalesManager => "Sales manager",
            Role::SalesRep => "Sales rep",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown role `{s}`"))
    }
}

/// Who is signed in, as the browser sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Me {
    pub user_id: UserId,
    pub email: String,
    pub display_name: String,
    pub kind: MeKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MeKind {
    Staff {
        role: Role,
    },
    Client {
        contact_id: ContactId,
        account_id: AccountId,
    },
}

impl Me {
    pub fn is_staff(&self) -> bool {
        matches!(self.kind, MeKind::Staff { .. })
    }
    pub fn role(&self) -> Option<Role> {
        match self.kind {
            MeKind::Staff { role } => Some(role),
            MeKind::Client { .. } => None,
        }
    }
    pub fn home(&self) -> &'static str {
        if self.is_staff() {
            "/console"
        } else {
            "/portal"
        }
    }
}

/// A user row as the admin screen shows it (never the password hash).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserSummary {
    pub id: UserId,
    pub email: String,
    pub display_name: String,
    pub role: Option<Role>,
    pub contact_id: Option<ContactId>,
    pub is_active: bool,
    pub has_password: bool,
    pub last_login_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiKeySummary {
    pub id: ApiKeyId,
    pub name: String,
    pub prefix: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked: bool,
}

/// Returned once, when a key is created; only its hash is kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewApiKey {
    pub summary: ApiKeySummary,
    pub secret: String,
}

/// An in-app notification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    pub id: uuid::Uuid,
    pub title: String,
    /// Where it leads, a path inside Steward.
    pub link: String,
    pub read: bool,
    pub created_at: DateTime<Utc>,
}
