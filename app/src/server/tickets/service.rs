//! Domain verbs on tickets: raise, list, read, change, reply, close and reopen.

use super::repo::{self, Cursor, ListScope, Locked};
use super::rules;
use super::search;
use crate::server::accounts;
use crate::server::auth::{Caller, Permission};
use crate::server::email::{self, ThreadedMail};
use crate::server::{AppState, ServiceError};
use crate::types::{
    AccountId, ContactId, MessageId, NewTicket, TeamId, Ticket, TicketChanges, TicketChannel,
    TicketDetail, TicketFilter, TicketId, TicketMessage, TicketOptions, TicketPage, TicketSort,
    TicketStatus, TicketView, TicketViewCounts, UserId,
};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use sqlx::{PgConnection, PgPool};
use std::collections::HashMap;

pub const DEFAULT_PER_PAGE: u32 = 25;
pub const MAX_PER_PAGE: u32 = 100;

/// Who acts on a ticket, as the history and the conversation name them.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<UserId>,
    pub contact_id: Option<ContactId>,
    pub name: String,
    pub staff: bool,
}

impl Actor {
    pub fn system() -> Self {
        Actor {
            user_id: None,
            contact_id: None,
            name: "Steward".into(),
            staff: true,
        }
    }

    fn tag(&self) -> (Option<UserId>, &str) {
        (self.user_id, &self.name)
    }
}

pub(crate) async fn actor(db: &PgPool, caller: &Caller) -> Result<Actor, ServiceError> {
    match caller {
        Caller::Anonymous => Err(ServiceError::Unauthenticated),
        Caller::System => Ok(Actor::system()),
        Caller::Staff(s) => {
            let name = match s.user_id {
                Some(id) => {
                    sqlx::query_scalar::<_, String>(
                        "SELECT display_name FROM app_user WHERE id = $1",
                    )
                    .bind(id)
                    .fetch_optional(db)
                    .await?
                }
                None => None,
            };
            Ok(Actor {
                user_id: s.user_id,
                contact_id: None,
                name: name.unwrap_or_else(|| "API".into()),
                staff: true,
            })
        }
        Caller::Client(c) => {
            let name: Option<String> =
                sqlx::query_scalar("SELECT display_name FROM app_user WHERE id = $1")
                    .bind(c.user_id)
                    .fetch_optional(db)
                    .await?;
            Ok(Actor {
                user_id: Some(c.user_id),
                contact_id: Some(c.contact_id),
                name: name.unwrap_or_else(|| "Client".into()),
                staff: false,
            })
        }
    }
}

/// The accounts whose tickets the caller may see: `None` is all of them (staff).
async fn reach(db: &PgPool, caller: &Caller) -> Result<Option<Vec<AccountId>>, ServiceError> {
    match caller {
        Caller::Client(c) => Ok(Some(accounts::repo::subtree(db, c.account_id).await?)),
        Caller::System => Ok(None),
        _ => {
            caller.staff(Permission::ReadTickets)?;
            Ok(None)
        }
    }
}

/// The ticket, if the caller may see it; out of reach looks the same as missing.
pub async fn get(db: &PgPool, caller: &Caller, id: TicketId) -> Result<Ticket, ServiceError> {
    let scope = reach(db, caller).await?;
    let ticket = repo::find(db, id).await?.ok_or(ServiceError::NotFound)?;
    if let Some(scope) = scope {
        if !scope.contains(&ticket.summary.account_id) {
            return Err(ServiceError::NotFound);
        }
    }
    Ok(ticket)
}

fn can_reopen(status: TicketStatus, resolved_at: Option<DateTime<Utc>>, reopen_days: i32) -> bool {
    status == TicketStatus::Resolved
        && resolved_at.is_none_or(|at| Utc::now() - at <= Duration::days(i64::from(reopen_days)))
}

