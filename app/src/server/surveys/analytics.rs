//! Survey analytics: CSAT %, NPS and CES by period, agent, team, ticket type, channel or
//! account, with the trend, the answers behind them (comments searchable) and CSV export.
//! Staff only (`ReadFeedback`). The arithmetic lives in `rules::Counts`; SQL only counts.

use super::rules::Counts;
use crate::server::auth::{Caller, Permission};
use crate::server::ServiceError;
use crate::types::{
    AccountId, ContactId, FeedbackFilter, FeedbackGroup, FeedbackGrouping, FeedbackReport,
    FeedbackResponse, FeedbackScores, SurveyKind, TicketId,
};
use chrono::{Datelike, Duration, NaiveDate, Utc};
use sqlx::{PgPool, Postgres, QueryBuilder};

pub const RESPONSES_PER_PAGE: i64 = 50;
/// CSV exports stop here; narrow the filter for more.
pub const EXPORT_MAX: i64 = 100_000;

const COUNTS: &str = "count(*) FILTER (WHERE r.kind = 'csat'),
    count(*) FILTER (WHERE r.kind = 'csat' AND r.score >= 4),
    count(*) FILTER (WHERE r.kind = 'nps'),
    count(*) FILTER (WHERE r.kind = 'nps' AND r.score >= 9),
    count(*) FILTER (WHERE r.kind = 'nps' AND r.score <= 6),
    count(*) FILTER (WHERE r.kind = 'ces'),
    coalesce(sum(r.score) FILTER (WHERE r.kind = 'ces'), 0)";

type CountRow = (String, String, i64, i64, i64, i64, i64, i64, i64);

fn counts(row: &CountRow) -> Counts {
    Counts {
        csat: row.2,
        csat_satisfied: row.3,
        nps: row.4,
        promoters: row.5,
        detractors: row.6,
        ces: row.7,
        ces_sum: row.8,
    }
}

/// The period a filter covers: the last twelve months unless given.
pub fn period(f: &FeedbackFilter) -> (NaiveDate, NaiveDate) {
    let today = Utc::now().date_naive();
    let to = f.to.unwrap_or(today);
    let from = f.from.unwrap_or_else(|| {
        NaiveDate::from_ymd_opt(to.year() - 1, to.month(), 1).unwrap_or(to - Duration::days(365))
    });
    (from.min(to), to.max(from))
}

/// Appends the filter's conditions (answered answers in the period, and each dimension).
fn push_filter(q: &mut QueryBuilder<'_, Postgres>, f: &FeedbackFilter) {
    let (from, to) = period(f);
    q.push(" WHERE r.answered_at IS NOT NULL AND r.answered_at >= ");
    q.push_bind(from);
    q.push("::date AND r.answered_at < ");
    q.push_bind(to + Duration::days(1));
    q.push("::date");
    if let Some(kind) = f.kind {
        q.push(" AND r.kind = ").push_bind(kind.as_str());
    }
    if let Some(a) = f.agent_id {
        q.push(" AND r.agent_id = ").push_bind(a);
    }
    if let Some(t) = f.team_id {
        q.push(" AND r.team_id = ").push_bind(t);
    }
    if let Some(t) = f.ticket_type.as_deref().filter(|t| !t.is_empty()) {
        q.push(" AND r.ticket_type = ").push_bind(t.to_string());
    }
    if let Some(c) = f.channel.as_deref().filter(|c| !c.is_empty()) {
        q.push(" AND r.channel = ").push_bind(c.to_string());
    }
    if let Some(a) = f.account_id {
        q.push(" AND r.account_id = ").push_bind(a);
    }
    if let Some(s) = f.max_score {
        q.push(" AND r.score <= ").push_bind(s);
    }
    if let Some(words) = f.q.as_deref().map(str::trim).filter(|w| !w.is_empty()) {
        q.push(" AND r.comment IS NOT NULL AND r.comment_search @@ plainto_tsquery('simple', ")
            .push_bind(words.to_string())
            .push(")");
    }
}

