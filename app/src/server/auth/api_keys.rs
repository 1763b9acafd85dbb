//! API keys for the public REST API: shown once, stored as a SHA-256, scoped to a role.

use super::tokens::{digest, random_secret};
use super::{Caller, Permission, StaffCaller};
use crate::server::error::Checks;
use crate::server::ServiceError;
use crate::types::{ApiKeyId, ApiKeySummary, NewApiKey, Role};
use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgPool};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// `pg_notify('steward_api_keys', '<key id>')`: that key was revoked or changed.
pub const CHANGED: &str = "steward_api_keys";

/// How long a verified key is trusted without asking the database again; also about how
/// often its `last_used_at` is touched.
const FRESH_FOR: Duration = Duration::from_secs(60);
/// Enough for every integration of a company; past it the cache starts over.
const MAX_CACHED: usize = 10_000;

/// Keys this instance verified recently, so that an API request does not cost a statement:
/// on the ticket-creation path the key lookup was a round trip and a transaction of its own
/// per request (docs/BENCHMARKS.md). A revocation forgets the key at once on the instance
/// that made it; every instance forgets it when the database's notice (`CHANGED`, sent by a
/// trigger on any change of a key) reaches its listener. Keys are cached only while that
/// listener is connected, so no notice can be missed; unknown keys are never cached, so a
/// new key works at once.
#[derive(Clone, Default)]
pub struct ApiKeyCache {
    inner: Arc<Mutex<Cached>>,
}

#[derive(Default)]
struct Cached {
    keys: HashMap<Vec<u8>, Verified>,
    /// Whether this instance's listener hears `CHANGED`.
    listening: bool,
    /// Bumped by every forget: a lookup that began before one may have read the key the
    /// forget meant to drop, so it does not cache what it read.
    epoch: u64,
}

#[derive(Clone, Copy)]
struct Verified {
    id: ApiKeyId,
    role: Role,
    at: Instant,
}

impl ApiKeyCache {
    fn lock(&self) -> MutexGuard<'_, Cached> {
        // The map stays consistent whatever panicked while holding it.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The key if verified recently, and the epoch to hand to `put` after a lookup.
    fn get(&self, hash: &[u8]) -> (Option<Verified>, u64) {
        let cached = self.lock();
        let known = cached.keys.get(hash).copied();
        (known.filter(|k| k.at.elapsed() < FRESH_FOR), cached.epoch)
    }

    fn put(&self, hash: Vec<u8>, id: ApiKeyId, role: Role, epoch: u64) {
        let mut cached = self.lock();
        if !cached.listening || cached.epoch != epoch {
            return;
        }
        if cached.keys.len() >= MAX_CACHED {
            cached.keys.clear();
        }
        let at = Instant::now();
        cached.keys.insert(hash, Verified { id, role, at });
    }

    /// Drops one key (it was revoked or changed).
    pub fn forget(&self, id: ApiKeyId) {
        let mut cached = self.lock();
        cached.epoch += 1;
        cached.keys.retain(|_, k| k.id != id);
    }

    /// The listener started (`true`) or stopped hearing key changes; either way what was
    /// cached before is dropped, since notices may have been missed.
    pub fn set_listening(&self, listening: bool) {
        let mut cached = self.lock();
        cached.listening = listening;
        cached.epoch += 1;
        cached.keys.clear();
    }

    pub fn is_listening(&self) -> bool {
        self.lock().listening
    }
}

