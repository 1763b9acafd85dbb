//! SQL for tickets. Functions take a connection so that services compose them in one transaction.
// Row tuples mirror their SELECT lists.
#![allow(clippy::type_complexity)]

use super::rules::ValidTicket;
use super::sla::BusinessCalendar;
use crate::types::{
    AccountId, AttachmentId, AttachmentInfo, ContactId, MessageId, SlaState, TeamId, Ticket,
    TicketChannel, TicketEvent, TicketFilter, TicketId, TicketMessage, TicketPriority, TicketSort,
    TicketStatus, TicketSummary, TicketType, TicketView, TicketViewCounts, UserId,
};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgExecutor, Postgres, QueryBuilder};
use std::collections::BTreeSet;

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: TicketId,
    number: i64,
    subject: String,
    ticket_type: String,
    priority: String,
    status: String,
    channel: String,
    account_id: AccountId,
    account_name: String,
    contact_name: Option<String>,
    assignee_id: Option<UserId>,
    assignee_name: Option<String>,
    team_id: Option<TeamId>,
    team_name: Option<String>,
    tags: Vec<String>,
    sla_state: String,
    first_response_due: DateTime<Utc>,
    resolution_due: DateTime<Utc>,
    first_responded_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<SummaryRow> for TicketSummary {
    fn from(r: SummaryRow) -> Self {
        // CHECK constraints guarantee these parse; the fallbacks are never taken.
        TicketSummary {
            id: r.id,
            number: r.number,
            subject: r.subject,
            ticket_type: r.ticket_type,
            priority: TicketPriority::parse(&r.priority).unwrap_or(TicketPriority::Medium),
            status: TicketStatus::parse(&r.status).unwrap_or(TicketStatus::Open),
            channel: TicketChannel::parse(&r.channel).unwrap_or(TicketChannel::Portal),
            account_id: r.account_id,
            account_name: r.account_name,
            contact_name: r.contact_name,
            assignee_id: r.assignee_id,
            assignee_name: r.assignee_name,
            team_id: r.team_id,
            team_name: r.team_name,
            tags: r.tags,
            sla_state: SlaState::parse(&r.sla_state).unwrap_or(SlaState::Ok),
            first_response_due: r.first_response_due,
            resolution_due: r.resolution_due,
            first_responded_at: r.first_responded_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct TicketRow {
    #[sqlx(flatten)]
    summary: SummaryRow,
    description: String,
    location_id: Option<AccountId>,
    location_name: Option<String>,
    asset_serial: Option<String>,
    contact_id: Option<ContactId>,
    sla_paused_at: Option<DateTime<Utc>>,
    escalated_at: Option<DateTime<Utc>>,
    resolved_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
}

impl From<TicketRow> for Ticket {
    fn from(r: TicketRow) -> Self {
        Ticket {
            summary: r.summary.into(),
            description: r.description,
            location_id: r.location_id,
            location_name: r.location_name,
            asset_serial: r.asset_serial,
            contact_id: r.contact_id,
            sla_paused_at: r.sla_paused_at,
            escalated_at: r.escalated_at,
            resolved_at: r.resolved_at,
            closed_at: r.closed_at,
        }
    }
}

const SUMMARY_COLUMNS: &str = "t.id, t.number, t.subject, t.ticket_type, t.priority, t.status, t.channel,
    t.account_id, a.name AS account_name, nullif(btrim(c.first_name || ' ' || c.last_name), '') AS contact_name,
    t.assignee_id, u.display_name AS assignee_name, t.team_id, tm.name AS team_name, t.tags, t.sla_state,
    t.first_response_due, t.resolution_due, t.first_responded_at, t.created_at, t.updated_at";

/// What a ticket's detail adds to its summary (with `LEFT JOIN account l` on the location).
const DETAIL_COLUMNS: &str =
    "t.description, t.location_id, l.name AS location_name, t.asset_serial,
    t.contact_id, t.sla_paused_at, t.escalated_at, t.resolved_at, t.closed_at";

/// The names a ticket's summary shows, joined to a ticket `t` (a table or a CTE).
macro_rules! named {
    () => {
        " JOIN account a ON a.id = t.account_id
    LEFT JOIN contact c ON c.id = t.contact_id
    LEFT JOIN app_user u ON u.id = t.assignee_id
    LEFT JOIN team tm ON tm.id = t.team_id"
    };
}
const JOINS: &str = concat!(" FROM ticket t", named!());

pub async fn find(db: impl PgExecutor<'_>, id: TicketId) -> Result<Option<Ticket>, sqlx::Error> {
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS}, {DETAIL_COLUMNS}
         {JOINS} LEFT JOIN account l ON l.id = t.location_id WHERE t.id = $1"
    );
    let row: Option<TicketRow> = sqlx::query_as(&sql).bind(id).fetch_optional(db).await?;
    Ok(row.map(Ticket::from))
}

pub async fn id_by_number(
    db: impl PgExecutor<'_>,
    number: i64,
) -> Result<Option<TicketId>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM ticket WHERE number = $1")
        .bind(number)
        .fetch_optional(db)
        .await
}

