//! The knowledge base: visibility for every kind of reader, ranking and snippets, safe
//! Markdown, publishing with history, votes, suggestions and deflection, who may edit.

use crate::helpers::TestApp;
use app::api::knowledge::{
    AbandonTicketForArticle, DeleteArticleCategory, ListArticles, LoadArticleEditor, ReadArticle,
    SaveArticle, SaveArticleCategory, SetArticleStatus, SuggestArticles, VoteOnArticle,
};
use app::server::auth::{Caller, ClientCaller};
use app::server::knowledge;
use app::server::ServiceError;
use app::types::{ArticleId, ArticleInput, ArticleStatus, Role};

fn input(title: &str, visibility: &str, body: &str, tags: &str) -> ArticleInput {
    ArticleInput {
        title: title.into(),
        slug: String::new(),
        category_id: String::new(),
        tags: tags.into(),
        visibility: visibility.into(),
        body: body.into(),
    }
}

async fn publish(
    app: &TestApp,
    title: &str,
    visibility: &str,
    body: &str,
    tags: &str,
) -> (ArticleId, String) {
    knowledge::save(
        &app.db,
        &TestApp::caller(Role::SupportAgent),
        None,
        &input(title, visibility, body, tags),
        ArticleStatus::Published,
    )
    .await
    .expect("publish")
}

async fn client_caller(app: &TestApp) -> Caller {
    let account = app.account("Acme Retail", None).await;
    let (user, contact, _) = app.client_user(account).await;
    Caller::Client(ClientCaller {
        user_id: user,
        contact_id: contact,
        account_id: account,
    })
}

