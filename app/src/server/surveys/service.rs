//! Survey requests: sent when a ticket is resolved or a chat closes (from the durable domain
//! events those write) and NPS on a schedule, throttled per contact, reminded once, answered
//! through a signed link without login or in the portal; low scores raise an alert and a
//! follow-up task for the account owner.

use super::rules::{self, AnswerRule, LinkError};
use crate::server::auth::{Caller, Permission};
use crate::server::error::Checks;
use crate::server::notifications::{self, Notice};
use crate::server::onboarding::{rules::fill, welcome};
use crate::server::{email, AppState, ServiceError};
use crate::types::{
    AccountId, ContactId, PendingSurvey, SurveyAnswerOutcome, SurveyForm, SurveyKind,
    SurveySettings, SurveyTemplate, TeamId, TicketId, UserId,
};
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

pub const VARIABLES: [&str; 5] = [
    "contact_name",
    "account_name",
    "subject",
    "survey_link",
    "company",
];

/// The key that signs survey links, made on first use and shared by every instance.
pub async fn signing_key(db: &mut PgConnection) -> Result<Vec<u8>, sqlx::Error> {
    let mut fresh = vec![0u8; 32];
    rand::thread_rng().fill_bytes(&mut fresh);
    sqlx::query(
        "INSERT INTO signing_key (purpose, secret) VALUES ('survey', $1) ON CONFLICT DO NOTHING",
    )
    .bind(&fresh)
    .execute(&mut *db)
    .await?;
    sqlx::query_scalar("SELECT secret FROM signing_key WHERE purpose = 'survey'")
        .fetch_one(&mut *db)
        .await
}

pub async fn settings(db: &mut PgConnection) -> Result<SurveySettings, sqlx::Error> {
    let (
        csat_on_ticket,
        csat_on_chat,
        throttle_days,
        expiry_days,
        reminder_after_days,
        answer_grace_minutes,
        nps_interval_days,
    ): (bool, bool, i32, i32, i32, i32, i32) = sqlx::query_as(
        "SELECT csat_on_ticket, csat_on_chat, throttle_days, expiry_days, reminder_after_days,
                answer_grace_minutes, nps_interval_days FROM survey_settings",
    )
    .fetch_one(&mut *db)
    .await?;
    Ok(SurveySettings {
        csat_on_ticket,
        csat_on_chat,
        throttle_days,
        expiry_days,
        reminder_after_days,
        answer_grace_minutes,
        nps_interval_days,
    })
}

/// Everything a request is about, gathered before it is written.
struct Subject {
    kind: SurveyKind,
    trigger_key: String,
    account_id: AccountId,
    contact_id: ContactId,
    ticket_id: Option<TicketId>,
    conversation_id: Option<Uuid>,
    agent_id: Option<UserId>,
    team_id: Option<TeamId>,
    ticket_type: Option<String>,
    channel: Option<String>,
    subject: String,
}

/// Why no request went out for a trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    Sent,
    /// The contact was asked within the throttle window.
    Throttled,
    /// No contact, no address, already asked for this trigger, or switched off.
    Nothing,
}

