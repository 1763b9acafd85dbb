use crate::server::ServiceError;
use crate::types::{AccountId, ApiKeyId, ContactId, Role, UserId};

/// Who is making a request. Built once per request by the server's auth middleware
/// (session cookie or API key) and handed to every domain verb.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Caller {
    #[default]
    Anonymous,
    Staff(StaffCaller),
    Client(ClientCaller),
    /// Background jobs and the demo loader: trusted code, never a request.
    System,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffCaller {
    pub user_id: Option<UserId>,
    pub api_key_id: Option<ApiKeyId>,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCaller {
    pub user_id: UserId,
    pub contact_id: ContactId,
    pub account_id: AccountId,
}

/// Everything a staff role can be allowed to do. Clients never hold these:
/// their reach is their own account, checked record by record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    ReadAccounts,
    WriteAccounts,
    DeleteAccounts,
    SetAccountingId,
    ReadContacts,
    WriteContacts,
    DeleteContacts,
    InviteClients,
    ManageUsers,
    ManageApiKeys,
    /// See every ticket (all staff: sales sees its accounts' support history).
    ReadTickets,
    /// Reply, add internal notes, change status, assign: the support roles.
    WorkTickets,
    /// Ticket types, teams, SLA policies, business hours, the inbound review queue,
    /// chat settings and canned responses; supervising any chat.
    ManageSupport,
    /// Read chat history (all staff: it is part of the account's 360° view).
    ReadChats,
    /// Take chats: presence, accept, answer, transfer, close, convert.
    WorkChats,
    /// Read every knowledge-base article, drafts and staff-only ones included (all staff).
    ReadKnowledge,
    /// Write, publish and archive articles; manage categories (the support roles).
    WriteKnowledge,
    /// Onboarding templates and the welcome email's template (admins).
    ManageOnboarding,
    /// Start and cancel onboardings, work and assign their steps (all staff: sales closes
    /// the deal, support runs the onboarding).
    WorkOnboarding,
    /// Share documents with an account and remove them (all staff).
    ShareDocuments,
    /// Publish and cancel training slots (the support roles).
    ScheduleTraining,
    /// Survey analytics, answers and their comments (all staff: sales owns unhappy accounts).
    ReadFeedback,
    /// Survey templates and sending rules (admins and support managers).
    ManageSurveys,
    /// Create, finish and snooze follow-up tasks (all staff).
    WorkTasks,
    /// Health score weights and band thresholds (admins).
    ManageHealth,
}

/// The role matrix, in one place (documented in docs/ARCHITECTURE.md).
pub fn role_allows(role: Role, permission: Permission) -> bool {
    use Permission::*;
    use Role::*;
    match permission {
        ReadAccounts | ReadContacts | WriteContacts | ReadTickets | ReadChats | ReadKnowledge
        | WorkOnboarding | ShareDocuments | ReadFeedback | WorkTasks => true,
        WorkTickets | WorkChats | WriteKnowledge | ScheduleTraining => {
            matches!(role, Admin | SupportManager | SupportAgent)
        }
        ManageSupport | ManageSurveys => matches!(role, Admin | SupportManager),
        WriteAccounts => matches!(role, Admin | SupportManager | SalesManager | SalesRep),
        DeleteAccounts | DeleteContacts => matches!(role, Admin | SalesManager | SupportManager),
        InviteClients => matches!(role, Admin | SupportManager | SalesManager | SalesRep),
        SetAccountingId | ManageUsers | ManageApiKeys | ManageOnboarding | ManageHealth => {
            role == Admin
        }
    }
}

impl Caller {
    /// The staff caller if they hold `permission`; otherwise why not.
    pub fn staff(&self, permission: Permission) -> Result<&StaffCaller, ServiceError> {
        match self {
            Caller::Staff(s) if role_allows(s.role, permission) => Ok(s),
            Caller::Staff(_) | Caller::Client(_) => Err(ServiceError::Forbidden),
            Caller::Anonymous => Err(ServiceError::Unauthenticated),
            Caller::System => Err(ServiceError::Forbidden),
        }
    }

    pub fn can(&self, permission: Permission) -> bool {
        match self {
            Caller::Staff(s) => role_allows(s.role, permission),
            Caller::System => true,
            _ => false,
        }
    }

    pub fn client(&self) -> Result<&ClientCaller, ServiceError> {
        match self {
            Caller::Client(c) => Ok(c),
            Caller::Anonymous => Err(ServiceError::Unauthenticated),
            _ => Err(ServiceError::Forbidden),
        }
    }

    pub fn require_signed_in(&self) -> Result<(), ServiceError> {
        match self {
            Caller::Anonymous => Err(ServiceError::Unauthenticated),
            _ => Ok(()),
        }
    }

    pub fn user_id(&self) -> Option<UserId> {
        match self {
            Caller::Staff(s) => s.user_id,
            Caller::Client(c) => Some(c.user_id),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_admins_manage_users_keys_and_accounting_ids() {
        for role in Role::ALL {
            let admin = role == Role::Admin;
            assert_eq!(role_allows(role, Permission::ManageUsers), admin);
            assert_eq!(role_allows(role, Permission::ManageApiKeys), admin);
            assert_eq!(role_allows(role, Permission::SetAccountingId), admin);
        }
    }

    #[test]
    fn support_agents_read_accounts_but_cannot_change_them() {
        assert!(role_allows(Role::SupportAgent, Permission::ReadAccounts));
        assert!(!role_allows(Role::SupportAgent, Permission::WriteAccounts));
        assert!(!role_allows(Role::SupportAgent, Permission::DeleteAccounts));
    }

    #[test]
    fn only_support_roles_work_tickets_and_sales_only_reads_them() {
        for role in Role::ALL {
            assert!(role_allows(role, Permission::ReadTickets));
            let support = matches!(
                role,
                Role::Admin | Role::SupportManager | Role::SupportAgent
            );
            assert_eq!(role_allows(role, Permission::WorkTickets), support);
        }
        assert!(!role_allows(Role::SupportAgent, Permission::ManageSupport));
        assert!(role_allows(Role::SupportManager, Permission::ManageSupport));
    }

    #[test]
    fn clients_and_anonymous_hold_no_staff_permission() {
        let client = Caller::Client(ClientCaller {
            user_id: UserId::new(),
            contact_id: ContactId::new(),
            account_id: AccountId::new(),
        });
        assert!(matches!(
            client.staff(Permission::ReadAccounts),
            Err(ServiceError::Forbidden)
        ));
        assert!(matches!(
            Caller::Anonymous.staff(Permission::ReadAccounts),
            Err(ServiceError::Unauthenticated)
        ));
    }
}