/// The ticket row locked for a change.
pub struct Locked {
    pub account_id: AccountId,
    pub status: TicketStatus,
    pub priority: TicketPriority,
    pub ticket_type: String,
    pub assignee_id: Option<UserId>,
    pub team_id: Option<TeamId>,
    pub tags: Vec<String>,
    pub contact_id: Option<ContactId>,
    pub first_responded_at: Option<DateTime<Utc>>,
    pub sla_paused_at: Option<DateTime<Utc>>,
    pub resolution_due: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub number: i64,
    pub subject: String,
    pub created_at: DateTime<Utc>,
    pub first_response_due: DateTime<Utc>,
}

pub async fn lock(tx: &mut PgConnection, id: TicketId) -> Result<Option<Locked>, sqlx::Error> {
    #[allow(clippy::type_complexity)]
    let row: Option<(
        AccountId,
        String,
        String,
        String,
        Option<UserId>,
        Option<TeamId>,
        Vec<String>,
        Option<ContactId>,
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
        DateTime<Utc>,
        Option<DateTime<Utc>>,
        i64,
        String,
        DateTime<Utc>,
        DateTime<Utc>,
    )> = sqlx::query_as(
        "SELECT account_id, status, priority, ticket_type, assignee_id, team_id, tags, contact_id,
            first_responded_at, sla_paused_at, resolution_due, resolved_at, number, subject, created_at,
            first_response_due
         FROM ticket WHERE id = $1 FOR UPDATE",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    Ok(row.map(|r| Locked {
        account_id: r.0,
        status: TicketStatus::parse(&r.1).unwrap_or(TicketStatus::Open),
        priority: TicketPriority::parse(&r.2).unwrap_or(TicketPriority::Medium),
        ticket_type: r.3,
        assignee_id: r.4,
        team_id: r.5,
        tags: r.6,
        contact_id: r.7,
        first_responded_at: r.8,
        sla_paused_at: r.9,
        resolution_due: r.10,
        resolved_at: r.11,
        number: r.12,
        subject: r.13,
        created_at: r.14,
        first_response_due: r.15,
    }))
}

pub struct NewRow<'a> {
    pub id: TicketId,
    pub subject: &'a str,
    pub description: &'a str,
    pub ticket_type: &'a str,
    pub priority: TicketPriority,
    pub channel: TicketChannel,
    pub account_id: AccountId,
    pub location_id: Option<AccountId>,
    pub asset_serial: Option<&'a str>,
    pub contact_id: Option<ContactId>,
    pub assignee_id: Option<UserId>,
    pub team_id: Option<TeamId>,
    pub tags: &'a [String],
    pub first_response_due: DateTime<Utc>,
    pub resolution_due: DateTime<Utc>,
}

/// A text that names a new ticket's number, which is drawn in the insert: the text before
/// the number and after it.
/// What is written with a new ticket besides its row: the domain event, which everything
/// else that follows a new ticket follows (`arrivals`: its history line, the client's
/// acknowledgement, the desk's notices, the search entry). Its payload is the number, the
/// channel, who raised it and whether the client is to be acknowledged.
pub struct Created<'a> {
    pub actor: (Option<UserId>, &'a str),
    pub acknowledge: bool,
}

/// A new ticket with everything written with it.
pub struct NewTicketRows<'a> {
    pub row: NewRow<'a>,
    pub created: Created<'a>,
}

