use crate::helpers::TestApp;
use sqlx::Connection;

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = TestApp::spawn().await;
    let h = reqwest::get(format!("{}/healthz", app.base))
        .await
        .expect("healthz");
    assert_eq!(h.status(), 200);
    let r = reqwest::get(format!("{}/readyz", app.base))
        .await
        .expect("readyz");
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("x-request-id"));
    assert_eq!(
        r.headers()
            .get("x-frame-options")
            .and_then(|v| v.to_str().ok()),
        Some("DENY")
    );
    assert_eq!(
        r.headers()
            .get("x-content-type-options")
            .and_then(|v| v.to_str().ok()),
        Some("nosniff")
    );
}

#[tokio::test]
async fn readiness_fails_when_the_database_is_gone() {
    let app = TestApp::spawn().await;
    app.db.close().await;
    let r = reqwest::get(format!("{}/readyz", app.base))
        .await
        .expect("readyz");
    assert_eq!(r.status(), 503);
}

#[tokio::test]
async fn pages_render_on_the_server() {
    let app = TestApp::spawn().await;
    let login = reqwest::get(format!("{}/login", app.base))
        .await
        .expect("login");
    assert_eq!(login.status(), 200);
    let html = login.text().await.expect("html");
    assert!(html.contains("Sign in to Steward"));
    assert!(
        html.contains("/pkg/steward.js"),
        "hydration script is linked"
    );
    let missing = reqwest::get(format!("{}/no/such/page", app.base))
        .await
        .expect("404");
    assert_eq!(missing.status(), 404);
}

/// The page's Content-Security-Policy nonce, and every `<script` tag's nonce attribute.
async fn page_nonces(app: &TestApp, path: &str) -> (String, Vec<Option<String>>) {
    let res = reqwest::get(format!("{}{path}", app.base))
        .await
        .expect("page");
    assert_eq!(res.status(), 200, "{path}");
    let policy = res
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let script_src = policy
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("script-src "))
        .unwrap_or_else(|| panic!("no script-src in {policy:?}"))
        .to_string();
    assert!(!script_src.contains("unsafe-inline"), "{script_src}");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    let nonce = script_src
        .split_once("'nonce-")
        .and_then(|(_, rest)| rest.split_once('\''))
        .map(|(n, _)| n.to_string())
        .unwrap_or_else(|| panic!("no nonce in {script_src}"));
    let html = res.text().await.expect("html");
    let tags = html
        .split("<script")
        .skip(1)
        .map(|tag| {
            let tag = tag.split('>').next().unwrap_or_default();
            tag.split_once("nonce=\"")
                .and_then(|(_, rest)| rest.split_once('"'))
                .map(|(n, _)| n.to_string())
        })
        .collect();
    (nonce, tags)
}

#[tokio::test]
async fn pages_run_only_the_scripts_that_carry_their_responses_nonce() {
    let app = TestApp::spawn().await;
    let mut seen = Vec::new();
    for path in ["/login", "/kb"] {
        let (nonce, tags) = page_nonces(&app, path).await;
        assert!(!tags.is_empty(), "{path} has its hydration scripts");
        assert!(
            tags.iter().all(|t| t.as_deref() == Some(nonce.as_str())),
            "{path}: every script carries {nonce}: {tags:?}"
        );
        seen.push(nonce);
    }
    assert_ne!(seen[0], seen[1], "a nonce per response");
}

#[tokio::test]
async fn the_console_sends_anonymous_visitors_to_sign_in() {
    let app = TestApp::spawn().await;
    let res = app
        .browser()
        .get(format!("{}/console/accounts", app.base))
        .header("Accept", "text/html")
        .send()
        .await
        .expect("console");
    assert_eq!(res.status(), 302);
    assert_eq!(
        res.headers().get("location").and_then(|v| v.to_str().ok()),
        Some("/login")
    );
}

#[tokio::test]
async fn an_oversized_body_is_refused() {
    let app = TestApp::spawn().await;
    let (api, _) = app.api_client(app::types::Role::Admin).await;
    let big = format!("{{\"name\":\"{}\"}}", "x".repeat(100 * 1024));
    let res = api
        .post(format!("{}/api/v1/accounts", app.base))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 413);
}

