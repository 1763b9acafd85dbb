//! Onboarding verbs: start, read, work the steps, the staff board.

use super::{repo, rules, welcome};
use crate::server::auth::{Caller, Permission};
use crate::server::{email, AppState, ServiceError, Settings};
use crate::types::{
    AccountId, BoardColumn, BoardFilter, ChecklistItem, Choice, OnboardingBoard, OnboardingId,
    OnboardingStart, OnboardingStatus, OnboardingStepId, OnboardingStepView, OnboardingSummary,
    OnboardingView, RequiredDocument, Role, StepAction, StepOwnerSide, StepStatus, TemplateId,
    UserId,
};
use chrono::Utc;
use sqlx::{PgConnection, PgPool};

/// Cards shown per board column; the column's total says how many more there are.
pub const CARDS_PER_COLUMN: i64 = 30;

/// Starts an onboarding inside the caller's transaction (the account change, or a start by
/// hand). `Ok(None)` when the account already runs one, or (automatic start only) when no
/// default template exists.
pub async fn start_in(
    tx: &mut PgConnection,
    settings: &Settings,
    account: AccountId,
    template: Option<TemplateId>,
    how: OnboardingStart,
    by: Option<UserId>,
) -> Result<Option<OnboardingId>, ServiceError> {
    let chosen: Option<(TemplateId, i32, String, bool)> = match template {
        Some(id) => sqlx::query_as(
            "SELECT id, current_version, name, is_archived FROM onboarding_template WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?,
        None => {
            sqlx::query_as(
                "SELECT id, current_version, name, is_archived FROM onboarding_template
             WHERE is_default AND NOT is_archived",
            )
            .fetch_optional(&mut *tx)
            .await?
        }
    };
    let (template_id, version, name) = match chosen {
        Some((_, _, _, true)) => {
            return Err(ServiceError::field(
                "template_id",
                "is archived: choose another template",
            ))
        }
        Some((id, version, name, false)) => (id, version, name),
        None if template.is_some() => {
            return Err(ServiceError::field("template_id", "does not exist"))
        }
        None if how == OnboardingStart::BecameCustomer => {
            tracing::warn!(%account, "no default onboarding template: nothing started");
            return Ok(None);
        }
        None => {
            return Err(ServiceError::field(
                "template_id",
                "choose a template (there is no default one)",
            ))
        }
    };
    let id = OnboardingId::new();
    // The welcomed contact: one who already uses the portal, else the first with an address.
    let inserted: Option<OnboardingId> = sqlx::query_scalar(
        "INSERT INTO onboarding (id, account_id, template_id, template_version, template_name,
             started_by, started_by_user, owner_id, contact_id)
         SELECT $1, a.id, $3, $4, $5, $6, $7, a.owner_id,
             (SELECT c.id FROM contact c
               WHERE c.account_id = a.id AND c.status = 'active'
                 AND EXISTS (SELECT 1 FROM contact_email e WHERE e.contact_id = c.id)
               ORDER BY EXISTS (SELECT 1 FROM app_user u WHERE u.contact_id = c.id AND u.is_active) DESC,
                        c.created_at, c.id
               LIMIT 1)
         FROM account a WHERE a.id = $2
         ON CONFLICT (account_id) WHERE status = 'running' DO NOTHING
         RETURNING id",
    )
    .bind(id)
    .bind(account)
    .bind(template_id)
    .bind(version)
    .bind(&name)
    .bind(how.as_str())
    .bind(by)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(id) = inserted else {
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM account WHERE id = $1)")
                .bind(account)
                .fetch_one(&mut *tx)
                .await?;
        return if exists {
            Ok(None)
        } else {
            Err(ServiceError::NotFound)
        };
    };
    // Staff steps go to the account owner when they hold the step's role, else to the
    // active colleague with that role who has the fewest open steps; client steps to the
    // welcomed contact's portal user (set once the welcome email created it).
    sqlx::query(
        "INSERT INTO onboarding_step (id, onboarding_id, position, title, description, owner_side,
             owner_role, depends_on, checklist, required_documents, action, action_subject,
             action_body, due_on, assignee_id)
         SELECT steward_uuid_v7(), o.id, s.position, s.title, s.description, s.owner_side,
             s.owner_role, s.depends_on, s.checklist, s.required_documents, s.action,
             s.action_subject, s.action_body, current_date + s.due_offset_days,
             CASE WHEN s.owner_side = 'client' THEN NULL
                  WHEN owner.role = s.owner_role AND owner.is_active THEN owner.id
                  ELSE (SELECT u.id FROM app_user u
                         WHERE u.kind = 'staff' AND u.is_active AND u.role = s.owner_role
                         ORDER BY (SELECT count(*) FROM onboarding_step x
                                    WHERE x.assignee_id = u.id AND x.status = 'open'), u.created_at
                         LIMIT 1)
             END
         FROM onboarding o
         JOIN onboarding_template_step s ON s.template_id = o.template_id AND s.version = o.template_version
         LEFT JOIN app_user owner ON owner.id = o.owner_id
         WHERE o.id = $1",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?;
    welcome::send(tx, settings, id).await?;
    sqlx::query(
        "UPDATE onboarding_step s SET assignee_id = u.id
         FROM onboarding o JOIN app_user u ON u.contact_id = o.contact_id
         WHERE s.onboarding_id = o.id AND o.id = $1 AND s.owner_side = 'client'",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?;
    repo::refresh(tx, id).await?;
    run_actions(tx, settings, id).await?;
    let party = repo::party(tx, id).await?;
    if let Some(owner) = party.owner_id {
        if Some(owner) != by {
            crate::server::tickets::repo::notify_user(
                tx,
                owner,
                &format!("Onboarding started for {}", party.account_name),
                &format!("/console/onboarding/{id}"),
            )
            .await?;
        }
    }
    tracing::info!(onboarding_id = %id, %account, how = how.as_str(), "onboarding started");
    Ok(Some(id))
}

