//! Computing, storing and reading account health. Recomputation is set-based: the signals of
//! a batch of accounts come from one query, the arithmetic runs in `rules`, and the results go
//! back with one statement per table. Parents are rolled up after their locations.

use super::rules::{self, Signals};
use crate::server::auth::{Caller, Permission};
use crate::server::error::Checks;
use crate::server::notifications::{self, Notice};
use crate::server::{AppState, ServiceError};
use crate::types::{
    AccountHealth, AccountId, HealthBand, HealthBoard, HealthFactor, HealthFilter, HealthPoint,
    HealthRow, HealthSettings, UserId,
};
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use std::collections::HashMap;

/// Accounts recomputed per statement batch.
pub const BATCH: usize = 2000;

pub async fn settings(db: &mut PgConnection) -> Result<HealthSettings, sqlx::Error> {
    let row: (i32, i32, i32, i32, i32, i32, i32, i32) = sqlx::query_as(
        "SELECT weight_tickets, weight_csat, weight_nps, weight_onboarding, weight_activity,
                weight_payments, healthy_from, attention_from FROM health_settings",
    )
    .fetch_one(&mut *db)
    .await?;
    Ok(HealthSettings {
        weight_tickets: row.0,
        weight_csat: row.1,
        weight_nps: row.2,
        weight_onboarding: row.3,
        weight_activity: row.4,
        weight_payments: row.5,
        healthy_from: row.6,
        attention_from: row.7,
    })
}

type SignalRow = (
    AccountId,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    Option<i32>,
    i64,
    Option<DateTime<Utc>>,
    bool,
    i64,
);

/// The measurements of a batch of accounts, in one query.
async fn signals(
    db: &mut PgConnection,
    ids: &[AccountId],
) -> Result<Vec<(AccountId, Signals, i64)>, sqlx::Error> {
    let rows: Vec<SignalRow> = sqlx::query_as(
        "SELECT a.id,
            (SELECT count(*) FROM ticket t WHERE t.account_id = a.id AND t.status NOT IN ('resolved', 'closed')),
            (SELECT count(*) FROM ticket t WHERE t.account_id = a.id AND t.sla_state = 'breached'
                AND t.created_at > now() - interval '90 days'),
            s.csat, s.satisfied, s.nps, s.promoters, s.detractors,
            (SELECT (100 * o.steps_done / greatest(o.step_count, 1))::int FROM onboarding o
                WHERE o.account_id = a.id AND o.status = 'running'),
            (SELECT count(*) FROM onboarding o JOIN onboarding_step st ON st.onboarding_id = o.id
                WHERE o.account_id = a.id AND o.status = 'running' AND st.status = 'open' AND st.due_on < current_date),
            greatest(
                (SELECT max(u.last_login_at) FROM contact c JOIN app_user u ON u.contact_id = c.id WHERE c.account_id = a.id),
                (SELECT max(ch.last_message_at) FROM chat_conversation ch WHERE ch.account_id = a.id),
                (SELECT max(t.created_at) FROM ticket t WHERE t.account_id = a.id
                    AND t.channel IN ('portal', 'email', 'web_form', 'chat'))),
            EXISTS (SELECT 1 FROM contact c JOIN app_user u ON u.contact_id = c.id WHERE c.account_id = a.id),
            (SELECT count(*) FROM ticket t WHERE t.account_id = a.id AND t.created_at > now() - interval '90 days')
         FROM account a
         CROSS JOIN LATERAL (
            SELECT count(*) FILTER (WHERE r.kind = 'csat' AND r.answered_at > now() - interval '90 days') AS csat,
                   count(*) FILTER (WHERE r.kind = 'csat' AND r.score >= 4 AND r.answered_at > now() - interval '90 days') AS satisfied,
                   count(*) FILTER (WHERE r.kind = 'nps') AS nps,
                   count(*) FILTER (WHERE r.kind = 'nps' AND r.score >= 9) AS promoters,
                   count(*) FILTER (WHERE r.kind = 'nps' AND r.score <= 6) AS detractors
            FROM survey_request r
            WHERE r.account_id = a.id AND r.answered_at > now() - interval '180 days') s
         WHERE a.id = ANY($1)",
    )
    .bind(ids)
    .fetch_all(&mut *db)
    .await?;
    let now = Utc::now();
    Ok(rows
        .into_iter()
        .map(|r| {
            let days = r.10.map(|at| (now - at).num_days().max(0));
            (
                r.0,
                Signals {
                    open_tickets: r.1,
                    breached_90d: r.2,
                    csat_answers_90d: r.3,
                    csat_satisfied_90d: r.4,
                    nps_answers_180d: r.5,
                    promoters_180d: r.6,
                    detractors_180d: r.7,
                    onboarding_progress: r.8,
                    onboarding_overdue: r.9,
                    days_since_activity: days,
                    has_client_channel: r.11 || r.10.is_some(),
                },
                r.12,
            )
        })
        .collect())
}