#[derive(FromRow)]
struct ApiKeyRow {
    id: ApiKeyId,
    name: String,
    prefix: String,
    role: String,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

impl ApiKeyRow {
    fn summary(self) -> Result<ApiKeySummary, ServiceError> {
        Ok(ApiKeySummary {
            id: self.id,
            name: self.name,
            prefix: self.prefix,
            role: self.role.parse().map_err(ServiceError::Internal)?,
            created_at: self.created_at,
            last_used_at: self.last_used_at,
            revoked: self.revoked_at.is_some(),
        })
    }
}

pub async fn create(
    db: &PgPool,
    caller: &Caller,
    name: &str,
    role: Role,
) -> Result<NewApiKey, ServiceError> {
    let staff = caller.staff(Permission::ManageApiKeys)?;
    let mut checks = Checks::default();
    let name = checks.required("name", name, 100);
    checks.finish()?;
    let secret = random_secret();
    let prefix: String = secret.chars().take(8).collect();
    let full = format!("stw_{secret}");
    let row: ApiKeyRow = sqlx::query_as(
        "INSERT INTO api_key (id, name, prefix, key_hash, role, created_by)
         VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING id, name, prefix, role, created_at, last_used_at, revoked_at",
    )
    .bind(ApiKeyId::new())
    .bind(&name)
    .bind(format!("stw_{prefix}"))
    .bind(digest(&full))
    .bind(role.as_str())
    .bind(staff.user_id)
    .fetch_one(db)
    .await?;
    Ok(NewApiKey {
        summary: row.summary()?,
        secret: full,
    })
}

pub async fn list(db: &PgPool, caller: &Caller) -> Result<Vec<ApiKeySummary>, ServiceError> {
    caller.staff(Permission::ManageApiKeys)?;
    let rows: Vec<ApiKeyRow> = sqlx::query_as(
        "SELECT id, name, prefix, role, created_at, last_used_at, revoked_at FROM api_key ORDER BY created_at DESC",
    )
    .fetch_all(db)
    .await?;
    rows.into_iter().map(ApiKeyRow::summary).collect()
}

/// Revokes a key; from then on this instance refuses it (others when the notice reaches them).
pub async fn revoke(
    db: &PgPool,
    cache: &ApiKeyCache,
    caller: &Caller,
    id: ApiKeyId,
) -> Result<(), ServiceError> {
    caller.staff(Permission::ManageApiKeys)?;
    let done =
        sqlx::query("UPDATE api_key SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1")
            .bind(id)
            .execute(db)
            .await?;
    cache.forget(id);
    if done.rows_affected() == 0 {
        return Err(ServiceError::NotFound);
    }
    Ok(())
}

/// Resolves a bearer token to a staff caller with the key's role; `None` if unknown or revoked.
pub async fn authenticate(
    db: &PgPool,
    cache: &ApiKeyCache,
    bearer: &str,
) -> Result<Option<Caller>, ServiceError> {
    let hash = digest(bearer.trim());
    let caller = |id, role| {
        Caller::Staff(StaffCaller {
            user_id: None,
            api_key_id: Some(id),
            role,
        })
    };
    let (known, epoch) = cache.get(&hash);
    if let Some(known) = known {
        return Ok(Some(caller(known.id, known.role)));
    }
    let row: Option<(ApiKeyId, String)> = sqlx::query_as(
        // Touch last_used_at at most once a minute: no write on every request.
        "WITH k AS (SELECT id, role, last_used_at FROM api_key WHERE key_hash = $1 AND revoked_at IS NULL),
              touched AS (UPDATE api_key SET last_used_at = now()
                          WHERE id IN (SELECT id FROM k WHERE last_used_at IS NULL
                                       OR last_used_at < now() - interval '1 minute'))
         SELECT id, role FROM k",
    )
    .bind(&hash)
    .fetch_optional(db)
    .await?;
    let Some((id, role)) = row else {
        return Ok(None);
    };
    let role: Role = role.parse().map_err(ServiceError::Internal)?;
    cache.put(hash, id, role, epoch);
    Ok(Some(caller(id, role)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> (Vec<u8>, ApiKeyId) {
        (digest("stw_example"), ApiKeyId::new())
    }

    #[test]
    fn keys_are_cached_only_while_key_changes_are_heard() {
        let cache = ApiKeyCache::default();
        let (hash, id) = key();
        let (_, epoch) = cache.get(&hash);
        cache.put(hash.clone(), id, Role::Admin, epoch);
        assert!(cache.get(&hash).0.is_none(), "nobody listens yet");
        cache.set_listening(true);
        let (_, epoch) = cache.get(&hash);
        cache.put(hash.clone(), id, Role::Admin, epoch);
        assert_eq!(cache.get(&hash).0.map(|k| k.id), Some(id));
        cache.set_listening(false);
        assert!(
            cache.get(&hash).0.is_none(),
            "notices may be missed from now on"
        );
    }

    #[test]
    fn a_lookup_that_overlapped_a_revocation_caches_nothing() {
        let cache = ApiKeyCache::default();
        cache.set_listening(true);
        let (hash, id) = key();
        let (_, epoch) = cache.get(&hash);
        cache.forget(id); // the revocation's notice, while the lookup read the key
        cache.put(hash.clone(), id, Role::Admin, epoch);
        assert!(cache.get(&hash).0.is_none());
    }

    #[test]
    fn a_forgotten_key_is_asked_for_again() {
        let cache = ApiKeyCache::default();
        cache.set_listening(true);
        let (hash, id) = key();
        cache.put(hash.clone(), id, Role::SupportAgent, cache.get(&hash).1);
        cache.forget(id);
        assert!(cache.get(&hash).0.is_none());
    }
}
