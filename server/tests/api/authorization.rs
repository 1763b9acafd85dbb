//! One mechanism, checked from every side: each role against each route,
//! client isolation, anonymous callers and API key scopes.

use crate::helpers::TestApp;
use app::api::accounts::{CreateAccount, DeleteAccount, GetAccountDetail, ListAccounts};
use app::api::admin::{CreateApiKey, ListUsers};
use app::api::contacts::{GetContact, ListContacts};
use app::api::portal::{MyCompany, MyProfile};
use app::types::{Account, AccountDetail, Page, Role};
use serde_json::json;

/// What each role may do to accounts through the REST API.
#[tokio::test]
async fn each_role_gets_exactly_its_rights_on_the_rest_api() {
    let app = TestApp::spawn().await;
    for role in Role::ALL {
        let (api, _) = app.api_client(role).await;
        let list = api
            .get(format!("{}/api/v1/accounts", app.base))
            .send()
            .await
            .expect("list");
        assert_eq!(list.status(), 200, "{role} lists accounts");

        let created = api
            .post(format!("{}/api/v1/accounts", app.base))
            .json(&json!({ "name": format!("Made by {role}") }))
            .send()
            .await
            .expect("create");
        let may_write = matches!(
            role,
            Role::Admin | Role::SupportManager | Role::SalesManager | Role::SalesRep
        );
        assert_eq!(
            created.status(),
            if may_write { 201 } else { 403 },
            "{role} creates an account"
        );

        let with_erp = api
            .post(format!("{}/api/v1/accounts", app.base))
            .json(&json!({ "name": "ERP linked", "accounting_id": format!("ERP-{role}") }))
            .send()
            .await
            .expect("create");
        let expected = match role {
            Role::Admin => 201,
            Role::SupportAgent => 403,
            _ => 422,
        };
        assert_eq!(with_erp.status(), expected, "{role} sets an accounting id");

        let target = app.account(&format!("Doomed for {role}"), None).await;
        let deleted = api
            .delete(format!("{}/api/v1/accounts/{target}", app.base))
            .send()
            .await
            .expect("delete");
        let may_delete = matches!(
            role,
            Role::Admin | Role::SupportManager | Role::SalesManager
        );
        assert_eq!(
            deleted.status(),
            if may_delete { 204 } else { 403 },
            "{role} deletes an account"
        );
    }
}

#[tokio::test]
async fn only_admins_reach_user_and_api_key_management() {
    let app = TestApp::spawn().await;
    for role in Role::ALL {
        let (_, email) = app.staff_user(role).await;
        let client = app.signed_in(&email).await;
        let users = app.call::<ListUsers>(&client, &[]).await;
        let key = app
            .call::<CreateApiKey>(&client, &[("name", "k".into()), ("role", "admin".into())])
            .await;
        let expected = if role == Role::Admin { 200 } else { 403 };
        assert_eq!(users.status(), expected, "{role} lists users");
        assert_eq!(key.status(), expected, "{role} creates a key");
    }
}

