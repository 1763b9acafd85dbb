//! Feedback surveys, their analytics and follow-up tasks as the browser and the domain see them.

use super::{AccountId, ContactId, TeamId, TicketId, UserId};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

text_enum!(
    /// CSAT (1 to 5), NPS (0 to 10) or CES (1 to 7: how easy it was).
    SurveyKind {
        Csat => "csat" / "CSAT",
        Nps => "nps" / "NPS",
        Ces => "ces" / "CES",
    }
);

impl SurveyKind {
    /// The scores a respondent may give.
    pub fn scale(self) -> std::ops::RangeInclusive<i16> {
        match self {
            SurveyKind::Csat => 1..=5,
            SurveyKind::Nps => 0..=10,
            SurveyKind::Ces => 1..=7,
        }
    }

    /// The words at both ends of the scale, for the answer page.
    pub fn ends(self) -> (&'static str, &'static str) {
        match self {
            SurveyKind::Csat => ("Very dissatisfied", "Very satisfied"),
            SurveyKind::Nps => ("Not at all likely", "Extremely likely"),
            SurveyKind::Ces => ("Very difficult", "Very easy"),
        }
    }

    /// A score low enough to alert the account owner: CSAT 1–2, NPS 0–6, CES 1–2.
    pub fn is_low(self, score: i16) -> bool {
        match self {
            SurveyKind::Csat | SurveyKind::Ces => score <= 2,
            SurveyKind::Nps => score <= 6,
        }
    }
}

/// What the answer page shows for a survey link (no login needed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurveyForm {
    pub kind: SurveyKind,
    pub question: String,
    /// The ticket or chat it is about ("#1042 Printer jams"), empty for NPS.
    pub about: String,
    pub contact_name: String,
    pub score: Option<i16>,
    pub comment: Option<String>,
    /// Whether the answer may still be given or changed through this link.
    pub open: bool,
    pub expires_at: DateTime<Utc>,
}

/// A survey waiting for the client's answer, listed in the portal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingSurvey {
    pub id: uuid::Uuid,
    pub kind: SurveyKind,
    pub about: String,
    pub sent_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The signed link (path and query) that answers it.
    pub link: String,
}

/// What happened to an answer, by the documented rule: the first answer counts; it may be
/// changed through the same link within the grace period; after that it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SurveyAnswerOutcome {
    Recorded,
    Updated,
    AlreadyAnswered,
}

/// A survey template as an admin edits it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SurveyTemplate {
    pub kind: SurveyKind,
    pub subject: String,
    pub body: String,
    pub question: String,
    pub variables: Vec<String>,
}

/// The rules every survey request follows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SurveySettings {
    pub csat_on_ticket: bool,
    pub csat_on_chat: bool,
    pub throttle_days: i32,
    pub expiry_days: i32,
    pub reminder_after_days: i32,
    pub answer_grace_minutes: i32,
    pub nps_interval_days: i32,
}

text_enum!(
    /// How the analytics page groups answers.
    FeedbackGrouping {
        Month => "month" / "Month",
        Week => "week" / "Week",
        Agent => "agent" / "Agent",
        Team => "team" / "Team",
        TicketType => "ticket_type" / "Ticket type",
        Channel => "channel" / "Channel",
        Account => "account" / "Account",
    }
);

/// Which answers the analytics page counts.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, utoipa::IntoParams))]
pub struct FeedbackFilter {
    pub from: Option<NaiveDate>,
    /// Inclusive.
    pub to: Option<NaiveDate>,
    pub agent_id: Option<UserId>,
    pub team_id: Option<TeamId>,
    pub ticket_type: Option<String>,
    pub channel: Option<String>,
    pub account_id: Option<AccountId>,
    /// Words in the comments.
    pub q: Option<String>,
    /// Only answers with this score or lower (drill-down to unhappy clients).
    pub max_score: Option<i16>,
    pub kind: Option<SurveyKind>,
}

/// CSAT, NPS and CES over one group of answers. Percentages are `None` without answers.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FeedbackScores {
    pub csat_responses: i64,
    pub csat_satisfied: i64,
    /// Satisfied (4 and 5) over all CSAT responses, in percent (004's formula).
    pub csat_percent: Option<f64>,
    pub nps_responses: i64,
    pub promoters: i64,
    pub detractors: i64,
    /// Promoters minus detractors, in percent of NPS responses (-100 to 100).
    pub nps: Option<f64>,
    pub ces_responses: i64,
    pub ces_average: Option<f64>,
}

/// One row of the analytics table: a period, agent, team, type, channel or account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FeedbackGroup {
    /// The key to filter by when drilling down (a date, a uuid, a type or channel).
    pub key: String,
    pub label: String,
    pub scores: FeedbackScores,
}

/// The analytics page: totals, groups, the trend and the responses behind them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FeedbackReport {
    pub totals: FeedbackScores,
    pub grouping: FeedbackGrouping,
    pub groups: Vec<FeedbackGroup>,
    /// By month (or week), oldest first, for the trend chart.
    pub trend: Vec<FeedbackGroup>,
    pub responses: Vec<FeedbackResponse>,
    pub responses_total: i64,
}

/// One answer, for drill-down and export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FeedbackResponse {
    pub id: uuid::Uuid,
    pub kind: SurveyKind,
    pub score: i16,
    pub comment: Option<String>,
    pub answered_at: DateTime<Utc>,
    pub account_id: AccountId,
    pub account_name: String,
    pub contact_id: ContactId,
    pub contact_name: String,
    pub ticket_id: Option<TicketId>,
    pub ticket_number: Option<i64>,
    pub agent_name: Option<String>,
    pub team_name: Option<String>,
    pub ticket_type: Option<String>,
    pub channel: Option<String>,
    pub subject: String,
}

/// A follow-up task: something a staff member must do by a date about an account, contact or
/// ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FollowUpTask {
    pub id: uuid::Uuid,
    pub title: String,
    pub notes: String,
    pub due_on: NaiveDate,
    pub snoozed_until: Option<NaiveDate>,
    pub assignee_id: UserId,
    pub assignee_name: String,
    pub account_id: Option<AccountId>,
    pub account_name: Option<String>,
    pub contact_id: Option<ContactId>,
    pub contact_name: Option<String>,
    pub ticket_id: Option<TicketId>,
    pub ticket_number: Option<i64>,
    pub done: bool,
    pub overdue: bool,
    pub created_at: DateTime<Utc>,
}

/// A new follow-up task, from a form or the API.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewFollowUpTask {
    pub title: String,
    #[serde(default)]
    pub notes: String,
    pub due_on: Option<NaiveDate>,
    /// Defaults to the caller.
    pub assignee_id: Option<UserId>,
    pub account_id: Option<AccountId>,
    pub contact_id: Option<ContactId>,
    pub ticket_id: Option<TicketId>,
}

text_enum!(
    /// How a user wants notifications by mail.
    EmailMode {
        Immediate => "immediate" / "A mail for each one",
        DailyDigest => "daily_digest" / "One mail a day (digest)",
        Off => "off" / "No mail, in the app only",
    }
);
