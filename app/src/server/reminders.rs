//! Reminder rules: the worker looks for what is due and tells whoever must act, through the
//! one notification system (in the app, and by mail as each person prefers). Each reminder
//! carries an idempotency key naming its cause, so however many workers run the rules and
//! however often, a due item is announced once.
//!
//! Rules: onboarding steps due today or overdue (to the step's assignee, staff or client),
//! tickets at risk of or past their SLA (to the assignee, else the support managers), follow-up
//! tasks due (to their assignee, after any snooze), surveys waiting a day for the client, and
//! training calls tomorrow (client and host). Accounts turning at risk are announced by the
//! health module when their band changes.

use crate::server::notifications::{self, Notice};
use crate::server::{AppState, ServiceError};
use crate::types::UserId;
use sqlx::PgConnection;

/// One due item: who, what, where, and the key that makes it once-only.
type Due = (UserId, String, String, String);

async fn send_all(
    tx: &mut PgConnection,
    state: &AppState,
    due: Vec<Due>,
) -> Result<usize, ServiceError> {
    let mut sent = 0;
    for (user, title, link, key) in due {
        if notifications::notify(
            tx,
            state,
            &Notice {
                user,
                title: &title,
                link: &link,
                key: Some(&key),
            },
        )
        .await?
        {
            sent += 1;
        }
    }
    Ok(sent)
}

/// Runs every rule once; returns how many reminders went out.
pub async fn run(state: &AppState) -> Result<usize, ServiceError> {
    let mut tx = state.db.begin().await?;
    let mut due: Vec<Due> = Vec::new();
    // Onboarding steps due today (once) and overdue (once more).
    due.extend(
        sqlx::query_as::<_, Due>(
            "SELECT s.assignee_id,
                    CASE WHEN s.due_on < current_date THEN 'Overdue: ' ELSE 'Due today: ' END
                        || s.title || ' (' || a.name || ')',
                    CASE WHEN u.kind = 'client' THEN '/portal/onboarding' ELSE '/console/onboarding/' || o.id END,
                    'onboarding-step:' || s.id || ':' || s.due_on || ':'
                        || CASE WHEN s.due_on < current_date THEN 'overdue' ELSE 'due' END
             FROM onboarding_step s JOIN onboarding o ON o.id = s.onboarding_id
             JOIN account a ON a.id = o.account_id JOIN app_user u ON u.id = s.assignee_id
             WHERE o.status = 'running' AND s.status = 'open' AND s.due_on <= current_date AND u.is_active",
        )
        .fetch_all(&mut *tx)
        .await?,
    );
    // Tickets at risk or breached: the assignee, else the support managers.
    due.extend(
        sqlx::query_as::<_, Due>(
            "SELECT u.id,
                    CASE t.sla_state WHEN 'breached' THEN 'SLA breached: #' ELSE 'SLA at risk: #' END
                        || t.number || ' ' || t.subject,
                    '/console/tickets/' || t.id,
                    'sla:' || t.id || ':' || t.sla_state || ':' || coalesce(t.resolution_due::text, '') || ':' || u.id
             FROM ticket t JOIN app_user u ON u.is_active AND (u.id = t.assignee_id
                 OR (t.assignee_id IS NULL AND u.role = 'support_manager'))
             WHERE t.status NOT IN ('resolved', 'closed') AND t.sla_state IN ('at_risk', 'breached')",
        )
        .fetch_all(&mut *tx)
        .await?,
    );
    // Follow-up tasks due today or before, once their snooze is over.
    due.extend(
        sqlx::query_as::<_, Due>(
            "SELECT t.assignee_id, 'Task due: ' || t.title, '/console/tasks',
                    'task:' || t.id || ':' || greatest(t.due_on, coalesce(t.snoozed_until, t.due_on))
             FROM follow_up_task t JOIN app_user u ON u.id = t.assignee_id
             WHERE t.done_at IS NULL AND u.is_active
               AND greatest(t.due_on, coalesce(t.snoozed_until, t.due_on)) <= current_date",
        )
        .fetch_all(&mut *tx)
        .await?,
    );
    // Surveys the client has not answered after a day: in their portal.
    due.extend(
        sqlx::query_as::<_, Due>(
            "SELECT u.id, 'Your feedback is waiting: ' || CASE WHEN r.subject = '' THEN 'would you recommend us?'
                    ELSE r.subject END, '/portal/surveys', 'survey:' || r.id
             FROM survey_request r JOIN app_user u ON u.contact_id = r.contact_id AND u.is_active
             WHERE r.answered_at IS NULL AND r.expires_at > now() AND r.sent_at < now() - interval '1 day'",
        )
        .fetch_all(&mut *tx)
        .await?,
    );
    // Training calls within the next day: the client who booked and the host.
    due.extend(
        sqlx::query_as::<_, Due>(
            "SELECT p.user_id, 'Training call tomorrow: ' || s.title || ' at '
                    || to_char(s.starts_at AT TIME ZONE coalesce(u.time_zone, s.time_zone), 'HH24:MI'),
                    CASE WHEN u.kind = 'client' THEN '/portal/training' ELSE '/console/training' END,
                    'training:' || b.id || ':' || s.starts_at || ':' || p.user_id
             FROM training_booking b JOIN training_slot s ON s.id = b.slot_id
             CROSS JOIN LATERAL (VALUES (b.booked_by), (s.host_id)) p(user_id)
             JOIN app_user u ON u.id = p.user_id AND u.is_active
             WHERE b.status = 'booked' AND s.cancelled_at IS NULL
               AND s.starts_at > now() AND s.starts_at <= now() + interval '1 day'",
        )
        .fetch_all(&mut *tx)
        .await?,
    );
    // Most due items were announced in an earlier round: one look at their keys skips them.
    let keys: Vec<String> = due.iter().map(|d| d.3.clone()).collect();
    let fresh: std::collections::HashSet<String> = sqlx::query_scalar(
        "SELECT k FROM unnest($1::text[]) k
         WHERE NOT EXISTS (SELECT 1 FROM notification n WHERE n.idempotency_key = k)",
    )
    .bind(&keys)
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .collect();
    due.retain(|d| fresh.contains(&d.3));
    let sent = send_all(&mut tx, state, due).await?;
    tx.commit().await?;
    Ok(sent)
}
