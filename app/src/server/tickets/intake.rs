//! The ticket intake: group commit for new tickets. Tickets raised at the same moment are
//! written in one insert statement, and each caller is answered once it has committed.
//!
//! Why: a ticket is a row with eight indexes, six foreign keys, its history, its event and
//! the client's acknowledgement (the desk's notices, the search entry and the health mark
//! follow later: `arrivals`); written alone, the statement and its commit cost several times
//! the rows (docs/BENCHMARKS.md). Written sixteen at a time, they cost a fraction.
//!
//! How: a caller queues its ticket and starts a batch if none is running, or a second one
//! if `SECOND_BATCH_AT` tickets are waiting (at most `BATCHES` run). A running batch takes up
//! to `BATCH_MAX` waiting tickets, commits them, and goes on while tickets wait; beside
//! another batch, only while `SECOND_BATCH_AT` wait (the other takes fewer when it is done).
//! Under no load a ticket is a batch of one, committed at once; under load the queue fills
//! while a batch commits, and the next batch takes all of it.
//! A batch runs in a task of its own, so a caller that goes away (a closed connection)
//! cancels nobody else's ticket; an answer is sent only after the commit, so an
//! acknowledged ticket is durable.
//!
//! Round trips: a batch is one statement, its insert, which checks the links, draws the
//! numbers and returns the tickets as the callers are answered with them (the SLA terms the
//! due times come from are kept on the instance: `sla_terms`); it commits as it ends, so no
//! BEGIN and COMMIT. Only round-robin assignment takes a transaction (it locks a team's
//! rotation, then moves it on). The live announcement follows once the callers have their
//! answers, for all the batches of a few milliseconds in one statement (`announcer`).

use super::repo;
use super::service::{needs_transaction, raise_in, ToRaise};
use crate::server::{AppState, ServiceError};
use crate::types::{AccountId, Ticket, TicketId};
use sqlx::{Connection, PgPool};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::oneshot;

/// Batches committing at once: two keep both cores busy (one collects while one commits).
const BATCHES: usize = 2;
/// How long new tickets wait to be announced together: the announcement is a statement and
/// a wake-up of every listening instance, as dear for one batch as for many, and a few
/// milliseconds are lost on a person watching a list.
const ANNOUNCE_GATHER: Duration = Duration::from_millis(5);

/// A second batch starts (or goes on) only when this many tickets wait: a batch's statement
/// and commit cost about as much as ten tickets in it (0.6–0.8 ms against 0.07 ms a ticket,
/// docs/BENCHMARKS.md), and the running batch takes the waiting ones as soon as it has
/// committed anyway. Lab at concurrency 16, side by side: 8 beat 3, 4, 6 and 10.
const SECOND_BATCH_AT: usize = 8;
/// Tickets in one batch at most: bounds the statement and one transaction's hold on the
/// rotation of a team.
const BATCH_MAX: usize = 64;

type Answer = Result<Ticket, ServiceError>;

struct Waiting {
    ticket: ToRaise,
    answer: oneshot::Sender<Answer>,
}

#[derive(Default)]
struct Queue {
    waiting: VecDeque<Waiting>,
    running: usize,
}

/// New tickets not yet announced, and whether an announcer is on its way.
#[derive(Default)]
struct Announcements {
    pending: Vec<(TicketId, AccountId)>,
    running: bool,
}

/// One per server instance (in `AppState`); cloning shares it.
#[derive(Clone)]
pub struct TicketIntake {
    queue: Arc<Mutex<Queue>>,
    announcements: Arc<Mutex<Announcements>>,
    /// The intake's own connections, planning every statement once (generic plans: see
    /// the server's `startup::intake_pool`).
    db: PgPool,
}

impl TicketIntake {
    /// Connections the intake needs at most: each running batch's, and the announcer's.
    pub const CONNECTIONS: u32 = BATCHES as u32 + 1;

    pub fn new(db: PgPool) -> Self {
        TicketIntake {
            queue: Arc::default(),
            announcements: Arc::default(),
            db,
        }
    }

    /// Raises a checked ticket; answers with it once its batch has committed.
    pub async fn raise(&self, state: &AppState, ticket: ToRaise) -> Answer {
        let (answer, answered) = oneshot::channel();
        let start = {
            let mut q = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
            q.waiting.push_back(Waiting { ticket, answer });
            let start =
                q.running == 0 || (q.running < BATCHES && q.waiting.len() >= SECOND_BATCH_AT);
            if start {
                q.running += 1;
            }
            start
        };
        if start {
            tokio::spawn(run(state.clone(), self.clone()));
        }
        answered.await.unwrap_or_else(|_| {
            Err(ServiceError::Internal(
                "the ticket's batch stopped before it answered".into(),
            ))
        })
    }
}

