//! Onboarding: the automatic start and the welcome email (through a real SMTP server),
//! step dependencies, checklists and documents, template versions, client admins, and who
//! may do what.

use crate::helpers::{token_in, ReceivedMail, TestApp};
use app::api::onboarding::{LoadOnboardingBoard, SaveOnboardingTemplate, StartOnboarding};
use app::api::portal::SetColleagueAdmin;
use app::server::auth::{Caller, ClientCaller, StaffCaller};
use app::server::tickets::attachments::Upload;
use app::server::{accounts, documents, onboarding, users, ServiceError};
use app::types::{
    AccountId, AccountInput, AccountType, ColleagueInput, ContactId, OnboardingStart,
    OnboardingStatus, Role, StepAction, StepOwnerSide, StepStatus, TemplateId, TemplateInput,
    TemplateStep, UserId,
};
use chrono::{Duration, Utc};

pub fn step(title: &str, owner: Option<Role>, due: i32, depends: &[i32]) -> TemplateStep {
    TemplateStep {
        title: title.into(),
        owner_side: if owner.is_some() {
            StepOwnerSide::Staff
        } else {
            StepOwnerSide::Client
        },
        owner_role: owner,
        due_offset_days: due,
        depends_on: depends.to_vec(),
        ..TemplateStep::blank()
    }
}

pub async fn template(app: &TestApp, name: &str, steps: Vec<TemplateStep>) -> TemplateId {
    onboarding::create_template(
        &app.db,
        &Caller::System,
        &TemplateInput {
            name: name.into(),
            description: String::new(),
            is_default: true,
            steps,
        },
    )
    .await
    .expect("template")
    .id
}

pub async fn contact(app: &TestApp, account: AccountId, first: &str, email: &str) -> ContactId {
    let id = ContactId::new();
    sqlx::query(
        "INSERT INTO contact (id, account_id, first_name, last_name, status) VALUES ($1, $2, $3, 'Lovelace', 'active')",
    )
    .bind(id)
    .bind(account)
    .bind(first)
    .execute(&app.db)
    .await
    .expect("contact");
    sqlx::query("INSERT INTO contact_email (contact_id, position, email) VALUES ($1, 0, $2)")
        .bind(id)
        .bind(email)
        .execute(&app.db)
        .await
        .expect("email");
    id
}

fn client_of(user: UserId, contact: ContactId, account: AccountId) -> Caller {
    Caller::Client(ClientCaller {
        user_id: user,
        contact_id: contact,
        account_id: account,
    })
}

fn staff(user: UserId, role: Role) -> Caller {
    Caller::Staff(StaffCaller {
        user_id: Some(user),
        api_key_id: None,
        role,
    })
}

fn fields(err: ServiceError) -> Vec<String> {
    match err {
        ServiceError::Validation(v) => v.into_iter().map(|f| f.field).collect(),
        other => panic!("expected field errors, got {other:?}"),
    }
}

fn mail_to<'a>(mails: &'a [ReceivedMail], to: &str) -> Vec<&'a ReceivedMail> {
    mails
        .iter()
        .filter(|m| m.to.iter().any(|t| t.contains(to)))
        .collect()
}

async fn running(app: &TestApp, account: AccountId) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM onboarding WHERE account_id = $1")
        .bind(account)
        .fetch_one(&app.db)
        .await
        .expect("count")
}

