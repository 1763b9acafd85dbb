//! Knowledge-base verbs: read, search, suggest, vote, edit, publish.

use super::{repo, rules};
use crate::server::auth::{Caller, Permission};
use crate::server::ServiceError;
use crate::types::{
    Article, ArticleCategory, ArticleEditor, ArticleHit, ArticleId, ArticleInput, ArticleStatus,
    ArticleSummary, CategoryId, KnowledgeBaseHome,
};
use sqlx::PgPool;
use uuid::Uuid;

/// The visibilities a caller may read: anonymous visitors the public articles, clients
/// also the clients-only ones, staff everything.
pub fn visible_to(caller: &Caller) -> &'static [&'static str] {
    match caller {
        Caller::Anonymous => &["public"],
        Caller::Client(_) => &["public", "clients"],
        Caller::Staff(_) | Caller::System => &["public", "clients", "staff"],
    }
}

fn hit(row: repo::HitRow) -> ArticleHit {
    ArticleHit {
        slug: row.slug,
        title: row.title,
        category_name: row.category_name,
        snippet: rules::snippet_parts(&row.headline),
        rank: row.rank,
    }
}

fn from_db(err: sqlx::Error) -> ServiceError {
    if let sqlx::Error::Database(db) = &err {
        match db.constraint() {
            Some("kb_article_slug_key") => {
                return ServiceError::field("slug", "is already used by another article")
            }
            Some("kb_article_category_id_fkey") => {
                return ServiceError::field("category_id", "no longer exists")
            }
            Some("kb_category_name_key") => {
                return ServiceError::field("name", "is already a category")
            }
            _ => {}
        }
    }
    ServiceError::Database(err)
}

/// The front page: categories, then either search results or the newest articles.
pub async fn home(
    db: &PgPool,
    caller: &Caller,
    query: &str,
    category: Option<CategoryId>,
) -> Result<KnowledgeBaseHome, ServiceError> {
    let visible = visible_to(caller);
    let query = query.trim();
    let categories = repo::categories(db, visible, false).await?;
    let (articles, hits) = if query.is_empty() {
        let rows = repo::published(db, visible, category, 100).await?;
        (
            rows.into_iter().map(repo::SummaryRow::summary).collect(),
            vec![],
        )
    } else {
        (vec![], search(db, caller, query).await?)
    };
    Ok(KnowledgeBaseHome {
        categories,
        articles,
        hits,
        query: query.to_string(),
    })
}

/// Ranked full-text search over what the caller may read, with highlighted snippets.
pub async fn search(
    db: &PgPool,
    caller: &Caller,
    query: &str,
) -> Result<Vec<ArticleHit>, ServiceError> {
    let query = query.trim();
    if query.is_empty() {
        return Ok(vec![]);
    }
    if query.chars().count() > 200 {
        return Err(ServiceError::field("q", "must be at most 200 characters"));
    }
    let rows = repo::search(db, query, false, visible_to(caller), 20).await?;
    Ok(rows.into_iter().map(hit).collect())
}

/// Suggestions for the ticket form while the subject is typed (deflection): signed-in
/// readers only, since the form is.
pub async fn suggest(
    db: &PgPool,
    caller: &Caller,
    subject: &str,
) -> Result<Vec<ArticleHit>, ServiceError> {
    caller.require_signed_in()?;
    let subject: String = subject.chars().take(200).collect();
    let Some(query) = rules::prefix_query(&subject) else {
        return Ok(vec![]);
    };
    let rows = repo::search(db, &query, true, visible_to(caller), 5).await?;
    Ok(rows.into_iter().map(hit).collect())
}

/// An article to read. Drafts and archived articles reach editors only; anything the
/// caller may not read is "not found", never "forbidden", so its existence stays private.
/// A reading counts as a view. `suggested_for` is the ticket subject a client was typing
/// when the article was suggested: the opening is recorded.
pub async fn read(
    db: &PgPool,
    caller: &Caller,
    slug: &str,
    suggested_for: Option<&str>,
) -> Result<Article, ServiceError> {
    let row = repo::by_slug(db, slug)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let visible = visible_to(caller);
    let editor = caller.can(Permission::WriteKnowledge);
    let published = row.summary.status_is(ArticleStatus::Published);
    if !row.summary.visible_in(visible) || !(published || editor) {
        return Err(ServiceError::NotFound);
    }
    let summary = row.summary.summary();
    if published {
        sqlx::query("UPDATE kb_article SET view_count = view_count + 1 WHERE id = $1")
            .bind(summary.id)
            .execute(db)
            .await?;
    }
    if let (Some(subject), Caller::Client(client)) = (suggested_for, caller) {
        record_deflection(db, summary.id, client, subject, "opened").await?;
    }
    let related = repo::related(db, summary.id, &summary.tags, summary.category_id, visible)
        .await?
        .into_iter()
        .map(repo::SummaryRow::summary)
        .collect();
    Ok(Article {
        summary,
        // Readers get the sanitised HTML only; the source is for editors.
        body_markdown: if editor {
            row.body_markdown
        } else {
            String::new()
        },
        body_html: row.body_html,
        version: row.version,
        related,
        can_edit: editor,
    })
}

