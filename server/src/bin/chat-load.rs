//! Load tool for live chat (docs/BENCHMARKS.md). Loopback only, bounded in time.
//!
//! It creates its fixture directly in the database (clients with their own contact, agents
//! online, conversations already accepted: setting up is not what is measured), signs every
//! user in through the real login endpoint, then:
//!   idle   — holds N authenticated client connections and reports the server's RSS;
//!   active — C clients each send `--rate` messages a second to their agent; reports the
//!            delivery latency client → agent and the acknowledgement latency;
//!   peak   — raises the total rate in steps until acknowledgements fall behind.
//! Agents may sit on another instance (`--agent-url`) to measure the NOTIFY fan-out.

use app::server::auth::passwords;
use app::types::{ClientFrame, ServerFrame, CHAT_PROTOCOL_VERSION};
use clap::{Parser, ValueEnum};
use futures_util::{SinkExt, StreamExt};
use sqlx::PgPool;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

const PASSWORD: &str = "chat-load-password";

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq)]
enum Mode {
    Idle,
    Active,
    Peak,
}

#[derive(Parser, Debug)]
#[command(about = "Load tool for Steward's live chat (loopback only)")]
struct Args {
    #[arg(long, value_enum)]
    mode: Mode,
    /// Where clients connect.
    #[arg(long, default_value = "http://127.0.0.1:3000")]
    url: String,
    /// Where agents connect (another instance); defaults to --url.
    #[arg(long)]
    agent_url: Option<String>,
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    /// idle: connections to hold.
    #[arg(long, default_value_t = 1000)]
    connections: usize,
    /// active, peak: conversations (one client connection each).
    #[arg(long, default_value_t = 100)]
    conversations: usize,
    /// active: messages per second per conversation.
    #[arg(long, default_value_t = 1.0)]
    rate: f64,
    /// peak: total rates to try, messages per second.
    #[arg(long, value_delimiter = ',', default_value = "500,1000,2000,3000,4000")]
    steps: Vec<f64>,
    /// Seconds to measure (per step for peak).
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Seconds of warm-up before measuring.
    #[arg(long, default_value_t = 3)]
    warmup: u64,
    /// Server processes whose RSS to report.
    #[arg(long)]
    server_pid: Vec<u32>,
    /// Sign-ins at once (argon2 is deliberately slow).
    #[arg(long, default_value_t = 4)]
    login_concurrency: usize,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn loopback(url: &str) -> Result<(String, u16), BoxError> {
    let rest = url
        .strip_prefix("http://")
        .ok_or("only http:// URLs on loopback")?;
    let hostport = rest.split('/').next().unwrap_or_default();
    let (host, port) = hostport.rsplit_once(':').unwrap_or((hostport, "80"));
    if !matches!(host, "127.0.0.1" | "localhost" | "[::1]") {
        return Err(format!("refusing a non-loopback target: {host}").into());
    }
    Ok((hostport.to_string(), port.parse()?))
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

fn report_rss(args: &Args, when: &str) {
    for pid in &args.server_pid {
        if let Some(kib) = rss_kib(*pid) {
            println!("| server {pid} RSS {when} | {:.1} MiB |", kib as f64 / 1024.0);
        }
    }
}

/// Signs in through `POST /api/login` and returns the session cookie.
async fn sign_in(hostport: &str, email: &str) -> Result<String, BoxError> {
    let body = format!(
        "email={}&password={PASSWORD}",
        email.replace('@', "%40").replace('+', "%2B")
    );
    let request = format!(
        "POST /api/login HTTP/1.1\r\nHost: {hostport}\r\nOrigin: http://{hostport}\r\n\
         Accept: application/json\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect(hostport).await?;
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let text = String::from_utf8_lossy(&response);
    if !text.starts_with("HTTP/1.1 200") {
        return Err(format!(
            "sign-in failed for {email}: {}",
            text.lines().next().unwrap_or("")
        )
        .into());
    }
    text.lines()
        .filter_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("set-cookie").then(|| value.trim())
        })
        .find(|v| v.starts_with("steward_session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_string)
        .ok_or_else(|| "no session cookie".into())
}

async fn sign_in_all(
    hostport: &str,
    emails: &[String],
    concurrency: usize,
) -> Result<Vec<String>, BoxError> {
    let started = Instant::now();
    let cookies = futures_util::stream::iter(emails.iter().cloned())
        .map(|email| {
            let hostport = hostport.to_string();
            async move { sign_in(&hostport, &email).await }
        })
        .buffered(concurrency.max(1))
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    eprintln!(
        "signed in {} users in {:.1}s",
        emails.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(cookies)
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

async fn open(hostport: &str, cookie: &str) -> Result<Ws, BoxError> {
    let mut req = format!("ws://{hostport}/ws/chat").into_client_request()?;
    req.headers_mut()
        .insert("Cookie", HeaderValue::from_str(cookie)?);
    req.headers_mut().insert(
        "Origin",
        HeaderValue::from_str(&format!("http://{hostport}"))?,
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await?;
    let hello = ClientFrame::Hello {
        v: CHAT_PROTOCOL_VERSION,
        resume: vec![],
    };
    ws.send(Message::text(serde_json::to_string(&hello)?)).await?;
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) => {
                if let Ok(ServerFrame::Welcome { .. }) = serde_json::from_str(&t) {
                    return Ok(ws);
                }
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(e.into()),
            None => return Err("closed before welcome".into()),
        }
    }
}

/// Users and conversations created for this run.
struct Fixture {
    client_emails: Vec<String>,
    agent_emails: Vec<String>,
    conversations: Vec<Uuid>,
}

async fn fixture(db: &PgPool, clients: usize, conversations: usize) -> Result<Fixture, BoxError> {
    let hash = tokio::task::spawn_blocking(|| passwords::hash_blocking(PASSWORD))
        .await?
        .map_err(|e| format!("hash: {e:?}"))?;
    let tag = Uuid::new_v4().simple().to_string()[..8].to_string();
    let account = Uuid::new_v4();
    sqlx::query("INSERT INTO account (id, name, account_type, status) VALUES ($1, $2, 'customer', 'active')")
        .bind(account)
        .bind(format!("Chat load {tag}"))
        .execute(db)
        .await?;
    sqlx::query("UPDATE chat_settings SET offline_outside_hours = false")
        .execute(db)
        .await?;
    let contacts: Vec<Uuid> = (0..clients).map(|_| Uuid::new_v4()).collect();
    let users: Vec<Uuid> = (0..clients).map(|_| Uuid::new_v4()).collect();
    let client_emails: Vec<String> = (0..clients)
        .map(|i| format!("load-{tag}-c{i}@load.test"))
        .collect();
    sqlx::query(
        "INSERT INTO contact (id, account_id, first_name, last_name, status)
         SELECT c, $2, 'Load', 'Client', 'active' FROM unnest($1::uuid[]) c",
    )
    .bind(&contacts)
    .bind(account)
    .execute(db)
    .await?;
    sqlx::query(
        "INSERT INTO app_user (id, email, display_name, password_hash, kind, contact_id)
         SELECT u, e, 'Load client', $4, 'client', c FROM unnest($1::uuid[], $2::text[], $3::uuid[]) AS t(u, e, c)",
    )
    .bind(&users)
    .bind(&client_emails)
    .bind(&contacts)
    .bind(&hash)
    .execute(db)
    .await?;
    // Forty conversations per agent, well under their limit.
    let agents = if conversations == 0 { 0 } else { conversations.div_ceil(40) };
    let agent_ids: Vec<Uuid> = (0..agents).map(|_| Uuid::new_v4()).collect();
    let agent_emails: Vec<String> = (0..agents)
        .map(|i| format!("load-{tag}-a{i}@load.test"))
        .collect();
    sqlx::query(
        "INSERT INTO app_user (id, email, display_name, password_hash, kind, role)
         SELECT u, e, 'Load agent', $3, 'staff', 'support_agent' FROM unnest($1::uuid[], $2::text[]) AS t(u, e)",
    )
    .bind(&agent_ids)
    .bind(&agent_emails)
    .bind(&hash)
    .execute(db)
    .await?;
    sqlx::query(
        "INSERT INTO agent_presence (user_id, status, max_chats, seen_at)
         SELECT u, 'online', 50, now() FROM unnest($1::uuid[]) u",
    )
    .bind(&agent_ids)
    .execute(db)
    .await?;
    let conv_ids: Vec<Uuid> = (0..conversations).map(|_| Uuid::new_v4()).collect();
    let assignees: Vec<Uuid> = (0..conversations)
        .map(|i| agent_ids[i % agents.max(1)])
        .collect();
    sqlx::query(
        "INSERT INTO chat_conversation (id, account_id, contact_id, client_user_id, client_name, topic,
                                        status, assignee_id, accepted_at)
         SELECT id, $5, c, u, 'Load client', 'Load', 'active', a, now()
         FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[]) AS t(id, c, u, a)",
    )
    .bind(&conv_ids)
    .bind(&contacts[..conversations])
    .bind(&users[..conversations])
    .bind(&assignees)
    .bind(account)
    .execute(db)
    .await?;
    Ok(Fixture {
        client_emails,
        agent_emails,
        conversations: conv_ids,
    })
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)] as f64 / 1000.0
}