#[tokio::test]
async fn an_account_becoming_a_customer_starts_exactly_one_onboarding_and_welcomes_the_contact() {
    let app = TestApp::spawn().await;
    let (manager, _) = app.staff_user(Role::SalesManager).await;
    let (agent, _) = app.staff_user(Role::SupportAgent).await;
    template(
        &app,
        "Standard",
        vec![
            step("Kick-off", Some(Role::SalesManager), 0, &[]),
            step("Sign the agreement", None, 3, &[]),
            step("Configure", Some(Role::SupportAgent), 10, &[1]),
        ],
    )
    .await;
    let rep = staff(manager, Role::SalesManager);
    let mut input = AccountInput {
        name: "Analytical Engines".into(),
        account_type: Some(AccountType::Prospect),
        owner_id: Some(manager),
        ..Default::default()
    };
    let account = accounts::create(&app.state, &rep, &input)
        .await
        .expect("create")
        .id;
    contact(&app, account, "Ada", "ada@engines.example").await;
    assert_eq!(
        running(&app, account).await,
        0,
        "a prospect has no onboarding"
    );

    input.account_type = Some(AccountType::Customer);
    accounts::update(&app.state, &rep, account, &input)
        .await
        .expect("won");
    // Saving again, or going back and forth, does not start a second one while it runs.
    accounts::update(&app.state, &rep, account, &input)
        .await
        .expect("saved again");
    input.account_type = Some(AccountType::Prospect);
    accounts::update(&app.state, &rep, account, &input)
        .await
        .expect("back");
    input.account_type = Some(AccountType::Customer);
    accounts::update(&app.state, &rep, account, &input)
        .await
        .expect("again");
    assert_eq!(running(&app, account).await, 1, "exactly one onboarding");

    let (current, _) = onboarding::for_account(&app.db, &rep, account)
        .await
        .expect("read");
    let o = current.expect("running");
    assert_eq!(o.started_by, OnboardingStart::BecameCustomer);
    assert_eq!(o.summary.step_count, 3);
    assert_eq!(o.summary.progress(), 0);
    let today = Utc::now().date_naive();
    let due: Vec<_> = o.steps.iter().map(|s| s.due_on).collect();
    assert_eq!(
        due,
        vec![today, today + Duration::days(3), today + Duration::days(10)]
    );
    assert_eq!(
        o.steps[0].assignee_id,
        Some(manager),
        "the owner holds the step's role"
    );
    assert_eq!(
        o.steps[2].assignee_id,
        Some(agent),
        "else someone with the role"
    );
    assert_eq!(o.steps[2].blocked_by, vec!["Kick-off".to_string()]);
    assert_eq!(o.summary.stage.as_deref(), Some("Kick-off"));

    let mails = app.deliver_mail().await;
    let welcome = mail_to(&mails, "ada@engines.example");
    assert_eq!(welcome.len(), 1, "one welcome email: {mails:?}");
    let parsed = mail_parser::MessageParser::default()
        .parse(welcome[0].data.as_bytes())
        .expect("mime");
    assert_eq!(
        parsed.subject(),
        Some("Welcome to Steward, Analytical Engines")
    );
    let text = parsed.body_text(0).expect("plain part");
    let html = parsed.body_html(0).expect("html part");
    assert!(text.contains("Hello Ada Lovelace"), "{text}");
    assert!(
        text.contains("Your account manager is Test Sales manager"),
        "{text}"
    );
    assert!(
        html.contains("<strong>Analytical Engines</strong>"),
        "{html}"
    );
    assert!(
        html.contains("http://steward.test/invitation?token="),
        "{html}"
    );
    // The link is a working invitation for the contact's new portal user, a client admin.
    let token = token_in(&mails, "ada@engines.example", "/invitation");
    assert!(app::server::auth::service::token_is_valid(
        &app.state,
        &token,
        app::server::auth::tokens::Purpose::Invitation
    )
    .await
    .expect("token"));
    let admin: bool = sqlx::query_scalar(
        "SELECT is_client_admin FROM app_user WHERE lower(email) = 'ada@engines.example'",
    )
    .fetch_one(&app.db)
    .await
    .expect("user");
    assert!(admin);
    // The account shows the mail and its delivery.
    let section = onboarding::account_section(&app.db, &rep, account)
        .await
        .expect("section");
    let record = section
        .mail
        .iter()
        .find(|m| m.kind == "welcome")
        .expect("listed");
    assert_eq!((record.status.as_str(), record.attempts), ("sent", 1));
}

#[tokio::test]
async fn a_step_waits_for_its_dependencies_checklist_and_documents() {
    let app = TestApp::spawn().await;
    let account = app.account("Difference Engines", None).await;
    let (user, contact_id, _) = app.client_user(account).await;
    let client = client_of(user, contact_id, account);
    let mut first = step("Tell us about your sites", None, 2, &[]);
    first.checklist = vec!["Addresses".into(), "Site contacts".into()];
    let mut second = step("Sign the agreement", None, 3, &[1]);
    second.required_documents = vec!["Signed agreement".into()];
    let staff_step = step("Configure", Some(Role::SupportAgent), 5, &[]);
    template(&app, "Two steps", vec![first, second, staff_step]).await;
    let (agent, _) = app.staff_user(Role::SupportAgent).await;
    let view = onboarding::start(
        &app.state,
        &staff(agent, Role::SupportAgent),
        account,
        None,
        OnboardingStart::ByHand,
    )
    .await
    .expect("start");
    let ids: Vec<_> = view.steps.iter().map(|s| s.id).collect();

    // The second step waits for the first; a client never works a staff step.
    let err = onboarding::complete_step(&app.state, &client, ids[1])
        .await
        .unwrap_err();
    assert!(
        matches!(err, ServiceError::Conflict(ref m) if m.contains("Waiting for")),
        "{err:?}"
    );
    let err = onboarding::complete_step(&app.state, &client, ids[2])
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::Forbidden), "{err:?}");

    onboarding::tick(&app.db, &client, ids[0], 1, true)
        .await
        .expect("tick");
    let err = onboarding::complete_step(&app.state, &client, ids[0])
        .await
        .unwrap_err();
    assert_eq!(fields(err), vec!["step"], "one checklist item still open");
    let err = onboarding::tick(&app.db, &client, ids[0], 3, true)
        .await
        .unwrap_err();
    assert_eq!(fields(err), vec!["item"]);
    onboarding::tick(&app.db, &client, ids[0], 2, true)
        .await
        .expect("tick");
    let after = onboarding::complete_step(&app.state, &client, ids[0])
        .await
        .expect("done");
    assert_eq!(after.steps[0].status, StepStatus::Done);
    assert_eq!(after.steps[0].completed_by_name.as_deref(), Some("Cli Ent"));
    assert!(after.steps[1].can_work, "unblocked");
    assert_eq!(after.summary.progress(), 33);

    let err = onboarding::complete_step(&app.state, &client, ids[1])
        .await
        .unwrap_err();
    assert_eq!(fields(err), vec!["step"], "the document is missing");
    let pdf = Upload {
        file_name: "agreement.pdf".into(),
        content_type: "application/pdf".into(),
        bytes: b"%PDF-1.4 signed".to_vec(),
    };
    let err = documents::upload_for_step(&app.state, &client, ids[1], "Something else", &pdf)
        .await
        .unwrap_err();
    assert_eq!(fields(err), vec!["requirement"]);
    documents::upload_for_step(&app.state, &client, ids[1], "Signed agreement", &pdf)
        .await
        .expect("upload");
    onboarding::complete_step(&app.state, &client, ids[1])
        .await
        .expect("signed");
    let done = onboarding::skip_step(&app.state, &staff(agent, Role::SupportAgent), ids[2])
        .await
        .expect("skipped");
    assert_eq!(done.summary.status, OnboardingStatus::Completed);
    assert_eq!(done.summary.progress(), 100);
    // The client's upload is an account document staff can read, kept with its step.
    let docs = documents::list(&app.db, &TestApp::caller(Role::SalesRep), account)
        .await
        .expect("docs");
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].shared_by, "client");
}

