//! Pure onboarding rules: what a valid template is, when steps fall due, what blocks a step
//! and when it may be completed. No I/O.

use crate::server::error::Checks;
use crate::server::ServiceError;
use crate::types::{StepAction, StepOwnerSide, TemplateInput, TemplateStep};
use chrono::{Duration, NaiveDate};

pub const MAX_STEPS: usize = 50;
pub const MAX_CHECKLIST: usize = 20;
pub const MAX_DOCUMENTS: usize = 10;

/// A template that passed every check, trimmed.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidTemplate {
    pub name: String,
    pub description: String,
    pub is_default: bool,
    pub steps: Vec<TemplateStep>,
}

fn items(
    checks: &mut Checks,
    field: &str,
    values: &[String],
    max_items: usize,
    max_len: usize,
) -> Vec<String> {
    let kept: Vec<String> = values
        .iter()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect();
    if kept.len() > max_items {
        checks.add(field, &format!("may hold at most {max_items} items"));
    }
    if kept.iter().any(|v| v.chars().count() > max_len) {
        checks.add(
            field,
            &format!("items must be at most {max_len} characters"),
        );
    }
    let mut seen = std::collections::HashSet::new();
    if !kept.iter().all(|v| seen.insert(v.to_lowercase())) {
        checks.add(field, "has the same item twice");
    }
    kept
}

/// Checks a template. Field names point at the step: `steps[2].title`.
pub fn validate_template(input: &TemplateInput) -> Result<ValidTemplate, ServiceError> {
    let mut checks = Checks::default();
    let name = checks.required("name", &input.name, 120);
    let description = input.description.trim().to_string();
    if description.chars().count() > 2000 {
        checks.add("description", "must be at most 2000 characters");
    }
    if input.steps.is_empty() {
        checks.add("steps", "a template needs at least one step");
    }
    if input.steps.len() > MAX_STEPS {
        checks.add(
            "steps",
            &format!("a template has at most {MAX_STEPS} steps"),
        );
    }
    let mut steps = Vec::with_capacity(input.steps.len());
    for (i, s) in input.steps.iter().enumerate() {
        let position = i as i32 + 1;
        let f = |name: &str| format!("steps[{i}].{name}");
        let title = checks.required(&f("title"), &s.title, 200);
        let description = s.description.trim().to_string();
        if description.chars().count() > 2000 {
            checks.add(&f("description"), "must be at most 2000 characters");
        }
        let owner_role = match s.owner_side {
            StepOwnerSide::Client => None,
            StepOwnerSide::Staff => {
                if s.owner_role.is_none() {
                    checks.add(&f("owner_role"), "a staff step needs the role that owns it");
                }
                s.owner_role
            }
        };
        if !(0..=365).contains(&s.due_offset_days) {
            checks.add(&f("due_offset_days"), "must be between 0 and 365 days");
        }
        let mut depends_on = s.depends_on.clone();
        depends_on.sort_unstable();
        depends_on.dedup();
        if depends_on.iter().any(|d| *d < 1 || *d >= position) {
            checks.add(&f("depends_on"), "may only name earlier steps");
        }
        let checklist = items(
            &mut checks,
            &f("checklist"),
            &s.checklist,
            MAX_CHECKLIST,
            200,
        );
        let required_documents = items(
            &mut checks,
            &f("required_documents"),
            &s.required_documents,
            MAX_DOCUMENTS,
            120,
        );
        let action_subject = s.action_subject.trim().to_string();
        let action_body = s.action_body.trim().to_string();
        match s.action {
            StepAction::SendEmail => {
                if action_subject.is_empty() {
                    checks.add(&f("action_subject"), "the email needs a subject");
                }
                if action_body.is_empty() {
                    checks.add(&f("action_body"), "the email needs a body");
                }
            }
            StepAction::CreateTask if action_subject.is_empty() => {
                checks.add(&f("action_subject"), "the task needs a title");
            }
            _ => {}
        }
        if action_subject.chars().count() > 200 {
            checks.add(&f("action_subject"), "must be at most 200 characters");
        }
        if action_body.chars().count() > 20_000 {
            checks.add(&f("action_body"), "must be at most 20000 characters");
        }
        steps.push(TemplateStep {
            title,
            description,
            owner_side: s.owner_side,
            owner_role,
            due_offset_days: s.due_offset_days,
            depends_on,
            checklist,
            required_documents,
            action: s.action,
            action_subject,
            action_body,
        });
    }
    checks.finish()?;
    Ok(ValidTemplate {
        name,
        description,
        is_default: input.is_default,
        steps,
    })
}

/// The day a step falls due: the start day plus its offset.
pub fn due_on(started: NaiveDate, offset_days: i32) -> NaiveDate {
    started + Duration::days(i64::from(offset_days.max(0)))
}

/// A step's state as the rules need it.
#[derive(Debug, Clone, PartialEq)]
pub struct StepState<'a> {
    pub position: i32,
    pub title: &'a str,
    pub finished: bool,
    pub depends_on: &'a [i32],
}

