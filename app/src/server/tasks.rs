//! Follow-up tasks: something a staff member must do by a date about an account, a contact or
//! a ticket. Staff create them by hand; low survey scores create one for the account owner.
//! Snoozing moves a task out of the list until a later day; the due date stays as promised.
//! Callers: server functions, REST handlers.

use crate::server::auth::{Caller, Permission};
use crate::server::error::Checks;
use crate::server::ServiceError;
use crate::types::{AccountId, FollowUpTask, NewFollowUpTask, TicketId, UserId};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

const COLUMNS: &str = "SELECT t.id, t.title, t.notes, t.due_on, t.snoozed_until, t.assignee_id, u.display_name,
        t.account_id, a.name, t.contact_id, nullif(btrim(coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, '')), ''),
        t.ticket_id, tk.number, t.done_at IS NOT NULL, t.created_at
    FROM follow_up_task t JOIN app_user u ON u.id = t.assignee_id
    LEFT JOIN account a ON a.id = t.account_id
    LEFT JOIN contact c ON c.id = t.contact_id
    LEFT JOIN ticket tk ON tk.id = t.ticket_id";

type Row = (
    Uuid,
    String,
    String,
    NaiveDate,
    Option<NaiveDate>,
    UserId,
    String,
    Option<AccountId>,
    Option<String>,
    Option<crate::types::ContactId>,
    Option<String>,
    Option<TicketId>,
    Option<i64>,
    bool,
    DateTime<Utc>,
);

fn task(r: Row, today: NaiveDate) -> FollowUpTask {
    FollowUpTask {
        id: r.0,
        title: r.1,
        notes: r.2,
        due_on: r.3,
        snoozed_until: r.4,
        assignee_id: r.5,
        assignee_name: r.6,
        account_id: r.7,
        account_name: r.8,
        contact_id: r.9,
        contact_name: r.10,
        ticket_id: r.11,
        ticket_number: r.12,
        done: r.13,
        overdue: !r.13 && r.3 < today,
        created_at: r.14,
    }
}

/// Which tasks a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskList {
    /// The caller's open tasks, snoozed ones hidden until their day, soonest due first.
    Mine,
    /// Everything on an account (open first).
    Account(AccountId),
    Ticket(TicketId),
}

pub async fn list(
    db: &PgPool,
    caller: &Caller,
    which: TaskList,
) -> Result<Vec<FollowUpTask>, ServiceError> {
    let staff = caller.staff(Permission::WorkTasks)?;
    let mut q: QueryBuilder<Postgres> = QueryBuilder::new(COLUMNS);
    match which {
        TaskList::Mine => {
            let me = staff.user_id.ok_or(ServiceError::Forbidden)?;
            q.push(" WHERE t.assignee_id = ").push_bind(me);
            q.push(" AND t.done_at IS NULL AND (t.snoozed_until IS NULL OR t.snoozed_until <= current_date)");
            q.push(" ORDER BY t.due_on, t.created_at LIMIT 200");
        }
        TaskList::Account(a) => {
            q.push(" WHERE t.account_id = ").push_bind(a);
            q.push(" ORDER BY t.done_at IS NOT NULL, t.due_on, t.created_at LIMIT 100");
        }
        TaskList::Ticket(tk) => {
            q.push(" WHERE t.ticket_id = ").push_bind(tk);
            q.push(" ORDER BY t.done_at IS NOT NULL, t.due_on, t.created_at LIMIT 100");
        }
    }
    let rows: Vec<Row> = q.build_query_as().fetch_all(db).await?;
    let today = Utc::now().date_naive();
    Ok(rows.into_iter().map(|r| task(r, today)).collect())
}

