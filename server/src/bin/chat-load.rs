//! Load tool for live chat (docs/BENCHMARKS.md, scripts/bench-chat.sh). Loopback only,
//! bounded in time.
//!
//! It writes its fixture straight into the database (setting up is not what is measured):
//! client users each with their own contact at a generated account, support agents online,
//! and conversations already active and assigned round-robin to the agents. It then signs
//! every user in through the real login endpoint and speaks protocol v1 on `/ws/chat`:
//!
//! * `idle` — N authenticated client connections held for `--seconds`; the server's RSS
//!   before the sign-ins, before connecting and while holding. Connections share the
//!   sessions of `--users` client users (one person, many tabs): ten thousand argon2
//!   sign-ins would take longer than the test.
//! * `active` — C conversations, each client sending `--rate` messages a second whose text
//!   carries the send instant; the agents' connections (on `--agent-url`, another instance,
//!   if given) receive them. Reports, after a warm-up, the rates sent, acknowledged and
//!   delivered in the window, and the delivery (client → agent) and acknowledgement
//!   latencies of the messages sent in it, followed for up to `DRAIN` after it: one still
//!   missing then counts as slower than all the others (shown as "> 10000" ms).
//! * `peak` — the same with the total rate raised in `--steps` until acknowledgements fall
//!   behind (under 95 % of the target) or delivery p99 passes `--max-p99-ms`; reports the
//!   highest rate sustained.
//!
//! Results are Markdown tables on stdout; progress goes to stderr.

use app::server::auth::passwords;
use app::types::{ClientFrame, ConversationId, ServerFrame, CHAT_PROTOCOL_VERSION};
use clap::{Parser, Subcommand};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use sqlx::PgPool;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use uuid::Uuid;

const PASSWORD: &str = "chat-load-password";
/// The server's sustained send limit per connection (`SEND_RATE` in server/src/chat.rs);
/// a step asking a connection for more than 90 % of it would measure the rate limiter.
const SERVER_SEND_RATE: f64 = 5.0;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
const SIGN_IN_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest wait, after a window, for its messages' acknowledgements and deliveries.
const DRAIN: Duration = Duration::from_secs(10);

#[derive(Parser, Debug)]
#[command(about = "Load tool for Steward's live chat (loopback only)")]
struct Cli {
    #[command(subcommand)]
    mode: Mode,
    #[command(flatten)]
    common: Common,
}

#[derive(Subcommand, Debug)]
enum Mode {
    /// Hold N authenticated client connections; report the server's memory.
    Idle {
        /// Connections to open and hold.
        #[arg(long, default_value_t = 1000)]
        connections: usize,
        /// Client users whose sessions the connections share.
        #[arg(long, default_value_t = 100)]
        users: usize,
    },
    /// Each client sends `--rate` messages a second; delivery latency client → agent.
    Active {
        /// Conversations, each with its own client user and connection.
        #[arg(long, default_value_t = 100)]
        conversations: usize,
        /// Messages a second per conversation.
        #[arg(long, default_value_t = 1.0)]
        rate: f64,
    },
    /// Raise the total rate in steps until acknowledgements fall behind.
    Peak {
        /// Conversations, each with its own client user and connection. The server lets a
        /// connection send 5 messages a second, so a step may ask for up to 4.5 × this.
        #[arg(long, default_value_t = 2000)]
        conversations: usize,
        /// Total rates to try, messages a second, over all conversations.
        #[arg(
            long,
            value_delimiter = ',',
            default_value = "500,1000,2000,3000,4000,6000,8000"
        )]
        steps: Vec<f64>,
        /// A step whose delivery p99 exceeds this (milliseconds) is not sustained.
        #[arg(long, default_value_t = 1000.0)]
        max_p99_ms: f64,
    },
}

#[derive(clap::Args, Debug)]
struct Common {
    /// Where clients connect (and agents too, unless --agent-url).
    #[arg(long, global = true, default_value = "http://127.0.0.1:3000")]
    url: String,
    /// Where agents connect: another instance, to measure the fan-out between instances.
    #[arg(long, global = true)]
    agent_url: Option<String>,
    /// The database the servers use; the fixture is written into it.
    #[arg(long, global = true, env = "DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// Seconds to hold (idle) or to measure (active; each step of peak).
    #[arg(long, global = true, default_value_t = 20)]
    seconds: u64,
    /// Seconds of sending before measuring (active, peak).
    #[arg(long, global = true, default_value_t = 3)]
    warmup: u64,
    /// Server processes whose RSS to report (repeat for two instances: the clients' first).
    #[arg(long, global = true)]
    server_pid: Vec<u32>,
    /// Sign-ins at once (argon2 is deliberately slow).
    #[arg(long, global = true, default_value_t = 8)]
    login_concurrency: usize,
    /// Conversations per agent (agent_presence.max_chats allows 50).
    #[arg(long, global = true, default_value_t = 40)]
    chats_per_agent: usize,
    /// Give up if signing in and connecting take longer than this many seconds.
    #[arg(long, global = true, default_value_t = 900)]
    setup_timeout: u64,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;
type Sink = SplitSink<Ws, Message>;
type Pending = Arc<Mutex<HashMap<Uuid, u64>>>;

// ---------------------------------------------------------------------------------------
// Targets, limits, process figures

/// `host:port` of an `http://` URL on loopback; anything else is refused.
fn loopback(url: &str) -> Result<String, BoxError> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("{url}: only http:// URLs on loopback"))?;
    let hostport = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let (host, port) = match hostport.strip_prefix("[::1]") {
        Some(port) => ("[::1]", port),
        None => hostport
            .split_once(':')
            .map_or((hostport, ""), |(h, p)| (h, p)),
    };
    if !matches!(host, "127.0.0.1" | "localhost" | "[::1]") {
        return Err(format!("refusing a target that is not loopback: {host:?}").into());
    }
    let port = match port.strip_prefix(':').unwrap_or(port) {
        "" => 80,
        p => p
            .parse::<u16>()
            .map_err(|e| format!("{url}: bad port: {e}"))?,
    };
    Ok(format!("{host}:{port}"))
}

