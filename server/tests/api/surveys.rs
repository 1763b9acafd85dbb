//! Feedback surveys on a real database and a real SMTP server: the CSAT request after a
//! resolution (exactly once, with two workers), the signed link answered without login,
//! tampered and expired links, throttling, reminders, the answer rule, low-score follow-up,
//! the CSAT/NPS arithmetic against hand-computed fixtures, CSV export, tasks and guards.

use crate::helpers::{ReceivedMail, TestApp};
use crate::tickets::{client, new_ticket, staff};
use app::api::surveys::{AnswerMySurvey, AnswerSurvey, LoadFeedbackReport, LoadSurvey};
use app::server::auth::Caller;
use app::server::surveys::{self, analytics, rules};
use app::server::{tasks, tickets, ServiceError};
use app::types::{
    AccountId, FeedbackFilter, FeedbackGrouping, NewFollowUpTask, Role, SurveyAnswerOutcome,
    SurveyKind, TicketChanges, TicketChannel, TicketId, TicketStatus, UserId,
};
use chrono::{Duration, Utc};
use uuid::Uuid;

/// The survey token in the last mail to `to` (the path after `/survey/`).
fn survey_token(mails: &[ReceivedMail], to: &str) -> String {
    let mail = mails
        .iter()
        .rev()
        .find(|m| m.to.iter().any(|t| t.contains(to)))
        .unwrap_or_else(|| panic!("no mail to {to}"));
    let parsed = mail_parser::MessageParser::default()
        .parse(mail.data.as_bytes())
        .expect("mime");
    let text = parsed.body_text(0).expect("text").to_string();
    let start = text.find("/survey/").expect("a survey link") + "/survey/".len();
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect()
}

async fn resolve(app: &TestApp, agent: &Caller, id: TicketId) {
    tickets::update(
        &app.state,
        agent,
        id,
        &TicketChanges {
            status: Some(TicketStatus::Resolved),
            ..Default::default()
        },
    )
    .await
    .expect("resolve");
}

struct Desk {
    account: AccountId,
    client: Caller,
    client_email: String,
    agent: Caller,
    agent_id: UserId,
}

async fn desk(app: &TestApp) -> Desk {
    let account = app.account("Acme Kiosks", None).await;
    let (client, client_email) = client(app, account).await;
    let (agent, agent_id, _) = staff(app, Role::SupportAgent).await;
    Desk {
        account,
        client,
        client_email,
        agent,
        agent_id,
    }
}

async fn resolved_ticket(app: &TestApp, d: &Desk, subject: &str) -> TicketId {
    let t = tickets::create(
        &app.state,
        &d.client,
        &new_ticket(subject),
        TicketChannel::Portal,
    )
    .await
    .expect("create");
    resolve(app, &d.agent, t.summary.id).await;
    t.summary.id
}

async fn requests(app: &TestApp, account: AccountId) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM survey_request WHERE account_id = $1")
        .bind(account)
        .fetch_one(&app.db)
        .await
        .expect("count")
}

#[tokio::test]
async fn resolving_a_ticket_sends_exactly_one_csat_request_even_with_two_workers() {
    let app = TestApp::spawn().await;
    let d = desk(&app).await;
    let ticket = resolved_ticket(&app, &d, "Printer jams").await;
    // Two workers take the same events at once: the event is claimed by one of them.
    let (a, b) = tokio::join!(
        surveys::process_events(&app.state),
        surveys::process_events(&app.state)
    );
    assert_eq!(a.expect("worker a") + b.expect("worker b"), 1);
    // Running again finds nothing new.
    assert_eq!(surveys::process_events(&app.state).await.expect("again"), 0);
    assert_eq!(requests(&app, d.account).await, 1);
    let (kind, agent, channel): (String, Option<UserId>, Option<String>) =
        sqlx::query_as("SELECT kind, agent_id, channel FROM survey_request WHERE ticket_id = $1")
            .bind(ticket)
            .fetch_one(&app.db)
            .await
            .expect("request");
    assert_eq!(kind, "csat");
    assert_eq!(
        agent,
        Some(d.agent_id),
        "unassigned: the agent who resolved it"
    );
    assert_eq!(channel.as_deref(), Some("portal"));
    let mails = app.deliver_mail().await;
    let to_client: Vec<_> = mails
        .iter()
        .filter(|m| m.to.iter().any(|t| t.contains(&d.client_email)))
        .filter(|m| m.data.contains("/survey/"))
        .collect();
    assert_eq!(to_client.len(), 1, "one survey mail to the client");
    let token = survey_token(&mails, &d.client_email);
    assert_eq!(token.split('.').count(), 3, "id.expiry.signature: {token}");
}

