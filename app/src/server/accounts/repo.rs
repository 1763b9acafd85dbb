//! SQL for accounts. Functions take an executor so services can compose them in a transaction.

use super::rules::ValidAccount;
use crate::types::{
    Account, AccountFilter, AccountId, AccountRef, AccountSort, AccountSubtype, AccountType,
    RecordStatus, SortDir, UserId,
};
use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgExecutor, Postgres, QueryBuilder};

#[derive(FromRow)]
pub struct AccountRow {
    id: AccountId,
    name: String,
    account_type: String,
    subtype: Option<String>,
    status: String,
    parent_id: Option<AccountId>,
    parent_name: Option<String>,
    location_count: Option<i32>,
    accounting_id: Option<String>,
    owner_id: Option<UserId>,
    owner_name: Option<String>,
    industry: Option<String>,
    website: Option<String>,
    phone: Option<String>,
    city: Option<String>,
    country: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<AccountRow> for Account {
    fn from(r: AccountRow) -> Self {
        Account {
            id: r.id,
            name: r.name,
            // The CHECK constraints guarantee these parse; the fallbacks are never taken.
            account_type: AccountType::parse(&r.account_type).unwrap_or(AccountType::Prospect),
            subtype: r.subtype.as_deref().and_then(AccountSubtype::parse),
            status: RecordStatus::parse(&r.status).unwrap_or(RecordStatus::Active),
            parent_id: r.parent_id,
            parent_name: r.parent_name,
            location_count: r.location_count,
            accounting_id: r.accounting_id,
            owner_id: r.owner_id,
            owner_name: r.owner_name,
            industry: r.industry,
            website: r.website,
            phone: r.phone,
            city: r.city,
            country: r.country,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

const SELECT: &str =
    "SELECT a.id, a.name, a.account_type, a.subtype, a.status, a.parent_id, p.name AS parent_name,
        a.location_count, a.accounting_id, a.owner_id, u.display_name AS owner_name, a.industry, a.website, a.phone,
        a.city, a.country, a.created_at, a.updated_at
     FROM account a
     LEFT JOIN account p ON p.id = a.parent_id
     LEFT JOIN app_user u ON u.id = a.owner_id";

pub async fn find(db: impl PgExecutor<'_>, id: AccountId) -> Result<Option<Account>, sqlx::Error> {
    let row: Option<AccountRow> = sqlx::query_as(&format!("{SELECT} WHERE a.id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await?;
    Ok(row.map(Account::from))
}

pub async fn exists(db: impl PgExecutor<'_>, id: AccountId) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM account WHERE id = $1)")
        .bind(id)
        .fetch_one(db)
        .await
}

/// The account and all its descendant locations: a client's reach.
pub async fn subtree(
    db: impl PgExecutor<'_>,
    root: AccountId,
) -> Result<Vec<AccountId>, sqlx::Error> {
    sqlx::query_scalar(
        "WITH RECURSIVE t(id) AS (
            SELECT id FROM account WHERE id = $1
            UNION SELECT a.id FROM account a JOIN t ON a.parent_id = t.id)
         SELECT id FROM t",
    )
    .bind(root)
    .fetch_all(db)
    .await
}

/// Whether `candidate` is `id` or one of its descendants (so it cannot become its parent).
pub async fn is_in_subtree(
    db: impl PgExecutor<'_>,
    id: AccountId,
    candidate: AccountId,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "WITH RECURSIVE t(id) AS (
            SELECT id FROM account WHERE id = $1
            UNION SELECT a.id FROM account a JOIN t ON a.parent_id = t.id)
         SELECT EXISTS (SELECT 1 FROM t WHERE id = $2)",
    )
    .bind(id)
    .bind(candidate)
    .fetch_one(db)
    .await
}

pub async fn locations(
    db: impl PgExecutor<'_>,
    parent: AccountId,
) -> Result<Vec<AccountRef>, sqlx::Error> {
    let rows: Vec<(AccountId, String, Option<String>, String)> = sqlx::query_as(
        "SELECT id, name, city, status FROM account WHERE parent_id = $1 ORDER BY lower(name), id",
    )
    .bind(parent)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, city, status)| AccountRef {
            id,
            name,
            city,
            status: RecordStatus::parse(&status).unwrap_or(RecordStatus::Active),
        })
        .collect())
}

fn push_filters(
    qb: &mut QueryBuilder<'_, Postgres>,
    filter: &AccountFilter,
    scope: Option<&[AccountId]>,
) {
    qb.push(" WHERE true");
    if let Some(scope) = scope {
        qb.push(" AND a.id = ANY(")
            .push_bind(scope.iter().map(|a| a.0).collect::<Vec<_>>())
            .push(")");
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = format!("%{}%", escape_like(q));
        qb.push(" AND (a.name ILIKE ")
            .push_bind(pattern.clone())
            .push(" OR a.accounting_id ILIKE ")
            .push_bind(pattern.clone())
            .push(" OR a.city ILIKE ")
            .push_bind(pattern)
            .push(")");
    }
    if let Some(t) = filter.account_type {
        qb.push(" AND a.account_type = ").push_bind(t.as_str());
    }
    if let Some(s) = filter.status {
        qb.push(" AND a.status = ").push_bind(s.as_str());
    }
    if let Some(o) = filter.owner_id {
        qb.push(" AND a.owner_id = ").push_bind(o);
    }
    if let Some(p) = filter.parent_id {
        qb.push(" AND a.parent_id = ").push_bind(p);
    }
}

