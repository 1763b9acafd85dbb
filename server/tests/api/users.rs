//! User administration: staff invitations, roles, deactivation, client portal access.

use crate::helpers::{token_in, TestApp, PASSWORD};
use app::api::admin::{InviteStaff, UpdateUser};
use app::api::auth::{Login, SetPassword};
use app::server::{users, ServiceError};
use app::types::{Role, UserSummary};

#[tokio::test]
async fn an_admin_invites_a_staff_member_who_chooses_a_password_and_gets_the_role() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.staff_user(Role::Admin).await;
    let browser = app.signed_in(&admin).await;
    let res = app
        .call::<InviteStaff>(
            &browser,
            &[
                ("email", "new.agent@steward.test".into()),
                ("display_name", "New Agent".into()),
                ("role", "support_agent".into()),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let invited: UserSummary = res.json().await.expect("json");
    assert_eq!(invited.role, Some(Role::SupportAgent));
    assert!(!invited.has_password);

    let token = token_in(
        &app.deliver_mail().await,
        "new.agent@steward.test",
        "/invitation",
    );
    let fresh = app.browser();
    let res = app
        .call::<SetPassword>(
            &fresh,
            &[
                ("token", token),
                ("invitation", "true".into()),
                ("password", PASSWORD.into()),
                ("confirm", PASSWORD.into()),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let me: app::types::Me = res.json().await.expect("json");
    assert_eq!(me.role(), Some(Role::SupportAgent));
}

#[tokio::test]
async fn inviting_an_address_already_in_use_is_a_field_error() {
    let app = TestApp::spawn().await;
    let (_, existing) = app.staff_user(Role::SalesRep).await;
    let err = users::invite_staff(
        &app.state,
        &TestApp::caller(Role::Admin),
        &existing.to_uppercase(),
        "Twin",
        Role::SalesRep,
    )
    .await
    .unwrap_err();
    match err {
        ServiceError::Validation(v) => assert_eq!(v[0].field, "email"),
        other => panic!("{other:?}"),
    }
    assert!(
        app.deliver_mail().await.is_empty(),
        "no invitation for a refused user"
    );
}

#[tokio::test]
async fn an_admin_changes_a_role_and_deactivation_signs_the_user_out() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.staff_user(Role::Admin).await;
    let (rep_id, rep) = app.staff_user(Role::SalesRep).await;
    let rep_browser = app.signed_in(&rep).await;
    let admin_browser = app.signed_in(&admin).await;

    let res = app
        .call::<UpdateUser>(
            &admin_browser,
            &[
                ("id", rep_id.to_string()),
                ("role", "sales_manager".into()),
                ("active", "on".into()),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let me = app
        .call::<app::api::auth::CurrentUser>(&rep_browser, &[])
        .await;
    let me: Option<app::types::Me> = me.json().await.expect("json");
    assert_eq!(
        me.and_then(|m| m.role()),
        Some(Role::SalesManager),
        "the new role applies at once"
    );

    // Unticked checkbox: the field is absent.
    let res = app
        .call::<UpdateUser>(
            &admin_browser,
            &[("id", rep_id.to_string()), ("role", "sales_manager".into())],
        )
        .await;
    assert_eq!(res.status(), 200);
    let listed = app
        .call::<app::api::accounts::ListAccounts>(&rep_browser, &[])
        .await;
    assert_eq!(
        listed.status(),
        401,
        "a deactivated user's session no longer works"
    );
    let again = app
        .call::<Login>(
            &app.browser(),
            &[("email", rep), ("password", PASSWORD.into())],
        )
        .await;
    assert_eq!(again.status(), 422);
}

#[tokio::test]
async fn an_admin_cannot_lock_themselves_out() {
    let app = TestApp::spawn().await;
    let (admin_id, admin) = app.staff_user(Role::Admin).await;
    let browser = app.signed_in(&admin).await;
    let demote = app
        .call::<UpdateUser>(
            &browser,
            &[
                ("id", admin_id.to_string()),
                ("role", "sales_rep".into()),
                ("active", "on".into()),
            ],
        )
        .await;
    assert_eq!(demote.status(), 409);
    let disable = app
        .call::<UpdateUser>(
            &browser,
            &[("id", admin_id.to_string()), ("role", "admin".into())],
        )
        .await;
    assert_eq!(disable.status(), 409);
}

#[tokio::test]
async fn a_contact_without_email_cannot_be_invited_and_an_active_one_not_twice() {
    let app = TestApp::spawn().await;
    let account = app.account("Co", None).await;
    let rep = TestApp::caller(Role::SalesRep);
    let no_mail = app::server::contacts::create(
        &app.db,
        &rep,
        &app::types::ContactInput {
            account_id: Some(account),
            first_name: "No".into(),
            last_name: "Mail".into(),
            ..Default::default()
        },
    )
    .await
    .expect("contact");
    assert!(matches!(
        users::invite_client(&app.state, &rep, no_mail.id).await,
        Err(ServiceError::Validation(_))
    ));
    let (_, active_contact, _) = app.client_user(account).await;
    assert!(matches!(
        users::invite_client(&app.state, &rep, active_contact).await,
        Err(ServiceError::Conflict(_))
    ));
    let agent = TestApp::caller(Role::SupportAgent);
    assert!(matches!(
        users::invite_client(&app.state, &agent, active_contact).await,
        Err(ServiceError::Forbidden)
    ));
}

#[tokio::test]
async fn a_second_invitation_replaces_the_first_link() {
    let app = TestApp::spawn().await;
    let account = app.account("Co", None).await;
    let rep = TestApp::caller(Role::SalesRep);
    let c = app::server::contacts::create(
        &app.db,
        &rep,
        &app::types::ContactInput {
            account_id: Some(account),
            first_name: "Re".into(),
            last_name: "Sent".into(),
            emails: vec!["resent@co.example".into()],
            ..Default::default()
        },
    )
    .await
    .expect("contact");
    users::invite_client(&app.state, &rep, c.id)
        .await
        .expect("first");
    let first = token_in(
        &app.deliver_mail().await,
        "resent@co.example",
        "/invitation",
    );
    users::invite_client(&app.state, &rep, c.id)
        .await
        .expect("second");
    let second = token_in(
        &app.deliver_mail().await,
        "resent@co.example",
        "/invitation",
    );
    assert_ne!(first, second);
    let old = app
        .call::<SetPassword>(
            &app.browser(),
            &[
                ("token", first),
                ("invitation", "true".into()),
                ("password", PASSWORD.into()),
                ("confirm", PASSWORD.into()),
            ],
        )
        .await;
    assert_eq!(old.status(), 409, "the first link no longer works");
    let new = app
        .call::<SetPassword>(
            &app.browser(),
            &[
                ("token", second),
                ("invitation", "true".into()),
                ("password", PASSWORD.into()),
                ("confirm", PASSWORD.into()),
            ],
        )
        .await;
    assert_eq!(new.status(), 200);
}

#[tokio::test]
async fn deleting_a_contact_removes_their_portal_access() {
    let app = TestApp::spawn().await;
    let account = app.account("Co", None).await;
    let (_, contact, email) = app.client_user(account).await;
    let client = app.signed_in(&email).await;
    app::server::contacts::delete(&app.db, &TestApp::caller(Role::SupportManager), contact)
        .await
        .expect("delete");
    let res = app.call::<app::api::portal::MyCompany>(&client, &[]).await;
    assert_eq!(res.status(), 401);
    assert!(matches!(
        app::server::contacts::delete(&app.db, &TestApp::caller(Role::SalesRep), contact).await,
        Err(ServiceError::Forbidden)
    ));
}
