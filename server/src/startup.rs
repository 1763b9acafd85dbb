//! The composition root: pool, migrations, sessions, router, worker, graceful shutdown.

use crate::config::Config;
use crate::{chat, files, health, live, middleware, rest, web_form, worker};
use app::app::{shell, App};
use app::server::auth::api_keys::ApiKeyCache;
use app::server::email::Mailer;
use app::server::tickets::intake::TicketIntake;
use app::server::{AppState, Settings};
use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, handle_server_fns_with_context, LeptosRoutes};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgPool};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{session_store::ExpiredDeletion, Expiry, SessionManagerLayer};
use tower_sessions_sqlx_store::PostgresStore;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot connect to the database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("cannot apply migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("cannot bind {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("{0}")]
    Other(String),
}

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// A pooled connection idle this long is pinged before it is handed out.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(1);

pub async fn connect(config: &Config) -> Result<PgPool, StartupError> {
    // JIT compilation pays off for long analytical queries; for ours it only adds 20 ms or
    // more of compiling to queries the planner guesses are big (measured on ticket search).
    let options = config
        .database_url
        .parse::<PgConnectOptions>()?
        .options([("jit", "off")]);
    Ok(pool_options(config.db_max_connections)
        .connect_with(options)
        .await?)
}

fn pool_options(max_connections: u32) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        // sqlx pings every connection it hands out; under load that is a round trip per
        // query for connections in use a moment ago (12 % of ticket creation's throughput,
        // docs/BENCHMARKS.md). Only a connection that sat idle may have been cut meanwhile
        // (a database restart, a proxy's timeout), so only such a one is checked.
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= IDLE_BEFORE_PING {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
}

/// A connection of its own for a LISTEN loop (`live`, `chat`), to the same database. Why not
/// the shared pool: a LISTEN connection is held for hours and, once the database cuts it,
/// handed back broken; in the shared pool, with the ping only after a second of idleness
/// (`pool_options`), the next request would take it and fail. Here only the loop reuses it,
/// and it is pinged before every use.
pub fn listener_pool(db: &PgPool) -> PgPool {
    PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(5))
        .connect_lazy_with((*db.connect_options()).clone())
}

/// The ticket intake's own connections (`tickets::intake`): to the same database, opened
/// when first needed, and planning every statement once (generic plans). Why: PostgreSQL
/// plans a prepared statement afresh for every call while a plan for the given values looks
/// cheaper than the generic one; for an array parameter it guesses ten elements, so for a
/// batch of a few tickets the fresh plan always wins on paper, and its planning (about 0.7
/// ms for the creation bases, measured with pg_stat_statements) costs more than the whole
/// execution. Set for the connection, it costs no statement of its own.
fn intake_pool(db: &PgPool) -> PgPool {
    let options = (*db.connect_options())
        .clone()
        .options([("plan_cache_mode", "force_generic_plan")]);
    pool_options(TicketIntake::CONNECTIONS).connect_lazy_with(options)
}

/// Applies pending migrations (ours and the session store's).
pub async fn migrate(pool: &PgPool) -> Result<(), StartupError> {
    MIGRATOR.run(pool).await?;
    PostgresStore::new(pool.clone())
        .migrate()
        .await
        .map_err(StartupError::Database)?;
    Ok(())
}

pub fn state(config: &Config, db: PgPool) -> Result<AppState, StartupError> {
    Ok(AppState {
        ticket_intake: TicketIntake::new(intake_pool(&db)),
        api_keys: ApiKeyCache::default(),
        ticket_arrivals: Default::default(),
        sla_terms: Default::default(),
        db,
        mailer: Mailer::from_url(config.smtp_url.as_deref()).map_err(StartupError::Other)?,
        settings: Settings {
            public_url: config.public_url.clone(),
            mail_from: config.mail_from.clone(),
            ..Settings::default()
        },
    })
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
    chat: chat::ChatHub,
    run_worker: bool,
}

