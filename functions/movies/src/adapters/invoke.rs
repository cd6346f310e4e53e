//! Functions an operator invokes directly (the Lambda Invoke API: `aws lambda invoke`, `sam
//! remote invoke`), with no route: nothing a client can reach. The payload is the operation's
//! `Input` as JSON; the result is its `Output`; a failure is a function error
//! (`X-Amz-Function-Error`) whose `errorType` says what went wrong and whose `errorMessage`
//! says which fields, or how far a run got, for the operator reading it.

use std::time::Instant;

use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use serde_json::Value;
use streamia_shared::i18n::Lang;
use streamia_shared::init::{log_failure, ColdStart};

use crate::ops::republish::{self, Republisher};
use crate::ops::Ctx;
use crate::MoviesError;

/// The `movies-republish` function: the catalog and the outbox built once per cold start,
/// then one bounded walk per invocation.
pub async fn serve_republish() -> Result<(), lambda_runtime::Error> {
    streamia_shared::telemetry::init();
    let start = ColdStart::begin().await.map_err(log_failure)?;
    let (r, ()) = start
        .service::<Republisher, ()>()
        .await
        .map_err(log_failure)?;
    let r: &'static Republisher = Box::leak(Box::new(r));
    streamia_shared::runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let deadline = streamia_shared::scheduled::deadline(&event.context);
        republish(r, event.payload, &event.context.request_id, deadline).await
    }))
    .await
}

/// One invocation of `movies-republish`: the payload parsed and checked, then the walk until
/// `deadline`. The invocation's request id is the correlation id of the `movie.updated` events
/// (a `movie.deleted` keeps its saga's), so the log line and the events can be matched.
/// Errors: `InvalidPayload`, `ValidationError`, `Unavailable` (with how far the run got).
pub async fn republish(
    r: &Republisher,
    payload: Value,
    request_id: &str,
    deadline: Option<Instant>,
) -> Result<republish::Output, Diagnostic> {
    // An empty payload (`aws lambda invoke` without one sends nothing, read as null) starts
    // from the first movie.
    let payload = match payload {
        Value::Null => Value::Object(Default::default()),
        other => other,
    };
    let input: republish::Input = serde_json::from_value(payload).map_err(|e| Diagnostic {
        error_type: "InvalidPayload".to_owned(),
        error_message: format!("expected {{}} or {{\"after\": \"<movie id>\", \"limit\": n}}: {e}"),
    })?;
    let cmd = republish::parse(input).map_err(|e| {
        let error_type = match &e {
            MoviesError::Validation(_) => "ValidationError",
            _ => "InternalError",
        };
        let error_message = match &e {
            MoviesError::Validation(errors) => errors
                .0
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message.render(Lang::En)))
                .collect::<Vec<_>>()
                .join("; "),
            other => other.to_string(),
        };
        Diagnostic {
            error_type: error_type.to_owned(),
            error_message,
        }
    })?;
    let ctx = Ctx::new(request_id.to_owned());
    republish::execute(r, cmd, deadline, &ctx)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, correlation_id = %request_id, "movies-republish stopped");
            Diagnostic {
                error_type: "Unavailable".to_owned(),
                error_message: e.to_string(),
            }
        })
}