/// Starts an onboarding by hand (console) or through the API.
pub async fn start(
    state: &AppState,
    caller: &Caller,
    account: AccountId,
    template: Option<TemplateId>,
    how: OnboardingStart,
) -> Result<OnboardingView, ServiceError> {
    caller.staff(Permission::WorkOnboarding)?;
    let mut tx = state.db.begin().await?;
    let id = start_in(
        &mut tx,
        &state.settings,
        account,
        template,
        how,
        caller.user_id(),
    )
    .await?
    .ok_or_else(|| {
        ServiceError::Conflict("This account already has a running onboarding.".into())
    })?;
    tx.commit().await?;
    view(&state.db, caller, id).await
}

/// Open steps whose dependencies are finished run their automatic action, once.
async fn run_actions(
    tx: &mut PgConnection,
    settings: &Settings,
    onboarding: OnboardingId,
) -> Result<(), ServiceError> {
    let due = repo::due_actions(tx, onboarding).await?;
    if due.is_empty() {
        return Ok(());
    }
    let party = repo::party(tx, onboarding).await?;
    let company = welcome::company(settings);
    let manager = party
        .owner_name
        .clone()
        .unwrap_or_else(|| format!("the {company} team"));
    let name = party.contact_name.clone().unwrap_or_default();
    let portal = format!("{}/portal", settings.public_url);
    let vars = [
        ("contact_name", name.as_str()),
        (
            "contact_first_name",
            party.contact_first_name.as_deref().unwrap_or(""),
        ),
        ("account_name", party.account_name.as_str()),
        ("account_manager", manager.as_str()),
        ("portal_link", portal.as_str()),
        ("company", company.as_str()),
    ];
    for step in due {
        match StepAction::parse(&step.action) {
            Some(StepAction::SendEmail) => {
                if let Some(to) = party.contact_email.as_deref() {
                    let text = rules::fill(&step.action_body, &vars);
                    let html = crate::server::knowledge::rules::render(&text).html;
                    email::enqueue_mail(
                        &mut *tx,
                        &email::Mail {
                            to,
                            subject: &rules::fill(&step.action_subject, &vars),
                            body_text: &text,
                            body_html: Some(&html),
                            account_id: Some(party.account_id),
                            kind: "onboarding",
                            ..Default::default()
                        },
                    )
                    .await?;
                }
            }
            Some(StepAction::ScheduleTraining) => {
                if let Some(to) = party.contact_email.as_deref() {
                    let link = format!("{}/portal/training", settings.public_url);
                    email::enqueue_mail(
                        &mut *tx,
                        &email::Mail {
                            to,
                            subject: "Book your first training call",
                            body_text: &format!(
                                "Hello {name},\n\nPlease choose a time for your first training call \
                                 with {manager}:\n\n{link}\n\nTimes are shown in your time zone.\n"
                            ),
                            account_id: Some(party.account_id),
                            kind: "training_invitation",
                            ..Default::default()
                        },
                    )
                    .await?;
                }
            }
            Some(StepAction::CreateTask) => {
                if let Some(user) = step.assignee_id.or(party.owner_id) {
                    crate::server::tickets::repo::notify_user(
                        tx,
                        user,
                        &format!(
                            "Task: {} ({})",
                            rules::fill(&step.action_subject, &vars),
                            party.account_name
                        ),
                        &format!("/console/onboarding/{onboarding}"),
                    )
                    .await?;
                }
            }
            _ => {}
        }
        tracing::info!(step_id = %step.id, step = %step.title, action = %step.action, "onboarding step action ran");
        repo::mark_action_done(tx, step.id).await?;
    }
    Ok(())
}

