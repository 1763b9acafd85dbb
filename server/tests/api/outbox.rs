//! The mail outbox on a real database and a real SMTP server: what the worker sends, once,
//! in order, and what becomes of a mail whose worker stopped mid-send.

use crate::helpers::TestApp;
use app::server::email::{self, Mailer};
use std::time::Duration;

async fn enqueue(app: &TestApp, to: &str, subject: &str) {
    email::enqueue(&app.db, to, subject, "Hello.")
        .await
        .expect("enqueue");
}

#[tokio::test]
async fn a_recipients_mails_arrive_in_the_order_they_were_written() {
    let app = TestApp::spawn().await;
    for mail in 0..4 {
        for person in 0..6 {
            enqueue(
                &app,
                &format!("p{person}@client.example"),
                &format!("Mail {mail}"),
            )
            .await;
        }
    }
    let received = app.deliver_mail().await;
    assert_eq!(received.len(), 24);
    for person in 0..6 {
        let to = format!("p{person}@client.example");
        let order: Vec<usize> = received
            .iter()
            .filter(|m| m.to.iter().any(|t| t.contains(&to)))
            .map(|m| {
                (0..4)
                    .find(|n| m.data.contains(&format!("Subject: Mail {n}")))
                    .expect("one of the four")
            })
            .collect();
        assert_eq!(order, vec![0, 1, 2, 3], "mails to {to}");
    }
}

#[tokio::test]
async fn two_workers_send_each_mail_exactly_once() {
    let app = TestApp::spawn().await;
    for n in 0..40 {
        enqueue(
            &app,
            &format!("p{}@client.example", n % 7),
            &format!("Mail {n}"),
        )
        .await;
    }
    let (one, two) = tokio::join!(
        email::deliver_pending(&app.state, 25),
        email::deliver_pending(&app.state, 25)
    );
    let (one, two) = (one.expect("one"), two.expect("two"));
    let rest = email::deliver_pending(&app.state, 25).await.expect("rest");
    assert_eq!(one + two + rest, 40);
    let received = app.deliver_mail().await;
    assert_eq!(received.len(), 40, "nothing sent twice");
    for n in 0..40 {
        let subject = format!("Subject: Mail {n}\r\n");
        assert_eq!(
            received
                .iter()
                .filter(|m| m.data.contains(&subject))
                .count(),
            1,
            "Mail {n}"
        );
    }
    let unsent: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbound_email WHERE status <> 'sent' OR attempts <> 1",
    )
    .fetch_one(&app.db)
    .await
    .expect("count");
    assert_eq!(unsent, 0);
}

#[tokio::test]
async fn a_mail_whose_worker_stopped_mid_send_is_sent_once_its_claim_runs_out() {
    let app = TestApp::spawn().await;
    enqueue(&app, "ada@client.example", "Your ticket").await;
    // A relay that takes the connection and never answers: the worker is stopped while it
    // waits, as if its process had died.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = silent.local_addr().expect("addr").port();
    let held = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((conn, _)) = silent.accept().await {
            held.push(conn);
        }
    });
    let mut stuck = app.state.clone();
    stuck.mailer = Mailer::from_url(Some(&format!("smtp://127.0.0.1:{port}"))).expect("mailer");
    let stopped = tokio::time::timeout(
        Duration::from_millis(500),
        email::deliver_pending(&stuck, 10),
    )
    .await;
    assert!(stopped.is_err(), "the silent relay holds the worker");
    held.abort();

    // Another worker leaves it alone while it is claimed...
    assert!(app.deliver_mail().await.is_empty());
    let status: (String, i32) =
        sqlx::query_as("SELECT status, attempts FROM outbound_email WHERE subject = 'Your ticket'")
            .fetch_one(&app.db)
            .await
            .expect("status");
    assert_eq!(status, ("pending".to_string(), 0));
    // ...and sends it once the claim has run out.
    sqlx::query("UPDATE outbound_email SET next_attempt_at = now() WHERE subject = 'Your ticket'")
        .execute(&app.db)
        .await
        .expect("claim runs out");
    let received = app.deliver_mail().await;
    assert_eq!(received.len(), 1);
    assert!(received[0].data.contains("Subject: Your ticket"));
}
