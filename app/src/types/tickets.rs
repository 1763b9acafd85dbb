//! Support tickets as the browser, the REST API and the domain see them.

use super::{
    AccountId, AttachmentId, ContactId, MessageId, RecordStatus, TeamId, TicketId, UserId,
};
use crate::error::FieldError;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

text_enum!(
    TicketPriority {
        Low => "low" / "Low",
        Medium => "medium" / "Medium",
        High => "high" / "High",
        Urgent => "urgent" / "Urgent",
    }
);

text_enum!(
    /// Where a ticket is in its life; `TicketStatus::can_become` holds the allowed moves.
    TicketStatus {
        New => "new" / "New",
        Open => "open" / "Open",
        PendingClient => "pending_client" / "Pending client",
        OnHold => "on_hold" / "On hold",
        Resolved => "resolved" / "Resolved",
        Closed => "closed" / "Closed",
    }
);

impl TicketStatus {
    /// The transitions staff may make. Reopening (resolved → open) is also bounded by
    /// the reopen window, checked by the domain; closed is final.
    pub fn can_become(self, next: TicketStatus) -> bool {
        use TicketStatus::*;
        match (self, next) {
            (a, b) if a == b => false,
            (Closed, _) => false,
            (_, New) => false,
            (Resolved, Open | Closed) => true,
            (Resolved, _) => false,
            (New | Open | PendingClient | OnHold, _) => true,
        }
    }

    pub fn is_done(self) -> bool {
        matches!(self, TicketStatus::Resolved | TicketStatus::Closed)
    }
}

text_enum!(
    TicketChannel {
        Portal => "portal" / "Portal",
        Email => "email" / "Email",
        WebForm => "web_form" / "Web form",
        Chat => "chat" / "Chat",
        Phone => "phone" / "Phone",
        Api => "api" / "API",
    }
);

text_enum!(
    /// How the ticket stands against its SLA targets.
    SlaState {
        Ok => "ok" / "On track",
        AtRisk => "at_risk" / "At risk",
        Breached => "breached" / "Breached",
    }
);

text_enum!(
    /// The dashboard's predefined views.
    TicketView {
        Mine => "mine" / "Mine",
        Unassigned => "unassigned" / "Unassigned",
        Open => "open" / "All open",
        Breaching => "breaching" / "Breaching SLA",
        Recent => "recent" / "Recently updated",
        All => "all" / "All tickets",
    }
);

text_enum!(
    TicketSort {
        Updated => "updated" / "Last update",
        Created => "created" / "Created",
        Due => "due" / "SLA due",
        Priority => "priority" / "Priority",
        Relevance => "relevance" / "Relevance",
    }
);

/// A ticket type from the configurable list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TicketType {
    pub key: String,
    pub label: String,
}

/// A row of a ticket list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TicketSummary {
    pub id: TicketId,
    pub number: i64,
    pub subject: String,
    pub ticket_type: String,
    pub priority: TicketPriority,
    pub status: TicketStatus,
    pub channel: TicketChannel,
    pub account_id: AccountId,
    pub account_name: String,
    pub contact_name: Option<String>,
    pub assignee_id: Option<UserId>,
    pub assignee_name: Option<String>,
    pub team_id: Option<TeamId>,
    pub team_name: Option<String>,
    pub tags: Vec<String>,
    pub sla_state: SlaState,
    pub first_response_due: DateTime<Utc>,
    pub resolution_due: DateTime<Utc>,
    pub first_responded_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The whole ticket record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Ticket {
    #[serde(flatten)]
    pub summary: TicketSummary,
    pub description: String,
    pub location_id: Option<AccountId>,
    pub location_name: Option<String>,
    pub asset_serial: Option<String>,
    pub contact_id: Option<ContactId>,
    pub sla_paused_at: Option<DateTime<Utc>>,
    pub escalated_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AttachmentInfo {
    pub id: AttachmentId,
    pub message_id: Option<MessageId>,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i32,
    pub uploaded_by_name: String,
    pub created_at: DateTime<Utc>,
}

/// A reply or an internal note.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TicketMessage {
    pub id: MessageId,
    /// Internal notes are for staff only; clients never receive them.
    pub internal: bool,
    pub author_name: String,
    pub from_staff: bool,
    pub body: String,
    pub via: String,
    pub created_at: DateTime<Utc>,
}

/// One line of the audit history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TicketEvent {
    pub actor_name: String,
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub at: DateTime<Utc>,
}

/// The ticket page: record, conversation, history and what the caller may do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketDetail {
    pub ticket: Ticket,
    pub messages: Vec<TicketMessage>,
    pub attachments: Vec<AttachmentInfo>,
    pub history: Vec<TicketEvent>,
    pub account_status: RecordStatus,
    /// The account's other tickets that are not done (staff only).
    pub other_open: Vec<TicketSummary>,
    pub can_work: bool,
    pub can_reopen: bool,
    pub can_close: bool,
    pub next_statuses: Vec<TicketStatus>,
}

