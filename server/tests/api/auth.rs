use crate::helpers::{token_in, TestApp, PASSWORD};
use app::api::accounts::GetConsoleSummary;
use app::api::auth::{CurrentUser, Login, Logout, RequestPasswordReset, SetPassword};
use app::api::contacts::InviteContact;
use app::api::portal::MyCompany;
use app::types::{Me, MeKind, Role};
use serde_json::Value;

async fn me(app: &TestApp, client: &reqwest::Client) -> Option<Me> {
    let res = app.call::<CurrentUser>(client, &[]).await;
    assert_eq!(res.status(), 200);
    res.json().await.expect("json")
}

#[tokio::test]
async fn staff_signs_in_and_the_session_knows_them() {
    let app = TestApp::spawn().await;
    let (_, email) = app.staff_user(Role::SupportAgent).await;
    let client = app.signed_in(&email).await;
    let me = me(&app, &client).await.expect("signed in");
    assert_eq!(me.email, email);
    assert_eq!(
        me.kind,
        MeKind::Staff {
            role: Role::SupportAgent
        }
    );
}

#[tokio::test]
async fn wrong_password_and_unknown_address_get_the_same_answer() {
    let app = TestApp::spawn().await;
    let (_, email) = app.staff_user(Role::Admin).await;
    let client = app.browser();
    let wrong = app
        .call::<Login>(
            &client,
            &[
                ("email", email.clone()),
                ("password", "nope nope nope".into()),
            ],
        )
        .await;
    let unknown = app
        .call::<Login>(
            &client,
            &[
                ("email", "nobody@steward.test".into()),
                ("password", PASSWORD.into()),
            ],
        )
        .await;
    assert_eq!(wrong.status(), 422);
    assert_eq!(unknown.status(), 422);
    assert_eq!(wrong.text().await.ok(), unknown.text().await.ok());
    assert!(me(&app, &client).await.is_none());
}

#[tokio::test]
async fn sign_in_is_throttled_after_five_failures_even_with_the_right_password() {
    let app = TestApp::spawn().await;
    let (_, email) = app.staff_user(Role::Admin).await;
    let client = app.browser();
    for _ in 0..5 {
        let res = app
            .call::<Login>(
                &client,
                &[
                    ("email", email.clone()),
                    ("password", "wrong password!".into()),
                ],
            )
            .await;
        assert_eq!(res.status(), 422);
    }
    let res = app
        .call::<Login>(
            &client,
            &[("email", email.clone()), ("password", PASSWORD.into())],
        )
        .await;
    assert_eq!(res.status(), 429);
    assert!(me(&app, &client).await.is_none());
}

fn session_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("steward_session="))
        .map(|v| v.split(';').next().unwrap_or_default().to_string())
}

#[tokio::test]
async fn the_session_cookie_is_http_only_lax_and_rotated_at_each_sign_in() {
    let app = TestApp::spawn().await;
    let (_, email) = app.staff_user(Role::Admin).await;
    let client = app.browser();
    let form = [("email", email.clone()), ("password", PASSWORD.to_string())];
    let first = app.call::<Login>(&client, &form).await;
    let raw = first
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(
        raw.contains("HttpOnly") && raw.contains("SameSite=Lax"),
        "{raw}"
    );
    let a = session_cookie(&first).expect("cookie");
    let second = app.call::<Login>(&client, &form).await;
    let b = session_cookie(&second).expect("cookie");
    assert_ne!(a, b, "the session id must change at sign-in");
    // The old id no longer signs anyone in.
    let stale = reqwest::Client::new()
        .post(format!(
            "{}{}",
            app.base,
            <CurrentUser as leptos::server_fn::ServerFn>::PATH
        ))
        .header("Cookie", a)
        .header("Origin", app.base.clone())
        .send()
        .await
        .expect("request");
    let who: Option<Me> = stale.json().await.expect("json");
    assert!(who.is_none());
}