/// Writes the request and queues its mail, in the caller's transaction.
async fn request(
    tx: &mut PgConnection,
    state: &AppState,
    s: &Subject,
    settings: &SurveySettings,
) -> Result<Sent, ServiceError> {
    let contact: Option<(String, Option<String>, String)> = sqlx::query_as(
        "SELECT btrim(c.first_name || ' ' || c.last_name),
                (SELECT email FROM contact_email e WHERE e.contact_id = c.id ORDER BY position LIMIT 1),
                a.name
         FROM contact c JOIN account a ON a.id = $2 WHERE c.id = $1",
    )
    .bind(s.contact_id)
    .bind(s.account_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((name, Some(address), account_name)) = contact else {
        return Ok(Sent::Nothing);
    };
    // Throttling: one question per contact per window, whatever asked it. A lock on the
    // contact row keeps two workers from both deciding the window is free.
    sqlx::query("SELECT 1 FROM contact WHERE id = $1 FOR UPDATE")
        .bind(s.contact_id)
        .execute(&mut *tx)
        .await?;
    if settings.throttle_days > 0 {
        let recent: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM survey_request WHERE contact_id = $1
                AND sent_at > now() - make_interval(days => $2))",
        )
        .bind(s.contact_id)
        .bind(settings.throttle_days)
        .fetch_one(&mut *tx)
        .await?;
        if recent {
            return Ok(Sent::Throttled);
        }
    }
    let id = Uuid::new_v4();
    let expires_at = Utc::now() + Duration::days(i64::from(settings.expiry_days));
    let inserted = sqlx::query(
        "INSERT INTO survey_request (id, kind, trigger_key, account_id, contact_id, to_address,
            ticket_id, conversation_id, agent_id, team_id, ticket_type, channel, subject, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         ON CONFLICT (trigger_key) DO NOTHING",
    )
    .bind(id)
    .bind(s.kind.as_str())
    .bind(&s.trigger_key)
    .bind(s.account_id)
    .bind(s.contact_id)
    .bind(&address)
    .bind(s.ticket_id)
    .bind(s.conversation_id)
    .bind(s.agent_id)
    .bind(s.team_id)
    .bind(&s.ticket_type)
    .bind(&s.channel)
    .bind(&s.subject)
    .bind(expires_at)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Ok(Sent::Nothing);
    }
    let key = signing_key(tx).await?;
    let link = format!(
        "{}/survey/{}",
        state.settings.public_url,
        rules::sign(&key, id, expires_at)
    );
    let (subject, body): (String, String) =
        sqlx::query_as("SELECT subject, body FROM survey_template WHERE kind = $1")
            .bind(s.kind.as_str())
            .fetch_one(&mut *tx)
            .await?;
    let company = welcome::company(&state.settings);
    let vars = [
        ("contact_name", name.as_str()),
        ("account_name", account_name.as_str()),
        ("subject", s.subject.as_str()),
        ("survey_link", link.as_str()),
        ("company", company.as_str()),
    ];
    let text = fill(&body, &vars);
    let html = crate::server::knowledge::rules::render(&text).html;
    email::enqueue_mail(
        &mut *tx,
        &email::Mail {
            to: &address,
            subject: &fill(&subject, &vars),
            body_text: &text,
            body_html: Some(&html),
            account_id: Some(s.account_id),
            kind: "survey",
            ..Default::default()
        },
    )
    .await?;
    tracing::info!(survey = %id, kind = s.kind.as_str(), trigger = %s.trigger_key, "survey requested");
    Ok(Sent::Sent)
}

/// Takes resolved tickets and closed chats from the durable event log and asks for CSAT.
/// Events are claimed with SKIP LOCKED and marked consumed in the same transaction, and the
/// request's trigger key is unique: each resolution asks at most once with any number of
/// workers. Returns how many requests went out.
pub async fn process_events(state: &AppState) -> Result<usize, ServiceError> {
    let mut tx = state.db.begin().await?;
    let events: Vec<(i64, String, Uuid)> = sqlx::query_as(
        "SELECT id, kind, subject_id FROM domain_event
         WHERE consumed_at IS NULL AND kind IN ('ticket.resolved', 'chat.closed')
         ORDER BY id LIMIT 100 FOR UPDATE SKIP LOCKED",
    )
    .fetch_all(&mut *tx)
    .await?;
    if events.is_empty() {
        return Ok(0);
    }
    let settings = settings(&mut tx).await?;
    let mut sent = 0;
    for (event, kind, subject_id) in &events {
        let subject = match kind.as_str() {
            "ticket.resolved" if settings.csat_on_ticket => {
                ticket_subject(&mut tx, *event, TicketId(*subject_id)).await?
            }
            "chat.closed" if settings.csat_on_chat => chat_subject(&mut tx, *subject_id).await?,
            _ => None,
        };
        if let Some(s) = subject {
            if request(&mut tx, state, &s, &settings).await? == Sent::Sent {
                sent += 1;
            }
        }
    }
    let ids: Vec<i64> = events.iter().map(|e| e.0).collect();
    sqlx::query("UPDATE domain_event SET consumed_at = now() WHERE id = ANY($1)")
        .bind(&ids)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(sent)
}

