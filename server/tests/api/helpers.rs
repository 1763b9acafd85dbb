//! The test harness: a real app on port 0, a fresh PostgreSQL database per test,
//! a real SMTP server catching mail, and an HTTP client with a cookie jar.

use app::server::auth::{passwords, Caller, StaffCaller};
use app::server::{email, AppState};
use app::types::{AccountId, ContactId, Role, UserId};
use leptos::server_fn::ServerFn;
use mailin_embedded::response::{Response, OK};
use mailin_embedded::{Handler, Server};
use reqwest::header::{HeaderMap, HeaderValue, ORIGIN};
use server::config::Config;
use server::startup::Application;
use sqlx::{Connection, PgConnection, PgPool};
use std::sync::{Arc, Mutex};
use tokio::sync::watch;
use uuid::Uuid;

pub const PASSWORD: &str = "correct horse battery";

/// Mail as the SMTP server received it.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub to: Vec<String>,
    pub data: String,
}

#[derive(Clone, Default)]
struct Catcher {
    inbox: Arc<Mutex<Vec<ReceivedMail>>>,
    current: Option<ReceivedMail>,
}

impl Handler for Catcher {
    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.current = Some(ReceivedMail {
            to: to.to_vec(),
            data: String::new(),
        });
        OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        if let Some(m) = self.current.as_mut() {
            m.data.push_str(&String::from_utf8_lossy(buf));
        }
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        if let Some(m) = self.current.take() {
            if let Ok(mut inbox) = self.inbox.lock() {
                inbox.push(m);
            }
        }
        OK
    }
}

pub struct TestApp {
    pub base: String,
    pub database_url: String,
    pub db: PgPool,
    pub state: AppState,
    inbox: Arc<Mutex<Vec<ReceivedMail>>>,
    _shutdown: watch::Sender<bool>,
}

fn admin_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5434/postgres".into())
}

fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let (server, _) = base.rsplit_once('/').unwrap_or((base, ""));
    match query {
        Some(q) => format!("{server}/{name}?{q}"),
        None => format!("{server}/{name}"),
    }
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        server::telemetry::init(false);
        let name = format!("steward_test_{}", Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(&admin_url())
            .await
            .expect("connect to DATABASE_URL");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("create test database");

        let catcher = Catcher::default();
        let inbox = catcher.inbox.clone();
        let smtp = std::net::TcpListener::bind("127.0.0.1:0").expect("bind smtp");
        let smtp_port = smtp.local_addr().expect("smtp addr").port();
        let mut smtp_server = Server::new(catcher);
        // A thread per connection: the mailer keeps up to eight open between rounds.
        smtp_server
            .with_name("test-smtp")
            .with_num_threads(16)
            .with_tcp_listener(smtp);
        std::thread::spawn(move || {
            let _ = smtp_server.serve();
        });

        let site_root = std::env::var("STEWARD_SITE_ROOT")
            .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../target/site").into());
        let config = Config {
            database_url: with_database(&admin_url(), &name),
            addr: "127.0.0.1:0".parse().expect("addr"),
            public_url: "http://steward.test".into(),
            site_root: site_root.into(),
            smtp_url: Some(format!("smtp://127.0.0.1:{smtp_port}")),
            mail_from: "Steward <steward@steward.test>".into(),
            secure_cookies: false,
            db_max_connections: 5,
            request_timeout_secs: 30,
            body_limit_bytes: 64 * 1024,
            run_worker: false,
            json_logs: false,
        };
        let database_url = config.database_url.clone();
        let app = Application::build(&config).await.expect("build app");
        let base = format!("http://127.0.0.1:{}", app.port());
        let state = app.state();
        let (tx, rx) = watch::channel(false);
        tokio::spawn(app.run(Some(rx)));
        TestApp {
            base,
            database_url,
            db: state.db.clone(),
            state,
            inbox,
            _shutdown: tx,
        }
    }

    /// Ends the server's LISTEN connections for `channel` from the database side, as a
    /// database restart, a failover or an idle timeout would; waits for one to exist first.
    pub async fn drop_listening_connections(&self, channel: &str) {
        for _ in 0..250 {
            let ended: i64 = sqlx::query_scalar(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
                 WHERE datname = current_database() AND pid <> pg_backend_pid()
                   AND query LIKE 'LISTEN%' AND query LIKE '%' || $1 || '%'",
            )
            .bind(channel)
            .fetch_one(&self.db)
            .await
            .expect("terminate the listening connections");
            if ended > 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("no connection listens on {channel}");
    }

    /// A second server instance on the same database (as behind a load balancer).
    pub async fn second_instance(&self) -> (String, watch::Sender<bool>) {
        let config = Config {
            database_url: self.database_url.clone(),
            addr: "127.0.0.1:0".parse().expect("addr"),
            public_url: "http://steward.test".into(),
            site_root: concat!(env!("CARGO_MANIFEST_DIR"), "/../target/site").into(),
            smtp_url: None,
            mail_from: "Steward <steward@steward.test>".into(),
            secure_cookies: false,
            db_max_connections: 5,
            request_timeout_secs: 30,
            body_limit_bytes: 64 * 1024,
            run_worker: false,
            json_logs: false,
        };
        let app = Application::build(&config).await.expect("build second app");
        let base = format!("http://127.0.0.1:{}", app.port());
        let (tx, rx) = watch::channel(false);
        tokio::spawn(app.run(Some(rx)));
        (base, tx)
    }

    /// A browser-like client: keeps cookies and sends our Origin, as pages do.
    pub fn browser(&self) -> reqwest::Client {
        let mut headers = HeaderMap::new();
        headers.insert(ORIGIN, HeaderValue::from_str(&self.base).expect("origin"));
        reqwest::Client::builder()
            .cookie_store(true)
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
    }

    /// Calls a server function the way the browser does (form-encoded POST).
    pub async fn call<F: ServerFn>(
        &self,
        client: &reqwest::Client,
        form: &[(&str, String)],
    ) -> reqwest::Response {
        client
            .post(format!("{}{}", self.base, F::PATH))
            .header("Accept", "application/json")
            .form(form)
            .send()
            .await
            .expect("server fn request")
    }

    pub async fn staff_user(&self, role: Role) -> (UserId, String) {
        let id = UserId::new();
        let email = format!("{}-{}@steward.test", role.as_str(), unique_tag(id.0));
        let hash = passwords::hash_blocking(PASSWORD).expect("hash");
        sqlx::query(
            "INSERT INTO app_user (id, email, display_name, password_hash, kind, role) VALUES ($1, $2, $3, $4, 'staff', $5)",
        )
        .bind(id)
        .bind(&email)
        .bind(format!("Test {}", role.label()))
        .bind(hash)
        .bind(role.as_str())
        .execute(&self.db)
        .await
        .expect("insert staff");
        (id, email)
    }

    /// A client user with a password, for a new contact at `account`.
    pub async fn client_user(&self, account: AccountId) -> (UserId, ContactId, String) {
        let contact = ContactId::new();
        let id = UserId::new();
        let email = format!("client-{}@client.example", unique_tag(id.0));
        sqlx::query("INSERT INTO contact (id, account_id, first_name, last_name, status) VALUES ($1, $2, 'Cli', 'Ent', 'active')")
            .bind(contact)
            .bind(account)
            .execute(&self.db)
            .await
            .expect("insert contact");
        sqlx::query("INSERT INTO contact_email (contact_id, position, email) VALUES ($1, 0, $2)")
            .bind(contact)
            .bind(&email)
            .execute(&self.db)
            .await
            .expect("insert email");
        let hash = passwords::hash_blocking(PASSWORD).expect("hash");
        sqlx::query(
            "INSERT INTO app_user (id, email, display_name, password_hash, kind, contact_id) VALUES ($1, $2, 'Cli Ent', $3, 'client', $4)",
        )
        .bind(id)
        .bind(&email)
        .bind(hash)
        .bind(contact)
        .execute(&self.db)
        .await
        .expect("insert client");
        (id, contact, email)
    }

    pub async fn account(&self, name: &str, parent: Option<AccountId>) -> AccountId {
        let id = AccountId::new();
        sqlx::query("INSERT INTO account (id, name, account_type, status, parent_id) VALUES ($1, $2, 'customer', 'active', $3)")
            .bind(id)
            .bind(name)
            .bind(parent)
            .execute(&self.db)
            .await
            .expect("insert account");
        id
    }

    /// A browser signed in as `email`.
    pub async fn signed_in(&self, email: &str) -> reqwest::Client {
        let client = self.browser();
        let res = self
            .call::<app::api::auth::Login>(
                &client,
                &[("email", email.into()), ("password", PASSWORD.into())],
            )
            .await;
        assert_eq!(
            res.status(),
            200,
            "sign-in failed: {}",
            res.text().await.unwrap_or_default()
        );
        client
    }

    pub fn caller(role: Role) -> Caller {
        Caller::Staff(StaffCaller {
            user_id: None,
            api_key_id: None,
            role,
        })
    }

    /// An API key with `role`, as a ready client.
    pub async fn api_client(&self, role: Role) -> (reqwest::Client, String) {
        let key =
            app::server::auth::api_keys::create(&self.db, &Self::caller(Role::Admin), "test", role)
                .await
                .expect("api key");
        let mut headers = HeaderMap::new();
        headers.insert(
            reqwest::header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {}", key.secret)).expect("header"),
        );
        let client = reqwest::Client::builder()
            .default_headers(headers)
            .build()
            .expect("client");
        (client, key.secret)
    }

    /// Opens the support desk round the clock, so that SLA due times are wall-clock minutes.
    pub async fn desk_open_round_the_clock(&self) {
        sqlx::query("UPDATE business_calendar SET open_minute = '{0,0,0,0,0,0,0}', close_minute = '{1440,1440,1440,1440,1440,1440,1440}'")
            .execute(&self.db)
            .await
            .expect("calendar");
    }

    /// Runs the worker's job that follows new tickets (the desk told, their text made
    /// searchable; the worker does not run in tests); returns how many it followed.
    pub async fn follow_new_tickets(&self) -> usize {
        app::server::tickets::arrivals::follow_new_tickets(&self.state)
            .await
            .expect("follow new tickets")
    }

    /// Runs the mail worker once and returns everything the SMTP server has received.
    pub async fn deliver_mail(&self) -> Vec<ReceivedMail> {
        email::deliver_pending(&self.state, 100)
            .await
            .expect("deliver");
        self.inbox.lock().map(|i| i.clone()).unwrap_or_default()
    }
}

/// The token in the first link of a mail to `to` whose path is `path`.
pub fn token_in(mails: &[ReceivedMail], to: &str, path: &str) -> String {
    let mail = mails
        .iter()
        .rev()
        .find(|m| m.to.iter().any(|t| t.contains(to)))
        .unwrap_or_else(|| panic!("no mail to {to}: {mails:?}"));
    // Quoted-printable may fold long lines with `=\r\n`.
    let body = mail.data.replace("=\r\n", "").replace("=3D", "=");
    let marker = format!("{path}?token=");
    let start = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no {path} link in {body}"))
        + marker.len();
    body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// Eight hex digits that tell test users apart: the end of a (time-ordered, UUIDv7) id, which
/// is random; its start is the clock and repeats for a minute.
fn unique_tag(id: Uuid) -> String {
    let hex = id.simple().to_string();
    hex[hex.len() - 8..].to_string()
}
