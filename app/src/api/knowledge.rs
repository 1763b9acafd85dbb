//! The knowledge base: public and portal reading, the ticket form's suggestions, and the
//! console's editor.

use crate::error::AppError;
use crate::types::{
    Article, ArticleEditor, ArticleHit, ArticleId, ArticleInput, ArticleSummary, CategoryId,
    KnowledgeBaseHome,
};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::edge::{context, fail},
    crate::server::knowledge,
    crate::types::ArticleStatus,
};

#[server]
pub async fn load_knowledge_base(
    #[server(default)] q: String,
    #[server(default)] category: Option<CategoryId>,
) -> Result<KnowledgeBaseHome, AppError> {
    let (state, caller) = context().await?;
    knowledge::home(&state.db, &caller, &q, category)
        .await
        .map_err(fail)
}

/// `suggested_for`: the ticket subject the client was typing when the article was offered.
#[server]
pub async fn read_article(
    slug: String,
    #[server(default)] suggested_for: Option<String>,
) -> Result<Article, AppError> {
    let (state, caller) = context().await?;
    knowledge::read(&state.db, &caller, &slug, suggested_for.as_deref())
        .await
        .map_err(fail)
}

#[server]
pub async fn suggest_articles(subject: String) -> Result<Vec<ArticleHit>, AppError> {
    let (state, caller) = context().await?;
    knowledge::suggest(&state.db, &caller, &subject)
        .await
        .map_err(fail)
}

#[server]
pub async fn vote_on_article(
    slug: String,
    helpful: bool,
    /// An anonymous browser's own random token (signed-in readers vote as themselves).
    #[server(default)]
    reader: String,
) -> Result<(i32, i32), AppError> {
    let (state, caller) = context().await?;
    knowledge::vote(
        &state.db,
        &caller,
        &slug,
        helpful,
        reader.trim().parse().ok(),
    )
    .await
    .map_err(fail)
}

/// The client no longer needs the ticket they were writing: back to the portal.
#[server]
pub async fn abandon_ticket_for_article(slug: String, subject: String) -> Result<(), AppError> {
    let (state, caller) = context().await?;
    knowledge::ticket_abandoned(&state.db, &caller, &slug, &subject)
        .await
        .map_err(fail)?;
    leptos_axum::redirect("/portal?answered=1");
    Ok(())
}

#[server]
pub async fn list_articles(
    #[server(default)] q: String,
    #[server(default)] status: String,
) -> Result<Vec<ArticleSummary>, AppError> {
    let (state, caller) = context().await?;
    knowledge::list_for_editors(&state.db, &caller, &q, ArticleStatus::parse(&status))
        .await
        .map_err(fail)
}

#[server]
pub async fn load_article_editor(id: Option<ArticleId>) -> Result<ArticleEditor, AppError> {
    let (state, caller) = context().await?;
    knowledge::editor(&state.db, &caller, id)
        .await
        .map_err(fail)
}

/// `publish`: "publish" publishes, anything else saves a draft (a published article
/// stays published unless `publish` is "draft").
#[server]
pub async fn save_article(
    #[server(default)] id: Option<ArticleId>,
    form: ArticleInput,
    #[server(default)] publish: String,
) -> Result<ArticleId, AppError> {
    let (state, caller) = context().await?;
    let status = match publish.as_str() {
        "publish" => ArticleStatus::Published,
        _ => ArticleStatus::Draft,
    };
    let (id, _) = knowledge::save(&state.db, &caller, id, &form, status)
        .await
        .map_err(fail)?;
    leptos_axum::redirect(&format!("/console/kb/{id}"));
    Ok(id)
}

#[server]
pub async fn set_article_status(id: ArticleId, status: String) -> Result<(), AppError> {
    let (state, caller) = context().await?;
    let Some(status) = ArticleStatus::parse(&status) else {
        return Err(fail(crate::server::ServiceError::field(
            "status",
            "is not a status",
        )));
    };
    knowledge::set_status(&state.db, &caller, id, status)
        .await
        .map_err(fail)
}

#[server]
pub async fn save_article_category(
    #[server(default)] id: Option<CategoryId>,
    name: String,
) -> Result<CategoryId, AppError> {
    let (state, caller) = context().await?;
    knowledge::save_category(&state.db, &caller, id, &name)
        .await
        .map_err(fail)
}

#[server]
pub async fn delete_article_category(id: CategoryId) -> Result<(), AppError> {
    let (state, caller) = context().await?;
    knowledge::delete_category(&state.db, &caller, id)
        .await
        .map_err(fail)
}