#[tokio::test]
async fn a_running_onboarding_keeps_the_template_version_it_started_with() {
    let app = TestApp::spawn().await;
    let id = template(&app, "Versioned", vec![step("One", None, 1, &[])]).await;
    let first = app.account("First Customer", None).await;
    let second = app.account("Second Customer", None).await;
    let agent = TestApp::caller(Role::SupportAgent);
    let old = onboarding::start(&app.state, &agent, first, None, OnboardingStart::Api)
        .await
        .expect("start");
    let admin = TestApp::caller(Role::Admin);
    let mut input = TemplateInput {
        name: "Versioned".into(),
        description: "renamed in place".into(),
        is_default: true,
        steps: vec![step("One", None, 1, &[]), step("Two", None, 2, &[1])],
    };
    let saved = onboarding::update_template(&app.db, &admin, id, &input)
        .await
        .expect("v2");
    assert_eq!(saved.current_version, 2);
    // Saving without a change of steps makes no new version.
    input.description = "only the description".into();
    let same = onboarding::update_template(&app.db, &admin, id, &input)
        .await
        .expect("same");
    assert_eq!(same.current_version, 2);

    let old = onboarding::view(&app.db, &agent, old.summary.id)
        .await
        .expect("old");
    assert_eq!((old.summary.template_version, old.steps.len()), (1, 1));
    let new = onboarding::start(
        &app.state,
        &agent,
        second,
        Some(id),
        OnboardingStart::ByHand,
    )
    .await
    .expect("new");
    assert_eq!((new.summary.template_version, new.steps.len()), (2, 2));
    let detail = onboarding::template_detail(&app.db, &agent, id)
        .await
        .expect("detail");
    assert_eq!(
        detail
            .versions
            .iter()
            .map(|v| (v.version, v.running))
            .collect::<Vec<_>>(),
        vec![(2, 1), (1, 1)]
    );
    // A second start by hand while one runs is refused; an archived template starts nothing.
    let err = onboarding::start(&app.state, &agent, second, None, OnboardingStart::ByHand)
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::Conflict(_)), "{err:?}");
    onboarding::archive_template(&app.db, &admin, id, true)
        .await
        .expect("archive");
    let third = app.account("Third Customer", None).await;
    let err = onboarding::start(&app.state, &agent, third, Some(id), OnboardingStart::ByHand)
        .await
        .unwrap_err();
    assert_eq!(fields(err), vec!["template_id"]);
}

#[tokio::test]
async fn templates_and_the_welcome_email_refuse_bad_input_and_keep_nothing() {
    let app = TestApp::spawn().await;
    let (_, email) = app.staff_user(Role::Admin).await;
    let admin = app.signed_in(&email).await;
    let body = serde_json::json!({
        "id": null,
        "template": {
            "name": "",
            "steps": [
                { "title": "Sign", "owner_side": "client", "due_offset_days": 2, "depends_on": [2] },
                { "title": "Kick-off", "owner_side": "staff", "due_offset_days": 900 }
            ]
        }
    });
    let res = admin
        .post(format!(
            "{}{}",
            app.base,
            <SaveOnboardingTemplate as leptos::server_fn::ServerFn>::PATH
        ))
        .header("Accept", "application/json")
        .json(&body)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 422);
    let text = res.text().await.expect("body");
    for field in [
        "name",
        "steps[0].depends_on",
        "steps[1].owner_role",
        "steps[1].due_offset_days",
    ] {
        assert!(text.contains(field), "{field} in {text}");
    }
    let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM onboarding_template")
        .fetch_one(&app.db)
        .await
        .expect("count");
    assert_eq!(kept, 0);

    let caller = TestApp::caller(Role::Admin);
    let err = onboarding::welcome::save_template(&app.db, &caller, "Hi {{nmae}}", "Body")
        .await
        .unwrap_err();
    assert_eq!(fields(err), vec!["subject"]);
    let unchanged = onboarding::welcome::template(&app.db, &caller)
        .await
        .expect("read");
    assert!(unchanged.subject.contains("{{account_name}}"));
}