/// Counters for one measured window.
#[derive(Default)]
struct Stats {
    measuring: AtomicBool,
    sent: AtomicU64,
    acked: AtomicU64,
    errors: AtomicU64,
    delivered: AtomicU64,
    delivery_us: Mutex<Vec<u64>>,
    ack_us: Mutex<Vec<u64>>,
}

async fn idle(args: &Args, db: &PgPool) -> Result<(), BoxError> {
    let (hostport, _) = loopback(&args.url)?;
    // A person may keep many tabs open: connections share 100 client users' sessions.
    let users = args.connections.clamp(1, 100);
    let fx = fixture(db, users, 0).await?;
    let cookies = sign_in_all(&hostport, &fx.client_emails, args.login_concurrency).await?;
    report_rss(args, "before connecting");
    let started = Instant::now();
    let mut sockets = Vec::with_capacity(args.connections);
    let mut failed = 0;
    let opened = futures_util::stream::iter(0..args.connections)
        .map(|i| {
            let hostport = hostport.clone();
            let cookie = cookies[i % cookies.len()].clone();
            async move { open(&hostport, &cookie).await }
        })
        .buffer_unordered(64)
        .collect::<Vec<_>>()
        .await;
    for ws in opened {
        match ws {
            Ok(ws) => sockets.push(ws),
            Err(e) => {
                failed += 1;
                if failed < 5 {
                    eprintln!("connect failed: {e}");
                }
            }
        }
    }
    println!(
        "| idle connections open | {} ({} failed, {:.1}s to open) |",
        sockets.len(),
        failed,
        started.elapsed().as_secs_f64()
    );
    // Keep reading (heartbeats) so the server sees live connections.
    let alive = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for mut ws in sockets {
        let alive = alive.clone();
        tasks.push(tokio::spawn(async move {
            alive.fetch_add(1, Ordering::Relaxed);
            while let Some(Ok(_)) = ws.next().await {}
            alive.fetch_sub(1, Ordering::Relaxed);
        }));
    }
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    report_rss(args, &format!("holding {} connections", alive.load(Ordering::Relaxed)));
    for t in tasks {
        t.abort();
    }
    Ok(())
}

