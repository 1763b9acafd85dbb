//! SQL for the knowledge base. Functions take any executor so verbs compose them in one
//! transaction.

use crate::types::{
    ArticleCategory, ArticleId, ArticleRevision, ArticleStatus, ArticleSummary, ArticleVisibility,
    CategoryId, UserId,
};
use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, Postgres, QueryBuilder};

const SUMMARY_SELECT: &str = "
SELECT a.id, a.slug, a.title, a.category_id, c.name AS category_name, a.tags, a.visibility,
       a.status, a.updated_at, a.published_at, a.view_count, a.helpful_yes, a.helpful_no";
const FROM: &str = " FROM kb_article a LEFT JOIN kb_category c ON c.id = a.category_id";

#[derive(sqlx::FromRow)]
pub struct SummaryRow {
    id: ArticleId,
    slug: String,
    title: String,
    category_id: Option<CategoryId>,
    category_name: Option<String>,
    tags: Vec<String>,
    visibility: String,
    status: String,
    updated_at: DateTime<Utc>,
    published_at: Option<DateTime<Utc>>,
    view_count: i64,
    helpful_yes: i32,
    helpful_no: i32,
    #[sqlx(default)]
    tickets_abandoned: Option<i64>,
}

impl SummaryRow {
    pub fn status_is(&self, status: ArticleStatus) -> bool {
        self.status == status.as_str()
    }

    /// Whether a reader allowed `visible` may see this article's visibility.
    pub fn visible_in(&self, visible: &[&str]) -> bool {
        visible.iter().any(|v| *v == self.visibility)
    }

    pub fn summary(self) -> ArticleSummary {
        ArticleSummary {
            id: self.id,
            slug: self.slug,
            title: self.title,
            category_id: self.category_id,
            category_name: self.category_name,
            tags: self.tags,
            visibility: ArticleVisibility::parse(&self.visibility)
                .unwrap_or(ArticleVisibility::Staff),
            status: ArticleStatus::parse(&self.status).unwrap_or(ArticleStatus::Draft),
            updated_at: self.updated_at,
            published_at: self.published_at,
            view_count: self.view_count,
            helpful_yes: self.helpful_yes,
            helpful_no: self.helpful_no,
            tickets_abandoned: self.tickets_abandoned.unwrap_or(0),
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct BodyRow {
    #[sqlx(flatten)]
    pub summary: SummaryRow,
    pub body_markdown: String,
    pub body_html: String,
    pub version: i32,
}

/// One article by slug, whatever its status: the caller decides who may see it.
pub async fn by_slug(db: impl PgExecutor<'_>, slug: &str) -> Result<Option<BodyRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SUMMARY_SELECT}, a.body_markdown, a.body_html, a.version{FROM} WHERE a.slug = $1"
    ))
    .bind(slug)
    .fetch_optional(db)
    .await
}

pub async fn by_id(db: impl PgExecutor<'_>, id: ArticleId) -> Result<Option<BodyRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SUMMARY_SELECT}, a.body_markdown, a.body_html, a.version{FROM} WHERE a.id = $1"
    ))
    .bind(id)
    .fetch_optional(db)
    .await
}

/// Published articles a reader may see, newest first; one category or all.
pub async fn published(
    db: impl PgExecutor<'_>,
    visible: &[&str],
    category: Option<CategoryId>,
    limit: i64,
) -> Result<Vec<SummaryRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SUMMARY_SELECT}{FROM}
         WHERE a.status = 'published' AND a.visibility = ANY($1)
           AND ($2::uuid IS NULL OR a.category_id = $2)
         ORDER BY a.published_at DESC NULLS LAST, a.title LIMIT $3"
    ))
    .bind(visible)
    .bind(category)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// Every article, for editors, with how often each spared a ticket.