impl Application {
    pub async fn build(config: &Config) -> Result<Self, StartupError> {
        let pool = connect(config).await?;
        migrate(&pool).await?;
        let state = state(config, pool)?;
        let listener =
            TcpListener::bind(config.addr)
                .await
                .map_err(|source| StartupError::Bind {
                    addr: config.addr,
                    source,
                })?;
        let addr = listener
            .local_addr()
            .map_err(|e| StartupError::Other(e.to_string()))?;
        let chat = chat::ChatHub::start(&state);
        let router = router(config, state.clone(), addr, chat.clone());
        Ok(Application {
            listener,
            router,
            state,
            chat,
            run_worker: config.run_worker,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or_default()
    }

    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    /// Serves until `shutdown` flips to true (or SIGINT/SIGTERM when `None`), then drains.
    pub async fn run(self, shutdown: Option<watch::Receiver<bool>>) -> std::io::Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let worker = self
            .run_worker
            .then(|| tokio::spawn(worker::run(self.state.clone(), stop_rx.clone())));
        let session_cleanup = tokio::spawn(
            PostgresStore::new(self.state.db.clone())
                .continuously_delete_expired(tokio::time::Duration::from_secs(3600)),
        );
        let chat = self.chat.clone();
        let signal = async move {
            match shutdown {
                Some(mut rx) => {
                    let _ = rx.wait_for(|stop| *stop).await;
                }
                None => shutdown_signal().await,
            }
            tracing::info!("shutting down");
            let _ = stop_tx.send(true);
            chat.shut_down();
        };
        // TCP_NODELAY: server-rendered pages stream in several writes; with Nagle's algorithm a
        // write waiting for the client's delayed ACK stalled responses by 40 ms (the p99 of
        // every streamed page).
        let listener = self.listener.tap_io(|stream| {
            if let Err(e) = stream.set_nodelay(true) {
                tracing::debug!(error = %e, "could not set TCP_NODELAY");
            }
        });
        // The peer address feeds the web form's rate limit.
        let served = axum::serve(
            listener,
            self.router
                .into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(signal)
        .await;
        if let Some(worker) = worker {
            let _ = worker.await;
        }
        session_cleanup.abort();
        served
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}

async fn server_fn_handler(State(state): State<AppState>, req: Request<Body>) -> impl IntoResponse {
    handle_server_fns_with_context(move || provide_context(state.clone()), req).await
}

pub fn leptos_options(config: &Config, addr: std::net::SocketAddr) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("steward")
        .site_root(config.site_root.to_string_lossy().to_string())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .build()
}

/// The app's routes, generated once per process. Generating them runs the app with a
/// process-global "suppress resource loads" flag set (leptos issue 4773): a page rendering
/// at that moment, in any server of the process (tests start many), would wait forever.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

pub fn router(
    config: &Config,
    state: AppState,
    addr: std::net::SocketAddr,
    chat: chat::ChatHub,
) -> Router {
    let options = leptos_options(config, addr);
    let routes = route_list();
    let pkg_dir = config.site_root.join("pkg");

    let pages = Router::new()
        .leptos_routes_with_context(
            &options,
            routes,
            {
                let state = state.clone();
                move || provide_context(state.clone())
            },
            {
                let options = options.clone();
                move || shell(options.clone())
            },
        )
        .with_state(options.clone());

    let server_fns = Router::new()
        .route(
            "/api/{*fn_name}",
            get(server_fn_handler).post(server_fn_handler),
        )
        .with_state(state.clone());

    let browser = Router::new()
        .route("/live/tickets", get(live::tickets))
        .route(
            "/files/tickets/{id}",
            post(files::upload).layer(DefaultBodyLimit::max(rest::UPLOAD_LIMIT)),
        )
        .route("/files/{id}", get(files::download))
        .route("/ws/chat", get(chat::connect))
        .route(
            "/files/conversations/{id}",
            post(files::upload_to_chat).layer(DefaultBodyLimit::max(rest::UPLOAD_LIMIT)),
        )
        .route("/files/chat/{id}", get(files::download_chat_file))
        .route(
            "/files/accounts/{id}/documents",
            post(files::share_document).layer(DefaultBodyLimit::max(rest::UPLOAD_LIMIT)),
        )
        .route(
            "/files/onboarding-steps/{id}",
            post(files::upload_step_document).layer(DefaultBodyLimit::max(rest::UPLOAD_LIMIT)),
        )
        .route("/files/documents/{id}", get(files::download_document))
        .route("/files/feedback.csv", get(files::feedback_csv))
        .route("/calendar/{file}", get(files::calendar_feed))
        .route("/support/form", get(web_form::show).post(web_form::submit))
        .route(
            "/support/confirm",
            get(web_form::confirm_page).post(web_form::confirm),
        )
        .layer(axum::Extension(live::LiveHub::start(&state)))
        .layer(axum::Extension(chat))
        .with_state(state.clone());

    let ops = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .with_state(state.clone());

    let session_layer = SessionManagerLayer::new(PostgresStore::new(state.db.clone()))
        .with_name("steward_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(config.secure_cookies)
        .with_expiry(Expiry::OnInactivity(time::Duration::hours(12)));

    Router::new()
        .nest("/api/v1", rest::router(state.clone()))
        .merge(server_fns)
        .merge(browser)
        .merge(pages)
        .merge(ops)
        .nest_service("/pkg", ServeDir::new(pkg_dir).precompressed_br().precompressed_gzip())
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::resolve_caller))
        .layer(session_layer)
        .layer(axum::middleware::from_fn_with_state(state, middleware::check_origin))
        .layer(RequestBodyLimitLayer::new(config.body_limit_bytes))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(config.request_timeout_secs),
        ))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<Body>| {
            let id = req
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        // Defence in depth for every response: no MIME sniffing, no framing, no leaking paths.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

async fn not_found() -> Response {
    (axum::http::StatusCode::NOT_FOUND, "Not found").into_response()
}