/// A new ticket. Clients give subject, description, type, priority, location and serial;
/// the account, contact and channel come from who they are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewTicket {
    pub subject: String,
    pub description: String,
    #[serde(default)]
    pub ticket_type: Option<String>,
    #[serde(default)]
    pub priority: Option<TicketPriority>,
    #[serde(default)]
    pub account_id: Option<AccountId>,
    #[serde(default)]
    pub location_id: Option<AccountId>,
    #[serde(default)]
    pub asset_serial: Option<String>,
    #[serde(default)]
    pub contact_id: Option<ContactId>,
    #[serde(default)]
    pub team_id: Option<TeamId>,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// Changes staff make to a ticket; absent fields stay as they are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TicketChanges {
    #[serde(default)]
    pub status: Option<TicketStatus>,
    #[serde(default)]
    pub priority: Option<TicketPriority>,
    #[serde(default)]
    pub ticket_type: Option<String>,
    /// `Some(None)` unassigns.
    #[serde(default, with = "double_option")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, format = Uuid))]
    pub assignee_id: Option<Option<UserId>>,
    #[serde(default, with = "double_option")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, format = Uuid))]
    pub team_id: Option<Option<TeamId>>,
    /// Replaces the tags.
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    /// Adds these tags, keeping the others (bulk tagging).
    #[serde(default)]
    pub add_tags: Option<Vec<String>>,
}

/// Distinguishes a field set to null from a field left out.
mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<T: Serialize, S: Serializer>(
        v: &Option<Option<T>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            Some(inner) => inner.serialize(s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

/// Dashboard filters, shared by the console and the REST API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct TicketFilter {
    pub view: Option<TicketView>,
    pub q: Option<String>,
    pub status: Option<TicketStatus>,
    pub priority: Option<TicketPriority>,
    pub ticket_type: Option<String>,
    pub assignee_id: Option<UserId>,
    pub team_id: Option<TeamId>,
    pub account_id: Option<AccountId>,
    pub tag: Option<String>,
    pub created_from: Option<NaiveDate>,
    pub created_to: Option<NaiveDate>,
    pub sort: Option<TicketSort>,
    /// Keyset cursor: the `next_cursor` of the previous page.
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

/// One page of tickets with the cursor of the next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TicketPage {
    pub items: Vec<TicketSummary>,
    pub next_cursor: Option<String>,
}

/// How many tickets each view holds, for the caller.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct TicketViewCounts {
    pub mine: i64,
    pub unassigned: i64,
    pub open: i64,
    pub breaching: i64,
}

/// Choices for the ticket forms and filters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct TicketOptions {
    pub types: Vec<TicketType>,
    pub agents: Vec<super::Choice>,
    pub teams: Vec<super::Choice>,
}

/// The portal's and console's new-ticket form as HTML posts it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct NewTicketForm {
    pub subject: String,
    pub description: String,
    pub ticket_type: String,
    pub priority: String,
    pub account_id: String,
    pub location_id: String,
    pub asset_serial: String,
    pub contact_id: String,
    /// Staff may name the requesting contact by an address of theirs.
    pub contact_email: String,
    pub team_id: String,
    pub tags: String,
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn parse_id<T: std::str::FromStr>(
    raw: &str,
    field: &str,
    errors: &mut Vec<FieldError>,
) -> Option<T> {
    let t = raw.trim();
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

/// Tags as typed: separated by commas, trimmed, lower-cased, without repeats.
pub fn split_tags(raw: &str) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for t in raw.split(',') {
        let t = t.trim().to_lowercase();
        if !t.is_empty() && !tags.contains(&t) {
            tags.push(t);
        }
    }
    tags
}

impl NewTicketForm {
    pub fn parse(&self) -> Result<NewTicket, Vec<FieldError>> {
        let mut errors = Vec::new();
        let priority = match self.priority.trim() {
            "" => None,
            p => match TicketPriority::parse(p) {
                Some(p) => Some(p),
                None => {
                    errors.push(FieldError::new("priority", "is not a valid priority"));
                    None
                }
            },
        };
        let input = NewTicket {
            subject: self.subject.clone(),
            description: self.description.clone(),
            ticket_type: opt(&self.ticket_type),
            priority,
            account_id: parse_id(&self.account_id, "account_id", &mut errors),
            location_id: parse_id(&self.location_id, "location_id", &mut errors),
            asset_serial: opt(&self.asset_serial),
            contact_id: parse_id(&self.contact_id, "contact_id", &mut errors),
            team_id: parse_id(&self.team_id, "team_id", &mut errors),
            tags: split_tags(&self.tags),
        };
        if errors.is_empty() {
            Ok(input)
        } else {
            Err(errors)
        }
    }
}

