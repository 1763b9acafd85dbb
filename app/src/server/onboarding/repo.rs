//! Onboarding SQL.

use crate::types::{
    AccountId, ContactId, DocumentInfo, OnboardingId, OnboardingStart, OnboardingStatus,
    OnboardingStepId, OnboardingSummary, Role, StepAction, StepOwnerSide, TemplateId, TemplateStep,
    TemplateSummary, UserId,
};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{FromRow, PgConnection, PgExecutor};

// ---------------------------------------------------------------- templates

pub const TEMPLATE_SUMMARY: &str = "SELECT t.id, t.name, t.description, t.is_default, t.is_archived,
    t.current_version,
    (SELECT count(*) FROM onboarding_template_step s
      WHERE s.template_id = t.id AND s.version = t.current_version) AS step_count,
    (SELECT count(*) FROM onboarding o WHERE o.template_id = t.id AND o.status = 'running') AS running
    FROM onboarding_template t";

#[derive(FromRow)]
pub struct TemplateRow {
    id: TemplateId,
    name: String,
    description: String,
    is_default: bool,
    is_archived: bool,
    current_version: i32,
    step_count: i64,
    running: i64,
}

impl From<TemplateRow> for TemplateSummary {
    fn from(r: TemplateRow) -> Self {
        TemplateSummary {
            id: r.id,
            name: r.name,
            description: r.description,
            is_default: r.is_default,
            is_archived: r.is_archived,
            current_version: r.current_version,
            step_count: r.step_count,
            running: r.running,
        }
    }
}

pub async fn templates(
    db: impl PgExecutor<'_>,
    include_archived: bool,
) -> Result<Vec<TemplateSummary>, sqlx::Error> {
    let rows: Vec<TemplateRow> = sqlx::query_as(&format!(
        "{TEMPLATE_SUMMARY} WHERE $1 OR NOT t.is_archived ORDER BY t.is_archived, lower(t.name)"
    ))
    .bind(include_archived)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(TemplateSummary::from).collect())
}

pub async fn template(
    db: impl PgExecutor<'_>,
    id: TemplateId,
) -> Result<Option<TemplateSummary>, sqlx::Error> {
    let row: Option<TemplateRow> = sqlx::query_as(&format!("{TEMPLATE_SUMMARY} WHERE t.id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await?;
    Ok(row.map(TemplateSummary::from))
}

#[derive(FromRow)]
struct TemplateStepRow {
    title: String,
    description: String,
    owner_side: String,
    owner_role: Option<String>,
    due_offset_days: i32,
    depends_on: Vec<i32>,
    checklist: Vec<String>,
    required_documents: Vec<String>,
    action: String,
    action_subject: String,
    action_body: String,
}

pub async fn template_steps(
    db: impl PgExecutor<'_>,
    id: TemplateId,
    version: i32,
) -> Result<Vec<TemplateStep>, sqlx::Error> {
    let rows: Vec<TemplateStepRow> = sqlx::query_as(
        "SELECT title, description, owner_side, owner_role, due_offset_days, depends_on, checklist,
                required_documents, action, action_subject, action_body
         FROM onboarding_template_step WHERE template_id = $1 AND version = $2 ORDER BY position",
    )
    .bind(id)
    .bind(version)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| TemplateStep {
            title: r.title,
            description: r.description,
            owner_side: StepOwnerSide::parse(&r.owner_side).unwrap_or(StepOwnerSide::Staff),
            owner_role: r.owner_role.and_then(|r| r.parse::<Role>().ok()),
            due_offset_days: r.due_offset_days,
            depends_on: r.depends_on,
            checklist: r.checklist,
            required_documents: r.required_documents,
            action: StepAction::parse(&r.action).unwrap_or(StepAction::None),
            action_subject: r.action_subject,
            action_body: r.action_body,
        })
        .collect())
}

