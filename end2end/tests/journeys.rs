//! End-to-end journeys in headless Chromium against the real server binary,
//! a fresh database per test and a real SMTP server catching mail.

use fantoccini::{Client, ClientBuilder, Locator};
use mailin_embedded::response::{Response, OK};
use mailin_embedded::{Handler, Server};
use serde_json::json;
use sqlx::Connection;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const DEMO_PASSWORD: &str = "steward-demo";

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

#[derive(Clone, Default)]
struct Inbox {
    mails: Arc<Mutex<Vec<String>>>,
    current: String,
}

impl Handler for Inbox {
    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.current.push_str(&String::from_utf8_lossy(buf));
        Ok(())
    }
    fn data_end(&mut self) -> Response {
        if let Ok(mut m) = self.mails.lock() {
            m.push(std::mem::take(&mut self.current));
        }
        OK
    }
}

/// Kills child processes when a test ends, pass or fail.
struct Processes(Vec<Child>);

impl Drop for Processes {
    fn drop(&mut self) {
        for c in &mut self.0 {
            // With what it started first: the browsers of a killed chromedriver would go on
            // running after the suite (their parent gone, init takes them).
            for pid in descendants(c.id()) {
                // SAFETY: kill(2) takes any pid; one that has exited meanwhile gives ESRCH.
                unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Every process below `root`, from each process's parent as /proc tells it.
fn descendants(root: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // The name may hold spaces and parentheses: the fields follow the last ')'.
            let ppid = stat
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            Some((pid, ppid))
        })
        .collect();
    let mut found = Vec::new();
    let mut below = vec![root];
    while let Some(parent) = below.pop() {
        for &(pid, ppid) in &parents {
            if ppid == parent {
                found.push(pid);
                below.push(pid);
            }
        }
    }
    found
}

struct Stack {
    base: String,
    /// The journey's own database, for checking what the pages should show.
    db_url: String,
    browser: Client,
    driver: String,
    inbox: Arc<Mutex<Vec<String>>>,
    _processes: Processes,
}

fn with_database(url: &str, name: &str) -> String {
    let base = url.split('?').next().unwrap_or(url);
    let (server, _) = base.rsplit_once('/').unwrap_or((base, ""));
    format!("{server}/{name}")
}

async fn wait_for_http(url: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let addr = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_string();
    while Instant::now() < deadline {
        if tokio::net::TcpStream::connect(&addr).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{url} did not come up");
}

/// Starts everything a journey needs: database, SMTP, the steward binary, chromedriver, Chromium.
async fn stack() -> Stack {
    let admin_url = env_or(
        "DATABASE_URL",
        "postgres://postgres@127.0.0.1:5434/postgres",
    );
    let name = format!("steward_e2e_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&admin_url)
        .await
        .expect("connect DATABASE_URL");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("create db");
    let db_url = with_database(&admin_url, &name);

    let inbox = Inbox::default();
    let mails = inbox.mails.clone();
    let smtp = std::net::TcpListener::bind("127.0.0.1:0").expect("smtp");
    let smtp_port = smtp.local_addr().expect("addr").port();
    let mut server = Server::new(inbox);
    // A thread per connection: the mailer keeps up to eight open between rounds.
    server
        .with_name("e2e-smtp")
        .with_num_threads(16)
        .with_tcp_listener(smtp);
    std::thread::spawn(move || {
        let _ = server.serve();
    });

    let bin = env_or(
        "STEWARD_BIN",
        concat!(env!("CARGO_MANIFEST_DIR"), "/../target/debug/steward"),
    );
    let site = env_or(
        "STEWARD_SITE_ROOT",
        concat!(env!("CARGO_MANIFEST_DIR"), "/../target/site"),
    );
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let envs = [
        ("DATABASE_URL", db_url.clone()),
        ("STEWARD_ADDR", format!("127.0.0.1:{port}")),
        ("STEWARD_PUBLIC_URL", base.clone()),
        ("STEWARD_SITE_ROOT", site),
        ("STEWARD_SMTP_URL", format!("smtp://127.0.0.1:{smtp_port}")),
        ("RUST_LOG", "warn".to_string()),
    ];
    let seeded = Command::new(&bin)
        .args(["demo-data", "--accounts", "5"])
        .envs(envs.clone())
        .stdout(Stdio::null())
        .status()
        .expect("run demo-data");
    assert!(seeded.success(), "demo data failed");
    let mut processes = Processes(Vec::new());
    processes.0.push(
        Command::new(&bin)
            .arg("serve")
            .envs(envs)
            .stdout(Stdio::null())
            .spawn()
            .expect("start steward"),
    );

    let driver_port = free_port();
    processes.0.push(
        Command::new(env_or("CHROMEDRIVER", "/usr/bin/chromedriver"))
            .arg(format!("--port={driver_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver"),
    );
    wait_for_http(&base).await;
    wait_for_http(&format!("http://127.0.0.1:{driver_port}")).await;

    let driver = format!("http://127.0.0.1:{driver_port}");
    let browser = new_browser(&driver).await;
    Stack {
        base,
        db_url,
        browser,
        driver,
        inbox: mails,
        _processes: processes,
    }
}

/// A browser session of its own (separate profile, cookies and storage): a second person.
async fn new_browser(driver: &str) -> Client {
    let profile = std::env::temp_dir().join(format!(
        "steward-chromium-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": env_or("CHROMIUM", "/usr/bin/chromium"),
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1280,900",
                format!("--user-data-dir={}", profile.display()),
            ]
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(driver)
        .await
        .expect("connect to chromedriver")
}

/// Polls `check` until it holds (the UI is asynchronous), failing after 15 s.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    panic!("timed out waiting for: {what}");
}

async fn text_of(b: &Client, css: &str) -> String {
    match b.find(Locator::Css(css)).await {
        Ok(e) => e.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

async fn page_has(b: &Client, css: &str, needle: &str) -> bool {
    text_of(b, css).await.contains(needle)
}

/// Waits until the page is hydrated: the theme button only reacts once the wasm runs.
async fn wait_hydrated(b: &Client) {
    eventually("hydration", || async {
        let Ok(button) = b.find(Locator::Id("theme-toggle")).await else {
            return false;
        };
        let _ = button.click().await;
        let theme = b
            .execute(
                "return document.documentElement.getAttribute('data-theme')",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_str().map(String::from));
        if theme.as_deref() == Some("dark") {
            // Put it back so screenshots stay light.
            let _ = button.click().await;
            return true;
        }
        false
    })
    .await;
}

async fn fill(b: &Client, css: &str, value: &str) {
    let field = b
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("no field {css}"));
    field.clear().await.expect("clear");
    field.send_keys(value).await.expect("type");
}

async fn sign_in(s: &Stack, email: &str, password: &str) {
    sign_in_with(&s.browser, &s.base, email, password).await;
}

async fn sign_in_with(b: &Client, base: &str, email: &str, password: &str) {
    b.goto(&format!("{base}/login")).await.expect("goto login");
    eventually("login form", || async {
        b.find(Locator::Id("email")).await.is_ok()
    })
    .await;
    fill(b, "#email", email).await;
    fill(b, "#password", password).await;
    b.find(Locator::Id("sign-in"))
        .await
        .expect("button")
        .click()
        .await
        .expect("click");
}

/// Saves a screenshot under end2end/screenshots/ for people to look at (not compared).
async fn snap(b: &Client, name: &str) {
    if let Ok(png) = b.screenshot().await {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("screenshots");
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(dir.join(format!("{name}.png")), png);
    }
}

async fn path(b: &Client) -> String {
    b.current_url()
        .await
        .map(|u| u.path().to_string())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn staff_creates_an_account_and_a_contact_and_finds_them_by_search() {
    let s = stack().await;
    let b = &s.browser;
    sign_in(&s, "admin@steward.test", DEMO_PASSWORD).await;
    eventually("the console", || async { path(b).await == "/console" }).await;
    wait_hydrated(b).await;

    // An invalid website gets an inline field error and creates nothing.
    b.goto(&format!("{}/console/accounts/new", s.base))
        .await
        .expect("goto");
    wait_hydrated(b).await;
    fill(b, "#form-name", "Wayne Enterprises").await;
    fill(b, "#form-website", "ftp://wayne.example").await;
    b.find(Locator::Id("save-account"))
        .await
        .expect("save")
        .click()
        .await
        .expect("click");
    eventually("website error", || {
        page_has(b, "#form-website-error", "https://")
    })
    .await;
    assert_eq!(path(b).await, "/console/accounts/new");

    fill(b, "#form-website", "https://wayne.example").await;
    fill(b, "#form-city", "Gotham").await;
    b.find(Locator::Id("save-account"))
        .await
        .expect("save")
        .click()
        .await
        .expect("click");
    eventually("the new account's page", || {
        page_has(b, "#account-name", "Wayne Enterprises")
    })
    .await;
    snap(b, "console-account").await;
    let account_path = path(b).await;

    b.find(Locator::Id("add-contact"))
        .await
        .expect("add contact")
        .click()
        .await
        .expect("click");
    eventually("the contact form", || async {
        b.find(Locator::Id("form-first_name")).await.is_ok()
    })
    .await;
    wait_hydrated(b).await;
    fill(b, "#form-first_name", "Lucius").await;
    fill(b, "#form-last_name", "Fox").await;
    fill(b, "#form-emails", "lucius.fox@wayne.example").await;
    b.find(Locator::Id("save-contact"))
        .await
        .expect("save")
        .click()
        .await
        .expect("click");
    eventually("back on the account with the contact", || async {
        path(b).await == account_path && page_has(b, "main", "Lucius Fox").await
    })
    .await;

    b.goto(&format!("{}/console/accounts", s.base))
        .await
        .expect("goto");
    wait_hydrated(b).await;
    fill(b, "#account-search", "wayne").await;
    b.find(Locator::Id("account-search-submit"))
        .await
        .expect("search")
        .click()
        .await
        .expect("click");
    // The unfiltered list may already show the new account: wait for the filtered one (the
    // server's search leaves the other accounts out).
    eventually("only the matching account in the results", || async {
        page_has(b, "#accounts-table", "Wayne Enterprises").await
            && !page_has(b, "#accounts-table", "Acme Corporation").await
    })
    .await;
    snap(b, "console-accounts-search").await;

    b.goto(&format!("{}/console/contacts?q=lucius", s.base))
        .await
        .expect("goto");
    eventually("the contact in the results", || {
        page_has(b, "#contacts-table", "Lucius Fox")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invited_client_sets_a_password_sees_their_company_and_not_the_console() {
    let s = stack().await;
    let b = &s.browser;
    sign_in(&s, "sales.rep@steward.test", DEMO_PASSWORD).await;
    eventually("the console", || async { path(b).await == "/console" }).await;

    // Add a colleague of the demo client at Acme, then invite them.
    b.goto(&format!("{}/console/accounts?q=Acme%20Corporation", s.base))
        .await
        .expect("goto");
    eventually("Acme in the list", || {
        page_has(b, "#accounts-table", "Acme Corporation")
    })
    .await;
    b.find(Locator::LinkText("Acme Corporation"))
        .await
        .expect("link")
        .click()
        .await
        .expect("click");
    eventually("Acme's page", || {
        page_has(b, "#account-name", "Acme Corporation")
    })
    .await;
    b.find(Locator::Id("add-contact"))
        .await
        .expect("add contact")
        .click()
        .await
        .expect("click");
    eventually("the contact form", || async {
        b.find(Locator::Id("form-first_name")).await.is_ok()
    })
    .await;
    wait_hydrated(b).await;
    fill(b, "#form-first_name", "Nina").await;
    fill(b, "#form-last_name", "Newcomer").await;
    fill(b, "#form-emails", "nina@acme.example").await;
    b.find(Locator::Id("save-contact"))
        .await
        .expect("save")
        .click()
        .await
        .expect("click");
    eventually("Nina listed", || page_has(b, "main", "Nina Newcomer")).await;
    wait_hydrated(b).await;
    let invite = b
        .find(Locator::XPath(
            "//tr[td/a[text()='Nina Newcomer']]//button[contains(., 'Invite to portal')]",
        ))
        .await
        .expect("invite button");
    invite.click().await.expect("click");
    eventually("invitation confirmed", || {
        page_has(b, "main", "Invitation sent")
    })
    .await;

    // The worker delivers the invitation by SMTP.
    let link = link_in_mail(&s, "nina@acme.example", "/invitation").await;

    b.delete_all_cookies()
        .await
        .expect("sign out by clearing cookies");
    b.goto(&format!("{}{link}", s.base))
        .await
        .expect("open invitation");
    eventually("the password form", || async {
        b.find(Locator::Id("password")).await.is_ok()
    })
    .await;
    wait_hydrated(b).await;
    fill(b, "#password", "nina's own passphrase").await;
    fill(b, "#confirm", "nina's own passphrase").await;
    b.find(Locator::Id("set-password"))
        .await
        .expect("button")
        .click()
        .await
        .expect("click");
    eventually("the portal", || async { path(b).await == "/portal" }).await;
    eventually("her company", || {
        page_has(b, "#company-name", "Acme Corporation")
    })
    .await;

    b.goto(&format!("{}/console", s.base))
        .await
        .expect("goto console");
    eventually("refused", || page_has(b, "main", "No access")).await;
    assert!(
        !page_has(b, "body", "Accounts").await,
        "no console navigation for a client"
    );

    // The same link does not work twice.
    b.delete_all_cookies().await.expect("clear");
    b.goto(&format!("{}{link}", s.base)).await.expect("reopen");
    eventually("expired", || {
        page_has(b, "main", "expired or was already used")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_console_and_portal_fit_a_360_pixel_phone() {
    let s = stack().await;
    let b = &s.browser;
    b.set_window_size(360, 740).await.expect("resize");
    sign_in(&s, "client@acme.example", DEMO_PASSWORD).await;
    eventually("the portal", || {
        page_has(b, "#company-name", "Acme Corporation")
    })
    .await;
    assert_no_sideways_scroll(b, "no horizontal scrolling on a phone").await;
    snap(b, "portal-360").await;
    // The client's ticket pages too: the list, a ticket with its conversation, the form.
    for (path_, marker) in [
        ("/portal/tickets", "#portal-tickets"),
        ("/portal/tickets/new", "#form-subject"),
        ("/portal/onboarding", "#onboarding-steps"),
        ("/portal/training", "#training-slots"),
    ] {
        b.goto(&format!("{}{path_}", s.base)).await.expect("goto");
        eventually(marker, || async {
            b.find(Locator::Css(marker)).await.is_ok()
        })
        .await;
        assert_no_sideways_scroll(b, &format!("{path_} scrolls sideways on a phone")).await;
    }
    b.goto(&format!("{}/portal/tickets", s.base))
        .await
        .expect("goto");
    eventually("a demo ticket", || {
        page_has(b, "#portal-tickets", "Receipt printer")
    })
    .await;
    b.find(Locator::XPath("//a[contains(., 'Receipt printer')]"))
        .await
        .expect("link")
        .click()
        .await
        .expect("click");
    eventually("the conversation", || page_has(b, "#conversation", "photo")).await;
    assert_no_sideways_scroll(b, "a ticket page scrolls sideways on a phone").await;
    snap(b, "portal-ticket-360").await;
    // The chat: the list of conversations and the demo's past chat.
    b.goto(&format!("{}/portal/chat", s.base))
        .await
        .expect("goto");
    eventually("the demo chat", || {
        page_has(b, "main", "Card reader at the café till")
    })
    .await;
    b.find(Locator::XPath("//a[contains(., 'Card reader')]"))
        .await
        .expect("link")
        .click()
        .await
        .expect("click");
    eventually("the chat's messages", || {
        page_has(b, "#chat-messages", "terminal not registered")
    })
    .await;
    assert_no_sideways_scroll(b, "a chat scrolls sideways on a phone").await;
    snap(b, "portal-chat-360").await;
}

/// Fails with `why` when the page is wider than the window (it would scroll sideways).
async fn assert_no_sideways_scroll(b: &Client, why: &str) {
    let overflow = b
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth + 1",
            vec![],
        )
        .await
        .expect("measure");
    assert_eq!(overflow, json!(false), "{why}");
}

async fn click(b: &Client, id: &str) {
    b.find(Locator::Id(id))
        .await
        .unwrap_or_else(|_| panic!("no #{id}"))
        .click()
        .await
        .expect("click");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_raises_a_ticket_and_an_agent_answers_and_resolves_it_live() {
    let s = stack().await;
    let client = &s.browser;
    let agent = new_browser(&s.driver).await;

    // The agent has the dashboard open before the ticket exists.
    sign_in_with(&agent, &s.base, "agent@steward.test", DEMO_PASSWORD).await;
    eventually("the console", || async { path(&agent).await == "/console" }).await;
    agent
        .goto(&format!("{}/console/tickets?view=all", s.base))
        .await
        .expect("goto");
    wait_hydrated(&agent).await;

    let unread_before = unread_count(&agent).await;

    // The client raises a ticket in the portal.
    raise_ticket_in_portal(
        &s,
        "Kiosk screen stays black",
        "KX-2231",
        "Since this morning the kiosk at the entrance shows nothing.",
    )
    .await;
    snap(client, "portal-ticket-raised").await;

    // It appears on the agent's dashboard without a reload, and the desk's notice lights the
    // agent's bell.
    open_from_dashboard(&agent, "Kiosk screen stays black").await;
    eventually("one more unread on the agent's bell", || async {
        unread_count(&agent).await > unread_before
    })
    .await;
    reply_as_agent(&agent, "Please hold the power button for ten seconds.").await;

    // The client sees the reply arrive on the open page.
    wait_hydrated(client).await;
    eventually("the reply in the portal", || {
        page_has(client, "#conversation", "Please hold the power button")
    })
    .await;

    // The agent starts a second reply; the client answers meanwhile. The client's reply
    // arrives on the agent's page live and the agent's half-written reply is still there.
    let draft = "If it happens again, check the power supply";
    fill(&agent, "#reply-body", draft).await;
    fill(client, "#reply-body", "It works again, thank you.").await;
    click(client, "send-reply").await;
    eventually("the client's reply on the agent's page", || {
        page_has(&agent, "#conversation", "It works again, thank you.")
    })
    .await;
    let kept = agent
        .find(Locator::Id("reply-body"))
        .await
        .expect("reply box")
        .prop("value")
        .await
        .expect("value");
    assert_eq!(
        kept.as_deref(),
        Some(draft),
        "the draft survives a live refresh"
    );

    // The agent resolves it; the client's page shows the new status.
    resolve_as_agent(&agent).await;
    eventually("resolved in the portal", || {
        page_has(client, "#ticket-status", "Resolved")
    })
    .await;
    snap(client, "portal-ticket-resolved").await;
    snap(&agent, "console-ticket-resolved").await;
    let _ = agent.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_chats_with_an_agent_who_converts_the_chat_into_a_ticket() {
    let s = stack().await;
    let client = &s.browser;
    let agent = new_browser(&s.driver).await;

    // The agent opens the chat inbox, which puts them online.
    sign_in_with(&agent, &s.base, "agent@steward.test", DEMO_PASSWORD).await;
    eventually("the console", || async { path(&agent).await == "/console" }).await;
    agent
        .goto(&format!("{}/console/chats", s.base))
        .await
        .expect("goto");
    wait_hydrated(&agent).await;
    eventually("the agent online", || async {
        agent
            .find(Locator::Css("#my-presence[data-presence='online']"))
            .await
            .is_ok()
    })
    .await;

    // The client starts a chat from the portal.
    sign_in(&s, "client@acme.example", DEMO_PASSWORD).await;
    eventually("the portal", || async { path(client).await == "/portal" }).await;
    client
        .goto(&format!("{}/portal/chat", s.base))
        .await
        .expect("goto");
    wait_hydrated(client).await;
    fill(client, "#topic", "Scanner offline at the depot").await;
    fill(
        client,
        "#text",
        "Our handheld scanner cannot connect since noon.",
    )
    .await;
    click(client, "start-chat-submit").await;
    eventually("the client's chat page", || {
        page_has(client, "#chat-topic", "Scanner offline at the depot")
    })
    .await;
    wait_hydrated(client).await;

    // The chat is offered to the agent, live; they accept and open it.
    eventually("the offer in the agent's inbox", || {
        page_has(&agent, "#offered-chats", "Scanner offline at the depot")
    })
    .await;
    agent
        .find(Locator::XPath(
            "//ul[@id='offered-chats']//button[normalize-space()='Accept']",
        ))
        .await
        .expect("accept button")
        .click()
        .await
        .expect("click");
    eventually("the chat among the agent's own", || {
        page_has(&agent, "#my-chats", "Scanner offline at the depot")
    })
    .await;
    agent
        .find(Locator::LinkText("Scanner offline at the depot"))
        .await
        .expect("link")
        .click()
        .await
        .expect("click");
    eventually("the agent's chat page", || {
        page_has(&agent, "#chat-messages", "cannot connect since noon")
    })
    .await;
    wait_hydrated(&agent).await;
    eventually("the client told who answers", || {
        page_has(client, "#chat-status", "With ")
    })
    .await;

    // They exchange messages, each seeing the other typing.
    fill(&agent, "#chat-text", "Could you restart the scanner").await;
    eventually("the agent typing, on the client's screen", || {
        page_has(client, "#chat-typing", "is typing")
    })
    .await;
    fill(
        &agent,
        "#chat-text",
        "Could you restart the scanner, please?",
    )
    .await;
    click(&agent, "chat-send").await;
    eventually("the agent's message at the client", || {
        page_has(client, "#chat-messages", "restart the scanner, please?")
    })
    .await;
    fill(client, "#chat-text", "Restarted, still offline").await;
    eventually("the client typing, on the agent's screen", || {
        page_has(&agent, "#chat-typing", "is typing")
    })
    .await;
    fill(client, "#chat-text", "Restarted, still offline.").await;
    click(client, "chat-send").await;
    eventually("the client's message at the agent", || {
        page_has(&agent, "#chat-messages", "Restarted, still offline.")
    })
    .await;
    eventually("the client's message marked read", || {
        page_has(client, "#chat-messages", "Read")
    })
    .await;
    snap(client, "portal-chat").await;
    snap(&agent, "console-chat").await;

    // The agent converts the chat into a ticket; the client finds it in the portal.
    click(&agent, "convert-chat-submit").await;
    eventually("the agent on the new ticket", || {
        page_has(&agent, "#ticket-title", "Scanner offline at the depot")
    })
    .await;
    eventually("the client told of the ticket", || {
        page_has(client, "#chat-messages", "was raised from this chat")
    })
    .await;
    client
        .goto(&format!("{}/portal/tickets", s.base))
        .await
        .expect("goto");
    eventually("the ticket in the portal", || {
        page_has(client, "main", "Scanner offline at the depot")
    })
    .await;
    let _ = agent.close().await;
}

#[tokio::test]
async fn a_client_finds_the_answer_while_raising_a_ticket_and_needs_no_ticket() {
    let s = stack().await;
    let b = &s.browser;
    // Anyone may search the help centre; staff-only articles stay hidden.
    b.goto(&format!("{}/kb?q=printer", s.base))
        .await
        .expect("goto");
    eventually("search results", || {
        page_has(b, "#kb-results", "Label printer offline")
    })
    .await;
    assert!(
        !page_has(b, "main", "Escalating").await,
        "a staff-only article"
    );
    assert!(
        !page_has(b, "main", "Receipt printer").await,
        "a clients-only article"
    );
    b.find(Locator::XPath(
        "//ol[@id='kb-results']//a[contains(., 'Label printer offline')]",
    ))
    .await
    .expect("result")
    .click()
    .await
    .expect("click");
    eventually("the article", || {
        page_has(b, "#article-title", "Label printer offline")
    })
    .await;
    wait_hydrated(b).await;
    click(b, "helpful-yes").await;
    eventually("the vote counted", || {
        page_has(b, "#helpful-counts", "1 found this helpful")
    })
    .await;
    snap(b, "kb-article").await;

    // A client typing a ticket subject is offered the article that answers it.
    sign_in(&s, "client@acme.example", DEMO_PASSWORD).await;
    eventually("the portal", || async { path(b).await == "/portal" }).await;
    b.goto(&format!("{}/portal/tickets/new", s.base))
        .await
        .expect("goto");
    eventually("the ticket form", || async {
        b.find(Locator::Id("form-subject")).await.is_ok()
    })
    .await;
    wait_hydrated(b).await;
    fill(b, "#form-subject", "receipt printer blank").await;
    eventually("a suggestion", || {
        page_has(
            b,
            "#kb-suggestions",
            "Receipt printer prints blank receipts",
        )
    })
    .await;
    b.find(Locator::XPath(
        "//div[@id='kb-suggestions']//a[contains(., 'Receipt printer')]",
    ))
    .await
    .expect("suggestion")
    .click()
    .await
    .expect("click");
    eventually("the suggested article", || {
        page_has(b, "#deflection", "receipt printer blank")
    })
    .await;
    assert!(page_has(b, "#article-body", "upside down").await);
    snap(b, "kb-deflection").await;
    wait_hydrated(b).await;
    click(b, "no-ticket-needed").await;
    eventually("back in the portal, no ticket raised", || {
        page_has(b, "#answered", "No ticket was raised")
    })
    .await;
    snap(b, "kb-deflected").await;
}

/// On the ticket dashboard: waits for the ticket to be listed, opens it, waits for its page.
async fn open_from_dashboard(agent: &Client, subject: &str) {
    eventually("the ticket on the agent's dashboard", || {
        page_has(agent, "#tickets-table", subject)
    })
    .await;
    agent
        .find(Locator::LinkText(subject))
        .await
        .expect("link")
        .click()
        .await
        .expect("click");
    eventually("the agent's ticket page", || {
        page_has(agent, "#ticket-title", subject)
    })
    .await;
    wait_hydrated(agent).await;
}

/// The number on the notification bell (0 when it shows none).
async fn unread_count(b: &Client) -> u32 {
    text_of(b, "#unread-count")
        .await
        .trim()
        .parse()
        .unwrap_or(0)
}

/// On a console ticket page: sends a public reply and waits for it in the conversation.
async fn reply_as_agent(agent: &Client, text: &str) {
    fill(agent, "#reply-body", text).await;
    click(agent, "send-reply").await;
    eventually("the reply in the agent's conversation", || {
        page_has(agent, "#conversation", text)
    })
    .await;
}

/// On a console ticket page: sets the status to resolved and waits for it.
async fn resolve_as_agent(agent: &Client) {
    // Choosing and saving in one script: a live refresh between two WebDriver calls would
    // redraw the form with the ticket's current status.
    agent
        .execute(
            "document.getElementById('form-status').value = 'resolved';
             document.getElementById('save-ticket').click();",
            vec![],
        )
        .await
        .expect("choose resolved and save");
    eventually("resolved on the agent's page", || {
        page_has(agent, "#ticket-status", "Resolved")
    })
    .await;
}

/// The demo client signs in and raises a ticket in the portal; returns on its page.
async fn raise_ticket_in_portal(s: &Stack, subject: &str, serial: &str, description: &str) {
    let client = &s.browser;
    sign_in(s, "client@acme.example", DEMO_PASSWORD).await;
    eventually("the portal", || async { path(client).await == "/portal" }).await;
    client
        .goto(&format!("{}/portal/tickets/new", s.base))
        .await
        .expect("goto");
    eventually("the ticket form", || async {
        client.find(Locator::Id("form-subject")).await.is_ok()
    })
    .await;
    wait_hydrated(client).await;
    fill(client, "#form-subject", subject).await;
    fill(client, "#form-asset_serial", serial).await;
    fill(client, "#form-description", description).await;
    click(client, "submit-ticket").await;
    eventually("the new ticket's page", || {
        page_has(client, "#ticket-title", subject)
    })
    .await;
}

/// The link to `path` in the newest mail to `to`, once the worker has sent it.
async fn link_in_mail(s: &Stack, to: &str, path: &str) -> String {
    link_after(s, to, &format!("{path}?token="), "/?=-_").await
}

/// The survey link (`/survey/<signed token>`) in the newest mail to `to`.
async fn survey_link_in_mail(s: &Stack, to: &str) -> String {
    link_after(s, to, "/survey/", "/.-_").await
}

/// The text from `marker` on, in the newest mail to `to` that has it, as far as letters,
/// digits and `extra` characters go (quoted-printable soft breaks undone).
async fn link_after(s: &Stack, to: &str, marker: &str, extra: &str) -> String {
    let mut link = String::new();
    eventually(&format!("a mail to {to} with {marker}"), || {
        let mails = s.inbox.lock().map(|m| m.clone()).unwrap_or_default();
        if let Some(m) = mails
            .iter()
            .rev()
            .map(|m| m.replace("=\r\n", "").replace("=3D", "="))
            .find(|m| m.contains(to) && m.contains(marker))
        {
            let start = m.find(marker).unwrap_or_default();
            link = m[start..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || extra.contains(*c))
                .collect();
        }
        let done = !link.is_empty();
        async move { done }
    })
    .await;
    link
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_customer_is_welcomed_completes_onboarding_steps_and_books_training() {
    let s = stack().await;
    let b = &s.browser;
    sign_in(&s, "sales.manager@steward.test", DEMO_PASSWORD).await;
    eventually("the console", || async { path(b).await == "/console" }).await;

    // Sales closes a prospect with one contact: the account becomes a customer.
    b.goto(&format!("{}/console/accounts/new", s.base))
        .await
        .expect("goto");
    wait_hydrated(b).await;
    fill(b, "#form-name", "Initech").await;
    click(b, "save-account").await;
    eventually("the new account", || {
        page_has(b, "#account-name", "Initech")
    })
    .await;
    let account_path = path(b).await;
    click(b, "add-contact").await;
    eventually("the contact form", || async {
        b.find(Locator::Id("form-first_name")).await.is_ok()
    })
    .await;
    wait_hydrated(b).await;
    fill(b, "#form-first_name", "Peter").await;
    fill(b, "#form-last_name", "Gibbons").await;
    fill(b, "#form-emails", "peter@initech.example").await;
    click(b, "save-contact").await;
    eventually("back on the account", || async {
        path(b).await == account_path && page_has(b, "main", "Peter Gibbons").await
    })
    .await;
    assert!(page_has(b, "#account-onboarding", "No onboarding running").await);
    b.goto(&format!("{}{account_path}/edit", s.base))
        .await
        .expect("edit");
    wait_hydrated(b).await;
    b.find(Locator::Id("form-account_type"))
        .await
        .expect("type")
        .select_by_value("customer")
        .await
        .expect("select");
    click(b, "save-account").await;
    eventually("the onboarding on the account", || {
        page_has(b, "#account-onboarding", "Standard onboarding")
    })
    .await;
    snap(b, "console-account-onboarding").await;

    // The contact gets the welcome email and follows its invitation link.
    let link = link_in_mail(&s, "peter@initech.example", "/invitation").await;
    let mail = s
        .inbox
        .lock()
        .map(|m| m.clone())
        .unwrap_or_default()
        .into_iter()
        .find(|m| m.contains("peter@initech.example") && m.contains("Welcome to"))
        .expect("the welcome email");
    assert!(mail.contains("Initech"), "{mail}");
    b.delete_all_cookies().await.expect("sign out");
    b.goto(&format!("{}{link}", s.base))
        .await
        .expect("open link");
    eventually("the password form", || async {
        b.find(Locator::Id("password")).await.is_ok()
    })
    .await;
    wait_hydrated(b).await;
    fill(b, "#password", "peter's own passphrase").await;
    fill(b, "#confirm", "peter's own passphrase").await;
    click(b, "set-password").await;
    eventually("the portal", || async { path(b).await == "/portal" }).await;
    eventually("the onboarding on the home page", || {
        page_has(b, "#home-progress", "0% done")
    })
    .await;
    assert!(page_has(b, "#home-next-steps", "Sign the service agreement").await);
    snap(b, "portal-home-onboarding").await;

    // A checklist step: tick both items, then mark it done.
    click(b, "open-onboarding").await;
    eventually("the steps", || {
        page_has(b, "#onboarding-steps", "Tell us about your sites")
    })
    .await;
    wait_hydrated(b).await;
    click(b, "check-3-1").await;
    eventually("first item ticked", || page_has(b, "#check-3-1", "☑")).await;
    click(b, "check-3-2").await;
    eventually("second item ticked", || page_has(b, "#check-3-2", "☑")).await;
    click(b, "complete-3").await;
    eventually("step 3 done", || async {
        b.find(Locator::Css("#step-3[data-status='done']"))
            .await
            .is_ok()
    })
    .await;
    // A document step: upload the signed agreement, then mark it done.
    let pdf = std::env::temp_dir().join(format!("agreement-{}.pdf", uuid::Uuid::new_v4().simple()));
    std::fs::write(&pdf, b"%PDF-1.4\n% signed by Peter\n").expect("pdf");
    b.find(Locator::Id("file-2-Signed-service-agreement"))
        .await
        .expect("file input")
        .send_keys(&pdf.display().to_string())
        .await
        .expect("choose file");
    b.find(Locator::XPath(
        "//li[@id='step-2']//button[text()='Upload']",
    ))
    .await
    .expect("upload button")
    .click()
    .await
    .expect("upload");
    eventually("the file listed", || page_has(b, "#step-2", ".pdf")).await;
    wait_hydrated(b).await;
    click(b, "complete-2").await;
    eventually("step 2 done", || async {
        b.find(Locator::Css("#step-2[data-status='done']"))
            .await
            .is_ok()
    })
    .await;
    snap(b, "portal-onboarding").await;

    // The training step is open now: book the first time offered.
    click(b, "book-training-link").await;
    eventually("the training slots", || {
        page_has(b, "#training-slots", "First training call")
    })
    .await;
    wait_hydrated(b).await;
    let zone = b
        .execute(
            "return Intl.DateTimeFormat().resolvedOptions().timeZone",
            vec![],
        )
        .await
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .expect("the browser's zone");
    eventually("times in the browser's zone", || {
        page_has(b, "#training-zone", &zone)
    })
    .await;
    b.find(Locator::XPath(
        "(//ul[@id='training-slots']//button[text()='Book this time'])[1]",
    ))
    .await
    .expect("book button")
    .click()
    .await
    .expect("book");
    eventually("booked", || {
        page_has(b, "#training-booked", "with Sam Support-Manager")
    })
    .await;
    snap(b, "portal-training").await;
    eventually("the calendar invitation", || {
        let mails = s.inbox.lock().map(|m| m.clone()).unwrap_or_default();
        let found = mails
            .iter()
            .any(|m| m.contains("peter@initech.example") && m.contains("METHOD:REQUEST"));
        async move { found }
    })
    .await;

    // Staff see the progress on the board: three of six steps are done.
    let staff = new_browser(&s.driver).await;
    sign_in_with(
        &staff,
        &s.base,
        "support.manager@steward.test",
        DEMO_PASSWORD,
    )
    .await;
    eventually("the console", || async { path(&staff).await == "/console" }).await;
    staff
        .goto(&format!("{}/console/onboarding", s.base))
        .await
        .expect("board");
    eventually("Initech on the board at 50%", || async {
        let card = text_of(&staff, "#onboarding-board").await;
        card.contains("Initech") && card.contains("50% · 3 of 6 steps")
    })
    .await;
    snap(&staff, "console-onboarding-board").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_builds_an_onboarding_template_and_a_change_makes_a_new_version() {
    let s = stack().await;
    let b = &s.browser;
    sign_in(&s, "admin@steward.test", DEMO_PASSWORD).await;
    eventually("the console", || async { path(b).await == "/console" }).await;
    b.goto(&format!("{}/console/onboarding/templates/new", s.base))
        .await
        .expect("goto");
    eventually("the editor", || async {
        b.find(Locator::Id("t-name")).await.is_ok()
    })
    .await;
    wait_hydrated(b).await;

    // Saving without a name or a step title comes back with errors beside the fields.
    click(b, "save-template").await;
    eventually("field errors", || {
        page_has(b, "#template-form", "is required")
    })
    .await;
    assert_eq!(path(b).await, "/console/onboarding/templates/new");

    fill(b, "#t-name", "Enterprise rollout").await;
    fill(b, "#s0-title", "Security review").await;
    click(b, "add-step").await;
    eventually("a second step", || async {
        b.find(Locator::Id("s1-title")).await.is_ok()
    })
    .await;
    fill(b, "#s1-title", "Upload the network diagram").await;
    b.find(Locator::Id("s1-owner"))
        .await
        .expect("owner")
        .select_by_value("client")
        .await
        .expect("select");
    fill(b, "#s1-depends", "1").await;
    fill(b, "#s1-documents", "Network diagram").await;
    click(b, "t-name").await; // leave the last field so its change is taken
    click(b, "save-template").await;
    eventually("the saved template's page", || async {
        path(b).await.starts_with("/console/onboarding/templates/")
            && !path(b).await.ends_with("/new")
    })
    .await;
    eventually("version 1", || page_has(b, "main", "Version 1")).await;
    // The saved page fills its form from the template it loads; on a busy machine that lands
    // a moment after the version line (a run beside a release build read the field empty).
    eventually("the saved step's documents", || async {
        match b.find(Locator::Id("s1-documents")).await {
            Ok(field) => {
                field.prop("value").await.ok().flatten().as_deref() == Some("Network diagram")
            }
            Err(_) => false,
        }
    })
    .await;
    wait_hydrated(b).await;
    fill(b, "#s0-title", "Security and privacy review").await;
    click(b, "save-template").await;
    eventually("saved", || page_has(b, "#template-saved", "Saved")).await;
    b.refresh().await.expect("reload");
    eventually("version 2", || page_has(b, "main", "Version 2")).await;
    snap(b, "console-onboarding-template").await;
    b.goto(&format!("{}/console/onboarding/templates", s.base))
        .await
        .expect("list");
    eventually("listed", || {
        page_has(b, "#templates-table", "Enterprise rollout")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_resolved_ticket_brings_a_survey_whose_answer_reaches_the_analytics_and_the_account() {
    let s = stack().await;
    let client = &s.browser;
    let agent = new_browser(&s.driver).await;

    // The client raises a ticket in the portal.
    raise_ticket_in_portal(
        &s,
        "Till drawer sticks shut",
        "TD-114",
        "The till drawer at desk 3 stays shut after a sale.",
    )
    .await;

    // The agent resolves it.
    sign_in_with(&agent, &s.base, "agent@steward.test", DEMO_PASSWORD).await;
    eventually("the console", || async { path(&agent).await == "/console" }).await;
    agent
        .goto(&format!("{}/console/tickets?view=all", s.base))
        .await
        .expect("goto");
    wait_hydrated(&agent).await;
    open_from_dashboard(&agent, "Till drawer sticks shut").await;
    reply_as_agent(&agent, "A new drawer is on its way; fitted tomorrow.").await;
    resolve_as_agent(&agent).await;

    // The client opens the survey link from the mail and answers: not happy.
    let link = survey_link_in_mail(&s, "client@acme.example").await;
    client
        .goto(&format!("{}{link}", s.base))
        .await
        .expect("goto survey");
    eventually("the survey", || {
        page_has(client, "legend", "How satisfied are you")
    })
    .await;
    wait_hydrated(client).await;
    client
        .find(Locator::Id("score-2"))
        .await
        .expect("score 2")
        .click()
        .await
        .expect("choose 2");
    fill(
        client,
        "#comment",
        "It came back after two days, slow answer",
    )
    .await;
    snap(client, "survey-answer").await;
    click(client, "survey-submit").await;
    eventually("the thanks", || {
        page_has(client, "#survey-thanks", "Your answer is recorded")
    })
    .await;

    // The analytics page lists the answer with its comment, searchable.
    agent
        .goto(&format!("{}/console/feedback?q=slow", s.base))
        .await
        .expect("goto feedback");
    eventually("the answer in the analytics", || {
        page_has(&agent, "#feedback-responses", "slow answer")
    })
    .await;
    assert!(text_of(&agent, "#feedback-totals").await.contains("CSAT"));
    snap(&agent, "feedback-analytics").await;

    // The account's page shows the score and the follow-up task the low score created.
    agent
        .find(Locator::Css(
            "#feedback-responses a[href^='/console/accounts/']",
        ))
        .await
        .expect("account link")
        .click()
        .await
        .expect("open account");
    eventually("the account's feedback", || {
        page_has(&agent, "#account-feedback", "CSAT 2")
    })
    .await;
    eventually("the follow-up task", || {
        page_has(&agent, "#account-tasks", "about their CSAT score")
    })
    .await;
    snap(&agent, "account-feedback").await;

    // The health section counts the new answer in its CSAT factor (the worker recomputes the
    // account when an answer arrives): what it should say, from the database.
    let mut db = sqlx::PgConnection::connect(&s.db_url).await.expect("db");
    let (satisfied, answers): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE r.score >= 4), count(*) FROM survey_request r
         JOIN account a ON a.id = r.account_id
         WHERE a.name = 'Acme Corporation' AND r.kind = 'csat' AND r.answered_at > now() - interval '90 days'",
    )
    .fetch_one(&mut db)
    .await
    .expect("answers");
    let expected = format!("({satisfied} of {answers} satisfied, 90 days)");
    let account_page = agent.current_url().await.expect("url").to_string();
    eventually(&format!("the health factor {expected}"), || {
        let (agent, page, expected) = (&agent, account_page.clone(), expected.clone());
        async move {
            if page_has(agent, "#health-factors", &expected).await {
                return true;
            }
            let _ = agent.goto(&page).await;
            false
        }
    })
    .await;
    assert!(!text_of(&agent, "#health-score").await.is_empty());
    let _ = agent.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_agent_who_opens_a_ticket_by_its_address_sees_the_clients_reply_arrive() {
    let s = stack().await;
    let client = &s.browser;
    let agent = new_browser(&s.driver).await;
    raise_ticket_in_portal(
        &s,
        "Receipt paper runs out early",
        "RP-7",
        "The roll lasts half a day since the last delivery.",
    )
    .await;
    let ticket = client
        .current_url()
        .await
        .expect("url")
        .path()
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();

    // The agent follows a link (from a mail, say): the page is rendered by the server and
    // hydrated, not reached inside the app.
    sign_in_with(&agent, &s.base, "agent@steward.test", DEMO_PASSWORD).await;
    eventually("the console", || async { path(&agent).await == "/console" }).await;
    agent
        .goto(&format!("{}/console/tickets/{ticket}", s.base))
        .await
        .expect("goto");
    eventually("the agent's ticket page", || {
        page_has(&agent, "#ticket-title", "Receipt paper runs out early")
    })
    .await;
    wait_hydrated(&agent).await;
    wait_hydrated(client).await;

    // The client adds to it; the agent's page shows it without a reload, and the agent's
    // answer reaches the client's page.
    fill(client, "#reply-body", "It is the thinner paper, I think.").await;
    click(client, "send-reply").await;
    eventually("the client's reply on the agent's page", || {
        page_has(&agent, "#conversation", "It is the thinner paper, I think.")
    })
    .await;
    reply_as_agent(&agent, "We will send the thicker rolls again.").await;
    eventually("the agent's answer in the portal", || {
        page_has(
            client,
            "#conversation",
            "We will send the thicker rolls again.",
        )
    })
    .await;
    let _ = agent.close().await;
}