/// The grouping's key and label columns, and the joins that name them.
fn grouping_sql(g: FeedbackGrouping) -> (&'static str, &'static str, &'static str) {
    match g {
        FeedbackGrouping::Month => (
            "to_char(date_trunc('month', r.answered_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD')",
            "to_char(min(date_trunc('month', r.answered_at AT TIME ZONE 'UTC')), 'Mon YYYY')",
            "",
        ),
        FeedbackGrouping::Week => (
            "to_char(date_trunc('week', r.answered_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD')",
            "'Week of ' || to_char(min(date_trunc('week', r.answered_at AT TIME ZONE 'UTC')), 'DD Mon YYYY')",
            "",
        ),
        FeedbackGrouping::Agent => (
            "coalesce(r.agent_id::text, '')",
            "coalesce(max(u.display_name), 'No agent')",
            " LEFT JOIN app_user u ON u.id = r.agent_id",
        ),
        FeedbackGrouping::Team => (
            "coalesce(r.team_id::text, '')",
            "coalesce(max(t.name), 'No team')",
            " LEFT JOIN team t ON t.id = r.team_id",
        ),
        FeedbackGrouping::TicketType => (
            "coalesce(r.ticket_type, '')",
            "coalesce(max(tt.label), max(r.ticket_type), 'Not a ticket (NPS)')",
            " LEFT JOIN ticket_type tt ON tt.key = r.ticket_type",
        ),
        FeedbackGrouping::Channel => (
            "coalesce(r.channel, '')",
            "coalesce(max(r.channel), 'No channel (NPS)')",
            "",
        ),
        FeedbackGrouping::Account => (
            "r.account_id::text",
            "max(a.name)",
            " JOIN account a ON a.id = r.account_id",
        ),
    }
}

async fn grouped(
    db: &PgPool,
    f: &FeedbackFilter,
    g: FeedbackGrouping,
    limit: i64,
) -> Result<Vec<(FeedbackGroup, Counts)>, sqlx::Error> {
    let (key, label, joins) = grouping_sql(g);
    let mut q = QueryBuilder::new(format!(
        "SELECT {key} AS k, {label} AS l, {COUNTS} FROM survey_request r{joins}"
    ));
    push_filter(&mut q, f);
    // Periods read oldest first; everything else busiest first.
    let order = match g {
        FeedbackGrouping::Month | FeedbackGrouping::Week => "k",
        _ => "count(*) DESC, k",
    };
    q.push(format!(" GROUP BY k ORDER BY {order} LIMIT "));
    q.push_bind(limit);
    let rows: Vec<CountRow> = q.build_query_as().fetch_all(db).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let c = counts(&row);
            (
                FeedbackGroup {
                    scores: c.scores(),
                    key: row.0,
                    label: row.1,
                },
                c,
            )
        })
        .collect())
}

fn total(groups: &[(FeedbackGroup, Counts)]) -> FeedbackScores {
    let mut t = Counts::default();
    for (_, c) in groups {
        t.csat += c.csat;
        t.csat_satisfied += c.csat_satisfied;
        t.nps += c.nps;
        t.promoters += c.promoters;
        t.detractors += c.detractors;
        t.ces += c.ces;
        t.ces_sum += c.ces_sum;
    }
    t.scores()
}

/// The dimensions the rollup keeps, with the filter value each has in `f`.
fn dimension_filters(f: &FeedbackFilter) -> Vec<(&'static str, String)> {
    let mut dims = Vec::new();
    if let Some(a) = f.agent_id {
        dims.push(("agent", a.0.to_string()));
    }
    if let Some(t) = f.team_id {
        dims.push(("team", t.0.to_string()));
    }
    if let Some(t) = f.ticket_type.as_deref().filter(|t| !t.is_empty()) {
        dims.push(("ticket_type", t.to_string()));
    }
    if let Some(c) = f.channel.as_deref().filter(|c| !c.is_empty()) {
        dims.push(("channel", c.to_string()));
    }
    dims
}