async fn ticket_subject(
    tx: &mut PgConnection,
    event: i64,
    id: TicketId,
) -> Result<Option<Subject>, sqlx::Error> {
    type Row = (
        AccountId,
        Option<ContactId>,
        Option<UserId>,
        Option<TeamId>,
        String,
        String,
        i64,
        String,
    );
    let row: Option<Row> = sqlx::query_as(
        // The agent is the assignee, or else whoever resolved it: the answer is about them.
        "SELECT t.account_id, t.contact_id,
                coalesce(t.assignee_id, (SELECT e.actor_user_id FROM ticket_event e
                    WHERE e.ticket_id = t.id AND e.field = 'status' AND e.new_value = 'resolved'
                    ORDER BY e.id DESC LIMIT 1)),
                t.team_id, t.ticket_type, t.channel, t.number, t.subject
         FROM ticket t WHERE t.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    Ok(row.and_then(
        |(account_id, contact, agent_id, team_id, ticket_type, channel, number, subject)| {
            Some(Subject {
                kind: SurveyKind::Csat,
                // Each resolution (a reopened ticket resolved again) is its own trigger.
                trigger_key: format!("ticket:{}:{event}", id.0),
                account_id,
                contact_id: contact?,
                ticket_id: Some(id),
                conversation_id: None,
                agent_id,
                team_id,
                ticket_type: Some(ticket_type),
                channel: Some(channel),
                subject: format!("#{number} {subject}"),
            })
        },
    ))
}

async fn chat_subject(tx: &mut PgConnection, id: Uuid) -> Result<Option<Subject>, sqlx::Error> {
    type Row = (AccountId, ContactId, Option<UserId>, Option<TeamId>, String);
    let row: Option<Row> = sqlx::query_as(
        "SELECT account_id, contact_id, assignee_id, team_id, topic FROM chat_conversation
             WHERE id = $1 AND accepted_at IS NOT NULL",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    Ok(row.map(
        |(account_id, contact_id, agent_id, team_id, topic)| Subject {
            kind: SurveyKind::Csat,
            trigger_key: format!("chat:{id}"),
            account_id,
            contact_id,
            ticket_id: None,
            conversation_id: Some(id),
            agent_id,
            team_id,
            ticket_type: None,
            channel: Some("chat".into()),
            subject: format!("Chat: {topic}"),
        },
    ))
}

/// NPS for customer accounts whose last NPS (or, never asked, whose creation) is older than
/// the interval, to the account's client admin or else its first contact with an address.
/// At most `limit` per round so that a first run does not flood the outbox.
pub async fn send_due_nps(state: &AppState, limit: i64) -> Result<usize, ServiceError> {
    let mut tx = state.db.begin().await?;
    let settings = settings(&mut tx).await?;
    if settings.nps_interval_days == 0 {
        return Ok(0);
    }
    let due: Vec<(AccountId, ContactId, i64)> = sqlx::query_as(
        "SELECT a.id, c.id, (extract(epoch FROM now())::bigint / 86400) / $1
         FROM account a
         CROSS JOIN LATERAL (
            SELECT c.id FROM contact c
            LEFT JOIN app_user u ON u.contact_id = c.id AND u.is_active
            WHERE c.account_id = a.id AND EXISTS (SELECT 1 FROM contact_email e WHERE e.contact_id = c.id)
            ORDER BY u.is_client_admin IS TRUE DESC, c.created_at, c.id LIMIT 1) c
         WHERE a.account_type = 'customer' AND a.status = 'active'
           AND a.created_at < now() - make_interval(days => $1)
           AND NOT EXISTS (SELECT 1 FROM survey_request r WHERE r.account_id = a.id AND r.kind = 'nps'
                           AND r.sent_at > now() - make_interval(days => $1))
         ORDER BY a.id LIMIT $2
         FOR UPDATE OF a SKIP LOCKED",
    )
    .bind(settings.nps_interval_days)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    let mut sent = 0;
    for (account_id, contact_id, period) in due {
        let s = Subject {
            kind: SurveyKind::Nps,
            trigger_key: format!("nps:{}:{period}", account_id.0),
            account_id,
            contact_id,
            ticket_id: None,
            conversation_id: None,
            agent_id: None,
            team_id: None,
            ticket_type: None,
            channel: None,
            subject: String::new(),
        };
        if request(&mut tx, state, &s, &settings).await? == Sent::Sent {
            sent += 1;
        }
    }
    tx.commit().await?;
    Ok(sent)
}

