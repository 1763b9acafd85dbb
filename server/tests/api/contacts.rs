//! Contact domain functions and the client's own profile.

use crate::helpers::TestApp;
use app::api::portal::UpdateMyProfile;
use app::server::{contacts, ServiceError};
use app::types::{Contact, ContactFilter, ContactInput, Role};

fn input(account: app::types::AccountId, email: &str) -> ContactInput {
    ContactInput {
        account_id: Some(account),
        first_name: "Grace".into(),
        last_name: "Hopper".into(),
        title: Some("CTO".into()),
        emails: vec![email.into(), format!("alt.{email}")],
        phones: vec!["+1 555 0100".into()],
        linkedin_url: Some("https://www.linkedin.com/in/grace".into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_contact_keeps_several_emails_and_phones_in_order() {
    let app = TestApp::spawn().await;
    let account = app.account("Navy", None).await;
    let agent = TestApp::caller(Role::SupportAgent);
    let c = contacts::create(&app.db, &agent, &input(account, "grace@navy.example"))
        .await
        .expect("create");
    assert_eq!(
        c.emails,
        vec!["grace@navy.example", "alt.grace@navy.example"]
    );
    assert_eq!(c.phones, vec!["+1 555 0100"]);
    let mut changed = ContactInput::from(&c);
    changed.emails = vec!["g@navy.example".into()];
    let c2 = contacts::update(&app.db, &agent, c.id, &changed)
        .await
        .expect("update");
    assert_eq!(c2.emails, vec!["g@navy.example"]);
}

#[tokio::test]
async fn a_duplicate_email_is_a_field_error_and_nothing_is_half_written() {
    let app = TestApp::spawn().await;
    let account = app.account("Navy", None).await;
    let agent = TestApp::caller(Role::SupportAgent);
    contacts::create(&app.db, &agent, &input(account, "grace@navy.example"))
        .await
        .expect("first");
    let mut dup = input(account, "other@navy.example");
    dup.emails = vec!["new@navy.example".into(), "GRACE@navy.example".into()];
    let err = contacts::create(&app.db, &agent, &dup).await.unwrap_err();
    match err {
        ServiceError::Validation(v) => assert_eq!(v[0].field, "emails"),
        other => panic!("{other:?}"),
    }
    let contacts: i64 = sqlx::query_scalar("SELECT count(*) FROM contact")
        .fetch_one(&app.db)
        .await
        .expect("count");
    let emails: i64 = sqlx::query_scalar("SELECT count(*) FROM contact_email")
        .fetch_one(&app.db)
        .await
        .expect("count");
    assert_eq!((contacts, emails), (1, 2));
}

#[tokio::test]
async fn a_contact_needs_an_existing_account() {
    let app = TestApp::spawn().await;
    let err = contacts::create(
        &app.db,
        &TestApp::caller(Role::SalesRep),
        &input(app::types::AccountId::new(), "x@y.example"),
    )
    .await
    .unwrap_err();
    match err {
        ServiceError::Validation(v) => assert_eq!(v[0].field, "account_id"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn contacts_are_found_by_name_or_email() {
    let app = TestApp::spawn().await;
    let account = app.account("Navy", None).await;
    let agent = TestApp::caller(Role::SupportAgent);
    contacts::create(&app.db, &agent, &input(account, "grace@navy.example"))
        .await
        .expect("create");
    for q in ["hopper", "grace h", "alt.grace"] {
        let page = contacts::list(
            &app.db,
            &agent,
            &ContactFilter {
                q: Some(q.into()),
                ..Default::default()
            },
        )
        .await
        .expect("list");
        assert_eq!(page.total, 1, "search {q}");
    }
}

#[tokio::test]
async fn a_client_edits_their_own_profile_but_not_their_account_or_addresses() {
    let app = TestApp::spawn().await;
    let account = app.account("Client Co", None).await;
    let other = app.account("Other Co", None).await;
    let (_, contact, email) = app.client_user(account).await;
    let client = app.signed_in(&email).await;
    let res = app
        .call::<UpdateMyProfile>(
            &client,
            &[
                ("form[first_name]", "Clara".into()),
                ("form[last_name]", "Client".into()),
                ("form[title]", "Buyer".into()),
                ("form[phones]", "+33 1 23 45 67 89".into()),
                ("form[linkedin_url]", "".into()),
                // Not part of the profile form: ignored, not applied.
                ("form[account_id]", other.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status(), 200, "{:?}", res.text().await);
    let saved: Contact = contacts::get(&app.db, &TestApp::caller(Role::Admin), contact)
        .await
        .expect("get");
    assert_eq!(saved.first_name, "Clara");
    assert_eq!(saved.account_id, account);
    assert_eq!(saved.emails, vec![email]);
}

#[tokio::test]
async fn a_contact_shows_its_accounts_type_and_status_and_keeps_the_holiday_card_flag() {
    let app = TestApp::spawn().await;
    let account = app.account("Navy", None).await;
    let agent = TestApp::caller(Role::SupportAgent);
    let mut i = input(account, "grace@navy.example");
    i.holiday_card = true;
    let c = contacts::create(&app.db, &agent, &i).await.expect("create");
    assert!(c.holiday_card);
    let read = contacts::get(&app.db, &agent, c.id).await.expect("get");
    assert_eq!(read.account_type, app::types::AccountType::Customer);
    assert_eq!(read.account_status, app::types::RecordStatus::Active);
    let mut off = ContactInput::from(&read);
    off.holiday_card = false;
    let c2 = contacts::update(&app.db, &agent, c.id, &off)
        .await
        .expect("update");
    assert!(!c2.holiday_card);
}