/// Inserts new tickets, each with its number and its `ticket.created` event, in one
/// statement for the whole batch, and returns them
/// as `find` would read them. Creation is the hot write path, and a statement (its round
/// trip, executor start and commit) costs far more than the rows it writes: so the numbers
/// are drawn and, with `check_links`, the links checked (`LINK_CHECKS`) in the same
/// statement. A ticket whose links fail is not written and draws no number (human numbers
/// keep no gaps for refused input): it is missing from the answer, and `link_checks` says
/// why. The batch comes from the ticket intake (group commit); alone, the statement is
/// atomic, so it needs no transaction around it.
pub async fn insert_many(
    db: &mut PgConnection,
    tickets: &[NewTicketRows<'_>],
    now: DateTime<Utc>,
    check_links: bool,
) -> Result<Vec<Ticket>, sqlx::Error> {
    let input: Vec<InsertInput<'_>> = tickets
        .iter()
        .enumerate()
        .map(|(ord, t)| InsertInput::new(ord, t))
        .collect();
    let rows: Vec<TicketRow> = sqlx::query_as(&format!(
        "WITH input AS (
            SELECT * FROM jsonb_to_recordset($1)
              AS i(ord bigint, id uuid, subject text, description text, ticket_type text, priority text,
                   channel text, account_id uuid, location_id uuid, asset_serial text, contact_id uuid,
                   assignee_id uuid, team_id uuid, tags jsonb, first_response_due timestamptz,
                   resolution_due timestamptz, actor_user_id uuid, actor_name text, acknowledge boolean)
         ), {LINK_CHECKS}, numbered AS (
            -- Numbers in the batch's order (PostgreSQL draws them after the sort).
            SELECT i.*, nextval('ticket_number_seq') AS number
            FROM input i JOIN links l ON l.ord = i.ord
            WHERE NOT $3 OR (l.type_ok AND l.account_ok AND l.location_ok AND l.contact_ok AND l.team_ok)
            ORDER BY i.ord
         ), new_ticket AS (
            INSERT INTO ticket (id, number, subject, description, ticket_type, priority, status, channel,
                account_id, location_id, asset_serial, contact_id, assignee_id, team_id, tags,
                first_response_due, resolution_due, created_at, updated_at)
            SELECT id, number, subject, description, ticket_type, priority, 'new', channel, account_id,
                location_id, asset_serial, contact_id, assignee_id, team_id,
                ARRAY(SELECT jsonb_array_elements_text(tags)), first_response_due, resolution_due, $2, $2
            FROM numbered ORDER BY ord
            RETURNING *
         ), event AS (
            INSERT INTO domain_event (kind, subject_id, payload)
            SELECT 'ticket.created', i.id,
                   jsonb_build_object('number', i.number, 'channel', i.channel, 'raised_by', i.actor_name,
                                      'raised_by_user', i.actor_user_id, 'acknowledge', i.acknowledge)
            FROM numbered i JOIN new_ticket USING (id) ORDER BY i.ord
         )
         SELECT {NEW_TICKET_COLUMNS} FROM new_ticket t"
    ))
    .bind(sqlx::types::Json(&input))
    .bind(now)
    .bind(check_links)
    .fetch_all(&mut *db)
    .await?;
    Ok(rows.into_iter().map(Ticket::from).collect())
}

/// One ticket of a batch as the insert reads it: the batch is one `jsonb` parameter, read by
/// one `jsonb_to_recordset`, where an array per column made twenty-five function scans to set
/// up for every batch (docs/BENCHMARKS.md).
#[derive(serde::Serialize)]
struct InsertInput<'a> {
    ord: usize,
    id: TicketId,
    subject: &'a str,
    description: &'a str,
    ticket_type: &'a str,
    priority: &'static str,
    channel: &'static str,
    account_id: AccountId,
    location_id: Option<AccountId>,
    asset_serial: Option<&'a str>,
    contact_id: Option<ContactId>,
    assignee_id: Option<UserId>,
    team_id: Option<TeamId>,
    tags: &'a [String],
    /// As text to the microsecond, as a bound timestamp is kept (the text form would round).
    first_response_due: String,
    resolution_due: String,
    actor_user_id: Option<UserId>,
    actor_name: &'a str,
    acknowledge: bool,
}

impl<'a> InsertInput<'a> {
    fn new(ord: usize, t: &'a NewTicketRows<'a>) -> Self {
        let micros = |at: DateTime<Utc>| at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        InsertInput {
            ord,
            id: t.row.id,
            subject: t.row.subject,
            description: t.row.description,
            ticket_type: t.row.ticket_type,
            priority: t.row.priority.as_str(),
            channel: t.row.channel.as_str(),
            account_id: t.row.account_id,
            location_id: t.row.location_id,
            asset_serial: t.row.asset_serial,
            contact_id: t.row.contact_id,
            assignee_id: t.row.assignee_id,
            team_id: t.row.team_id,
            tags: t.row.tags,
            first_response_due: micros(t.row.first_response_due),
            resolution_due: micros(t.row.resolution_due),
            actor_user_id: t.created.actor.0,
            actor_name: t.created.actor.1,
            acknowledge: t.created.acknowledge,
        }
    }
}

/// A new ticket's columns as `find` reads them, over the insert's `RETURNING` (`t`). The names
/// are looked up by scalar subqueries, each run only for a name the ticket has: a new ticket
/// rarely has all, and the joins `find` uses (a hash of the users, a scan of the teams under
/// a generic plan) cost a batch more to set up than its rows (docs/BENCHMARKS.md).
const NEW_TICKET_COLUMNS: &str = "t.id, t.number, t.subject, t.ticket_type, t.priority, t.status,
    t.channel, t.account_id, (SELECT name FROM account WHERE id = t.account_id) AS account_name,
    CASE WHEN t.contact_id IS NOT NULL THEN (SELECT nullif(btrim(c.first_name || ' ' || c.last_name), '')
        FROM contact c WHERE c.id = t.contact_id) END AS contact_name,
    t.assignee_id, CASE WHEN t.assignee_id IS NOT NULL THEN
        (SELECT display_name FROM app_user WHERE id = t.assignee_id) END AS assignee_name,
    t.team_id, CASE WHEN t.team_id IS NOT NULL THEN (SELECT name FROM team WHERE id = t.team_id) END AS team_name,
    t.tags, t.sla_state, t.first_response_due, t.resolution_due, t.first_responded_at, t.created_at,
    t.updated_at, t.description, t.location_id,
    CASE WHEN t.location_id IS NOT NULL THEN (SELECT name FROM account WHERE id = t.location_id) END AS location_name,
    t.asset_serial, t.contact_id, t.sla_paused_at, t.escalated_at, t.resolved_at, t.closed_at";

