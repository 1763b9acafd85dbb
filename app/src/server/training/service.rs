//! Training verbs: publish and cancel slots, book, reschedule and cancel calls, reminders,
//! calendar feeds.

use super::ics::{self, Call, Method, Person};
use crate::server::auth::tokens;
use crate::server::auth::{Caller, Permission};
use crate::server::error::Checks;
use crate::server::{email, onboarding, AppState, ServiceError, Settings};
use crate::types::{
    AccountId, BookingId, BookingView, PortalTraining, SlotId, SlotInput, SlotView, TrainingDesk,
    UserId,
};
use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use sqlx::{FromRow, PgConnection, PgPool};

/// A time zone name a person gave: an IANA name we know.
pub fn zone(name: &str) -> Option<Tz> {
    name.trim().parse::<Tz>().ok()
}

/// "Tue 1 Dec 2026, 10:00–10:45 CET" in `tz`.
pub fn when(start: DateTime<Utc>, minutes: i32, tz: Tz) -> String {
    let s = start.with_timezone(&tz);
    let e = (start + Duration::minutes(i64::from(minutes))).with_timezone(&tz);
    format!(
        "{}–{} {}",
        s.format("%a %-d %b %Y, %H:%M"),
        e.format("%H:%M"),
        s.format("%Z")
    )
}

#[derive(FromRow)]
struct SlotRow {
    id: SlotId,
    title: String,
    host_id: UserId,
    host_name: String,
    host_email: String,
    starts_at: DateTime<Utc>,
    duration_minutes: i32,
    time_zone: String,
    capacity: i32,
    booked: i32,
    meeting_url: Option<String>,
    cancelled: bool,
}

const SLOT: &str =
    "SELECT s.id, s.title, s.host_id, u.display_name AS host_name, u.email AS host_email,
    s.starts_at, s.duration_minutes, s.time_zone, s.capacity, s.booked, s.meeting_url,
    s.cancelled_at IS NOT NULL AS cancelled
    FROM training_slot s JOIN app_user u ON u.id = s.host_id";

impl SlotRow {
    fn view(&self, tz: Tz) -> SlotView {
        SlotView {
            id: self.id,
            title: self.title.clone(),
            host_name: self.host_name.clone(),
            starts_at: self.starts_at,
            duration_minutes: self.duration_minutes,
            when: when(self.starts_at, self.duration_minutes, tz),
            time_zone: tz.name().to_string(),
            slot_time_zone: self.time_zone.clone(),
            capacity: self.capacity,
            booked: self.booked,
            meeting_url: self.meeting_url.clone(),
            cancelled: self.cancelled,
        }
    }
}

#[derive(FromRow)]
struct BookingRow {
    id: BookingId,
    slot_id: SlotId,
    account_id: AccountId,
    account_name: String,
    booked_by: UserId,
    booked_by_name: String,
    booked_by_email: String,
    status: String,
    uid: String,
    sequence: i32,
}

const BOOKING: &str = "SELECT b.id, b.slot_id, b.account_id, a.name AS account_name, b.booked_by,
    u.display_name AS booked_by_name, u.email AS booked_by_email, b.status, b.uid, b.sequence
    FROM training_booking b JOIN account a ON a.id = b.account_id JOIN app_user u ON u.id = b.booked_by";