#[tokio::test]
async fn who_may_run_onboardings_is_enforced_for_every_kind_of_caller() {
    let app = TestApp::spawn().await;
    template(&app, "Standard", vec![step("Sign", None, 1, &[])]).await;
    let mine = app.account("Mine Ltd", None).await;
    let theirs = app.account("Theirs Ltd", None).await;
    let (user, contact_id, client_email) = app.client_user(mine).await;
    let client = client_of(user, contact_id, mine);
    let agent = TestApp::caller(Role::SupportAgent);
    let other = onboarding::start(&app.state, &agent, theirs, None, OnboardingStart::ByHand)
        .await
        .expect("start");
    let shared = documents::share(
        &app.db,
        &agent,
        theirs,
        "Contract",
        &Upload {
            file_name: "contract.pdf".into(),
            content_type: "application/pdf".into(),
            bytes: b"%PDF-1.7".to_vec(),
        },
    )
    .await
    .expect("share");

    // Another account's client: nothing exists.
    let err = onboarding::view(&app.db, &client, other.summary.id)
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::NotFound), "{err:?}");
    let err = onboarding::tick(&app.db, &client, other.steps[0].id, 1, true)
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::NotFound), "{err:?}");
    let err = onboarding::complete_step(&app.state, &client, other.steps[0].id)
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::NotFound), "{err:?}");
    let err = documents::download(&app.db, &client, shared.id)
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::NotFound), "{err:?}");
    let browser = app.signed_in(&client_email).await;
    let res = browser
        .get(format!("{}/files/documents/{}", app.base, shared.id))
        .send()
        .await
        .expect("download");
    assert_eq!(res.status(), 404);
    // Clients run nothing on the staff side.
    let err = onboarding::start(&app.state, &client, mine, None, OnboardingStart::ByHand)
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::Forbidden), "{err:?}");
    let err = onboarding::board(&app.db, &client, &Default::default())
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::Forbidden), "{err:?}");
    let err = documents::share(
        &app.db,
        &client,
        mine,
        "x",
        &Upload {
            file_name: "x.txt".into(),
            content_type: "text/plain".into(),
            bytes: b"x".to_vec(),
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ServiceError::Forbidden), "{err:?}");
    let res = app
        .call::<StartOnboarding>(&browser, &[("account", mine.to_string())])
        .await;
    assert_eq!(res.status(), 403);
    // Only admins edit templates; staff who are not admins are refused.
    let rep = TestApp::caller(Role::SalesRep);
    let err = onboarding::create_template(
        &app.db,
        &rep,
        &TemplateInput {
            name: "Mine".into(),
            description: String::new(),
            is_default: false,
            steps: vec![step("One", None, 1, &[])],
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ServiceError::Forbidden), "{err:?}");
    let err = onboarding::welcome::save_template(
        &app.db,
        &TestApp::caller(Role::SupportManager),
        "S",
        "B",
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ServiceError::Forbidden), "{err:?}");
    // Anonymous callers are asked to sign in.
    let res = app.call::<LoadOnboardingBoard>(&app.browser(), &[]).await;
    assert_eq!(res.status(), 401);
    // Staff see the board, with the onboarding in its column.
    let board = onboarding::board(&app.db, &rep, &Default::default())
        .await
        .expect("board");
    assert_eq!(board.running, 1);
    assert_eq!(board.columns[0].stage, "Sign");
    assert_eq!(board.columns[0].cards[0].account_name, "Theirs Ltd");
}

/// Makes a portal user their company's client admin, as the first onboarding's welcome does.
async fn make_client_admin(app: &TestApp, user: UserId) {
    sqlx::query("UPDATE app_user SET is_client_admin = true WHERE id = $1")
        .bind(user)
        .execute(&app.db)
        .await
        .expect("admin");
}

#[tokio::test]
async fn a_client_admin_invites_and_revokes_colleagues_of_their_own_company_only() {
    let app = TestApp::spawn().await;
    let account = app.account("Admins Inc", None).await;
    let elsewhere = app.account("Elsewhere Inc", None).await;
    let (admin_user, admin_contact, _) = app.client_user(account).await;
    let (plain_user, plain_contact, _) = app.client_user(account).await;
    let (stranger, _, _) = app.client_user(elsewhere).await;
    make_client_admin(&app, admin_user).await;
    contact(&app, elsewhere, "Other", "other@elsewhere.example").await;
    let admin = client_of(admin_user, admin_contact, account);
    let plain = client_of(plain_user, plain_contact, account);
    let colleague = ColleagueInput {
        first_name: "Grace".into(),
        last_name: "Hopper".into(),
        email: "grace@admins.example".into(),
    };

    let err = users::invite_colleague(&app.state, &plain, &colleague)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ServiceError::Forbidden),
        "not an admin: {err:?}"
    );
    let err = users::colleagues(&app.db, &plain).await.unwrap_err();
    assert!(matches!(err, ServiceError::Forbidden), "{err:?}");
    let err = users::invite_colleague(
        &app.state,
        &admin,
        &ColleagueInput {
            email: "other@elsewhere.example".into(),
            ..colleague.clone()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(fields(err), vec!["email"], "another company's address");
    let err = users::invite_colleague(
        &app.state,
        &admin,
        &ColleagueInput {
            email: "not an address".into(),
            first_name: String::new(),
            ..colleague.clone()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(fields(err), vec!["first_name", "email"]);

    users::invite_colleague(&app.state, &admin, &colleague)
        .await
        .expect("invite");
    let mails = app.deliver_mail().await;
    token_in(&mails, "grace@admins.example", "/invitation");
    let team = users::colleagues(&app.db, &admin).await.expect("team");
    let grace = team
        .iter()
        .find(|c| c.email == "grace@admins.example")
        .expect("listed");
    assert!(!grace.has_password);
    assert_eq!(team.len(), 3);

    let err = users::revoke_colleague(&app.db, &admin, stranger)
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::NotFound), "{err:?}");
    let err = users::revoke_colleague(&app.db, &admin, admin_user)
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::Conflict(_)), "{err:?}");
    users::revoke_colleague(&app.db, &admin, plain_user)
        .await
        .expect("revoke");
    let caller = app::server::auth::service::caller_for_user(&app.db, plain_user)
        .await
        .expect("caller");
    assert_eq!(
        caller,
        Caller::Anonymous,
        "a revoked colleague is signed out"
    );
}