/// The first line of a new ticket's history ("#1042 via Portal"): written when the ticket is
/// followed (`arrivals`), dated when it was raised, by whoever raised it.
pub struct CreatedLine<'a> {
    pub ticket: TicketId,
    pub actor: (Option<UserId>, &'a str),
    pub text: String,
    pub at: DateTime<Utc>,
}

pub async fn record_created(
    tx: &mut PgConnection,
    lines: &[CreatedLine<'_>],
) -> Result<(), sqlx::Error> {
    if lines.is_empty() {
        return Ok(());
    }
    // A user deleted since they raised the ticket keeps their name, as `ON DELETE SET NULL`
    // would have left it.
    sqlx::query(
        "INSERT INTO ticket_event (ticket_id, actor_user_id, actor_name, field, new_value, at)
         SELECT i.ticket_id, (SELECT u.id FROM app_user u WHERE u.id = i.actor_user_id), i.actor_name,
                'created', i.text, i.at
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[])
           WITH ORDINALITY AS i(ticket_id, actor_user_id, actor_name, text, at, ord)
         ORDER BY i.ord",
    )
    .bind(lines.iter().map(|l| l.ticket.0).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.actor.0.map(|u| u.0)).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.actor.1).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.at).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

pub async fn record_event(
    tx: &mut PgConnection,
    ticket: TicketId,
    actor: (Option<UserId>, &str),
    field: &str,
    old: Option<&str>,
    new: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO ticket_event (ticket_id, actor_user_id, actor_name, field, old_value, new_value)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(ticket)
    .bind(actor.0)
    .bind(actor.1)
    .bind(field)
    .bind(old)
    .bind(new)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Tells every server instance (LISTEN steward_tickets) that the ticket changed; inside a
/// transaction it is delivered only if that commits.
pub async fn announce(
    db: impl PgExecutor<'_>,
    ticket: TicketId,
    account: AccountId,
) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_notify('steward_tickets', json_build_object('ticket_id', $1::uuid, 'account_id', $2::uuid)::text)")
        .bind(ticket)
        .bind(account)
        .execute(db)
        .await?;
    Ok(())
}

/// Tells every server instance (LISTEN steward_tickets) of new tickets, in one statement
/// outside any transaction. Its transaction holds nothing durable, so it commits without
/// waiting for the WAL flush: commits of notifying transactions are serialised under a
/// global lock, and waiting for a flush there capped announcements at one per disk flush.
pub async fn announce_many(
    conn: &mut PgConnection,
    tickets: &[(TicketId, AccountId)],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "SELECT set_config('synchronous_commit', 'off', true),
                pg_notify('steward_tickets', json_build_object('ticket_id', n.id, 'account_id', n.account_id)::text)
         FROM unnest($1::uuid[], $2::uuid[]) AS n(id, account_id)",
    )
    .bind(tickets.iter().map(|t| t.0 .0).collect::<Vec<_>>())
    .bind(tickets.iter().map(|t| t.1 .0).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn emit(
    tx: &mut PgConnection,
    kind: &str,
    subject: TicketId,
    payload: serde_json::Value,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO domain_event (kind, subject_id, payload) VALUES ($1, $2, $3)")
        .bind(kind)
        .bind(subject)
        .bind(payload)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

pub struct NewMessage<'a> {
    pub id: MessageId,
    pub ticket_id: TicketId,
    pub internal: bool,
    pub author_user_id: Option<UserId>,
    pub author_contact_id: Option<ContactId>,
    pub author_name: &'a str,
    pub body: &'a str,
    pub body_html: Option<&'a str>,
    pub via: &'a str,
    pub email_message_id: Option<&'a str>,
}

pub async fn insert_message(tx: &mut PgConnection, m: &NewMessage<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO ticket_message (id, ticket_id, internal, author_user_id, author_contact_id, author_name,
            body, body_html, via, email_message_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(m.id)
    .bind(m.ticket_id)
    .bind(m.internal)
    .bind(m.author_user_id)
    .bind(m.author_contact_id)
    .bind(m.author_name)
    .bind(m.body)
    .bind(m.body_html)
    .bind(m.via)
    .bind(m.email_message_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

pub async fn messages(
    db: impl PgExecutor<'_>,
    ticket: TicketId,
    include_internal: bool,
) -> Result<Vec<TicketMessage>, sqlx::Error> {
    let rows: Vec<(MessageId, bool, String, bool, String, String, DateTime<Utc>)> =
        sqlx::query_as(
            "SELECT id, internal, author_name, author_user_id IS NOT NULL AND author_contact_id IS NULL,
                body, via, created_at
             FROM ticket_message WHERE ticket_id = $1 AND (NOT internal OR $2)
             ORDER BY created_at, id",
        )
        .bind(ticket)
        .bind(include_internal)
        .fetch_all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| TicketMessage {
            id: r.0,
            internal: r.1,
            author_name: r.2,
            from_staff: r.3,
            body: r.4,
            via: r.5,
            created_at: r.6,
        })
        .collect())
}

pub async fn history(
    db: impl PgExecutor<'_>,
    ticket: TicketId,
) -> Result<Vec<TicketEvent>, sqlx::Error> {
    let rows: Vec<(
        String,
        String,
        Option<String>,
        Option<String>,
        DateTime<Utc>,
    )> = sqlx::query_as(
        // The created line comes first though it is written when the ticket is followed,
        // possibly after the first changes (`arrivals`).
        "SELECT actor_name, field, old_value, new_value, at FROM ticket_event
             WHERE ticket_id = $1 ORDER BY field <> 'created', id",
    )
    .bind(ticket)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| TicketEvent {
            actor_name: r.0,
            field: r.1,
            old_value: r.2,
            new_value: r.3,
            at: r.4,
        })
        .collect())
}