#[tokio::test]
async fn the_signed_link_records_the_answer_without_login() {
    let app = TestApp::spawn().await;
    let d = desk(&app).await;
    resolved_ticket(&app, &d, "Scanner offline").await;
    surveys::process_events(&app.state).await.expect("send");
    let token = survey_token(&app.deliver_mail().await, &d.client_email);
    // A browser with no session: the page renders, the form answers.
    let anonymous = app.browser();
    let page = anonymous
        .get(format!("{}/survey/{token}", app.base))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains("How satisfied are you"), "{html}");
    let res = app
        .call::<LoadSurvey>(&anonymous, &[("token", token.clone())])
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .call::<AnswerSurvey>(
            &anonymous,
            &[
                ("token", token.clone()),
                ("score", "5".into()),
                ("comment", "Fixed within the hour, thank you".into()),
            ],
        )
        .await;
    assert_eq!(
        res.status(),
        200,
        "{}",
        res.text().await.unwrap_or_default()
    );
    let (score, comment): (Option<i16>, Option<String>) =
        sqlx::query_as("SELECT score, comment FROM survey_request WHERE account_id = $1")
            .bind(d.account)
            .fetch_one(&app.db)
            .await
            .expect("answer");
    assert_eq!(score, Some(5));
    assert_eq!(comment.as_deref(), Some("Fixed within the hour, thank you"));
    // A score off the scale is a field error and changes nothing.
    let res = app
        .call::<AnswerSurvey>(&anonymous, &[("token", token), ("score", "9".into())])
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap_or_default().contains("score"));
}

#[tokio::test]
async fn tampered_and_expired_links_are_refused() {
    let app = TestApp::spawn().await;
    let d = desk(&app).await;
    resolved_ticket(&app, &d, "Badge reader").await;
    surveys::process_events(&app.state).await.expect("send");
    let token = survey_token(&app.deliver_mail().await, &d.client_email);
    let parts: Vec<&str> = token.split('.').collect();
    let longer = format!(
        "{}.{}.{}",
        parts[0],
        parts[1].parse::<i64>().expect("expiry") + 86_400 * 365,
        parts[2]
    );
    let other = format!("{}.{}.{}", Uuid::new_v4().simple(), parts[1], parts[2]);
    for bad in [longer, other, "garbage".to_string()] {
        let err = surveys::answer(&app.state, &bad, 5, None)
            .await
            .unwrap_err();
        assert!(matches!(err, ServiceError::NotFound), "{bad}: {err:?}");
    }
    // A correctly signed link whose time is up.
    let id: Uuid = sqlx::query_scalar("SELECT id FROM survey_request WHERE account_id = $1")
        .bind(d.account)
        .fetch_one(&app.db)
        .await
        .expect("id");
    let mut conn = app.db.acquire().await.expect("conn");
    let key = surveys::signing_key(&mut conn).await.expect("key");
    let expired = rules::sign(&key, id, Utc::now() - Duration::minutes(1));
    let err = surveys::answer(&app.state, &expired, 5, None)
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::Conflict(_)), "{err:?}");
    let res = app
        .call::<AnswerSurvey>(&app.browser(), &[("token", expired), ("score", "5".into())])
        .await;
    assert_eq!(res.status(), 409);
    let answered: Option<i16> =
        sqlx::query_scalar("SELECT score FROM survey_request WHERE id = $1")
            .bind(id)
            .fetch_one(&app.db)
            .await
            .expect("score");
    assert_eq!(answered, None, "nothing was recorded");
}