#[tokio::test]
async fn a_client_admin_shares_admin_rights_with_colleagues_of_their_own_company_only() {
    let app = TestApp::spawn().await;
    let account = app.account("Admins Inc", None).await;
    let elsewhere = app.account("Elsewhere Inc", None).await;
    let (admin_user, admin_contact, admin_email) = app.client_user(account).await;
    let (plain_user, plain_contact, plain_email) = app.client_user(account).await;
    let (left_user, _, _) = app.client_user(account).await;
    let (stranger, _, _) = app.client_user(elsewhere).await;
    make_client_admin(&app, admin_user).await;
    let admin = client_of(admin_user, admin_contact, account);
    let plain = client_of(plain_user, plain_contact, account);
    let is_admin = |user: UserId| {
        let db = app.db.clone();
        async move {
            sqlx::query_scalar::<_, bool>("SELECT is_client_admin FROM app_user WHERE id = $1")
                .bind(user)
                .fetch_one(&db)
                .await
                .expect("flag")
        }
    };

    // A colleague who is not an admin cannot make anyone one, through the page's call either.
    let err = users::set_colleague_admin(&app.db, &plain, plain_user, true)
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::Forbidden), "{err:?}");
    let browser = app.signed_in(&plain_email).await;
    let res = app
        .call::<SetColleagueAdmin>(
            &browser,
            &[("user", plain_user.to_string()), ("admin", "true".into())],
        )
        .await;
    assert_eq!(res.status(), 403);
    assert!(!is_admin(plain_user).await);
    // Another company's user is not found; the admin's own rights stay as they are.
    let err = users::set_colleague_admin(&app.db, &admin, stranger, true)
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::NotFound), "{err:?}");
    assert!(!is_admin(stranger).await);
    let err = users::set_colleague_admin(&app.db, &admin, admin_user, false)
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::Conflict(_)), "{err:?}");
    assert!(is_admin(admin_user).await);
    // A revoked colleague must be invited again first.
    users::revoke_colleague(&app.db, &admin, left_user)
        .await
        .expect("revoke");
    let err = users::set_colleague_admin(&app.db, &admin, left_user, true)
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::Conflict(_)), "{err:?}");
    assert!(!is_admin(left_user).await);

    // The team page offers it, and through it the colleague is made an admin.
    let admin_browser = app.signed_in(&admin_email).await;
    let page = |browser: reqwest::Client| {
        let url = format!("{}/portal/team", app.base);
        async move {
            let res = browser.get(url).send().await.expect("team page");
            assert_eq!(res.status(), 200);
            res.text().await.expect("html")
        }
    };
    let html = page(admin_browser.clone()).await;
    assert!(
        html.contains(&format!("id=\"admin-{plain_user}\"")),
        "{html}"
    );
    assert!(html.contains("Make admin"), "{html}");
    let res = app
        .call::<SetColleagueAdmin>(
            &admin_browser,
            &[("user", plain_user.to_string()), ("admin", "true".into())],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert!(page(admin_browser).await.contains("Remove admin rights"));
    // Made an admin, the colleague administers the team at once, and can hand it back.
    let team = users::colleagues(&app.db, &plain).await.expect("team");
    assert!(team
        .iter()
        .any(|c| c.user_id == plain_user && c.is_client_admin && c.is_me));
    users::set_colleague_admin(&app.db, &plain, admin_user, false)
        .await
        .expect("the new admin removes the first one's rights");
    assert!(!is_admin(admin_user).await);
    let err = users::colleagues(&app.db, &admin).await.unwrap_err();
    assert!(matches!(err, ServiceError::Forbidden), "{err:?}");
}