pub async fn attachments(
    db: impl PgExecutor<'_>,
    ticket: TicketId,
    include_internal: bool,
) -> Result<Vec<AttachmentInfo>, sqlx::Error> {
    #[allow(clippy::type_complexity)]
    let rows: Vec<(
        AttachmentId,
        Option<MessageId>,
        String,
        String,
        i32,
        String,
        DateTime<Utc>,
    )> = sqlx::query_as(
        "SELECT f.id, f.message_id, f.file_name, f.content_type, f.size_bytes, f.uploaded_by_name, f.created_at
         FROM ticket_attachment f LEFT JOIN ticket_message m ON m.id = f.message_id
         WHERE f.ticket_id = $1 AND (m.id IS NULL OR NOT m.internal OR $2)
         ORDER BY f.created_at, f.id",
    )
    .bind(ticket)
    .bind(include_internal)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| AttachmentInfo {
            id: r.0,
            message_id: r.1,
            file_name: r.2,
            content_type: r.3,
            size_bytes: r.4,
            uploaded_by_name: r.5,
            created_at: r.6,
        })
        .collect())
}

pub async fn types(db: impl PgExecutor<'_>) -> Result<Vec<TicketType>, sqlx::Error> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT key, label FROM ticket_type WHERE active ORDER BY position, label")
            .fetch_all(db)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(key, label)| TicketType { key, label })
        .collect())
}

pub async fn type_exists(db: impl PgExecutor<'_>, key: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM ticket_type WHERE key = $1 AND active)")
        .bind(key)
        .fetch_one(db)
        .await
}

type CalendarRow = (String, Vec<i32>, Vec<i32>, i32, Vec<NaiveDate>);

/// The support desk's calendar; always open if the row is missing or unreadable.
pub async fn calendar(db: &mut PgConnection) -> Result<(BusinessCalendar, i32), sqlx::Error> {
    let row: Option<CalendarRow> = sqlx::query_as(
        "SELECT time_zone, open_minute, close_minute, reopen_days, ARRAY(SELECT day FROM holiday)
         FROM business_calendar",
    )
    .fetch_optional(&mut *db)
    .await?;
    Ok(row.map_or((BusinessCalendar::always_open(), 7), build_calendar))
}

/// Whether what a new ticket points at exists and belongs together: the type is in the
/// active list, the location is in the account's tree, the contact works there, the team
/// exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkCheck {
    pub type_ok: bool,
    pub account_ok: bool,
    pub location_ok: bool,
    pub contact_ok: bool,
    pub team_ok: bool,
}

impl LinkCheck {
    pub fn all_ok(&self) -> bool {
        self.type_ok && self.account_ok && self.location_ok && self.contact_ok && self.team_ok
    }
}

/// Each new ticket's link checks, over `input` (`ord`, `ticket_type`, `account_id`,
/// `location_id`, `contact_id`, `team_id`): `links`, one row per ticket. Shared by the
/// insert (which writes only tickets whose links hold) and `link_checks` (which says why
/// one did not), so that both judge alike. The location (and the contact's account) must be
/// the ticket's account or one of its locations: `account_within` walks up the parents,
/// called only for a ticket that names one (migration 0022).
const LINK_CHECKS: &str = "
    links AS (
        SELECT i.ord,
               EXISTS (SELECT 1 FROM ticket_type WHERE key = i.ticket_type AND active) AS type_ok,
               -- OFFSET 0 keeps the probe by key: planned for the hundred rows a set-returning
               -- function is guessed to give, the check would hash every account.
               EXISTS (SELECT 1 FROM account WHERE id = i.account_id OFFSET 0) AS account_ok,
               i.location_id IS NULL OR account_within(i.location_id, i.account_id) AS location_ok,
               i.contact_id IS NULL
                 OR account_within((SELECT account_id FROM contact WHERE id = i.contact_id), i.account_id) AS contact_ok,
               i.team_id IS NULL OR EXISTS (SELECT 1 FROM team WHERE id = i.team_id) AS team_ok
        FROM input i
    )";