/// Titles of the earlier steps a step still waits for.
pub fn blocked_by<'a>(step: &StepState<'_>, all: &[StepState<'a>]) -> Vec<&'a str> {
    all.iter()
        .filter(|o| step.depends_on.contains(&o.position) && !o.finished)
        .map(|o| o.title)
        .collect()
}

/// Why a step cannot be completed yet, in words for the person trying.
pub fn completion_blockers(
    blocked_by: &[&str],
    checklist_total: usize,
    checked: &[i32],
    missing_documents: &[String],
) -> Vec<String> {
    let mut reasons = Vec::new();
    if !blocked_by.is_empty() {
        reasons.push(format!("Waiting for: {}", blocked_by.join(", ")));
    }
    let ticked = (1..=checklist_total as i32)
        .filter(|i| checked.contains(i))
        .count();
    if ticked < checklist_total {
        reasons.push(format!(
            "{} of {checklist_total} checklist items are still open",
            checklist_total - ticked
        ));
    }
    if !missing_documents.is_empty() {
        reasons.push(format!("Upload: {}", missing_documents.join(", ")));
    }
    reasons
}

/// Fills `{{name}}` variables; unknown names stay as written so a typo shows in the preview.
pub fn fill(template: &str, vars: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                let name = after[..end].trim();
                match vars.iter().find(|(k, _)| *k == name) {
                    Some((_, v)) => out.push_str(v),
                    None => out.push_str(&rest[start..start + 2 + end + 2]),
                }
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The `{{names}}` in a template that are not among `known`.
pub fn unknown_variables(text: &str, known: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let name = after[..end].trim();
        if !known.contains(&name) {
            found.push(name.to_string());
        }
        rest = &after[end + 2..];
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Role;

    fn step(title: &str) -> TemplateStep {
        TemplateStep {
            title: title.into(),
            ..TemplateStep::blank()
        }
    }

    fn template(steps: Vec<TemplateStep>) -> TemplateInput {
        TemplateInput {
            name: "Standard".into(),
            description: String::new(),
            is_default: true,
            steps,
        }
    }

    fn fields(err: ServiceError) -> Vec<String> {
        match err {
            ServiceError::Validation(v) => v.into_iter().map(|f| f.field).collect(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn a_step_may_only_depend_on_earlier_steps() {
        let mut second = step("Second");
        second.depends_on = vec![2];
        let err = validate_template(&template(vec![step("First"), second])).unwrap_err();
        assert_eq!(fields(err), vec!["steps[1].depends_on"]);

        let mut ok = step("Second");
        ok.depends_on = vec![1, 1];
        let valid = validate_template(&template(vec![step("First"), ok])).expect("valid");
        assert_eq!(valid.steps[1].depends_on, vec![1]);
    }

    #[test]
    fn a_staff_step_needs_a_role_and_a_client_step_has_none() {
        let mut staff = step("Kick-off");
        staff.owner_role = None;
        let mut client = step("Sign");
        client.owner_side = StepOwnerSide::Client;
        client.owner_role = Some(Role::Admin);
        let err = validate_template(&template(vec![staff])).unwrap_err();
        assert_eq!(fields(err), vec!["steps[0].owner_role"]);
        let valid = validate_template(&template(vec![client])).expect("valid");
        assert_eq!(valid.steps[0].owner_role, None);
    }

    #[test]
    fn an_email_action_needs_subject_and_body_and_offsets_are_bounded() {
        let mut mail = step("Send the kit");
        mail.action = StepAction::SendEmail;
        mail.due_offset_days = 400;
        let err = validate_template(&template(vec![mail])).unwrap_err();
        assert_eq!(
            fields(err),
            vec![
                "steps[0].due_offset_days",
                "steps[0].action_subject",
                "steps[0].action_body"
            ]
        );
    }

    #[test]
    fn an_empty_template_or_blank_title_is_refused() {
        assert_eq!(
            fields(validate_template(&template(vec![])).unwrap_err()),
            vec!["steps"]
        );
        assert_eq!(
            fields(validate_template(&template(vec![step("  ")])).unwrap_err()),
            vec!["steps[0].title"]
        );
    }

    #[test]
    fn due_dates_count_days_from_the_start() {
        let start = NaiveDate::from_ymd_opt(2026, 12, 30).expect("date");
        assert_eq!(due_on(start, 0), start);
        assert_eq!(
            due_on(start, 3),
            NaiveDate::from_ymd_opt(2027, 1, 2).expect("date")
        );
    }

    #[test]
    fn a_step_waits_for_unfinished_dependencies_only() {
        let all = [
            StepState {
                position: 1,
                title: "One",
                finished: true,
                depends_on: &[],
            },
            StepState {
                position: 2,
                title: "Two",
                finished: false,
                depends_on: &[],
            },
            StepState {
                position: 3,
                title: "Three",
                finished: false,
                depends_on: &[1, 2],
            },
        ];
        assert_eq!(blocked_by(&all[2], &all), vec!["Two"]);
        assert!(blocked_by(&all[1], &all).is_empty());
    }

    #[test]
    fn completion_needs_the_checklist_and_the_documents() {
        assert!(completion_blockers(&[], 2, &[1, 2], &[]).is_empty());
        let reasons = completion_blockers(&["Kick-off"], 3, &[2], &["Signed contract".into()]);
        assert_eq!(
            reasons,
            vec![
                "Waiting for: Kick-off",
                "2 of 3 checklist items are still open",
                "Upload: Signed contract"
            ]
        );
    }

    #[test]
    fn variables_are_filled_and_unknown_ones_left_visible() {
        let out = fill(
            "Hello {{ contact_name }}, {{account_name}} {{nope}} {{",
            &[("contact_name", "Ada"), ("account_name", "Acme")],
        );
        assert_eq!(out, "Hello Ada, Acme {{nope}} {{");
    }
}