/// Whether the caller may see the onboardings of an account: staff, or the account's clients.
fn may_read(caller: &Caller, account: AccountId) -> Result<(), ServiceError> {
    match caller {
        Caller::Client(c) if c.account_id == account => Ok(()),
        Caller::Client(_) => Err(ServiceError::NotFound),
        Caller::System => Ok(()),
        _ => caller.staff(Permission::ReadAccounts).map(|_| ()),
    }
}

fn step_view(
    caller: &Caller,
    running: bool,
    row: &repo::StepRow,
    all: &[repo::StepRow],
    docs: &[(OnboardingStepId, crate::types::DocumentInfo)],
) -> OnboardingStepView {
    let states: Vec<rules::StepState> = all
        .iter()
        .map(|s| rules::StepState {
            position: s.position,
            title: &s.title,
            finished: s.status != "open",
            depends_on: &s.depends_on,
        })
        .collect();
    let me = rules::StepState {
        position: row.position,
        title: &row.title,
        finished: row.status != "open",
        depends_on: &row.depends_on,
    };
    let blocked_by: Vec<String> = rules::blocked_by(&me, &states)
        .into_iter()
        .map(String::from)
        .collect();
    let status = StepStatus::parse(&row.status).unwrap_or(StepStatus::Open);
    let owner_side = StepOwnerSide::parse(&row.owner_side).unwrap_or(StepOwnerSide::Staff);
    let side_allowed = match caller {
        Caller::Client(_) => owner_side == StepOwnerSide::Client,
        _ => caller.can(Permission::WorkOnboarding),
    };
    let required_documents = row
        .required_documents
        .iter()
        .map(|label| RequiredDocument {
            label: label.clone(),
            document: docs
                .iter()
                .rev()
                .find(|(s, d)| *s == row.id && d.requirement.as_deref() == Some(label))
                .map(|(_, d)| d.clone()),
        })
        .collect();
    OnboardingStepView {
        id: row.id,
        position: row.position,
        title: row.title.clone(),
        description: row.description.clone(),
        owner_side,
        owner_role: row
            .owner_role
            .as_deref()
            .and_then(|r| r.parse::<Role>().ok()),
        status,
        overdue: status == StepStatus::Open && running && row.due_on < Utc::now().date_naive(),
        can_work: running && status == StepStatus::Open && blocked_by.is_empty() && side_allowed,
        blocked_by,
        assignee_id: row.assignee_id,
        assignee_name: row.assignee_name.clone(),
        due_on: row.due_on,
        completed_at: row.completed_at,
        completed_by_name: row.completed_by_name.clone(),
        checklist: row
            .checklist
            .iter()
            .enumerate()
            .map(|(i, label)| ChecklistItem {
                label: label.clone(),
                done: row.checked.contains(&(i as i32 + 1)),
            })
            .collect(),
        required_documents,
        action: StepAction::parse(&row.action).unwrap_or(StepAction::None),
    }
}

