//! The public REST API v1: thin handlers over the same domain functions as the UI.
//! Authentication by API key (`Authorization: Bearer stw_…`), errors as problem+json,
//! the OpenAPI document generated from these handlers.

pub mod accounts;
pub mod contacts;
pub mod feedback;
pub mod knowledge;
pub mod onboarding;
pub mod problem;
pub mod tickets;

use app::server::AppState;
use axum::extract::DefaultBodyLimit;
use axum::extract::FromRequest;
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use chrono::{DateTime, Utc};
use problem::Problem;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use uuid::Uuid;

/// JSON body whose rejections become problem+json.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(Problem))]
pub struct ApiJson<T>(pub T);

/// Query string whose rejections become problem+json.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(Problem))]
pub struct ApiQuery<T>(pub T);

/// Opaque keyset cursor: the creation time and id of the last row seen.
pub fn encode_cursor(at: DateTime<Utc>, id: Uuid) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{}|{id}", at.to_rfc3339()))
}

pub fn decode_cursor(cursor: &str) -> Result<(DateTime<Utc>, Uuid), Problem> {
    let bad = || {
        Problem::new(axum::http::StatusCode::BAD_REQUEST, "Invalid cursor")
            .detail("Pass back the `next_cursor` of a previous page unchanged.")
    };
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| bad())?;
    let text = String::from_utf8(raw).map_err(|_| bad())?;
    let (at, id) = text.split_once('|').ok_or_else(bad)?;
    let at = DateTime::parse_from_rfc3339(at)
        .map_err(|_| bad())?
        .with_timezone(&Utc);
    let id = Uuid::parse_str(id).map_err(|_| bad())?;
    Ok((at, id))
}

/// Parses an id from the path; anything malformed is simply not found.
pub fn path_id<T: std::str::FromStr>(raw: &str) -> Result<T, Problem> {
    raw.parse()
        .map_err(|_| Problem::new(axum::http::StatusCode::NOT_FOUND, "Not found"))
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Steward REST API", version = "1", description = "Accounts, contacts, support tickets, onboarding, feedback, account health, follow-up tasks and the knowledge base. Authenticate with an API key: `Authorization: Bearer stw_…`."),
    paths(
        accounts::list, accounts::get_one, accounts::create, accounts::update, accounts::delete,
        contacts::list, contacts::get_one, contacts::create, contacts::update, contacts::delete,
        tickets::list, tickets::get_one, tickets::create, tickets::update, tickets::add_message,
        tickets::add_attachment, tickets::download, tickets::inbound_email,
        onboarding::list, onboarding::get_one, onboarding::start, onboarding::templates,
        feedback::report, feedback::account_health, feedback::my_tasks, feedback::create_task,
        feedback::complete_task, feedback::snooze_task, knowledge::list, knowledge::get_one,
    ),
    components(schemas(
        Problem, app::error::FieldError, app::types::Account, app::types::AccountInput, app::types::AccountType,
        app::types::RecordStatus, app::types::Contact, app::types::ContactInput, app::types::PortalAccess,
        accounts::AccountList, contacts::ContactList,
        app::types::Ticket, app::types::TicketSummary, app::types::TicketPage, app::types::NewTicket,
        app::types::TicketChanges, app::types::TicketMessage, app::types::TicketEvent, app::types::AttachmentInfo,
        app::types::TicketStatus, app::types::TicketPriority, app::types::TicketChannel, app::types::SlaState,
        tickets::TicketDocument, tickets::NewMessage,
        app::server::tickets::inbound::InboundResult, app::server::tickets::inbound::InboundOutcome,
        app::types::OnboardingSummary, app::types::OnboardingView, app::types::OnboardingStepView,
        app::types::StartOnboarding, app::types::TemplateSummary, app::types::OnboardingStatus,
        app::types::OnboardingStart, app::types::StepStatus, app::types::StepOwnerSide,
        app::types::StepAction, app::types::ChecklistItem, app::types::RequiredDocument,
        app::types::DocumentInfo,
        app::types::FeedbackReport, app::types::FeedbackGroup, app::types::FeedbackScores,
        app::types::FeedbackResponse, app::types::FeedbackGrouping, app::types::SurveyKind,
        app::types::AccountHealth, app::types::HealthFactor, app::types::HealthFactorKind,
        app::types::HealthBand, app::types::HealthPoint, app::types::FollowUpTask,
        app::types::NewFollowUpTask, feedback::Snooze,
        app::types::KnowledgeBaseHome, app::types::ArticleCategory, app::types::ArticleSummary,
        app::types::Article, app::types::ArticleHit, app::types::SnippetPart,
        app::types::ArticleVisibility, app::types::ArticleStatus,
    )),
    modifiers(&BearerAuth),
    security(("api_key" = [])),
)]
pub struct ApiDoc;

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// A 10 MB file plus the multipart envelope.
pub const UPLOAD_LIMIT: usize = app::server::tickets::attachments::MAX_BYTES + 64 * 1024;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/accounts", get(accounts::list).post(accounts::create))
        .route(
            "/accounts/{id}",
            get(accounts::get_one)
                .patch(accounts::update)
                .delete(accounts::delete),
        )
        .route("/contacts", get(contacts::list).post(contacts::create))
        .route(
            "/contacts/{id}",
            get(contacts::get_one)
                .patch(contacts::update)
                .delete(contacts::delete),
        )
        .route("/tickets", get(tickets::list).post(tickets::create))
        .route(
            "/tickets/{id}",
            get(tickets::get_one).patch(tickets::update),
        )
        .route("/tickets/{id}/messages", post(tickets::add_message))
        .route(
            "/tickets/{id}/attachments",
            post(tickets::add_attachment).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route("/attachments/{id}", get(tickets::download))
        .route(
            "/inbound-email",
            post(tickets::inbound_email).layer(DefaultBodyLimit::max(
                app::server::tickets::inbound::MAX_RAW_BYTES,
            )),
        )
        .route(
            "/onboardings",
            get(onboarding::list).post(onboarding::start),
        )
        .route("/onboardings/{id}", get(onboarding::get_one))
        .route("/onboarding-templates", get(onboarding::templates))
        .route("/feedback", get(feedback::report))
        .route("/accounts/{id}/health", get(feedback::account_health))
        .route(
            "/tasks",
            get(feedback::my_tasks).post(feedback::create_task),
        )
        .route("/tasks/{id}/complete", post(feedback::complete_task))
        .route("/tasks/{id}/snooze", post(feedback::snooze_task))
        .route("/articles", get(knowledge::list))
        .route("/articles/{slug}", get(knowledge::get_one))
        .fallback(|| async { Problem::new(axum::http::StatusCode::NOT_FOUND, "No such endpoint") })
        .with_state(state)
}
