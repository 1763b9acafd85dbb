//! Live updates for the browser: server-sent events fed by PostgreSQL LISTEN/NOTIFY.
//!
//! Every change to a ticket runs `pg_notify('steward_tickets', …)` inside its own
//! transaction, so the notice goes out only when the change is committed, and to every
//! server instance listening on the database. Each instance holds one listening
//! connection and fans notices out to its open event streams, filtered by what each
//! caller may see. No state is shared between instances but the database.

use app::server::accounts;
use app::server::auth::api_keys::{self, ApiKeyCache};
use app::server::auth::{Caller, Permission};
use app::server::tickets::sla_terms::{self, SlaTermsCache};
use app::server::AppState;
use app::types::{AccountId, ApiKeyId, TicketChanged, UserId};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use futures_util::stream::{self, Stream};
use sqlx::postgres::PgListener;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::broadcast;

pub const CHANNEL: &str = "steward_tickets";
/// `pg_notify('steward_notices', '<user id>')`: that user has a new notification.
pub const NOTICES: &str = "steward_notices";

/// What one instance hears and fans out to the streams it serves.
#[derive(Debug, Clone)]
pub enum Live {
    Ticket(TicketChanged),
    Notification(UserId),
    /// Notices may have been missed (the LISTEN connection was reopened): every page
    /// reloads what it shows.
    Resync,
}

/// This instance's fan-out of ticket and notification notices.
#[derive(Clone)]
pub struct LiveHub {
    tickets: broadcast::Sender<Live>,
}

impl LiveHub {
    /// Starts listening; the task reconnects by itself if the database goes away.
    pub fn start(state: &AppState) -> Self {
        let (tx, _) = broadcast::channel(1024);
        let hub = LiveHub { tickets: tx };
        let kept = Kept {
            api_keys: state.api_keys.clone(),
            sla_terms: state.sla_terms.clone(),
        };
        tokio::spawn(listen(state.db.clone(), kept, hub.tickets.clone()));
        hub
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Live> {
        self.tickets.subscribe()
    }
}

/// What this instance keeps in memory and forgets on the database's notices.
struct Kept {
    api_keys: ApiKeyCache,
    sla_terms: SlaTermsCache,
}

impl Kept {
    fn set_listening(&self, listening: bool) {
        self.api_keys.set_listening(listening);
        self.sla_terms.set_listening(listening);
    }
}

/// Holds the LISTEN connection, reopening it when it breaks. Notices sent while it was down
/// are lost, so after each reopening (once LISTEN is in place again) every open stream is
/// told to resync and the caches start afresh; while it is down, nothing is cached.
async fn listen(db: sqlx::PgPool, kept: Kept, tx: broadcast::Sender<Live>) {
    let listening = crate::startup::listener_pool(&db);
    let mut listened_before = false;
    loop {
        match PgListener::connect_with(&listening).await {
            Ok(mut listener) => {
                if let Err(e) = listener
                    .listen_all([CHANNEL, NOTICES, api_keys::CHANGED, sla_terms::CHANGED])
                    .await
                {
                    tracing::warn!(error = %e, "LISTEN failed");
                } else {
                    tracing::debug!("listening for ticket changes");
                    kept.set_listening(true);
                    if listened_before {
                        // No receivers is fine: nobody has a page open.
                        let _ = tx.send(Live::Resync);
                    }
                    listened_before = true;
                    match hear(&mut listener, &kept, &tx).await {
                        Lost::Reconnect => {
                            tracing::warn!("LISTEN connection lost; reopening");
                            continue;
                        }
                        Lost::Broken(e) => {
                            tracing::warn!(error = %e, "ticket notice stream broke; reconnecting");
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot open the LISTEN connection"),
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

enum Lost {
    /// The connection went away: reopen at once.
    Reconnect,
    /// An error on the connection: reopen after a pause.
    Broken(sqlx::Error),
}

/// Fans out notices until the connection is lost. Uses `try_recv`, not `recv` (which would
/// reconnect silently), so that the caller sees every reconnection and can resync.
async fn hear(listener: &mut PgListener, kept: &Kept, tx: &broadcast::Sender<Live>) -> Lost {
    loop {
        match listener.try_recv().await {
            Ok(None) => {
                kept.set_listening(false);
                return Lost::Reconnect;
            }
            Ok(Some(n)) if n.channel() == api_keys::CHANGED => match n.payload().parse() {
                Ok(key) => kept.api_keys.forget(ApiKeyId(key)),
                Err(_) => kept.api_keys.set_listening(true),
            },
            Ok(Some(n)) if n.channel() == sla_terms::CHANGED => kept.sla_terms.forget(),
            Ok(Some(n)) if n.channel() == NOTICES => match n.payload().parse() {
                Ok(user) => {
                    let _ = tx.send(Live::Notification(user));
                }
                Err(_) => tracing::warn!("bad notification notice"),
            },
            Ok(Some(n)) => match serde_json::from_str::<TicketChanged>(n.payload()) {
                Ok(change) => {
                    let _ = tx.send(Live::Ticket(change));
                }
                Err(e) => tracing::warn!(error = %e, "bad ticket notice"),
            },
            Err(e) => {
                kept.set_listening(false);
                return Lost::Broken(e);
            }
        }
    }
}

/// `GET /live/tickets`: one event (`ticket`, JSON `TicketChanged`) per change the caller
/// may see (staff see all tickets; a client only their account's and its locations'), and a
/// `notification` event when the caller gets a notification.
pub async fn tickets(
    State(state): State<AppState>,
    Extension(hub): Extension<LiveHub>,
    Extension(caller): Extension<Caller>,
) -> Response {
    let scope: Option<Vec<AccountId>> = match &caller {
        Caller::Client(c) => match accounts::repo::subtree(&state.db, c.account_id).await {
            Ok(tree) => Some(tree),
            Err(e) => {
                tracing::error!(error = %e, "live: account lookup failed");
                return StatusCode::SERVICE_UNAVAILABLE.into_response();
            }
        },
        Caller::Staff(_) if caller.can(Permission::ReadTickets) => None,
        Caller::Anonymous => return StatusCode::UNAUTHORIZED.into_response(),
        _ => return StatusCode::FORBIDDEN.into_response(),
    };
    Sse::new(events(hub.subscribe(), scope, caller.user_id()))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(20)))
        .into_response()
}

fn events(
    rx: broadcast::Receiver<Live>,
    scope: Option<Vec<AccountId>>,
    me: Option<UserId>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    stream::unfold((rx, scope), move |(mut rx, scope)| async move {
        loop {
            match rx.recv().await {
                Ok(Live::Notification(user)) => {
                    if Some(user) != me {
                        continue;
                    }
                    let event = Event::default().event("notification").data("{}");
                    return Some((Ok(event), (rx, scope)));
                }
                Ok(Live::Ticket(change)) => {
                    if scope
                        .as_ref()
                        .is_some_and(|s| !s.contains(&change.account_id))
                    {
                        continue;
                    }
                    let event = Event::default()
                        .event("ticket")
                        .json_data(&change)
                        .unwrap_or_else(|_| Event::default().event("ticket"));
                    return Some((Ok(event), (rx, scope)));
                }
                // Fell behind, or the instance may have missed notices: tell the page to
                // reload everything rather than miss a change.
                Ok(Live::Resync) | Err(broadcast::error::RecvError::Lagged(_)) => {
                    return Some((Ok(Event::default().event("resync").data("{}")), (rx, scope)));
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    })
}