async fn build_view(
    db: &PgPool,
    caller: &Caller,
    summary: OnboardingSummary,
) -> Result<OnboardingView, ServiceError> {
    let rows = repo::steps(db, summary.id).await?;
    let ids: Vec<OnboardingStepId> = rows.iter().map(|r| r.id).collect();
    let docs = repo::step_documents(db, &ids).await?;
    let running = summary.status == OnboardingStatus::Running;
    let steps = rows
        .iter()
        .map(|r| step_view(caller, running, r, &rows, &docs))
        .collect();
    let (started_by, contact_id, contact_name) = repo::origin(db, summary.id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    Ok(OnboardingView {
        summary,
        started_by,
        contact_id,
        contact_name,
        steps,
        can_manage: running && caller.can(Permission::WorkOnboarding),
    })
}

/// One onboarding with its steps, for staff or the account's own clients.
pub async fn view(
    db: &PgPool,
    caller: &Caller,
    id: OnboardingId,
) -> Result<OnboardingView, ServiceError> {
    caller.require_signed_in()?;
    let summary = repo::summary(db, id).await?.ok_or(ServiceError::NotFound)?;
    may_read(caller, summary.account_id)?;
    build_view(db, caller, summary).await
}

/// The account's onboardings, newest first; the running one (if any) comes first.
pub async fn for_account(
    db: &PgPool,
    caller: &Caller,
    account: AccountId,
) -> Result<(Option<OnboardingView>, Vec<OnboardingSummary>), ServiceError> {
    caller.require_signed_in()?;
    may_read(caller, account)?;
    let mut all = repo::for_account(db, account).await?;
    let current = match all.first() {
        Some(o) if o.status == OnboardingStatus::Running => {
            Some(build_view(db, caller, all.remove(0)).await?)
        }
        _ => None,
    };
    Ok((current, all))
}

/// The staff board: running onboardings in columns by their current step.
pub async fn board(
    db: &PgPool,
    caller: &Caller,
    filter: &BoardFilter,
) -> Result<OnboardingBoard, ServiceError> {
    caller.staff(Permission::ReadAccounts)?;
    let filtered = "o.status = 'running' AND ($1::uuid IS NULL OR o.owner_id = $1)
        AND ($2::uuid IS NULL OR o.template_id = $2) AND (NOT $3 OR o.next_due_on < current_date)";
    let counts: Vec<(Option<String>, Option<i32>, i64)> = sqlx::query_as(&format!(
        "SELECT o.stage, min(o.stage_position), count(*) FROM onboarding o WHERE {filtered}
         GROUP BY o.stage ORDER BY min(o.stage_position) NULLS LAST, o.stage"
    ))
    .bind(filter.owner)
    .bind(filter.template)
    .bind(filter.overdue_only)
    .fetch_all(db)
    .await?;
    // Each column's first cards from the board index (a few rows per stage), then their
    // accounts: the work does not grow with the number of running onboardings.
    let stages: Vec<String> = counts.iter().filter_map(|(s, _, _)| s.clone()).collect();
    let cards: Vec<repo::SummaryRow> = sqlx::query_as(&format!(
        "SELECT o.id, o.account_id, a.name AS account_name, o.template_id, o.template_name,
                o.template_version, o.status, o.owner_id, u.display_name AS owner_name,
                o.started_at, o.completed_at, o.step_count, o.steps_done, o.stage, o.next_due_on,
                (o.next_due_on < current_date) AS overdue
         FROM unnest($4::text[]) st(stage)
         CROSS JOIN LATERAL (
             SELECT o.* FROM onboarding o WHERE {filtered} AND o.stage = st.stage
             ORDER BY o.next_due_on NULLS LAST, o.started_at LIMIT $5) o
         JOIN account a ON a.id = o.account_id
         LEFT JOIN app_user u ON u.id = o.owner_id"
    ))
    .bind(filter.owner)
    .bind(filter.template)
    .bind(filter.overdue_only)
    .bind(&stages)
    .bind(CARDS_PER_COLUMN)
    .fetch_all(db)
    .await?;
    let mut cards: Vec<OnboardingSummary> = cards.into_iter().map(Into::into).collect();
    let columns = counts
        .into_iter()
        .map(|(stage, _, total)| {
            let (mine, rest): (Vec<_>, Vec<_>) = cards
                .drain(..)
                .partition(|c: &OnboardingSummary| c.stage == stage);
            cards = rest;
            BoardColumn {
                stage: stage.unwrap_or_else(|| "Finishing".into()),
                cards: mine,
                total,
            }
        })
        .collect::<Vec<_>>();
    let (running, overdue): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE next_due_on < current_date)
         FROM onboarding WHERE status = 'running'",
    )
    .fetch_one(db)
    .await?;
    let templates = repo::templates(db, false)
        .await?
        .into_iter()
        .map(|t| Choice {
            id: t.id.to_string(),
            label: t.name,
        })
        .collect();
    let owners: Vec<(uuid::Uuid, String)> = sqlx::query_as(
        "SELECT id, display_name FROM app_user WHERE kind = 'staff' AND is_active
         ORDER BY lower(display_name) LIMIT 500",
    )
    .fetch_all(db)
    .await?;
    Ok(OnboardingBoard {
        columns,
        running,
        overdue,
        templates,
        owners: owners
            .into_iter()
            .map(|(id, label)| Choice {
                id: id.to_string(),
                label,
            })
            .collect(),
        can_start: caller.can(Permission::WorkOnboarding),
    })
}