/// What a recompute did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Recomputed {
    pub accounts: usize,
    pub band_changes: usize,
}

/// Recomputes these accounts (and the parents they roll up into), in the caller's transaction,
/// and alerts for every band that changed.
pub async fn recompute(
    tx: &mut PgConnection,
    state: &AppState,
    ids: &[AccountId],
) -> Result<Recomputed, ServiceError> {
    recompute_with(tx, state, ids, true).await
}

async fn recompute_with(
    tx: &mut PgConnection,
    state: &AppState,
    ids: &[AccountId],
    alerts: bool,
) -> Result<Recomputed, ServiceError> {
    if ids.is_empty() {
        return Ok(Recomputed::default());
    }
    let settings = settings(tx).await?;
    // The parents whose roll-up these accounts change, and accounts that are parents.
    let parents: Vec<AccountId> = sqlx::query_scalar(
        "SELECT DISTINCT parent_id FROM account WHERE id = ANY($1) AND parent_id IS NOT NULL
         UNION SELECT DISTINCT parent_id FROM account WHERE parent_id = ANY($1)",
    )
    .bind(ids)
    .fetch_all(&mut *tx)
    .await?;
    let mut touched: Vec<AccountId> = ids.to_vec();
    touched.extend(parents.iter().copied());
    touched.sort_by_key(|a| a.0);
    touched.dedup();
    let before: HashMap<AccountId, Option<String>> =
        sqlx::query_as::<_, (AccountId, Option<String>)>(
            "SELECT account_id, band FROM account_health WHERE account_id = ANY($1)",
        )
        .bind(&touched)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .collect();

    // Own scores of the accounts asked for.
    let measured = signals(tx, ids).await?;
    let mut accts = Vec::with_capacity(measured.len());
    let mut scores = Vec::with_capacity(measured.len());
    let mut bands = Vec::with_capacity(measured.len());
    let mut factors = Vec::with_capacity(measured.len());
    let mut tickets = Vec::with_capacity(measured.len());
    for (id, signals, tickets_90d) in &measured {
        let (score, explained) = rules::score(&settings, signals);
        accts.push(*id);
        scores.push(score);
        bands.push(rules::band(&settings, score).map(|b| b.as_str().to_string()));
        factors.push(
            serde_json::to_value(&explained).map_err(|e| ServiceError::Internal(e.to_string()))?,
        );
        tickets.push(*tickets_90d as i32);
    }
    sqlx::query(
        "INSERT INTO account_health (account_id, score, own_score, band, factors, tickets_90d, is_customer,
                computed_at, band_since)
         SELECT x.a, x.s, x.s, x.b, x.f, x.t, acc.account_type = 'customer', now(), now()
         FROM unnest($1::uuid[], $2::smallint[], $3::text[], $4::jsonb[], $5::int[]) AS x(a, s, b, f, t)
         JOIN account acc ON acc.id = x.a
         ON CONFLICT (account_id) DO UPDATE SET score = excluded.score, own_score = excluded.own_score,
            band = excluded.band, factors = excluded.factors, tickets_90d = excluded.tickets_90d,
            is_customer = excluded.is_customer, computed_at = now(),
            band_since = CASE WHEN account_health.band IS DISTINCT FROM excluded.band THEN now()
                              ELSE account_health.band_since END",
    )
    .bind(&accts)
    .bind(&scores)
    .bind(&bands)
    .bind(&factors)
    .bind(&tickets)
    .execute(&mut *tx)
    .await?;

    // Roll-up: each parent's own score with its direct locations' scores.
    if !parents.is_empty() {
        let parts: Vec<(AccountId, Option<i16>, i32)> = sqlx::query_as(
            "SELECT p.id, h.own_score, coalesce(h.tickets_90d, 0) FROM account p
                 LEFT JOIN account_health h ON h.account_id = p.id WHERE p.id = ANY($1)
             UNION ALL
             SELECT c.parent_id, h.score, coalesce(h.tickets_90d, 0) FROM account c
                 LEFT JOIN account_health h ON h.account_id = c.id WHERE c.parent_id = ANY($1)",
        )
        .bind(&parents)
        .fetch_all(&mut *tx)
        .await?;
        let mut by_parent: HashMap<AccountId, Vec<(Option<i16>, i64)>> = HashMap::new();
        for (parent, score, t) in parts {
            by_parent
                .entry(parent)
                .or_default()
                .push((score, i64::from(t)));
        }
        let (ps, ss, bs): (Vec<AccountId>, Vec<Option<i16>>, Vec<Option<String>>) = by_parent
            .into_iter()
            .map(|(p, parts)| {
                let s = rules::roll_up(&parts);
                (
                    p,
                    s,
                    rules::band(&settings, s).map(|b| b.as_str().to_string()),
                )
            })
            .fold((vec![], vec![], vec![]), |mut acc, (p, s, b)| {
                acc.0.push(p);
                acc.1.push(s);
                acc.2.push(b);
                acc
            });
        sqlx::query(
            "INSERT INTO account_health (account_id, score, band, is_customer, computed_at, band_since)
             SELECT x.a, x.s, x.b, acc.account_type = 'customer', now(), now()
             FROM unnest($1::uuid[], $2::smallint[], $3::text[]) AS x(a, s, b) JOIN account acc ON acc.id = x.a
             ON CONFLICT (account_id) DO UPDATE SET score = excluded.score, band = excluded.band,
                band_since = CASE WHEN account_health.band IS DISTINCT FROM excluded.band THEN now()
                                  ELSE account_health.band_since END",
        )
        .bind(&ps)
        .bind(&ss)
        .bind(&bs)
        .execute(&mut *tx)
        .await?;
    }

    // Today's snapshot, and an alert for each band that changed.
    sqlx::query(
        "INSERT INTO account_health_snapshot (account_id, day, score, band, factors)
         SELECT account_id, current_date, score, band, factors FROM account_health WHERE account_id = ANY($1)
         ON CONFLICT (account_id, day) DO UPDATE SET score = excluded.score, band = excluded.band,
            factors = excluded.factors",
    )
    .bind(&touched)
    .execute(&mut *tx)
    .await?;
    let after: Vec<(AccountId, Option<String>, Option<i16>, String)> = sqlx::query_as(
        "SELECT h.account_id, h.band, h.score, a.name FROM account_health h JOIN account a ON a.id = h.account_id
         WHERE h.account_id = ANY($1)",
    )
    .bind(&touched)
    .fetch_all(&mut *tx)
    .await?;
    let mut band_changes = 0;
    if !alerts {
        return Ok(Recomputed {
            accounts: touched.len(),
            band_changes,
        });
    }
    for (account, band, score, name) in after {
        let Some(Some(previous)) = before.get(&account) else {
            continue; // A first score is not a change.
        };
        if band.as_deref() == Some(previous.as_str()) {
            continue;
        }
        let (Some(band), Some(previous)) = (
            band.as_deref().and_then(HealthBand::parse),
            HealthBand::parse(previous),
        ) else {
            continue;
        };
        band_changes += alert_band_change(tx, state, account, &name, previous, band, score).await?;
    }
    Ok(Recomputed {
        accounts: touched.len(),
        band_changes,
    })
}