#[tokio::test]
async fn onboardings_start_and_read_through_the_rest_api() {
    let app = TestApp::spawn().await;
    template(&app, "Standard", vec![step("Sign", None, 1, &[])]).await;
    let account = app.account("Api Customer", None).await;
    let (api, _) = app.api_client(Role::SalesRep).await;
    let res = api
        .post(format!("{}/api/v1/onboardings", app.base))
        .json(&serde_json::json!({ "account_id": account }))
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 201);
    let view: serde_json::Value = res.json().await.expect("json");
    assert_eq!(view["started_by"], "api");
    let id = view["summary"]["id"].as_str().expect("id").to_string();
    let again = api
        .post(format!("{}/api/v1/onboardings", app.base))
        .json(&serde_json::json!({ "account_id": account }))
        .send()
        .await
        .expect("post");
    assert_eq!(again.status(), 409);
    assert_eq!(
        again.headers()["content-type"].to_str().expect("type"),
        "application/problem+json"
    );
    let bad = api
        .post(format!("{}/api/v1/onboardings", app.base))
        .json(&serde_json::json!({ "account_id": "nope" }))
        .send()
        .await
        .expect("post");
    assert_eq!(bad.status(), 400, "an account id that is no id");
    assert_eq!(
        bad.headers()["content-type"].to_str().expect("type"),
        "application/problem+json"
    );
    let one = api
        .get(format!("{}/api/v1/onboardings/{id}", app.base))
        .send()
        .await
        .expect("get");
    assert_eq!(one.status(), 200);
    let list: serde_json::Value = api
        .get(format!(
            "{}/api/v1/onboardings?account_id={account}",
            app.base
        ))
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    let anonymous = reqwest::Client::new()
        .get(format!("{}/api/v1/onboardings/{id}", app.base))
        .send()
        .await
        .expect("get");
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn an_email_step_and_a_task_step_run_their_action_once_when_they_open() {
    let app = TestApp::spawn().await;
    let (owner, _) = app.staff_user(Role::SupportManager).await;
    let mut first = step("Kick-off", Some(Role::SupportManager), 0, &[]);
    first.action = StepAction::CreateTask;
    first.action_subject = "Prepare the kick-off".into();
    let mut second = step("Go-live review", Some(Role::SupportManager), 5, &[1]);
    second.action = StepAction::SendEmail;
    second.action_subject = "How is it going, {{contact_first_name}}?".into();
    second.action_body = "Hello {{contact_name}}".into();
    template(&app, "Actions", vec![first, second]).await;
    let account = app.account("Actions Ltd", None).await;
    sqlx::query("UPDATE account SET owner_id = $2 WHERE id = $1")
        .bind(account)
        .bind(owner)
        .execute(&app.db)
        .await
        .expect("owner");
    contact(&app, account, "Bea", "bea@actions.example").await;
    let manager = staff(owner, Role::SupportManager);
    let view = onboarding::start(&app.state, &manager, account, None, OnboardingStart::ByHand)
        .await
        .expect("start");
    let tasks: Vec<String> =
        sqlx::query_scalar("SELECT title FROM notification WHERE user_id = $1")
            .bind(owner)
            .fetch_all(&app.db)
            .await
            .expect("tasks");
    assert_eq!(
        tasks,
        vec!["Task: Prepare the kick-off (Actions Ltd)".to_string()]
    );
    let mails = app.deliver_mail().await;
    assert_eq!(
        mail_to(&mails, "bea@actions.example").len(),
        1,
        "only the welcome so far"
    );
    onboarding::complete_step(&app.state, &manager, view.steps[0].id)
        .await
        .expect("done");
    let mails = app.deliver_mail().await;
    let to_bea = mail_to(&mails, "bea@actions.example");
    assert_eq!(to_bea.len(), 2);
    assert!(
        to_bea[1].data.contains("How is it going, Bea?"),
        "{}",
        to_bea[1].data
    );
}

#[tokio::test]
async fn staff_share_a_document_that_only_the_accounts_clients_download() {
    let app = TestApp::spawn().await;
    let account = app.account("Shared Docs Ltd", None).await;
    let other = app.account("Other Docs Ltd", None).await;
    let (_, _, client_email) = app.client_user(account).await;
    let (_, _, other_email) = app.client_user(other).await;
    let (_, agent_email) = app.staff_user(Role::SupportAgent).await;
    let form = || {
        reqwest::multipart::Form::new()
            .text("title", "Service contract")
            .part(
                "file",
                reqwest::multipart::Part::bytes(b"%PDF-1.7 contract".to_vec())
                    .file_name("contract.pdf")
                    .mime_str("application/pdf")
                    .expect("mime"),
            )
    };
    let url = format!("{}/files/accounts/{account}/documents", app.base);

    // A client cannot share, even with their own account; nothing is kept.
    let client = app.signed_in(&client_email).await;
    let res = client
        .post(&url)
        .multipart(form())
        .send()
        .await
        .expect("post");
    let location = res.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    assert!(location.contains("upload_error="), "{location}");
    let agent = app.signed_in(&agent_email).await;
    let res = agent
        .post(&url)
        .multipart(form())
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"].to_str().expect("location"),
        format!("/console/accounts/{account}")
    );
    let docs = documents::list(&app.db, &TestApp::caller(Role::SalesRep), account)
        .await
        .expect("list");
    assert_eq!(docs.len(), 1, "only the staff upload was kept");
    assert_eq!(
        (docs[0].title.as_str(), docs[0].shared_by.as_str()),
        ("Service contract", "staff")
    );

    let download = format!("{}/files/documents/{}", app.base, docs[0].id);
    let res = client.get(&download).send().await.expect("get");
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-disposition"]
        .to_str()
        .expect("disposition")
        .starts_with("attachment"));
    assert_eq!(
        res.bytes().await.expect("bytes").as_ref(),
        b"%PDF-1.7 contract"
    );
    let stranger = app.signed_in(&other_email).await;
    assert_eq!(
        stranger.get(&download).send().await.expect("get").status(),
        404
    );
    assert_eq!(
        app.browser()
            .get(&download)
            .send()
            .await
            .expect("get")
            .status(),
        401
    );
    // The portal home lists what staff shared.
    let overview = app
        .call::<app::api::portal::LoadPortalOverview>(&client, &[])
        .await
        .json::<app::types::PortalOverview>()
        .await
        .expect("overview");
    assert_eq!(overview.documents.len(), 1);
}