/// The fixture goes into a database on this machine only.
fn local_database(url: &str) -> Result<(), BoxError> {
    let rest = url
        .split_once("://")
        .map(|(_, r)| r)
        .ok_or("DATABASE_URL is not a URL")?;
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if hostport.starts_with('[') {
        hostport
            .split(']')
            .next()
            .map(|h| format!("{h}]"))
            .unwrap_or_default()
    } else {
        hostport.split(':').next().unwrap_or_default().to_string()
    };
    let socket = host.is_empty() && (url.contains("host=/") || url.contains("host=%2F"));
    if socket || matches!(host.as_str(), "127.0.0.1" | "localhost" | "[::1]") {
        Ok(())
    } else {
        Err(format!("refusing to write a fixture into a database not on loopback: {host:?}").into())
    }
}

fn proc_field(pid: u32, file: &str, key: &str) -> Option<String> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/{file}")).ok()?;
    text.lines()
        .find(|l| l.starts_with(key))
        .map(|l| l[key.len()..].trim().to_string())
}

fn rss_kib(pid: u32) -> Option<u64> {
    proc_field(pid, "status", "VmRSS:")?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn open_fds(pid: u32) -> Option<usize> {
    Some(std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count())
}

/// The soft and hard limits on open files of a process.
fn nofile(pid: u32) -> Option<(u64, u64)> {
    let line = proc_field(pid, "limits", "Max open files")?;
    let mut it = line.split_whitespace().map(|v| match v {
        "unlimited" => Some(u64::MAX),
        v => v.parse().ok(),
    });
    Some((it.next()??, it.next()??))
}

/// Raises this process's soft limit on open files to what `needed` takes (up to the hard
/// limit). There is no safe setrlimit in our dependencies and unsafe code is forbidden, so
/// util-linux's prlimit does it; failing that, the caller's shell must (`ulimit -n`).
fn raise_open_files(needed: u64) -> Result<(), BoxError> {
    let me = std::process::id();
    let Some((soft, hard)) = nofile(me) else {
        return Ok(());
    };
    if soft >= needed {
        return Ok(());
    }
    let target = needed.max(soft).min(hard);
    let raised = std::process::Command::new("prlimit")
        .arg(format!("--pid={me}"))
        .arg(format!("--nofile={target}:"))
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    let now = nofile(me).map_or(soft, |(s, _)| s);
    if now >= needed {
        eprintln!("open files: soft limit raised from {soft} to {now}");
        Ok(())
    } else {
        Err(format!(
            "{needed} open files needed, the limit is {now} (hard {hard}{}); run `ulimit -n {needed}` first",
            if raised { "" } else { ", prlimit failed" }
        )
        .into())
    }
}

fn warn_server_limits(pids: &[u32], needed: u64) {
    for pid in pids {
        if let Some((soft, _)) = nofile(*pid) {
            if soft < needed {
                eprintln!("warning: server {pid} may open only {soft} files; {needed} connections need more");
            }
        }
    }
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// RSS of each server process, in KiB.
fn rss_all(pids: &[u32]) -> Vec<Option<u64>> {
    pids.iter().map(|p| rss_kib(*p)).collect()
}

/// The servers' RSS in one cell: `52 MiB`, or `1031 / 82 MiB` for two instances.
fn rss_cell(rss: &[Option<u64>]) -> String {
    if rss.is_empty() {
        return "—".into();
    }
    let v: Vec<String> = rss
        .iter()
        .map(|r| r.map_or("—".into(), |k| format!("{:.0}", k as f64 / 1024.0)))
        .collect();
    format!("{} MiB", v.join(" / "))
}

// ---------------------------------------------------------------------------------------
// Signing in and connecting

fn form_encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Signs in through the Login server function (`POST /api/login`) and returns the
/// `steward_session=…` cookie.
async fn sign_in(hostport: &str, email: &str) -> Result<String, BoxError> {
    let body = format!(
        "email={}&password={}",
        form_encode(email),
        form_encode(PASSWORD)
    );
    let request = format!(
        "POST /api/login HTTP/1.1\r\nHost: {hostport}\r\nOrigin: http://{hostport}\r\n\
         Accept: application/json\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let exchange = async {
        let mut stream = TcpStream::connect(hostport).await?;
        stream.write_all(request.as_bytes()).await?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await?;
        Ok::<_, std::io::Error>(response)
    };
    let response = tokio::time::timeout(SIGN_IN_TIMEOUT, exchange)
        .await
        .map_err(|_| format!("sign-in of {email} timed out"))??;
    let text = String::from_utf8_lossy(&response);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.lines().next().unwrap_or_default();
    if !status.starts_with("HTTP/1.1 200") {
        let body: String = body.chars().take(200).collect();
        return Err(format!("sign-in failed for {email}: {status} {body}").into());
    }
    head.lines()
        .filter_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("set-cookie")
                .then(|| value.trim())
        })
        .find(|v| v.starts_with("steward_session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_string)
        .ok_or_else(|| format!("sign-in of {email}: no session cookie").into())
}

async fn sign_in_all(
    hostport: &str,
    emails: &[String],
    concurrency: usize,
) -> Result<Vec<String>, BoxError> {
    let started = Instant::now();
    let cookies = futures_util::stream::iter(emails.iter())
        .map(|email| sign_in(hostport, email))
        .buffered(concurrency.max(1))
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    eprintln!(
        "signed in {} users on {hostport} in {:.1}s",
        emails.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(cookies)
}

/// Opens `/ws/chat` with the session cookie and our Origin, says hello, waits for welcome.
async fn open(hostport: &str, cookie: &str) -> Result<Ws, BoxError> {
    let mut req = format!("ws://{hostport}/ws/chat").into_client_request()?;
    req.headers_mut()
        .insert("Cookie", HeaderValue::from_str(cookie)?);
    req.headers_mut().insert(
        "Origin",
        HeaderValue::from_str(&format!("http://{hostport}"))?,
    );
    // Small read buffers: ten thousand sockets of the default 128 KiB would cost this
    // process more than the server it measures.
    let config = WebSocketConfig::default().read_buffer_size(4096);
    let handshake = async {
        let (mut ws, _) =
            tokio_tungstenite::connect_async_with_config(req, Some(config), true).await?;
        let hello = ClientFrame::Hello {
            v: CHAT_PROTOCOL_VERSION,
            resume: vec![],
        };
        ws.send(Message::text(serde_json::to_string(&hello)?))
            .await?;
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(t))) => match serde_json::from_str::<ServerFrame>(&t) {
                    Ok(ServerFrame::Welcome { .. }) => return Ok::<_, BoxError>(ws),
                    Ok(ServerFrame::Error { code, message, .. }) => {
                        return Err(format!("refused: {code}: {message}").into())
                    }
                    _ => continue,
                },
                Some(Ok(Message::Close(f))) => {
                    return Err(format!("closed before welcome: {f:?}").into())
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(e.into()),
                None => return Err("closed before welcome".into()),
            }
        }
    };
    tokio::time::timeout(CONNECT_TIMEOUT, handshake)
        .await
        .map_err(|_| "no welcome within 30 s")?
}

