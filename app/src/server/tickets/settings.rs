//! Support settings, for admins and support managers: the ticket type list, SLA targets by
//! priority, business hours and holidays, the reopen window, and teams with round-robin.

use crate::server::auth::{Caller, Permission};
use crate::server::error::Checks;
use crate::server::{AppState, ServiceError};
use crate::types::{
    BusinessHours, Choice, Holiday, SlaTarget, SupportSettings, TeamId, TeamSetting,
    TicketPriority, TicketTypeSetting, UserId,
};
use chrono::NaiveDate;
use sqlx::PgPool;

pub async fn get(db: &PgPool, caller: &Caller) -> Result<SupportSettings, ServiceError> {
    caller.staff(Permission::ManageSupport)?;
    let types: Vec<(String, String, bool)> =
        sqlx::query_as("SELECT key, label, active FROM ticket_type ORDER BY position, label")
            .fetch_all(db)
            .await?;
    let policies: Vec<(String, i32, i32)> = sqlx::query_as(
        "SELECT priority, first_response_minutes, resolution_minutes FROM sla_policy
         ORDER BY array_position(ARRAY['urgent','high','medium','low'], priority)",
    )
    .fetch_all(db)
    .await?;
    let calendar: (String, Vec<i32>, Vec<i32>, i32) = sqlx::query_as(
        "SELECT time_zone, open_minute, close_minute, reopen_days FROM business_calendar",
    )
    .fetch_one(db)
    .await?;
    let holidays: Vec<(NaiveDate, String)> =
        sqlx::query_as("SELECT day, name FROM holiday ORDER BY day")
            .fetch_all(db)
            .await?;
    let teams: Vec<(TeamId, String, bool)> =
        sqlx::query_as("SELECT id, name, auto_assign FROM team ORDER BY name")
            .fetch_all(db)
            .await?;
    let members: Vec<(TeamId, UserId, String)> = sqlx::query_as(
        "SELECT m.team_id, u.id, u.display_name FROM team_member m JOIN app_user u ON u.id = m.user_id
         ORDER BY u.display_name",
    )
    .fetch_all(db)
    .await?;
    let agents: Vec<(UserId, String)> = sqlx::query_as(
        "SELECT id, display_name FROM app_user
         WHERE is_active AND role IN ('admin', 'support_manager', 'support_agent') ORDER BY display_name",
    )
    .fetch_all(db)
    .await?;
    let choice = |id: String, label: String| Choice { id, label };
    Ok(SupportSettings {
        types: types
            .into_iter()
            .map(|(key, label, active)| TicketTypeSetting { key, label, active })
            .collect(),
        targets: policies
            .into_iter()
            .filter_map(|(p, f, r)| {
                TicketPriority::parse(&p).map(|priority| SlaTarget {
                    priority,
                    first_response_minutes: f,
                    resolution_minutes: r,
                })
            })
            .collect(),
        hours: BusinessHours {
            time_zone: calendar.0,
            open_minute: calendar.1,
            close_minute: calendar.2,
            reopen_days: calendar.3,
        },
        holidays: holidays
            .into_iter()
            .map(|(day, name)| Holiday { day, name })
            .collect(),
        teams: teams
            .into_iter()
            .map(|(id, name, auto_assign)| TeamSetting {
                id,
                name,
                auto_assign,
                members: members
                    .iter()
                    .filter(|m| m.0 == id)
                    .map(|m| choice(m.1.to_string(), m.2.clone()))
                    .collect(),
            })
            .collect(),
        agents: agents
            .into_iter()
            .map(|(id, l)| choice(id.to_string(), l))
            .collect(),
    })
}