#[tokio::test]
async fn the_board_groups_by_current_step_caps_each_column_and_filters() {
    let app = TestApp::spawn().await;
    let (rep, _) = app.staff_user(Role::SalesRep).await;
    template(
        &app,
        "Board",
        vec![
            step("Sign", None, 2, &[]),
            step("Configure", Some(Role::SupportAgent), 5, &[]),
        ],
    )
    .await;
    let agent = TestApp::caller(Role::SupportAgent);
    let total = onboarding::CARDS_PER_COLUMN + 5;
    for i in 0..total {
        let account = app.account(&format!("Board customer {i:02}"), None).await;
        if i < 3 {
            sqlx::query("UPDATE account SET owner_id = $2 WHERE id = $1")
                .bind(account)
                .bind(rep)
                .execute(&app.db)
                .await
                .expect("owner");
        }
        let view = onboarding::start(&app.state, &agent, account, None, OnboardingStart::ByHand)
            .await
            .expect("start");
        if i == 0 {
            onboarding::skip_step(&app.state, &agent, view.steps[0].id)
                .await
                .expect("skip");
        }
    }
    // One of them is late.
    sqlx::query(
        "UPDATE onboarding_step SET due_on = current_date - 1 WHERE onboarding_id =
            (SELECT o.id FROM onboarding o JOIN account a ON a.id = o.account_id
             WHERE a.name = 'Board customer 01')",
    )
    .execute(&app.db)
    .await
    .expect("late");
    sqlx::query("UPDATE onboarding SET next_due_on = current_date - 1 FROM account a WHERE a.id = onboarding.account_id AND a.name = 'Board customer 01'")
        .execute(&app.db)
        .await
        .expect("late");

    let board = onboarding::board(&app.db, &agent, &Default::default())
        .await
        .expect("board");
    assert_eq!((board.running, board.overdue), (total, 1));
    let stages: Vec<_> = board
        .columns
        .iter()
        .map(|c| (c.stage.as_str(), c.total, c.cards.len()))
        .collect();
    assert_eq!(
        stages,
        vec![
            ("Sign", total - 1, onboarding::CARDS_PER_COLUMN as usize),
            ("Configure", 1, 1)
        ]
    );
    assert_eq!(
        board.columns[0].cards[0].account_name, "Board customer 01",
        "late ones first"
    );
    assert!(board.columns[0].cards[0].overdue);

    let overdue = onboarding::board(
        &app.db,
        &agent,
        &app::types::BoardFilter {
            overdue_only: true,
            ..Default::default()
        },
    )
    .await
    .expect("overdue");
    assert_eq!(overdue.columns.len(), 1);
    assert_eq!(overdue.columns[0].total, 1);
    let mine = onboarding::board(
        &app.db,
        &agent,
        &app::types::BoardFilter {
            owner: Some(rep),
            ..Default::default()
        },
    )
    .await
    .expect("owner");
    assert_eq!(mine.columns.iter().map(|c| c.total).sum::<i64>(), 3);
}

#[tokio::test]
async fn the_welcome_email_goes_out_once_a_contact_exists_and_only_staff_resend_it() {
    let app = TestApp::spawn().await;
    template(&app, "Standard", vec![step("Sign", None, 1, &[])]).await;
    let account = app.account("No Contact Yet", None).await;
    let agent = TestApp::caller(Role::SupportAgent);
    let view = onboarding::start(&app.state, &agent, account, None, OnboardingStart::ByHand)
        .await
        .expect("start");
    assert_eq!(view.contact_name, None);
    let err = onboarding::resend_welcome(&app.state, &agent, view.summary.id)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ServiceError::Conflict(_)),
        "no contact yet: {err:?}"
    );

    contact(&app, account, "Late", "late@nocontact.example").await;
    let (user, contact_id, _) = app.client_user(account).await;
    let client = client_of(user, contact_id, account);
    let err = onboarding::resend_welcome(&app.state, &client, view.summary.id)
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::Forbidden), "{err:?}");
    let after = onboarding::resend_welcome(&app.state, &agent, view.summary.id)
        .await
        .expect("resend");
    // The contact who already uses the portal is preferred; they get a sign-in link.
    assert_eq!(after.contact_name.as_deref(), Some("Cli Ent"));
    assert_eq!(after.steps[0].assignee_id, Some(user));
    let mails = app.deliver_mail().await;
    let welcome: Vec<_> = mails
        .iter()
        .filter(|m| m.data.contains("Welcome to"))
        .collect();
    assert_eq!(welcome.len(), 1);
    assert!(
        welcome[0].data.contains("http://steward.test/login"),
        "{}",
        welcome[0].data
    );
}

