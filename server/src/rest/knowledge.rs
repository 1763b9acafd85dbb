//! The knowledge base over the REST API, to read: what an integration (a help widget, a
//! chatbot, an intranet) shows its users. Writing stays in the console, where articles are
//! previewed and their history kept. Like the rest of the API it takes a key, though the
//! public articles are public on the site too: every API caller is known.

use super::problem::Problem;
use super::ApiQuery;
use app::server::auth::Caller;
use app::server::{knowledge, AppState};
use app::types::{Article, CategoryId, KnowledgeBaseHome};
use axum::extract::{Path, State};
use axum::{Extension, Json};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ArticleQuery {
    /// Words to search for (ranked, at most 200 characters); without, the newest articles.
    pub q: Option<String>,
    /// Only this category's articles (without `q`).
    #[param(value_type = Option<String>, format = Uuid)]
    pub category_id: Option<CategoryId>,
}

/// The categories, and either the search hits for `q` or the newest published articles (100
/// at most). Drafts and archived articles are never listed.
#[utoipa::path(get, path = "/api/v1/articles", tag = "knowledge", params(ArticleQuery),
    responses((status = 200, body = KnowledgeBaseHome), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(query): ApiQuery<ArticleQuery>,
) -> Result<Json<KnowledgeBaseHome>, Problem> {
    caller.require_signed_in()?;
    Ok(Json(
        knowledge::home(
            &state.db,
            &caller,
            query.q.as_deref().unwrap_or_default(),
            query.category_id,
        )
        .await?,
    ))
}

/// One published article by its slug, as sanitised HTML (drafts only for keys whose role
/// edits articles). A reading counts as a view.
#[utoipa::path(get, path = "/api/v1/articles/{slug}", tag = "knowledge",
    params(("slug" = String, Path)),
    responses((status = 200, body = Article), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn get_one(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(slug): Path<String>,
) -> Result<Json<Article>, Problem> {
    caller.require_signed_in()?;
    Ok(Json(
        knowledge::read(&state.db, &caller, &slug, None).await?,
    ))
}