#[tokio::test]
async fn anonymous_callers_get_nothing() {
    let app = TestApp::spawn().await;
    let account = app.account("Secret Co", None).await;
    let anon = app.browser();
    assert_eq!(app.call::<ListAccounts>(&anon, &[]).await.status(), 401);
    assert_eq!(
        app.call::<GetAccountDetail>(&anon, &[("id", account.to_string())])
            .await
            .status(),
        401
    );
    assert_eq!(app.call::<ListContacts>(&anon, &[]).await.status(), 401);
    assert_eq!(app.call::<MyCompany>(&anon, &[]).await.status(), 401);
    let rest = reqwest::get(format!("{}/api/v1/accounts/{account}", app.base))
        .await
        .expect("get");
    assert_eq!(rest.status(), 401);
    assert_eq!(
        rest.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
}

#[tokio::test]
async fn client_sees_their_account_and_its_locations_but_not_another_account() {
    let app = TestApp::spawn().await;
    let a = app.account("Client A", None).await;
    let a_site = app.account("Client A – Lyon", Some(a)).await;
    let b = app.account("Client B", None).await;
    let (_, b_contact, _) = app.client_user(b).await;
    let (_, _, email) = app.client_user(a).await;
    let client = app.signed_in(&email).await;

    let own = app
        .call::<GetAccountDetail>(&client, &[("id", a.to_string())])
        .await;
    assert_eq!(own.status(), 200);
    let own: AccountDetail = own.json().await.expect("json");
    assert!(!own.can_edit && !own.can_delete);
    assert_eq!(
        app.call::<GetAccountDetail>(&client, &[("id", a_site.to_string())])
            .await
            .status(),
        200
    );
    assert_eq!(
        app.call::<GetAccountDetail>(&client, &[("id", b.to_string())])
            .await
            .status(),
        404
    );
    assert_eq!(
        app.call::<GetContact>(&client, &[("id", b_contact.to_string())])
            .await
            .status(),
        404
    );

    let listed: Page<Account> = app
        .call::<ListAccounts>(&client, &[])
        .await
        .json()
        .await
        .expect("json");
    let ids: Vec<_> = listed.items.iter().map(|x| x.id).collect();
    assert!(
        ids.contains(&a) && ids.contains(&a_site) && !ids.contains(&b),
        "{ids:?}"
    );
}

#[tokio::test]
async fn client_cannot_write_or_delete_accounts() {
    let app = TestApp::spawn().await;
    let a = app.account("Client A", None).await;
    let (_, _, email) = app.client_user(a).await;
    let client = app.signed_in(&email).await;
    let create = app
        .call::<CreateAccount>(&client, &[("form[name]", "Sneaky".into())])
        .await;
    assert_eq!(create.status(), 403);
    let delete = app
        .call::<DeleteAccount>(&client, &[("id", a.to_string())])
        .await;
    assert_eq!(delete.status(), 403);
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM account")
        .fetch_one(&app.db)
        .await
        .expect("count");
    assert_eq!(count, 1);
}

#[tokio::test]
async fn staff_cannot_use_the_portal_profile() {
    let app = TestApp::spawn().await;
    let (_, email) = app.staff_user(Role::Admin).await;
    let client = app.signed_in(&email).await;
    assert_eq!(app.call::<MyProfile>(&client, &[]).await.status(), 403);
}

#[tokio::test]
async fn a_revoked_or_made_up_api_key_is_refused() {
    let app = TestApp::spawn().await;
    let (api, _) = app.api_client(Role::Admin).await;
    let ok = api
        .get(format!("{}/api/v1/accounts", app.base))
        .send()
        .await
        .expect("list");
    assert_eq!(ok.status(), 200);
    let key_id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM api_key")
        .fetch_one(&app.db)
        .await
        .expect("id");
    app::server::auth::api_keys::revoke(
        &app.db,
        &app.state.api_keys,
        &TestApp::caller(Role::Admin),
        app::types::ApiKeyId(key_id),
    )
    .await
    .expect("revoke");
    let refused = api
        .get(format!("{}/api/v1/accounts", app.base))
        .send()
        .await
        .expect("list");
    assert_eq!(refused.status(), 401);
    let fake = reqwest::Client::new()
        .get(format!("{}/api/v1/accounts", app.base))
        .bearer_auth("stw_made_up")
        .send()
        .await
        .expect("list");
    assert_eq!(fake.status(), 401);
}

/// Asks `base` with `api` until it answers `status`, for at most five seconds (a notice
/// between instances takes milliseconds); returns the last status seen.
async fn status_settles(api: &reqwest::Client, base: &str, status: u16) -> u16 {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let seen = api
            .get(format!("{base}/api/v1/accounts"))
            .send()
            .await
            .expect("list")
            .status()
            .as_u16();
        if seen == status || tokio::time::Instant::now() > deadline {
            return seen;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Waits until `instances` server instances listen for changed keys (each clears its key
/// cache when it starts listening, which would hide a missed notice).
async fn listening(app: &TestApp, instances: i64) {
    for _ in 0..250 {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity
             WHERE datname = current_database() AND query LIKE '%LISTEN%steward_api_keys%'",
        )
        .fetch_one(&app.db)
        .await
        .expect("listeners");
        if n >= instances {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("{instances} instances never listened for key changes");
}

/// Each instance keeps the keys it verified in memory: a revocation made through one
/// instance must reach the others.
#[tokio::test]
async fn a_key_revoked_through_one_instance_is_refused_by_the_others() {
    let app = TestApp::spawn().await;
    let (other, _stop) = app.second_instance().await;
    listening(&app, 2).await;
    let (api, _) = app.api_client(Role::Admin).await;
    for base in [&app.base, &other] {
        let ok = api.get(format!("{base}/api/v1/accounts")).send().await;
        assert_eq!(ok.expect("list").status(), 200, "{base} knows the key");
    }
    let key_id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM api_key")
        .fetch_one(&app.db)
        .await
        .expect("id");
    app::server::auth::api_keys::revoke(
        &app.db,
        &app.state.api_keys,
        &TestApp::caller(Role::Admin),
        app::types::ApiKeyId(key_id),
    )
    .await
    .expect("revoke");
    assert_eq!(status_settles(&api, &app.base, 401).await, 401);
    assert_eq!(status_settles(&api, &other, 401).await, 401);
}

/// However a key stops being valid (here by hand in SQL), no instance keeps trusting it.
#[tokio::test]
async fn a_key_revoked_in_the_database_directly_is_refused() {
    let app = TestApp::spawn().await;
    for _ in 0..250 {
        if app.state.api_keys.is_listening() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        app.state.api_keys.is_listening(),
        "the instance listens for key changes"
    );
    let (api, _) = app.api_client(Role::Admin).await;
    assert_eq!(status_settles(&api, &app.base, 200).await, 200);
    sqlx::query("UPDATE api_key SET revoked_at = now()")
        .execute(&app.db)
        .await
        .expect("revoke by hand");
    assert_eq!(status_settles(&api, &app.base, 401).await, 401);
}

#[tokio::test]
async fn api_keys_are_stored_hashed() {
    let app = TestApp::spawn().await;
    let (_, secret) = app.api_client(Role::SalesRep).await;
    let stored: Vec<u8> = sqlx::query_scalar("SELECT key_hash FROM api_key")
        .fetch_one(&app.db)
        .await
        .expect("hash");
    assert_ne!(stored, secret.as_bytes());
    assert_eq!(stored.len(), 32);
}