pub fn escape_like(q: &str) -> String {
    q.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// One page for the console, with the total number of matches. Two queries: the page
/// walks the sort index and stops after `per_page` rows; the count reads no joined columns.
pub async fn list_page(
    db: &sqlx::PgPool,
    filter: &AccountFilter,
    scope: Option<&[AccountId]>,
    page: u32,
    per_page: u32,
) -> Result<(Vec<Account>, i64), sqlx::Error> {
    let mut count = QueryBuilder::new("SELECT count(*) FROM account a");
    push_filters(&mut count, filter, scope);
    let total: i64 = count.build_query_scalar().fetch_one(db).await?;

    let mut qb = QueryBuilder::new(SELECT);
    push_filters(&mut qb, filter, scope);
    let dir = match filter.dir.unwrap_or_default() {
        SortDir::Asc => "ASC",
        SortDir::Desc => "DESC",
    };
    let order = match filter.sort.unwrap_or(AccountSort::Name) {
        AccountSort::Name => format!("lower(a.name) {dir}, a.id {dir}"),
        AccountSort::Type => format!("a.account_type {dir}, lower(a.name), a.id"),
        AccountSort::City => format!("a.city {dir} NULLS LAST, lower(a.name), a.id"),
        AccountSort::Created => format!("a.created_at {dir}, a.id {dir}"),
        AccountSort::Updated => format!("a.updated_at {dir}, a.id {dir}"),
    };
    qb.push(format!(" ORDER BY {order} LIMIT "))
        .push_bind(i64::from(per_page))
        .push(" OFFSET ")
        .push_bind(i64::from(page.saturating_sub(1)) * i64::from(per_page));
    let rows: Vec<AccountRow> = qb.build_query_as().fetch_all(db).await?;
    Ok((rows.into_iter().map(Account::from).collect(), total))
}

/// Keyset page for the REST API, ordered by creation: stable under concurrent inserts.
pub async fn list_after(
    db: impl PgExecutor<'_>,
    filter: &AccountFilter,
    scope: Option<&[AccountId]>,
    after: Option<(DateTime<Utc>, AccountId)>,
    limit: u32,
) -> Result<Vec<Account>, sqlx::Error> {
    let mut qb = QueryBuilder::new(SELECT);
    push_filters(&mut qb, filter, scope);
    if let Some((at, id)) = after {
        qb.push(" AND (a.created_at, a.id) > (")
            .push_bind(at)
            .push(", ")
            .push_bind(id)
            .push(")");
    }
    qb.push(" ORDER BY a.created_at, a.id LIMIT ")
        .push_bind(i64::from(limit));
    let rows: Vec<AccountRow> = qb.build_query_as().fetch_all(db).await?;
    Ok(rows.into_iter().map(Account::from).collect())
}

pub async fn insert(
    db: impl PgExecutor<'_>,
    id: AccountId,
    a: &ValidAccount,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO account (id, name, account_type, status, parent_id, accounting_id, owner_id,
            industry, website, phone, city, country, subtype, location_count)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(id)
    .bind(&a.name)
    .bind(a.account_type.as_str())
    .bind(a.status.as_str())
    .bind(a.parent_id)
    .bind(&a.accounting_id)
    .bind(a.owner_id)
    .bind(&a.industry)
    .bind(&a.website)
    .bind(&a.phone)
    .bind(&a.city)
    .bind(&a.country)
    .bind(a.subtype.map(AccountSubtype::as_str))
    .bind(a.location_count)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn update(
    db: impl PgExecutor<'_>,
    id: AccountId,
    a: &ValidAccount,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE account SET name = $2, account_type = $3, status = $4, parent_id = $5, accounting_id = $6,
            owner_id = $7, industry = $8, website = $9, phone = $10, city = $11, country = $12,
            subtype = $13, location_count = $14
         WHERE id = $1",
    )
    .bind(id)
    .bind(&a.name)
    .bind(a.account_type.as_str())
    .bind(a.status.as_str())
    .bind(a.parent_id)
    .bind(&a.accounting_id)
    .bind(a.owner_id)
    .bind(&a.industry)
    .bind(&a.website)
    .bind(&a.phone)
    .bind(&a.city)
    .bind(&a.country)
    .bind(a.subtype.map(AccountSubtype::as_str))
    .bind(a.location_count)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn delete(db: impl PgExecutor<'_>, id: AccountId) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM account WHERE id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn is_staff_user(db: impl PgExecutor<'_>, id: UserId) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM app_user WHERE id = $1 AND kind = 'staff')")
        .bind(id)
        .fetch_one(db)
        .await
}
