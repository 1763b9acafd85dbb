//! Ticket search on a real database: what each caller finds, pages, old tickets, and how a
//! broad search ranks the best of its newest matches (the search entries of migration 0014).

use crate::helpers::TestApp;
use crate::tickets::{client, new_ticket, staff};
use app::server::tickets::{self, search};
use app::types::{
    AccountId, Role, TicketChannel, TicketFilter, TicketId, TicketPriority, TicketSort, TicketView,
};

fn search_for(q: &str) -> TicketFilter {
    TicketFilter {
        q: Some(q.into()),
        view: Some(TicketView::All),
        ..Default::default()
    }
}

/// Tickets written straight into the table, as an import would, `weeks_ago` weeks back, with
/// their search entries written as such a writer must (`ticket_search_add_tickets`).
async fn insert_tickets(
    app: &TestApp,
    account: AccountId,
    subject: &str,
    description: &str,
    count: i64,
    weeks_ago: i64,
) -> Vec<TicketId> {
    let ids: Vec<TicketId> = sqlx::query_scalar(
        "INSERT INTO ticket (id, subject, description, ticket_type, priority, status, channel, account_id,
             first_response_due, resolution_due, created_at, updated_at)
         SELECT gen_random_uuid(), $1, $2, 'hardware', 'medium', 'open', 'api', $3,
                now() + interval '1 day', now() + interval '3 days',
                now() - make_interval(weeks => $5::int) - g * interval '1 second',
                now() - make_interval(weeks => $5::int) - g * interval '1 second'
         FROM generate_series(1, $4) g
         RETURNING id",
    )
    .bind(subject)
    .bind(description)
    .bind(account)
    .bind(count)
    .bind(weeks_ago as i32)
    .fetch_all(&app.db)
    .await
    .expect("insert tickets");
    let indexed: i32 = sqlx::query_scalar("SELECT ticket_search_add_tickets($1)")
        .bind(&ids)
        .fetch_one(&app.db)
        .await
        .expect("index");
    assert_eq!(indexed as usize, ids.len());
    ids
}

async fn found(app: &TestApp, caller: &app::server::auth::Caller, q: &str) -> Vec<TicketId> {
    tickets::list(&app.db, caller, &search_for(q))
        .await
        .expect("search")
        .items
        .into_iter()
        .map(|t| t.id)
        .collect()
}

#[tokio::test]
async fn a_client_finds_only_their_accounts_tickets_and_never_internal_notes() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let other = app.account("Other", None).await;
    let (agent, _, _) = staff(&app, Role::SupportAgent).await;
    let (acme_client, _) = client(&app, acme).await;
    let mut input = new_ticket("Scanner offline");
    input.account_id = Some(acme);
    let own = tickets::create(&app.state, &agent, &input, TicketChannel::Phone)
        .await
        .expect("create");
    input.account_id = Some(other);
    input.subject = "Scanner offline again".into();
    let theirs = tickets::create(&app.state, &agent, &input, TicketChannel::Phone)
        .await
        .expect("create");
    tickets::reply(&app.state, &agent, own.summary.id, "Firmware flashed", true)
        .await
        .expect("note");
    app.follow_new_tickets().await;

    assert_eq!(
        found(&app, &acme_client, "scanner").await,
        vec![own.summary.id]
    );
    assert!(found(&app, &acme_client, "firmware").await.is_empty());
    assert!(
        found(&app, &acme_client, &format!("#{}", theirs.summary.number))
            .await
            .is_empty()
    );
    // Staff find both tickets, and the note.
    assert_eq!(found(&app, &agent, "scanner").await.len(), 2);
    assert_eq!(found(&app, &agent, "firmware").await, vec![own.summary.id]);
}

