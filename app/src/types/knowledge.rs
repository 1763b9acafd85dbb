//! The knowledge base as the browser and the domain see it.

use super::{ArticleId, CategoryId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

text_enum!(
    /// Who may read an article.
    ArticleVisibility {
        Public => "public" / "Everyone",
        Clients => "clients" / "Signed-in clients and staff",
        Staff => "staff" / "Staff only",
    }
);

text_enum!(
    ArticleStatus {
        Draft => "draft" / "Draft",
        Published => "published" / "Published",
        Archived => "archived" / "Archived",
    }
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ArticleCategory {
    pub id: CategoryId,
    pub name: String,
    /// Published articles the reader may see (all articles for editors).
    pub article_count: i64,
}

/// An article in lists: the console's table, a category's list, related articles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ArticleSummary {
    pub id: ArticleId,
    pub slug: String,
    pub title: String,
    pub category_id: Option<CategoryId>,
    pub category_name: Option<String>,
    pub tags: Vec<String>,
    pub visibility: ArticleVisibility,
    pub status: ArticleStatus,
    pub updated_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
    pub view_count: i64,
    pub helpful_yes: i32,
    pub helpful_no: i32,
    /// Times a client said this suggestion spared them a ticket (editors only; else 0).
    pub tickets_abandoned: i64,
}

/// One article, ready to read (and, for editors, to edit).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Article {
    pub summary: ArticleSummary,
    pub body_markdown: String,
    /// Sanitised when saved: safe to insert as HTML.
    pub body_html: String,
    pub version: i32,
    pub related: Vec<ArticleSummary>,
    pub can_edit: bool,
}

/// A piece of a search snippet: `mark` pieces matched the query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SnippetPart {
    pub text: String,
    pub mark: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ArticleHit {
    pub slug: String,
    pub title: String,
    pub category_name: Option<String>,
    pub snippet: Vec<SnippetPart>,
    pub rank: f32,
}

/// The knowledge base's front page: categories with their articles, or search results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct KnowledgeBaseHome {
    pub categories: Vec<ArticleCategory>,
    pub articles: Vec<ArticleSummary>,
    pub hits: Vec<ArticleHit>,
    pub query: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticleRevision {
    pub version: i32,
    pub title: String,
    pub status: ArticleStatus,
    pub visibility: ArticleVisibility,
    pub edited_by: Option<String>,
    pub edited_at: DateTime<Utc>,
}

/// What an editor submits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ArticleInput {
    pub title: String,
    /// Empty: made from the title.
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub category_id: String,
    /// Comma-separated.
    #[serde(default)]
    pub tags: String,
    pub visibility: String,
    pub body: String,
}

/// The editor's page: the article (none when new), categories, history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticleEditor {
    pub article: Option<Article>,
    pub categories: Vec<ArticleCategory>,
    pub history: Vec<ArticleRevision>,
}
