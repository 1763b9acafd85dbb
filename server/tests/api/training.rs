//! The training scheduler: invitations parsed back with a calendar library (zones, METHOD,
//! UID, SEQUENCE), capacity, reschedule and cancel, reminders, the staff feed, guards.

use crate::helpers::{ReceivedMail, TestApp};
use crate::onboarding::{step, template};
use app::api::training::PublishTrainingSlot;
use app::server::auth::{Caller, ClientCaller, StaffCaller};
use app::server::{onboarding, training, ServiceError};
use app::types::{AccountId, OnboardingStart, Role, SlotId, SlotInput, StepAction};
use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use icalendar::{Calendar, CalendarDateTime, Component, DatePerhapsTime, EventStatus};
use mail_parser::MimeHeaders;

/// A winter weekday far enough ahead (CET, UTC+1; New York EST, UTC−5).
fn winter_day() -> NaiveDate {
    let mut year = Utc::now().year() + 1;
    if Utc::now().month() == 1 {
        year = Utc::now().year();
    }
    let mut d = NaiveDate::from_ymd_opt(year, 1, 20).expect("date");
    while matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
        d += Duration::days(1);
    }
    d
}

async fn slot(app: &TestApp, host: &Caller, day: NaiveDate, hour: u32, capacity: i32) -> SlotId {
    training::publish_slot(
        &app.db,
        host,
        &SlotInput {
            title: "First training call".into(),
            starts_local: format!("{}T{hour:02}:00", day.format("%Y-%m-%d")),
            time_zone: "Europe/Paris".into(),
            duration_minutes: "45".into(),
            capacity: capacity.to_string(),
            meeting_url: Some("https://meet.example.test/abc".into()),
        },
    )
    .await
    .expect("slot")
    .id
}

async fn new_client(app: &TestApp, name: &str) -> (Caller, String, AccountId) {
    let account = app.account(name, None).await;
    let (user, contact, email) = app.client_user(account).await;
    (
        Caller::Client(ClientCaller {
            user_id: user,
            contact_id: contact,
            account_id: account,
        }),
        email,
        account,
    )
}

/// The calendar part of the last mail to `to`, parsed, with the mail's text.
fn invitation(mails: &[ReceivedMail], to: &str) -> (Calendar, String, String) {
    let mail = mails
        .iter()
        .rev()
        .find(|m| m.to.iter().any(|t| t.contains(to)))
        .unwrap_or_else(|| panic!("no mail to {to}"));
    let parsed = mail_parser::MessageParser::default()
        .parse(mail.data.as_bytes())
        .expect("mime");
    let ics = parsed
        .parts
        .iter()
        .find(|p| {
            p.content_type()
                .is_some_and(|c| c.ctype() == "text" && c.subtype() == Some("calendar"))
        })
        .and_then(|p| p.text_contents())
        .expect("a text/calendar part")
        .to_string();
    let text = parsed.body_text(0).expect("text").to_string();
    let calendar: Calendar = ics.parse().expect("valid iCalendar");
    (
        calendar,
        text,
        parsed.subject().unwrap_or_default().to_string(),
    )
}

fn utc(e: &icalendar::Event) -> chrono::DateTime<Utc> {
    match e.get_start() {
        Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(t))) => t,
        other => panic!("start should be UTC, got {other:?}"),
    }
}