/// Whether the daily rollup can answer this filter, and which of its rows: everything, or one
/// dimension's value. Comment words, a score ceiling, an account or two dimensions at once need
/// the answers themselves.
fn rollup_key(f: &FeedbackFilter) -> Option<(&'static str, String)> {
    if f.q.as_deref().is_some_and(|q| !q.trim().is_empty())
        || f.max_score.is_some()
        || f.account_id.is_some()
    {
        return None;
    }
    let mut dims = dimension_filters(f);
    match dims.len() {
        0 => Some(("all", String::new())),
        1 => dims.pop(),
        _ => None,
    }
}

fn grouping_dimension(g: FeedbackGrouping) -> Option<&'static str> {
    match g {
        FeedbackGrouping::Agent => Some("agent"),
        FeedbackGrouping::Team => Some("team"),
        FeedbackGrouping::TicketType => Some("ticket_type"),
        FeedbackGrouping::Channel => Some("channel"),
        _ => None,
    }
}

/// The rollup dimension for grouping by `g`, when the filter allows it (no other dimension).
fn rollup_for_grouping(f: &FeedbackFilter, g: FeedbackGrouping) -> Option<&'static str> {
    let dimension = grouping_dimension(g)?;
    rollup_key(f)?;
    dimension_filters(f)
        .iter()
        .all(|(d, _)| *d == dimension)
        .then_some(dimension)
}

const ROLLED: &str = "coalesce(sum(r.responses) FILTER (WHERE r.kind = 'csat'), 0)::bigint,
    coalesce(sum(r.satisfied) FILTER (WHERE r.kind = 'csat'), 0)::bigint,
    coalesce(sum(r.responses) FILTER (WHERE r.kind = 'nps'), 0)::bigint,
    coalesce(sum(r.promoters) FILTER (WHERE r.kind = 'nps'), 0)::bigint,
    coalesce(sum(r.detractors) FILTER (WHERE r.kind = 'nps'), 0)::bigint,
    coalesce(sum(r.responses) FILTER (WHERE r.kind = 'ces'), 0)::bigint,
    coalesce(sum(r.score_sum) FILTER (WHERE r.kind = 'ces'), 0)::bigint";

fn push_rollup_filter(
    q: &mut QueryBuilder<'_, Postgres>,
    f: &FeedbackFilter,
    dimension: &str,
    value: Option<&str>,
) {
    let (from, to) = period(f);
    q.push(" WHERE r.dimension = ")
        .push_bind(dimension.to_string());
    if let Some(v) = value {
        q.push(" AND r.value = ").push_bind(v.to_string());
    }
    q.push(" AND r.day BETWEEN ").push_bind(from);
    q.push(" AND ").push_bind(to);
    if let Some(kind) = f.kind {
        q.push(" AND r.kind = ").push_bind(kind.as_str());
    }
}

/// The trend (by month or week) from the daily rollup.
async fn rolled(
    db: &PgPool,
    f: &FeedbackFilter,
    by: FeedbackGrouping,
    dimension: &str,
    value: &str,
) -> Result<Vec<(FeedbackGroup, Counts)>, sqlx::Error> {
    let unit = if by == FeedbackGrouping::Week {
        "week"
    } else {
        "month"
    };
    let label = if by == FeedbackGrouping::Week {
        "'Week of ' || to_char(min(date_trunc('week', r.day)), 'DD Mon YYYY')"
    } else {
        "to_char(min(date_trunc('month', r.day)), 'Mon YYYY')"
    };
    let mut q = QueryBuilder::new(format!(
        "SELECT to_char(date_trunc('{unit}', r.day), 'YYYY-MM-DD') AS k, {label} AS l, {ROLLED}
         FROM survey_rollup r"
    ));
    push_rollup_filter(&mut q, f, dimension, Some(value));
    q.push(" GROUP BY k ORDER BY k");
    let rows: Vec<CountRow> = q.build_query_as().fetch_all(db).await?;
    Ok(rows.into_iter().map(group).collect())
}

