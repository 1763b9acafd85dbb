//! Validation of ticket input: trimmed, bounded, defaults applied, links checked.

use super::repo;
use crate::server::error::Checks;
use crate::server::ServiceError;
use crate::types::{
    AccountId, ContactId, NewTicket, TeamId, TicketChanges, TicketPriority, TicketStatus, UserId,
};
use sqlx::PgPool;

pub const SUBJECT_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 20_000;
pub const BODY_MAX: usize = 50_000;
const TAGS_MAX: usize = 20;
const TAG_MAX: usize = 40;
const DEFAULT_TYPE: &str = "question";

#[derive(Debug, Clone, PartialEq)]
pub struct ValidTicket {
    pub subject: String,
    pub description: String,
    pub ticket_type: String,
    pub priority: TicketPriority,
    pub account_id: AccountId,
    pub location_id: Option<AccountId>,
    pub asset_serial: Option<String>,
    pub contact_id: Option<ContactId>,
    pub team_id: Option<TeamId>,
    pub tags: Vec<String>,
}

fn check_tags(c: &mut Checks, tags: &[String]) -> Vec<String> {
    if tags.len() > TAGS_MAX {
        c.add("tags", &format!("at most {TAGS_MAX} tags"));
    }
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        let t = t.trim().to_lowercase();
        if t.is_empty() {
            continue;
        }
        if t.chars().count() > TAG_MAX || t.contains(',') {
            c.add(
                "tags",
                &format!("each tag must be at most {TAG_MAX} characters, without commas"),
            );
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// Field checks that need no database.
pub fn validate_new(input: &NewTicket) -> Result<ValidTicket, ServiceError> {
    let mut c = Checks::default();
    let subject = c.required("subject", &input.subject, SUBJECT_MAX);
    let description = input.description.trim().to_string();
    if description.is_empty() {
        c.add("description", "is required");
    } else if description.chars().count() > DESCRIPTION_MAX {
        c.add(
            "description",
            &format!("must be at most {DESCRIPTION_MAX} characters"),
        );
    }
    let asset_serial = c.optional("asset_serial", &input.asset_serial, 100);
    let tags = check_tags(&mut c, &input.tags);
    if input.account_id.is_none() {
        c.add("account_id", "is required");
    }
    c.finish()?;
    Ok(ValidTicket {
        subject,
        description,
        ticket_type: input
            .ticket_type
            .clone()
            .unwrap_or_else(|| DEFAULT_TYPE.into()),
        priority: input.priority.unwrap_or(TicketPriority::Medium),
        account_id: input.account_id.unwrap_or_default(),
        location_id: input.location_id.filter(|l| Some(*l) != input.account_id),
        asset_serial,
        contact_id: input.contact_id,
        team_id: input.team_id,
        tags,
    })
}

/// The field errors for a new ticket whose links failed their checks
/// (`repo::link_checks`): the type is not in the list, the location is not one of the
/// account's, the contact does not work at the account, the team does not exist.
pub fn link_errors(l: repo::LinkCheck) -> ServiceError {
    let mut c = Checks::default();
    if !l.type_ok {
        c.add("ticket_type", "is not a ticket type");
    }
    if !l.account_ok {
        c.add("account_id", "does not exist");
    } else {
        if !l.location_ok {
            c.add("location_id", "must be one of the account's locations");
        }
        if !l.contact_ok {
            c.add("contact_id", "must be a contact of the account");
        }
        if !l.team_ok {
            c.add("team_id", "does not exist");
        }
    }
    match c.finish() {
        Err(e) => e,
        // Only called when a check failed; should none have, say so rather than pass.
        Ok(()) => ServiceError::field("ticket", "could not be checked"),
    }
}

async fn team_exists(db: &PgPool, team: TeamId) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM team WHERE id = $1)")
        .bind(team)
        .fetch_one(db)
        .await
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ValidChanges {
    pub status: Option<TicketStatus>,
    pub priority: Option<TicketPriority>,
    pub ticket_type: Option<String>,
    pub assignee_id: Option<Option<UserId>>,
    pub team_id: Option<Option<TeamId>>,
    pub tags: Option<Vec<String>>,
    pub add_tags: Vec<String>,
}

pub async fn validate_changes(
    db: &PgPool,
    ch: &TicketChanges,
) -> Result<ValidChanges, ServiceError> {
    let mut c = Checks::default();
    if let Some(t) = &ch.ticket_type {
        if !repo::type_exists(db, t).await? {
            c.add("ticket_type", "is not a ticket type");
        }
    }
    if let Some(Some(user)) = ch.assignee_id {
        let ok: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM app_user WHERE id = $1 AND is_active
                AND role IN ('admin', 'support_manager', 'support_agent'))",
        )
        .bind(user)
        .fetch_one(db)
        .await?;
        if !ok {
            c.add("assignee_id", "must be an active support user");
        }
    }
    if let Some(Some(team)) = ch.team_id {
        if !team_exists(db, team).await? {
            c.add("team_id", "does not exist");
        }
    }
    let tags = ch.tags.as_ref().map(|t| check_tags(&mut c, t));
    let add_tags = ch
        .add_tags
        .as_ref()
        .map(|t| check_tags(&mut c, t))
        .unwrap_or_default();
    c.finish()?;
    Ok(ValidChanges {
        status: ch.status,
        priority: ch.priority,
        ticket_type: ch.ticket_type.clone(),
        assignee_id: ch.assignee_id,
        team_id: ch.team_id,
        tags,
        add_tags,
    })
}

pub fn message_body(body: &str) -> Result<String, ServiceError> {
    let b = body.trim();
    if b.is_empty() {
        return Err(ServiceError::field("body", "is required"));
    }
    if b.chars().count() > BODY_MAX {
        return Err(ServiceError::field(
            "body",
            &format!("must be at most {BODY_MAX} characters"),
        ));
    }
    Ok(b.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(e: ServiceError) -> Vec<String> {
        match e {
            ServiceError::Validation(v) => v.into_iter().map(|f| f.field).collect(),
            other => panic!("expected validation, got {other:?}"),
        }
    }

    #[test]
    fn a_ticket_needs_a_subject_a_description_and_an_account() {
        let err = validate_new(&NewTicket::default()).unwrap_err();
        assert_eq!(fields(err), vec!["subject", "description", "account_id"]);
    }

    #[test]
    fn defaults_are_medium_priority_and_a_question() {
        let v = validate_new(&NewTicket {
            subject: " Printer jam ".into(),
            description: "It jams.".into(),
            account_id: Some(AccountId::new()),
            ..Default::default()
        })
        .expect("valid");
        assert_eq!(v.subject, "Printer jam");
        assert_eq!(v.priority, TicketPriority::Medium);
        assert_eq!(v.ticket_type, "question");
    }

    #[test]
    fn an_empty_or_huge_reply_is_refused() {
        assert!(message_body("  ").is_err());
        assert!(message_body(&"x".repeat(BODY_MAX + 1)).is_err());
        assert_eq!(message_body(" hi ").ok().as_deref(), Some("hi"));
    }
}