/// One reminder for requests still unanswered after the configured days, before they expire.
pub async fn send_reminders(state: &AppState) -> Result<usize, ServiceError> {
    let mut tx = state.db.begin().await?;
    let settings = settings(&mut tx).await?;
    if settings.reminder_after_days == 0 {
        return Ok(0);
    }
    let due: Vec<(Uuid, String, AccountId, DateTime<Utc>, String, String)> = sqlx::query_as(
        "UPDATE survey_request r SET reminded_at = now()
         FROM survey_template t
         WHERE r.id IN (SELECT id FROM survey_request
                        WHERE answered_at IS NULL AND reminded_at IS NULL AND expires_at > now() + interval '1 hour'
                          AND sent_at < now() - make_interval(days => $1)
                        ORDER BY sent_at LIMIT 200 FOR UPDATE SKIP LOCKED)
           AND t.kind = r.kind
         RETURNING r.id, r.to_address, r.account_id, r.expires_at, r.subject, t.subject",
    )
    .bind(settings.reminder_after_days)
    .fetch_all(&mut *tx)
    .await?;
    let key = signing_key(&mut tx).await?;
    for (id, to, account_id, expires_at, about, template_subject) in &due {
        let link = format!(
            "{}/survey/{}",
            state.settings.public_url,
            rules::sign(&key, *id, *expires_at)
        );
        let subject = format!(
            "Reminder: {}",
            fill(
                template_subject,
                &[("subject", about.as_str()), ("contact_name", "")]
            )
            .trim_end_matches(&[',', ' '][..])
        );
        let text = format!(
            "A quick reminder: your answer helps us{}.\n\n{link}\n\nThe link works until {}.\n",
            if about.is_empty() {
                String::new()
            } else {
                format!(" ({about})")
            },
            expires_at.format("%e %B %Y")
        );
        email::enqueue_mail(
            &mut *tx,
            &email::Mail {
                to,
                subject: &subject,
                body_text: &text,
                account_id: Some(*account_id),
                kind: "survey_reminder",
                ..Default::default()
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(due.len())
}

/// A request as stored: kind as text, about, score, comment, answered, expires, contact name,
/// account, contact.
type StoredRequest = (
    String,
    String,
    Option<i16>,
    Option<String>,
    Option<DateTime<Utc>>,
    DateTime<Utc>,
    String,
    AccountId,
    ContactId,
);

type RequestRow = (
    SurveyKind,
    String,
    Option<i16>,
    Option<String>,
    Option<DateTime<Utc>>,
    DateTime<Utc>,
    String,
    AccountId,
    ContactId,
);

async fn load(tx: &mut PgConnection, id: Uuid) -> Result<Option<RequestRow>, sqlx::Error> {
    let row: Option<StoredRequest> = sqlx::query_as(
        "SELECT r.kind, r.subject, r.score, r.comment, r.answered_at, r.expires_at,
                    btrim(c.first_name || ' ' || c.last_name), r.account_id, r.contact_id
             FROM survey_request r JOIN contact c ON c.id = r.contact_id WHERE r.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    Ok(row.and_then(|(kind, a, b, c, d, e, f, g, h)| {
        Some((SurveyKind::parse(&kind)?, a, b, c, d, e, f, g, h))
    }))
}

fn link_error(e: LinkError) -> ServiceError {
    match e {
        // Both are 404s to the page: a link either works or it does not.
        LinkError::Invalid => ServiceError::NotFound,
        LinkError::Expired => ServiceError::Conflict("This survey link has expired.".into()),
    }
}

async fn form_for(
    tx: &mut PgConnection,
    id: Uuid,
    settings: &SurveySettings,
) -> Result<SurveyForm, ServiceError> {
    let (kind, about, score, comment, answered_at, expires_at, contact_name, _, _) =
        load(tx, id).await?.ok_or(ServiceError::NotFound)?;
    let question: String =
        sqlx::query_scalar("SELECT question FROM survey_template WHERE kind = $1")
            .bind(kind.as_str())
            .fetch_one(&mut *tx)
            .await?;
    let now = Utc::now();
    Ok(SurveyForm {
        kind,
        question,
        about,
        contact_name,
        score,
        comment,
        open: now < expires_at
            && rules::answer_rule(answered_at, now, settings.answer_grace_minutes)
                != AnswerRule::Stands,
        expires_at,
    })
}

/// The answer page for a signed link; no login.
pub async fn form(db: &PgPool, token: &str) -> Result<SurveyForm, ServiceError> {
    let mut conn = db.acquire().await?;
    let key = signing_key(&mut conn).await?;
    let id = rules::verify(&key, token, Utc::now()).map_err(link_error)?;
    let settings = settings(&mut conn).await?;
    form_for(&mut conn, id, &settings).await
}

/// Records an answer given through a signed link; no login.
pub async fn answer(
    state: &AppState,
    token: &str,
    score: i16,
    comment: Option<&str>,
) -> Result<SurveyAnswerOutcome, ServiceError> {
    let mut tx = state.db.begin().await?;
    let key = signing_key(&mut tx).await?;
    let id = rules::verify(&key, token, Utc::now()).map_err(link_error)?;
    let outcome = answer_in(&mut tx, state, id, score, comment).await?;
    tx.commit().await?;
    Ok(outcome)
}

/// Surveys waiting for the signed-in client's own answer, newest first.
pub async fn pending_for_client(
    db: &PgPool,
    caller: &Caller,
) -> Result<Vec<PendingSurvey>, ServiceError> {
    let client = caller.client()?.clone();
    let mut conn = db.acquire().await?;
    type Pending = (Uuid, String, String, DateTime<Utc>, DateTime<Utc>);
    let rows: Vec<Pending> = sqlx::query_as(
        "SELECT id, kind, subject, sent_at, expires_at FROM survey_request
         WHERE contact_id = $1 AND account_id = $2 AND answered_at IS NULL AND expires_at > now()
         ORDER BY sent_at DESC LIMIT 20",
    )
    .bind(client.contact_id)
    .bind(client.account_id)
    .fetch_all(&mut *conn)
    .await?;
    let key = signing_key(&mut conn).await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, kind, about, sent_at, expires_at)| {
            Some(PendingSurvey {
                id,
                kind: SurveyKind::parse(&kind)?,
                about,
                sent_at,
                expires_at,
                link: format!("/survey/{}", rules::sign(&key, id, expires_at)),
            })
        })
        .collect())
}

/// How many surveys wait for the client (the portal home's count).
pub async fn pending_count(db: &PgPool, caller: &Caller) -> Result<i64, ServiceError> {
    let client = caller.client()?;
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM survey_request
         WHERE contact_id = $1 AND account_id = $2 AND answered_at IS NULL AND expires_at > now()",
    )
    .bind(client.contact_id)
    .bind(client.account_id)
    .fetch_one(db)
    .await?)
}