/// Groups by agent, team, ticket type or channel from the rollup (busiest 100), with the
/// answers that have no value for the dimension (NPS has no agent) as one more group.
async fn rolled_by_dimension(
    db: &PgPool,
    f: &FeedbackFilter,
    g: FeedbackGrouping,
    dimension: &str,
    trend: &[(FeedbackGroup, Counts)],
) -> Result<Vec<FeedbackGroup>, sqlx::Error> {
    let label = match g {
        FeedbackGrouping::Agent => {
            "coalesce((SELECT display_name FROM app_user WHERE id::text = r.value), r.value)"
        }
        FeedbackGrouping::Team => {
            "coalesce((SELECT name FROM team WHERE id::text = r.value), r.value)"
        }
        FeedbackGrouping::TicketType => {
            "coalesce((SELECT label FROM ticket_type WHERE key = r.value), r.value)"
        }
        _ => "r.value",
    };
    let filtered = dimension_filters(f)
        .into_iter()
        .find(|(d, _)| *d == dimension)
        .map(|(_, v)| v);
    let mut q = QueryBuilder::new(format!(
        "SELECT r.value AS k, {label} AS l, {ROLLED} FROM survey_rollup r"
    ));
    push_rollup_filter(&mut q, f, dimension, filtered.as_deref());
    q.push(" GROUP BY r.value ORDER BY sum(r.responses) DESC, r.value");
    let all: Vec<CountRow> = q.build_query_as().fetch_all(db).await?;
    let mut out: Vec<(FeedbackGroup, Counts)> = all.into_iter().map(group).collect();
    if filtered.is_none() {
        // What the dimension does not cover: everything minus the sum of its values.
        let mut rest = Counts::default();
        for (_, c) in trend {
            rest.add_counts(c, 1);
        }
        for (_, c) in &out {
            rest.add_counts(c, -1);
        }
        if rest.csat + rest.nps + rest.ces > 0 {
            let label = match g {
                FeedbackGrouping::Agent => "No agent",
                FeedbackGrouping::Team => "No team",
                FeedbackGrouping::TicketType => "Not a ticket (NPS)",
                _ => "No channel (NPS)",
            };
            out.push((
                FeedbackGroup {
                    key: String::new(),
                    label: label.into(),
                    scores: rest.scores(),
                },
                rest,
            ));
            out.sort_by(|a, b| {
                let n = |c: &Counts| c.csat + c.nps + c.ces;
                n(&b.1).cmp(&n(&a.1))
            });
        }
    }
    out.truncate(100);
    Ok(out.into_iter().map(|(g, _)| g).collect())
}

fn group(row: CountRow) -> (FeedbackGroup, Counts) {
    let c = counts(&row);
    (
        FeedbackGroup {
            scores: c.scores(),
            key: row.0,
            label: row.1,
        },
        c,
    )
}

/// The analytics page: totals and trend by month (by week for periods under 100 days), the
/// chosen grouping (at most 100 rows, busiest first) and one page of answers.
pub async fn report(
    db: &PgPool,
    caller: &Caller,
    f: &FeedbackFilter,
    grouping: FeedbackGrouping,
    page: u32,
) -> Result<FeedbackReport, ServiceError> {
    caller.staff(Permission::ReadFeedback)?;
    let (from, to) = period(f);
    let trend_by = if (to - from).num_days() < 100 {
        FeedbackGrouping::Week
    } else {
        FeedbackGrouping::Month
    };
    // Every answer falls in exactly one period, so the trend also gives the totals.
    let rollup = rollup_key(f);
    let trend = match &rollup {
        Some((dimension, value)) => rolled(db, f, trend_by, dimension, value).await?,
        None => grouped(db, f, trend_by, 1000).await?,
    };
    let groups = if grouping == trend_by {
        trend.iter().map(|(g, _)| g.clone()).collect()
    } else {
        match rollup_for_grouping(f, grouping) {
            Some(dimension) => rolled_by_dimension(db, f, grouping, dimension, &trend).await?,
            None => grouped(db, f, grouping, 100)
                .await?
                .into_iter()
                .map(|(g, _)| g)
                .collect(),
        }
    };
    let totals = total(&trend);
    let responses_total = totals.csat_responses + totals.nps_responses + totals.ces_responses;
    let responses = responses(db, f, page, RESPONSES_PER_PAGE).await?;
    Ok(FeedbackReport {
        totals,
        grouping,
        groups,
        trend: trend.into_iter().map(|(g, _)| g).collect(),
        responses,
        responses_total,
    })
}