/// Locks a step for a change by the caller: it must be theirs to work (its side, their
/// account, the onboarding running, its dependencies finished).
async fn workable_step(
    tx: &mut PgConnection,
    caller: &Caller,
    step: OnboardingStepId,
) -> Result<(OnboardingId, repo::StepRow, Vec<repo::StepRow>), ServiceError> {
    caller.require_signed_in()?;
    let (onboarding, account, status) = repo::lock_step(tx, step)
        .await?
        .ok_or(ServiceError::NotFound)?;
    may_read(caller, account)?;
    let all = repo::steps(&mut *tx, onboarding).await?;
    let row = all
        .iter()
        .find(|s| s.id == step)
        .cloned()
        .ok_or(ServiceError::NotFound)?;
    let view = step_view(caller, status == "running", &row, &all, &[]);
    if !view.can_work {
        if matches!(caller, Caller::Client(_)) && view.owner_side == StepOwnerSide::Staff {
            return Err(ServiceError::Forbidden);
        }
        if !caller.can(Permission::WorkOnboarding) && !matches!(caller, Caller::Client(_)) {
            return Err(ServiceError::Forbidden);
        }
        let why = if status != "running" {
            "This onboarding is no longer running.".to_string()
        } else if view.status != StepStatus::Open {
            "This step is already finished.".to_string()
        } else {
            format!("Waiting for: {}", view.blocked_by.join(", "))
        };
        return Err(ServiceError::Conflict(why));
    }
    Ok((onboarding, row, all))
}

