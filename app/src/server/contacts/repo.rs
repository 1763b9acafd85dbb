//! SQL for contacts and their addresses.

use super::rules::ValidContact;
use crate::types::{
    AccountId, AccountType, Contact, ContactFilter, ContactId, ContactSort, PortalAccess,
    RecordStatus, SortDir,
};
use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgConnection, PgExecutor, Postgres, QueryBuilder};

#[derive(FromRow)]
struct ContactRow {
    id: ContactId,
    account_id: AccountId,
    account_name: String,
    first_name: String,
    last_name: String,
    title: Option<String>,
    role: Option<String>,
    status: String,
    linkedin_url: Option<String>,
    holiday_card: bool,
    emails: Vec<String>,
    phones: Vec<String>,
    account_type: String,
    account_status: String,
    portal_access: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<ContactRow> for Contact {
    fn from(r: ContactRow) -> Self {
        Contact {
            id: r.id,
            account_id: r.account_id,
            account_name: r.account_name,
            first_name: r.first_name,
            last_name: r.last_name,
            title: r.title,
            role: r.role,
            status: RecordStatus::parse(&r.status).unwrap_or(RecordStatus::Active),
            linkedin_url: r.linkedin_url,
            holiday_card: r.holiday_card,
            emails: r.emails,
            phones: r.phones,
            account_type: AccountType::parse(&r.account_type).unwrap_or(AccountType::Prospect),
            account_status: RecordStatus::parse(&r.account_status).unwrap_or(RecordStatus::Active),
            portal_access: match r.portal_access.as_str() {
                "invited" => PortalAccess::Invited,
                "active" => PortalAccess::Active,
                "disabled" => PortalAccess::Disabled,
                _ => PortalAccess::None,
            },
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

const SELECT: &str = "SELECT c.id, c.account_id, a.name AS account_name, c.first_name, c.last_name, c.title,
        c.role, c.status, c.linkedin_url, c.holiday_card, a.account_type, a.status AS account_status,
        coalesce((SELECT array_agg(e.email ORDER BY e.position) FROM contact_email e WHERE e.contact_id = c.id),
                 '{}') AS emails,
        c.phones,
        CASE WHEN u.id IS NULL THEN 'none' WHEN NOT u.is_active THEN 'disabled'
             WHEN u.password_hash IS NULL THEN 'invited' ELSE 'active' END AS portal_access,
        c.created_at, c.updated_at
     FROM contact c
     JOIN account a ON a.id = c.account_id
     LEFT JOIN app_user u ON u.contact_id = c.id";

pub async fn find(db: impl PgExecutor<'_>, id: ContactId) -> Result<Option<Contact>, sqlx::Error> {
    let row: Option<ContactRow> = sqlx::query_as(&format!("{SELECT} WHERE c.id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await?;
    Ok(row.map(Contact::from))
}

pub async fn for_account(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
) -> Result<Vec<Contact>, sqlx::Error> {
    let rows: Vec<ContactRow> = sqlx::query_as(&format!(
        "{SELECT} WHERE c.account_id = $1 ORDER BY lower(c.last_name), lower(c.first_name), c.id LIMIT 200"
    ))
    .bind(account_id)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(Contact::from).collect())
}

fn push_filters(
    qb: &mut QueryBuilder<'_, Postgres>,
    filter: &ContactFilter,
    scope: Option<&[AccountId]>,
) {
    qb.push(" WHERE true");
    if let Some(scope) = scope {
        qb.push(" AND c.account_id = ANY(")
            .push_bind(scope.iter().map(|a| a.0).collect::<Vec<_>>())
            .push(")");
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = format!("%{}%", crate::server::accounts::repo::escape_like(q));
        qb.push(" AND ((c.first_name || ' ' || c.last_name) ILIKE ")
            .push_bind(pattern.clone())
            .push(" OR EXISTS (SELECT 1 FROM contact_email e WHERE e.contact_id = c.id AND e.email ILIKE ")
            .push_bind(pattern)
            .push("))");
    }
    if let Some(a) = filter.account_id {
        qb.push(" AND c.account_id = ").push_bind(a);
    }
    if let Some(s) = filter.status {
        qb.push(" AND c.status = ").push_bind(s.as_str());
    }
}

/// One page for the console and the total: see `accounts::repo::list_page`.
pub async fn list_page(
    db: &sqlx::PgPool,
    filter: &ContactFilter,
    scope: Option<&[AccountId]>,
    page: u32,
    per_page: u32,
) -> Result<(Vec<Contact>, i64), sqlx::Error> {
    let mut count = QueryBuilder::new("SELECT count(*) FROM contact c");
    push_filters(&mut count, filter, scope);
    let total: i64 = count.build_query_scalar().fetch_one(db).await?;

    let mut qb = QueryBuilder::new(SELECT);
    push_filters(&mut qb, filter, scope);
    let dir = match filter.dir.unwrap_or_default() {
        SortDir::Asc => "ASC",
        SortDir::Desc => "DESC",
    };
    let order = match filter.sort.unwrap_or(ContactSort::Name) {
        ContactSort::Name => {
            format!("lower(c.last_name) {dir}, lower(c.first_name) {dir}, c.id {dir}")
        }
        ContactSort::Account => format!("lower(a.name) {dir}, lower(c.last_name), c.id"),
        ContactSort::Created => format!("c.created_at {dir}, c.id {dir}"),
    };
    qb.push(format!(" ORDER BY {order} LIMIT "))
        .push_bind(i64::from(per_page))
        .push(" OFFSET ")
        .push_bind(i64::from(page.saturating_sub(1)) * i64::from(per_page));
    let rows: Vec<ContactRow> = qb.build_query_as().fetch_all(db).await?;
    Ok((rows.into_iter().map(Contact::from).collect(), total))
}

pub async fn list_after(
    db: impl PgExecutor<'_>,
    filter: &ContactFilter,
    scope: Option<&[AccountId]>,
    after: Option<(DateTime<Utc>, ContactId)>,
    limit: u32,
) -> Result<Vec<Contact>, sqlx::Error> {
    let mut qb = QueryBuilder::new(SELECT);
    push_filters(&mut qb, filter, scope);
    if let Some((at, id)) = after {
        qb.push(" AND (c.created_at, c.id) > (")
            .push_bind(at)
            .push(", ")
            .push_bind(id)
            .push(")");
    }
    qb.push(" ORDER BY c.created_at, c.id LIMIT ")
        .push_bind(i64::from(limit));
    let rows: Vec<ContactRow> = qb.build_query_as().fetch_all(db).await?;
    Ok(rows.into_iter().map(Contact::from).collect())
}

async fn replace_emails(
    tx: &mut PgConnection,
    id: ContactId,
    emails: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM contact_email WHERE contact_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if !emails.is_empty() {
        let positions: Vec<i32> = (0..emails.len() as i32).collect();
        sqlx::query(
            "INSERT INTO contact_email (contact_id, position, email)
             SELECT $1, p, e FROM unnest($2::int[], $3::text[]) AS t(p, e)",
        )
        .bind(id)
        .bind(&positions)
        .bind(emails)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

pub async fn insert(
    tx: &mut PgConnection,
    id: ContactId,
    c: &ValidContact,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO contact (id, account_id, first_name, last_name, title, role, status, linkedin_url, phones,
            holiday_card)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(id)
    .bind(c.account_id)
    .bind(&c.first_name)
    .bind(&c.last_name)
    .bind(&c.title)
    .bind(&c.role)
    .bind(c.status.as_str())
    .bind(&c.linkedin_url)
    .bind(&c.phones)
    .bind(c.holiday_card)
    .execute(&mut *tx)
    .await?;
    replace_emails(tx, id, &c.emails).await
}

pub async fn update(
    tx: &mut PgConnection,
    id: ContactId,
    c: &ValidContact,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE contact SET account_id = $2, first_name = $3, last_name = $4, title = $5, role = $6,
            status = $7, linkedin_url = $8, phones = $9, holiday_card = $10
         WHERE id = $1",
    )
    .bind(id)
    .bind(c.account_id)
    .bind(&c.first_name)
    .bind(&c.last_name)
    .bind(&c.title)
    .bind(&c.role)
    .bind(c.status.as_str())
    .bind(&c.linkedin_url)
    .bind(&c.phones)
    .bind(c.holiday_card)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    replace_emails(tx, id, &c.emails).await?;
    Ok(true)
}

pub async fn delete(db: impl PgExecutor<'_>, id: ContactId) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM contact WHERE id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}