/// Tells the account owner and the support managers that an account changed band, once per
/// account, band and day (the notification's idempotency key).
async fn alert_band_change(
    tx: &mut PgConnection,
    state: &AppState,
    account: AccountId,
    name: &str,
    from: HealthBand,
    to: HealthBand,
    score: Option<i16>,
) -> Result<usize, ServiceError> {
    let people: Vec<(UserId, String)> = sqlx::query_as(
        "SELECT u.id, u.email FROM app_user u WHERE u.is_active AND (
             u.id = (SELECT owner_id FROM account WHERE id = $1) OR u.role = 'support_manager')",
    )
    .bind(account)
    .fetch_all(&mut *tx)
    .await?;
    let title = format!(
        "{name} is now {} (health {}, was {})",
        to.label().to_lowercase(),
        score.map(|s| s.to_string()).unwrap_or_else(|| "—".into()),
        from.label().to_lowercase()
    );
    let link = format!("/console/accounts/{}", account.0);
    let mut sent = 0;
    for (user, _) in people {
        let key = format!(
            "health:{}:{}:{}:{}",
            account.0,
            Utc::now().date_naive(),
            to.as_str(),
            user.0
        );
        let notice = Notice {
            user,
            title: &title,
            link: &link,
            key: Some(&key),
        };
        if notifications::notify(tx, state, &notice).await? {
            sent += 1;
        }
    }
    tracing::info!(account = %account.0, from = from.as_str(), to = to.as_str(), "health band changed");
    Ok(usize::from(sent > 0))
}