#[tracing::instrument(skip_all, fields(ticket_id = %id))]
pub async fn detail(
    db: &PgPool,
    caller: &Caller,
    id: TicketId,
) -> Result<TicketDetail, ServiceError> {
    let ticket = get(db, caller, id).await?;
    let staff = !matches!(caller, Caller::Client(_));
    let can_work = caller.can(Permission::WorkTickets);
    let messages = repo::messages(db, id, staff).await?;
    let attachments = repo::attachments(db, id, staff).await?;
    let mut history = repo::history(db, id).await?;
    if !staff {
        // Clients see the status timeline, not internal assignment or tagging.
        history.retain(|e| e.field == "status" || e.field == "created");
    }
    let account = accounts::repo::find(db, ticket.summary.account_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let other_open = if staff {
        repo::open_for_account(db, ticket.summary.account_id, Some(id), 10).await?
    } else {
        Vec::new()
    };
    let mut conn = db.acquire().await?;
    let (_, reopen_days) = repo::calendar(&mut conn).await?;
    let status = ticket.summary.status;
    let reopenable = can_reopen(status, ticket.resolved_at, reopen_days);
    let next_statuses = if can_work {
        TicketStatus::ALL
            .iter()
            .copied()
            .filter(|s| status.can_become(*s))
            .filter(|s| {
                !(status == TicketStatus::Resolved && *s == TicketStatus::Open) || reopenable
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(TicketDetail {
        can_reopen: reopenable && (can_work || !staff),
        can_close: status != TicketStatus::Closed && (can_work || !staff),
        ticket,
        messages,
        attachments,
        history,
        account_status: account.status,
        other_open,
        can_work,
        next_statuses,
    })
}

fn encode_cursor(c: &Cursor) -> String {
    let raw = match c {
        Cursor::After(at, id) => format!("a|{}|{}", at.to_rfc3339(), id),
        Cursor::Offset(n) => format!("o|{n}"),
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

fn decode_cursor(s: &str) -> Result<Cursor, ServiceError> {
    let bad = || ServiceError::field("cursor", "is not a cursor from this list");
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| bad())?;
    let raw = String::from_utf8(raw).map_err(|_| bad())?;
    let mut parts = raw.split('|');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("a"), Some(at), Some(id)) => Ok(Cursor::After(
            DateTime::parse_from_rfc3339(at)
                .map_err(|_| bad())?
                .with_timezone(&Utc),
            id.parse().map_err(|_| bad())?,
        )),
        (Some("o"), Some(n), None) => {
            Ok(Cursor::Offset(n.parse::<i64>().map_err(|_| bad())?.max(0)))
        }
        _ => Err(bad()),
    }
}

#[tracing::instrument(skip_all)]
pub async fn list(
    db: &PgPool,
    caller: &Caller,
    filter: &TicketFilter,
) -> Result<TicketPage, ServiceError> {
    let scope = reach(db, caller).await?;
    let staff = scope.is_none();
    let view = filter.view.unwrap_or(if staff {
        TicketView::Open
    } else {
        TicketView::All
    });
    let sort = filter.sort.unwrap_or(match (view, filter.q.is_some()) {
        (_, true) => TicketSort::Relevance,
        (
            TicketView::Open | TicketView::Mine | TicketView::Unassigned | TicketView::Breaching,
            _,
        ) => TicketSort::Due,
        _ => TicketSort::Updated,
    });
    let limit = filter
        .limit
        .unwrap_or(DEFAULT_PER_PAGE)
        .clamp(1, MAX_PER_PAGE);
    let cursor = filter.cursor.as_deref().map(decode_cursor).transpose()?;
    let list_scope = ListScope {
        accounts: scope.as_deref(),
        me: caller.user_id(),
        staff,
    };
    let words = filter
        .q
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .map(|q| q.chars().take(200).collect::<String>());
    let offset = match cursor {
        Some(Cursor::Offset(n)) => n,
        _ => 0,
    };
    let mut items = match &words {
        // A search pages by offset into its ranked pool, whatever the sort.
        Some(q) => {
            let page = search::SearchPage {
                q,
                filter,
                scope: &list_scope,
                view,
                sort,
                offset,
                limit,
            };
            search::page(db, &page).await?
        }
        None => repo::list(db, filter, &list_scope, view, sort, cursor.as_ref(), limit).await?,
    };
    let next_cursor = if items.len() > limit as usize {
        items.truncate(limit as usize);
        let last = items.last();
        match sort {
            _ if words.is_some() => Some(Cursor::Offset(offset + i64::from(limit))),
            TicketSort::Priority | TicketSort::Relevance => {
                Some(Cursor::Offset(offset + i64::from(limit)))
            }
            TicketSort::Updated => last.map(|t| Cursor::After(t.updated_at, t.id)),
            TicketSort::Created => last.map(|t| Cursor::After(t.created_at, t.id)),
            TicketSort::Due => last.map(|t| Cursor::After(t.resolution_due, t.id)),
        }
        .map(|c| encode_cursor(&c))
    } else {
        None
    };
    Ok(TicketPage { items, next_cursor })
}

pub async fn view_counts(db: &PgPool, caller: &Caller) -> Result<TicketViewCounts, ServiceError> {
    let scope = reach(db, caller).await?;
    let list_scope = ListScope {
        accounts: scope.as_deref(),
        me: caller.user_id(),
        staff: scope.is_none(),
    };
    Ok(repo::view_counts(db, &list_scope).await?)
}

pub async fn options(db: &PgPool, caller: &Caller) -> Result<TicketOptions, ServiceError> {
    caller.require_signed_in()?;
    let types = repo::types(db).await?;
    if matches!(caller, Caller::Client(_)) {
        return Ok(TicketOptions {
            types,
            ..Default::default()
        });
    }
    caller.staff(Permission::ReadTickets)?;
    let agents: Vec<(UserId, String)> = sqlx::query_as(
        "SELECT id, display_name FROM app_user
         WHERE is_active AND role IN ('admin', 'support_manager', 'support_agent') ORDER BY display_name",
    )
    .fetch_all(db)
    .await?;
    let teams: Vec<(uuid::Uuid, String)> =
        sqlx::query_as("SELECT id, name FROM team ORDER BY name")
            .fetch_all(db)
            .await?;
    let choice = |id: String, label: String| crate::types::Choice { id, label };
    Ok(TicketOptions {
        types,
        agents: agents
            .into_iter()
            .map(|(id, l)| choice(id.to_string(), l))
            .collect(),
        teams: teams
            .into_iter()
            .map(|(id, l)| choice(id.to_string(), l))
            .collect(),
    })
}

/// Raises a ticket. Clients raise them for their own account (or one of its locations)
/// as themselves; support staff for any account. Only registered clients raise tickets:
/// anonymous callers are refused, and mail or web-form tickets go through `create_for_contact`.
#[tracing::instrument(skip_all)]
pub async fn create(
    state: &AppState,
    caller: &Caller,
    input: &NewTicket,
    channel: TicketChannel,
) -> Result<Ticket, ServiceError> {
    let db = &state.db;
    let actor = actor(db, caller).await?;
    let mut input = input.clone();
    let channel = match caller {
        Caller::Client(c) => {
            input.account_id = Some(c.account_id);
            input.contact_id = Some(c.contact_id);
            input.team_id = None;
            TicketChannel::Portal
        }
        _ => {
            caller.staff(Permission::WorkTickets)?;
            channel
        }
    };
    let valid = rules::validate_new(&input)?;
    // Committed in a batch with whatever else is being raised at the moment (group commit).
    state
        .ticket_intake
        .raise(
            state,
            ToRaise {
                actor,
                valid,
                channel,
            },
        )
        .await
}

/// The active contact with this address, for staff naming a ticket's requester.
pub async fn contact_by_email(
    db: &PgPool,
    caller: &Caller,
    address: &str,
) -> Result<ContactId, ServiceError> {
    caller.staff(Permission::WorkTickets)?;
    let found: Option<ContactId> = sqlx::query_scalar(
        "SELECT c.id FROM contact_email e JOIN contact c ON c.id = e.contact_id
         WHERE lower(e.email) = lower($1)",
    )
    .bind(address.trim())
    .fetch_optional(db)
    .await?;
    found.ok_or_else(|| ServiceError::field("contact_id", "no contact has this address"))
}

/// Raises a ticket on behalf of a known contact (email-to-case, confirmed web form),
/// inside the caller's transaction.
pub async fn create_for_contact(
    tx: &mut PgConnection,
    state: &AppState,
    contact: ContactId,
    input: &NewTicket,
    channel: TicketChannel,
) -> Result<TicketId, ServiceError> {
    let row: Option<(AccountId, String)> = sqlx::query_as(
        "SELECT account_id, btrim(first_name || ' ' || last_name) FROM contact WHERE id = $1",
    )
    .bind(contact)
    .fetch_optional(&mut *tx)
    .await?;
    let (account, name) = row.ok_or(ServiceError::NotFound)?;
    let mut input = input.clone();
    input.account_id = Some(account);
    input.contact_id = Some(contact);
    let valid = rules::validate_new(&input)?;
    let item = ToRaise {
        actor: Actor {
            user_id: None,
            contact_id: Some(contact),
            name,
            staff: false,
        },
        valid,
        channel,
    };
    // The links come from the contact's own record: nothing to check, and a mail must become
    // a ticket even if its default type has been retired since.
    let id = raise_in(tx, state, &[&item], false)
        .await?
        .pop()
        .ok_or(ServiceError::NotFound)??
        .summary
        .id;
    // Inside the caller's transaction, so that the notice only goes out if it commits.
    repo::announce(&mut *tx, id, item.valid.account_id).await?;
    Ok(id)
}

/// A ticket checked and ready to be raised: who raises it, what it says, how it came.
#[derive(Debug, Clone)]
pub struct ToRaise {
    pub actor: Actor,
    pub valid: rules::ValidTicket,
    pub channel: TicketChannel,
}

/// What one raised ticket needs between its insert and the statements after it.
struct Prepared<'a> {
    item: &'a ToRaise,
    id: TicketId,
    assignee: Option<UserId>,
    first_response_due: DateTime<Utc>,
    resolution_due: DateTime<Utc>,
}

/// Whether raising these tickets takes more than one write (and so a transaction): only
/// round-robin assignment does, which locks the team's rotation and then moves it on.
pub(crate) fn needs_transaction(items: &[&ToRaise]) -> bool {
    items.iter().any(|i| i.valid.team_id.is_some())
}

/// Raises tickets, the batch in one insert statement: its links checked (when
/// `check_links`), numbers drawn, SLA due times computed from the instance's SLA terms,
/// round-robin assignment and the event (the history line, the client's acknowledgement,
/// the desk's notices and the search entry follow from it: `arrivals`). A ticket whose links fail gets
/// its field errors and the others go on; an error of the database fails the whole batch.
/// Runs inside the caller's transaction when `needs_transaction` says so; otherwise the
/// insert is the only statement, and it may run on its own.
pub(crate) async fn raise_in(
    tx: &mut PgConnection,
    state: &AppState,
    items: &[&ToRaise],
    check_links: bool,
) -> Result<Vec<Result<Ticket, ServiceError>>, ServiceError> {
    let now = Utc::now();
    let terms = state.sla_terms.current(tx).await?;
    // Round-robin locks each team's rotation; two batches naming the same teams take them in
    // one order, so they queue rather than deadlock.
    let mut teams: Vec<TeamId> = items.iter().filter_map(|i| i.valid.team_id).collect();
    teams.sort_unstable();
    teams.dedup();
    if teams.len() > 1 {
        repo::lock_rotations(tx, &teams).await?;
    }
    // A ticket takes a turn in its team's rotation only if it will be raised, so with a team
    // in the batch the links are checked first; otherwise the insert checks them itself.
    let refused_early: Vec<Option<repo::LinkCheck>> = if check_links && !teams.is_empty() {
        let valids: Vec<&rules::ValidTicket> = items.iter().map(|i| &i.valid).collect();
        repo::link_checks(tx, &valids)
            .await?
            .into_iter()
            .map(|l| (!l.all_ok()).then_some(l))
            .collect()
    } else {
        vec![None; items.len()]
    };
    let mut ready = Vec::with_capacity(items.len());
    for (item, refused) in items.iter().zip(&refused_early) {
        if refused.is_some() {
            continue;
        }
        let valid = &item.valid;
        let assignee = match valid.team_id {
            Some(team) => repo::next_in_rotation(tx, team).await?,
            None => None,
        };
        let (first, resolution) = terms.targets(valid.priority);
        ready.push(Prepared {
            item,
            id: TicketId::new(),
            assignee,
            first_response_due: terms.calendar.add_business_minutes(now, first),
            resolution_due: terms.calendar.add_business_minutes(now, resolution),
        });
    }
    let rows: Vec<repo::NewTicketRows<'_>> = ready
        .iter()
        .map(|p| {
            let v = &p.item.valid;
            let id = p.id;
            repo::NewTicketRows {
                row: repo::NewRow {
                    id,
                    subject: &v.subject,
                    description: &v.description,
                    ticket_type: &v.ticket_type,
                    priority: v.priority,
                    channel: p.item.channel,
                    account_id: v.account_id,
                    location_id: v.location_id,
                    asset_serial: v.asset_serial.as_deref(),
                    contact_id: v.contact_id,
                    assignee_id: p.assignee,
                    team_id: v.team_id,
                    tags: &v.tags,
                    first_response_due: p.first_response_due,
                    resolution_due: p.resolution_due,
                },
                created: repo::Created {
                    actor: p.item.actor.tag(),
                    // The client is told their ticket was received (`acknowledgement`).
                    acknowledge: !p.item.actor.staff || v.contact_id.is_some(),
                },
            }
        })
        .collect();
    let mut raised: HashMap<TicketId, Ticket> = if rows.is_empty() {
        HashMap::new()
    } else {
        repo::insert_many(tx, &rows, now, check_links)
            .await
            .map_err(ServiceError::from_db)?
            .into_iter()
            .map(|t| (t.summary.id, t))
            .collect()
    };
    for p in &ready {
        if let Some(t) = raised.get(&p.id) {
            after_insert(tx, p, t.summary.number).await?;
        }
    }
    // The tickets the insert refused (their links failed): say why.
    let refused_late: Vec<&Prepared<'_>> = ready
        .iter()
        .filter(|p| !raised.contains_key(&p.id))
        .collect();
    let mut why: HashMap<TicketId, repo::LinkCheck> = HashMap::new();
    if !refused_late.is_empty() {
        let valids: Vec<&rules::ValidTicket> = refused_late.iter().map(|p| &p.item.valid).collect();
        let checks = repo::link_checks(tx, &valids).await?;
        why.extend(refused_late.iter().map(|p| p.id).zip(checks));
    }
    let mut ready = ready.into_iter();
    Ok(refused_early
        .into_iter()
        .map(|refused| {
            if let Some(links) = refused {
                return Err(rules::link_errors(links));
            }
            let p = ready.next().ok_or(ServiceError::NotFound)?;
            match raised.remove(&p.id) {
                Some(t) => Ok(t),
                None => match why.get(&p.id) {
                    Some(links) if !links.all_ok() => Err(rules::link_errors(*links)),
                    // Refused, yet its links hold now: they changed meanwhile.
                    _ => Err(ServiceError::Conflict(
                        "what the ticket points at changed while it was raised; try again".into(),
                    )),
                },
            }
        })
        .collect())
}

/// What follows a ticket's insert one ticket at a time: the round-robin line in its history.
async fn after_insert(
    tx: &mut PgConnection,
    p: &Prepared<'_>,
    number: i64,
) -> Result<(), ServiceError> {
    let id = p.id;
    if p.assignee.is_some() {
        let name = repo::user_name(tx, p.assignee).await?;
        repo::record_event(
            tx,
            id,
            (None, "Round-robin"),
            "assignee",
            None,
            name.as_deref(),
        )
        .await?;
    }
    tracing::info!(ticket_id = %id, number, "ticket created");
    Ok(())
}

async fn contact_email(
    db: &mut PgConnection,
    contact: Option<ContactId>,
) -> Result<Option<String>, sqlx::Error> {
    let Some(contact) = contact else {
        return Ok(None);
    };
    sqlx::query_scalar(
        "SELECT email FROM contact_email WHERE contact_id = $1 ORDER BY position LIMIT 1",
    )
    .bind(contact)
    .fetch_optional(&mut *db)
    .await
}

/// The Message-ID the next mail on this ticket should answer: the latest one sent or received.
async fn thread_parent(
    db: &mut PgConnection,
    ticket: TicketId,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM (
            SELECT message_id AS id, created_at FROM outbound_email WHERE ticket_id = $1 AND message_id IS NOT NULL
            UNION ALL
            SELECT email_message_id, created_at FROM ticket_message WHERE ticket_id = $1 AND email_message_id IS NOT NULL
         ) m ORDER BY created_at DESC LIMIT 1",
    )
    .bind(ticket)
    .fetch_optional(&mut *db)
    .await
}

/// Mails the requesting contact about their ticket, threaded on the conversation so far.
async fn mail_client(
    tx: &mut PgConnection,
    state: &AppState,
    ticket: TicketId,
    locked: &Locked,
    body: &str,
) -> Result<(), ServiceError> {
    let Some(to) = contact_email(tx, locked.contact_id).await? else {
        return Ok(());
    };
    let parent = thread_parent(tx, ticket).await?;
    let message_id =
        email::new_message_id(&state.settings.mail_from, &format!("t{}", locked.number));
    email::enqueue_threaded(
        &mut *tx,
        &ThreadedMail {
            to: &to,
            subject: &format!("[#{}] {}", locked.number, locked.subject),
            body: &format!(
                "{body}\n\n--\nReply to this message to answer, or see the ticket in the portal: {}/portal/tickets/{ticket}\n",
                state.settings.public_url
            ),
            ticket_id: ticket.0,
            message_id: &message_id,
            in_reply_to: parent.as_deref(),
        },
    )
    .await?;
    Ok(())
}

/// Applies changes to a locked ticket: checks each, records history, moves the SLA clock.
async fn apply(
    tx: &mut PgConnection,
    state: &AppState,
    actor: &Actor,
    id: TicketId,
    t: &Locked,
    changes: &rules::ValidChanges,
) -> Result<(), ServiceError> {
    let now = Utc::now();
    let (calendar, reopen_days) = repo::calendar(tx).await?;
    let mut status = t.status;
    let mut sla_paused_at = t.sla_paused_at;
    let mut resolution_due = t.resolution_due;
    let mut first_response_due = t.first_response_due;
    let mut resolved_at = t.resolved_at;
    let mut closed_at = None;
    if let Some(next) = changes.status.filter(|s| *s != t.status) {
        if !t.status.can_become(next) {
            return Err(ServiceError::field(
                "status",
                &format!(
                    "cannot change from {} to {}",
                    t.status.label(),
                    next.label()
                ),
            ));
        }
        if t.status == TicketStatus::Resolved
            && next == TicketStatus::Open
            && !can_reopen(t.status, t.resolved_at, reopen_days)
        {
            return Err(ServiceError::field(
                "status",
                &format!("can be reopened only within {reopen_days} days of being resolved"),
            ));
        }
        // Waiting on the client stops the resolution clock; the time waited is added back.
        if next == TicketStatus::PendingClient {
            sla_paused_at = Some(now);
        } else if let Some(paused) = t.sla_paused_at {
            let waited = calendar.business_minutes_between(paused, now);
            resolution_due = calendar.add_business_minutes(resolution_due, waited);
            sla_paused_at = None;
        }
        match next {
            TicketStatus::Resolved => resolved_at = Some(now),
            TicketStatus::Closed => {
                closed_at = Some(now);
                resolved_at = resolved_at.or(Some(now));
            }
            TicketStatus::Open if t.status == TicketStatus::Resolved => resolved_at = None,
            _ => {}
        }
        repo::record_event(
            tx,
            id,
            actor.tag(),
            "status",
            Some(t.status.as_str()),
            Some(next.as_str()),
        )
        .await?;
        status = next;
    }
    let priority = changes.priority.unwrap_or(t.priority);
    if priority != t.priority {
        let (first, resolution) = repo::targets(&mut *tx, priority).await?;
        first_response_due = calendar.add_business_minutes(t.created_at, first);
        resolution_due = calendar.add_business_minutes(t.created_at, resolution);
        repo::record_event(
            tx,
            id,
            actor.tag(),
            "priority",
            Some(t.priority.as_str()),
            Some(priority.as_str()),
        )
        .await?;
    }
    let ticket_type = changes
        .ticket_type
        .clone()
        .unwrap_or_else(|| t.ticket_type.clone());
    if ticket_type != t.ticket_type {
        repo::record_event(
            tx,
            id,
            actor.tag(),
            "type",
            Some(&t.ticket_type),
            Some(&ticket_type),
        )
        .await?;
    }
    let assignee = changes.assignee_id.unwrap_or(t.assignee_id);
    if assignee != t.assignee_id {
        let old = repo::user_name(tx, t.assignee_id).await?;
        let new = repo::user_name(tx, assignee).await?;
        repo::record_event(
            tx,
            id,
            actor.tag(),
            "assignee",
            old.as_deref(),
            new.as_deref(),
        )
        .await?;
        if let Some(user) = assignee.filter(|u| Some(*u) != actor.user_id) {
            repo::notify_user(
                tx,
                user,
                &format!("#{} assigned to you: {}", t.number, t.subject),
                &format!("/console/tickets/{id}"),
            )
            .await?;
        }
    }
    let team = changes.team_id.unwrap_or(t.team_id);
    if team != t.team_id {
        let old = repo::team_name(tx, t.team_id).await?;
        let new = repo::team_name(tx, team).await?;
        repo::record_event(tx, id, actor.tag(), "team", old.as_deref(), new.as_deref()).await?;
    }
    let mut tags = changes.tags.clone().unwrap_or_else(|| t.tags.clone());
    for tag in &changes.add_tags {
        if !tags.contains(tag) {
            tags.push(tag.clone());
        }
    }
    if tags != t.tags {
        repo::record_event(
            tx,
            id,
            actor.tag(),
            "tags",
            Some(&t.tags.join(", ")),
            Some(&tags.join(", ")),
        )
        .await?;
    }
    sqlx::query(
        "UPDATE ticket SET status = $2, priority = $3, ticket_type = $4, assignee_id = $5, team_id = $6,
            tags = $7, sla_paused_at = $8, resolution_due = $9, first_response_due = $10, resolved_at = $11,
            closed_at = coalesce($12, closed_at), updated_at = now()
         WHERE id = $1",
    )
    .bind(id)
    .bind(status.as_str())
    .bind(priority.as_str())
    .bind(&ticket_type)
    .bind(assignee)
    .bind(team)
    .bind(&tags)
    .bind(sla_paused_at)
    .bind(resolution_due)
    .bind(first_response_due)
    .bind(resolved_at)
    .bind(closed_at)
    .execute(&mut *tx)
    .await
    .map_err(ServiceError::from_db)?;
    if status != t.status {
        if status == TicketStatus::Resolved {
            // The survey module consumes this durable event to send the feedback request.
            repo::emit(
                tx,
                "ticket.resolved",
                id,
                serde_json::json!({ "number": t.number, "resolved_by": actor.name }),
            )
            .await?;
            mail_client(
                tx,
                state,
                id,
                t,
                &format!(
                    "Your ticket #{} has been resolved. If anything is still wrong, reply to this \
                     message or reopen the ticket in the portal within {reopen_days} days.",
                    t.number
                ),
            )
            .await?;
        }
        repo::emit(
            tx,
            "ticket.status_changed",
            id,
            serde_json::json!({ "from": t.status.as_str(), "to": status.as_str() }),
        )
        .await?;
    }
    repo::announce(&mut *tx, id, t.account_id).await?;
    Ok(())
}

/// Staff change status, priority, type, assignment, team or tags.
#[tracing::instrument(skip_all, fields(ticket_id = %id))]
pub async fn update(
    state: &AppState,
    caller: &Caller,
    id: TicketId,
    changes: &TicketChanges,
) -> Result<Ticket, ServiceError> {
    caller.staff(Permission::WorkTickets)?;
    let db = &state.db;
    let actor = actor(db, caller).await?;
    let valid = rules::validate_changes(db, changes).await?;
    let mut tx = db.begin().await?;
    let locked = repo::lock(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    apply(&mut tx, state, &actor, id, &locked, &valid).await?;
    tx.commit().await?;
    repo::find(db, id).await?.ok_or(ServiceError::NotFound)
}

/// The same changes on many tickets, all or nothing.
pub async fn bulk_update(
    state: &AppState,
    caller: &Caller,
    ids: &[TicketId],
    changes: &TicketChanges,
) -> Result<usize, ServiceError> {
    caller.staff(Permission::WorkTickets)?;
    if ids.len() > 200 {
        return Err(ServiceError::field("ids", "at most 200 tickets at a time"));
    }
    let db = &state.db;
    let actor = actor(db, caller).await?;
    let valid = rules::validate_changes(db, changes).await?;
    let mut tx = db.begin().await?;
    for id in ids {
        let locked = repo::lock(&mut tx, *id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        apply(&mut tx, state, &actor, *id, &locked, &valid).await?;
    }
    tx.commit().await?;
    Ok(ids.len())
}

/// Locks a ticket the caller may reach (clients: their accounts only).
async fn lock_visible(
    tx: &mut PgConnection,
    db: &PgPool,
    caller: &Caller,
    id: TicketId,
) -> Result<Locked, ServiceError> {
    let scope = reach(db, caller).await?;
    let locked = repo::lock(tx, id).await?.ok_or(ServiceError::NotFound)?;
    if let Some(scope) = scope {
        if !scope.contains(&locked.account_id) {
            return Err(ServiceError::NotFound);
        }
    }
    Ok(locked)
}

/// The client (or staff) closes a ticket; closed is final.
pub async fn close(
    state: &AppState,
    caller: &Caller,
    id: TicketId,
) -> Result<Ticket, ServiceError> {
    status_by_participant(state, caller, id, TicketStatus::Closed).await
}

/// Reopens a resolved ticket within the reopen window.
pub async fn reopen(
    state: &AppState,
    caller: &Caller,
    id: TicketId,
) -> Result<Ticket, ServiceError> {
    status_by_participant(state, caller, id, TicketStatus::Open).await
}

async fn status_by_participant(
    state: &AppState,
    caller: &Caller,
    id: TicketId,
    to: TicketStatus,
) -> Result<Ticket, ServiceError> {
    let db = &state.db;
    if !matches!(caller, Caller::Client(_)) {
        caller.staff(Permission::WorkTickets)?;
    }
    let actor = actor(db, caller).await?;
    let mut tx = db.begin().await?;
    let locked = lock_visible(&mut tx, db, caller, id).await?;
    let changes = rules::ValidChanges {
        status: Some(to),
        ..Default::default()
    };
    apply(&mut tx, state, &actor, id, &locked, &changes).await?;
    tx.commit().await?;
    repo::find(db, id).await?.ok_or(ServiceError::NotFound)
}

/// A public reply or (staff only) an internal note.
#[tracing::instrument(skip_all, fields(ticket_id = %id, internal))]
pub async fn reply(
    state: &AppState,
    caller: &Caller,
    id: TicketId,
    body: &str,
    internal: bool,
) -> Result<TicketMessage, ServiceError> {
    let db = &state.db;
    let client = matches!(caller, Caller::Client(_));
    if client && internal {
        return Err(ServiceError::Forbidden);
    }
    if !client {
        caller.staff(Permission::WorkTickets)?;
    }
    let body = rules::message_body(body)?;
    let actor = actor(db, caller).await?;
    let mut tx = db.begin().await?;
    let locked = lock_visible(&mut tx, db, caller, id).await?;
    let message = add_message_in(
        &mut tx,
        state,
        &actor,
        id,
        &locked,
        &body,
        internal,
        if client { "portal" } else { "console" },
        None,
    )
    .await?;
    tx.commit().await?;
    let messages = repo::messages(db, id, true).await?;
    messages
        .into_iter()
        .find(|m| m.id == message)
        .ok_or(ServiceError::NotFound)
}

/// Adds a message and its consequences: the first staff reply stops the first-response
/// clock; a client's reply brings a waiting or resolved ticket back to open; public staff
/// replies are mailed to the client, internal notes never are.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn add_message_in(
    tx: &mut PgConnection,
    state: &AppState,
    actor: &Actor,
    id: TicketId,
    locked: &Locked,
    body: &str,
    internal: bool,
    via: &str,
    email_message_id: Option<(&str, Option<&str>)>,
) -> Result<MessageId, ServiceError> {
    if locked.status == TicketStatus::Closed {
        return Err(ServiceError::Conflict(
            "This ticket is closed. Please raise a new ticket.".into(),
        ));
    }
    let message = MessageId::new();
    repo::insert_message(
        tx,
        &repo::NewMessage {
            id: message,
            ticket_id: id,
            internal,
            author_user_id: actor.user_id,
            author_contact_id: actor.contact_id,
            author_name: &actor.name,
            body,
            body_html: email_message_id.and_then(|(_, html)| html),
            via,
            email_message_id: email_message_id.map(|(m, _)| m),
        },
    )
    .await
    .map_err(ServiceError::from_db)?;
    let mut next_status = None;
    if actor.staff && !internal {
        if locked.first_responded_at.is_none() && actor.user_id.is_some() {
            sqlx::query("UPDATE ticket SET first_responded_at = now() WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        if locked.status == TicketStatus::New {
            next_status = Some(TicketStatus::Open);
        }
        mail_client(tx, state, id, locked, body).await?;
    } else if !actor.staff {
        match locked.status {
            TicketStatus::PendingClient | TicketStatus::OnHold | TicketStatus::Resolved => {
                next_status = Some(TicketStatus::Open)
            }
            _ => {}
        }
        if let Some(user) = locked.assignee_id {
            repo::notify_user(
                tx,
                user,
                &format!("{} replied on #{}", actor.name, locked.number),
                &format!("/console/tickets/{id}"),
            )
            .await?;
        }
    }
    if let Some(next) = next_status {
        let changes = rules::ValidChanges {
            status: Some(next),
            ..Default::default()
        };
        apply(tx, state, actor, id, locked, &changes).await?;
    } else {
        sqlx::query("UPDATE ticket SET updated_at = now() WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        repo::announce(&mut *tx, id, locked.account_id).await?;
    }
    Ok(message)
}

/// The 360° view's ticket section: the account's (and its locations') latest tickets.
pub async fn for_account(
    db: &PgPool,
    caller: &Caller,
    account: AccountId,
) -> Result<Vec<crate::types::TicketSummary>, ServiceError> {
    let scope = reach(db, caller).await?;
    let tree = accounts::repo::subtree(db, account).await?;
    let visible: Vec<AccountId> = match scope {
        Some(s) => tree.into_iter().filter(|a| s.contains(a)).collect(),
        None => tree,
    };
    Ok(repo::recent_for_accounts(db, &visible, 20).await?)
}

pub(crate) use repo::Locked as LockedTicket;

pub(crate) async fn lock_for_system(
    tx: &mut PgConnection,
    id: TicketId,
) -> Result<Option<LockedTicket>, sqlx::Error> {
    repo::lock(tx, id).await
}

/// Marks the caller as viewing (or replying on) the ticket and returns the other staff
/// seen on it within the last 30 seconds.
pub async fn presence(
    db: &PgPool,
    caller: &Caller,
    id: TicketId,
    replying: bool,
) -> Result<Vec<crate::types::TicketViewer>, ServiceError> {
    let staff = caller.staff(Permission::ReadTickets)?;
    let Some(me) = staff.user_id else {
        return Ok(Vec::new());
    };
    get(db, caller, id).await?;
    let was_replying: Option<bool> = sqlx::query_scalar(
        "INSERT INTO ticket_viewer (ticket_id, user_id, replying, seen_at) VALUES ($1, $2, $3, now())
         ON CONFLICT (ticket_id, user_id) DO UPDATE SET replying = $3, seen_at = now()
         RETURNING (SELECT replying FROM ticket_viewer WHERE ticket_id = $1 AND user_id = $2)",
    )
    .bind(id)
    .bind(me)
    .bind(replying)
    .fetch_one(db)
    .await?;
    if was_replying != Some(replying) {
        // Others' pages refresh their presence line at once rather than at the next beat.
        let account: Option<AccountId> =
            sqlx::query_scalar("SELECT account_id FROM ticket WHERE id = $1")
                .bind(id)
                .fetch_optional(db)
                .await?;
        if let Some(account) = account {
            let mut conn = db.acquire().await?;
            repo::announce(&mut *conn, id, account).await?;
        }
    }
    let rows: Vec<(String, bool)> = sqlx::query_as(
        "SELECT u.display_name, v.replying FROM ticket_viewer v JOIN app_user u ON u.id = v.user_id
         WHERE v.ticket_id = $1 AND v.user_id <> $2 AND v.seen_at > now() - interval '30 seconds'
         ORDER BY u.display_name",
    )
    .bind(id)
    .bind(me)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(name, replying)| crate::types::TicketViewer { name, replying })
        .collect())
}

/// A user's saved dashboard views.
pub async fn saved_views(
    db: &PgPool,
    caller: &Caller,
) -> Result<Vec<crate::types::SavedTicketView>, ServiceError> {
    let me = caller
        .staff(Permission::ReadTickets)?
        .user_id
        .ok_or(ServiceError::Forbidden)?;
    let rows: Vec<(uuid::Uuid, String, String)> = sqlx::query_as(
        "SELECT id, name, query FROM saved_ticket_view WHERE user_id = $1 ORDER BY name",
    )
    .bind(me)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, query)| crate::types::SavedTicketView { id, name, query })
        .collect())
}

