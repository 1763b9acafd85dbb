//! argon2id hashing, run off the async runtime because it is deliberately slow.

use crate::server::ServiceError;
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;

pub const MIN_LEN: usize = 10;
pub const MAX_LEN: usize = 200;

/// Checks a new password against the policy; the message is shown under the field.
pub fn policy_error(password: &str) -> Option<String> {
    let n = password.chars().count();
    if n < MIN_LEN {
        Some(format!("must be at least {MIN_LEN} characters"))
    } else if n > MAX_LEN {
        Some(format!("must be at most {MAX_LEN} characters"))
    } else {
        None
    }
}

pub fn hash_blocking(password: &str) -> Result<String, ServiceError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ServiceError::Internal(format!("hashing failed: {e}")))
}

/// At most one argon2 computation per core at a time: each takes ~19 MiB and a core for a
/// moment, so a burst of sign-ins queues here instead of spiking memory and starving
/// every other request.
fn hashing_slots() -> &'static tokio::sync::Semaphore {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    SLOTS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        tokio::sync::Semaphore::new(cores)
    })
}

pub async fn hash(password: String) -> Result<String, ServiceError> {
    let _slot = hashing_slots()
        .acquire()
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(|| hash_blocking(&password)))
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?
}

/// Verifies against `stored`, or against a fixed dummy hash when there is no user,
/// so that a missing account takes as long to refuse as a wrong password.
pub async fn verify(password: String, stored: Option<String>) -> Result<bool, ServiceError> {
    let _slot = hashing_slots()
        .acquire()
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || {
        span.in_scope(|| {
            let dummy = dummy_hash();
            let stored = stored.as_deref().unwrap_or(dummy);
            let parsed = PasswordHash::new(stored)
                .map_err(|e| ServiceError::Internal(format!("bad stored hash: {e}")))?;
            Ok(Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok())
        })
    })
    .await
    .map_err(|e| ServiceError::Internal(e.to_string()))?
}

fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_blocking("steward-dummy-password").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let h = hash_blocking("correct horse battery").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        let parsed = PasswordHash::new(&h).expect("parse");
        assert!(Argon2::default()
            .verify_password(b"correct horse battery", &parsed)
            .is_ok());
        assert!(Argon2::default()
            .verify_password(b"wrong", &parsed)
            .is_err());
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(policy_error("short").is_some());
        assert!(policy_error("long enough pass").is_none());
    }

    #[test]
    fn the_dummy_hash_parses() {
        assert!(PasswordHash::new(dummy_hash()).is_ok());
    }
}