async fn answer_in(
    tx: &mut PgConnection,
    state: &AppState,
    id: Uuid,
    score: i16,
    comment: Option<&str>,
) -> Result<SurveyAnswerOutcome, ServiceError> {
    // The row lock serialises two answers arriving at once (a double click).
    let (kind, about, _, _, answered_at, expires_at, contact_name, account_id, _) = {
        sqlx::query("SELECT 1 FROM survey_request WHERE id = $1 FOR UPDATE")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        load(tx, id).await?.ok_or(ServiceError::NotFound)?
    };
    let now = Utc::now();
    if now >= expires_at {
        return Err(link_error(LinkError::Expired));
    }
    let comment =
        rules::check_answer(kind, score, comment).map_err(|(f, m)| ServiceError::field(f, &m))?;
    let settings = settings(tx).await?;
    let outcome = match rules::answer_rule(answered_at, now, settings.answer_grace_minutes) {
        AnswerRule::Stands => return Ok(SurveyAnswerOutcome::AlreadyAnswered),
        AnswerRule::First => SurveyAnswerOutcome::Recorded,
        AnswerRule::Change => SurveyAnswerOutcome::Updated,
    };
    // A first answer sets when it was given; a change within the grace period, when it changed.
    sqlx::query(
        "UPDATE survey_request SET score = $2, comment = $3,
            answered_at = coalesce(answered_at, now()),
            answer_changed_at = CASE WHEN answered_at IS NULL THEN NULL ELSE now() END
         WHERE id = $1",
    )
    .bind(id)
    .bind(score)
    .bind(&comment)
    .execute(&mut *tx)
    .await?;
    // Account health listens for answers.
    sqlx::query(
        "INSERT INTO domain_event (kind, subject_id, payload) VALUES ('survey.answered', $1, $2)",
    )
    .bind(id)
    .bind(serde_json::json!({ "account_id": account_id, "kind": kind.as_str(), "score": score }))
    .execute(&mut *tx)
    .await?;
    if kind.is_low(score) {
        follow_up_low_score(
            tx,
            state,
            id,
            kind,
            score,
            &about,
            &contact_name,
            account_id,
        )
        .await?;
    }
    tracing::info!(survey = %id, score, ?outcome, "survey answered");
    Ok(outcome)
}

