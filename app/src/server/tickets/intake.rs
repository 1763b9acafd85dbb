//! The ticket intake: group commit for new tickets. Tickets raised at the same moment are
//! written in one transaction and one insert statement, and each caller is answered once
//! that transaction has committed.
//!
//! Why: a ticket is a row with nine indexes, six foreign keys, triggers, its history, its
//! event and the desk's notices; written alone, the statement and its commit cost several
//! times the rows (docs/BENCHMARKS.md). Written sixteen at a time, they cost a fraction.
//!
//! How: a caller queues its ticket and, if fewer than `BATCHES` batches are running, starts
//! one. A running batch takes up to `BATCH_MAX` waiting tickets, commits them, and goes on
//! until the queue is empty. Under no load a ticket is a batch of one, committed at once;
//! under load the queue fills while a batch commits, and the next batch takes all of it.
//! A batch runs in a task of its own, so a caller that goes away (a closed connection)
//! cancels nobody else's ticket; an answer is sent only after the commit, so an
//! acknowledged ticket is durable.

use super::repo;
use super::service::{raise_in, ToRaise};
use crate::server::{AppState, ServiceError};
use crate::types::{Ticket, TicketId};
use sqlx::Connection;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::oneshot;

/// Batches committing at once: two keep both cores busy (one collects while one commits).
const BATCHES: usize = 2;
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

/// One per server instance (in `AppState`); cloning shares it.
#[derive(Clone, Default)]
pub struct TicketIntake {
    queue: Arc<Mutex<Queue>>,
}

impl TicketIntake {
    /// Raises a checked ticket; answers with it once its batch has committed.
    pub async fn raise(&self, state: &AppState, ticket: ToRaise) -> Answer {
        let (answer, answered) = oneshot::channel();
        let start = {
            let mut q = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
            q.waiting.push_back(Waiting { ticket, answer });
            let start = q.running < BATCHES;
            if start {
                q.running += 1;
            }
            start
        };
        if start {
            tokio::spawn(run(state.clone(), self.queue.clone()));
        }
        answered.await.unwrap_or_else(|_| {
            Err(ServiceError::Internal(
                "the ticket's batch stopped before it answered".into(),
            ))
        })
    }
}

/// Commits batches until nobody is waiting. The check for an empty queue and the count of
/// running batches change under one lock, so a ticket is never left waiting with no batch
/// to take it.
async fn run(state: AppState, queue: Arc<Mutex<Queue>>) {
    loop {
        let batch: Vec<Waiting> = {
            let mut q = queue.lock().unwrap_or_else(PoisonError::into_inner);
            if q.waiting.is_empty() {
                q.running -= 1;
                return;
            }
            let n = q.waiting.len().min(BATCH_MAX);
            q.waiting.drain(..n).collect()
        };
        // In a task of its own so that a panic loses that batch's answers (its callers hear
        // an error), not the intake.
        let state = state.clone();
        if let Err(e) = tokio::spawn(async move { commit(&state, batch).await }).await {
            tracing::error!(error = %e, "a batch of new tickets failed");
        }
    }
}

async fn commit(state: &AppState, batch: Vec<Waiting>) {
    let tickets: Vec<&ToRaise> = batch.iter().map(|w| &w.ticket).collect();
    let answers = match raise(state, &tickets).await {
        Ok(answers) => answers,
        // A failure before the commit wrote nothing: each ticket is tried alone, so that one
        // the database refuses does not take the others with it.
        Err(Failure::BeforeCommit(_)) if batch.len() > 1 => {
            let mut answers = Vec::with_capacity(batch.len());
            for ticket in &tickets {
                answers.push(match raise(state, &[*ticket]).await {
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

enum Failure {
    BeforeCommit(ServiceError),
    AtCommit(ServiceError),
}

/// One transaction for the batch, then the read-back and the live announcement.
async fn raise(state: &AppState, tickets: &[&ToRaise]) -> Result<Vec<Answer>, Failure> {
    let before = |e: sqlx::Error| Failure::BeforeCommit(e.into());
    let mut conn = state.db.acquire().await.map_err(before)?;
    let mut tx = (*conn)
        .begin_with(repo::GENERIC_PLANS)
        .await
        .map_err(before)?;
    let raised = raise_in(&mut tx, state, tickets, true)
        .await
        .map_err(Failure::BeforeCommit)?;
    tx.commit().await.map_err(|e| Failure::AtCommit(e.into()))?;
    let ids: Vec<TicketId> = raised
        .iter()
        .filter_map(|r| r.as_ref().ok().copied())
        .collect();
    let mut found: HashMap<TicketId, Ticket> = if ids.is_empty() {
        HashMap::new()
    } else {
        repo::find_announced(&mut conn, &ids)
            .await
            .map_err(|e| Failure::AtCommit(e.into()))?
            .into_iter()
            .map(|t| (t.summary.id, t))
            .collect()
    };
    Ok(raised
        .into_iter()
        .map(|r| r.and_then(|id| found.remove(&id).ok_or(ServiceError::NotFound)))
        .collect())
}