#[tokio::test]
async fn sign_out_ends_the_session() {
    let app = TestApp::spawn().await;
    let (_, email) = app.staff_user(Role::SalesRep).await;
    let client = app.signed_in(&email).await;
    app.call::<Logout>(&client, &[]).await;
    assert!(me(&app, &client).await.is_none());
    let res = app.call::<GetConsoleSummary>(&client, &[]).await;
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn a_reset_link_sets_a_new_password_once() {
    let app = TestApp::spawn().await;
    let (_, email) = app.staff_user(Role::SalesRep).await;
    let client = app.browser();
    let res = app
        .call::<RequestPasswordReset>(&client, &[("email", email.clone())])
        .await;
    assert_eq!(res.status(), 200);
    let mails = app.deliver_mail().await;
    let token = token_in(&mails, &email, "/reset-password");
    let new_password = "a brand new passphrase";
    let form = [
        ("token", token.clone()),
        ("invitation", "false".into()),
        ("password", new_password.into()),
        ("confirm", new_password.into()),
    ];
    let res = app.call::<SetPassword>(&client, &form).await;
    assert_eq!(res.status(), 200, "{:?}", res.text().await);
    assert!(me(&app, &client).await.is_some(), "signed in after reset");
    // Used once: the same link is refused.
    let again = app.call::<SetPassword>(&app.browser(), &form).await;
    assert_eq!(again.status(), 409);
    // The old password no longer works; the new one does.
    let old = app
        .call::<Login>(
            &app.browser(),
            &[("email", email.clone()), ("password", PASSWORD.into())],
        )
        .await;
    assert_eq!(old.status(), 422);
    let new = app
        .call::<Login>(
            &app.browser(),
            &[("email", email), ("password", new_password.into())],
        )
        .await;
    assert_eq!(new.status(), 200);
}

#[tokio::test]
async fn asking_a_reset_for_an_unknown_address_reveals_nothing_and_sends_nothing() {
    let app = TestApp::spawn().await;
    let res = app
        .call::<RequestPasswordReset>(&app.browser(), &[("email", "ghost@steward.test".into())])
        .await;
    assert_eq!(res.status(), 200);
    assert!(app.deliver_mail().await.is_empty());
}

#[tokio::test]
async fn a_short_new_password_is_refused_with_a_field_error_and_the_link_stays_valid() {
    let app = TestApp::spawn().await;
    let (_, email) = app.staff_user(Role::SalesRep).await;
    app.call::<RequestPasswordReset>(&app.browser(), &[("email", email.clone())])
        .await;
    let token = token_in(&app.deliver_mail().await, &email, "/reset-password");
    let res = app
        .call::<SetPassword>(
            &app.browser(),
            &[
                ("token", token.clone()),
                ("invitation", "false".into()),
                ("password", "short".into()),
                ("confirm", "short".into()),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["Validation"][0]["field"], "password");
    let ok = app
        .call::<SetPassword>(
            &app.browser(),
            &[
                ("token", token),
                ("invitation", "false".into()),
                ("password", PASSWORD.into()),
                ("confirm", PASSWORD.into()),
            ],
        )
        .await;
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn an_invited_client_sets_a_password_and_reaches_only_the_portal() {
    let app = TestApp::spawn().await;
    let account = app.account("Invited Co", None).await;
    let contact = app::server::contacts::create(
        &app.db,
        &TestApp::caller(Role::SalesRep),
        &app::types::ContactInput {
            account_id: Some(account),
            first_name: "Ivy".into(),
            last_name: "Invitee".into(),
            emails: vec!["ivy@invited.example".into()],
            ..Default::default()
        },
    )
    .await
    .expect("contact");
    let (_, rep) = app.staff_user(Role::SalesRep).await;
    let staff = app.signed_in(&rep).await;
    let res = app
        .call::<InviteContact>(&staff, &[("id", contact.id.to_string())])
        .await;
    assert_eq!(res.status(), 200, "{:?}", res.text().await);

    let token = token_in(
        &app.deliver_mail().await,
        "ivy@invited.example",
        "/invitation",
    );
    let client = app.browser();
    let res = app
        .call::<SetPassword>(
            &client,
            &[
                ("token", token),
                ("invitation", "true".into()),
                ("password", PASSWORD.into()),
                ("confirm", PASSWORD.into()),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let who = me(&app, &client).await.expect("signed in");
    assert!(matches!(who.kind, MeKind::Client { account_id, .. } if account_id == account));
    let company = app.call::<MyCompany>(&client, &[]).await;
    assert_eq!(company.status(), 200);
    let console = app.call::<GetConsoleSummary>(&client, &[]).await;
    assert_eq!(console.status(), 403);
}

#[tokio::test]
async fn a_disabled_user_cannot_sign_in() {
    let app = TestApp::spawn().await;
    let (id, email) = app.staff_user(Role::SupportAgent).await;
    sqlx::query("UPDATE app_user SET is_active = false WHERE id = $1")
        .bind(id)
        .execute(&app.db)
        .await
        .expect("disable");
    let res = app
        .call::<Login>(
            &app.browser(),
            &[("email", email), ("password", PASSWORD.into())],
        )
        .await;
    assert_eq!(res.status(), 422);
}

#[tokio::test]
async fn a_state_changing_request_from_another_origin_is_refused() {
    let app = TestApp::spawn().await;
    let (_, email) = app.staff_user(Role::Admin).await;
    let client = app.signed_in(&email).await;
    let res = client
        .post(format!(
            "{}{}",
            app.base,
            <Logout as leptos::server_fn::ServerFn>::PATH
        ))
        .header("Origin", "https://evil.example")
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 403);
    assert!(me(&app, &client).await.is_some(), "still signed in");
}
