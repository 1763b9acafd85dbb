//! Background work in the same binary: mail delivery from the outbox, the SLA job, the chat
//! sweep, new tickets followed (history line, client acknowledged, desk told, text made
//! searchable), training reminders, survey requests, account health, reminders and digests.
//! Several instances can run it at once (rows are claimed with SKIP LOCKED).

use app::server::{
    chat, email, health, notifications, reminders, surveys, tickets, training, AppState,
};
use std::time::Duration;
use tokio::sync::watch;

/// Mails claimed at a time, and batches sent in one round at most (a round is two seconds).
const MAIL_BATCH: i64 = 100;
const MAIL_BATCHES_PER_ROUND: usize = 20;

/// The worker's round: what is not woken sooner runs every round.
const ROUND: Duration = Duration::from_secs(2);

/// How long the follow-up of new tickets waits once woken, so that under load a statement
/// takes the hundreds raised meanwhile instead of the few of one intake batch.
const GATHER: Duration = Duration::from_millis(200);

pub async fn run(state: AppState, mut shutdown: watch::Receiver<bool>) {
    tracing::info!("worker started");
    let arrivals = tokio::spawn(follow_new_tickets(state.clone(), shutdown.clone(), ROUND));
    let mut round: u64 = 0;
    loop {
        // The SLA job every 30 seconds: due times are minutes apart, not seconds.
        if round.is_multiple_of(15) {
            match tickets::sweep::run_once(&state).await {
                Ok(r) if r.escalated > 0 || r.state_changes > 0 => {
                    tracing::info!(
                        escalated = r.escalated,
                        sla_changes = r.state_changes,
                        "SLA job"
                    )
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "SLA job failed"),
            }
        }
        // The chat sweep every 10 seconds: offers nobody took, agents who vanished.
        if round.is_multiple_of(5) {
            match chat::routing::sweep(&state.db).await {
                Ok(s) if s != chat::routing::Swept::default() => tracing::info!(?s, "chat sweep"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "chat sweep failed"),
            }
        }
        if round.is_multiple_of(1800) {
            if let Err(e) = chat::routing::close_abandoned(&state.db).await {
                tracing::error!(error = %e, "closing abandoned chats failed");
            }
        }
        // Training reminders once a minute: they go out a day ahead.
        if round.is_multiple_of(30) {
            match training::send_reminders(&state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(reminded = n, "training reminders"),
                Err(e) => tracing::error!(error = %e, "training reminders failed"),
            }
        }
        // CSAT requests every round (an indexed look at pending events): the question
        // should reach the client while the resolution is fresh. NPS and reminders every
        // ten minutes.
        {
            match surveys::process_events(&state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(requested = n, "CSAT surveys"),
                Err(e) => tracing::error!(error = %e, "survey requests failed"),
            }
        }
        // Health: stale accounts every round (the queue is filled by the changes themselves),
        // and the full nightly recompute once a day, claimed by one instance.
        match health::process_queue(&state, 500).await {
            Ok(r) if r.band_changes > 0 => {
                tracing::info!(
                    accounts = r.accounts,
                    band_changes = r.band_changes,
                    "health"
                )
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "health recompute failed"),
        }
        // The ticket search's weeks, hourly: eight are made ahead, so one missed hour is harmless.
        if round.is_multiple_of(1800) {
            match tickets::search::add_weeks(&state.db, 8).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(weeks = n, "ticket search weeks made"),
                Err(e) => tracing::error!(error = %e, "making ticket search weeks failed"),
            }
        }
        // Reminders and digests once a minute: due dates are days, not seconds.
        if round.is_multiple_of(30) {
            match reminders::run(&state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(reminded = n, "reminders"),
                Err(e) => tracing::error!(error = %e, "reminders failed"),
            }
            match notifications::send_digests(&state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(digests = n, "daily digests"),
                Err(e) => tracing::error!(error = %e, "daily digests failed"),
            }
        }
        if round.is_multiple_of(150) {
            match health::nightly(&state).await {
                Ok(Some(r)) => tracing::info!(accounts = r.accounts, "nightly health recompute"),
                Ok(None) => {}
                Err(e) => tracing::error!(error = %e, "nightly health recompute failed"),
            }
        }
        if round.is_multiple_of(300) {
            match surveys::send_due_nps(&state, 200).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(requested = n, "NPS surveys"),
                Err(e) => tracing::error!(error = %e, "NPS surveys failed"),
            }
            match surveys::send_reminders(&state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(reminded = n, "survey reminders"),
                Err(e) => tracing::error!(error = %e, "survey reminders failed"),
            }
        }
        round += 1;
        // Mail every round, as many batches as are due (up to a bound, so that a backlog
        // does not hold up the next round's other work).
        for _ in 0..MAIL_BATCHES_PER_ROUND {
            match email::deliver_pending(&state, MAIL_BATCH).await {
                Ok(0) => break,
                Ok(n) => {
                    tracing::info!(sent = n, "mail delivered");
                    if n < MAIL_BATCH as usize {
                        break;
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "mail delivery round failed");
                    break;
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(ROUND) => {}
            _ = shutdown.changed() => break,
        }
    }
    let _ = arrivals.await;
    tracing::info!("worker stopped");
}

/// Follows new tickets (`tickets::arrivals`: history line, acknowledgement, the desk told,
/// their text made searchable) as soon as this instance's intake has committed some, and
/// every `every` otherwise (tickets raised on other instances or by mail, and any a failed
/// pass left). Each pass follows as
/// many batches as are waiting, up to a bound so that a flood cannot starve shutdown.
pub async fn follow_new_tickets(
    state: AppState,
    mut shutdown: watch::Receiver<bool>,
    every: Duration,
) {
    loop {
        for _ in 0..40 {
            match tickets::arrivals::follow_new_tickets(&state).await {
                Ok(n) if n < tickets::arrivals::BATCH as usize => break,
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(error = %e, "following new tickets failed");
                    break;
                }
            }
        }
        tokio::select! {
            _ = state.ticket_arrivals.notified() => tokio::time::sleep(GATHER).await,
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => break,
        }
    }
}