#[tokio::test]
async fn a_contact_is_not_asked_twice_within_the_throttle_window() {
    let app = TestApp::spawn().await;
    let d = desk(&app).await;
    resolved_ticket(&app, &d, "First").await;
    surveys::process_events(&app.state).await.expect("first");
    resolved_ticket(&app, &d, "Second").await;
    assert_eq!(
        surveys::process_events(&app.state).await.expect("second"),
        0
    );
    assert_eq!(requests(&app, d.account).await, 1);
    // Once the window has passed, the next resolution asks again.
    sqlx::query(
        "UPDATE survey_request SET sent_at = now() - interval '8 days' WHERE account_id = $1",
    )
    .bind(d.account)
    .execute(&app.db)
    .await
    .expect("age");
    resolved_ticket(&app, &d, "Third").await;
    assert_eq!(surveys::process_events(&app.state).await.expect("third"), 1);
    assert_eq!(requests(&app, d.account).await, 2);
}

#[tokio::test]
async fn a_reminder_goes_once_with_two_workers() {
    let app = TestApp::spawn().await;
    let d = desk(&app).await;
    resolved_ticket(&app, &d, "Router").await;
    surveys::process_events(&app.state).await.expect("send");
    app.deliver_mail().await;
    assert_eq!(
        surveys::send_reminders(&app.state)
            .await
            .expect("too early"),
        0
    );
    sqlx::query(
        "UPDATE survey_request SET sent_at = now() - interval '4 days' WHERE account_id = $1",
    )
    .bind(d.account)
    .execute(&app.db)
    .await
    .expect("age");
    let (a, b) = tokio::join!(
        surveys::send_reminders(&app.state),
        surveys::send_reminders(&app.state)
    );
    assert_eq!(a.expect("a") + b.expect("b"), 1);
    assert_eq!(surveys::send_reminders(&app.state).await.expect("again"), 0);
    let mails = app.deliver_mail().await;
    let reminders = mails
        .iter()
        .filter(|m| m.to.iter().any(|t| t.contains(&d.client_email)))
        .filter(|m| m.data.contains("Reminder"))
        .count();
    assert_eq!(reminders, 1);
    // The reminder's link answers the same request.
    let token = survey_token(&mails, &d.client_email);
    assert_eq!(
        surveys::answer(&app.state, &token, 4, None)
            .await
            .expect("answer"),
        SurveyAnswerOutcome::Recorded
    );
}

#[tokio::test]
async fn an_answer_may_change_within_the_grace_period_then_it_stands() {
    let app = TestApp::spawn().await;
    let d = desk(&app).await;
    resolved_ticket(&app, &d, "Terminal").await;
    surveys::process_events(&app.state).await.expect("send");
    let token = survey_token(&app.deliver_mail().await, &d.client_email);
    assert_eq!(
        surveys::answer(&app.state, &token, 3, None)
            .await
            .expect("first"),
        SurveyAnswerOutcome::Recorded
    );
    assert_eq!(
        surveys::answer(&app.state, &token, 4, Some("Actually fine"))
            .await
            .expect("change"),
        SurveyAnswerOutcome::Updated
    );
    sqlx::query("UPDATE survey_request SET answered_at = now() - interval '31 minutes' WHERE account_id = $1")
        .bind(d.account)
        .execute(&app.db)
        .await
        .expect("age");
    assert_eq!(
        surveys::answer(&app.state, &token, 1, None)
            .await
            .expect("late"),
        SurveyAnswerOutcome::AlreadyAnswered
    );
    let score: Option<i16> =
        sqlx::query_scalar("SELECT score FROM survey_request WHERE account_id = $1")
            .bind(d.account)
            .fetch_one(&app.db)
            .await
            .expect("score");
    assert_eq!(score, Some(4));
}

