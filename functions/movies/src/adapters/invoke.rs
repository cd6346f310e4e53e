//! Functions an operator invokes directly (the Lambda Invoke API: `aws lambda invoke`, `sam
//! remote invoke`), with no route: nothing a client can reach. The payload is the operation's
//! `Input` as JSON; the result is its `Output`; a failure is a function error
//! (`X-Amz-Function-Error`) whose `errorType` says what went wrong and whose `errorMessage`
//! says which fields, or how far a run got, for the operator reading it.

use std::time::Instant;

use lambda_runtime::Diagnostic;
use serde_json::Value;

use crate::ops::republish::{Output, Republisher};

/// The operator function republishing every movie (its binary's name, in its log lines).
pub const REPUBLISH: &str = "movies-republish";

/// The `movies-republish` function: the catalog and the outbox built once per cold start,
/// then one bounded walk per invocation (`streamia_shared::republish::serve`).
pub async fn serve_republish() -> Result<(), lambda_runtime::Error> {
    streamia_shared::republish::serve::<Republisher>(REPUBLISH).await
}

/// One invocation of `movies-republish` (`streamia_shared::republish::invoke`).
pub async fn republish(
    r: &Republisher,
    payload: Value,
    request_id: &str,
    deadline: Option<Instant>,
) -> Result<Output, Diagnostic> {
    streamia_shared::republish::invoke(r, REPUBLISH, payload, request_id, deadline).await
}