/// Opens one connection per cookie, `concurrency` at a time, in order; errors kept.
async fn open_many(
    hostport: &str,
    cookies: impl Iterator<Item = &String>,
    concurrency: usize,
) -> Vec<Result<Ws, BoxError>> {
    futures_util::stream::iter(cookies)
        .map(|cookie| open(hostport, cookie))
        .buffered(concurrency)
        .collect()
        .await
}

// ---------------------------------------------------------------------------------------
// Fixture

/// Users and conversations created for this run (`load-<tag>-…@load.test`).
struct Fixture {
    client_emails: Vec<String>,
    agent_emails: Vec<String>,
    /// Conversation i belongs to client i.
    conversations: Vec<Uuid>,
}

async fn fixture(
    db: &PgPool,
    clients: usize,
    conversations: usize,
    per_agent: usize,
) -> Result<Fixture, BoxError> {
    let started = Instant::now();
    // One hash for everyone: argon2 takes tens of milliseconds on purpose.
    let hash = tokio::task::spawn_blocking(|| passwords::hash_blocking(PASSWORD))
        .await?
        .map_err(|e| format!("hashing the password: {e:?}"))?;
    let tag = Uuid::new_v4().simple().to_string()[..8].to_string();
    let mut tx = db.begin().await?;
    let account = Uuid::new_v4();
    sqlx::query(
        "INSERT INTO account (id, name, account_type, status) VALUES ($1, $2, 'customer', 'active')",
    )
    .bind(account)
    .bind(format!("Chat load {tag}"))
    .execute(&mut *tx)
    .await?;
    let contacts: Vec<Uuid> = (0..clients).map(|_| Uuid::new_v4()).collect();
    let users: Vec<Uuid> = (0..clients).map(|_| Uuid::new_v4()).collect();
    let client_emails: Vec<String> = (0..clients)
        .map(|i| format!("load-{tag}-c{i}@load.test"))
        .collect();
    sqlx::query(
        "INSERT INTO contact (id, account_id, first_name, last_name, status)
         SELECT c, $2, 'Load', 'Client ' || n, 'active'
         FROM unnest($1::uuid[]) WITH ORDINALITY AS t(c, n)",
    )
    .bind(&contacts)
    .bind(account)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO contact_email (contact_id, position, email)
         SELECT c, 0, e FROM unnest($1::uuid[], $2::text[]) AS t(c, e)",
    )
    .bind(&contacts)
    .bind(&client_emails)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO app_user (id, email, display_name, password_hash, kind, contact_id)
         SELECT u, e, 'Load client', $4, 'client', c
         FROM unnest($1::uuid[], $2::text[], $3::uuid[]) AS t(u, e, c)",
    )
    .bind(&users)
    .bind(&client_emails)
    .bind(&contacts)
    .bind(&hash)
    .execute(&mut *tx)
    .await?;
    let per_agent = per_agent.clamp(1, 50);
    let agents = conversations.div_ceil(per_agent);
    let agent_ids: Vec<Uuid> = (0..agents).map(|_| Uuid::new_v4()).collect();
    let agent_emails: Vec<String> = (0..agents)
        .map(|i| format!("load-{tag}-a{i}@load.test"))
        .collect();
    sqlx::query(
        "INSERT INTO app_user (id, email, display_name, password_hash, kind, role)
         SELECT u, e, 'Load agent', $3, 'staff', 'support_agent'
         FROM unnest($1::uuid[], $2::text[]) AS t(u, e)",
    )
    .bind(&agent_ids)
    .bind(&agent_emails)
    .bind(&hash)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO agent_presence (user_id, status, max_chats, seen_at)
         SELECT u, 'online', 50, now() FROM unnest($1::uuid[]) u",
    )
    .bind(&agent_ids)
    .execute(&mut *tx)
    .await?;
    let conv_ids: Vec<Uuid> = (0..conversations).map(|_| Uuid::new_v4()).collect();
    let assignees: Vec<Uuid> = (0..conversations)
        .filter_map(|i| agent_ids.get(i % agents.max(1)).copied())
        .collect();
    sqlx::query(
        "INSERT INTO chat_conversation (id, account_id, contact_id, client_user_id, client_name,
                                        topic, status, assignee_id, accepted_at)
         SELECT id, $5, c, u, 'Load client', 'Load test', 'active', a, now()
         FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[]) AS t(id, c, u, a)",
    )
    .bind(&conv_ids)
    .bind(&contacts[..conversations])
    .bind(&users[..conversations])
    .bind(&assignees)
    .bind(account)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    eprintln!(
        "fixture {tag}: {clients} clients, {agents} agents, {conversations} active conversations ({:.1}s)",
        started.elapsed().as_secs_f64()
    );
    Ok(Fixture {
        client_emails,
        agent_emails,
        conversations: conv_ids,
    })
}