#[tokio::test]
async fn booking_rescheduling_and_cancelling_send_invitations_that_calendars_can_read() {
    let app = TestApp::spawn().await;
    let (host_id, host_email) = app.staff_user(Role::SupportManager).await;
    let host = Caller::Staff(StaffCaller {
        user_id: Some(host_id),
        api_key_id: None,
        role: Role::SupportManager,
    });
    let day = winter_day();
    let first = slot(&app, &host, day, 10, 1).await;
    let later = slot(&app, &host, day + Duration::days(1), 15, 1).await;
    let (client, client_email, account) = new_client(&app, "Booking Co").await;

    // The client's onboarding has a "book the training" step, which booking completes.
    let mut book_step = step("Book your training call", None, 7, &[]);
    book_step.action = StepAction::ScheduleTraining;
    template(&app, "With training", vec![book_step]).await;
    onboarding::start(&app.state, &host, account, None, OnboardingStart::ByHand)
        .await
        .expect("onboarding");

    let booked = training::book(&app.state, &client, first, Some("America/New_York"))
        .await
        .expect("book");
    assert_eq!(booked.slot.time_zone, "America/New_York");
    assert!(
        booked.slot.when.contains("04:00–04:45 EST"),
        "{}",
        booked.slot.when
    );
    let mails = app.deliver_mail().await;
    let (cal, text, subject) = invitation(&mails, &client_email);
    assert_eq!(cal.property_value("METHOD"), Some("REQUEST"));
    assert!(
        subject.starts_with("Invitation: First training call"),
        "{subject}"
    );
    assert!(
        text.contains("04:00–04:45 EST"),
        "the client reads New York time: {text}"
    );
    let event = cal.events().next().expect("event");
    let start = Utc
        .from_utc_datetime(&day.and_hms_opt(9, 0, 0).expect("time"))
        .with_timezone(&Utc);
    assert_eq!(utc(event), start, "10:00 in Paris is 09:00 UTC in winter");
    assert_eq!(event.get_sequence(), Some(0));
    assert_eq!(event.get_status(), Some(EventStatus::Confirmed));
    let uid = event.get_uid().expect("uid").to_string();
    assert!(uid.ends_with("@steward.test"), "{uid}");
    let attendees = event.get_attendees();
    assert_eq!(attendees.len(), 1);
    assert!(attendees[0].cal_address.contains(&client_email));
    let (host_cal, host_text, _) = invitation(&mails, &host_email);
    assert_eq!(
        host_cal.events().next().and_then(|e| e.get_uid()),
        Some(uid.as_str())
    );
    assert!(
        host_text.contains("10:00–10:45 CET"),
        "the host reads Paris time: {host_text}"
    );
    let (current, _) = onboarding::for_account(&app.db, &host, account)
        .await
        .expect("read");
    assert_eq!(
        current, None,
        "booking finished the only step, so the onboarding completed"
    );

    // Capacity one: another company cannot take the same time.
    let (other, _, _) = new_client(&app, "Second Co").await;
    let err = training::book(&app.state, &other, first, None)
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::Conflict(_)), "{err:?}");
    // One booking per company: the second is a reschedule.
    let err = training::book(&app.state, &client, later, None)
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::Conflict(_)), "{err:?}");

    let moved = training::reschedule(&app.state, &client, booked.id, later, None)
        .await
        .expect("reschedule");
    assert_eq!(moved.sequence, 1);
    let mails = app.deliver_mail().await;
    let (cal, _, subject) = invitation(&mails, &client_email);
    assert!(subject.starts_with("Updated:"), "{subject}");
    let event = cal.events().next().expect("event");
    assert_eq!(
        (event.get_uid(), event.get_sequence()),
        (Some(uid.as_str()), Some(1))
    );
    assert_eq!(utc(event), start + Duration::days(1) + Duration::hours(5));
    // The first time is free again.
    training::book(&app.state, &other, first, None)
        .await
        .expect("freed");

    training::cancel_booking(&app.state, &client, booked.id)
        .await
        .expect("cancel");
    let mails = app.deliver_mail().await;
    let (cal, _, subject) = invitation(&mails, &client_email);
    assert!(subject.starts_with("Cancelled:"), "{subject}");
    assert_eq!(cal.property_value("METHOD"), Some("CANCEL"));
    let event = cal.events().next().expect("event");
    assert_eq!(
        (event.get_uid(), event.get_sequence()),
        (Some(uid.as_str()), Some(2))
    );
    assert_eq!(event.get_status(), Some(EventStatus::Cancelled));
    let err = training::cancel_booking(&app.state, &client, booked.id)
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::Conflict(_)), "{err:?}");
}

#[tokio::test]
async fn reminders_go_out_once_a_day_ahead_and_the_feed_lists_hosted_calls() {
    let app = TestApp::spawn().await;
    let (host_id, host_email) = app.staff_user(Role::SupportAgent).await;
    let host = Caller::Staff(StaffCaller {
        user_id: Some(host_id),
        api_key_id: None,
        role: Role::SupportAgent,
    });
    let day = winter_day();
    let id = slot(&app, &host, day, 10, 2).await;
    let (client, client_email, _) = new_client(&app, "Reminded Co").await;
    let booked = training::book(&app.state, &client, id, None)
        .await
        .expect("book");
    assert_eq!(
        training::send_reminders(&app.state).await.expect("run"),
        0,
        "not yet"
    );
    // Bring the call to tomorrow morning.
    sqlx::query("UPDATE training_slot SET starts_at = now() + interval '20 hours' WHERE id = $1")
        .bind(id)
        .execute(&app.db)
        .await
        .expect("move");
    assert_eq!(training::send_reminders(&app.state).await.expect("run"), 1);
    assert_eq!(
        training::send_reminders(&app.state).await.expect("run"),
        0,
        "once"
    );
    let mails = app.deliver_mail().await;
    for to in [&client_email, &host_email] {
        assert!(
            mails
                .iter()
                .any(|m| m.to.iter().any(|t| t.contains(to.as_str()))
                    && m.data.contains("Reminder: First training call")),
            "reminder to {to}"
        );
    }

    let url = training::create_feed(&app.db, &app.state.settings, &host)
        .await
        .expect("feed");
    let path = url.trim_start_matches("http://steward.test");
    let res = reqwest::get(format!("{}{path}", app.base))
        .await
        .expect("get");
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .expect("type")
        .starts_with("text/calendar"));
    let cal: Calendar = res.text().await.expect("body").parse().expect("ics");
    let event = cal.events().next().expect("the booked call");
    assert!(event.get_uid().expect("uid").starts_with("training-"));
    assert!(event
        .get_summary()
        .expect("summary")
        .contains("Reminded Co"));
    assert_eq!(booked.slot.id, id);
    let wrong = reqwest::get(format!("{}/calendar/not-the-secret.ics", app.base))
        .await
        .expect("get");
    assert_eq!(wrong.status(), 404);
    // A new address replaces the old one.
    training::create_feed(&app.db, &app.state.settings, &host)
        .await
        .expect("again");
    let old = reqwest::get(format!("{}{path}", app.base))
        .await
        .expect("get");
    assert_eq!(old.status(), 404);
}