/// A low score tells the account owner (in the app and by mail) and gives them a follow-up
/// task due tomorrow; once per request, however often the answer changes.
#[allow(clippy::too_many_arguments)]
async fn follow_up_low_score(
    tx: &mut PgConnection,
    state: &AppState,
    id: Uuid,
    kind: SurveyKind,
    score: i16,
    about: &str,
    contact_name: &str,
    account_id: AccountId,
) -> Result<(), ServiceError> {
    let claimed = sqlx::query(
        "UPDATE survey_request SET followed_up_at = now() WHERE id = $1 AND followed_up_at IS NULL",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if claimed == 0 {
        return Ok(());
    }
    // The owner, else the support managers (someone must own an unhappy client).
    let owners: Vec<(UserId, String, String)> = sqlx::query_as(
        "SELECT u.id, u.email, a.name FROM account a JOIN app_user u ON u.id = a.owner_id
         WHERE a.id = $1 AND u.is_active
         UNION ALL
         SELECT u.id, u.email, a.name FROM app_user u, account a
         WHERE a.id = $1 AND u.is_active AND u.role = 'support_manager'
           AND NOT EXISTS (SELECT 1 FROM account a2 JOIN app_user o ON o.id = a2.owner_id
                           WHERE a2.id = $1 AND o.is_active)",
    )
    .bind(account_id)
    .fetch_all(&mut *tx)
    .await?;
    let title = format!(
        "Low {} score ({score}) from {contact_name}{}",
        kind.label(),
        if about.is_empty() {
            String::new()
        } else {
            format!(": {about}")
        }
    );
    let link = format!("/console/accounts/{}", account_id.0);
    let ticket: Option<TicketId> =
        sqlx::query_scalar("SELECT ticket_id FROM survey_request WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
    for (user, _, account_name) in owners {
        let title = format!("{title} ({account_name})");
        let key = format!("low-score:{id}:{}", user.0);
        notifications::notify(
            tx,
            state,
            &Notice {
                user,
                title: &title,
                link: &link,
                key: Some(&key),
            },
        )
        .await?;
        sqlx::query(
            "INSERT INTO follow_up_task (id, title, due_on, assignee_id, account_id, ticket_id, survey_request_id)
             VALUES ($1, $2, current_date + 1, $3, $4, $5, $6)",
        )
        .bind(Uuid::new_v4())
        .bind(format!("Call {contact_name} about their {} score", kind.label()))
        .bind(user)
        .bind(account_id)
        .bind(ticket)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// A client answers one of their own pending surveys inside the portal.
pub async fn answer_in_portal(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    score: i16,
    comment: Option<&str>,
) -> Result<SurveyAnswerOutcome, ServiceError> {
    let client = caller.client()?.clone();
    let mut tx = state.db.begin().await?;
    let mine: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM survey_request WHERE id = $1 AND contact_id = $2 AND account_id = $3)",
    )
    .bind(id)
    .bind(client.contact_id)
    .bind(client.account_id)
    .fetch_one(&mut *tx)
    .await?;
    if !mine {
        return Err(ServiceError::NotFound);
    }
    let outcome = answer_in(&mut tx, state, id, score, comment).await?;
    tx.commit().await?;
    Ok(outcome)
}

pub async fn templates(db: &PgPool, caller: &Caller) -> Result<Vec<SurveyTemplate>, ServiceError> {
    caller.staff(Permission::ManageSurveys)?;
    let rows: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT kind, subject, body, question FROM survey_template ORDER BY array_position(ARRAY['csat','nps','ces'], kind)",
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(kind, subject, body, question)| {
            Some(SurveyTemplate {
                kind: SurveyKind::parse(&kind)?,
                subject,
                body,
                question,
                variables: VARIABLES.iter().map(|v| format!("{{{{{v}}}}}")).collect(),
            })
        })
        .collect())
}

