//! Onboarding, the welcome email, training and account documents as the browser and the
//! domain see them.

use super::{
    AccountId, BookingId, Choice, ContactId, DocumentId, OnboardingId, OnboardingStepId, Role,
    SlotId, TemplateId, UserId,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

text_enum!(
    /// Who does a step: the client in the portal, or a staff role in the console.
    StepOwnerSide {
        Client => "client" / "Client",
        Staff => "staff" / "Staff",
    }
);

text_enum!(
    /// What happens by itself when a step opens (its dependencies are done).
    StepAction {
        None => "none" / "Nothing",
        SendEmail => "send_email" / "Send an email to the client",
        ScheduleTraining => "schedule_training" / "Invite the client to book the training call",
        CreateTask => "create_task" / "Create a task for the step's owner",
    }
);

text_enum!(
    OnboardingStatus {
        Running => "running" / "Running",
        Completed => "completed" / "Completed",
        Cancelled => "cancelled" / "Cancelled",
    }
);

text_enum!(
    StepStatus {
        Open => "open" / "Open",
        Done => "done" / "Done",
        Skipped => "skipped" / "Skipped",
    }
);

text_enum!(
    /// How an onboarding began.
    OnboardingStart {
        BecameCustomer => "became_customer" / "The account became a customer",
        ByHand => "by_hand" / "Started by hand",
        Api => "api" / "Started through the API",
    }
);

/// One step of a template, as an admin edits it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TemplateStep {
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub owner_side: StepOwnerSide,
    /// The staff role that owns the step (staff steps only).
    #[serde(default)]
    pub owner_role: Option<Role>,
    /// Days after the onboarding starts.
    pub due_offset_days: i32,
    /// Positions (from 1) of earlier steps that must be done first.
    #[serde(default)]
    pub depends_on: Vec<i32>,
    #[serde(default)]
    pub checklist: Vec<String>,
    /// Documents the client must upload to complete the step.
    #[serde(default)]
    pub required_documents: Vec<String>,
    #[serde(default = "no_action")]
    pub action: StepAction,
    /// The email's subject and Markdown body (send_email), or the task's title (create_task).
    #[serde(default)]
    pub action_subject: String,
    #[serde(default)]
    pub action_body: String,
}

fn no_action() -> StepAction {
    StepAction::None
}