#[tokio::test]
async fn a_low_score_alerts_the_owner_and_creates_one_follow_up_task() {
    let app = TestApp::spawn().await;
    let d = desk(&app).await;
    let (owner, owner_id, owner_email) = staff(&app, Role::SalesRep).await;
    sqlx::query("UPDATE account SET owner_id = $2 WHERE id = $1")
        .bind(d.account)
        .bind(owner_id)
        .execute(&app.db)
        .await
        .expect("owner");
    resolved_ticket(&app, &d, "Kiosk frozen").await;
    surveys::process_events(&app.state).await.expect("send");
    let token = survey_token(&app.deliver_mail().await, &d.client_email);
    surveys::answer(&app.state, &token, 2, Some("Took three days"))
        .await
        .expect("answer");
    // Changing it within the grace period does not alert twice.
    surveys::answer(&app.state, &token, 1, Some("Took three days!"))
        .await
        .expect("change");
    let list = tasks::list(&app.db, &owner, tasks::TaskList::Mine)
        .await
        .expect("tasks");
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0].account_id, Some(d.account));
    assert_eq!(list[0].due_on, Utc::now().date_naive() + Duration::days(1));
    let alerts: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM notification WHERE user_id = $1 AND title LIKE 'Low CSAT score%'",
    )
    .bind(owner_id)
    .fetch_one(&app.db)
    .await
    .expect("alerts");
    assert_eq!(alerts, 1);
    let mails = app.deliver_mail().await;
    assert_eq!(
        mails
            .iter()
            .filter(|m| m.to.iter().any(|t| t.contains(&owner_email)))
            .count(),
        1,
        "one alert mail to the owner"
    );
    // A good score alerts nobody.
    let happy = app.account("Happy Co", None).await;
    let (happy_client, happy_email) = client(&app, happy).await;
    let t = tickets::create(
        &app.state,
        &happy_client,
        &new_ticket("Fine"),
        TicketChannel::Portal,
    )
    .await
    .expect("create");
    resolve(&app, &d.agent, t.summary.id).await;
    surveys::process_events(&app.state).await.expect("send");
    let token = survey_token(&app.deliver_mail().await, &happy_email);
    surveys::answer(&app.state, &token, 5, None)
        .await
        .expect("answer");
    let tasks_total: i64 = sqlx::query_scalar("SELECT count(*) FROM follow_up_task")
        .fetch_one(&app.db)
        .await
        .expect("tasks");
    assert_eq!(tasks_total, 1);
}

/// An answered request straight into the table, for arithmetic fixtures.
async fn answered(
    app: &TestApp,
    account: AccountId,
    agent: Option<UserId>,
    kind: SurveyKind,
    score: i16,
    days_ago: i64,
) {
    let contact: Uuid = sqlx::query_scalar(
        "INSERT INTO contact (id, account_id, first_name, last_name, status)
         VALUES (gen_random_uuid(), $1, 'Fix', 'Ture', 'active') RETURNING id",
    )
    .bind(account)
    .fetch_one(&app.db)
    .await
    .expect("contact");
    sqlx::query(
        "INSERT INTO survey_request (id, kind, trigger_key, account_id, contact_id, to_address, agent_id,
            ticket_type, channel, sent_at, expires_at, score, answered_at)
         VALUES (gen_random_uuid(), $1, gen_random_uuid()::text, $2, $3, 'x@example.test', $4,
            'hardware', 'portal', now() - make_interval(days => $6), now() + interval '1 day', $5,
            now() - make_interval(days => $6))",
    )
    .bind(kind.as_str())
    .bind(account)
    .bind(contact)
    .bind(agent)
    .bind(score)
    .bind(days_ago as i32)
    .execute(&app.db)
    .await
    .expect("fixture");
}