/// Writes a version and its steps.
pub async fn insert_version(
    tx: &mut PgConnection,
    id: TemplateId,
    version: i32,
    by: Option<UserId>,
    steps: &[TemplateStep],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO onboarding_template_version (template_id, version, created_by) VALUES ($1, $2, $3)",
    )
    .bind(id)
    .bind(version)
    .bind(by)
    .execute(&mut *tx)
    .await?;
    for (i, s) in steps.iter().enumerate() {
        sqlx::query(
            "INSERT INTO onboarding_template_step (template_id, version, position, title, description,
                owner_side, owner_role, due_offset_days, depends_on, checklist, required_documents,
                action, action_subject, action_body)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(id)
        .bind(version)
        .bind(i as i32 + 1)
        .bind(&s.title)
        .bind(&s.description)
        .bind(s.owner_side.as_str())
        .bind(s.owner_role.map(Role::as_str))
        .bind(s.due_offset_days)
        .bind(&s.depends_on)
        .bind(&s.checklist)
        .bind(&s.required_documents)
        .bind(s.action.as_str())
        .bind(&s.action_subject)
        .bind(&s.action_body)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

// ---------------------------------------------------------------- onboardings

pub const SUMMARY: &str = "SELECT o.id, o.account_id, a.name AS account_name, o.template_id,
    o.template_name, o.template_version, o.status, o.owner_id, u.display_name AS owner_name,
    o.started_at, o.completed_at, o.step_count, o.steps_done, o.stage, o.next_due_on,
    (o.status = 'running' AND o.next_due_on < current_date) AS overdue
    FROM onboarding o JOIN account a ON a.id = o.account_id LEFT JOIN app_user u ON u.id = o.owner_id";

#[derive(FromRow)]
pub struct SummaryRow {
    id: OnboardingId,
    account_id: AccountId,
    account_name: String,
    template_id: TemplateId,
    template_name: String,
    template_version: i32,
    status: String,
    owner_id: Option<UserId>,
    owner_name: Option<String>,
    started_at: DateTime<Utc>,
    completed_at: Option<DateTime<Utc>>,
    step_count: i32,
    steps_done: i32,
    stage: Option<String>,
    next_due_on: Option<NaiveDate>,
    overdue: bool,
}

impl From<SummaryRow> for OnboardingSummary {
    fn from(r: SummaryRow) -> Self {
        OnboardingSummary {
            id: r.id,
            account_id: r.account_id,
            account_name: r.account_name,
            template_id: r.template_id,
            template_name: r.template_name,
            template_version: r.template_version,
            status: OnboardingStatus::parse(&r.status).unwrap_or(OnboardingStatus::Running),
            owner_id: r.owner_id,
            owner_name: r.owner_name,
            started_at: r.started_at,
            completed_at: r.completed_at,
            step_count: r.step_count,
            steps_done: r.steps_done,
            stage: r.stage,
            next_due_on: r.next_due_on,
            overdue: r.overdue,
        }
    }
}

pub async fn summary(
    db: impl PgExecutor<'_>,
    id: OnboardingId,
) -> Result<Option<OnboardingSummary>, sqlx::Error> {
    let row: Option<SummaryRow> = sqlx::query_as(&format!("{SUMMARY} WHERE o.id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await?;
    Ok(row.map(OnboardingSummary::from))
}

pub async fn for_account(
    db: impl PgExecutor<'_>,
    account: AccountId,
) -> Result<Vec<OnboardingSummary>, sqlx::Error> {
    let rows: Vec<SummaryRow> = sqlx::query_as(&format!(
        "{SUMMARY} WHERE o.account_id = $1 ORDER BY o.status <> 'running', o.started_at DESC LIMIT 20"
    ))
    .bind(account)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(OnboardingSummary::from).collect())
}

/// Who started it, and whom it welcomed.
pub async fn origin(
    db: impl PgExecutor<'_>,
    id: OnboardingId,
) -> Result<Option<(OnboardingStart, Option<ContactId>, Option<String>)>, sqlx::Error> {
    let row: Option<(String, Option<ContactId>, Option<String>)> = sqlx::query_as(
        "SELECT o.started_by, o.contact_id, c.first_name || ' ' || c.last_name
         FROM onboarding o LEFT JOIN contact c ON c.id = o.contact_id WHERE o.id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(s, c, n)| {
        (
            OnboardingStart::parse(&s).unwrap_or(OnboardingStart::ByHand),
            c,
            n,
        )
    }))
}

#[derive(FromRow, Debug, Clone)]
pub struct StepRow {
    pub id: OnboardingStepId,
    pub onboarding_id: OnboardingId,
    pub position: i32,
    pub title: String,
    pub description: String,
    pub owner_side: String,
    pub owner_role: Option<String>,
    pub depends_on: Vec<i32>,
    pub checklist: Vec<String>,
    pub checked: Vec<i32>,
    pub required_documents: Vec<String>,
    pub action: String,
    pub status: String,
    pub assignee_id: Option<UserId>,
    pub assignee_name: Option<String>,
    pub due_on: NaiveDate,
    pub completed_at: Option<DateTime<Utc>>,
    pub completed_by_name: Option<String>,
}

const STEP: &str = "SELECT s.id, s.onboarding_id, s.position, s.title, s.description, s.owner_side,
    s.owner_role, s.depends_on, s.checklist, s.checked, s.required_documents, s.action, s.status,
    s.assignee_id, u.display_name AS assignee_name, s.due_on, s.completed_at, s.completed_by_name
    FROM onboarding_step s LEFT JOIN app_user u ON u.id = s.assignee_id";

pub async fn steps(
    db: impl PgExecutor<'_>,
    onboarding: OnboardingId,
) -> Result<Vec<StepRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{STEP} WHERE s.onboarding_id = $1 ORDER BY s.position"
    ))
    .bind(onboarding)
    .fetch_all(db)
    .await
}

/// The step's onboarding, its account and whether it is running; the step row is locked.
pub async fn lock_step(
    tx: &mut PgConnection,
    step: OnboardingStepId,
) -> Result<Option<(OnboardingId, AccountId, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT o.id, o.account_id, o.status FROM onboarding_step s
         JOIN onboarding o ON o.id = s.onboarding_id WHERE s.id = $1 FOR UPDATE OF s",
    )
    .bind(step)
    .fetch_optional(&mut *tx)
    .await
}

