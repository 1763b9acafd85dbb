//! Background work in the same binary: mail delivery from the outbox. Several
//! instances can run it at once (rows are claimed with SKIP LOCKED).

use app::server::{email, AppState};
use std::time::Duration;
use tokio::sync::watch;

pub async fn run(state: AppState, mut shutdown: watch::Receiver<bool>) {
    tracing::info!("worker started");
    loop {
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
