//! Background work in the same binary: mail delivery from the outbox, the SLA job, the chat
//! sweep and training reminders.
//! Several instances can run it at once (rows are claimed with SKIP LOCKED).

use app::server::{chat, email, tickets, training, AppState};
use std::time::Duration;
use tokio::sync::watch;

pub async fn run(state: AppState, mut shutdown: watch::Receiver<bool>) {
    tracing::info!("worker started");
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
        round += 1;
        match email::deliver_pending(&state, 50).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(sent = n, "mail delivered"),
            Err(e) => tracing::error!(error = %e, "mail delivery round failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            _ = shutdown.changed() => break,
        }
    }
    tracing::info!("worker stopped");
}