/// Adds a type or renames, reorders or retires one (retired types stay on old tickets).
pub async fn save_type(
    db: &PgPool,
    caller: &Caller,
    key: &str,
    label: &str,
    active: bool,
) -> Result<(), ServiceError> {
    caller.staff(Permission::ManageSupport)?;
    let mut c = Checks::default();
    let key = c.required("key", key, 40).to_lowercase();
    let well_formed = key.starts_with(|ch: char| ch.is_ascii_lowercase())
        && key
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_');
    if !key.is_empty() && !well_formed {
        c.add(
            "key",
            "must start with a letter and use only a-z, 0-9 and _",
        );
    }
    let label = c.required("label", label, 100);
    c.finish()?;
    sqlx::query(
        "INSERT INTO ticket_type (key, label, active, position)
         VALUES ($1, $2, $3, (SELECT coalesce(max(position), 0) + 1 FROM ticket_type))
         ON CONFLICT (key) DO UPDATE SET label = EXCLUDED.label, active = EXCLUDED.active",
    )
    .bind(&key)
    .bind(&label)
    .bind(active)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn save_target(
    state: &AppState,
    caller: &Caller,
    t: &SlaTarget,
) -> Result<(), ServiceError> {
    caller.staff(Permission::ManageSupport)?;
    let mut c = Checks::default();
    let max = 60 * 24 * 365;
    if !(1..=max).contains(&t.first_response_minutes) {
        c.add(
            "first_response_minutes",
            "must be between 1 minute and a year",
        );
    }
    if !(1..=max).contains(&t.resolution_minutes) {
        c.add("resolution_minutes", "must be between 1 minute and a year");
    } else if t.resolution_minutes < t.first_response_minutes {
        c.add(
            "resolution_minutes",
            "cannot be shorter than the first response",
        );
    }
    c.finish()?;
    sqlx::query(
        "INSERT INTO sla_policy (priority, first_response_minutes, resolution_minutes) VALUES ($1, $2, $3)
         ON CONFLICT (priority) DO UPDATE SET first_response_minutes = $2, resolution_minutes = $3",
    )
    .bind(t.priority.as_str())
    .bind(t.first_response_minutes)
    .bind(t.resolution_minutes)
    .execute(&state.db)
    .await?;
    // New tickets are due by the new terms at once here, elsewhere on the trigger's notice.
    state.sla_terms.forget();
    Ok(())
}

/// Business hours apply to tickets raised from now on; stored due times are kept.
pub async fn save_hours(
    state: &AppState,
    caller: &Caller,
    h: &BusinessHours,
) -> Result<(), ServiceError> {
    caller.staff(Permission::ManageSupport)?;
    let mut c = Checks::default();
    if h.time_zone.parse::<chrono_tz::Tz>().is_err() {
        c.add("time_zone", "is not a time zone name like Europe/Berlin");
    }
    if h.open_minute.len() != 7 || h.close_minute.len() != 7 {
        c.add("hours", "must give seven days");
    } else {
        for d in 0..7 {
            let (o, cl) = (h.open_minute[d], h.close_minute[d]);
            if !(0..=1440).contains(&o) || !(0..=1440).contains(&cl) || cl < o {
                c.add(
                    &format!("close[{d}]"),
                    "must be after opening time (equal times: closed all day)",
                );
            }
        }
    }
    if !(0..=365).contains(&h.reopen_days) {
        c.add("reopen_days", "must be between 0 and 365");
    }
    c.finish()?;
    sqlx::query(
        "UPDATE business_calendar SET time_zone = $1, open_minute = $2, close_minute = $3, reopen_days = $4",
    )
    .bind(&h.time_zone)
    .bind(&h.open_minute)
    .bind(&h.close_minute)
    .bind(h.reopen_days)
    .execute(&state.db)
    .await?;
    // New tickets are due by the new terms at once here, elsewhere on the trigger's notice.
    state.sla_terms.forget();
    Ok(())
}

pub async fn add_holiday(
    state: &AppState,
    caller: &Caller,
    day: NaiveDate,
    name: &str,
) -> Result<(), ServiceError> {
    caller.staff(Permission::ManageSupport)?;
    let mut c = Checks::default();
    let name = c.required("name", name, 100);
    c.finish()?;
    sqlx::query(
        "INSERT INTO holiday (day, name) VALUES ($1, $2) ON CONFLICT (day) DO UPDATE SET name = $2",
    )
    .bind(day)
    .bind(&name)
    .execute(&state.db)
    .await?;
    // New tickets are due by the new terms at once here, elsewhere on the trigger's notice.
    state.sla_terms.forget();
    Ok(())
}

pub async fn remove_holiday(
    state: &AppState,
    caller: &Caller,
    day: NaiveDate,
) -> Result<(), ServiceError> {
    caller.staff(Permission::ManageSupport)?;
    sqlx::query("DELETE FROM holiday WHERE day = $1")
        .bind(day)
        .execute(&state.db)
        .await?;
    // New tickets are due by the new terms at once here, elsewhere on the trigger's notice.
    state.sla_terms.forget();
    Ok(())
}

/// Creates or updates a team: its name, round-robin, and the members (support staff only).
pub async fn save_team(
    db: &PgPool,
    caller: &Caller,
    id: Option<TeamId>,
    name: &str,
    auto_assign: bool,
    members: &[UserId],
) -> Result<TeamId, ServiceError> {
    caller.staff(Permission::ManageSupport)?;
    let mut c = Checks::default();
    let name = c.required("name", name, 100);
    c.finish()?;
    let valid: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM app_user WHERE id = ANY($1)
           AND is_active AND role IN ('admin', 'support_manager', 'support_agent')",
    )
    .bind(members.to_vec())
    .fetch_one(db)
    .await?;
    if valid != members.len() as i64 {
        return Err(ServiceError::field(
            "members",
            "must all be active support users",
        ));
    }
    let id = id.unwrap_or_default();
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO team (id, name, auto_assign) VALUES ($1, $2, $3)
         ON CONFLICT (id) DO UPDATE SET name = $2, auto_assign = $3",
    )
    .bind(id)
    .bind(&name)
    .bind(auto_assign)
    .execute(&mut *tx)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(d) if d.constraint() == Some("team_name_key") => {
            ServiceError::field("name", "is already used by another team")
        }
        _ => ServiceError::Database(e),
    })?;
    sqlx::query("DELETE FROM team_member WHERE team_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO team_member (team_id, user_id) SELECT $1, unnest($2::uuid[])")
        .bind(id)
        .bind(members.to_vec())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(id)
}

/// The inbound mail review queue, re-exported for the settings page.
pub use super::inbound::review_queue;

/// Marks a mail from the review queue as dealt with.
pub async fn dismiss_review(
    db: &PgPool,
    caller: &Caller,
    id: uuid::Uuid,
) -> Result<(), ServiceError> {
    caller.staff(Permission::WorkTickets)?;
    sqlx::query(
        "UPDATE inbound_email SET reviewed_at = now() WHERE id = $1 AND outcome = 'review'",
    )
    .bind(id)
    .execute(db)
    .await?;
    Ok(())
}