/// Marks these accounts' scores stale for the worker's next recompute (`process_queue`); an
/// account already waiting keeps its place. In the accounts' order, so that two transactions
/// marking the same accounts queue rather than deadlock.
pub async fn mark_stale(db: &mut PgConnection, accounts: &[AccountId]) -> Result<(), sqlx::Error> {
    if accounts.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO health_recompute (account_id)
         SELECT DISTINCT a FROM unnest($1::uuid[]) AS a ORDER BY a ON CONFLICT DO NOTHING",
    )
    .bind(accounts.iter().map(|a| a.0).collect::<Vec<_>>())
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// Takes up to `limit` accounts marked stale and recomputes them. The queue rows are deleted in
/// the same transaction: a crash leaves them for the next round; SKIP LOCKED keeps two workers
/// apart.
pub async fn process_queue(state: &AppState, limit: i64) -> Result<Recomputed, ServiceError> {
    let mut tx = state.db.begin().await?;
    let ids: Vec<AccountId> = sqlx::query_scalar(
        "DELETE FROM health_recompute WHERE account_id IN (
             SELECT account_id FROM health_recompute ORDER BY queued_at LIMIT $1 FOR UPDATE SKIP LOCKED)
         RETURNING account_id",
    )
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    let done = recompute(&mut tx, state, &ids).await?;
    tx.commit().await?;
    Ok(done)
}