pub async fn step_documents(
    db: impl PgExecutor<'_>,
    steps: &[OnboardingStepId],
) -> Result<Vec<(OnboardingStepId, DocumentInfo)>, sqlx::Error> {
    type Row = (
        OnboardingStepId,
        crate::types::DocumentId,
        String,
        String,
        String,
        i32,
        String,
        String,
        Option<String>,
        DateTime<Utc>,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT onboarding_step_id, id, title, file_name, content_type, size_bytes, shared_by,
                uploaded_by_name, requirement, created_at
         FROM account_document WHERE onboarding_step_id = ANY($1) ORDER BY created_at",
    )
    .bind(steps.iter().map(|s| s.0).collect::<Vec<_>>())
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(
                step,
                id,
                title,
                file_name,
                content_type,
                size_bytes,
                shared_by,
                by,
                requirement,
                at,
            )| {
                (
                    step,
                    DocumentInfo {
                        id,
                        title,
                        file_name,
                        content_type,
                        size_bytes,
                        shared_by,
                        uploaded_by_name: by,
                        requirement,
                        created_at: at,
                    },
                )
            },
        )
        .collect())
}

/// Recomputes the onboarding's counters from its steps, and completes it when every step
/// is done or skipped.
pub async fn refresh(tx: &mut PgConnection, id: OnboardingId) -> Result<bool, sqlx::Error> {
    let completed: Option<bool> = sqlx::query_scalar(
        "UPDATE onboarding o SET step_count = c.total, steps_done = c.done, stage = c.stage,
             stage_position = c.stage_position, next_due_on = c.next_due,
             status = CASE WHEN o.status = 'running' AND c.total = c.done THEN 'completed' ELSE o.status END,
             completed_at = CASE WHEN o.status = 'running' AND c.total = c.done THEN now() ELSE o.completed_at END
         FROM (SELECT count(*)::int AS total, count(*) FILTER (WHERE status <> 'open')::int AS done,
                      (array_agg(title ORDER BY position) FILTER (WHERE status = 'open'))[1] AS stage,
                      min(position) FILTER (WHERE status = 'open') AS stage_position,
                      min(due_on) FILTER (WHERE status = 'open') AS next_due
               FROM onboarding_step WHERE onboarding_id = $1) c
         WHERE o.id = $1
         RETURNING o.status = 'completed'",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    Ok(completed.unwrap_or(false))
}

/// An open step whose automatic action has not run and whose dependencies are finished.
#[derive(FromRow)]
pub struct DueAction {
    pub id: OnboardingStepId,
    pub title: String,
    pub action: String,
    pub action_subject: String,
    pub action_body: String,
    pub assignee_id: Option<UserId>,
}

pub async fn due_actions(
    tx: &mut PgConnection,
    onboarding: OnboardingId,
) -> Result<Vec<DueAction>, sqlx::Error> {
    sqlx::query_as(
        "SELECT s.id, s.title, s.action, s.action_subject, s.action_body, s.assignee_id
         FROM onboarding_step s
         WHERE s.onboarding_id = $1 AND s.status = 'open' AND s.action <> 'none'
           AND s.action_done_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM onboarding_step d WHERE d.onboarding_id = s.onboarding_id
                           AND d.position = ANY (s.depends_on) AND d.status = 'open')
         ORDER BY s.position FOR UPDATE OF s",
    )
    .bind(onboarding)
    .fetch_all(&mut *tx)
    .await
}

pub async fn mark_action_done(
    tx: &mut PgConnection,
    step: OnboardingStepId,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE onboarding_step SET action_done_at = now() WHERE id = $1")
        .bind(step)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// What the welcome email and step emails talk about.
#[derive(FromRow, Debug, Clone)]
pub struct Party {
    pub account_id: AccountId,
    pub account_name: String,
    pub owner_id: Option<UserId>,
    pub owner_name: Option<String>,
    pub contact_id: Option<ContactId>,
    pub contact_first_name: Option<String>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
}

pub async fn party(tx: &mut PgConnection, onboarding: OnboardingId) -> Result<Party, sqlx::Error> {
    sqlx::query_as(
        "SELECT a.id AS account_id, a.name AS account_name, o.owner_id, u.display_name AS owner_name,
                c.id AS contact_id, c.first_name AS contact_first_name,
                c.first_name || ' ' || c.last_name AS contact_name,
                (SELECT email FROM contact_email e WHERE e.contact_id = c.id ORDER BY position LIMIT 1)
                    AS contact_email
         FROM onboarding o JOIN account a ON a.id = o.account_id
         LEFT JOIN app_user u ON u.id = o.owner_id
         LEFT JOIN contact c ON c.id = o.contact_id
         WHERE o.id = $1",
    )
    .bind(onboarding)
    .fetch_one(&mut *tx)
    .await
}
