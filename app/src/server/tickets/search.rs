//! Full-text search over tickets: subject, description, replies and, for staff, internal notes.
//!
//! The text lives in `ticket_search_entry`, one row per ticket text or message, partitioned by
//! the week it was written, each week with its own GIN index and a block-range index on the
//! time (migration 0014). A search is one statement: a `UNION ALL` of the same match over
//! growing stretches of time, newest first (the last day, then 2, 4, 8, 16 and 32 days before,
//! then 182, then everything older), under one `LIMIT`. PostgreSQL runs the branches in order
//! and stops pulling rows once the limit is reached, so a broad search ("printer jams": 98,573
//! matches among a million tickets) reads the last day's matches and stops, instead of fetching
//! and ranking them all, while a narrow one reads every week's small index once in a single
//! round trip. The caller's scope and the dashboard's filters apply inside each branch. The
//! limit is `ENTRIES_PER_TICKET` entries for each ticket of the pool (at least `POOL` tickets,
//! or as many as the page needs); the tickets found are then ordered by relevance (`ts_rank`,
//! best entry per ticket: subject over description over replies) or by the chosen sort, and
//! pages are offsets into that pool.
//!
//! What a user gets for a broad search is the best matches among the most recent ones, which is
//! what a support desk looks for; more words or filters reach older tickets.

use super::repo::{self, ListScope};
use crate::types::{TicketFilter, TicketId, TicketSort, TicketSummary, TicketView};
use chrono::{DateTime, Duration, Utc};
use sqlx::{PgConnection, PgExecutor, PgPool, Postgres, QueryBuilder};
use std::collections::HashMap;

/// The fewest matching tickets a search ranks before it stops reading older text.
pub const POOL: usize = 200;

/// Matching entries read for each ticket the pool needs: a ticket often matches in its text and
/// in a reply or two.
pub const ENTRIES_PER_TICKET: usize = 3;

/// Days back from now where each stretch ends; the first begins at now and runs open-ended into
/// the future (clocks differ), the last reaches back to the beginning.
const STRETCH_ENDS_IN_DAYS: [i64; 7] = [1, 3, 7, 15, 31, 63, 245];

