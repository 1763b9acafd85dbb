//! The SLA job: marks tickets at risk or breached and escalates high-priority tickets
//! left unresolved for 24 hours (002) to the support managers, by mail and in the app.
//!
//! The ticket table is the queue: due times are stored and indexed, and each run claims
//! the rows it changes with `FOR UPDATE SKIP LOCKED` and a condition that is false once
//! done (`escalated_at IS NULL`), so a restart loses nothing and two workers on two
//! instances never escalate the same ticket twice.

use super::repo;
use crate::server::{email, AppState, ServiceError};
use crate::types::{AccountId, TicketId, UserId};

/// Hours after which an unresolved high or urgent ticket is escalated.
pub const ESCALATE_AFTER_HOURS: i32 = 24;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SweepReport {
    pub state_changes: usize,
    pub escalated: usize,
}

pub async fn run_once(state: &AppState) -> Result<SweepReport, ServiceError> {
    let mut tx = state.db.begin().await?;
    // At risk: less than a fifth of the time to the next target remains.
    let changed: Vec<(TicketId, AccountId, String)> = sqlx::query_as(
        "WITH due AS (
            SELECT id, account_id, sla_state AS old,
              CASE
                WHEN (first_responded_at IS NULL AND first_response_due <= now())
                  OR (sla_paused_at IS NULL AND resolution_due <= now()) THEN 'breached'
                WHEN (first_responded_at IS NULL
                        AND first_response_due - now() < (first_response_due - created_at) / 5)
                  OR (sla_paused_at IS NULL
                        AND resolution_due - now() < (resolution_due - created_at) / 5) THEN 'at_risk'
                ELSE 'ok'
              END AS new
            FROM ticket WHERE status NOT IN ('resolved', 'closed')
         ), claimed AS (
            SELECT t.id, due.new FROM ticket t JOIN due ON due.id = t.id
            WHERE due.new <> due.old
            FOR UPDATE OF t SKIP LOCKED
         )
         UPDATE ticket t SET sla_state = claimed.new FROM claimed WHERE t.id = claimed.id
         RETURNING t.id, t.account_id, t.sla_state",
    )
    .fetch_all(&mut *tx)
    .await?;
    for (id, account, new_state) in &changed {
        if new_state == "breached" {
            repo::record_event(&mut tx, *id, (None, "SLA"), "sla", None, Some("breached")).await?;
        }
        repo::announce(&mut *tx, *id, *account).await?;
    }
    let escalated: Vec<(TicketId, AccountId, i64, String, String)> = sqlx::query_as(
        "UPDATE ticket t SET escalated_at = now()
         FROM (SELECT id FROM ticket
               WHERE priority IN ('high', 'urgent') AND status NOT IN ('resolved', 'closed')
                 AND escalated_at IS NULL AND created_at <= now() - make_interval(hours => $1)
               ORDER BY created_at LIMIT 500
               FOR UPDATE SKIP LOCKED) due
         WHERE t.id = due.id AND t.escalated_at IS NULL
         RETURNING t.id, t.account_id, t.number, t.subject, t.priority",
    )
    .bind(ESCALATE_AFTER_HOURS)
    .fetch_all(&mut *tx)
    .await?;
    if !escalated.is_empty() {
        let managers: Vec<(UserId, String)> = sqlx::query_as(
            "SELECT id, email FROM app_user WHERE is_active AND role = 'support_manager' ORDER BY email",
        )
        .fetch_all(&mut *tx)
        .await?;
        for (id, account, number, subject, priority) in &escalated {
            repo::record_event(
                &mut tx,
                *id,
                (None, "SLA"),
                "escalated",
                None,
                Some("to support managers"),
            )
            .await?;
            let link = format!("/console/tickets/{id}");
            for (manager, address) in &managers {
                repo::notify_user(
                    &mut tx,
                    *manager,
                    &format!("Escalated: #{number} {subject}"),
                    &link,
                )
                .await?;
                email::enqueue(
                    &mut *tx,
                    address,
                    &format!("[#{number}] Escalation: {priority} ticket unresolved for {ESCALATE_AFTER_HOURS} hours"),
                    &format!(
                        "Ticket #{number} \"{subject}\" ({priority} priority) has been open for more than \
                         {ESCALATE_AFTER_HOURS} hours without being resolved.\n\nOpen it: {}{link}\n",
                        state.settings.public_url
                    ),
                )
                .await?;
            }
            repo::announce(&mut *tx, *id, *account).await?;
        }
    }
    tx.commit().await?;
    Ok(SweepReport {
        state_changes: changed.len(),
        escalated: escalated.len(),
    })
}