#[tokio::test]
async fn a_malformed_server_function_call_is_a_bad_request() {
    let app = TestApp::spawn().await;
    let res = app
        .call::<app::api::accounts::GetAccountDetail>(
            &app.browser(),
            &[("id", "not-a-uuid".into())],
        )
        .await;
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn demo_data_loads_every_role_a_client_and_about_five_contacts_per_account() {
    let app = TestApp::spawn().await;
    let (accounts, contacts) = server::demo::load(&app.db, 20).await.expect("load");
    assert!(
        accounts >= 22,
        "20 accounts, Acme and its location, plus locations"
    );
    assert_eq!(contacts, 20 * 5 + 1);
    let roles: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT role FROM app_user WHERE kind = 'staff' ORDER BY 1")
            .fetch_all(&app.db)
            .await
            .expect("roles");
    assert_eq!(roles.len(), 5);
    // Every demo login signs in with the documented password.
    let res = app
        .call::<app::api::auth::Login>(
            &app.browser(),
            &[
                ("email", server::demo::CLIENT_EMAIL.into()),
                ("password", server::demo::DEMO_PASSWORD.into()),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    // The desk and the portal start with Acme's tickets, one of them resolved.
    assert_eq!(
        server::demo::load_tickets(&app.state)
            .await
            .expect("tickets"),
        3
    );
    let statuses: Vec<String> = sqlx::query_scalar("SELECT status FROM ticket ORDER BY number")
        .fetch_all(&app.db)
        .await
        .expect("tickets");
    assert_eq!(statuses, vec!["open", "new", "resolved"]);
    // Loading twice must not fail (unique emails per run).
    server::demo::load(&app.db, 3).await.expect("second load");
}

/// Every console page renders its content on the server, not a loading placeholder.
#[tokio::test]
async fn console_pages_render_their_content_on_the_server() {
    let app = TestApp::spawn().await;
    let (_, email) = app.staff_user(app::types::Role::Admin).await;
    let browser = app.signed_in(&email).await;
    let parent = app.account("Parent Holdings", None).await;
    let (_, contact, _) = app.client_user(parent).await;
    let mut input = crate::tickets::new_ticket("Label printer offline");
    input.account_id = Some(parent);
    let ticket = app::server::tickets::create(
        &app.state,
        &TestApp::caller(app::types::Role::Admin),
        &input,
        app::types::TicketChannel::Phone,
    )
    .await
    .expect("ticket");
    let ticket = ticket.summary.id;
    let pages = [
        ("/console/tickets".to_string(), "Label printer offline"),
        (
            format!("/console/tickets/{ticket}"),
            "Label printer offline",
        ),
        ("/console/tickets/new".to_string(), "id=\"form-subject\""),
        ("/console/tickets/review".to_string(), "Nothing to review"),
        ("/console/notifications".to_string(), "Nothing new"),
        ("/console/admin/support".to_string(), "Business hours"),
        (
            format!("/console/accounts/{parent}"),
            "Label printer offline",
        ),
        ("/console".to_string(), "Accounts"),
        ("/console/accounts".to_string(), "Parent Holdings"),
        ("/console/accounts/new".to_string(), "id=\"form-name\""),
        (
            format!("/console/accounts/new?parent={parent}"),
            "Parent Holdings",
        ),
        (format!("/console/accounts/{parent}"), "Parent Holdings"),
        (
            format!("/console/accounts/{parent}/edit"),
            "value=\"Parent Holdings\"",
        ),
        ("/console/contacts".to_string(), "Cli Ent"),
        (
            format!("/console/contacts/new?account={parent}"),
            "Parent Holdings",
        ),
        (format!("/console/contacts/{contact}/edit"), "value=\"Cli\""),
        ("/console/admin/users".to_string(), "Invite a staff member"),
        ("/console/admin/api-keys".to_string(), "Create a key"),
    ];
    for (path, needle) in pages {
        let res = browser
            .get(format!("{}{path}", app.base))
            .header("Accept", "text/html")
            .send()
            .await
            .expect("page");
        assert_eq!(res.status(), 200, "{path}");
        let html = res.text().await.expect("html");
        let main = html.split("<main").nth(1).unwrap_or_default();
        assert!(
            main.contains(needle),
            "{path} should contain {needle}: {}",
            &main[..main.len().min(600)]
        );
        assert!(
            !main.contains("Loading…"),
            "{path} rendered a loading placeholder"
        );
    }
}

#[tokio::test]
async fn a_pooled_connection_cut_while_idle_is_replaced_before_use() {
    let app = TestApp::spawn().await;
    let (api, _) = app.api_client(app::types::Role::SupportAgent).await;
    let list = format!("{}/api/v1/tickets", app.base);
    assert_eq!(api.get(&list).send().await.expect("list").status(), 200);
    // The pool's connections sit idle, then the database cuts them all (as a restart would).
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let mut admin = sqlx::PgConnection::connect(&app.database_url)
        .await
        .expect("admin connection");
    let cut: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()
           AND backend_type = 'client backend') t",
    )
    .fetch_one(&mut admin)
    .await
    .expect("terminate");
    assert!(cut > 0, "the pool held connections");
    // The next requests get fresh connections, not the cut ones.
    for _ in 0..3 {
        assert_eq!(api.get(&list).send().await.expect("list").status(), 200);
    }
}