/// Runs clients at `per_conversation` messages a second for warm-up plus `seconds`.
async fn drive(
    args: &Args,
    client_socks: Vec<(Uuid, Ws)>,
    per_conversation: f64,
    stats: Arc<Stats>,
    clock: Instant,
) -> Vec<(Uuid, Ws)> {
    let count = client_socks.len().max(1);
    let period = Duration::from_secs_f64(1.0 / per_conversation.max(0.001));
    let total = Duration::from_secs(args.warmup + args.seconds);
    let mut tasks = Vec::new();
    for (i, (c, ws)) in client_socks.into_iter().enumerate() {
        let stats = stats.clone();
        // Spread the sends over the period.
        let phase = period.mul_f64((i as f64) / (count as f64));
        tasks.push(tokio::spawn(async move {
            let (mut sink, mut stream) = ws.split();
            let pending: Arc<Mutex<std::collections::HashMap<Uuid, u64>>> = Arc::default();
            let reader_pending = pending.clone();
            let reader_stats = stats.clone();
            let (stop_tx, mut stop_rx) = tokio::sync::oneshot::channel::<()>();
            let reader = tokio::spawn(async move {
                loop {
                    let msg = tokio::select! {
                        m = stream.next() => match m {
                            Some(Ok(m)) => m,
                            _ => break,
                        },
                        _ = &mut stop_rx => break,
                    };
                    let Message::Text(t) = msg else { continue };
                    match serde_json::from_str::<ServerFrame>(&t) {
                        Ok(ServerFrame::Ack { client_msg_id, .. }) => {
                            let sent = reader_pending
                                .lock()
                                .ok()
                                .and_then(|mut p| p.remove(&client_msg_id));
                            if reader_stats.measuring.load(Ordering::Relaxed) {
                                reader_stats.acked.fetch_add(1, Ordering::Relaxed);
                                if let (Some(sent), Ok(mut v)) = (sent, reader_stats.ack_us.lock()) {
                                    v.push((clock.elapsed().as_micros() as u64).saturating_sub(sent));
                                }
                            }
                        }
                        Ok(ServerFrame::Error { .. }) => {
                            reader_stats.errors.fetch_add(1, Ordering::Relaxed);
                        }
                        _ => {}
                    }
                }
                stream
            });
            tokio::time::sleep(phase).await;
            let mut tick = tokio::time::interval(period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let end = Instant::now() + total;
            while Instant::now() < end {
                tick.tick().await;
                let id = Uuid::new_v4();
                let now = clock.elapsed().as_micros() as u64;
                if let Ok(mut p) = pending.lock() {
                    p.insert(id, now);
                }
                let frame = ClientFrame::Send {
                    conversation_id: app::types::ConversationId(c),
                    client_msg_id: id,
                    text: format!("t={now}"),
                    whisper: false,
                };
                let Ok(text) = serde_json::to_string(&frame) else { break };
                if sink.send(Message::text(text)).await.is_err() {
                    break;
                }
                if stats.measuring.load(Ordering::Relaxed) {
                    stats.sent.fetch_add(1, Ordering::Relaxed);
                }
            }
            // Let the last acks arrive, then hand the socket back.
            tokio::time::sleep(Duration::from_millis(500)).await;
            let _ = stop_tx.send(());
            let stream = reader.await.ok();
            stream.and_then(|s| sink.reunite(s).ok()).map(|ws| (c, ws))
        }));
    }
    // Measure exactly `seconds` after the warm-up, whatever the tasks do around it.
    let stats_flip = stats.clone();
    let (warmup, seconds) = (args.warmup, args.seconds);
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(warmup)).await;
        stats_flip.measuring.store(true, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_secs(seconds)).await;
        stats_flip.measuring.store(false, Ordering::Relaxed);
    });
    let mut back = Vec::with_capacity(tasks.len());
    for t in tasks {
        if let Ok(Some(pair)) = t.await {
            back.push(pair);
        }
    }
    back
}