#[tokio::test]
async fn a_contact_address_taken_by_a_staff_user_does_not_stop_the_account_becoming_a_customer() {
    let app = TestApp::spawn().await;
    template(&app, "Standard", vec![step("Sign", None, 1, &[])]).await;
    let (_, staff_email) = app.staff_user(Role::SalesRep).await;
    let admin = TestApp::caller(Role::Admin);
    let mut input = AccountInput {
        name: "Shared Address Ltd".into(),
        account_type: Some(AccountType::Prospect),
        ..Default::default()
    };
    let account = accounts::create(&app.state, &admin, &input)
        .await
        .expect("create")
        .id;
    contact(&app, account, "Sam", &staff_email).await;
    input.account_type = Some(AccountType::Customer);
    let saved = accounts::update(&app.state, &admin, account, &input)
        .await
        .expect("saved");
    assert_eq!(saved.account_type, AccountType::Customer);
    assert_eq!(running(&app, account).await, 1, "the onboarding started");
    let mails = app.deliver_mail().await;
    assert!(
        mails.iter().all(|m| !m.data.contains("Welcome to")),
        "no welcome went out"
    );
}

#[tokio::test]
async fn every_remaining_onboarding_verb_refuses_the_wrong_caller() {
    let app = TestApp::spawn().await;
    let id = template(
        &app,
        "Standard",
        vec![step("Kick-off", Some(Role::SupportAgent), 1, &[])],
    )
    .await;
    let account = app.account("Guarded Ltd", None).await;
    let (user, contact_id, _) = app.client_user(account).await;
    let client = client_of(user, contact_id, account);
    let agent = TestApp::caller(Role::SupportAgent);
    let view = onboarding::start(&app.state, &agent, account, None, OnboardingStart::ByHand)
        .await
        .expect("start");
    let step_id = view.steps[0].id;
    fn unit<T>(r: Result<T, ServiceError>) -> Result<(), ServiceError> {
        r.map(|_| ())
    }
    let refused = |r: Result<(), ServiceError>, what: &str| match r {
        Err(ServiceError::Forbidden | ServiceError::Unauthenticated) => {}
        other => panic!("{what}: expected a refusal, got {other:?}"),
    };

    // Clients (even of the account itself) never reach the staff side.
    refused(
        unit(onboarding::account_section(&app.db, &client, account).await),
        "account section",
    );
    refused(
        unit(onboarding::cancel(&app.db, &client, view.summary.id).await),
        "cancel",
    );
    refused(
        unit(onboarding::skip_step(&app.state, &client, step_id).await),
        "skip",
    );
    refused(
        unit(onboarding::assign_step(&app.db, &client, step_id, None).await),
        "assign",
    );
    refused(
        unit(onboarding::list_templates(&app.db, &client, false).await),
        "templates",
    );
    refused(
        unit(onboarding::template_detail(&app.db, &client, id).await),
        "template",
    );
    refused(
        unit(onboarding::welcome::preview(
            &client,
            &app.state.settings,
            "S",
            "B",
        )),
        "preview",
    );
    refused(
        unit(app::server::training::create_feed(&app.db, &app.state.settings, &client).await),
        "calendar feed",
    );
    // Anonymous callers neither.
    refused(
        unit(onboarding::view(&app.db, &Caller::Anonymous, view.summary.id).await),
        "view",
    );
    refused(
        unit(onboarding::portal_overview(&app.db, &Caller::Anonymous).await),
        "overview",
    );
    // Non-admin staff do not edit templates.
    let rep = TestApp::caller(Role::SupportManager);
    let input = TemplateInput {
        name: "Standard".into(),
        description: String::new(),
        is_default: true,
        steps: vec![step("Changed", None, 1, &[])],
    };
    refused(
        unit(onboarding::update_template(&app.db, &rep, id, &input).await),
        "update template",
    );
    refused(
        unit(onboarding::archive_template(&app.db, &rep, id, true).await),
        "archive",
    );
    refused(
        unit(onboarding::welcome::template(&app.db, &rep).await),
        "welcome template",
    );
    // Staff have no portal: no overview, no booking, no team.
    refused(
        unit(onboarding::portal_overview(&app.db, &agent).await),
        "staff overview",
    );
    refused(
        unit(
            app::server::training::book(&app.state, &agent, app::types::SlotId::new(), None).await,
        ),
        "staff booking",
    );
    refused(unit(users::colleagues(&app.db, &agent).await), "staff team");
    // Nothing changed.
    let after = onboarding::view(&app.db, &agent, view.summary.id)
        .await
        .expect("view");
    assert_eq!(after.summary.status, OnboardingStatus::Running);
    assert_eq!(after.steps[0].status, StepStatus::Open);
    let detail = onboarding::template_detail(&app.db, &agent, id)
        .await
        .expect("detail");
    assert_eq!(
        (detail.summary.current_version, detail.summary.is_archived),
        (1, false)
    );
}