pub async fn save_view(
    db: &PgPool,
    caller: &Caller,
    name: &str,
    query: &str,
) -> Result<(), ServiceError> {
    let me = caller
        .staff(Permission::ReadTickets)?
        .user_id
        .ok_or(ServiceError::Forbidden)?;
    let mut c = crate::server::error::Checks::default();
    let name = c.required("name", name, 60);
    let query = query.trim_start_matches('?');
    if query.len() > 2000 {
        c.add("query", "is too long");
    }
    c.finish()?;
    sqlx::query(
        "INSERT INTO saved_ticket_view (id, user_id, name, query) VALUES ($1, $2, $3, $4)
         ON CONFLICT (user_id, name) DO UPDATE SET query = EXCLUDED.query",
    )
    .bind(uuid::Uuid::new_v4())
    .bind(me)
    .bind(&name)
    .bind(query)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn delete_view(db: &PgPool, caller: &Caller, id: uuid::Uuid) -> Result<(), ServiceError> {
    let me = caller
        .staff(Permission::ReadTickets)?
        .user_id
        .ok_or(ServiceError::Forbidden)?;
    sqlx::query("DELETE FROM saved_ticket_view WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(me)
        .execute(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_a_field_error() {
        let at = Utc::now();
        let id = TicketId::new();
        let c = Cursor::After(at, id);
        assert_eq!(decode_cursor(&encode_cursor(&c)).ok(), Some(c));
        assert_eq!(
            decode_cursor(&encode_cursor(&Cursor::Offset(50))).ok(),
            Some(Cursor::Offset(50))
        );
        assert!(matches!(
            decode_cursor("not-a-cursor"),
            Err(ServiceError::Validation(_))
        ));
    }
}