/// The link checks of new tickets, in their order: asked before the insert only when a
/// ticket must not take a turn in a team's rotation unless it will be raised, and after it
/// for the tickets it refused, to say why.
pub async fn link_checks(
    db: &mut PgConnection,
    tickets: &[&ValidTicket],
) -> Result<Vec<LinkCheck>, sqlx::Error> {
    let rows: Vec<(bool, bool, bool, bool, bool)> = sqlx::query_as(&format!(
        "WITH input AS (
            SELECT * FROM unnest($1::text[], $2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[])
              WITH ORDINALITY AS i(ticket_type, account_id, location_id, contact_id, team_id, ord)
         ), {LINK_CHECKS}
         SELECT type_ok, account_ok, location_ok, contact_ok, team_ok FROM links ORDER BY ord"
    ))
    .bind(
        tickets
            .iter()
            .map(|v| v.ticket_type.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(tickets.iter().map(|v| v.account_id.0).collect::<Vec<_>>())
    .bind(
        tickets
            .iter()
            .map(|v| v.location_id.map(|l| l.0))
            .collect::<Vec<_>>(),
    )
    .bind(
        tickets
            .iter()
            .map(|v| v.contact_id.map(|c| c.0))
            .collect::<Vec<_>>(),
    )
    .bind(
        tickets
            .iter()
            .map(|v| v.team_id.map(|t| t.0))
            .collect::<Vec<_>>(),
    )
    .fetch_all(&mut *db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| LinkCheck {
            type_ok: r.0,
            account_ok: r.1,
            location_ok: r.2,
            contact_ok: r.3,
            team_ok: r.4,
        })
        .collect())
}

/// Every priority's first-response and resolution targets (business minutes).
pub async fn all_targets(db: &mut PgConnection) -> Result<Vec<(String, (i64, i64))>, sqlx::Error> {
    let rows: Vec<(String, i32, i32)> = sqlx::query_as(
        "SELECT priority, first_response_minutes, resolution_minutes FROM sla_policy",
    )
    .fetch_all(&mut *db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(p, f, r)| (p, (i64::from(f), i64::from(r))))
        .collect())
}

fn build_calendar(
    (tz, open, close, reopen_days, holidays): CalendarRow,
) -> (BusinessCalendar, i32) {
    let mut cal = BusinessCalendar::always_open();
    match tz.parse() {
        Ok(tz) => cal.tz = tz,
        Err(_) => tracing::warn!(time_zone = %tz, "unknown business time zone; using UTC"),
    }
    if open.len() == 7 && close.len() == 7 {
        for d in 0..7 {
            cal.open_minute[d] = open[d].clamp(0, 1440) as u32;
            cal.close_minute[d] = close[d].clamp(0, 1440) as u32;
        }
    }
    cal.holidays = holidays.into_iter().collect::<BTreeSet<_>>();
    (cal, reopen_days)
}

/// Without a policy row: a working day to answer, a working week to resolve.
pub const DEFAULT_TARGETS: (i64, i64) = (480, 2400);

/// First-response and resolution targets (business minutes) for a priority.
pub async fn targets(
    db: impl PgExecutor<'_>,
    priority: TicketPriority,
) -> Result<(i64, i64), sqlx::Error> {
    let row: Option<(i32, i32)> = sqlx::query_as(
        "SELECT first_response_minutes, resolution_minutes FROM sla_policy WHERE priority = $1",
    )
    .bind(priority.as_str())
    .fetch_optional(db)
    .await?;
    Ok(row.map_or(DEFAULT_TARGETS, |(f, r)| (i64::from(f), i64::from(r))))
}