pub async fn save_template(
    db: &PgPool,
    caller: &Caller,
    kind: SurveyKind,
    subject: &str,
    body: &str,
    question: &str,
) -> Result<(), ServiceError> {
    let staff = caller.staff(Permission::ManageSurveys)?;
    let mut c = Checks::default();
    let subject = c.required("subject", subject, 200);
    let body = c.required("body", body, 10_000);
    let question = c.required("question", question, 300);
    for (field, text) in [("subject", &subject), ("body", &body)] {
        let unknown = crate::server::onboarding::rules::unknown_variables(text, &VARIABLES);
        if !unknown.is_empty() {
            c.add(
                field,
                &format!("uses unknown variables: {}", unknown.join(", ")),
            );
        }
    }
    if !body.contains("{{survey_link}}") {
        c.add("body", "must contain {{survey_link}}");
    }
    c.finish()?;
    sqlx::query(
        "UPDATE survey_template SET subject = $2, body = $3, question = $4, updated_at = now(), updated_by = $5
         WHERE kind = $1",
    )
    .bind(kind.as_str())
    .bind(subject)
    .bind(body)
    .bind(question)
    .bind(staff.user_id)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn load_settings(db: &PgPool, caller: &Caller) -> Result<SurveySettings, ServiceError> {
    caller.staff(Permission::ManageSurveys)?;
    let mut conn = db.acquire().await?;
    Ok(settings(&mut conn).await?)
}

pub async fn save_settings(
    db: &PgPool,
    caller: &Caller,
    s: &SurveySettings,
) -> Result<(), ServiceError> {
    caller.staff(Permission::ManageSurveys)?;
    let mut c = Checks::default();
    let mut range = |field: &str, v: i32, lo: i32, hi: i32| {
        if !(lo..=hi).contains(&v) {
            c.add(field, &format!("must be from {lo} to {hi}"));
        }
    };
    range("throttle_days", s.throttle_days, 0, 365);
    range("expiry_days", s.expiry_days, 1, 365);
    range("reminder_after_days", s.reminder_after_days, 0, 60);
    range("answer_grace_minutes", s.answer_grace_minutes, 0, 10_080);
    range("nps_interval_days", s.nps_interval_days, 0, 730);
    if s.reminder_after_days >= s.expiry_days && s.reminder_after_days > 0 {
        c.add(
            "reminder_after_days",
            "must be fewer days than the link lives",
        );
    }
    c.finish()?;
    sqlx::query(
        "UPDATE survey_settings SET csat_on_ticket = $1, csat_on_chat = $2, throttle_days = $3,
            expiry_days = $4, reminder_after_days = $5, answer_grace_minutes = $6, nps_interval_days = $7",
    )
    .bind(s.csat_on_ticket)
    .bind(s.csat_on_chat)
    .bind(s.throttle_days)
    .bind(s.expiry_days)
    .bind(s.reminder_after_days)
    .bind(s.answer_grace_minutes)
    .bind(s.nps_interval_days)
    .execute(db)
    .await?;
    Ok(())
}