#[tokio::test]
async fn csat_and_nps_match_hand_computed_fixtures() {
    let app = TestApp::spawn().await;
    let manager = TestApp::caller(Role::SupportManager);
    let acme = app.account("Acme", None).await;
    let globex = app.account("Globex", None).await;
    let (_, ada, _) = staff(&app, Role::SupportAgent).await;
    let (_, bob, _) = staff(&app, Role::SupportAgent).await;
    // Ada: 5, 4, 2 → 2 of 3 satisfied = 66.7 %. Bob: 5, 3 → 1 of 2 = 50 %.
    // All five: 3 of 5 = 60 % (004: ratings 4 and 5 over all responses).
    for (agent, score) in [(ada, 5), (ada, 4), (ada, 2), (bob, 5), (bob, 3)] {
        answered(&app, acme, Some(agent), SurveyKind::Csat, score, 3).await;
    }
    // NPS at Globex: 10, 9 promoters, 7 passive, 6, 3 detractors: (2 − 2) / 5 = 0.
    // Acme: 10 → +100. Together: (3 − 2) / 6 = 16.7.
    for score in [10, 9, 7, 6, 3] {
        answered(&app, globex, None, SurveyKind::Nps, score, 5).await;
    }
    answered(&app, acme, None, SurveyKind::Nps, 10, 5).await;
    // An answer from two years ago is outside the default twelve months.
    answered(&app, acme, Some(ada), SurveyKind::Csat, 1, 800).await;

    let r = analytics::report(
        &app.db,
        &manager,
        &FeedbackFilter::default(),
        FeedbackGrouping::Agent,
        0,
    )
    .await
    .expect("report");
    assert_eq!(r.totals.csat_responses, 5);
    assert_eq!(r.totals.csat_percent, Some(60.0));
    assert_eq!(r.totals.nps_responses, 6);
    assert_eq!(r.totals.nps, Some(16.7));
    let by = |key: UserId| {
        r.groups
            .iter()
            .find(|g| g.key == key.0.to_string())
            .unwrap_or_else(|| panic!("no group for {key:?}: {:?}", r.groups))
            .scores
            .clone()
    };
    assert_eq!(by(ada).csat_percent, Some(66.7));
    assert_eq!(by(bob).csat_percent, Some(50.0));
    let r = analytics::report(
        &app.db,
        &manager,
        &FeedbackFilter::default(),
        FeedbackGrouping::Account,
        0,
    )
    .await
    .expect("by account");
    let globex_scores = &r
        .groups
        .iter()
        .find(|g| g.label == "Globex")
        .expect("globex")
        .scores;
    assert_eq!(globex_scores.nps, Some(0.0));
    assert_eq!(
        globex_scores.csat_percent, None,
        "no CSAT answers: no score, not 0 %"
    );
    // Drill-down: Ada's answers only, newest first, and the old one when the period covers it.
    let ada_only = FeedbackFilter {
        agent_id: Some(ada),
        from: Some(Utc::now().date_naive() - Duration::days(1000)),
        ..Default::default()
    };
    let r = analytics::report(&app.db, &manager, &ada_only, FeedbackGrouping::Month, 0)
        .await
        .expect("drill");
    assert_eq!(r.responses_total, 4);
    assert_eq!(r.totals.csat_percent, Some(50.0));
    // An empty period has no scores at all.
    let empty = FeedbackFilter {
        from: Some(Utc::now().date_naive() - Duration::days(400)),
        to: Some(Utc::now().date_naive() - Duration::days(380)),
        ..Default::default()
    };
    let r = analytics::report(&app.db, &manager, &empty, FeedbackGrouping::Month, 0)
        .await
        .expect("empty");
    assert_eq!((r.totals.csat_percent, r.totals.nps), (None, None));
    assert!(r.responses.is_empty());
    // The daily rollup (no filter, or one dimension) and the answers themselves (a score
    // ceiling forces them) agree, also after an answer changes.
    sqlx::query(
        "UPDATE survey_request SET score = 1 WHERE kind = 'csat' AND score = 5 AND agent_id = $1",
    )
    .bind(bob)
    .execute(&app.db)
    .await
    .expect("change");
    for grouping in [
        FeedbackGrouping::Month,
        FeedbackGrouping::Agent,
        FeedbackGrouping::Channel,
    ] {
        let rolled = analytics::report(&app.db, &manager, &FeedbackFilter::default(), grouping, 0)
            .await
            .expect("rollup");
        let raw = analytics::report(
            &app.db,
            &manager,
            &FeedbackFilter {
                max_score: Some(10),
                ..Default::default()
            },
            grouping,
            0,
        )
        .await
        .expect("raw");
        assert_eq!(rolled.totals, raw.totals, "{grouping:?}");
        let mut a = rolled.groups.clone();
        let mut b = raw.groups.clone();
        a.sort_by(|x, y| x.key.cmp(&y.key));
        b.sort_by(|x, y| x.key.cmp(&y.key));
        let scores = |g: &[app::types::FeedbackGroup]| {
            g.iter()
                .map(|g| (g.key.clone(), g.scores.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(scores(&a), scores(&b), "{grouping:?}");
    }
}

#[tokio::test]
async fn comments_are_searchable_and_exported_as_csv() {
    let app = TestApp::spawn().await;
    let d = desk(&app).await;
    resolved_ticket(&app, &d, "Label printer").await;
    surveys::process_events(&app.state).await.expect("send");
    let token = survey_token(&app.deliver_mail().await, &d.client_email);
    surveys::answer(
        &app.state,
        &token,
        4,
        Some("=HYPERLINK(\"x\") the technician was quick"),
    )
    .await
    .expect("answer");
    let manager = TestApp::caller(Role::SupportManager);
    let found = analytics::report(
        &app.db,
        &manager,
        &FeedbackFilter {
            q: Some("technician".into()),
            ..Default::default()
        },
        FeedbackGrouping::Month,
        0,
    )
    .await
    .expect("search");
    assert_eq!(found.responses_total, 1);
    let none = analytics::report(
        &app.db,
        &manager,
        &FeedbackFilter {
            q: Some("invoice".into()),
            ..Default::default()
        },
        FeedbackGrouping::Month,
        0,
    )
    .await
    .expect("search");
    assert_eq!(none.responses_total, 0);
    // Over HTTP with a manager's session; a client's session is refused.
    let (_, manager_email) = app.staff_user(Role::SupportManager).await;
    let browser = app.signed_in(&manager_email).await;
    let res = browser
        .get(format!("{}/files/feedback.csv?q=technician", app.base))
        .send()
        .await
        .expect("csv");
    assert_eq!(res.status(), 200);
    let body = res.text().await.expect("body");
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][2], "4");
    assert!(
        rows[0][3].starts_with("'="),
        "formula neutralised: {}",
        &rows[0][3]
    );
    let client_browser = app.signed_in(&d.client_email).await;
    let res = client_browser
        .get(format!("{}/files/feedback.csv", app.base))
        .send()
        .await
        .expect("csv");
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn clients_answer_only_their_own_surveys_in_the_portal() {
    let app = TestApp::spawn().await;
    let d = desk(&app).await;
    resolved_ticket(&app, &d, "Camera").await;
    surveys::process_events(&app.state).await.expect("send");
    let pending = surveys::pending_for_client(&app.db, &d.client)
        .await
        .expect("pending");
    assert_eq!(pending.len(), 1);
    assert!(pending[0].link.starts_with("/survey/"));
    // A colleague at the same account and a client elsewhere see none and cannot answer it.
    let (colleague, _) = client(&app, d.account).await;
    let other_account = app.account("Globex", None).await;
    let (stranger, stranger_email) = client(&app, other_account).await;
    for who in [&colleague, &stranger] {
        assert!(surveys::pending_for_client(&app.db, who)
            .await
            .expect("pending")
            .is_empty());
        let err = surveys::answer_in_portal(&app.state, who, pending[0].id, 5, None)
            .await
            .unwrap_err();
        assert!(matches!(err, ServiceError::NotFound), "{err:?}");
    }
    let browser = app.signed_in(&stranger_email).await;
    let res = app
        .call::<AnswerMySurvey>(
            &browser,
            &[("id", pending[0].id.to_string()), ("score", "1".into())],
        )
        .await;
    assert_eq!(res.status(), 404);
    assert_eq!(
        surveys::answer_in_portal(&app.state, &d.client, pending[0].id, 5, None)
            .await
            .expect("own"),
        SurveyAnswerOutcome::Recorded
    );
    assert!(surveys::pending_for_client(&app.db, &d.client)
        .await
        .expect("pending")
        .is_empty());
    // Staff cannot answer in a client's name.
    let err = surveys::answer_in_portal(&app.state, &d.agent, pending[0].id, 1, None)
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::Forbidden), "{err:?}");
}