/// The next member of an auto-assigning team, in turn after the last one given a ticket.
/// Locks the rotation of these teams (sorted) for the rest of the transaction.
pub async fn lock_rotations(tx: &mut PgConnection, teams: &[TeamId]) -> Result<(), sqlx::Error> {
    let teams: Vec<uuid::Uuid> = teams.iter().map(|t| t.0).collect();
    sqlx::query("SELECT 1 FROM team WHERE id = ANY($1) ORDER BY id FOR UPDATE")
        .bind(teams)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

pub async fn next_in_rotation(
    tx: &mut PgConnection,
    team: TeamId,
) -> Result<Option<UserId>, sqlx::Error> {
    let rotation: Option<(bool, Option<UserId>)> = sqlx::query_as(
        "SELECT auto_assign, last_assigned_user_id FROM team WHERE id = $1 FOR UPDATE",
    )
    .bind(team)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((true, last)) = rotation else {
        return Ok(None);
    };
    let members: Vec<UserId> = sqlx::query_scalar(
        "SELECT m.user_id FROM team_member m JOIN app_user u ON u.id = m.user_id
         WHERE m.team_id = $1 AND u.is_active AND u.role IN ('admin', 'support_manager', 'support_agent')
         ORDER BY m.user_id",
    )
    .bind(team)
    .fetch_all(&mut *tx)
    .await?;
    if members.is_empty() {
        return Ok(None);
    }
    let next = match last.and_then(|l| members.iter().position(|m| *m == l)) {
        Some(i) => members[(i + 1) % members.len()],
        None => members[0],
    };
    sqlx::query("UPDATE team SET last_assigned_user_id = $2 WHERE id = $1")
        .bind(team)
        .bind(next)
        .execute(&mut *tx)
        .await?;
    Ok(Some(next))
}

pub async fn notify_user(
    tx: &mut PgConnection,
    user: UserId,
    title: &str,
    link: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO notification (id, user_id, title, link) VALUES ($1, $2, $3, $4)")
        .bind(uuid::Uuid::new_v4())
        .bind(user)
        .bind(title)
        .bind(link)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Where a list starts: after a row (keyset) or after a number of rows (ranked sorts).
#[derive(Debug, Clone, PartialEq)]
pub enum Cursor {
    After(DateTime<Utc>, TicketId),
    Offset(i64),
}

/// Who is listing: a client sees only their accounts; `me` is the staff user for "mine".
pub struct ListScope<'a> {
    pub accounts: Option<&'a [AccountId]>,
    pub me: Option<UserId>,
    pub staff: bool,
}

pub(super) fn push_filters(
    qb: &mut QueryBuilder<'_, Postgres>,
    f: &TicketFilter,
    scope: &ListScope<'_>,
    view: TicketView,
) {
    qb.push(" WHERE true");
    if let Some(accounts) = scope.accounts {
        qb.push(" AND t.account_id = ANY(")
            .push_bind(accounts.to_vec())
            .push(")");
    }
    match view {
        TicketView::Mine => {
            qb.push(" AND t.status NOT IN ('resolved', 'closed') AND t.assignee_id = ")
                .push_bind(scope.me);
        }
        TicketView::Unassigned => {
            qb.push(" AND t.status NOT IN ('resolved', 'closed') AND t.assignee_id IS NULL");
        }
        TicketView::Open => {
            qb.push(" AND t.status NOT IN ('resolved', 'closed')");
        }
        TicketView::Breaching => {
            qb.push(" AND t.status NOT IN ('resolved', 'closed') AND ")
                .push(BREACHING);
        }
        TicketView::Recent => {
            qb.push(" AND t.updated_at > now() - interval '24 hours'");
        }
        TicketView::All => {}
    }
    if let Some(s) = f.status {
        qb.push(" AND t.status = ").push_bind(s.as_str());
    }
    if let Some(p) = f.priority {
        qb.push(" AND t.priority = ").push_bind(p.as_str());
    }
    if let Some(t) = f.ticket_type.as_deref().filter(|t| !t.is_empty()) {
        qb.push(" AND t.ticket_type = ").push_bind(t.to_string());
    }
    if let Some(a) = f.assignee_id {
        qb.push(" AND t.assignee_id = ").push_bind(a);
    }
    if let Some(team) = f.team_id {
        qb.push(" AND t.team_id = ").push_bind(team);
    }
    if let Some(a) = f.account_id {
        qb.push(" AND (t.account_id = ")
            .push_bind(a)
            .push(" OR t.location_id = ")
            .push_bind(a)
            .push(")");
    }
    if let Some(tag) = f
        .tag
        .as_deref()
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty())
    {
        qb.push(" AND t.tags @> ARRAY[")
            .push_bind(tag)
            .push("]::text[]");
    }
    if let Some(d) = f.created_from {
        qb.push(" AND t.created_at >= ").push_bind(d).push("::date");
    }
    if let Some(d) = f.created_to {
        qb.push(" AND t.created_at < ")
            .push_bind(d)
            .push("::date + 1");
    }
}

/// Not resolved in time, or close to it: the SLA job's state, or a due time already past.
const BREACHING: &str = "(t.sla_state <> 'ok'
    OR (t.first_responded_at IS NULL AND t.first_response_due < now())
    OR (t.sla_paused_at IS NULL AND t.resolution_due < now()))";

/// One page of tickets; returns one row more than `limit` when there is a next page.
pub async fn list(
    db: impl PgExecutor<'_>,
    f: &TicketFilter,
    scope: &ListScope<'_>,
    view: TicketView,
    sort: TicketSort,
    cursor: Option<&Cursor>,
    limit: u32,
) -> Result<Vec<TicketSummary>, sqlx::Error> {
    let mut qb = QueryBuilder::<Postgres>::new(format!("SELECT {SUMMARY_COLUMNS}{JOINS}"));
    push_filters(&mut qb, f, scope, view);
    // Keyset on (value, id) for time sorts; ranked sorts page by offset.
    let (column, descending) = match sort {
        TicketSort::Updated => ("t.updated_at", true),
        TicketSort::Created => ("t.created_at", true),
        TicketSort::Due => ("t.resolution_due", false),
        TicketSort::Priority | TicketSort::Relevance => ("", true),
    };
    if let (Some(Cursor::After(at, id)), false) = (cursor, column.is_empty()) {
        qb.push(format!(
            " AND ({column}, t.id) {} (",
            if descending { "<" } else { ">" }
        ))
        .push_bind(*at)
        .push(", ")
        .push_bind(*id)
        .push(")");
    }
    match sort {
        TicketSort::Priority => {
            qb.push(" ORDER BY array_position(ARRAY['urgent','high','medium','low'], t.priority), t.resolution_due, t.id");
        }
        // Without words there is nothing to rank: newest first (searches go through `search`).
        TicketSort::Relevance => {
            qb.push(" ORDER BY t.updated_at DESC, t.id DESC");
        }
        _ => {
            let dir = if descending { "DESC" } else { "ASC" };
            qb.push(format!(" ORDER BY {column} {dir}, t.id {dir}"));
        }
    }
    qb.push(" LIMIT ").push_bind(i64::from(limit) + 1);
    if let (Some(Cursor::Offset(n)), true) = (cursor, column.is_empty()) {
        qb.push(" OFFSET ").push_bind(*n);
    }
    let rows: Vec<SummaryRow> = qb.build_query_as().fetch_all(db).await?;
    Ok(rows.into_iter().map(TicketSummary::from).collect())
}