// ---------------------------------------------------------------------------------------
// Idle

async fn idle(c: &Common, db: &PgPool, connections: usize, users: usize) -> Result<(), BoxError> {
    let host = loopback(&c.url)?;
    raise_open_files(connections as u64 + 256)?;
    warn_server_limits(&c.server_pid, connections as u64 + 64);
    let rss_start = rss_all(&c.server_pid);
    let users = users.clamp(1, connections.max(1));
    let fx = fixture(db, users, 0, c.chats_per_agent).await?;
    let cookies = tokio::time::timeout(
        Duration::from_secs(c.setup_timeout),
        sign_in_all(&host, &fx.client_emails, c.login_concurrency),
    )
    .await
    .map_err(|_| "signing in took longer than --setup-timeout")??;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_before = rss_all(&c.server_pid);
    let fds_before: Vec<Option<usize>> = c.server_pid.iter().map(|p| open_fds(*p)).collect();

    let started = Instant::now();
    let opened = tokio::time::timeout(
        Duration::from_secs(c.setup_timeout),
        open_many(&host, cookies.iter().cycle().take(connections), 64),
    )
    .await
    .map_err(|_| "connecting took longer than --setup-timeout")?;
    let open_secs = started.elapsed().as_secs_f64();
    let mut sockets = Vec::with_capacity(connections);
    let mut failures: BTreeMap<String, usize> = BTreeMap::new();
    for ws in opened {
        match ws {
            Ok(ws) => sockets.push(ws),
            Err(e) => *failures.entry(e.to_string()).or_default() += 1,
        }
    }
    for (e, n) in &failures {
        eprintln!("{n} connections failed: {e}");
    }
    let failed: usize = failures.values().sum();
    let opened = sockets.len();
    eprintln!(
        "{opened} connections open in {open_secs:.1}s; holding {}s",
        c.seconds
    );

    // Keep reading: the server's heartbeats and pings are answered while reading.
    let alive = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::with_capacity(opened);
    for mut ws in sockets {
        let alive = alive.clone();
        alive.fetch_add(1, Ordering::Relaxed);
        tasks.push(tokio::spawn(async move {
            while let Some(Ok(m)) = ws.next().await {
                if matches!(m, Message::Close(_)) {
                    break;
                }
            }
            alive.fetch_sub(1, Ordering::Relaxed);
        }));
    }
    let rss_opened = rss_all(&c.server_pid);
    // Sample through the hold; report the highest and the last.
    let mut rss_peak: Vec<Option<u64>> = rss_opened.clone();
    let hold_until = Instant::now() + Duration::from_secs(c.seconds);
    while Instant::now() < hold_until {
        tokio::time::sleep(Duration::from_secs(1).min(hold_until - Instant::now())).await;
        for (peak, now) in rss_peak.iter_mut().zip(rss_all(&c.server_pid)) {
            *peak = match (*peak, now) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
        }
    }
    let rss_held = rss_all(&c.server_pid);
    let fds_held: Vec<Option<usize>> = c.server_pid.iter().map(|p| open_fds(*p)).collect();
    let still_open = alive.load(Ordering::Relaxed);
    let own = rss_kib(std::process::id());

    let mut out = String::new();
    let _ = writeln!(out, "| measure | value |");
    let _ = writeln!(out, "| --- | --- |");
    let _ = writeln!(
        out,
        "| connections opened ({users} client users' sessions) | {opened} of {connections} in {open_secs:.1} s ({:.0}/s), {failed} failed |",
        opened as f64 / open_secs.max(0.001)
    );
    let _ = writeln!(
        out,
        "| still open after holding {} s | {still_open} |",
        c.seconds
    );
    for (i, pid) in c.server_pid.iter().enumerate() {
        let who = if c.server_pid.len() > 1 {
            format!("server {pid} ")
        } else {
            "server ".to_string()
        };
        let row = |out: &mut String, label: &str, v: Option<u64>| {
            if let Some(v) = v {
                let _ = writeln!(out, "| {who}RSS {label} | {} |", mib(v));
            }
        };
        row(
            &mut out,
            "before the sign-ins",
            rss_start.get(i).copied().flatten(),
        );
        row(
            &mut out,
            &format!("after {users} sign-ins (argon2), before connecting"),
            rss_before.get(i).copied().flatten(),
        );
        row(
            &mut out,
            &format!("with {opened} connections open"),
            rss_opened.get(i).copied().flatten(),
        );
        row(
            &mut out,
            &format!("holding them, highest over {} s", c.seconds),
            rss_peak.get(i).copied().flatten(),
        );
        row(
            &mut out,
            &format!("holding them, at {} s", c.seconds),
            rss_held.get(i).copied().flatten(),
        );
        if let (Some(Some(b)), Some(Some(h))) = (rss_before.get(i), rss_held.get(i)) {
            if opened > 0 {
                let _ = writeln!(
                    out,
                    "| {who}RSS per connection | {:.1} KiB |",
                    (*h as f64 - *b as f64) / opened as f64
                );
            }
        }
        if let (Some(Some(b)), Some(Some(h))) = (fds_before.get(i), fds_held.get(i)) {
            let _ = writeln!(out, "| {who}open files before / holding | {b} / {h} |");
        }
    }
    if let Some(own) = own {
        let _ = writeln!(out, "| load tool RSS holding | {} |", mib(own));
    }
    print!("{out}");
    for t in tasks {
        t.abort();
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Active and peak

/// A latency percentile over the messages sent in the window; a message still missing
/// after the drain counts as slower than everything received.
#[derive(Clone, Copy, Debug)]
enum Pct {
    None,
    Ms(f64),
    Missing,
}

impl Pct {
    fn of(sorted: &[u64], expected: usize, p: f64) -> Pct {
        let total = expected.max(sorted.len());
        if total == 0 {
            return Pct::None;
        }
        let rank = ((total as f64) * p).ceil() as usize;
        match sorted.get(rank.clamp(1, total) - 1) {
            Some(v) => Pct::Ms(*v as f64 / 1000.0),
            None => Pct::Missing,
        }
    }

    fn max(sorted: &[u64], expected: usize) -> Pct {
        Pct::of(sorted, expected, 1.0)
    }

    /// Above `limit` milliseconds, or missing.
    fn above(self, limit: f64) -> bool {
        match self {
            Pct::Ms(v) => v > limit,
            Pct::Missing => true,
            Pct::None => false,
        }
    }
}

impl std::fmt::Display for Pct {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Pct::None => f.write_str("—"),
            Pct::Ms(v) if *v >= 100.0 => write!(f, "{v:.0}"),
            Pct::Ms(v) => write!(f, "{v:.1}"),
            // Milliseconds, like the figures beside it.
            Pct::Missing => write!(f, "> {}", DRAIN.as_millis()),
        }
    }
}