pub async fn find(db: &PgPool, caller: &Caller, id: Uuid) -> Result<FollowUpTask, ServiceError> {
    caller.staff(Permission::WorkTasks)?;
    let row: Option<Row> = sqlx::query_as(&format!("{COLUMNS} WHERE t.id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await?;
    Ok(task(
        row.ok_or(ServiceError::NotFound)?,
        Utc::now().date_naive(),
    ))
}

pub async fn create(
    db: &PgPool,
    caller: &Caller,
    input: &NewFollowUpTask,
) -> Result<FollowUpTask, ServiceError> {
    let staff = caller.staff(Permission::WorkTasks)?;
    let mut c = Checks::default();
    let title = c.required("title", &input.title, 200);
    if input.notes.chars().count() > 5000 {
        c.add("notes", "must be at most 5000 characters");
    }
    let today = Utc::now().date_naive();
    match input.due_on {
        None => c.add("due_on", "is required"),
        Some(d) if d < today => c.add("due_on", "must be today or later"),
        Some(_) => {}
    }
    if input.account_id.is_none() && input.contact_id.is_none() && input.ticket_id.is_none() {
        c.add(
            "account_id",
            "a task is about an account, a contact or a ticket",
        );
    }
    let assignee = input.assignee_id.or(staff.user_id);
    if assignee.is_none() {
        c.add("assignee_id", "is required");
    }
    c.finish()?;
    let (assignee_ok, account_ok, contact_ok, ticket_ok): (bool, bool, bool, bool) =
        sqlx::query_as(
            "SELECT EXISTS (SELECT 1 FROM app_user WHERE id = $1 AND is_active AND kind = 'staff'),
                $2::uuid IS NULL OR EXISTS (SELECT 1 FROM account WHERE id = $2),
                $3::uuid IS NULL OR EXISTS (SELECT 1 FROM contact WHERE id = $3),
                $4::uuid IS NULL OR EXISTS (SELECT 1 FROM ticket WHERE id = $4)",
        )
        .bind(assignee)
        .bind(input.account_id)
        .bind(input.contact_id)
        .bind(input.ticket_id)
        .fetch_one(db)
        .await?;
    let mut c = Checks::default();
    if !assignee_ok {
        c.add("assignee_id", "must be an active staff user");
    }
    if !account_ok {
        c.add("account_id", "does not exist");
    }
    if !contact_ok {
        c.add("contact_id", "does not exist");
    }
    if !ticket_ok {
        c.add("ticket_id", "does not exist");
    }
    c.finish()?;
    // A task on a contact or ticket also belongs to its account, so the account lists it.
    let id = Uuid::new_v4();
    sqlx::query(
        "INSERT INTO follow_up_task (id, title, notes, due_on, assignee_id, account_id, contact_id, ticket_id, created_by)
         VALUES ($1, $2, $3, $4, $5,
                 coalesce($6, (SELECT account_id FROM contact WHERE id = $7), (SELECT account_id FROM ticket WHERE id = $8)),
                 $7, $8, $9)",
    )
    .bind(id)
    .bind(&title)
    .bind(input.notes.trim())
    .bind(input.due_on)
    .bind(assignee)
    .bind(input.account_id)
    .bind(input.contact_id)
    .bind(input.ticket_id)
    .bind(staff.user_id)
    .execute(db)
    .await?;
    find(db, caller, id).await
}

/// Marks a task done. Anyone on the staff may finish a colleague's task (cover while away).
pub async fn complete(db: &PgPool, caller: &Caller, id: Uuid) -> Result<(), ServiceError> {
    caller.staff(Permission::WorkTasks)?;
    let done =
        sqlx::query("UPDATE follow_up_task SET done_at = coalesce(done_at, now()) WHERE id = $1")
            .bind(id)
            .execute(db)
            .await?;
    if done.rows_affected() == 0 {
        return Err(ServiceError::NotFound);
    }
    Ok(())
}

/// Hides an open task until `until` (after today).
pub async fn snooze(
    db: &PgPool,
    caller: &Caller,
    id: Uuid,
    until: NaiveDate,
) -> Result<(), ServiceError> {
    caller.staff(Permission::WorkTasks)?;
    if until <= Utc::now().date_naive() {
        return Err(ServiceError::field("snoozed_until", "must be after today"));
    }
    let done = sqlx::query(
        "UPDATE follow_up_task SET snoozed_until = $2 WHERE id = $1 AND done_at IS NULL",
    )
    .bind(id)
    .bind(until)
    .execute(db)
    .await?;
    if done.rows_affected() == 0 {
        return Err(ServiceError::NotFound);
    }
    Ok(())
}
