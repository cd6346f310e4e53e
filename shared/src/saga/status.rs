//! Saga status: an operator reads one deletion saga by its id (from the 202 of the DELETE that
//! started it, or from a log line: every line of the saga carries it), to see which participant
//! it waits for, how long it has left and how it ended. No client can: each owner's
//! `<service>-saga-status` function has no route. It reads only, and answers nothing that is a
//! secret or personal (a snapshot the owner keeps for a cancellation is left out): the same for
//! both sagas, so it lives here once.

use std::collections::BTreeMap;

use bson::{DateTime, Document};
use lambda_runtime::Diagnostic;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::owner::{waiting_for, SagaState, StepState, Tracked, Tracker};
use crate::domain::Invalid;
use crate::i18n::{Lang, Msg};
use crate::time::rfc3339;

/// The invocation's payload.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Input {
    /// The saga's id (a UUID).
    pub saga_id: Option<String>,
}

/// The saga as an operator reads it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    /// The saga's id.
    pub saga_id: String,
    /// The subject under its owner's name for it (`userId`, `movieId`): its id only.
    #[serde(flatten)]
    pub subject: BTreeMap<&'static str, String>,
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
    /// When the owner's deadline run cancels it if it still runs (RFC 3339).
    pub deadline: String,
    /// When it ended, if it did (RFC 3339).
    pub ended_at: Option<String>,
    /// Why it was cancelled, if it was.
    pub reason: Option<String>,
}

/// The fields every owner's record has, read without the owner's own (its snapshot).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    #[serde(rename = "_id")]
    id: String,
    correlation_id: String,
    state: SagaState,
    steps: BTreeMap<String, StepState>,
    started_at: DateTime,
    deadline: DateTime,
    #[serde(default)]
    ended_at: Option<DateTime>,
    #[serde(default)]
    reason: Option<String>,
}

/// Why a read was refused: the function error's `errorType` and `errorMessage`.
fn refused(error_type: &str, error_message: String) -> Diagnostic {
    Diagnostic {
        error_type: error_type.to_owned(),
        error_message,
    }
}

/// A saga id is a UUID (the owner makes them); anything else names no saga.
fn saga_id(raw: &str) -> Result<String, Invalid> {
    uuid::Uuid::parse_str(raw.trim())
        .map(|id| id.hyphenated().to_string())
        .map_err(|_| Invalid::from(Msg::FieldInvalid))
}

/// One invocation: `{"sagaId": "<uuid>"}` gives the saga's state and steps; refusals are
/// function errors (`InvalidPayload`, `ValidationError`, `SagaNotFound`, `Unavailable`) whose
/// message says what to fix.
pub async fn read<T: Tracked>(sagas: &Tracker<T>, payload: Value) -> Result<Status, Diagnostic> {
    let input: Input = serde_json::from_value(payload).map_err(|e| {
        refused(
            "InvalidPayload",
            format!("expected {{\"sagaId\": \"<the saga's id>\"}}: {e}"),
        )
    })?;
    let id = crate::fields::parse("sagaId", input.saga_id, saga_id).map_err(|e| {
        refused(
            "ValidationError",
            format!("{}: {}", e.field, e.message.render(Lang::En)),
        )
    })?;
    let unavailable = |e: &dyn std::fmt::Display| refused("Unavailable", e.to_string());
    let Some(found) = sagas.raw(&id).await.map_err(|e| unavailable(&e))? else {
        return Err(refused(
            "SagaNotFound",
            "no saga with this id (or it ended longer ago than the retention)".to_owned(),
        ));
    };
    status(found, T::SUBJECT_FIELD).map_err(|e| unavailable(&e))
}

/// The `limit` most recently started sagas an owner keeps in `db` (its own database), newest
/// first, as an operator reads them: for the local console (`infra/local-gateway`), which shows
/// both owners' sagas side by side without either service's code. Reads only the fields of
/// [`Status`] (never a snapshot kept for a cancellation).
pub async fn recent(
    db: &mongodb::Database,
    subject_field: &'static str,
    limit: i64,
) -> Result<Vec<Status>, mongodb::error::Error> {
    use futures_util::TryStreamExt;
    let fields = [
        "correlationId",
        "state",
        "steps",
        "startedAt",
        "deadline",
        "endedAt",
        "reason",
        subject_field,
    ];
    let projection: Document = fields
        .iter()
        .map(|f| ((*f).to_owned(), bson::Bson::Int32(1)))
        .collect();
    let found: Vec<Document> = db
        .collection::<Document>(super::owner::COLLECTION)
        .find(bson::doc! {})
        .projection(projection)
        .sort(bson::doc! {"startedAt": -1})
        .limit(limit)
        .await?
        .try_collect()
        .await?;
    Ok(found
        .into_iter()
        .filter_map(|doc| status(doc, subject_field).ok())
        .collect())
}

/// The operator's view of a stored saga.
fn status(found: Document, subject_field: &'static str) -> Result<Status, bson::de::Error> {
    let subject = found
        .get_object_id(subject_field)
        .map(|id| id.to_hex())
        .unwrap_or_default();
    let record: Record = bson::from_document(found)?;
    Ok(Status {
        waiting_for: waiting_for(record.state, &record.steps),
        saga_id: record.id,
        subject: BTreeMap::from([(subject_field, subject)]),
        correlation_id: record.correlation_id,
        state: record.state,
        steps: record.steps,
        started_at: rfc3339(record.started_at),
        deadline: rfc3339(record.deadline),
        ended_at: record.ended_at.map(rfc3339),
        reason: record.reason,
    })
}

/// Serves `<T::SERVICE>-saga-status` for the life of its container: the owner's sagas (Mongo
/// only) opened once per cold start, then one [`read`] per invocation.
pub async fn serve<T: Tracked + 'static>() -> Result<(), lambda_runtime::Error> {
    use crate::init::{log_failure, ColdStart};
    crate::telemetry::init();
    let start = ColdStart::begin().await.map_err(log_failure)?;
    let (sagas, ()) = start
        .service::<Tracker<T>, ()>()
        .await
        .map_err(log_failure)?;
    let sagas: &'static Tracker<T> = Box::leak(Box::new(sagas));
    crate::runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<Value>| async move {
            let id = event.context.request_id;
            read(sagas, event.payload).await.inspect_err(|e| {
                tracing::warn!(error_type = %e.error_type, error = %e.error_message,
                    correlation_id = %id, "saga status refused");
            })
        },
    ))
    .await
}