/// Counters for one run (a step of peak). The window is in microseconds of the tool's
/// clock: latencies are those of messages *sent* in it (followed through the drain after
/// it, so that slow messages are not left out); rates count what *arrived* in it.
struct Stats {
    window: (u64, u64),
    /// Sent in the window.
    sent: AtomicU64,
    /// Arrived in the window, whenever sent: throughput.
    acked_in_window: AtomicU64,
    delivered_in_window: AtomicU64,
    /// Latencies of the messages sent in the window, in microseconds.
    delivery_us: Mutex<Vec<u64>>,
    ack_us: Mutex<Vec<u64>>,
    /// Error frames by code, closes and broken connections, for the whole run.
    errors: Mutex<BTreeMap<String, u64>>,
}

impl Stats {
    fn new(window: (u64, u64)) -> Self {
        Stats {
            window,
            sent: AtomicU64::new(0),
            acked_in_window: AtomicU64::new(0),
            delivered_in_window: AtomicU64::new(0),
            delivery_us: Mutex::default(),
            ack_us: Mutex::default(),
            errors: Mutex::default(),
        }
    }

    fn in_window(&self, us: u64) -> bool {
        us >= self.window.0 && us < self.window.1
    }

    /// A message sent at `sent` arrived at `now` (as an ack or at an agent).
    fn arrived(&self, sent: Option<u64>, now: u64, counter: &AtomicU64, samples: &Mutex<Vec<u64>>) {
        if self.in_window(now) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(sent) = sent.filter(|s| self.in_window(*s)) {
            if let Ok(mut v) = samples.lock() {
                v.push(now.saturating_sub(sent));
            }
        }
    }

    fn samples(&self, which: &Mutex<Vec<u64>>) -> Vec<u64> {
        let mut v = which.lock().map(|v| v.clone()).unwrap_or_default();
        v.sort_unstable();
        v
    }

    fn delivered_count(&self) -> usize {
        self.delivery_us.lock().map(|v| v.len()).unwrap_or(0)
    }

    fn error(&self, what: String) {
        if let Ok(mut e) = self.errors.lock() {
            *e.entry(what).or_default() += 1;
        }
    }

    fn error_count(&self) -> u64 {
        self.errors.lock().map(|e| e.values().sum()).unwrap_or(0)
    }