/// Every account, in batches of `BATCH` (each its own transaction): the nightly run, and the
/// benchmark. A parent and its locations may fall in different batches, so a parent's band can
/// move twice within the run; alerts therefore compare each account's band at the end of the
/// run with its band at the start. Returns the accounts and band changes.
pub async fn recompute_all(state: &AppState) -> Result<Recomputed, ServiceError> {
    let start: HashMap<AccountId, String> = sqlx::query_as::<_, (AccountId, String)>(
        "SELECT account_id, band FROM account_health WHERE band IS NOT NULL",
    )
    .fetch_all(&state.db)
    .await?
    .into_iter()
    .collect();
    let mut total = Recomputed::default();
    let mut after = uuid::Uuid::nil();
    loop {
        let ids: Vec<AccountId> =
            sqlx::query_scalar("SELECT id FROM account WHERE id > $1 ORDER BY id LIMIT $2")
                .bind(after)
                .bind(BATCH as i64)
                .fetch_all(&state.db)
                .await?;
        let Some(last) = ids.last() else { break };
        after = last.0;
        let mut tx = state.db.begin().await?;
        recompute_with(&mut tx, state, &ids, false).await?;
        tx.commit().await?;
        total.accounts += ids.len();
    }
    let now: Vec<(AccountId, String, Option<i16>, String)> = sqlx::query_as(
        "SELECT h.account_id, h.band, h.score, a.name FROM account_health h
         JOIN account a ON a.id = h.account_id WHERE h.band IS NOT NULL",
    )
    .fetch_all(&state.db)
    .await?;
    let mut tx = state.db.begin().await?;
    for (account, band, score, name) in now {
        let Some(previous) = start.get(&account) else {
            continue;
        };
        if *previous == band {
            continue;
        }
        if let (Some(from), Some(to)) = (HealthBand::parse(previous), HealthBand::parse(&band)) {
            total.band_changes +=
                alert_band_change(&mut tx, state, account, &name, from, to, score).await?;
        }
    }
    tx.commit().await?;
    Ok(total)
}

/// The nightly recompute, claimed for the day by one instance.
pub async fn nightly(state: &AppState) -> Result<Option<Recomputed>, ServiceError> {
    let claimed = sqlx::query(
        "UPDATE health_settings SET last_full_run_on = current_date
         WHERE last_full_run_on IS DISTINCT FROM current_date",
    )
    .execute(&state.db)
    .await?
    .rows_affected();
    if claimed == 0 {
        return Ok(None);
    }
    Ok(Some(recompute_all(state).await?))
}

/// The account page's health section: score, band, factors with their change since last week,
/// and 90 days of history.
pub async fn for_account(
    db: &PgPool,
    caller: &Caller,
    account: AccountId,
) -> Result<AccountHealth, ServiceError> {
    caller.staff(Permission::ReadAccounts)?;
    type Current = (
        Option<i16>,
        Option<String>,
        Option<i16>,
        serde_json::Value,
        DateTime<Utc>,
    );
    let row: Option<Current> =
        sqlx::query_as(
            "SELECT score, band, own_score, factors, computed_at FROM account_health WHERE account_id = $1",
        )
        .bind(account)
        .fetch_optional(db)
        .await?;
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM account WHERE id = $1)")
        .bind(account)
        .fetch_one(db)
        .await?;
    if !exists {
        return Err(ServiceError::NotFound);
    }
    let week_ago: Option<(Option<i16>, serde_json::Value)> = sqlx::query_as(
        "SELECT score, factors FROM account_health_snapshot
         WHERE account_id = $1 AND day <= current_date - 7 ORDER BY day DESC LIMIT 1",
    )
    .bind(account)
    .fetch_optional(db)
    .await?;
    let history: Vec<(chrono::NaiveDate, Option<i16>)> = sqlx::query_as(
        "SELECT day, score FROM account_health_snapshot
         WHERE account_id = $1 AND day > current_date - 90 ORDER BY day",
    )
    .bind(account)
    .fetch_all(db)
    .await?;
    let locations: i64 = sqlx::query_scalar("SELECT count(*) FROM account WHERE parent_id = $1")
        .bind(account)
        .fetch_one(db)
        .await?;
    let (score, band, own_score, factors_json, computed_at) = match row {
        Some((s, b, o, f, at)) => (s, b, o, f, Some(at)),
        None => (None, None, None, serde_json::Value::Array(vec![]), None),
    };
    let mut factors: Vec<HealthFactor> = serde_json::from_value(factors_json).unwrap_or_default();
    if let Some((_, before)) = &week_ago {
        let before: Vec<HealthFactor> = serde_json::from_value(before.clone()).unwrap_or_default();
        rules::compare(&mut factors, &before);
    }
    Ok(AccountHealth {
        account_id: account,
        score,
        band: band.as_deref().and_then(HealthBand::parse),
        own_score,
        locations,
        factors,
        score_last_week: week_ago.and_then(|(s, _)| s),
        computed_at,
        history: history
            .into_iter()
            .map(|(day, score)| HealthPoint { day, score })
            .collect(),
    })
}

