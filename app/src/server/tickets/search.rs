//! Full-text search over tickets: subject, description, replies and, for staff, internal notes.
//!
//! The text lives in `ticket_search_entry`, one row per ticket text or message, partitioned by
//! the week it was written, each week with its own GIN index and a block-range index on the
//! time (migration 0014). A search walks back from now in growing steps (the last day, then 2,
//! 4, 8, 16 and 32 days before, then the rest in two halves read at once), applying the
//! caller's scope and the dashboard's filters in each step, and stops once it holds a pool of
//! `POOL` matching tickets, or as many as the page asked for needs. Each step reads at most
//! `STEP_CAP` matching entries. The pool is then ordered by relevance (`ts_rank`, best entry
//! per ticket: subject over description over replies) or by the chosen sort; pages are offsets
//! into it.
//!
//! So a broad search ("printer jams": 98,573 matches among a million tickets) ranks the best of
//! its newest matches after reading the last day, instead of fetching and ranking them all, and
//! a narrow one reads each week's small index about once. What a user gets for a broad search
//! is the best matches among the most recent ones, which is what a support desk looks for;
//! more words or filters reach older tickets.

use super::repo::{self, ListScope};
use crate::types::{TicketFilter, TicketId, TicketSort, TicketSummary, TicketView};
use chrono::{DateTime, Duration, Utc};
use sqlx::{PgConnection, PgExecutor, PgPool, Postgres, QueryBuilder};
use std::collections::HashMap;

/// The fewest matching tickets a search ranks before it stops reading older text.
pub const POOL: usize = 200;

/// The most matching entries one step reads (more for deep pages): a day of a broad search's
/// matches can be thousands, and the pool needs only a few hundred tickets.
pub const STEP_CAP: usize = 1_000;

/// Days back from now where each of the first steps ends; the first begins at now and runs
/// open-ended into the future (clocks differ).
const STEP_ENDS_IN_DAYS: [i64; 6] = [1, 3, 7, 15, 31, 63];

/// Where the rest is cut in two, to be read on two connections at once: a narrow search reads
/// everything, and the older half of a year's history is as much as the newer.
const TAIL_SPLIT_DAYS: i64 = 63 + 182;

/// A stretch of time a step reads: `from` inclusive, `to` exclusive; `None` is open.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// The steps a search reads, newest first, and the two halves of the rest, read together.
/// Together they cover all time, without overlap.
pub fn windows(now: DateTime<Utc>) -> (Vec<Window>, [Window; 2]) {
    let mut steps = Vec::new();
    let mut to = None;
    for days in STEP_ENDS_IN_DAYS {
        let from = Some(now - Duration::days(days));
        steps.push(Window { from, to });
        to = from;
    }
    let split = Some(now - Duration::days(TAIL_SPLIT_DAYS));
    let tail = [
        Window { from: split, to },
        Window {
            from: None,
            to: split,
        },
    ];
    (steps, tail)
}

/// What the search needs of the dashboard's list call.
pub struct SearchPage<'a> {
    pub q: &'a str,
    pub filter: &'a TicketFilter,
    pub scope: &'a ListScope<'a>,
    pub view: TicketView,
    pub sort: TicketSort,
    pub offset: i64,
    pub limit: u32,
}

/// Matching tickets with their best rank so far.
type Pool = HashMap<TicketId, f64>;

fn add(pool: &mut Pool, found: Vec<(TicketId, f32)>) {
    for (id, rank) in found {
        let rank = f64::from(rank);
        let best = pool.entry(id).or_insert(rank);
        *best = best.max(rank);
    }
}

/// One page of matching tickets; one row more than `limit` when there is a next page.
pub async fn page(db: &PgPool, p: &SearchPage<'_>) -> Result<Vec<TicketSummary>, sqlx::Error> {
    let wanted = usize::try_from(p.offset + i64::from(p.limit) + 1).unwrap_or(usize::MAX);
    let pool_size = wanted.max(POOL);
    let cap = STEP_CAP.max(pool_size.saturating_mul(4));
    // The dashboard's filters without the words: the words are matched against the entries.
    let filter = TicketFilter {
        q: None,
        ..p.filter.clone()
    };
    let mut tx = planned(db).await?;
    let mut pool = Pool::new();
    // "#1042" (or "1042") is also the ticket with that number, ranked first.
    if let Ok(number) = p.q.trim_start_matches('#').parse::<i64>() {
        if let Some(id) = by_number(&mut tx, &filter, p.scope, p.view, number).await? {
            pool.insert(id, f64::MAX);
        }
    }
    let (steps, tail) = windows(Utc::now());
    for window in steps {
        add(&mut pool, step(&mut tx, p, &filter, window, cap).await?);
        if pool.len() >= pool_size {
            break;
        }
    }
    if pool.len() < pool_size {
        let mut other = planned(db).await?;
        let (newer, older) = tokio::try_join!(
            step(&mut tx, p, &filter, tail[0], cap),
            step(&mut other, p, &filter, tail[1], cap),
        )?;
        other.commit().await?;
        add(&mut pool, newer);
        add(&mut pool, older);
    }
    let items = if pool.is_empty() {
        Vec::new()
    } else {
        let (ids, ranks): (Vec<TicketId>, Vec<f64>) = pool.into_iter().unzip();
        ordered(&mut *tx, &ids, &ranks, p.sort, p.offset, p.limit).await?
    };
    tx.commit().await?;
    Ok(items)
}

