use super::auth::api_keys::ApiKeyCache;
use super::email::Mailer;
use super::tickets::intake::TicketIntake;
use super::tickets::sla_terms::SlaTermsCache;
use sqlx::PgPool;
use std::sync::Arc;
use tokio::sync::Notify;

/// Settings the domain needs at run time (the server's config builds them).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Base URL used in links sent by mail, e.g. `https://crm.example.com`.
    pub public_url: String,
    pub mail_from: String,
    /// Failed logins per address within `login_window_minutes` before refusing.
    pub login_max_failures: i64,
    pub login_window_minutes: i64,
    pub reset_token_hours: i64,
    pub invitation_token_hours: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            public_url: "http://127.0.0.1:3000".into(),
            mail_from: "Steward <steward@localhost>".into(),
            login_max_failures: 5,
            login_window_minutes: 15,
            reset_token_hours: 2,
            invitation_token_hours: 72,
        }
    }
}

/// One pool, one mailer, one set of settings: shared by server functions, REST and workers.
#[derive(Clone)]
pub struct AppState {
    pub db: PgPool,
    pub mailer: Mailer,
    pub settings: Settings,
    /// New tickets are committed in batches (group commit): see `tickets::intake`.
    pub ticket_intake: TicketIntake,
    /// API keys verified recently on this instance: see `auth::api_keys::ApiKeyCache`.
    pub api_keys: ApiKeyCache,
    /// The SLA terms new tickets are due by, kept on this instance: see
    /// `tickets::sla_terms`.
    pub sla_terms: SlaTermsCache,
    /// Rung by the intake when it has committed new tickets, so that the worker follows them
    /// (`tickets::arrivals`) at once rather than at its next round.
    pub ticket_arrivals: Arc<Notify>,
}