/// A stretch of time a branch reads: `from` inclusive, `to` exclusive; `None` is open.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// The stretches a search reads, newest first; together they cover all time, without overlap.
pub fn windows(now: DateTime<Utc>) -> Vec<Window> {
    let mut out = Vec::new();
    let mut to = None;
    for days in STRETCH_ENDS_IN_DAYS {
        let from = Some(now - Duration::days(days));
        out.push(Window { from, to });
        to = from;
    }
    out.push(Window { from: None, to });
    out
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

/// One page of matching tickets; one row more than `limit` when there is a next page.
pub async fn page(db: &PgPool, p: &SearchPage<'_>) -> Result<Vec<TicketSummary>, sqlx::Error> {
    let wanted = usize::try_from(p.offset + i64::from(p.limit) + 1).unwrap_or(usize::MAX);
    let entries = wanted.max(POOL).saturating_mul(ENTRIES_PER_TICKET);
    // The dashboard's filters without the words: the words are matched against the entries.
    let filter = TicketFilter {
        q: None,
        ..p.filter.clone()
    };
    let mut tx = db.begin().await?;
    // With a LIMIT, PostgreSQL may expect matches early from the words' statistics and read a
    // week row by row, which for words that never meet reads every row; parallel workers each
    // open every week's partition, which costs more than it saves here; and planning the
    // branches afresh for each search's times (the first five runs on a connection) took over
    // 100 ms, where the cached generic plan prunes the weeks as it runs.
    // The same round trip splits the words into the lexemes the entries are indexed by.
    let (words,): (Vec<String>,) = sqlx::query_as(
        "SELECT ARRAY(SELECT lexeme FROM unnest(to_tsvector('simple', $1)) ORDER BY lexeme)
         FROM (SELECT set_config('enable_seqscan', 'off', true),
                      set_config('max_parallel_workers_per_gather', '0', true),
                      set_config('plan_cache_mode', 'force_generic_plan', true)) settings",
    )
    .bind(p.q)
    .fetch_one(&mut *tx)
    .await?;
    let mut pool: HashMap<TicketId, f64> = HashMap::new();
    // "#1042" (or "1042") is also the ticket with that number, ranked first.
    if let Ok(number) = p.q.trim_start_matches('#').parse::<i64>() {
        if let Some(id) = by_number(&mut tx, &filter, p.scope, p.view, number).await? {
            pool.insert(id, f64::MAX);
        }
    }
    for (id, rank) in matches(&mut tx, p, &words, &filter, entries).await? {
        let rank = f64::from(rank);
        let best = pool.entry(id).or_insert(rank);
        *best = best.max(rank);
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

/// The newest `limit` matching entries (ticket and rank), stretch by stretch.
///
/// Each word is its own condition on the index: GIN then walks each word's entries in step and
/// checks a single-word condition per candidate, which for two common words that never meet
/// took 27 ms over the bench's six million entries where one condition of all the words, whose
/// check evaluates the whole query for every candidate, took 47 ms. An entry matches when it
/// holds every word (for "wi-fi", the parts too, in any order); the rank is over the query as
/// typed.
async fn matches(
    conn: &mut PgConnection,
    p: &SearchPage<'_>,
    words: &[String],
    filter: &TicketFilter,
    limit: usize,
) -> Result<Vec<(TicketId, f32)>, sqlx::Error> {
    if words.is_empty() {
        return Ok(Vec::new());
    }
    // Only a filtered search needs the ticket row in each branch.
    let filtered = {
        let mut probe = QueryBuilder::<Postgres>::new("");
        repo::push_filters(&mut probe, filter, p.scope, p.view);
        probe.sql() != NO_FILTERS
    };
    let mut qb = QueryBuilder::<Postgres>::new("SELECT ticket_id, rank FROM (");
    for (i, window) in windows(Utc::now()).into_iter().enumerate() {
        if i > 0 {
            qb.push(" UNION ALL ");
        }
        qb.push(
            "(SELECT e.ticket_id, ts_rank(e.search, query) AS rank FROM plainto_tsquery('simple', ",
        )
        .push_bind(p.q.to_string())
        .push(") query, ticket_search_entry e");
        if filtered {
            qb.push(" JOIN ticket t ON t.id = e.ticket_id");
            repo::push_filters(&mut qb, filter, p.scope, p.view);
        } else {
            qb.push(NO_FILTERS);
        }
        for word in words {
            qb.push(" AND e.search @@ ")
                .push_bind(tsquery_literal(word))
                .push("::tsquery");
        }
        qb.push(" AND (NOT e.internal OR ")
            .push_bind(p.scope.staff)
            .push(")");
        // Bounds as plain comparisons, so that PostgreSQL reads only the weeks in the stretch.
        if let Some(from) = window.from {
            qb.push(" AND e.created_at >= ").push_bind(from);
        }
        if let Some(to) = window.to {
            qb.push(" AND e.created_at < ").push_bind(to);
        }
        qb.push(")");
    }
    qb.push(") newest_first LIMIT ")
        .push_bind(i64::try_from(limit).unwrap_or(i64::MAX));
    qb.build_query_as().fetch_all(&mut *conn).await
}

/// What `repo::push_filters` writes when nothing narrows the tickets.
const NO_FILTERS: &str = " WHERE true";

/// A lexeme as a one-word `tsquery` in its input syntax: quoted, so that no character in it is
/// read as an operator, and taken as it is (the entries' lexemes are not normalized again).
fn tsquery_literal(lexeme: &str) -> String {
    format!("'{}'", lexeme.replace('\\', "\\\\").replace('\'', "''"))
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

/// Makes new tickets' subjects and descriptions searchable (`arrivals`, in the worker: a new
/// ticket is findable by its text one round after it is raised). Tickets that already have
/// their entry are skipped, so following an event twice writes nothing twice.
pub async fn index_new_tickets(
    tx: &mut PgConnection,
    arrivals: &[super::arrivals::Arrival],
) -> Result<i32, sqlx::Error> {
    if arrivals.is_empty() {
        return Ok(0);
    }
    sqlx::query_scalar("SELECT ticket_search_add_tickets($1)")
        .bind(arrivals.iter().map(|a| a.ticket.0).collect::<Vec<_>>())
        .fetch_one(&mut *tx)
        .await
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
        let w = windows(now);
        assert_eq!(w[0].to, None, "the first stretch runs into the future");
        assert_eq!(w[0].from, Some(now - Duration::days(1)));
        for pair in w.windows(2) {
            assert_eq!(
                pair[0].from, pair[1].to,
                "each stretch ends where the next begins"
            );
            assert!(
                pair[1].to < pair[0].to || pair[0].to.is_none(),
                "newest first"
            );
        }
        assert_eq!(
            w.last().and_then(|w| w.from),
            None,
            "the last reaches back to the start"
        );
    }
}