async fn record_deflection(
    db: &PgPool,
    article: ArticleId,
    client: &crate::server::auth::ClientCaller,
    subject: &str,
    outcome: &str,
) -> Result<(), ServiceError> {
    let subject: String = subject.trim().chars().take(200).collect();
    sqlx::query(
        "INSERT INTO kb_deflection (id, article_id, user_id, account_id, subject, outcome)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(Uuid::new_v4())
    .bind(article)
    .bind(client.user_id)
    .bind(client.account_id)
    .bind(subject)
    .bind(outcome)
    .execute(db)
    .await?;
    Ok(())
}

/// A client says the suggested article answered them: the ticket they were writing is
/// not needed. Recorded for the knowledge base's deflection figures.
pub async fn ticket_abandoned(
    db: &PgPool,
    caller: &Caller,
    slug: &str,
    subject: &str,
) -> Result<(), ServiceError> {
    let client = caller.client()?;
    let row = repo::by_slug(db, slug)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if !row.summary.status_is(ArticleStatus::Published)
        || !row.summary.visible_in(visible_to(caller))
    {
        return Err(ServiceError::NotFound);
    }
    let id = row.summary.summary().id;
    record_deflection(db, id, client, subject, "ticket_abandoned").await
}

/// "Was this helpful?": one vote per reader and article (a changed mind replaces it).
/// Signed-in readers vote as themselves, anonymous ones with their browser's token.
/// Returns the article's new (yes, no) counts.
pub async fn vote(
    db: &PgPool,
    caller: &Caller,
    slug: &str,
    helpful: bool,
    reader: Option<Uuid>,
) -> Result<(i32, i32), ServiceError> {
    let row = repo::by_slug(db, slug)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if !row.summary.status_is(ArticleStatus::Published)
        || !row.summary.visible_in(visible_to(caller))
    {
        return Err(ServiceError::NotFound);
    }
    let voter = match (caller.user_id(), reader) {
        (Some(user), _) => format!("user:{user}"),
        (None, Some(token)) => format!("reader:{token}"),
        (None, None) => return Err(ServiceError::field("reader", "is required to vote")),
    };
    let id = row.summary.summary().id;
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO kb_vote (article_id, voter, helpful) VALUES ($1, $2, $3)
         ON CONFLICT (article_id, voter) DO UPDATE SET helpful = EXCLUDED.helpful, voted_at = now()",
    )
    .bind(id)
    .bind(&voter)
    .bind(helpful)
    .execute(&mut *tx)
    .await?;
    let counts: (i32, i32) = sqlx::query_as(
        "UPDATE kb_article SET
           helpful_yes = (SELECT count(*) FROM kb_vote WHERE article_id = $1 AND helpful),
           helpful_no = (SELECT count(*) FROM kb_vote WHERE article_id = $1 AND NOT helpful)
         WHERE id = $1 RETURNING helpful_yes, helpful_no",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(counts)
}

/// The console's list: every article, any status, with deflection counts.
pub async fn list_for_editors(
    db: &PgPool,
    caller: &Caller,
    query: &str,
    status: Option<ArticleStatus>,
) -> Result<Vec<ArticleSummary>, ServiceError> {
    caller.staff(Permission::ReadKnowledge)?;
    if query.chars().count() > 200 {
        return Err(ServiceError::field("q", "must be at most 200 characters"));
    }
    Ok(repo::for_editors(db, query, status)
        .await?
        .into_iter()
        .map(repo::SummaryRow::summary)
        .collect())
}

/// What the editor page needs: the article (none for a new one), categories, history.
pub async fn editor(
    db: &PgPool,
    caller: &Caller,
    id: Option<ArticleId>,
) -> Result<ArticleEditor, ServiceError> {
    caller.staff(Permission::WriteKnowledge)?;
    let categories = repo::categories(db, visible_to(caller), true).await?;
    let Some(id) = id else {
        return Ok(ArticleEditor {
            article: None,
            categories,
            history: vec![],
        });
    };
    let row = repo::by_id(db, id).await?.ok_or(ServiceError::NotFound)?;
    let history = repo::revisions(db, id).await?;
    Ok(ArticleEditor {
        article: Some(Article {
            summary: row.summary.summary(),
            body_markdown: row.body_markdown,
            body_html: row.body_html,
            version: row.version,
            related: vec![],
            can_edit: true,
        }),
        categories,
        history,
    })
}

/// Creates (`id` None) or updates an article and leaves it in `status`; each save is a new
/// version kept in the history. Returns the article's id and slug.
pub async fn save(
    db: &PgPool,
    caller: &Caller,
    id: Option<ArticleId>,
    input: &ArticleInput,
    status: ArticleStatus,
) -> Result<(ArticleId, String), ServiceError> {
    let who = caller.staff(Permission::WriteKnowledge)?;
    let valid = rules::validate(input)?;
    let body = rules::render(&valid.body);
    let mut tx = db.begin().await?;
    let (id, slug) = match id {
        None => {
            let slug = match valid.slug {
                Some(s) => s,
                None => repo::free_slug(&mut *tx, &rules::slugify(&valid.title)).await?,
            };
            let id = ArticleId::new();
            sqlx::query(
                "INSERT INTO kb_article (id, slug, title, category_id, tags, visibility, status,
                   body_markdown, body_html, body_text, published_at, created_by, updated_by)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
                   CASE WHEN $7 = 'published' THEN now() END, $11, $11)",
            )
            .bind(id)
            .bind(&slug)
            .bind(&valid.title)
            .bind(valid.category_id)
            .bind(&valid.tags)
            .bind(valid.visibility.as_str())
            .bind(status.as_str())
            .bind(&valid.body)
            .bind(&body.html)
            .bind(&body.text)
            .bind(who.user_id)
            .execute(&mut *tx)
            .await
            .map_err(from_db)?;
            (id, slug)
        }
        Some(id) => {
            let slug: Option<String> = sqlx::query_scalar(
                "UPDATE kb_article SET slug = coalesce($2, slug), title = $3, category_id = $4,
                   tags = $5, visibility = $6, status = $7, body_markdown = $8, body_html = $9,
                   body_text = $10, version = version + 1, updated_by = $11, updated_at = now(),
                   published_at = CASE WHEN $7 = 'published' THEN coalesce(published_at, now())
                                       ELSE published_at END
                 WHERE id = $1 RETURNING slug",
            )
            .bind(id)
            .bind(valid.slug.as_deref())
            .bind(&valid.title)
            .bind(valid.category_id)
            .bind(&valid.tags)
            .bind(valid.visibility.as_str())
            .bind(status.as_str())
            .bind(&valid.body)
            .bind(&body.html)
            .bind(&body.text)
            .bind(who.user_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(from_db)?;
            (id, slug.ok_or(ServiceError::NotFound)?)
        }
    };
    repo::keep_revision(&mut *tx, id, who.user_id).await?;
    tx.commit().await?;
    tracing::info!(article_id = %id, %slug, status = status.as_str(), "knowledge-base article saved");
    Ok((id, slug))
}