#[tokio::test]
async fn search_pages_through_its_matches_without_gaps_or_repeats() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let (agent, _, _) = staff(&app, Role::SupportAgent).await;
    let mut all = insert_tickets(&app, acme, "Label printer", "Prints blank labels.", 5, 0).await;
    all.extend(
        insert_tickets(
            &app,
            acme,
            "Old label printer",
            "Prints blank labels.",
            4,
            30,
        )
        .await,
    );
    insert_tickets(&app, acme, "Router", "Drops the line.", 3, 0).await;
    let mut filter = TicketFilter {
        limit: Some(3),
        ..search_for("label")
    };
    let mut seen = Vec::new();
    loop {
        let page = tickets::list(&app.db, &agent, &filter).await.expect("page");
        assert!(page.items.len() <= 3);
        seen.extend(page.items.iter().map(|t| t.id));
        match page.next_cursor {
            Some(c) => filter.cursor = Some(c),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), seen.len(), "no ticket twice");
    all.sort();
    assert_eq!(sorted, all);
}

#[tokio::test]
async fn search_reaches_tickets_and_replies_written_long_ago() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let (agent, _, _) = staff(&app, Role::SupportAgent).await;
    // Three years back: before any week the migration made, so the rows land in the default
    // partition, as an import of old tickets would.
    let old = insert_tickets(&app, acme, "Kiosk frozen", "Since the update.", 1, 156).await[0];
    sqlx::query(
        "INSERT INTO ticket_message (id, ticket_id, author_name, body, via, created_at)
         VALUES (gen_random_uuid(), $1, 'Ada', 'Reflashed the badge reader', 'console', now() - interval '150 weeks')",
    )
    .bind(old)
    .execute(&app.db)
    .await
    .expect("old reply");
    let in_default = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM ticket_search_entry_default")
            .fetch_one(&app.db)
            .await
            .expect("count")
    };
    assert_eq!(in_default().await, 2);
    assert_eq!(found(&app, &agent, "kiosk frozen").await, vec![old]);
    assert_eq!(found(&app, &agent, "badge reader").await, vec![old]);

    // The worker gives those rows weeks of their own; the search finds them there.
    let made = search::add_weeks(&app.db, 8).await.expect("add weeks");
    // The ticket's week and the reply's week (and one ahead if a week began since the migration).
    assert!(made >= 2, "made {made} weeks");
    assert_eq!(in_default().await, 0);
    assert_eq!(search::add_weeks(&app.db, 8).await.expect("again"), 0);
    assert_eq!(found(&app, &agent, "kiosk frozen").await, vec![old]);
    assert_eq!(found(&app, &agent, "badge reader").await, vec![old]);
}

#[tokio::test]
async fn a_broad_search_ranks_the_best_of_its_newest_matches() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let (agent, _, _) = staff(&app, Role::SupportAgent).await;
    // As many of today's tickets mentioning the printer in their description as a search reads,
    // two of today's with it in the subject, and an old one with it in the subject. Within a
    // stretch of time entries are read in the order the table holds them: the two first.
    let pool = (search::POOL * search::ENTRIES_PER_TICKET) as i64;
    let best = insert_tickets(&app, acme, "Printer offline", "Front desk.", 2, 0).await;
    insert_tickets(
        &app,
        acme,
        "Front desk",
        "The printer is out of paper.",
        pool,
        0,
    )
    .await;
    let old = insert_tickets(&app, acme, "Printer offline", "Back office, cable.", 1, 40).await[0];

    let page = tickets::list(&app.db, &agent, &search_for("printer"))
        .await
        .expect("search");
    assert_eq!(page.items.len(), 25);
    // Subject matches rank above description matches; the newer of the two comes first.
    assert_eq!(
        page.items[..2].iter().map(|t| t.id).collect::<Vec<_>>(),
        best
    );
    let ids: Vec<TicketId> = page.items.iter().map(|t| t.id).collect();
    assert!(
        !ids.contains(&old),
        "today's matches fill the pool, older text is not read"
    );
    // Narrower words reach it.
    assert_eq!(found(&app, &agent, "printer cable").await, vec![old]);
    // Sorting the same search by creation time sorts the same pool.
    let by_created = tickets::list(
        &app.db,
        &agent,
        &TicketFilter {
            sort: Some(TicketSort::Created),
            ..search_for("printer")
        },
    )
    .await
    .expect("sorted");
    assert!(by_created.items.iter().all(|t| t.id != old));
    assert!(by_created
        .items
        .windows(2)
        .all(|w| w[0].created_at >= w[1].created_at));
}