impl TemplateStep {
    pub fn blank() -> Self {
        TemplateStep {
            title: String::new(),
            description: String::new(),
            owner_side: StepOwnerSide::Staff,
            owner_role: Some(Role::SupportAgent),
            due_offset_days: 1,
            depends_on: vec![],
            checklist: vec![],
            required_documents: vec![],
            action: StepAction::None,
            action_subject: String::new(),
            action_body: String::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TemplateInput {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Started when an account becomes a customer.
    #[serde(default)]
    pub is_default: bool,
    pub steps: Vec<TemplateStep>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TemplateSummary {
    pub id: TemplateId,
    pub name: String,
    pub description: String,
    pub is_default: bool,
    pub is_archived: bool,
    pub current_version: i32,
    pub step_count: i64,
    /// Onboardings running on any version of it.
    pub running: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateVersionInfo {
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<String>,
    pub running: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TemplateDetail {
    pub summary: TemplateSummary,
    pub steps: Vec<TemplateStep>,
    #[cfg_attr(feature = "ssr", schema(ignore))]
    pub versions: Vec<TemplateVersionInfo>,
}

/// A running (or finished) onboarding in lists: the board's card and the account's section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OnboardingSummary {
    pub id: OnboardingId,
    pub account_id: AccountId,
    pub account_name: String,
    pub template_id: TemplateId,
    pub template_name: String,
    pub template_version: i32,
    pub status: OnboardingStatus,
    pub owner_id: Option<UserId>,
    pub owner_name: Option<String>,
    pub started_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    pub step_count: i32,
    pub steps_done: i32,
    /// The first open step: the board's column.
    pub stage: Option<String>,
    pub next_due_on: Option<NaiveDate>,
    pub overdue: bool,
}

impl OnboardingSummary {
    /// Done or skipped steps, as a whole percentage.
    pub fn progress(&self) -> u8 {
        if self.step_count <= 0 {
            return 100;
        }
        ((i64::from(self.steps_done) * 100) / i64::from(self.step_count)).clamp(0, 100) as u8
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ChecklistItem {
    pub label: String,
    pub done: bool,
}

/// A document a step asks for, and the file given for it, if any.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RequiredDocument {
    pub label: String,
    pub document: Option<DocumentInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OnboardingStepView {
    pub id: OnboardingStepId,
    pub position: i32,
    pub title: String,
    pub description: String,
    pub owner_side: StepOwnerSide,
    pub owner_role: Option<Role>,
    pub status: StepStatus,
    /// Waiting for earlier steps.
    pub blocked_by: Vec<String>,
    pub assignee_id: Option<UserId>,
    pub assignee_name: Option<String>,
    pub due_on: NaiveDate,
    pub overdue: bool,
    pub completed_at: Option<DateTime<Utc>>,
    pub completed_by_name: Option<String>,
    pub checklist: Vec<ChecklistItem>,
    pub required_documents: Vec<RequiredDocument>,
    pub action: StepAction,
    /// Whether the reader may tick, upload and complete it now.
    pub can_work: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OnboardingView {
    pub summary: OnboardingSummary,
    pub started_by: OnboardingStart,
    pub contact_id: Option<ContactId>,
    pub contact_name: Option<String>,
    pub steps: Vec<OnboardingStepView>,
    /// Staff may cancel it, reassign steps.
    pub can_manage: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct BoardFilter {
    pub owner: Option<UserId>,
    pub template: Option<TemplateId>,
    #[serde(default)]
    pub overdue_only: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoardColumn {
    pub stage: String,
    /// Cards in the column (the first ones when there are many).
    pub cards: Vec<OnboardingSummary>,
    pub total: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OnboardingBoard {
    pub columns: Vec<BoardColumn>,
    pub running: i64,
    pub overdue: i64,
    pub templates: Vec<Choice>,
    pub owners: Vec<Choice>,
    pub can_start: bool,
}

/// Starting an onboarding by hand or through the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StartOnboarding {
    pub account_id: AccountId,
    /// The default template when absent.
    #[serde(default)]
    pub template_id: Option<TemplateId>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DocumentInfo {
    pub id: DocumentId,
    pub title: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i32,
    /// "staff" (shared with the client) or "client" (uploaded by them).
    pub shared_by: String,
    pub uploaded_by_name: String,
    pub requirement: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A mail sent (or being sent) about an account: the welcome email, invitations, reminders.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MailRecord {
    pub id: uuid::Uuid,
    pub kind: String,
    pub to: String,
    pub subject: String,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// The onboarding section of the account's 360° page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountOnboarding {
    pub current: Option<OnboardingView>,
    pub past: Vec<OnboardingSummary>,
    pub documents: Vec<DocumentInfo>,
    pub mail: Vec<MailRecord>,
    pub training: Option<BookingView>,
    pub templates: Vec<Choice>,
    pub can_start: bool,
    pub can_share: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WelcomeTemplate {
    pub subject: String,
    pub body_markdown: String,
    /// The variables the template may use, for the editor's help text.
    pub variables: Vec<String>,
}

/// A training slot, with its times in the reader's time zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlotView {
    pub id: SlotId,
    pub title: String,
    pub host_name: String,
    pub starts_at: DateTime<Utc>,
    pub duration_minutes: i32,
    /// "Tue 1 Dec 2026, 10:00–11:00" in `time_zone`.
    pub when: String,
    pub time_zone: String,
    /// The zone the host published it in.
    pub slot_time_zone: String,
    pub capacity: i32,
    pub booked: i32,
    pub meeting_url: Option<String>,
    pub cancelled: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BookingView {
    pub id: BookingId,
    pub slot: SlotView,
    pub account_id: AccountId,
    pub account_name: String,
    pub booked_by_name: String,
    pub sequence: i32,
    pub cancelled: bool,
}

/// The portal's training page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PortalTraining {
    pub time_zone: String,
    pub booking: Option<BookingView>,
    pub slots: Vec<SlotView>,
}

/// The console's training page: the slots ahead and who booked them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingDesk {
    pub time_zone: String,
    pub slots: Vec<SlotView>,
    pub bookings: Vec<BookingView>,
    /// The reader's private calendar feed, once created.
    pub has_feed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SlotInput {
    pub title: String,
    /// Local date and time in `time_zone`, as a datetime-local input gives it.
    pub starts_local: String,
    pub time_zone: String,
    pub duration_minutes: String,
    pub capacity: String,
    #[serde(default)]
    pub meeting_url: Option<String>,
}

/// A colleague of a client admin, as the portal's team page lists them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Colleague {
    pub user_id: UserId,
    pub contact_id: ContactId,
    pub name: String,
    pub email: String,
    pub is_client_admin: bool,
    pub is_active: bool,
    pub has_password: bool,
    pub is_me: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ColleagueInput {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
}

/// The portal home: the onboarding, open tickets, documents, what the client admin may do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PortalOverview {
    pub onboarding: Option<OnboardingSummary>,
    /// The client's open steps, soonest due first.
    pub next_steps: Vec<OnboardingStepView>,
    pub open_tickets: i64,
    pub documents: Vec<DocumentInfo>,
    pub training: Option<BookingView>,
    pub is_client_admin: bool,
    /// Surveys waiting for an answer (the surveys module fills this slot).
    pub pending_surveys: i64,
}