type ResponseRow = (
    uuid::Uuid,
    String,
    i16,
    Option<String>,
    chrono::DateTime<Utc>,
    AccountId,
    String,
    ContactId,
    String,
    Option<TicketId>,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
);

/// One page of answers, newest first (the `survey_request_newest_idx` order).
async fn responses(
    db: &PgPool,
    f: &FeedbackFilter,
    page: u32,
    per_page: i64,
) -> Result<Vec<FeedbackResponse>, sqlx::Error> {
    let mut q = QueryBuilder::new(
        "SELECT r.id, r.kind, r.score, r.comment, r.answered_at, r.account_id, a.name, r.contact_id,
                btrim(c.first_name || ' ' || c.last_name), r.ticket_id, tk.number, u.display_name,
                tm.name, r.ticket_type, r.channel, r.subject
         FROM survey_request r JOIN account a ON a.id = r.account_id
         JOIN contact c ON c.id = r.contact_id
         LEFT JOIN ticket tk ON tk.id = r.ticket_id
         LEFT JOIN app_user u ON u.id = r.agent_id
         LEFT JOIN team tm ON tm.id = r.team_id",
    );
    push_filter(&mut q, f);
    q.push(" ORDER BY r.answered_at DESC, r.id LIMIT ");
    q.push_bind(per_page);
    q.push(" OFFSET ");
    q.push_bind(i64::from(page) * per_page);
    let rows = q.build().fetch_all(db).await?;
    use sqlx::Row;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let r: ResponseRow = (
            row.try_get(0)?,
            row.try_get(1)?,
            row.try_get(2)?,
            row.try_get(3)?,
            row.try_get(4)?,
            row.try_get(5)?,
            row.try_get(6)?,
            row.try_get(7)?,
            row.try_get(8)?,
            row.try_get(9)?,
            row.try_get(10)?,
            row.try_get(11)?,
            row.try_get(12)?,
            row.try_get(13)?,
            row.try_get(14)?,
            row.try_get(15)?,
        );
        let Some(kind) = SurveyKind::parse(&r.1) else {
            continue;
        };
        out.push(FeedbackResponse {
            id: r.0,
            kind,
            score: r.2,
            comment: r.3,
            answered_at: r.4,
            account_id: r.5,
            account_name: r.6,
            contact_id: r.7,
            contact_name: r.8,
            ticket_id: r.9,
            ticket_number: r.10,
            agent_name: r.11,
            team_name: r.12,
            ticket_type: r.13,
            channel: r.14,
            subject: r.15,
        });
    }
    Ok(out)
}

/// Every matching answer as CSV (at most `EXPORT_MAX` rows, newest first).
pub async fn export_csv(
    db: &PgPool,
    caller: &Caller,
    f: &FeedbackFilter,
) -> Result<Vec<u8>, ServiceError> {
    caller.staff(Permission::ReadFeedback)?;
    let rows = responses(db, f, 0, EXPORT_MAX).await?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let csv_err = |e: csv::Error| ServiceError::Internal(e.to_string());
    w.write_record([
        "answered_at",
        "kind",
        "score",
        "comment",
        "account",
        "contact",
        "ticket",
        "subject",
        "agent",
        "team",
        "ticket_type",
        "channel",
    ])
    .map_err(csv_err)?;
    // Free text could start a spreadsheet formula; a leading apostrophe keeps it text.
    let text = |s: String| {
        if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{s}")
        } else {
            s
        }
    };
    for r in rows {
        w.write_record([
            r.answered_at.to_rfc3339(),
            r.kind.as_str().to_string(),
            r.score.to_string(),
            text(r.comment.unwrap_or_default()),
            text(r.account_name),
            text(r.contact_name),
            r.ticket_number.map(|n| n.to_string()).unwrap_or_default(),
            text(r.subject),
            r.agent_name.unwrap_or_default(),
            r.team_name.unwrap_or_default(),
            r.ticket_type.unwrap_or_default(),
            r.channel.unwrap_or_default(),
        ])
        .map_err(csv_err)?;
    }
    w.into_inner()
        .map_err(|e| ServiceError::Internal(e.to_string()))
}