async fn slot(db: impl sqlx::PgExecutor<'_>, id: SlotId) -> Result<Option<SlotRow>, sqlx::Error> {
    sqlx::query_as(&format!("{SLOT} WHERE s.id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await
}

async fn booking(
    db: impl sqlx::PgExecutor<'_>,
    id: BookingId,
) -> Result<Option<BookingRow>, sqlx::Error> {
    sqlx::query_as(&format!("{BOOKING} WHERE b.id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await
}

fn booking_view(b: &BookingRow, s: &SlotRow, tz: Tz) -> BookingView {
    BookingView {
        id: b.id,
        slot: s.view(tz),
        account_id: b.account_id,
        account_name: b.account_name.clone(),
        booked_by_name: b.booked_by_name.clone(),
        sequence: b.sequence,
        cancelled: b.status == "cancelled",
    }
}

/// The zone a user reads times in: what they chose, else UTC.
async fn user_zone(db: &PgPool, user: Option<UserId>) -> Result<Tz, ServiceError> {
    Ok(saved_zone(db, user).await?.unwrap_or(Tz::UTC))
}

async fn saved_zone(db: &PgPool, user: Option<UserId>) -> Result<Option<Tz>, ServiceError> {
    let Some(user) = user else { return Ok(None) };
    let name: Option<String> = sqlx::query_scalar("SELECT time_zone FROM app_user WHERE id = $1")
        .bind(user)
        .fetch_optional(db)
        .await?
        .flatten();
    Ok(name.as_deref().and_then(zone))
}

/// For mail about a slot: the reader's zone, else the zone the slot was published in.
async fn mail_zone(db: &PgPool, user: UserId, slot: &SlotRow) -> Result<Tz, ServiceError> {
    Ok(saved_zone(db, Some(user))
        .await?
        .or_else(|| zone(&slot.time_zone))
        .unwrap_or(Tz::UTC))
}

/// The reader's zone: the one the browser reports (remembered for mail), else the saved one.
async fn reader_zone(
    db: &PgPool,
    caller: &Caller,
    reported: Option<&str>,
) -> Result<Tz, ServiceError> {
    if let Some(tz) = reported.and_then(zone) {
        if let Some(user) = caller.user_id() {
            sqlx::query(
                "UPDATE app_user SET time_zone = $2 WHERE id = $1 AND time_zone IS DISTINCT FROM $2",
            )
            .bind(user)
            .bind(tz.name())
            .execute(db)
            .await?;
        }
        return Ok(tz);
    }
    user_zone(db, caller.user_id()).await
}

/// A slot that passed every check.
#[derive(Debug)]
struct ValidSlot {
    start: DateTime<Utc>,
    tz: Tz,
    minutes: i32,
    capacity: i32,
    title: String,
    url: Option<String>,
}

fn validate(input: &SlotInput, now: DateTime<Utc>) -> Result<ValidSlot, ServiceError> {
    let mut checks = Checks::default();
    let title = checks.required("title", &input.title, 200);
    let tz = zone(&input.time_zone);
    if tz.is_none() {
        checks.add(
            "time_zone",
            "is not a time zone we know (e.g. Europe/Paris)",
        );
    }
    let local = NaiveDateTime::parse_from_str(input.starts_local.trim(), "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(input.starts_local.trim(), "%Y-%m-%dT%H:%M:%S"));
    let start = match (local, tz) {
        (Err(_), _) => {
            checks.add("starts_local", "needs a date and time");
            None
        }
        (Ok(local), Some(tz)) => match tz.from_local_datetime(&local).earliest() {
            Some(t) => Some(t.with_timezone(&Utc)),
            None => {
                checks.add(
                    "starts_local",
                    "does not exist in that time zone (clocks change)",
                );
                None
            }
        },
        (Ok(_), None) => None,
    };
    if let Some(start) = start {
        if start <= now {
            checks.add("starts_local", "must be in the future");
        }
    }
    let duration = match input.duration_minutes.trim().parse::<i32>() {
        Ok(d) if (15..=480).contains(&d) => d,
        _ => {
            checks.add("duration_minutes", "must be between 15 and 480 minutes");
            0
        }
    };
    let capacity = match input.capacity.trim().parse::<i32>() {
        Ok(c) if (1..=100).contains(&c) => c,
        _ => {
            checks.add("capacity", "must be between 1 and 100");
            0
        }
    };
    let url = checks.optional("meeting_url", &input.meeting_url, 500);
    if let Some(u) = &url {
        if !(u.starts_with("https://") || u.starts_with("http://")) {
            checks.add("meeting_url", "must start with https://");
        }
    }
    checks.finish()?;
    match (start, tz) {
        (Some(start), Some(tz)) => Ok(ValidSlot {
            start,
            tz,
            minutes: duration,
            capacity,
            title,
            url,
        }),
        _ => Err(ServiceError::field("starts_local", "needs a date and time")),
    }
}

pub async fn publish_slot(
    db: &PgPool,
    caller: &Caller,
    input: &SlotInput,
) -> Result<SlotView, ServiceError> {
    let staff = caller.staff(Permission::ScheduleTraining)?;
    let host = staff.user_id.ok_or(ServiceError::Forbidden)?;
    let ValidSlot {
        start,
        tz,
        minutes,
        capacity,
        title,
        url,
    } = validate(input, Utc::now())?;
    let id = SlotId::new();
    sqlx::query(
        "INSERT INTO training_slot (id, host_id, title, starts_at, duration_minutes, time_zone,
             capacity, meeting_url) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id)
    .bind(host)
    .bind(&title)
    .bind(start)
    .bind(minutes)
    .bind(tz.name())
    .bind(capacity)
    .bind(&url)
    .execute(db)
    .await?;
    // The zone the host works in, for their mail, unless they chose one.
    sqlx::query("UPDATE app_user SET time_zone = $2 WHERE id = $1 AND time_zone IS NULL")
        .bind(host)
        .bind(tz.name())
        .execute(db)
        .await?;
    tracing::info!(slot_id = %id, "training slot published");
    let row = slot(db, id).await?.ok_or(ServiceError::NotFound)?;
    Ok(row.view(tz))
}

fn call(settings: &Settings, b: &BookingRow, s: &SlotRow, sequence: i32, cancelled: bool) -> Call {
    Call {
        uid: b.uid.clone(),
        sequence: sequence.max(0) as u32,
        start: s.starts_at,
        minutes: s.duration_minutes,
        summary: format!("{} · {}", s.title, b.account_name),
        description: format!(
            "Training call for {} with {}.{}\nManage it in the portal: {}/portal/training",
            b.account_name,
            s.host_name,
            s.meeting_url
                .as_ref()
                .map(|u| format!("\nJoin: {u}"))
                .unwrap_or_default(),
            settings.public_url
        ),
        url: s.meeting_url.clone(),
        organizer: Person {
            name: s.host_name.clone(),
            email: s.host_email.clone(),
        },
        attendees: vec![Person {
            name: b.booked_by_name.clone(),
            email: b.booked_by_email.clone(),
        }],
        cancelled,
    }
}

/// Invitation, update or cancellation to both sides, each with times in their own zone.
async fn send_calendar_mail(
    tx: &mut PgConnection,
    db: &PgPool,
    settings: &Settings,
    b: &BookingRow,
    s: &SlotRow,
    method: Method,
    sequence: i32,
) -> Result<(), ServiceError> {
    let cancelled = method == Method::Cancel;
    let ics = ics::invitation(method, &call(settings, b, s, sequence, cancelled));
    let recipients = [
        (b.booked_by, &b.booked_by_email, &b.booked_by_name),
        (s.host_id, &s.host_email, &s.host_name),
    ];
    for (user, address, name) in recipients {
        let tz = mail_zone(db, user, s).await?;
        let when = when(s.starts_at, s.duration_minutes, tz);
        let (subject, line) = match (method, sequence) {
            (Method::Cancel, _) => (
                format!("Cancelled: {} · {}", s.title, b.account_name),
                format!("The training call on {when} is cancelled."),
            ),
            (Method::Request, 0) => (
                format!("Invitation: {} · {}", s.title, b.account_name),
                format!("Your training call is booked for {when}."),
            ),
            (Method::Request, _) => (
                format!("Updated: {} · {}", s.title, b.account_name),
                format!("Your training call has moved to {when}."),
            ),
        };
        let body = format!(
            "Hello {name},\n\n{line}\n{}\nThe calendar invitation is attached.\n",
            s.meeting_url
                .as_ref()
                .map(|u| format!("Join: {u}\n"))
                .unwrap_or_default()
        );
        email::enqueue_mail(
            &mut *tx,
            &email::Mail {
                to: address,
                subject: &subject,
                body_text: &body,
                calendar: Some(&ics),
                account_id: Some(b.account_id),
                kind: "training",
                ..Default::default()
            },
        )
        .await?;
    }
    Ok(())
}

/// Locks a slot and checks it can take one more booking.
async fn take_place(tx: &mut PgConnection, id: SlotId) -> Result<SlotRow, ServiceError> {
    let open: Option<(i32, i32, bool, DateTime<Utc>)> = sqlx::query_as(
        "SELECT booked, capacity, cancelled_at IS NOT NULL, starts_at FROM training_slot
         WHERE id = $1 FOR UPDATE",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let (booked, capacity, cancelled, starts_at) = open.ok_or(ServiceError::NotFound)?;
    if cancelled || starts_at <= Utc::now() {
        return Err(ServiceError::Conflict(
            "This time is no longer available. Please pick another.".into(),
        ));
    }
    if booked >= capacity {
        return Err(ServiceError::Conflict(
            "This time was just taken. Please pick another.".into(),
        ));
    }
    sqlx::query("UPDATE training_slot SET booked = booked + 1 WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    slot(&mut *tx, id).await?.ok_or(ServiceError::NotFound)
}

async fn free_place(tx: &mut PgConnection, id: SlotId) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE training_slot SET booked = greatest(booked - 1, 0) WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// A client books their account's first training call.
pub async fn book(
    state: &AppState,
    caller: &Caller,
    slot_id: SlotId,
    time_zone: Option<&str>,
) -> Result<BookingView, ServiceError> {
    let client = caller.client()?.clone();
    let db = &state.db;
    let tz = reader_zone(db, caller, time_zone).await?;
    let mut tx = db.begin().await?;
    let s = take_place(&mut tx, slot_id).await?;
    let id = BookingId::new();
    let onboarding: Option<uuid::Uuid> = sqlx::query_scalar(
        "SELECT id FROM onboarding WHERE account_id = $1 AND status = 'running'",
    )
    .bind(client.account_id)
    .fetch_optional(&mut *tx)
    .await?;
    let domain = email::sender_address(&state.settings.mail_from)
        .rsplit('@')
        .next()
        .filter(|d| !d.is_empty())
        .unwrap_or("steward.invalid")
        .to_string();
    sqlx::query(
        "INSERT INTO training_booking (id, slot_id, account_id, onboarding_id, booked_by, uid)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(slot_id)
    .bind(client.account_id)
    .bind(onboarding)
    .bind(client.user_id)
    .bind(format!("training-{}@{domain}", id.0.simple()))
    .execute(&mut *tx)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(d) if d.constraint() == Some("training_booking_one_per_account") => {
            ServiceError::Conflict(
                "Your company already has a training call booked: reschedule it instead.".into(),
            )
        }
        _ => ServiceError::Database(e),
    })?;
    let b = booking(&mut *tx, id).await?.ok_or(ServiceError::NotFound)?;
    send_calendar_mail(&mut tx, db, &state.settings, &b, &s, Method::Request, 0).await?;
    onboarding::training_booked(&mut tx, &state.settings, caller, client.account_id).await?;
    tx.commit().await?;
    tracing::info!(booking_id = %id, slot_id = %slot_id, "training booked");
    Ok(booking_view(&b, &s, tz))
}

/// The booking, locked, if the caller may change it: the account's clients, or staff who
/// schedule training.
async fn changeable(
    tx: &mut PgConnection,
    caller: &Caller,
    id: BookingId,
) -> Result<BookingRow, ServiceError> {
    caller.require_signed_in()?;
    let locked: Option<(AccountId, String)> =
        sqlx::query_as("SELECT account_id, status FROM training_booking WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    let (account, status) = locked.ok_or(ServiceError::NotFound)?;
    match caller {
        Caller::Client(c) if c.account_id == account => {}
        Caller::Client(_) => return Err(ServiceError::NotFound),
        _ => {
            caller.staff(Permission::ScheduleTraining)?;
        }
    }
    if status != "booked" {
        return Err(ServiceError::Conflict(
            "This call is already cancelled.".into(),
        ));
    }
    booking(&mut *tx, id).await?.ok_or(ServiceError::NotFound)
}

/// Moves a booking to another slot: same calendar event (UID), next SEQUENCE.
pub async fn reschedule(
    state: &AppState,
    caller: &Caller,
    id: BookingId,
    to: SlotId,
    time_zone: Option<&str>,
) -> Result<BookingView, ServiceError> {
    let db = &state.db;
    let tz = reader_zone(db, caller, time_zone).await?;
    let mut tx = db.begin().await?;
    let b = changeable(&mut tx, caller, id).await?;
    if b.slot_id == to {
        return Err(ServiceError::field("slot_id", "is the time already booked"));
    }
    let s = take_place(&mut tx, to).await?;
    free_place(&mut tx, b.slot_id).await?;
    let sequence: i32 = sqlx::query_scalar(
        "UPDATE training_booking SET slot_id = $2, sequence = sequence + 1, reminded_at = NULL
         WHERE id = $1 RETURNING sequence",
    )
    .bind(id)
    .bind(to)
    .fetch_one(&mut *tx)
    .await?;
    let b = booking(&mut *tx, id).await?.ok_or(ServiceError::NotFound)?;
    send_calendar_mail(
        &mut tx,
        db,
        &state.settings,
        &b,
        &s,
        Method::Request,
        sequence,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(booking_id = %id, slot_id = %to, sequence, "training rescheduled");
    Ok(booking_view(&b, &s, tz))
}

pub async fn cancel_booking(
    state: &AppState,
    caller: &Caller,
    id: BookingId,
) -> Result<(), ServiceError> {
    let db = &state.db;
    let mut tx = db.begin().await?;
    let b = changeable(&mut tx, caller, id).await?;
    cancel_in(&mut tx, db, &state.settings, &b).await?;
    tx.commit().await?;
    tracing::info!(booking_id = %id, "training cancelled");
    Ok(())
}

async fn cancel_in(
    tx: &mut PgConnection,
    db: &PgPool,
    settings: &Settings,
    b: &BookingRow,
) -> Result<(), ServiceError> {
    let sequence: i32 = sqlx::query_scalar(
        "UPDATE training_booking SET status = 'cancelled', sequence = sequence + 1
         WHERE id = $1 RETURNING sequence",
    )
    .bind(b.id)
    .fetch_one(&mut *tx)
    .await?;
    free_place(tx, b.slot_id).await?;
    let s = slot(&mut *tx, b.slot_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    send_calendar_mail(tx, db, settings, b, &s, Method::Cancel, sequence).await
}

/// Staff withdraw a slot; its bookings are cancelled and both sides told.
pub async fn cancel_slot(
    state: &AppState,
    caller: &Caller,
    id: SlotId,
) -> Result<(), ServiceError> {
    caller.staff(Permission::ScheduleTraining)?;
    let db = &state.db;
    let mut tx = db.begin().await?;
    let done = sqlx::query(
        "UPDATE training_slot SET cancelled_at = now() WHERE id = $1 AND cancelled_at IS NULL",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(ServiceError::NotFound);
    }
    let ids: Vec<BookingId> = sqlx::query_scalar(
        "SELECT id FROM training_booking WHERE slot_id = $1 AND status = 'booked' FOR UPDATE",
    )
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    for b in ids {
        let row = booking(&mut *tx, b).await?.ok_or(ServiceError::NotFound)?;
        cancel_in(&mut tx, db, &state.settings, &row).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The account's live booking, if any.
pub async fn for_account(
    db: &PgPool,
    account: AccountId,
    tz: Tz,
) -> Result<Option<BookingView>, ServiceError> {
    let b: Option<BookingRow> = sqlx::query_as(&format!(
        "{BOOKING} WHERE b.account_id = $1 AND b.status = 'booked'"
    ))
    .bind(account)
    .fetch_optional(db)
    .await?;
    let Some(b) = b else { return Ok(None) };
    let s = slot(db, b.slot_id).await?.ok_or(ServiceError::NotFound)?;
    Ok(Some(booking_view(&b, &s, tz)))
}

/// The account's booking in the reader's saved zone (the account page, the portal home).
pub async fn account_booking(
    db: &PgPool,
    caller: &Caller,
    account: AccountId,
) -> Result<Option<BookingView>, ServiceError> {
    let tz = user_zone(db, caller.user_id()).await?;
    for_account(db, account, tz).await
}

/// The portal's training page: the account's booking and the times it can pick.
pub async fn portal(
    db: &PgPool,
    caller: &Caller,
    time_zone: Option<&str>,
) -> Result<PortalTraining, ServiceError> {
    let client = caller.client()?.clone();
    let tz = reader_zone(db, caller, time_zone).await?;
    let rows: Vec<SlotRow> = sqlx::query_as(&format!(
        "{SLOT} WHERE s.cancelled_at IS NULL AND s.starts_at > now() + interval '1 hour'
           AND s.booked < s.capacity
         ORDER BY s.starts_at LIMIT 60"
    ))
    .fetch_all(db)
    .await?;
    Ok(PortalTraining {
        time_zone: tz.name().to_string(),
        booking: for_account(db, client.account_id, tz).await?,
        slots: rows.iter().map(|r| r.view(tz)).collect(),
    })
}

/// The console's training page: slots from today on, and their bookings.
pub async fn desk(
    db: &PgPool,
    caller: &Caller,
    time_zone: Option<&str>,
) -> Result<TrainingDesk, ServiceError> {
    caller.staff(Permission::ReadAccounts)?;
    let tz = reader_zone(db, caller, time_zone).await?;
    let rows: Vec<SlotRow> = sqlx::query_as(&format!(
        "{SLOT} WHERE s.starts_at > now() - interval '1 day' ORDER BY s.starts_at LIMIT 200"
    ))
    .fetch_all(db)
    .await?;
    let bookings: Vec<BookingRow> = sqlx::query_as(&format!(
        "{BOOKING} WHERE b.status = 'booked' AND b.slot_id = ANY($1)"
    ))
    .bind(rows.iter().map(|r| r.id.0).collect::<Vec<_>>())
    .fetch_all(db)
    .await?;
    let has_feed: bool = match caller.user_id() {
        Some(u) => {
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM calendar_feed WHERE user_id = $1)")
                .bind(u)
                .fetch_one(db)
                .await?
        }
        None => false,
    };
    Ok(TrainingDesk {
        time_zone: tz.name().to_string(),
        slots: rows.iter().map(|r| r.view(tz)).collect(),
        bookings: bookings
            .iter()
            .filter_map(|b| {
                rows.iter()
                    .find(|s| s.id == b.slot_id)
                    .map(|s| booking_view(b, s, tz))
            })
            .collect(),
        has_feed,
    })
}

/// A new private feed URL for the caller's calendar (the old one stops working).
pub async fn create_feed(
    db: &PgPool,
    settings: &Settings,
    caller: &Caller,
) -> Result<String, ServiceError> {
    let staff = caller.staff(Permission::ReadAccounts)?;
    let user = staff.user_id.ok_or(ServiceError::Forbidden)?;
    let secret = tokens::random_secret();
    sqlx::query(
        "INSERT INTO calendar_feed (user_id, token_hash) VALUES ($1, $2)
         ON CONFLICT (user_id) DO UPDATE SET token_hash = EXCLUDED.token_hash, created_at = now()",
    )
    .bind(user)
    .bind(tokens::digest(&secret))
    .execute(db)
    .await?;
    Ok(format!("{}/calendar/{secret}.ics", settings.public_url))
}

/// The feed behind a secret URL: the calls the user hosts, from a month ago on.
pub async fn feed(db: &PgPool, settings: &Settings, secret: &str) -> Result<String, ServiceError> {
    let user: Option<(UserId, String)> = sqlx::query_as(
        "SELECT u.id, u.display_name FROM calendar_feed f JOIN app_user u ON u.id = f.user_id
         WHERE f.token_hash = $1 AND u.is_active AND u.kind = 'staff'",
    )
    .bind(tokens::digest(secret))
    .fetch_optional(db)
    .await?;
    let (user, name) = user.ok_or(ServiceError::NotFound)?;
    let slots: Vec<SlotRow> = sqlx::query_as(&format!(
        "{SLOT} WHERE s.host_id = $1 AND s.starts_at > now() - interval '30 days'
         ORDER BY s.starts_at LIMIT 1000"
    ))
    .bind(user)
    .fetch_all(db)
    .await?;
    let bookings: Vec<BookingRow> = sqlx::query_as(&format!("{BOOKING} WHERE b.slot_id = ANY($1)"))
        .bind(slots.iter().map(|r| r.id.0).collect::<Vec<_>>())
        .fetch_all(db)
        .await?;
    let calls: Vec<Call> = bookings
        .iter()
        .filter_map(|b| {
            let s = slots.iter().find(|s| s.id == b.slot_id)?;
            Some(call(
                settings,
                b,
                s,
                b.sequence,
                b.status == "cancelled" || s.cancelled,
            ))
        })
        .collect();
    Ok(ics::feed(&format!("Steward training · {name}"), &calls))
}

/// Reminds both sides of calls starting within a day (once per booking and time).
pub async fn send_reminders(state: &AppState) -> Result<usize, ServiceError> {
    let db = &state.db;
    let mut tx = db.begin().await?;
    let due: Vec<BookingId> = sqlx::query_scalar(
        "SELECT b.id FROM training_booking b JOIN training_slot s ON s.id = b.slot_id
         WHERE b.status = 'booked' AND b.reminded_at IS NULL AND s.cancelled_at IS NULL
           AND s.starts_at > now() AND s.starts_at <= now() + interval '24 hours'
         LIMIT 100 FOR UPDATE OF b SKIP LOCKED",
    )
    .fetch_all(&mut *tx)
    .await?;
    for id in &due {
        let b = booking(&mut *tx, *id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let s = slot(&mut *tx, b.slot_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        for (user, address, name) in [
            (b.booked_by, &b.booked_by_email, &b.booked_by_name),
            (s.host_id, &s.host_email, &s.host_name),
        ] {
            let tz = mail_zone(db, user, &s).await?;
            let body = format!(
                "Hello {name},\n\nA reminder: the training call for {} is on {}.\n{}",
                b.account_name,
                when(s.starts_at, s.duration_minutes, tz),
                s.meeting_url
                    .as_ref()
                    .map(|u| format!("Join: {u}\n"))
                    .unwrap_or_default()
            );
            email::enqueue_mail(
                &mut *tx,
                &email::Mail {
                    to: address,
                    subject: &format!("Reminder: {} · {}", s.title, b.account_name),
                    body_text: &body,
                    account_id: Some(b.account_id),
                    kind: "training_reminder",
                    ..Default::default()
                },
            )
            .await?;
        }
        sqlx::query("UPDATE training_booking SET reminded_at = now() WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(due.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_in_the_readers_zone() {
        let start = Utc
            .with_ymd_and_hms(2026, 12, 1, 9, 0, 0)
            .single()
            .expect("time");
        assert_eq!(
            when(start, 45, zone("Europe/Paris").expect("zone")),
            "Tue 1 Dec 2026, 10:00–10:45 CET"
        );
        assert_eq!(
            when(start, 60, zone("America/New_York").expect("zone")),
            "Tue 1 Dec 2026, 04:00–05:00 EST"
        );
    }

    #[test]
    fn a_slot_needs_a_future_time_a_known_zone_and_sane_numbers() {
        let now = Utc
            .with_ymd_and_hms(2026, 11, 29, 12, 0, 0)
            .single()
            .expect("now");
        let input = SlotInput {
            title: "First training".into(),
            starts_local: "2026-12-01T10:00".into(),
            time_zone: "Europe/Paris".into(),
            duration_minutes: "45".into(),
            capacity: "3".into(),
            meeting_url: None,
        };
        let start = validate(&input, now).expect("valid").start;
        assert_eq!(
            start,
            Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0)
                .single()
                .expect("t")
        );
        let bad = SlotInput {
            starts_local: "2026-11-01T10:00".into(),
            time_zone: "Mars/Olympus".into(),
            duration_minutes: "5".into(),
            capacity: "0".into(),
            meeting_url: Some("ftp://x".into()),
            ..input
        };
        let ServiceError::Validation(errors) = validate(&bad, now).unwrap_err() else {
            panic!("expected field errors")
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec!["time_zone", "duration_minutes", "capacity", "meeting_url"]
        );
    }
}