/// Agents' connections: every message carrying a send time is a delivery sample.
fn listen_agents(agent_socks: Vec<Ws>, stats: Arc<Mutex<Arc<Stats>>>, clock: Instant) {
    for ws in agent_socks {
        let stats = stats.clone();
        tokio::spawn(async move {
            let (_sink, mut stream) = ws.split();
            while let Some(Ok(msg)) = stream.next().await {
                let Message::Text(t) = msg else { continue };
                let Ok(ServerFrame::Message { message }) = serde_json::from_str::<ServerFrame>(&t)
                else {
                    continue;
                };
                let Some(sent) = message.body.strip_prefix("t=").and_then(|v| v.parse::<u64>().ok())
                else {
                    continue;
                };
                let now = clock.elapsed().as_micros() as u64;
                let current = stats.lock().ok().map(|s| s.clone());
                if let Some(s) = current {
                    if s.measuring.load(Ordering::Relaxed) {
                        s.delivered.fetch_add(1, Ordering::Relaxed);
                        if let Ok(mut v) = s.delivery_us.lock() {
                            v.push(now.saturating_sub(sent));
                        }
                    }
                }
            }
        });
    }
}

fn summarize(label: &str, target: f64, seconds: u64, s: &Stats) -> (f64, f64) {
    let mut d = s.delivery_us.lock().map(|v| v.clone()).unwrap_or_default();
    let mut a = s.ack_us.lock().map(|v| v.clone()).unwrap_or_default();
    d.sort_unstable();
    a.sort_unstable();
    let achieved = s.acked.load(Ordering::Relaxed) as f64 / seconds as f64;
    println!(
        "| {label} | {target:.0} | {achieved:.0} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {} |",
        percentile(&d, 0.5),
        percentile(&d, 0.9),
        percentile(&d, 0.99),
        d.last().map(|v| *v as f64 / 1000.0).unwrap_or(f64::NAN),
        percentile(&a, 0.5),
        percentile(&a, 0.99),
        s.errors.load(Ordering::Relaxed)
    );
    (achieved, percentile(&d, 0.99))
}