/// Ticks or unticks a checklist item (`item` counts from 1).
pub async fn tick(
    db: &PgPool,
    caller: &Caller,
    step: OnboardingStepId,
    item: i32,
    done: bool,
) -> Result<OnboardingView, ServiceError> {
    let mut tx = db.begin().await?;
    let (onboarding, row, _) = workable_step(&mut tx, caller, step).await?;
    if item < 1 || item as usize > row.checklist.len() {
        return Err(ServiceError::field(
            "item",
            "is not on this step's checklist",
        ));
    }
    sqlx::query(
        "UPDATE onboarding_step SET checked = CASE WHEN $3
             THEN (SELECT array_agg(DISTINCT x ORDER BY x) FROM unnest(array_append(checked, $2)) x)
             ELSE array_remove(checked, $2) END
         WHERE id = $1",
    )
    .bind(step)
    .bind(item)
    .bind(done)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    view(db, caller, onboarding).await
}

/// Completes a step once its checklist is ticked and its documents are uploaded; the steps
/// it unblocks run their automatic actions; the last step completes the onboarding.
pub async fn complete_step(
    state: &AppState,
    caller: &Caller,
    step: OnboardingStepId,
) -> Result<OnboardingView, ServiceError> {
    let mut tx = state.db.begin().await?;
    let (onboarding, row, _) = workable_step(&mut tx, caller, step).await?;
    let docs = repo::step_documents(&mut *tx, &[step]).await?;
    let missing: Vec<String> = row
        .required_documents
        .iter()
        .filter(|label| {
            !docs
                .iter()
                .any(|(_, d)| d.requirement.as_deref() == Some(label))
        })
        .cloned()
        .collect();
    let reasons = rules::completion_blockers(&[], row.checklist.len(), &row.checked, &missing);
    if !reasons.is_empty() {
        return Err(ServiceError::field("step", &reasons.join(". ")));
    }
    finish_step(&mut tx, &state.settings, caller, onboarding, step, "done").await?;
    tx.commit().await?;
    view(&state.db, caller, onboarding).await
}

/// Marks a step finished (done or skipped), refreshes the onboarding and runs what opened.
pub(crate) async fn finish_step(
    tx: &mut PgConnection,
    settings: &Settings,
    caller: &Caller,
    onboarding: OnboardingId,
    step: OnboardingStepId,
    status: &str,
) -> Result<(), ServiceError> {
    let by_name: Option<String> = match caller.user_id() {
        Some(u) => {
            sqlx::query_scalar("SELECT display_name FROM app_user WHERE id = $1")
                .bind(u)
                .fetch_optional(&mut *tx)
                .await?
        }
        None => Some("Steward".into()),
    };
    sqlx::query(
        "UPDATE onboarding_step SET status = $2, completed_at = now(), completed_by = $3,
             completed_by_name = $4 WHERE id = $1",
    )
    .bind(step)
    .bind(status)
    .bind(caller.user_id())
    .bind(by_name.as_deref())
    .execute(&mut *tx)
    .await?;
    let completed = repo::refresh(tx, onboarding).await?;
    run_actions(tx, settings, onboarding).await?;
    if let Caller::Client(_) = caller {
        let party = repo::party(tx, onboarding).await?;
        if let Some(owner) = party.owner_id {
            let title = if completed {
                format!("{} finished their onboarding", party.account_name)
            } else {
                format!("{} completed an onboarding step", party.account_name)
            };
            crate::server::tickets::repo::notify_user(
                tx,
                owner,
                &title,
                &format!("/console/onboarding/{onboarding}"),
            )
            .await?;
        }
    }
    Ok(())
}

/// Staff skip a step that does not apply to this client.
pub async fn skip_step(
    state: &AppState,
    caller: &Caller,
    step: OnboardingStepId,
) -> Result<OnboardingView, ServiceError> {
    caller.staff(Permission::WorkOnboarding)?;
    let mut tx = state.db.begin().await?;
    let (onboarding, _, _) = workable_step(&mut tx, caller, step).await?;
    finish_step(
        &mut tx,
        &state.settings,
        caller,
        onboarding,
        step,
        "skipped",
    )
    .await?;
    tx.commit().await?;
    view(&state.db, caller, onboarding).await
}

