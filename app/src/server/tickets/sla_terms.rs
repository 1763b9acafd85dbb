//! The SLA terms a new ticket's due times are computed from (the support desk's calendar and
//! each priority's targets), kept in memory on each instance.
//!
//! Why: creation is the desk's hottest write, and reading these few rows took a round trip
//! and a statement of its own in every batch of new tickets (docs/BENCHMARKS.md). They change
//! a few times a year. How it stays right: an instance forgets its terms at once when it
//! saves them itself (`settings`), and every instance forgets them when the database's
//! notice (`CHANGED`, sent by a statement trigger on the calendar, the holidays and the
//! policies however they change) reaches its listener. Terms are kept only while that
//! listener is connected, so no notice can be missed; a read that began before a forget
//! keeps nothing.

use super::repo;
use super::sla::BusinessCalendar;
use crate::types::TicketPriority;
use sqlx::PgConnection;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// `pg_notify('steward_sla_terms', '')`: the calendar, a holiday or a policy changed.
pub const CHANGED: &str = "steward_sla_terms";

/// However quiet the listener, terms are read again after this long.
const FRESH_FOR: Duration = Duration::from_secs(300);

/// The calendar and each priority's first-response and resolution targets (business
/// minutes).
#[derive(Debug, Clone, PartialEq)]
pub struct SlaTerms {
    pub calendar: BusinessCalendar,
    targets: HashMap<TicketPriority, (i64, i64)>,
}

impl SlaTerms {
    /// The targets of a priority; the defaults if it has no policy.
    pub fn targets(&self, priority: TicketPriority) -> (i64, i64) {
        self.targets
            .get(&priority)
            .copied()
            .unwrap_or(repo::DEFAULT_TARGETS)
    }

    async fn read(db: &mut PgConnection) -> Result<SlaTerms, sqlx::Error> {
        let (calendar, _) = repo::calendar(&mut *db).await?;
        let targets = repo::all_targets(&mut *db)
            .await?
            .into_iter()
            .filter_map(|(p, t)| TicketPriority::parse(&p).map(|p| (p, t)))
            .collect();
        Ok(SlaTerms { calendar, targets })
    }
}

/// One per instance (in `AppState`); cloning shares it.
#[derive(Clone, Default)]
pub struct SlaTermsCache {
    inner: Arc<Mutex<Kept>>,
}

#[derive(Default)]
struct Kept {
    terms: Option<(Arc<SlaTerms>, Instant)>,
    /// Whether this instance's listener hears `CHANGED`.
    listening: bool,
    /// Bumped by every forget: a read that began before one does not keep what it read.
    epoch: u64,
}

impl SlaTermsCache {
    fn lock(&self) -> MutexGuard<'_, Kept> {
        // Nothing held here can be left half-changed by a panic.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The current terms: kept ones if fresh, else read (and kept if nothing changed
    /// meanwhile and the listener hears changes).
    pub async fn current(&self, db: &mut PgConnection) -> Result<Arc<SlaTerms>, sqlx::Error> {
        let epoch = {
            let kept = self.lock();
            if let Some((terms, at)) = &kept.terms {
                if at.elapsed() < FRESH_FOR {
                    return Ok(terms.clone());
                }
            }
            kept.epoch
        };
        let terms = Arc::new(SlaTerms::read(db).await?);
        let mut kept = self.lock();
        if kept.listening && kept.epoch == epoch {
            kept.terms = Some((terms.clone(), Instant::now()));
        }
        Ok(terms)
    }

    /// The terms changed: read them again next time.
    pub fn forget(&self) {
        let mut kept = self.lock();
        kept.epoch += 1;
        kept.terms = None;
    }

    /// The listener started (`true`) or stopped hearing changes; either way what was kept
    /// is dropped, since notices may have been missed.
    pub fn set_listening(&self, listening: bool) {
        let mut kept = self.lock();
        kept.listening = listening;
        kept.epoch += 1;
        kept.terms = None;
    }

    /// Whether terms are kept now (for tests of the invalidation).
    pub fn is_kept(&self) -> bool {
        self.lock().terms.is_some()
    }
}