pub async fn for_editors(
    db: impl PgExecutor<'_>,
    query: &str,
    status: Option<ArticleStatus>,
) -> Result<Vec<SummaryRow>, sqlx::Error> {
    let mut qb = QueryBuilder::<Postgres>::new(format!(
        "{SUMMARY_SELECT}, (SELECT count(*) FROM kb_deflection d WHERE d.article_id = a.id
                            AND d.outcome = 'ticket_abandoned') AS tickets_abandoned{FROM} WHERE true"
    ));
    if let Some(s) = status {
        qb.push(" AND a.status = ").push_bind(s.as_str());
    }
    let q = query.trim();
    if !q.is_empty() {
        qb.push(" AND (a.search @@ websearch_to_tsquery('english', ")
            .push_bind(q.to_string())
            .push(") OR a.title ILIKE ")
            .push_bind(format!("%{}%", q.replace(['%', '_', '\\'], "")))
            .push(")");
    }
    qb.push(" ORDER BY a.updated_at DESC LIMIT 500");
    qb.build_query_as().fetch_all(db).await
}

/// Articles sharing a tag or the category with this one, the most tags shared first.
pub async fn related(
    db: impl PgExecutor<'_>,
    id: ArticleId,
    tags: &[String],
    category: Option<CategoryId>,
    visible: &[&str],
) -> Result<Vec<SummaryRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SUMMARY_SELECT}{FROM}
         WHERE a.id <> $1 AND a.status = 'published' AND a.visibility = ANY($4)
           AND (a.tags && $2 OR ($3::uuid IS NOT NULL AND a.category_id = $3))
         ORDER BY cardinality(ARRAY(SELECT unnest(a.tags) INTERSECT SELECT unnest($2::text[]))) DESC,
                  a.view_count DESC, a.title
         LIMIT 5"
    ))
    .bind(id)
    .bind(tags)
    .bind(category)
    .bind(visible)
    .fetch_all(db)
    .await
}

#[derive(sqlx::FromRow)]
pub struct HitRow {
    pub slug: String,
    pub title: String,
    pub category_name: Option<String>,
    pub headline: String,
    pub rank: f32,
}

/// Ranked search. `tsquery` is `websearch` (the search box) or `prefix` (typed so far);
/// snippets are cut only for the rows returned.
/// Articles whose title or tags match are always ranked; of those matching in the body only,
/// the newest this many are.
pub const HEAD_CANDIDATES: i64 = 200;
pub const BODY_CANDIDATES: i64 = 50;
/// Snippets are cut from the start of the body (ts_headline parses all it is given).
pub const SNIPPET_SOURCE_CHARS: i64 = 2000;

pub async fn search(
    db: impl PgExecutor<'_>,
    query: &str,
    prefix: bool,
    visible: &[&str],
    limit: i64,
) -> Result<Vec<HitRow>, sqlx::Error> {
    let parse = if prefix {
        "to_tsquery"
    } else {
        "websearch_to_tsquery"
    };
    // Bounded work however common the words: title and tag matches (ranked on their small
    // vector) plus the newest body matches are the candidates; only they are ranked with the
    // whole document. Not a prepared statement: each search is planned with its own words,
    // so PostgreSQL can tell a rare word (use the index) from a common one (walk by date).
    let query_text = format!(
        "WITH cand AS (
           (SELECT a.id FROM kb_article a
            WHERE a.search_head @@ {parse}('english', $1) AND a.status = 'published'
              AND a.visibility = ANY($2)
            ORDER BY ts_rank(a.search_head, {parse}('english', $1)) DESC LIMIT {HEAD_CANDIDATES})
           UNION
           (SELECT a.id FROM kb_article a
            WHERE a.search @@ {parse}('english', $1) AND a.status = 'published'
              AND a.visibility = ANY($2)
            ORDER BY a.published_at DESC NULLS LAST LIMIT {BODY_CANDIDATES})),
         top AS (
           SELECT a.id, ts_rank_cd(a.search, {parse}('english', $1), 32) AS rank
           FROM cand JOIN kb_article a ON a.id = cand.id
           ORDER BY rank DESC, a.view_count DESC
           LIMIT $3)
         SELECT a.slug, a.title, c.name AS category_name,
                ts_headline('english', left(a.body_text, {SNIPPET_SOURCE_CHARS}), {parse}('english', $1), $4) AS headline, top.rank
         FROM top JOIN kb_article a ON a.id = top.id
         LEFT JOIN kb_category c ON c.id = a.category_id
         ORDER BY top.rank DESC, a.view_count DESC"
    );
    sqlx::query_as(&query_text)
        .persistent(false)
    .bind(query)
    .bind(visible)
    .bind(limit)
    .bind(format!(
        "StartSel={}, StopSel={}, MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=\" … \"",
        super::rules::MARK_START,
        super::rules::MARK_END
    ))
    .fetch_all(db)
    .await
}