#[tokio::test]
async fn analytics_templates_and_rules_refuse_the_wrong_callers() {
    let app = TestApp::spawn().await;
    let d = desk(&app).await;
    let f = FeedbackFilter::default();
    for (who, expected) in [
        (d.client.clone(), "forbidden"),
        (Caller::Anonymous, "unauthenticated"),
    ] {
        let err = analytics::report(&app.db, &who, &f, FeedbackGrouping::Month, 0)
            .await
            .unwrap_err();
        let got = match err {
            ServiceError::Forbidden => "forbidden",
            ServiceError::Unauthenticated => "unauthenticated",
            other => panic!("{other:?}"),
        };
        assert_eq!(got, expected);
    }
    // Agents read analytics but may not change templates or rules.
    analytics::report(&app.db, &d.agent, &f, FeedbackGrouping::Month, 0)
        .await
        .expect("agents read feedback");
    let err = surveys::save_template(
        &app.db,
        &d.agent,
        SurveyKind::Csat,
        "S",
        "{{survey_link}}",
        "Q",
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ServiceError::Forbidden));
    let mut settings = surveys::load_settings(&app.db, &TestApp::caller(Role::Admin))
        .await
        .expect("settings");
    settings.throttle_days = 1;
    let err = surveys::save_settings(&app.db, &d.agent, &settings)
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::Forbidden));
    // Over HTTP: a client's session gets 403 from the report.
    let browser = app.signed_in(&d.client_email).await;
    let res = app
        .call::<LoadFeedbackReport>(
            &browser,
            &[("filter[q]", String::new()), ("grouping", "month".into())],
        )
        .await;
    assert_eq!(res.status(), 403);
    // Bad template and rule input: field errors, nothing saved.
    let manager = TestApp::caller(Role::SupportManager);
    let err = surveys::save_template(
        &app.db,
        &manager,
        SurveyKind::Csat,
        "",
        "No link {{nope}}",
        "Q",
    )
    .await
    .unwrap_err();
    let fields: Vec<String> = match err {
        ServiceError::Validation(v) => v.into_iter().map(|e| e.field).collect(),
        other => panic!("{other:?}"),
    };
    assert!(
        fields.contains(&"subject".to_string()) && fields.contains(&"body".to_string()),
        "{fields:?}"
    );
    settings.expiry_days = 0;
    let err = surveys::save_settings(&app.db, &manager, &settings)
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::Validation(_)));
    let kept = surveys::load_settings(&app.db, &manager)
        .await
        .expect("settings");
    assert_eq!((kept.expiry_days, kept.throttle_days), (14, 7));
}