/// Publishes, unpublishes (back to draft) or archives an article as it stands.
pub async fn set_status(
    db: &PgPool,
    caller: &Caller,
    id: ArticleId,
    status: ArticleStatus,
) -> Result<(), ServiceError> {
    let who = caller.staff(Permission::WriteKnowledge)?;
    let mut tx = db.begin().await?;
    let done = sqlx::query(
        "UPDATE kb_article SET status = $2, version = version + 1, updated_by = $3,
           updated_at = now(),
           published_at = CASE WHEN $2 = 'published' THEN coalesce(published_at, now())
                               ELSE published_at END
         WHERE id = $1 AND status <> $2",
    )
    .bind(id)
    .bind(status.as_str())
    .bind(who.user_id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM kb_article WHERE id = $1)")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
        return if exists {
            Ok(())
        } else {
            Err(ServiceError::NotFound)
        };
    }
    repo::keep_revision(&mut *tx, id, who.user_id).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn save_category(
    db: &PgPool,
    caller: &Caller,
    id: Option<CategoryId>,
    name: &str,
) -> Result<CategoryId, ServiceError> {
    caller.staff(Permission::WriteKnowledge)?;
    let name = name.trim();
    if name.is_empty() {
        return Err(ServiceError::field("name", "is required"));
    }
    if name.chars().count() > 100 {
        return Err(ServiceError::field(
            "name",
            "must be at most 100 characters",
        ));
    }
    match id {
        None => {
            let id = CategoryId::new();
            sqlx::query(
                "INSERT INTO kb_category (id, name, position)
                 VALUES ($1, $2, (SELECT coalesce(max(position), 0) + 1 FROM kb_category))",
            )
            .bind(id)
            .bind(name)
            .execute(db)
            .await
            .map_err(from_db)?;
            Ok(id)
        }
        Some(id) => {
            let done = sqlx::query("UPDATE kb_category SET name = $2 WHERE id = $1")
                .bind(id)
                .bind(name)
                .execute(db)
                .await
                .map_err(from_db)?;
            if done.rows_affected() == 0 {
                return Err(ServiceError::NotFound);
            }
            Ok(id)
        }
    }
}

/// Removes a category; its articles stay, uncategorised.
pub async fn delete_category(
    db: &PgPool,
    caller: &Caller,
    id: CategoryId,
) -> Result<(), ServiceError> {
    caller.staff(Permission::WriteKnowledge)?;
    let done = sqlx::query("DELETE FROM kb_category WHERE id = $1")
        .bind(id)
        .execute(db)
        .await?;
    if done.rows_affected() == 0 {
        return Err(ServiceError::NotFound);
    }
    Ok(())
}

/// Categories with the articles the caller may read.
pub async fn categories(
    db: &PgPool,
    caller: &Caller,
) -> Result<Vec<ArticleCategory>, ServiceError> {
    Ok(repo::categories(db, visible_to(caller), false).await?)
}
