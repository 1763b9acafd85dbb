//! The public REST API: JSON in and out, problem+json errors, cursor pages, OpenAPI.

use crate::helpers::TestApp;
use app::types::Role;
use serde_json::{json, Value};

#[tokio::test]
async fn accounts_round_trip_through_the_api() {
    let app = TestApp::spawn().await;
    let (api, _) = app.api_client(Role::SalesManager).await;
    let res = api
        .post(format!("{}/api/v1/accounts", app.base))
        .json(
            &json!({ "name": "Stark Industries", "account_type": "customer", "city": "New York" }),
        )
        .send()
        .await
        .expect("create");
    assert_eq!(res.status(), 201);
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(String::from)
        .expect("location");
    let created: Value = res.json().await.expect("json");
    assert_eq!(created["account_type"], "customer");

    let patched: Value = api
        .patch(format!("{}{location}", app.base))
        .json(&json!({ "city": null, "status": "inactive" }))
        .send()
        .await
        .expect("patch")
        .json()
        .await
        .expect("json");
    assert_eq!(patched["city"], Value::Null);
    assert_eq!(patched["status"], "inactive");
    assert_eq!(patched["name"], "Stark Industries");

    let res = api
        .delete(format!("{}{location}", app.base))
        .send()
        .await
        .expect("delete");
    assert_eq!(res.status(), 204);
    let res = api
        .get(format!("{}{location}", app.base))
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn malformed_json_gets_a_problem_document() {
    let app = TestApp::spawn().await;
    let (api, _) = app.api_client(Role::Admin).await;
    let res = api
        .post(format!("{}/api/v1/accounts", app.base))
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    let p: Value = res.json().await.expect("json");
    assert_eq!(p["status"], 400);
    assert!(p["detail"].as_str().is_some_and(|d| !d.is_empty()));
}

#[tokio::test]
async fn validation_errors_name_the_fields() {
    let app = TestApp::spawn().await;
    let (api, _) = app.api_client(Role::Admin).await;
    let res = api
        .post(format!("{}/api/v1/contacts", app.base))
        .json(&json!({ "first_name": "", "last_name": "X", "emails": ["bad"] }))
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 422);
    let p: Value = res.json().await.expect("json");
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, vec!["first_name", "account_id", "emails"]);
}

#[tokio::test]
async fn unknown_and_malformed_ids_are_not_found() {
    let app = TestApp::spawn().await;
    let (api, _) = app.api_client(Role::Admin).await;
    for id in [uuid::Uuid::new_v4().to_string(), "not-a-uuid".to_string()] {
        let res = api
            .get(format!("{}/api/v1/contacts/{id}", app.base))
            .send()
            .await
            .expect("get");
        assert_eq!(res.status(), 404, "{id}");
    }
}

#[tokio::test]
async fn cursor_pages_walk_every_row_exactly_once() {
    let app = TestApp::spawn().await;
    for n in 0..23 {
        app.account(&format!("Paged {n}"), None).await;
    }
    let (api, _) = app.api_client(Role::SupportAgent).await;
    let mut seen = std::collections::HashSet::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut url = format!("{}/api/v1/accounts?limit=10", app.base);
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page: Value = api
            .get(url)
            .send()
            .await
            .expect("list")
            .json()
            .await
            .expect("json");
        pages += 1;
        for a in page["data"].as_array().expect("data") {
            assert!(
                seen.insert(a["id"].as_str().expect("id").to_string()),
                "duplicate row"
            );
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 23);
    assert_eq!(pages, 3);
    let bad = api
        .get(format!("{}/api/v1/accounts?cursor=garbage", app.base))
        .send()
        .await
        .expect("list");
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn contacts_filter_by_account() {
    let app = TestApp::spawn().await;
    let a = app.account("A", None).await;
    let b = app.account("B", None).await;
    app.client_user(a).await;
    app.client_user(b).await;
    let (api, _) = app.api_client(Role::SupportAgent).await;
    let page: Value = api
        .get(format!("{}/api/v1/contacts?account_id={a}", app.base))
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    let data = page["data"].as_array().expect("data");
    assert_eq!(data.len(), 1);
    assert_eq!(data[0]["account_id"], a.to_string());
}

#[tokio::test]
async fn the_openapi_document_describes_the_endpoints() {
    let app = TestApp::spawn().await;
    let doc: Value = reqwest::get(format!("{}/api/v1/openapi.json", app.base))
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    for path in [
        "/api/v1/accounts",
        "/api/v1/accounts/{id}",
        "/api/v1/contacts",
        "/api/v1/contacts/{id}",
        "/api/v1/articles",
        "/api/v1/articles/{slug}",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} documented");
    }
    assert!(doc["components"]["securitySchemes"]["api_key"].is_object());
}
