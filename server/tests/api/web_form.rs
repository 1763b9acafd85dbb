//! The public web form: confirmation by mail, honeypot, rate limit, field errors.

use crate::helpers::{token_in, TestApp};
use app::types::{Role, TicketChannel};

async fn post(app: &TestApp, form: &[(&str, &str)]) -> (u16, String) {
    let res = app
        .browser()
        .post(format!("{}/support/form", app.base))
        .form(form)
        .send()
        .await
        .expect("post");
    (res.status().as_u16(), res.text().await.unwrap_or_default())
}

#[tokio::test]
async fn a_registered_contact_confirms_by_mail_and_gets_one_ticket() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let (_, _, email) = app.client_user(acme).await;
    let page = reqwest::get(format!("{}/support/form", app.base))
        .await
        .expect("get");
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-security-policy"]
        .to_str()
        .unwrap_or_default()
        .contains("frame-ancestors"));
    let (status, body) = post(
        &app,
        &[
            ("email", &email),
            ("subject", "Card reader broken"),
            ("description", "It beeps."),
            ("ticket_type", "hardware"),
            ("website", ""),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("check-mail"));
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM ticket")
        .fetch_one(&app.db)
        .await
        .expect("count");
    assert_eq!(count, 0, "no ticket before confirmation");
    let mails = app.deliver_mail().await;
    let token = token_in(&mails, &email, "/support/confirm");
    let confirm_page = reqwest::get(format!("{}/support/confirm?token={token}", app.base))
        .await
        .expect("get");
    assert!(confirm_page
        .text()
        .await
        .unwrap_or_default()
        .contains("confirm-request"));
    let confirm = |t: String| {
        let app = &app;
        async move {
            let res = app
                .browser()
                .post(format!("{}/support/confirm", app.base))
                .form(&[("token", t)])
                .send()
                .await
                .expect("confirm");
            (res.status().as_u16(), res.text().await.unwrap_or_default())
        }
    };
    let (status, body) = confirm(token.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("ticket-created"));
    let (status, _) = confirm(token).await;
    assert_eq!(status, 410);
    let tickets = app::server::tickets::list(
        &app.db,
        &TestApp::caller(Role::SupportAgent),
        &app::types::TicketFilter::default(),
    )
    .await
    .expect("list");
    assert_eq!(tickets.items.len(), 1);
    assert_eq!(tickets.items[0].channel, TicketChannel::WebForm);
    assert_eq!(tickets.items[0].ticket_type, "hardware");
    assert_eq!(tickets.items[0].account_id, acme);
}

#[tokio::test]
async fn an_unknown_address_gets_the_same_answer_and_no_ticket() {
    let app = TestApp::spawn().await;
    let (status, body) = post(
        &app,
        &[
            ("email", "stranger@nowhere.example"),
            ("subject", "Hi"),
            ("description", "Help"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert!(body.contains("check-mail"));
    let mails = app.deliver_mail().await;
    let mail = mails
        .iter()
        .find(|m| m.to.iter().any(|t| t.contains("stranger@")))
        .expect("mail");
    // Quoted-printable folds long lines.
    let text = mail.data.replace("=\r\n", "");
    assert!(text.contains("not registered"), "{text}");
    assert!(!text.contains("/support/confirm"));
}

#[tokio::test]
async fn bots_filling_the_honeypot_are_dropped_and_floods_are_limited() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let (_, _, email) = app.client_user(acme).await;
    let (status, _) = post(
        &app,
        &[
            ("email", &email),
            ("subject", "Buy now"),
            ("description", "spam"),
            ("website", "http://spam.example"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM web_form_request")
        .fetch_one(&app.db)
        .await
        .expect("count");
    assert_eq!(stored, 0);
    for _ in 0..3 {
        let (status, _) = post(
            &app,
            &[
                ("email", &email),
                ("subject", "Again"),
                ("description", "x"),
            ],
        )
        .await;
        assert_eq!(status, 200);
    }
    let (status, body) = post(
        &app,
        &[
            ("email", &email),
            ("subject", "Again"),
            ("description", "x"),
        ],
    )
    .await;
    assert_eq!(status, 429, "{body}");
}

#[tokio::test]
async fn missing_fields_are_marked_and_the_input_is_kept() {
    let app = TestApp::spawn().await;
    let (status, body) = post(
        &app,
        &[
            ("email", "not-an-address"),
            ("subject", ""),
            ("description", "Kept <b>text</b>"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(body.contains("email-error") && body.contains("subject-error"));
    assert!(body.contains("Kept &lt;b&gt;text&lt;/b&gt;"));
}