#[tokio::test]
async fn a_closed_chat_with_an_agent_asks_for_csat_and_nps_follows_its_schedule() {
    let app = TestApp::spawn().await;
    let d = desk(&app).await;
    // A chat an agent took, then closed.
    let conversation: Uuid = sqlx::query_scalar(
        "INSERT INTO chat_conversation (id, account_id, contact_id, client_user_id, client_name, topic, status, assignee_id, accepted_at)
         SELECT gen_random_uuid(), $1, contact_id, id, 'Cli Ent', 'Reader beeps', 'active', $2, now()
         FROM app_user WHERE email = $3 RETURNING id",
    )
    .bind(d.account)
    .bind(d.agent_id)
    .bind(&d.client_email)
    .fetch_one(&app.db)
    .await
    .expect("chat");
    app::server::chat::close(&app.db, &d.client, app::types::ConversationId(conversation))
        .await
        .expect("close");
    assert_eq!(
        surveys::process_events(&app.state)
            .await
            .expect("chat csat"),
        1
    );
    let channel: String =
        sqlx::query_scalar("SELECT channel FROM survey_request WHERE conversation_id = $1")
            .bind(conversation)
            .fetch_one(&app.db)
            .await
            .expect("request");
    assert_eq!(channel, "chat");
    // NPS: an account that has been a customer longer than the interval and was never asked.
    let old = app.account("Old Customer", None).await;
    let (_, old_email) = client(&app, old).await;
    assert_eq!(
        surveys::send_due_nps(&app.state, 100)
            .await
            .expect("none yet"),
        0
    );
    sqlx::query("UPDATE account SET created_at = now() - interval '100 days' WHERE id = $1")
        .bind(old)
        .execute(&app.db)
        .await
        .expect("age");
    let (a, b) = tokio::join!(
        surveys::send_due_nps(&app.state, 100),
        surveys::send_due_nps(&app.state, 100)
    );
    assert_eq!(
        a.expect("a") + b.expect("b"),
        1,
        "one NPS per account per interval"
    );
    assert_eq!(
        surveys::send_due_nps(&app.state, 100).await.expect("again"),
        0
    );
    let token = survey_token(&app.deliver_mail().await, &old_email);
    let form = surveys::form(&app.db, &token).await.expect("form");
    assert_eq!(form.kind, SurveyKind::Nps);
    assert!(
        surveys::answer(&app.state, &token, 0, None).await.is_ok(),
        "0 is on the NPS scale"
    );
}

