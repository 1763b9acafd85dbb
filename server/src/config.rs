//! Configuration from environment variables (documented in README.md).

use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub addr: SocketAddr,
    pub public_url: String,
    pub site_root: PathBuf,
    pub smtp_url: Option<String>,
    pub mail_from: String,
    pub secure_cookies: bool,
    pub db_max_connections: u32,
    pub request_timeout_secs: u64,
    pub body_limit_bytes: usize,
    pub run_worker: bool,
    pub json_logs: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is not set")]
    Missing(&'static str),
    #[error("{name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parse<T: std::str::FromStr>(name: &'static str, default: T) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    match var(name) {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|e: T::Err| ConfigError::Invalid {
            name,
            reason: e.to_string(),
        }),
    }
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        let database_url = var("DATABASE_URL").ok_or(ConfigError::Missing("DATABASE_URL"))?;
        let addr: SocketAddr = parse("STEWARD_ADDR", SocketAddr::from(([127, 0, 0, 1], 3000)))?;
        let public_url = var("STEWARD_PUBLIC_URL")
            .unwrap_or_else(|| format!("http://{addr}"))
            .trim_end_matches('/')
            .to_string();
        Ok(Config {
            database_url,
            addr,
            public_url,
            site_root: PathBuf::from(
                var("STEWARD_SITE_ROOT").unwrap_or_else(|| "target/site".into()),
            ),
            smtp_url: var("STEWARD_SMTP_URL"),
            mail_from: var("STEWARD_MAIL_FROM")
                .unwrap_or_else(|| "Steward <steward@localhost>".into()),
            secure_cookies: parse("STEWARD_SECURE_COOKIES", false)?,
            db_max_connections: parse("STEWARD_DB_MAX_CONNECTIONS", 10)?,
            request_timeout_secs: parse("STEWARD_REQUEST_TIMEOUT_SECS", 30)?,
            body_limit_bytes: parse("STEWARD_BODY_LIMIT_BYTES", 32 * 1024 * 1024)?,
            run_worker: parse("STEWARD_WORKER", true)?,
            json_logs: var("STEWARD_LOG_FORMAT").is_some_and(|f| f == "json"),
        })
    }
}