pub const BOARD_PAGE: i64 = 50;

/// The health dashboard: at-risk accounts first (lowest score first), then needs attention,
/// then healthy, then those without data (ties by account id); with counts per band.
pub async fn board(
    db: &PgPool,
    caller: &Caller,
    f: &HealthFilter,
    page: u32,
) -> Result<HealthBoard, ServiceError> {
    caller.staff(Permission::ReadAccounts)?;
    let counts: (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE h.band = 'healthy'), count(*) FILTER (WHERE h.band = 'needs_attention'),
                count(*) FILTER (WHERE h.band = 'at_risk'), count(*) FILTER (WHERE h.band IS NULL)
         FROM account_health h
         WHERE h.is_customer
           AND ($1::uuid IS NULL OR EXISTS (SELECT 1 FROM account a WHERE a.id = h.account_id AND a.owner_id = $1))",
    )
    .bind(f.owner_id)
    .fetch_one(db)
    .await?;
    // The page is chosen first; last week's score and the weakest factor are then looked up
    // for its fifty rows only.
    let push_where = |q: &mut QueryBuilder<'_, Postgres>| {
        q.push(" WHERE h.is_customer");
        if let Some(b) = f.band {
            q.push(" AND h.band = ").push_bind(b.as_str());
        }
        if let Some(o) = f.owner_id {
            q.push(" AND a.owner_id = ").push_bind(o);
        }
        if let Some(words) = f.q.as_deref().map(str::trim).filter(|w| !w.is_empty()) {
            q.push(" AND a.name ILIKE ")
                .push_bind(format!("%{}%", words.replace(['%', '_'], "")));
        }
    };
    let total: i64 = match (&f.q, f.band) {
        (Some(q), _) if !q.trim().is_empty() => {
            let mut count: QueryBuilder<Postgres> = QueryBuilder::new(
                "SELECT count(*) FROM account_health h JOIN account a ON a.id = h.account_id",
            );
            push_where(&mut count);
            count.build_query_scalar().fetch_one(db).await?
        }
        (_, Some(HealthBand::Healthy)) => counts.0,
        (_, Some(HealthBand::NeedsAttention)) => counts.1,
        (_, Some(HealthBand::AtRisk)) => counts.2,
        (_, None) => counts.0 + counts.1 + counts.2 + counts.3,
    };
    // Ordered by `account_health_board_idx`: the first page is an index scan, not a sort of
    // every account. (Accounts never computed have no row until the first recompute.)
    let mut q: QueryBuilder<Postgres> = QueryBuilder::new(
        "WITH page AS (
            SELECT a.id, a.name, a.owner_id, h.score, h.band, h.band_since AS since, h.factors,
                   (CASE h.band WHEN 'at_risk' THEN 0 WHEN 'needs_attention' THEN 1 WHEN 'healthy' THEN 2 ELSE 3 END) AS rank
            FROM account_health h JOIN account a ON a.id = h.account_id",
    );
    push_where(&mut q);
    q.push(
        " ORDER BY (CASE h.band WHEN 'at_risk' THEN 0 WHEN 'needs_attention' THEN 1 WHEN 'healthy' THEN 2 ELSE 3 END),
                   h.score, h.account_id LIMIT ",
    );
    q.push_bind(BOARD_PAGE);
    q.push(" OFFSET ").push_bind(i64::from(page) * BOARD_PAGE);
    q.push(
        ")
         SELECT p.id, p.name, p.owner_id, u.display_name, p.score, p.band, p.since,
                (SELECT s.score FROM account_health_snapshot s WHERE s.account_id = p.id AND s.day <= current_date - 7
                 ORDER BY s.day DESC LIMIT 1),
                (SELECT x->>'kind' FROM jsonb_array_elements(p.factors) x
                 WHERE x->>'sub_score' IS NOT NULL
                 ORDER BY (x->>'share_percent')::float * (100 - (x->>'sub_score')::float) DESC LIMIT 1)
         FROM page p LEFT JOIN app_user u ON u.id = p.owner_id
         ORDER BY p.rank, p.score, p.id",
    );
    type Row = (
        AccountId,
        String,
        Option<UserId>,
        Option<String>,
        Option<i16>,
        Option<String>,
        DateTime<Utc>,
        Option<i16>,
        Option<String>,
    );
    let rows: Vec<Row> = q.build_query_as().fetch_all(db).await?;
    Ok(HealthBoard {
        healthy: counts.0,
        needs_attention: counts.1,
        at_risk: counts.2,
        no_data: counts.3,
        total,
        rows: rows
            .into_iter()
            .map(|r| HealthRow {
                account_id: r.0,
                account_name: r.1,
                owner_id: r.2,
                owner_name: r.3,
                score: r.4,
                band: r.5.as_deref().and_then(HealthBand::parse),
                band_since: r.6,
                score_last_week: r.7,
                weakest: r
                    .8
                    .as_deref()
                    .and_then(crate::types::HealthFactorKind::parse)
                    .map(|k| k.label().to_string()),
            })
            .collect(),
    })
}