#[tokio::test]
async fn staff_create_snooze_and_finish_follow_up_tasks_and_clients_cannot() {
    let app = TestApp::spawn().await;
    let d = desk(&app).await;
    let tomorrow = Utc::now().date_naive() + Duration::days(1);
    let err = tasks::create(&app.db, &d.agent, &NewFollowUpTask::default())
        .await
        .unwrap_err();
    let fields: Vec<String> = match err {
        ServiceError::Validation(v) => v.into_iter().map(|e| e.field).collect(),
        other => panic!("{other:?}"),
    };
    assert_eq!(fields, vec!["title", "due_on", "account_id"]);
    let task = tasks::create(
        &app.db,
        &d.agent,
        &NewFollowUpTask {
            title: "Call about the renewal".into(),
            due_on: Some(tomorrow),
            account_id: Some(d.account),
            ..Default::default()
        },
    )
    .await
    .expect("create");
    assert_eq!(task.assignee_id, d.agent_id);
    tasks::snooze(&app.db, &d.agent, task.id, tomorrow + Duration::days(2))
        .await
        .expect("snooze");
    assert!(
        tasks::list(&app.db, &d.agent, tasks::TaskList::Mine)
            .await
            .expect("mine")
            .is_empty(),
        "snoozed tasks wait for their day"
    );
    let on_account = tasks::list(&app.db, &d.agent, tasks::TaskList::Account(d.account))
        .await
        .expect("account");
    assert_eq!(on_account.len(), 1);
    tasks::complete(&app.db, &d.agent, task.id)
        .await
        .expect("done");
    assert!(
        tasks::find(&app.db, &d.agent, task.id)
            .await
            .expect("find")
            .done
    );
    for who in [d.client.clone(), Caller::Anonymous] {
        assert!(tasks::create(
            &app.db,
            &who,
            &NewFollowUpTask {
                title: "x".into(),
                due_on: Some(tomorrow),
                account_id: Some(d.account),
                ..Default::default()
            }
        )
        .await
        .is_err());
        assert!(
            tasks::list(&app.db, &who, tasks::TaskList::Account(d.account))
                .await
                .is_err()
        );
        assert!(tasks::complete(&app.db, &who, task.id).await.is_err());
    }
}