    fn error_text(&self) -> String {
        let e = self.errors.lock().map(|e| e.clone()).unwrap_or_default();
        if e.is_empty() {
            return "0".into();
        }
        e.iter()
            .map(|(k, v)| format!("{v} {k}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The stats the readers record into: swapped for each step.
#[derive(Clone)]
struct Current(Arc<RwLock<Arc<Stats>>>);

impl Current {
    fn new() -> Self {
        Current(Arc::new(RwLock::new(Arc::new(Stats::new((0, 0))))))
    }

    fn get(&self) -> Arc<Stats> {
        self.0
            .read()
            .map(|s| s.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    fn set(&self, stats: Arc<Stats>) {
        match self.0.write() {
            Ok(mut s) => *s = stats,
            Err(p) => *p.into_inner() = stats,
        }
    }
}

fn micros(clock: Instant) -> u64 {
    clock.elapsed().as_micros() as u64
}

fn end_reason(msg: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>) -> String {
    match msg {
        Some(Ok(Message::Close(Some(f)))) => format!("closed {} {}", u16::from(f.code), f.reason),
        Some(Err(e)) => format!("connection error: {e}"),
        _ => "closed".into(),
    }
}

/// The next text frame, skipping control frames; `Err` with why the connection ended.
async fn next_text(stream: &mut SplitStream<Ws>) -> Result<Utf8Bytes, String> {
    loop {
        match stream.next().await {
            Some(Ok(Message::Text(t))) => return Ok(t),
            Some(Ok(
                Message::Ping(_) | Message::Pong(_) | Message::Binary(_) | Message::Frame(_),
            )) => {}
            other => return Err(end_reason(other)),
        }
    }
}

/// A client's incoming side for the whole run: acknowledgements and errors.
fn client_reader(mut stream: SplitStream<Ws>, pending: Pending, current: Current, clock: Instant) {
    tokio::spawn(async move {
        loop {
            let t = match next_text(&mut stream).await {
                Ok(t) => t,
                Err(why) => {
                    current.get().error(format!("client {why}"));
                    return;
                }
            };
            let now = micros(clock);
            match serde_json::from_str::<ServerFrame>(&t) {
                Ok(ServerFrame::Ack { client_msg_id, .. }) => {
                    let sent = pending
                        .lock()
                        .ok()
                        .and_then(|mut p| p.remove(&client_msg_id));
                    let s = current.get();
                    s.arrived(sent, now, &s.acked_in_window, &s.ack_us);
                }
                Ok(ServerFrame::Error { code, .. }) => current.get().error(code),
                _ => {}
            }
        }
    });
}

/// An agent's incoming side: every message carrying a send instant is a delivery.
fn agent_reader(mut stream: SplitStream<Ws>, current: Current, clock: Instant) {
    tokio::spawn(async move {
        loop {
            let t = match next_text(&mut stream).await {
                Ok(t) => t,
                Err(why) => {
                    current.get().error(format!("agent {why}"));
                    return;
                }
            };
            let now = micros(clock);
            match serde_json::from_str::<ServerFrame>(&t) {
                Ok(ServerFrame::Message { message }) => {
                    let Some(sent) = message
                        .body
                        .strip_prefix("t=")
                        .and_then(|v| v.parse::<u64>().ok())
                    else {
                        continue;
                    };
                    let s = current.get();
                    s.arrived(Some(sent), now, &s.delivered_in_window, &s.delivery_us);
                }
                Ok(ServerFrame::Error { code, .. }) => current.get().error(format!("agent {code}")),
                _ => {}
            }
        }
    });
}

/// A client's outgoing side for one step: a message every `period` until `until`.
#[allow(clippy::too_many_arguments)]
async fn sender(
    conversation: Uuid,
    mut sink: Sink,
    pending: Pending,
    stats: Arc<Stats>,
    first: tokio::time::Instant,
    period: Duration,
    until: tokio::time::Instant,
    clock: Instant,
) -> Option<Sink> {
    let mut tick = tokio::time::interval_at(first, period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let at = tick.tick().await;
        if at >= until {
            return Some(sink);
        }
        let id = Uuid::new_v4();
        let now = micros(clock);
        if let Ok(mut p) = pending.lock() {
            p.insert(id, now);
        }
        let frame = ClientFrame::Send {
            conversation_id: ConversationId(conversation),
            client_msg_id: id,
            text: format!("t={now}"),
            whisper: false,
        };
        let Ok(text) = serde_json::to_string(&frame) else {
            return Some(sink);
        };
        // A server that stops reading must not hold the tool past its time.
        match tokio::time::timeout_at(until + DRAIN, sink.send(Message::text(text))).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                stats.error(format!("send failed: {e}"));
                return None;
            }
            Err(_) => {
                stats.error("send stalled".into());
                return None;
            }
        }
        if stats.in_window(now) {
            stats.sent.fetch_add(1, Ordering::Relaxed);
        }
    }
}

struct Client {
    conversation: Uuid,
    sink: Option<Sink>,
    pending: Pending,
}

/// What one step measured.
struct StepResult {
    target: f64,
    achieved: f64,
    p50: Pct,
    p90: Pct,
    p99: Pct,
    ack_p50: Pct,
    ack_p99: Pct,
    lost_connections: bool,
    row: String,
}

/// Runs all clients at `total` messages a second for warm-up plus the window, then waits
/// (up to `DRAIN`) for the window's messages to be acknowledged and delivered.
async fn step(
    c: &Common,
    clients: &mut [Client],
    total: f64,
    current: &Current,
    clock: Instant,
) -> StepResult {
    let n = clients.len().max(1);
    let (base, base_us) = (tokio::time::Instant::now(), micros(clock));
    let at = |us: u64| base + Duration::from_micros(us.saturating_sub(base_us));
    let start_us = base_us + 200_000;
    let window = (
        start_us + c.warmup * 1_000_000,
        start_us + (c.warmup + c.seconds) * 1_000_000,
    );
    let stats = Arc::new(Stats::new(window));
    current.set(stats.clone());
    let period = Duration::from_secs_f64(n as f64 / total.max(0.001));
    let mut tasks = Vec::with_capacity(n);
    for (i, client) in clients.iter_mut().enumerate() {
        let Some(sink) = client.sink.take() else {
            tasks.push(None);
            continue;
        };
        // Spread the clients' sends evenly over the period.
        let first = at(start_us) + period.mul_f64(i as f64 / n as f64);
        tasks.push(Some(tokio::spawn(sender(
            client.conversation,
            sink,
            client.pending.clone(),
            stats.clone(),
            first,
            period,
            at(window.1),
            clock,
        ))));
    }
    let mut lost_connections = false;
    for (client, task) in clients.iter_mut().zip(tasks) {
        if let Some(task) = task {
            client.sink = task.await.ok().flatten();
        }
        lost_connections |= client.sink.is_none();
    }
    tokio::time::sleep_until(at(window.1)).await;
    // Follow the window's messages to their ack and their agent.
    let sent = stats.sent.load(Ordering::Relaxed) as usize;
    let drain_until = Instant::now() + DRAIN;
    while Instant::now() < drain_until
        && (stats.delivered_count() < sent
            || clients
                .iter()
                .any(|cl| cl.pending.lock().map(|p| !p.is_empty()).unwrap_or(false)))
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for cl in clients.iter() {
        if let Ok(mut p) = cl.pending.lock() {
            p.clear();
        }
    }

    let secs = c.seconds.max(1) as f64;
    let d = stats.samples(&stats.delivery_us);
    let a = stats.samples(&stats.ack_us);
    let acked_rate = stats.acked_in_window.load(Ordering::Relaxed) as f64 / secs;
    let delivered_rate = stats.delivered_in_window.load(Ordering::Relaxed) as f64 / secs;
    let result = StepResult {
        target: total,
        achieved: acked_rate,
        p50: Pct::of(&d, sent, 0.5),
        p90: Pct::of(&d, sent, 0.9),
        p99: Pct::of(&d, sent, 0.99),
        ack_p50: Pct::of(&a, sent, 0.5),
        ack_p99: Pct::of(&a, sent, 0.99),
        lost_connections,
        row: String::new(),
    };
    let row = format!(
        "| {total:.0} | {:.0} | {acked_rate:.0} | {delivered_rate:.0} | {} | {} | {} | {} | {} | {} | {sent} / {} / {} | {} | {} |",
        sent as f64 / secs,
        result.p50,
        result.p90,
        result.p99,
        Pct::max(&d, sent),
        result.ack_p50,
        result.ack_p99,
        a.len(),
        d.len(),
        stats.error_text(),
        rss_cell(&rss_all(&c.server_pid)),
    );
    eprintln!(
        "{total:.0} msg/s: {acked_rate:.0} acked/s, delivery p50 {} p99 {} ms, errors {}",
        result.p50,
        result.p99,
        stats.error_count()
    );
    StepResult { row, ..result }
}

/// Rates are what arrived in the window; latencies and counts follow the messages sent in it.
const STEP_HEADER: &str = "| target msg/s | sent/s | acked/s | delivered/s | delivery p50 ms | p90 | p99 | max | ack p50 ms | ack p99 | sent / acked / delivered | errors | server RSS |\n\
                           | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |";

async fn active(
    c: &Common,
    db: &PgPool,
    n: usize,
    rates: &[f64],
    max_p99_ms: Option<f64>,
) -> Result<(), BoxError> {
    if n == 0 {
        return Err("--conversations must be at least 1".into());
    }
    let client_host = loopback(&c.url)?;
    let agent_host = loopback(c.agent_url.as_deref().unwrap_or(&c.url))?;
    let per_connection_cap = SERVER_SEND_RATE * 0.9;
    raise_open_files(n as u64 + (n / c.chats_per_agent.max(1)) as u64 + 256)?;
    warn_server_limits(&c.server_pid, n as u64 + 64);
    let rss_start = rss_all(&c.server_pid);
    let fx = fixture(db, n, n, c.chats_per_agent).await?;
    let setup = async {
        let client_cookies =
            sign_in_all(&client_host, &fx.client_emails, c.login_concurrency).await?;
        let agent_cookies = sign_in_all(&agent_host, &fx.agent_emails, c.login_concurrency).await?;
        // Agents first, so that they follow their conversations before anyone writes.
        let mut agents = Vec::new();
        for ws in open_many(&agent_host, agent_cookies.iter(), 16).await {
            agents.push(ws.map_err(|e| format!("agent connection: {e}"))?);
        }
        let mut clients = Vec::new();
        for ws in open_many(&client_host, client_cookies.iter(), 64).await {
            clients.push(ws.map_err(|e| format!("client connection: {e}"))?);
        }
        Ok::<_, BoxError>((agents, clients))
    };
    let (agents, client_socks) = tokio::time::timeout(Duration::from_secs(c.setup_timeout), setup)
        .await
        .map_err(|_| "signing in and connecting took longer than --setup-timeout")??;
    eprintln!(
        "{} client connections on {client_host}, {} agent connections on {agent_host}",
        client_socks.len(),
        agents.len()
    );
    let rss_connected = rss_all(&c.server_pid);

    let clock = Instant::now();
    let current = Current::new();
    for ws in agents {
        let (_sink, stream) = ws.split();
        // Agents only listen; their sink is dropped (the reader answers pings).
        agent_reader(stream, current.clone(), clock);
    }
    let mut clients: Vec<Client> = Vec::with_capacity(n);
    for (conversation, ws) in fx.conversations.iter().zip(client_socks) {
        let (sink, stream) = ws.split();
        let pending = Pending::default();
        client_reader(stream, pending.clone(), current.clone(), clock);
        clients.push(Client {
            conversation: *conversation,
            sink: Some(sink),
            pending,
        });
    }

    let topology = if c.agent_url.is_some() && agent_host != client_host {
        "two instances (clients and agents apart)"
    } else {
        "one instance"
    };
    let mut rows = Vec::new();
    let mut best: Option<StepResult> = None;
    // Why the steps ended: the server fell behind, or the next step needs more connections.
    let mut stopped: Option<String> = None;
    let mut capped = false;
    for &total in rates {
        if total / n as f64 > per_connection_cap {
            stopped = Some(format!(
                "before {total:.0} msg/s: it would ask each of {n} connections for {:.1} messages a second, \
                 past the server's limit of {SERVER_SEND_RATE} per connection; run with at least {:.0} conversations",
                total / n as f64,
                (total / per_connection_cap).ceil()
            ));
            capped = true;
            break;
        }
        let result = step(c, &mut clients, total, &current, clock).await;
        rows.push(result.row.clone());
        let Some(limit) = max_p99_ms else { continue };
        let behind = result.achieved < 0.95 * result.target;
        let slow = result.p99.above(limit) || matches!(result.p99, Pct::None);
        if behind || slow || result.lost_connections {
            stopped =
                Some(format!(
                "at {total:.0} msg/s: {:.0} acknowledged a second ({:.0} %), delivery p99 {} ms{}",
                result.achieved,
                100.0 * result.achieved / total,
                result.p99,
                if result.lost_connections { ", connections lost" } else { "" }
            ));
            break;
        }
        best = Some(result);
    }

    println!(
        "{n} conversations, {} agents, {topology}; {} s measured after {} s of warm-up{}.",
        fx.agent_emails.len(),
        c.seconds,
        c.warmup,
        if max_p99_ms.is_some() {
            " per step"
        } else {
            ""
        }
    );
    if !c.server_pid.is_empty() {
        let which = if c.server_pid.len() > 1 {
            " (clients' instance / agents' instance)"
        } else {
            ""
        };
        println!(
            "Server RSS{which}: {} at start, {} after the sign-ins (argon2) and connections.",
            rss_cell(&rss_start),
            rss_cell(&rss_connected)
        );
    }
    println!();
    println!("{STEP_HEADER}");
    for r in &rows {
        println!("{r}");
    }
    if max_p99_ms.is_some() {
        println!();
        match &best {
            Some(b) => println!(
                "Highest rate sustained{}: {:.0} msg/s ({:.0} acknowledged a second; delivery p50 {} ms, p90 {} ms, p99 {} ms; ack p50 {} ms, p99 {} ms).",
                if capped { " (a lower bound: the server never fell behind)" } else { "" },
                b.target,
                b.achieved,
                b.p50,
                b.p90,
                b.p99,
                b.ack_p50,
                b.ack_p99
            ),
            None => println!("No step was sustained."),
        }
        match &stopped {
            Some(why) => println!("Stopped {why}."),
            None => println!("Every step was sustained: raise --steps to find the limit."),
        }
    } else if let Some(why) = &stopped {
        println!();
        println!("Not run: {why}.");
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------

async fn run(cli: Cli) -> Result<(), BoxError> {
    let c = &cli.common;
    loopback(&c.url)?;
    if let Some(a) = &c.agent_url {
        loopback(a)?;
    }
    let database_url = c
        .database_url
        .as_deref()
        .ok_or("DATABASE_URL (or --database-url) is needed for the fixture")?;
    local_database(database_url)?;
    let db = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(10))
        .connect(database_url)
        .await?;
    match &cli.mode {
        Mode::Idle { connections, users } => idle(c, &db, *connections, *users).await,
        Mode::Active {
            conversations,
            rate,
        } => {
            active(
                c,
                &db,
                *conversations,
                &[rate * *conversations as f64],
                None,
            )
            .await
        }
        Mode::Peak {
            conversations,
            steps,
            max_p99_ms,
        } => active(c, &db, *conversations, steps, Some(*max_p99_ms)).await,
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let c = &cli.common;
    // Bounded in time, whatever happens: setup, then each step with its warm-up and drain.
    let steps = match &cli.mode {
        Mode::Peak { steps, .. } => steps.len() as u64,
        _ => 1,
    };
    let budget = Duration::from_secs(
        c.setup_timeout + 60 + steps * (c.warmup + c.seconds + DRAIN.as_secs() + 5),
    );
    let result = match tokio::time::timeout(budget, run(cli)).await {
        Ok(r) => r,
        Err(_) => Err(format!("gave up after {} s", budget.as_secs()).into()),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chat-load: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_targets() {
        assert_eq!(
            loopback("http://127.0.0.1:3301").ok(),
            Some("127.0.0.1:3301".into())
        );
        assert_eq!(
            loopback("http://localhost/").ok(),
            Some("localhost:80".into())
        );
        assert_eq!(
            loopback("http://[::1]:3000/x").ok(),
            Some("[::1]:3000".into())
        );
        assert!(loopback("http://10.0.0.1:3000").is_err());
        assert!(loopback("http://127.0.0.1.example.com:3000").is_err());
        assert!(loopback("https://127.0.0.1:3000").is_err());
        assert!(loopback("http://127.0.0.1:port").is_err());
        assert!(local_database("postgres://postgres@127.0.0.1:5436/steward").is_ok());
        assert!(local_database("postgres://u:p@localhost/steward").is_ok());
        assert!(local_database("postgres:///steward?host=/run/postgresql").is_ok());
        assert!(local_database("postgres://u@db.example.com:5432/steward").is_err());
        assert!(local_database("postgres://u@127.0.0.1.example.com/steward").is_err());
    }

    #[test]
    fn missing_messages_count_as_slowest() {
        let got: Vec<u64> = (1..=98).map(|ms| ms * 1000).collect();
        assert!(matches!(Pct::of(&got, 100, 0.5), Pct::Ms(v) if v == 50.0));
        assert!(matches!(Pct::of(&got, 100, 0.98), Pct::Ms(v) if v == 98.0));
        assert!(matches!(Pct::of(&got, 100, 0.99), Pct::Missing));
        assert!(matches!(Pct::max(&got, 98), Pct::Ms(v) if v == 98.0));
        assert!(matches!(Pct::of(&[], 0, 0.99), Pct::None));
        assert!(Pct::Missing.above(1000.0));
        assert_eq!(Pct::Missing.to_string(), "> 10000");
    }

    #[test]
    fn form_encoding() {
        assert_eq!(form_encode("a+b@c.test"), "a%2Bb%40c.test");
    }
}