/// Commits batches until nobody is waiting, or until too few wait for a second batch. The
/// check of the queue and the count of running batches change under one lock, so a ticket
/// is never left waiting with no batch to take it: a batch stops with tickets waiting only
/// while another runs, and that one, once alone, goes on while any wait.
async fn run(state: AppState, intake: TicketIntake) {
    loop {
        let batch: Vec<Waiting> = {
            let mut q = intake.queue.lock().unwrap_or_else(PoisonError::into_inner);
            // Beside another batch, this one goes on only if enough wait: otherwise the other
            // takes the few waiting as soon as it has committed, in one statement, where two
            // small ones would each pay a statement's fixed cost (docs/BENCHMARKS.md).
            let beside_another = q.running > 1;
            if q.waiting.is_empty() || (beside_another && q.waiting.len() < SECOND_BATCH_AT) {
                q.running -= 1;
                return;
            }
            let n = q.waiting.len().min(BATCH_MAX);
            q.waiting.drain(..n).collect()
        };
        // In a task of its own so that a panic loses that batch's answers (its callers hear
        // an error), not the intake.
        let (state, this) = (state.clone(), intake.clone());
        if let Err(e) = tokio::spawn(async move { commit(&state, &this, batch).await }).await {
            tracing::error!(error = %e, "a batch of new tickets failed");
        }
    }
}

async fn commit(state: &AppState, intake: &TicketIntake, batch: Vec<Waiting>) {
    let tickets: Vec<&ToRaise> = batch.iter().map(|w| &w.ticket).collect();
    let answers = match raise(state, intake, &tickets).await {
        Ok(answers) => answers,
        // A failure before the commit wrote nothing: each ticket is tried alone, so that one
        // the database refuses does not take the others with it.
        Err(Failure::BeforeCommit(_)) if batch.len() > 1 => {
            let mut answers = Vec::with_capacity(batch.len());
            for ticket in &tickets {
                answers.push(match raise(state, intake, &[*ticket]).await {
                    Ok(mut one) => one.pop().unwrap_or(Err(ServiceError::NotFound)),
                    Err(Failure::BeforeCommit(e) | Failure::AtCommit(e)) => Err(e),
                });
            }
            answers
        }
        // At or after the commit the tickets may exist: trying again could raise them twice.
        Err(Failure::BeforeCommit(e) | Failure::AtCommit(e)) => {
            tracing::warn!(error = %e, tickets = batch.len(), "a batch of new tickets failed");
            let message = e.to_string();
            let mut answers = vec![Err(e)];
            answers.extend((1..batch.len()).map(|_| Err(ServiceError::Internal(message.clone()))));
            answers
        }
    };
    for (waiting, answer) in batch.into_iter().zip(answers) {
        // The caller may have gone; its ticket stands.
        let _ = waiting.answer.send(answer);
    }
}

impl TicketIntake {
    /// Queues committed tickets for the announcer, starting it if none is on its way.
    fn announce(&self, raised: Vec<(TicketId, AccountId)>) {
        let start = {
            let mut a = self
                .announcements
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            a.pending.extend(raised);
            !std::mem::replace(&mut a.running, true)
        };
        if start {
            tokio::spawn(announcer(self.clone()));
        }
    }
}

/// Announces what has gathered until nothing is left. The tickets stand whatever becomes of
/// their announcement: a live view that misses it shows them when it next reads.
async fn announcer(intake: TicketIntake) {
    loop {
        tokio::time::sleep(ANNOUNCE_GATHER).await;
        let raised = {
            let mut a = intake
                .announcements
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if a.pending.is_empty() {
                a.running = false;
                return;
            }
            std::mem::take(&mut a.pending)
        };
        let result = match intake.db.acquire().await {
            Ok(mut conn) => repo::announce_many(&mut conn, &raised).await,
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, tickets = raised.len(), "new tickets were not announced");
        }
    }
}

enum Failure {
    BeforeCommit(ServiceError),
    AtCommit(ServiceError),
}

/// The batch's statements (in a transaction only if it needs one), then the live
/// announcement, in a task of its own so that the callers are answered without waiting
/// for it.
async fn raise(
    state: &AppState,
    intake: &TicketIntake,
    tickets: &[&ToRaise],
) -> Result<Vec<Answer>, Failure> {
    let db = &intake.db;
    let before = |e: sqlx::Error| Failure::BeforeCommit(e.into());
    let mut conn = db.acquire().await.map_err(before)?;
    let answers = if needs_transaction(tickets) {
        let mut tx = (*conn).begin().await.map_err(before)?;
        let answers = raise_in(&mut tx, state, tickets, true)
            .await
            .map_err(Failure::BeforeCommit)?;
        tx.commit().await.map_err(|e| Failure::AtCommit(e.into()))?;
        answers
    } else {
        raise_in(&mut conn, state, tickets, true)
            .await
            .map_err(|e| match e {
                // Lost on the way (the connection, a timeout): the insert may have committed.
                ServiceError::Database(ref cut) if !matches!(cut, sqlx::Error::Database(_)) => {
                    Failure::AtCommit(e)
                }
                // PostgreSQL refused a statement: a statement that fails writes nothing.
                e => Failure::BeforeCommit(e),
            })?
    };
    let raised: Vec<(TicketId, AccountId)> = answers
        .iter()
        .filter_map(|a| a.as_ref().ok())
        .map(|t| (t.summary.id, t.summary.account_id))
        .collect();
    if !raised.is_empty() {
        state.ticket_arrivals.notify_one();
        drop(conn);
        intake.announce(raised);
    }
    Ok(answers)
}
