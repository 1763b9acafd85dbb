//! Account domain functions on a real database.

use crate::helpers::TestApp;
use app::server::{accounts, ServiceError};
use app::types::{AccountFilter, AccountInput, AccountSort, AccountType, Role, SortDir};

fn input(name: &str) -> AccountInput {
    AccountInput {
        name: name.into(),
        ..Default::default()
    }
}

fn field_names(err: ServiceError) -> Vec<String> {
    match err {
        ServiceError::Validation(v) => v.into_iter().map(|f| f.field).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[tokio::test]
async fn an_account_is_created_read_updated_and_deleted() {
    let app = TestApp::spawn().await;
    let admin = TestApp::caller(Role::Admin);
    let mut i = input("Globex");
    i.account_type = Some(AccountType::Customer);
    i.accounting_id = Some("ERP-1".into());
    i.city = Some("Springfield".into());
    let a = accounts::create(&app.state, &admin, &i)
        .await
        .expect("create");
    assert_eq!(a.name, "Globex");
    assert_eq!(a.account_type, AccountType::Customer);
    let read = accounts::get(&app.db, &admin, a.id).await.expect("get");
    assert_eq!(read, a);
    i.name = "Globex Corporation".into();
    let updated = accounts::update(&app.state, &admin, a.id, &i)
        .await
        .expect("update");
    assert_eq!(updated.name, "Globex Corporation");
    accounts::delete(&app.db, &admin, a.id)
        .await
        .expect("delete");
    assert!(matches!(
        accounts::get(&app.db, &admin, a.id).await,
        Err(ServiceError::NotFound)
    ));
}

#[tokio::test]
async fn empty_and_oversized_fields_are_refused_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let rep = TestApp::caller(Role::SalesRep);
    let err = accounts::create(&app.state, &rep, &input(""))
        .await
        .unwrap_err();
    assert_eq!(field_names(err), vec!["name"]);
    let mut big = input(&"x".repeat(201));
    big.country = Some("y".repeat(500));
    let err = accounts::create(&app.state, &rep, &big).await.unwrap_err();
    assert_eq!(field_names(err), vec!["name", "country"]);
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM account")
        .fetch_one(&app.db)
        .await
        .expect("count");
    assert_eq!(count, 0);
}

#[tokio::test]
async fn only_admins_change_the_accounting_id() {
    let app = TestApp::spawn().await;
    let admin = TestApp::caller(Role::Admin);
    let manager = TestApp::caller(Role::SalesManager);
    let mut i = input("Initech");
    i.accounting_id = Some("ERP-9".into());
    let a = accounts::create(&app.state, &admin, &i)
        .await
        .expect("create");
    // A manager may edit other fields while leaving the accounting id as it is…
    i.city = Some("Austin".into());
    accounts::update(&app.state, &manager, a.id, &i)
        .await
        .expect("manager edits");
    // …but not change it.
    i.accounting_id = Some("ERP-10".into());
    let err = accounts::update(&app.state, &manager, a.id, &i)
        .await
        .unwrap_err();
    assert_eq!(field_names(err), vec!["accounting_id"]);
    accounts::update(&app.state, &admin, a.id, &i)
        .await
        .expect("admin changes it");
}

#[tokio::test]
async fn a_duplicate_accounting_id_is_a_field_error() {
    let app = TestApp::spawn().await;
    let admin = TestApp::caller(Role::Admin);
    let mut i = input("One");
    i.accounting_id = Some("ERP-DUP".into());
    accounts::create(&app.state, &admin, &i)
        .await
        .expect("first");
    i.name = "Two".into();
    let err = accounts::create(&app.state, &admin, &i).await.unwrap_err();
    assert_eq!(field_names(err), vec!["accounting_id"]);
}

#[tokio::test]
async fn an_account_cannot_become_its_own_ancestor() {
    let app = TestApp::spawn().await;
    let admin = TestApp::caller(Role::Admin);
    let parent = accounts::create(&app.state, &admin, &input("Parent"))
        .await
        .expect("parent");
    let mut child_in = input("Child");
    child_in.parent_id = Some(parent.id);
    let child = accounts::create(&app.state, &admin, &child_in)
        .await
        .expect("child");
    let mut cyc = AccountInput::from(&parent);
    cyc.parent_id = Some(child.id);
    let err = accounts::update(&app.state, &admin, parent.id, &cyc)
        .await
        .unwrap_err();
    assert_eq!(field_names(err), vec!["parent_id"]);
    cyc.parent_id = Some(parent.id);
    let err = accounts::update(&app.state, &admin, parent.id, &cyc)
        .await
        .unwrap_err();
    assert_eq!(field_names(err), vec!["parent_id"]);
}

#[tokio::test]
async fn an_account_with_locations_or_contacts_is_not_deleted() {
    let app = TestApp::spawn().await;
    let admin = TestApp::caller(Role::Admin);
    let parent = app.account("Parent", None).await;
    app.account("Site", Some(parent)).await;
    assert!(matches!(
        accounts::delete(&app.db, &admin, parent).await,
        Err(ServiceError::Conflict(_))
    ));
    let lonely = app.account("With people", None).await;
    app.client_user(lonely).await;
    assert!(matches!(
        accounts::delete(&app.db, &admin, lonely).await,
        Err(ServiceError::Conflict(_))
    ));
}

#[tokio::test]
async fn unknown_parent_and_owner_ids_are_field_errors() {
    let app = TestApp::spawn().await;
    let admin = TestApp::caller(Role::Admin);
    let mut i = input("Orphan");
    i.parent_id = Some(app::types::AccountId::new());
    i.owner_id = Some(app::types::UserId::new());
    let err = accounts::create(&app.state, &admin, &i).await.unwrap_err();
    assert_eq!(field_names(err), vec!["parent_id", "owner_id"]);
}

#[tokio::test]
async fn the_list_searches_filters_sorts_and_pages_on_the_server() {
    let app = TestApp::spawn().await;
    let agent = TestApp::caller(Role::SupportAgent);
    for n in 0..30 {
        app.account(&format!("Company {n:02}"), None).await;
    }
    app.account("Umbrella Corp", None).await;
    let found = accounts::list(
        &app.db,
        &agent,
        &AccountFilter {
            q: Some("umbREL".into()),
            ..Default::default()
        },
    )
    .await
    .expect("search");
    assert_eq!(found.total, 1);
    assert_eq!(found.items[0].name, "Umbrella Corp");

    let page2 = accounts::list(
        &app.db,
        &agent,
        &AccountFilter {
            page: Some(2),
            per_page: Some(10),
            sort: Some(AccountSort::Name),
            ..Default::default()
        },
    )
    .await
    .expect("page");
    assert_eq!(page2.total, 31);
    assert_eq!(page2.items.len(), 10);
    assert_eq!(page2.items[0].name, "Company 10");
    assert_eq!(page2.page_count(), 4);

    let desc = accounts::list(
        &app.db,
        &agent,
        &AccountFilter {
            dir: Some(SortDir::Desc),
            per_page: Some(1),
            ..Default::default()
        },
    )
    .await
    .expect("desc");
    assert_eq!(desc.items[0].name, "Umbrella Corp");

    let prospects = accounts::list(
        &app.db,
        &agent,
        &AccountFilter {
            account_type: Some(AccountType::Prospect),
            ..Default::default()
        },
    )
    .await
    .expect("filter");
    assert_eq!(prospects.total, 0);
}

#[tokio::test]
async fn like_wildcards_in_a_search_are_taken_literally() {
    let app = TestApp::spawn().await;
    app.account("Plain", None).await;
    app.account("100% Steel", None).await;
    let page = accounts::list(
        &app.db,
        &TestApp::caller(Role::SalesRep),
        &AccountFilter {
            q: Some("%".into()),
            ..Default::default()
        },
    )
    .await
    .expect("search");
    assert_eq!(page.total, 1);
}

#[tokio::test]
async fn an_account_keeps_its_subtype_and_number_of_locations() {
    let app = TestApp::spawn().await;
    let rep = TestApp::caller(Role::SalesRep);
    let mut i = input("Kiosk Co");
    i.subtype = Some(app::types::AccountSubtype::KioskLocation);
    i.location_count = Some(12);
    let a = accounts::create(&app.state, &rep, &i)
        .await
        .expect("create");
    let read = accounts::get(&app.db, &rep, a.id).await.expect("get");
    assert_eq!(
        read.subtype,
        Some(app::types::AccountSubtype::KioskLocation)
    );
    assert_eq!(read.location_count, Some(12));
    i.location_count = Some(-1);
    let err = accounts::update(&app.state, &rep, a.id, &i)
        .await
        .unwrap_err();
    assert_eq!(field_names(err), vec!["location_count"]);
}