#[tokio::test]
async fn only_support_staff_publish_slots_and_only_the_account_changes_its_booking() {
    let app = TestApp::spawn().await;
    let (host_id, _) = app.staff_user(Role::SupportAgent).await;
    let host = Caller::Staff(StaffCaller {
        user_id: Some(host_id),
        api_key_id: None,
        role: Role::SupportAgent,
    });
    let day = winter_day();
    let id = slot(&app, &host, day, 10, 3).await;
    let (client, _, _) = new_client(&app, "Mine Co").await;
    let (stranger, _, _) = new_client(&app, "Stranger Co").await;
    let booked = training::book(&app.state, &client, id, None)
        .await
        .expect("book");

    let input = SlotInput {
        title: "X".into(),
        starts_local: format!("{}T10:00", day.format("%Y-%m-%d")),
        time_zone: "Europe/Paris".into(),
        duration_minutes: "30".into(),
        capacity: "1".into(),
        meeting_url: None,
    };
    for who in [
        TestApp::caller(Role::SalesRep),
        client.clone(),
        Caller::Anonymous,
    ] {
        let err = training::publish_slot(&app.db, &who, &input)
            .await
            .unwrap_err();
        assert!(
            matches!(err, ServiceError::Forbidden | ServiceError::Unauthenticated),
            "{who:?}: {err:?}"
        );
    }
    let err = training::cancel_booking(&app.state, &stranger, booked.id)
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::NotFound), "{err:?}");
    let err = training::reschedule(&app.state, &stranger, booked.id, id, None)
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::NotFound), "{err:?}");
    let err = training::cancel_booking(&app.state, &TestApp::caller(Role::SalesRep), booked.id)
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::Forbidden), "{err:?}");
    let err = training::cancel_slot(&app.state, &client, id)
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::Forbidden), "{err:?}");
    let err = training::portal(&app.db, &host, None).await.unwrap_err();
    assert!(
        matches!(err, ServiceError::Forbidden),
        "staff have no portal: {err:?}"
    );
    let err = training::desk(&app.db, &client, None).await.unwrap_err();
    assert!(matches!(err, ServiceError::Forbidden), "{err:?}");

    // Bad input comes back per field over HTTP, and nothing is published.
    let (_, email) = app.staff_user(Role::SupportManager).await;
    let browser = app.signed_in(&email).await;
    let res = app
        .call::<PublishTrainingSlot>(
            &browser,
            &[
                ("form[title]", "".into()),
                ("form[starts_local]", "yesterday".into()),
                ("form[time_zone]", "Mars/Olympus".into()),
                ("form[duration_minutes]", "5".into()),
                ("form[capacity]", "0".into()),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.expect("body");
    for field in [
        "title",
        "time_zone",
        "starts_local",
        "duration_minutes",
        "capacity",
    ] {
        assert!(body.contains(field), "{field} in {body}");
    }
    let slots: i64 = sqlx::query_scalar("SELECT count(*) FROM training_slot")
        .fetch_one(&app.db)
        .await
        .expect("count");
    assert_eq!(slots, 1);

    // Withdrawing a slot cancels its bookings.
    training::cancel_slot(&app.state, &host, id)
        .await
        .expect("withdraw");
    let desk = training::desk(&app.db, &host, None).await.expect("desk");
    assert!(desk.slots[0].cancelled);
    assert!(desk.bookings.is_empty());
    let portal = training::portal(&app.db, &client, None)
        .await
        .expect("portal");
    assert!(portal.booking.is_none() && portal.slots.is_empty());
}