/// Summaries of a search's pool (ids with their ranks as `pool.rank`) in `order`, a page of it.
pub async fn summaries_in_pool(
    db: impl PgExecutor<'_>,
    ids: &[TicketId],
    ranks: &[f64],
    order: &str,
    offset: i64,
    limit: i64,
) -> Result<Vec<TicketSummary>, sqlx::Error> {
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS}{JOINS}
         JOIN unnest($1::uuid[], $2::float8[]) AS pool(id, rank) ON pool.id = t.id
         ORDER BY {order} LIMIT $3 OFFSET $4"
    );
    let rows: Vec<SummaryRow> = sqlx::query_as(&sql)
        .bind(ids)
        .bind(ranks)
        .bind(limit)
        .bind(offset)
        .fetch_all(db)
        .await?;
    Ok(rows.into_iter().map(TicketSummary::from).collect())
}

pub async fn view_counts(
    db: impl PgExecutor<'_>,
    scope: &ListScope<'_>,
) -> Result<TicketViewCounts, sqlx::Error> {
    let mut qb = QueryBuilder::<Postgres>::new("SELECT count(*) FILTER (WHERE t.assignee_id = ");
    qb.push_bind(scope.me)
        .push("), count(*) FILTER (WHERE t.assignee_id IS NULL), count(*), count(*) FILTER (WHERE ")
        .push(BREACHING)
        .push(") FROM ticket t WHERE t.status NOT IN ('resolved', 'closed')");
    if let Some(accounts) = scope.accounts {
        qb.push(" AND t.account_id = ANY(")
            .push_bind(accounts.to_vec())
            .push(")");
    }
    let (mine, unassigned, open, breaching): (i64, i64, i64, i64) =
        qb.build_query_as().fetch_one(db).await?;
    Ok(TicketViewCounts {
        mine,
        unassigned,
        open,
        breaching,
    })
}

/// The account's tickets that are not done, newest first.
pub async fn open_for_account(
    db: impl PgExecutor<'_>,
    account: AccountId,
    except: Option<TicketId>,
    limit: i64,
) -> Result<Vec<TicketSummary>, sqlx::Error> {
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS}{JOINS}
         WHERE t.account_id = $1 AND t.status NOT IN ('resolved', 'closed') AND ($2::uuid IS NULL OR t.id <> $2)
         ORDER BY t.updated_at DESC LIMIT $3"
    );
    let rows: Vec<SummaryRow> = sqlx::query_as(&sql)
        .bind(account)
        .bind(except)
        .bind(limit)
        .fetch_all(db)
        .await?;
    Ok(rows.into_iter().map(TicketSummary::from).collect())
}

/// The account's most recent tickets, all statuses (the account's 360° view).
pub async fn recent_for_accounts(
    db: impl PgExecutor<'_>,
    accounts: &[AccountId],
    limit: i64,
) -> Result<Vec<TicketSummary>, sqlx::Error> {
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS}{JOINS} WHERE t.account_id = ANY($1) ORDER BY t.updated_at DESC LIMIT $2"
    );
    let rows: Vec<SummaryRow> = sqlx::query_as(&sql)
        .bind(accounts.to_vec())
        .bind(limit)
        .fetch_all(db)
        .await?;
    Ok(rows.into_iter().map(TicketSummary::from).collect())
}

/// Display names for the history: people and teams by name, not by id.
pub async fn user_name(
    db: &mut PgConnection,
    user: Option<UserId>,
) -> Result<Option<String>, sqlx::Error> {
    match user {
        Some(u) => {
            sqlx::query_scalar("SELECT display_name FROM app_user WHERE id = $1")
                .bind(u)
                .fetch_optional(&mut *db)
                .await
        }
        None => Ok(None),
    }
}

pub async fn team_name(
    db: &mut PgConnection,
    team: Option<TeamId>,
) -> Result<Option<String>, sqlx::Error> {
    match team {
        Some(t) => {
            sqlx::query_scalar("SELECT name FROM team WHERE id = $1")
                .bind(t)
                .fetch_optional(&mut *db)
                .await
        }
        None => Ok(None),
    }
}