async fn active(args: &Args, db: &PgPool) -> Result<(), BoxError> {
    let (client_host, _) = loopback(&args.url)?;
    let (agent_host, _) = loopback(args.agent_url.as_deref().unwrap_or(&args.url))?;
    let n = args.conversations;
    let fx = fixture(db, n, n).await?;
    let client_cookies = sign_in_all(&client_host, &fx.client_emails, args.login_concurrency).await?;
    let agent_cookies = sign_in_all(&agent_host, &fx.agent_emails, args.login_concurrency).await?;
    let mut agent_socks = Vec::new();
    for cookie in &agent_cookies {
        agent_socks.push(open(&agent_host, cookie).await?);
    }
    let mut client_socks: Vec<(Uuid, Ws)> = Vec::new();
    let opened = futures_util::stream::iter(client_cookies.iter().cloned())
        .map(|cookie| {
            let host = client_host.clone();
            async move { open(&host, &cookie).await }
        })
        .buffered(64)
        .collect::<Vec<_>>()
        .await;
    for (c, ws) in fx.conversations.iter().zip(opened) {
        client_socks.push((*c, ws?));
    }
    eprintln!(
        "{} client and {} agent connections open",
        client_socks.len(),
        agent_socks.len()
    );
    let clock = Instant::now();
    let current = Arc::new(Mutex::new(Arc::new(Stats::default())));
    listen_agents(agent_socks, current.clone(), clock);
    println!("| run | target msg/s | acked msg/s | delivery p50 ms | p90 | p99 | max | ack p50 ms | ack p99 | errors |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    let rates: Vec<f64> = match args.mode {
        Mode::Peak => args.steps.clone(),
        _ => vec![args.rate * n as f64],
    };
    for total in rates {
        let stats = Arc::new(Stats::default());
        if let Ok(mut c) = current.lock() {
            *c = stats.clone();
        }
        client_socks = drive(args, client_socks, total / n as f64, stats.clone(), clock).await;
        let label = format!("{n} conversations");
        let (achieved, p99) = summarize(&label, total, args.seconds, &stats);
        report_rss(args, &format!("at {total:.0} msg/s"));
        if args.mode == Mode::Peak && (achieved < 0.95 * total || p99 > 1000.0) {
            println!("(stopped: {achieved:.0} of {total:.0} msg/s acknowledged, p99 {p99:.0} ms)");
            break;
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args = Args::parse();
    loopback(&args.url)?;
    if let Some(a) = &args.agent_url {
        loopback(a)?;
    }
    let db = sqlx::postgres::PgPoolOptions::new()
        .max_connections(4)
        .connect(&args.database_url)
        .await?;
    match args.mode {
        Mode::Idle => idle(&args, &db).await,
        Mode::Active | Mode::Peak => active(&args, &db).await,
    }
}