/// Staff give a step to someone else (staff steps to staff users).
pub async fn assign_step(
    db: &PgPool,
    caller: &Caller,
    step: OnboardingStepId,
    assignee: Option<UserId>,
) -> Result<OnboardingView, ServiceError> {
    caller.staff(Permission::WorkOnboarding)?;
    let mut tx = db.begin().await?;
    let (onboarding, _, status) = repo::lock_step(&mut tx, step)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if status != "running" {
        return Err(ServiceError::Conflict(
            "This onboarding is no longer running.".into(),
        ));
    }
    if let Some(user) = assignee {
        let staff: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM app_user WHERE id = $1 AND kind = 'staff' AND is_active)",
        )
        .bind(user)
        .fetch_one(&mut *tx)
        .await?;
        if !staff {
            return Err(ServiceError::field(
                "assignee_id",
                "must be an active staff user",
            ));
        }
    }
    sqlx::query(
        "UPDATE onboarding_step SET assignee_id = $2 WHERE id = $1 AND owner_side = 'staff'",
    )
    .bind(step)
    .bind(assignee)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    view(db, caller, onboarding).await
}

pub async fn cancel(
    db: &PgPool,
    caller: &Caller,
    id: OnboardingId,
) -> Result<OnboardingView, ServiceError> {
    caller.staff(Permission::WorkOnboarding)?;
    let done = sqlx::query(
        "UPDATE onboarding SET status = 'cancelled', completed_at = now()
         WHERE id = $1 AND status = 'running'",
    )
    .bind(id)
    .execute(db)
    .await?;
    if done.rows_affected() == 0 {
        repo::summary(db, id).await?.ok_or(ServiceError::NotFound)?;
        return Err(ServiceError::Conflict(
            "This onboarding is no longer running.".into(),
        ));
    }
    tracing::info!(onboarding_id = %id, "onboarding cancelled");
    view(db, caller, id).await
}

/// Completes the account's open "schedule training" steps once a training call is booked.
pub(crate) async fn training_booked(
    tx: &mut PgConnection,
    settings: &Settings,
    caller: &Caller,
    account: AccountId,
) -> Result<Option<OnboardingId>, ServiceError> {
    let steps: Vec<(OnboardingId, OnboardingStepId)> = sqlx::query_as(
        "SELECT o.id, s.id FROM onboarding o JOIN onboarding_step s ON s.onboarding_id = o.id
         WHERE o.account_id = $1 AND o.status = 'running' AND s.status = 'open'
           AND s.action = 'schedule_training'
         ORDER BY s.position FOR UPDATE OF s",
    )
    .bind(account)
    .fetch_all(&mut *tx)
    .await?;
    let mut onboarding = None;
    for (o, step) in steps {
        finish_step(tx, settings, caller, o, step, "done").await?;
        onboarding = Some(o);
    }
    Ok(onboarding)
}

/// For a step upload: the step must be the caller's to work; returns its account and the
/// documents it asks for.
pub(crate) async fn workable_for_upload(
    tx: &mut PgConnection,
    caller: &Caller,
    step: OnboardingStepId,
) -> Result<(AccountId, Vec<String>), ServiceError> {
    let (onboarding, row, _) = workable_step(tx, caller, step).await?;
    let account: AccountId = sqlx::query_scalar("SELECT account_id FROM onboarding WHERE id = $1")
        .bind(onboarding)
        .fetch_one(&mut *tx)
        .await?;
    Ok((account, row.required_documents))
}

