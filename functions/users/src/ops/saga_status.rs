//! Saga status: an operator reads one user-deletion saga by its id (from the 202 of `DELETE
//! /users/me`, or from a log line: every line of the saga carries it), to see which
//! participant it waits for, how long it has left and how it ended. No client can: the
//! function (`users-saga-status`) has no route. It reads only; nothing it answers is a secret
//! (the saga's snapshot of the user, kept for a cancellation, is left out).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use streamia_shared::domain::Invalid;
use streamia_shared::fields;
use streamia_shared::i18n::Msg;
use streamia_shared::time::rfc3339;

use super::Ctx;
use crate::error::UsersError;
use crate::store::sagas::{SagaState, StepState};
use crate::store::{DeletionSaga, SagaStore};

/// The invocation's payload.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Input {
    /// The saga's id (a UUID).
    pub saga_id: Option<String>,
}

/// A valid request.
#[derive(Debug, Clone)]
pub struct Command {
    /// The saga's id, as the service generated it (a UUID, lower-case).
    pub saga_id: String,
}

/// The saga as an operator reads it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    /// The saga's id.
    pub saga_id: String,
    /// The user being deleted (or deleted, or kept).
    pub user_id: String,
    /// The request that started it: grep the logs for it.
    pub correlation_id: String,
    /// `running`, `completed` or `cancelled`.
    pub state: SagaState,
    /// Each participant's step: `pending`, `done` or `failed`.
    pub steps: BTreeMap<String, StepState>,
    /// The participants it still waits for (empty once it ended).
    pub waiting_for: Vec<String>,
    /// When it started (RFC 3339).
    pub started_at: String,
    /// When `users-saga-deadline` cancels it if it still runs (RFC 3339).
    pub deadline: String,
    /// When it ended, if it did (RFC 3339).
    pub ended_at: Option<String>,
    /// Why it was cancelled, if it was.
    pub reason: Option<String>,
}

impl From<DeletionSaga> for Output {
    fn from(saga: DeletionSaga) -> Self {
        let waiting_for = streamia_shared::saga::owner::waiting_for(saga.state, &saga.steps);
        Self {
            saga_id: saga.id,
            user_id: saga.user_id.to_hex(),
            correlation_id: saga.correlation_id,
            state: saga.state,
            steps: saga.steps,
            waiting_for,
            started_at: rfc3339(saga.started_at),
            deadline: rfc3339(saga.deadline),
            ended_at: saga.ended_at.map(rfc3339),
            reason: saga.reason,
        }
    }
}

/// A saga id is a UUID (the service makes them); anything else names no saga.
fn saga_id(raw: &str) -> Result<String, Invalid> {
    uuid::Uuid::parse_str(raw.trim())
        .map(|id| id.hyphenated().to_string())
        .map_err(|_| Invalid::from(Msg::FieldInvalid))
}

/// Checks the payload.
pub fn parse(input: Input) -> Result<Command, UsersError> {
    let saga_id = fields::parse("sagaId", input.saga_id, saga_id)
        .map_err(|e| streamia_shared::fields::FieldErrors(vec![e]))?;
    Ok(Command { saga_id })
}

/// The saga, or `SagaNotFound` (never started, or ended longer ago than the events' retention,
/// after which its record is purged).
pub async fn execute(sagas: &SagaStore, cmd: Command, _ctx: &Ctx) -> Result<Output, UsersError> {
    sagas
        .get(&cmd.saga_id)
        .await?
        .map(Output::from)
        .ok_or(UsersError::SagaNotFound)
}
