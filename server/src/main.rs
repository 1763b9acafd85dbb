//! `steward`: serve the app, apply migrations, or load demo data.

use clap::{Parser, Subcommand};
use server::config::Config;
use server::{demo, startup, telemetry};
use std::process::ExitCode;

/// mimalloc rather than glibc's allocator: every sign-in hashes with argon2 (19 MiB for a
/// moment), and glibc kept those buffers per thread, so a few hundred sign-ins left the
/// server near a gigabyte (docs/BENCHMARKS.md). mimalloc hands them back.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "steward", about = "Steward, the client-lifecycle CRM")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web app, the REST API and the background worker (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Load realistic demo data and print the demo logins.
    DemoData {
        /// How many top-level accounts to create (locations and ~5 contacts each come on top).
        #[arg(long, default_value_t = 50)]
        accounts: usize,
        /// Do nothing (but print the logins) when the database already has users.
        #[arg(long)]
        if_empty: bool,
    },
    /// Create an API key for the REST API and print it (shown once).
    ApiKey {
        #[arg(long)]
        name: String,
        /// admin, support_manager, support_agent, sales_manager or sales_rep
        #[arg(long)]
        role: String,
    },
    /// Recompute every account's health now (what the nightly job does) and print the time.
    RecomputeHealth,
    /// Follow every new ticket not yet followed (what the worker does each round: write its
    /// first history line, acknowledge the client, tell the support desk, make its text
    /// searchable), e.g. after running without the worker, and print the time.
    FollowNewTickets,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::FAILURE;
        }
    };
    telemetry::init(config.json_logs);
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(&config).await,
        Command::Migrate => migrate(&config).await,
        Command::DemoData { accounts, if_empty } => demo::run(&config, accounts, if_empty).await,
        Command::ApiKey { name, role } => api_key(&config, &name, &role).await,
        Command::RecomputeHealth => recompute_health(&config).await,
        Command::FollowNewTickets => follow_new_tickets(&config).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: &Config) -> Result<(), String> {
    let started = std::time::Instant::now();
    let app = startup::Application::build(config)
        .await
        .map_err(|e| e.to_string())?;
    let port = app.port();
    tracing::info!(
        port,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "ready"
    );
    println!("Steward is running at http://{}:{port}", config.addr.ip());
    app.run(None).await.map_err(|e| e.to_string())
}

async fn migrate(config: &Config) -> Result<(), String> {
    let pool = startup::connect(config).await.map_err(|e| e.to_string())?;
    startup::migrate(&pool).await.map_err(|e| e.to_string())?;
    println!("migrations applied");
    Ok(())
}

async fn api_key(config: &Config, name: &str, role: &str) -> Result<(), String> {
    use app::server::auth::{api_keys, Caller, StaffCaller};
    let role: app::types::Role = role.parse()?;
    let pool = startup::connect(config).await.map_err(|e| e.to_string())?;
    startup::migrate(&pool).await.map_err(|e| e.to_string())?;
    // The operator at the console acts as an admin.
    let operator = Caller::Staff(StaffCaller {
        user_id: None,
        api_key_id: None,
        role: app::types::Role::Admin,
    });
    let key = api_keys::create(&pool, &operator, name, role)
        .await
        .map_err(|e| e.to_string())?;
    println!("{}", key.secret);
    Ok(())
}

async fn follow_new_tickets(config: &Config) -> Result<(), String> {
    let pool = startup::connect(config).await.map_err(|e| e.to_string())?;
    startup::migrate(&pool).await.map_err(|e| e.to_string())?;
    let state = startup::state(config, pool).map_err(|e| e.to_string())?;
    let started = std::time::Instant::now();
    let mut followed = 0;
    loop {
        let n = app::server::tickets::arrivals::follow_new_tickets(&state)
            .await
            .map_err(|e| e.to_string())?;
        followed += n;
        if n == 0 {
            break;
        }
    }
    println!(
        "followed {followed} new tickets in {:.2}s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn recompute_health(config: &Config) -> Result<(), String> {
    let pool = startup::connect(config).await.map_err(|e| e.to_string())?;
    startup::migrate(&pool).await.map_err(|e| e.to_string())?;
    let state = startup::state(config, pool).map_err(|e| e.to_string())?;
    let started = std::time::Instant::now();
    let done = app::server::health::recompute_all(&state)
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "recomputed {} accounts in {:.1}s ({} band changes)",
        done.accounts,
        started.elapsed().as_secs_f64(),
        done.band_changes
    );
    Ok(())
}