/// A read-only transaction whose plans keep to the indexes: a search's steps have a LIMIT, and
/// from the words' statistics PostgreSQL may expect matches early and choose to scan a week
/// row by row, which for words that never meet reads the whole week; parallel workers each
/// open every week's partition and cost more than they save here.
async fn planned(db: &PgPool) -> Result<sqlx::Transaction<'static, Postgres>, sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query(
        "SELECT set_config('enable_seqscan', 'off', true),
                set_config('max_parallel_workers_per_gather', '0', true)",
    )
    .execute(&mut *tx)
    .await?;
    Ok(tx)
}

/// Tickets with an entry in `window` that matches the words, with that entry's rank; at most
/// `cap` entries.
async fn step(
    conn: &mut PgConnection,
    p: &SearchPage<'_>,
    filter: &TicketFilter,
    window: Window,
    cap: usize,
) -> Result<Vec<(TicketId, f32)>, sqlx::Error> {
    let mut qb = QueryBuilder::<Postgres>::new(
        "SELECT e.ticket_id, ts_rank(e.search, query) FROM plainto_tsquery('simple', ",
    );
    qb.push_bind(p.q.to_string())
        .push(") query, ticket_search_entry e JOIN ticket t ON t.id = e.ticket_id");
    repo::push_filters(&mut qb, filter, p.scope, p.view);
    qb.push(" AND e.search @@ query AND (NOT e.internal OR ")
        .push_bind(p.scope.staff)
        .push(")");
    // Bounds as plain comparisons, so that PostgreSQL reads only the weeks in the window.
    if let Some(from) = window.from {
        qb.push(" AND e.created_at >= ").push_bind(from);
    }
    if let Some(to) = window.to {
        qb.push(" AND e.created_at < ").push_bind(to);
    }
    qb.push(" LIMIT ")
        .push_bind(i64::try_from(cap).unwrap_or(i64::MAX));
    qb.build_query_as().fetch_all(&mut *conn).await
}

async fn by_number(
    conn: &mut PgConnection,
    filter: &TicketFilter,
    scope: &ListScope<'_>,
    view: TicketView,
    number: i64,
) -> Result<Option<TicketId>, sqlx::Error> {
    let mut qb = QueryBuilder::<Postgres>::new("SELECT t.id FROM ticket t");
    repo::push_filters(&mut qb, filter, scope, view);
    qb.push(" AND t.number = ").push_bind(number);
    qb.build_query_scalar().fetch_optional(&mut *conn).await
}

/// The pool in the page's order, from `offset`, `limit + 1` rows.
async fn ordered(
    db: impl PgExecutor<'_>,
    ids: &[TicketId],
    ranks: &[f64],
    sort: TicketSort,
    offset: i64,
    limit: u32,
) -> Result<Vec<TicketSummary>, sqlx::Error> {
    let order = match sort {
        TicketSort::Relevance => "pool.rank DESC, t.updated_at DESC, t.id DESC",
        TicketSort::Updated => "t.updated_at DESC, t.id DESC",
        TicketSort::Created => "t.created_at DESC, t.id DESC",
        TicketSort::Due => "t.resolution_due, t.id",
        TicketSort::Priority => {
            "array_position(ARRAY['urgent','high','medium','low'], t.priority), t.resolution_due, t.id"
        }
    };
    repo::summaries_in_pool(db, ids, ranks, order, offset, i64::from(limit) + 1).await
}

/// Makes the search's weeks: the weeks ahead of now, and the weeks of rows that landed in the
/// default partition (tickets imported with old dates). One week per transaction, so that
/// moving rows out of the default partition never holds ticket writes for long. The worker
/// calls it hourly; it returns how many weeks it made.
pub async fn add_weeks(db: &PgPool, weeks_ahead: i32) -> Result<i32, sqlx::Error> {
    let mut made = 0;
    loop {
        let n: i32 = sqlx::query_scalar(
            "SELECT ticket_search_add_weeks(
                least(now(), (SELECT min(created_at) FROM ticket_search_entry_default)),
                now() + make_interval(weeks => $1), 1)",
        )
        .bind(weeks_ahead)
        .fetch_one(db)
        .await?;
        if n == 0 {
            return Ok(made);
        }
        made += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn windows_cover_all_time_newest_first_without_overlap() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 18, 30, 0).unwrap();
        let (steps, tail) = windows(now);
        assert_eq!(steps[0].to, None, "the first step runs into the future");
        assert_eq!(steps[0].from, Some(now - Duration::days(1)));
        let all: Vec<Window> = steps.iter().chain(tail.iter()).copied().collect();
        for pair in all.windows(2) {
            assert_eq!(
                pair[0].from, pair[1].to,
                "each window ends where the next begins"
            );
        }
        assert_eq!(
            all.last().and_then(|w| w.from),
            None,
            "the last reaches back to the start"
        );
        assert_eq!(tail[0].to, Some(now - Duration::days(63)));
    }
}