pub async fn load_settings(db: &PgPool, caller: &Caller) -> Result<HealthSettings, ServiceError> {
    caller.staff(Permission::ManageHealth)?;
    let mut conn = db.acquire().await?;
    Ok(settings(&mut conn).await?)
}

/// Saves weights and thresholds and queues every account for recomputation.
pub async fn save_settings(
    db: &PgPool,
    caller: &Caller,
    s: &HealthSettings,
) -> Result<(), ServiceError> {
    caller.staff(Permission::ManageHealth)?;
    let mut c = Checks::default();
    for (field, v) in [
        ("weight_tickets", s.weight_tickets),
        ("weight_csat", s.weight_csat),
        ("weight_nps", s.weight_nps),
        ("weight_onboarding", s.weight_onboarding),
        ("weight_activity", s.weight_activity),
        ("weight_payments", s.weight_payments),
    ] {
        if !(0..=100).contains(&v) {
            c.add(field, "must be from 0 to 100");
        }
    }
    if s.weight_tickets
        + s.weight_csat
        + s.weight_nps
        + s.weight_onboarding
        + s.weight_activity
        + s.weight_payments
        == 0
    {
        c.add("weight_tickets", "at least one factor needs a weight");
    }
    if !(1..=100).contains(&s.healthy_from) {
        c.add("healthy_from", "must be from 1 to 100");
    }
    if !(0..=99).contains(&s.attention_from) || s.attention_from >= s.healthy_from {
        c.add("attention_from", "must be below the healthy threshold");
    }
    c.finish()?;
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE health_settings SET weight_tickets = $1, weight_csat = $2, weight_nps = $3,
            weight_onboarding = $4, weight_activity = $5, weight_payments = $6, healthy_from = $7,
            attention_from = $8",
    )
    .bind(s.weight_tickets)
    .bind(s.weight_csat)
    .bind(s.weight_nps)
    .bind(s.weight_onboarding)
    .bind(s.weight_activity)
    .bind(s.weight_payments)
    .bind(s.healthy_from)
    .bind(s.attention_from)
    .execute(&mut *tx)
    .await?;
    // New weights change every score: the nightly run is brought forward.
    sqlx::query("UPDATE health_settings SET last_full_run_on = NULL")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