#[tokio::test]
async fn a_search_finds_entries_with_every_word_whatever_punctuation_it_holds() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let (agent, _, _) = staff(&app, Role::SupportAgent).await;
    let mut input = new_ticket("O'Brien's wi-fi router is down");
    input.account_id = Some(acme);
    input.priority = Some(TicketPriority::Urgent);
    let obrien = tickets::create(&app.state, &agent, &input, TicketChannel::Phone)
        .await
        .expect("create");
    input.subject = "Router down in the warehouse".into();
    input.priority = Some(TicketPriority::Low);
    let warehouse = tickets::create(&app.state, &agent, &input, TicketChannel::Phone)
        .await
        .expect("create");
    tickets::reply(
        &app.state,
        &agent,
        warehouse.summary.id,
        "The kiosk froze too",
        false,
    )
    .await
    .expect("reply");
    app.follow_new_tickets().await;

    let mut both = found(&app, &agent, "router down").await;
    both.sort();
    let mut expected = vec![obrien.summary.id, warehouse.summary.id];
    expected.sort();
    assert_eq!(both, expected);
    assert_eq!(
        found(&app, &agent, "o'brien's ROUTER").await,
        vec![obrien.summary.id]
    );
    assert_eq!(found(&app, &agent, "wi-fi").await, vec![obrien.summary.id]);
    // Every word in one text: the subject's "router" and the reply's "kiosk" do not meet.
    assert!(found(&app, &agent, "router kiosk").await.is_empty());
    assert_eq!(
        found(&app, &agent, "kiosk froze").await,
        vec![warehouse.summary.id]
    );
    // Query syntax and punctuation alone are words to look for, or nothing, never an error.
    assert!(found(&app, &agent, "'&|!:* ()").await.is_empty());
    assert!(found(&app, &agent, "router & !down").await.len() == 2);
    // A filter narrows the matches.
    let urgent = TicketFilter {
        priority: Some(TicketPriority::Urgent),
        ..search_for("router")
    };
    let page = tickets::list(&app.db, &agent, &urgent)
        .await
        .expect("search");
    assert_eq!(
        page.items.iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![obrien.summary.id]
    );
}

#[tokio::test]
async fn a_new_tickets_text_is_searchable_once_the_worker_has_followed_it() {
    let app = TestApp::spawn().await;
    let acme = app.account("Acme", None).await;
    let (agent, _, _) = staff(&app, Role::SupportAgent).await;
    let mut input = new_ticket("Badge reader beeps");
    input.account_id = Some(acme);
    let t = tickets::create(&app.state, &agent, &input, TicketChannel::Phone)
        .await
        .expect("create");
    // Its number finds it at once; its words once the worker has followed the new ticket.
    assert_eq!(
        found(&app, &agent, &format!("#{}", t.summary.number)).await,
        vec![t.summary.id]
    );
    assert!(found(&app, &agent, "badge beeps").await.is_empty());
    assert_eq!(app.follow_new_tickets().await, 1);
    assert_eq!(found(&app, &agent, "badge beeps").await, vec![t.summary.id]);
    // Written once, whoever writes it again.
    let again: i32 = sqlx::query_scalar("SELECT ticket_search_add_tickets($1)")
        .bind(vec![t.summary.id])
        .fetch_one(&app.db)
        .await
        .expect("again");
    assert_eq!(again, 0);
    let entries: i64 =
        sqlx::query_scalar("SELECT count(*) FROM ticket_search_entry WHERE ticket_id = $1")
            .bind(t.summary.id)
            .fetch_one(&app.db)
            .await
            .expect("entries");
    assert_eq!(entries, 1);
}