/// Live-update signal: which ticket changed and for whom it matters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketChanged {
    pub ticket_id: TicketId,
    pub account_id: AccountId,
}

/// Someone else on the same ticket page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketViewer {
    pub name: String,
    pub replying: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketTypeSetting {
    pub key: String,
    pub label: String,
    pub active: bool,
}

/// Targets in business minutes for one priority.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlaTarget {
    pub priority: TicketPriority,
    pub first_response_minutes: i32,
    pub resolution_minutes: i32,
}

/// Weekly hours (minutes after local midnight, Monday first) in a time zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BusinessHours {
    pub time_zone: String,
    pub open_minute: Vec<i32>,
    pub close_minute: Vec<i32>,
    pub reopen_days: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Holiday {
    pub day: NaiveDate,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamSetting {
    pub id: TeamId,
    pub name: String,
    pub auto_assign: bool,
    pub members: Vec<super::Choice>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SupportSettings {
    pub types: Vec<TicketTypeSetting>,
    pub targets: Vec<SlaTarget>,
    pub hours: BusinessHours,
    pub holidays: Vec<Holiday>,
    pub teams: Vec<TeamSetting>,
    pub agents: Vec<super::Choice>,
}

/// `HH:MM` to minutes after midnight (`24:00` allowed as end of day).
pub fn parse_clock(s: &str) -> Option<i32> {
    let (h, m) = s.trim().split_once(':')?;
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    ((0..=24).contains(&h) && (0..60).contains(&m) && h * 60 + m <= 1440).then_some(h * 60 + m)
}

pub fn format_clock(minutes: i32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// An inbound mail waiting for a person (unknown sender).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewMail {
    pub id: uuid::Uuid,
    pub from_address: String,
    pub subject: String,
    pub received_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedTicketView {
    pub id: uuid::Uuid,
    pub name: String,
    /// The list page's query string, without the `?`.
    pub query: String,
}

/// The ticket sidebar's change form as HTML posts it; empty means "leave as it is",
/// except assignee and team where `none` clears them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct TicketChangesForm {
    pub status: String,
    pub priority: String,
    pub ticket_type: String,
    pub assignee_id: String,
    pub team_id: String,
    pub tags: Option<String>,
    pub add_tag: String,
}

impl TicketChangesForm {
    pub fn parse(&self) -> Result<TicketChanges, Vec<FieldError>> {
        let mut errors = Vec::new();
        let status = match self.status.trim() {
            "" => None,
            s => TicketStatus::parse(s).or_else(|| {
                errors.push(FieldError::new("status", "is not a valid status"));
                None
            }),
        };
        let priority = match self.priority.trim() {
            "" => None,
            s => TicketPriority::parse(s).or_else(|| {
                errors.push(FieldError::new("priority", "is not a valid priority"));
                None
            }),
        };
        let assignee_id = match self.assignee_id.trim() {
            "" => None,
            "none" => Some(None),
            s => Some(parse_id(s, "assignee_id", &mut errors)),
        };
        let team_id = match self.team_id.trim() {
            "" => None,
            "none" => Some(None),
            s => Some(parse_id(s, "team_id", &mut errors)),
        };
        let changes = TicketChanges {
            status,
            priority,
            ticket_type: opt(&self.ticket_type),
            assignee_id,
            team_id,
            tags: self.tags.as_deref().map(split_tags),
            add_tags: Some(split_tags(&self.add_tag)).filter(|t| !t.is_empty()),
        };
        if errors.is_empty() {
            Ok(changes)
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_is_final_and_nothing_returns_to_new() {
        for s in TicketStatus::ALL {
            assert!(!TicketStatus::Closed.can_become(*s));
            assert!(!s.can_become(TicketStatus::New));
        }
    }

    #[test]
    fn a_resolved_ticket_can_only_be_reopened_or_closed() {
        use TicketStatus::*;
        let next: Vec<_> = TicketStatus::ALL
            .iter()
            .copied()
            .filter(|s| Resolved.can_become(*s))
            .collect();
        assert_eq!(next, vec![Open, Closed]);
    }

    #[test]
    fn clock_times_parse_within_a_day() {
        assert_eq!(parse_clock("09:30"), Some(570));
        assert_eq!(parse_clock("24:00"), Some(1440));
        assert_eq!(parse_clock("24:01"), None);
        assert_eq!(parse_clock("9"), None);
        assert_eq!(format_clock(570), "09:30");
    }

    #[test]
    fn tags_are_trimmed_lowercased_and_unique() {
        assert_eq!(split_tags(" VIP, printer ,vip,, "), vec!["vip", "printer"]);
    }
}