/// The portal home: the account's onboarding and the client's next steps, open tickets,
/// shared documents, the training call.
pub async fn portal_overview(
    db: &PgPool,
    caller: &Caller,
) -> Result<crate::types::PortalOverview, ServiceError> {
    let client = caller.client()?.clone();
    let (current, _) = for_account(db, caller, client.account_id).await?;
    let (onboarding, next_steps) = match current {
        Some(view) => {
            let mut mine: Vec<OnboardingStepView> = view
                .steps
                .into_iter()
                .filter(|s| s.owner_side == StepOwnerSide::Client && s.status == StepStatus::Open)
                .collect();
            mine.sort_by_key(|s| (!s.can_work, s.due_on, s.position));
            mine.truncate(3);
            (Some(view.summary), mine)
        }
        None => (None, vec![]),
    };
    let open_tickets: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM ticket WHERE account_id = $1 AND status NOT IN ('resolved', 'closed')",
    )
    .bind(client.account_id)
    .fetch_one(db)
    .await?;
    let mut documents = crate::server::documents::list(db, caller, client.account_id).await?;
    documents.retain(|d| d.shared_by == "staff");
    documents.truncate(5);
    Ok(crate::types::PortalOverview {
        onboarding,
        next_steps,
        open_tickets,
        documents,
        training: crate::server::training::account_booking(db, caller, client.account_id).await?,
        is_client_admin: crate::server::users::is_client_admin(db, caller).await?,
        pending_surveys: crate::server::surveys::pending_count(db, caller).await?,
    })
}

/// The onboarding section of the account's 360° page.
pub async fn account_section(
    db: &PgPool,
    caller: &Caller,
    account: AccountId,
) -> Result<crate::types::AccountOnboarding, ServiceError> {
    caller.staff(Permission::ReadAccounts)?;
    let (current, past) = for_account(db, caller, account).await?;
    let documents = crate::server::documents::list(db, caller, account).await?;
    let mail = crate::server::email::for_account(db, account).await?;
    let templates = repo::templates(db, false)
        .await?
        .into_iter()
        .map(|t| Choice {
            id: t.id.to_string(),
            label: if t.is_default {
                format!("{} (default)", t.name)
            } else {
                t.name
            },
        })
        .collect();
    Ok(crate::types::AccountOnboarding {
        current,
        past,
        documents,
        mail,
        training: crate::server::training::account_booking(db, caller, account).await?,
        templates,
        can_start: caller.can(Permission::WorkOnboarding),
        can_share: caller.can(Permission::ShareDocuments),
    })
}

/// Sends the welcome email again (an invitation expired, or the account had no contact with
/// an address when the onboarding started: the first such contact is welcomed now).
pub async fn resend_welcome(
    state: &AppState,
    caller: &Caller,
    id: OnboardingId,
) -> Result<OnboardingView, ServiceError> {
    caller.staff(Permission::WorkOnboarding)?;
    let mut tx = state.db.begin().await?;
    let status: Option<String> =
        sqlx::query_scalar("SELECT status FROM onboarding WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    match status.as_deref() {
        None => return Err(ServiceError::NotFound),
        Some("running") => {}
        Some(_) => {
            return Err(ServiceError::Conflict(
                "This onboarding is no longer running.".into(),
            ))
        }
    }
    sqlx::query(
        "UPDATE onboarding o SET contact_id = (
             SELECT c.id FROM contact c
             WHERE c.account_id = o.account_id AND c.status = 'active'
               AND EXISTS (SELECT 1 FROM contact_email e WHERE e.contact_id = c.id)
             ORDER BY EXISTS (SELECT 1 FROM app_user u WHERE u.contact_id = c.id AND u.is_active) DESC,
                      c.created_at, c.id
             LIMIT 1)
         WHERE o.id = $1 AND (o.contact_id IS NULL OR NOT EXISTS (
             SELECT 1 FROM contact_email e WHERE e.contact_id = o.contact_id))",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if !welcome::send(&mut tx, &state.settings, id).await? {
        return Err(ServiceError::Conflict(
            "The account has no active contact with an email address. Add one first.".into(),
        ));
    }
    sqlx::query(
        "UPDATE onboarding_step s SET assignee_id = u.id
         FROM onboarding o JOIN app_user u ON u.contact_id = o.contact_id
         WHERE s.onboarding_id = o.id AND o.id = $1 AND s.owner_side = 'client'
           AND s.assignee_id IS NULL",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    tracing::info!(onboarding_id = %id, "welcome email sent again");
    view(&state.db, caller, id).await
}