#[tokio::test]
async fn a_staff_only_article_never_reaches_a_client_or_an_anonymous_reader() {
    let app = TestApp::spawn().await;
    let (_, secret) = publish(
        &app,
        "Printer escalation runbook",
        "staff",
        "Call the vendor's printer hotline.",
        "printer",
    )
    .await;
    let (_, clients) = publish(
        &app,
        "Printer drivers for clients",
        "clients",
        "Install the printer driver.",
        "printer",
    )
    .await;
    let (_, public) = publish(
        &app,
        "Printer offline",
        "public",
        "Check the printer cable.",
        "printer",
    )
    .await;
    let client = client_caller(&app).await;
    let staff = TestApp::caller(Role::SalesRep);

    // Search.
    let titles =
        |hits: Vec<app::types::ArticleHit>| hits.into_iter().map(|h| h.slug).collect::<Vec<_>>();
    let anon = titles(
        knowledge::search(&app.db, &Caller::Anonymous, "printer")
            .await
            .unwrap(),
    );
    assert_eq!(anon, vec![public.clone()]);
    let mut seen = titles(
        knowledge::search(&app.db, &client, "printer")
            .await
            .unwrap(),
    );
    seen.sort();
    assert_eq!(seen, vec![clients.clone(), public.clone()]);
    assert_eq!(
        knowledge::search(&app.db, &staff, "printer")
            .await
            .unwrap()
            .len(),
        3
    );
    // Suggestions, related articles and the front page.
    let suggested = titles(knowledge::suggest(&app.db, &client, "print").await.unwrap());
    assert!(!suggested.contains(&secret), "{suggested:?}");
    let read = knowledge::read(&app.db, &client, &public, None)
        .await
        .unwrap();
    assert!(read.related.iter().all(|r| r.slug != secret));
    assert!(
        read.related.iter().any(|r| r.slug == clients),
        "related by shared tag"
    );
    let home = knowledge::home(&app.db, &Caller::Anonymous, "", None)
        .await
        .unwrap();
    assert!(home.articles.iter().all(|a| a.slug == public));
    // Reading it directly: not found, for both.
    for who in [&Caller::Anonymous, &client] {
        assert!(matches!(
            knowledge::read(&app.db, who, &secret, None).await,
            Err(ServiceError::NotFound)
        ));
    }
    assert!(matches!(
        knowledge::read(&app.db, &Caller::Anonymous, &clients, None).await,
        Err(ServiceError::NotFound)
    ));
    // Over HTTP: the public page renders for anyone with its title; the others are 404.
    let anonymous = app.browser();
    let page = anonymous
        .get(format!("{}/kb/{public}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("<title>Printer offline"),
        "the page carries the article's title"
    );
    assert!(html.contains("Check the printer cable."));
    let page = anonymous
        .get(format!("{}/kb/{secret}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 404);
    let html = page.text().await.unwrap();
    assert!(
        !html.contains("hotline"),
        "nothing of a hidden article leaks"
    );
    let res = app
        .call::<ReadArticle>(&anonymous, &[("slug", secret.clone())])
        .await;
    assert_eq!(res.status(), 404);
    let listing = anonymous
        .get(format!("{}/kb?q=printer", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(listing.contains("Printer offline"));
    assert!(!listing.contains("runbook") && !listing.contains("drivers for clients"));
}

#[tokio::test]
async fn drafts_and_archived_articles_reach_editors_only() {
    let app = TestApp::spawn().await;
    let agent = TestApp::caller(Role::SupportAgent);
    let (id, slug) = knowledge::save(
        &app.db,
        &agent,
        None,
        &input("Label printer setup", "public", "Step one.", ""),
        ArticleStatus::Draft,
    )
    .await
    .unwrap();
    let client = client_caller(&app).await;
    assert!(matches!(
        knowledge::read(&app.db, &client, &slug, None).await,
        Err(ServiceError::NotFound)
    ));
    assert!(
        matches!(
            knowledge::read(&app.db, &TestApp::caller(Role::SalesRep), &slug, None).await,
            Err(ServiceError::NotFound)
        ),
        "a draft is for its editors"
    );
    assert!(knowledge::read(&app.db, &agent, &slug, None).await.is_ok());
    assert!(
        knowledge::search(&app.db, &Caller::Anonymous, "label printer")
            .await
            .unwrap()
            .is_empty()
    );
    knowledge::set_status(&app.db, &agent, id, ArticleStatus::Published)
        .await
        .unwrap();
    assert!(knowledge::read(&app.db, &client, &slug, None).await.is_ok());
    knowledge::set_status(&app.db, &agent, id, ArticleStatus::Archived)
        .await
        .unwrap();
    assert!(matches!(
        knowledge::read(&app.db, &Caller::Anonymous, &slug, None).await,
        Err(ServiceError::NotFound)
    ));
    // Every change is in the history, newest first.
    let editor = knowledge::editor(&app.db, &agent, Some(id)).await.unwrap();
    let history: Vec<_> = editor
        .history
        .iter()
        .map(|r| (r.version, r.status))
        .collect();
    assert_eq!(
        history,
        vec![
            (3, ArticleStatus::Archived),
            (2, ArticleStatus::Published),
            (1, ArticleStatus::Draft)
        ]
    );
}

#[tokio::test]
async fn search_ranks_title_matches_first_and_highlights_the_words_found() {
    let app = TestApp::spawn().await;
    publish(
        &app,
        "Card reader pairing",
        "public",
        "Hold the button for five seconds until the light blinks.",
        "payments",
    )
    .await;
    publish(
        &app,
        "Closing the till",
        "public",
        "At night, count the drawer. If the card reader beeps, unplug it.",
        "",
    )
    .await;
    publish(
        &app,
        "Opening hours",
        "public",
        "We answer from nine to five.",
        "",
    )
    .await;
    let hits = knowledge::search(&app.db, &Caller::Anonymous, "card reader")
        .await
        .unwrap();
    let titles: Vec<_> = hits.iter().map(|h| h.title.as_str()).collect();
    assert_eq!(titles, vec!["Card reader pairing", "Closing the till"]);
    assert!(hits[0].rank >= hits[1].rank);
    let marked: Vec<_> = hits[1]
        .snippet
        .iter()
        .filter(|p| p.mark)
        .map(|p| p.text.to_lowercase())
        .collect();
    assert_eq!(marked, vec!["card", "reader"]);
    // Stemming: the plural finds the singular.
    assert_eq!(
        knowledge::search(&app.db, &Caller::Anonymous, "readers")
            .await
            .unwrap()
            .len(),
        2
    );
    // Operators of the search box do not break it.
    assert!(
        knowledge::search(&app.db, &Caller::Anonymous, "\"card reader\" -pairing")
            .await
            .unwrap()
            .len()
            == 1
    );
    assert!(knowledge::search(&app.db, &Caller::Anonymous, "& | ! :* (")
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn markdown_with_script_tags_is_stored_and_served_harmless() {
    let app = TestApp::spawn().await;
    let (_, slug) = publish(
        &app,
        "Formatting",
        "public",
        "**Bold** <script>document.title='owned'</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>",
        "",
    )
    .await;
    let html = app
        .browser()
        .get(format!("{}/kb/{slug}", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<strong>Bold</strong>"));
    assert!(!html.contains("document.title='owned'"));
    assert!(!html.contains("javascript:alert"));
    assert!(!html.contains("onerror"));
}

#[tokio::test]
async fn a_reader_votes_once_and_may_change_their_mind() {
    let app = TestApp::spawn().await;
    let (_, slug) = publish(
        &app,
        "Reset a password",
        "public",
        "Use the link on the sign-in page.",
        "",
    )
    .await;
    let reader = Some(uuid::Uuid::new_v4());
    let anon = Caller::Anonymous;
    assert_eq!(
        knowledge::vote(&app.db, &anon, &slug, true, reader)
            .await
            .unwrap(),
        (1, 0)
    );
    assert_eq!(
        knowledge::vote(&app.db, &anon, &slug, true, reader)
            .await
            .unwrap(),
        (1, 0)
    );
    assert_eq!(
        knowledge::vote(&app.db, &anon, &slug, false, reader)
            .await
            .unwrap(),
        (0, 1)
    );
    let client = client_caller(&app).await;
    assert_eq!(
        knowledge::vote(&app.db, &client, &slug, true, None)
            .await
            .unwrap(),
        (1, 1)
    );
    assert!(matches!(
        knowledge::vote(&app.db, &anon, &slug, true, None).await,
        Err(ServiceError::Validation(_))
    ));
    // Over HTTP, as the page's form sends it.
    let res = app
        .call::<VoteOnArticle>(
            &app.browser(),
            &[
                ("slug", slug.clone()),
                ("helpful", "true".into()),
                ("reader", uuid::Uuid::new_v4().to_string()),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    // Reading counts views.
    knowledge::read(&app.db, &anon, &slug, None).await.unwrap();
    let a = knowledge::read(&app.db, &anon, &slug, None).await.unwrap();
    assert_eq!(a.summary.view_count, 1, "the second read sees the first");
}

#[tokio::test]
async fn a_suggestion_that_answers_the_client_is_recorded_as_a_ticket_avoided() {
    let app = TestApp::spawn().await;
    let (id, slug) = publish(
        &app,
        "Receipt printer prints blank",
        "clients",
        "Turn the paper roll over.",
        "printer",
    )
    .await;
    let client = client_caller(&app).await;
    let hits = knowledge::suggest(&app.db, &client, "receipt prin")
        .await
        .unwrap();
    assert_eq!(hits.first().map(|h| h.slug.as_str()), Some(slug.as_str()));
    assert!(matches!(
        knowledge::suggest(&app.db, &Caller::Anonymous, "receipt").await,
        Err(ServiceError::Unauthenticated)
    ));
    knowledge::read(&app.db, &client, &slug, Some("receipt printer blank"))
        .await
        .unwrap();
    knowledge::ticket_abandoned(&app.db, &client, &slug, "receipt printer blank")
        .await
        .unwrap();
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT outcome, subject FROM kb_deflection WHERE article_id = $1 ORDER BY created_at",
    )
    .bind(id)
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(
        rows,
        vec![
            ("opened".into(), "receipt printer blank".into()),
            ("ticket_abandoned".into(), "receipt printer blank".into())
        ]
    );
    let list =
        knowledge::list_for_editors(&app.db, &TestApp::caller(Role::SupportManager), "", None)
            .await
            .unwrap();
    assert_eq!(list[0].tickets_abandoned, 1);
    // Staff cannot record a client's deflection.
    assert!(matches!(
        knowledge::ticket_abandoned(&app.db, &TestApp::caller(Role::SupportAgent), &slug, "x")
            .await,
        Err(ServiceError::Forbidden)
    ));
}

#[tokio::test]
async fn only_support_staff_write_articles_and_clients_never_see_the_editor() {
    let app = TestApp::spawn().await;
    let form = [
        ("form[title]", "Sneaky".to_string()),
        ("form[visibility]", "public".to_string()),
        ("form[body]", "text".to_string()),
        ("publish", "publish".to_string()),
    ];
    let (_, rep) = app.staff_user(Role::SalesRep).await;
    let rep = app.signed_in(&rep).await;
    assert_eq!(app.call::<SaveArticle>(&rep, &form).await.status(), 403);
    assert_eq!(app.call::<LoadArticleEditor>(&rep, &[]).await.status(), 403);
    assert_eq!(
        app.call::<SaveArticleCategory>(&rep, &[("name", "X".into())])
            .await
            .status(),
        403
    );
    assert_eq!(
        app.call::<ListArticles>(&rep, &[]).await.status(),
        200,
        "all staff read the list"
    );
    let page = rep
        .get(format!("{}/console/kb", app.base))
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(
        page.status(),
        200,
        "the list page renders for a reader who cannot edit"
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("kb-filter-q") && !html.contains("new-article"));
    let account = app.account("Acme", None).await;
    let (_, _, client_email) = app.client_user(account).await;
    let client = app.signed_in(&client_email).await;
    assert_eq!(app.call::<SaveArticle>(&client, &form).await.status(), 403);
    assert_eq!(app.call::<ListArticles>(&client, &[]).await.status(), 403);
    assert_eq!(
        app.call::<SaveArticle>(&app.browser(), &form)
            .await
            .status(),
        401
    );
    assert_eq!(
        app.call::<SuggestArticles>(&app.browser(), &[("subject", "printer".into())])
            .await
            .status(),
        401
    );
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM kb_article")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(count, 0);
    // A support agent may, and gets field errors for bad input with nothing stored.
    let (_, agent) = app.staff_user(Role::SupportAgent).await;
    let agent = app.signed_in(&agent).await;
    let bad = [
        ("form[title]", " ".to_string()),
        ("form[visibility]", "everyone".to_string()),
        ("form[body]", "x".to_string()),
        ("form[slug]", "Not A Slug".to_string()),
    ];
    let res = app.call::<SaveArticle>(&agent, &bad).await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    for field in ["title", "visibility", "slug"] {
        assert!(body.contains(field), "{field} is named in {body}");
    }
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM kb_article")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(count, 0);
    let res = app.call::<SaveArticle>(&agent, &form).await;
    assert!(
        res.status().is_success() || res.status().is_redirection(),
        "{}",
        res.status()
    );
    let count: i64 =
        sqlx::query_scalar("SELECT count(*) FROM kb_article WHERE status = 'published'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(count, 1);
}

#[tokio::test]
async fn slugs_are_made_unique_and_a_taken_one_is_a_field_error() {
    let app = TestApp::spawn().await;
    let (_, a) = publish(&app, "Wi-Fi setup", "public", "One.", "").await;
    let (_, b) = publish(&app, "Wi-Fi setup", "public", "Two.", "").await;
    assert_eq!((a.as_str(), b.as_str()), ("wi-fi-setup", "wi-fi-setup-2"));
    let mut taken = input("Other", "public", "Three.", "");
    taken.slug = "wi-fi-setup".into();
    let e = knowledge::save(
        &app.db,
        &TestApp::caller(Role::Admin),
        None,
        &taken,
        ArticleStatus::Draft,
    )
    .await
    .unwrap_err();
    match e {
        ServiceError::Validation(f) => assert_eq!(f[0].field, "slug"),
        other => panic!("expected a field error, got {other:?}"),
    }
}

#[tokio::test]
async fn readers_cannot_publish_archive_or_delete_and_cannot_vote_on_what_they_cannot_see() {
    let app = TestApp::spawn().await;
    let agent = TestApp::caller(Role::SupportAgent);
    let (draft, _) = knowledge::save(
        &app.db,
        &agent,
        None,
        &input("Draft", "public", "Body.", ""),
        ArticleStatus::Draft,
    )
    .await
    .unwrap();
    let (_, secret) = publish(&app, "Internal runbook", "staff", "Internal.", "").await;
    let category = knowledge::save_category(&app.db, &agent, None, "Hardware")
        .await
        .unwrap();
    let (_, rep) = app.staff_user(Role::SalesRep).await;
    let rep = app.signed_in(&rep).await;
    let account = app.account("Acme", None).await;
    let (_, _, client_email) = app.client_user(account).await;
    let client = app.signed_in(&client_email).await;
    let publish_it = [
        ("id", draft.to_string()),
        ("status", "published".to_string()),
    ];
    for who in [&rep, &client] {
        assert_eq!(
            app.call::<SetArticleStatus>(who, &publish_it)
                .await
                .status(),
            403
        );
        assert_eq!(
            app.call::<DeleteArticleCategory>(who, &[("id", category.to_string())])
                .await
                .status(),
            403
        );
    }
    assert_eq!(
        app.call::<SetArticleStatus>(&app.browser(), &publish_it)
            .await
            .status(),
        401
    );
    let status: String = sqlx::query_scalar("SELECT status FROM kb_article WHERE id = $1")
        .bind(draft)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(status, "draft");
    let categories: i64 = sqlx::query_scalar("SELECT count(*) FROM kb_category")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(categories, 1);
    // An unknown status is a field error, not a change.
    let (_, agent_email) = app.staff_user(Role::SupportAgent).await;
    let agent_browser = app.signed_in(&agent_email).await;
    let res = app
        .call::<SetArticleStatus>(
            &agent_browser,
            &[("id", draft.to_string()), ("status", "gone".to_string())],
        )
        .await;
    assert_eq!(res.status(), 422);
    // Votes and "no ticket needed" on an article the caller may not see: not found.
    let vote = [
        ("slug", secret.clone()),
        ("helpful", "true".to_string()),
        ("reader", uuid::Uuid::new_v4().to_string()),
    ];
    assert_eq!(
        app.call::<VoteOnArticle>(&app.browser(), &vote)
            .await
            .status(),
        404
    );
    assert_eq!(
        app.call::<VoteOnArticle>(&client, &vote).await.status(),
        404
    );
    let abandon = [("slug", secret.clone()), ("subject", "x".to_string())];
    assert_eq!(
        app.call::<AbandonTicketForArticle>(&client, &abandon)
            .await
            .status(),
        404
    );
    assert_eq!(
        app.call::<AbandonTicketForArticle>(&app.browser(), &abandon)
            .await
            .status(),
        401
    );
    let rows: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM kb_vote) + (SELECT count(*) FROM kb_deflection)",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(rows, 0);
}

#[tokio::test]
async fn an_overlong_search_is_a_field_error() {
    let app = TestApp::spawn().await;
    let long = "printer ".repeat(30);
    match knowledge::search(&app.db, &Caller::Anonymous, &long).await {
        Err(ServiceError::Validation(f)) => assert_eq!(f[0].field, "q"),
        other => panic!("expected a field error, got {other:?}"),
    }
    let res = app
        .browser()
        .get(format!("{}/kb?q={}", app.base, long.replace(' ', "+")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
}

#[tokio::test]
async fn a_title_match_wins_even_when_hundreds_of_newer_articles_mention_the_word() {
    let app = TestApp::spawn().await;
    let (_, old) = publish(
        &app,
        "Scanner calibration",
        "public",
        "Calibrate it once a month.",
        "",
    )
    .await;
    sqlx::query("UPDATE kb_article SET published_at = now() - interval '3 years'")
        .execute(&app.db)
        .await
        .unwrap();
    // More body-only matches than the search ranks one by one (it ranks the newest of them).
    let n = knowledge::repo::BODY_CANDIDATES + 50;
    sqlx::query(
        "INSERT INTO kb_article (id, slug, title, tags, visibility, status, body_markdown, body_html,
                                 body_text, published_at)
         SELECT gen_random_uuid(), 'note-' || g, 'Note ' || g, '{}', 'public', 'published',
                'the scanner beeps', '<p>the scanner beeps</p>', 'the scanner beeps',
                now() - g * interval '1 minute'
         FROM generate_series(1, $1) g",
    )
    .bind(n)
    .execute(&app.db)
    .await
    .unwrap();
    let hits = knowledge::search(&app.db, &Caller::Anonymous, "scanner")
        .await
        .unwrap();
    assert_eq!(hits.len(), 20);
    assert_eq!(hits[0].slug, old, "the title match comes first");
    let home = knowledge::home(&app.db, &Caller::Anonymous, "", None)
        .await
        .unwrap();
    assert_eq!(
        home.categories.iter().map(|c| c.article_count).sum::<i64>(),
        0
    );
    assert_eq!(home.articles.len(), 100, "the newest hundred");
    assert_eq!(home.articles[0].slug, "note-1");
}

#[tokio::test]
async fn an_api_key_reads_and_searches_published_articles_and_drafts_stay_with_editors() {
    let app = TestApp::spawn().await;
    let (_, slug) = publish(
        &app,
        "Receipt printer jams",
        "clients",
        "Open the cover and pull the roll out **gently**.",
        "printer",
    )
    .await;
    let (_, draft) = knowledge::save(
        &app.db,
        &TestApp::caller(Role::SupportAgent),
        None,
        &input("Printer firmware 2.0", "public", "Not yet.", ""),
        ArticleStatus::Draft,
    )
    .await
    .expect("draft");
    let url = |path: &str| format!("{}/api/v1{path}", app.base);
    let (sales, _) = app.api_client(Role::SalesRep).await;

    let home: serde_json::Value = sales
        .get(url("/articles"))
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    let slugs: Vec<&str> = home["articles"]
        .as_array()
        .expect("articles")
        .iter()
        .filter_map(|a| a["slug"].as_str())
        .collect();
    assert_eq!(slugs, vec![slug.as_str()], "published only");
    let found: serde_json::Value = sales
        .get(url("/articles?q=printer%20jams"))
        .send()
        .await
        .expect("search")
        .json()
        .await
        .expect("json");
    assert_eq!(found["hits"][0]["slug"], slug.as_str());

    let res = sales
        .get(url(&format!("/articles/{slug}")))
        .send()
        .await
        .expect("read");
    assert_eq!(res.status(), 200);
    let article: serde_json::Value = res.json().await.expect("json");
    assert!(article["body_html"]
        .as_str()
        .is_some_and(|h| h.contains("<strong>gently</strong>")));
    assert_eq!(article["body_markdown"], "", "the source is for editors");

    // A draft is not found for a key whose role does not edit articles; an editor's key reads it.
    let res = sales
        .get(url(&format!("/articles/{draft}")))
        .send()
        .await
        .expect("draft");
    assert_eq!(res.status(), 404);
    assert_eq!(
        res.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    let (agent, _) = app.api_client(Role::SupportAgent).await;
    let res = agent
        .get(url(&format!("/articles/{draft}")))
        .send()
        .await
        .expect("draft");
    assert_eq!(res.status(), 200);

    // Without a key, nothing; an overlong search is a field error.
    let res = reqwest::get(url("/articles")).await.expect("anonymous");
    assert_eq!(res.status(), 401);
    let res = reqwest::get(url(&format!("/articles/{slug}")))
        .await
        .expect("anonymous");
    assert_eq!(res.status(), 401);
    let res = sales
        .get(url(&format!("/articles?q={}", "a".repeat(201))))
        .send()
        .await
        .expect("long");
    assert_eq!(res.status(), 422);
    let problem: serde_json::Value = res.json().await.expect("problem");
    assert_eq!(problem["errors"][0]["field"], "q", "{problem}");
}