pub async fn categories(
    db: impl PgExecutor<'_>,
    visible: &[&str],
    editors: bool,
) -> Result<Vec<ArticleCategory>, sqlx::Error> {
    // Counted apart, then joined: readers' counts come from an index alone.
    let counted = if editors {
        "SELECT category_id, count(*) AS n FROM kb_article
         WHERE cardinality($1::text[]) >= 0 GROUP BY category_id"
    } else {
        "SELECT category_id, count(*) AS n FROM kb_article
         WHERE status = 'published' AND visibility = ANY($1) GROUP BY category_id"
    };
    let rows: Vec<(CategoryId, String, i64)> = sqlx::query_as(&format!(
        "SELECT c.id, c.name, coalesce(n.n, 0) FROM kb_category c
         LEFT JOIN ({counted}) n ON n.category_id = c.id
         ORDER BY c.position, c.name"
    ))
    .bind(visible)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, article_count)| ArticleCategory {
            id,
            name,
            article_count,
        })
        .collect())
}

pub async fn revisions(
    db: impl PgExecutor<'_>,
    id: ArticleId,
) -> Result<Vec<ArticleRevision>, sqlx::Error> {
    // version, title, status, visibility, editor, when
    type RevisionRow = (i32, String, String, String, Option<String>, DateTime<Utc>);
    let rows: Vec<RevisionRow> = sqlx::query_as(
        "SELECT r.version, r.title, r.status, r.visibility, u.display_name, r.edited_at
         FROM kb_article_revision r LEFT JOIN app_user u ON u.id = r.edited_by
         WHERE r.article_id = $1 ORDER BY r.version DESC",
    )
    .bind(id)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(version, title, status, visibility, edited_by, edited_at)| ArticleRevision {
                version,
                title,
                status: ArticleStatus::parse(&status).unwrap_or(ArticleStatus::Draft),
                visibility: ArticleVisibility::parse(&visibility)
                    .unwrap_or(ArticleVisibility::Staff),
                edited_by,
                edited_at,
            },
        )
        .collect())
}

/// Keeps the article as it now stands as its current version's revision.
pub async fn keep_revision(
    db: impl PgExecutor<'_>,
    id: ArticleId,
    by: Option<UserId>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO kb_article_revision
           (article_id, version, title, tags, visibility, status, body_markdown, edited_by)
         SELECT id, version, title, tags, visibility, status, body_markdown, $2
         FROM kb_article WHERE id = $1",
    )
    .bind(id)
    .bind(by)
    .execute(db)
    .await?;
    Ok(())
}

/// The slug itself if free, else the first free `slug-2`, `slug-3`, …
pub async fn free_slug(db: impl PgExecutor<'_>, slug: &str) -> Result<String, sqlx::Error> {
    let taken: Vec<String> = sqlx::query_scalar(
        "SELECT slug FROM kb_article WHERE slug = $1 OR slug ~ ('^' || $1 || '-[0-9]+$')",
    )
    .bind(slug)
    .fetch_all(db)
    .await?;
    if !taken.iter().any(|t| t == slug) {
        return Ok(slug.to_string());
    }
    Ok((2..)
        .map(|n| format!("{slug}-{n}"))
        .find(|s| !taken.contains(s))
        .unwrap_or_else(|| format!("{slug}-{}", uuid::Uuid::new_v4().simple())))
}
