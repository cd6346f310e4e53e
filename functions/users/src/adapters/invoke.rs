//! Functions an operator invokes directly (the Lambda Invoke API: `aws lambda invoke`, `sam
//! remote invoke`), with no route: nothing a client can reach. The payload is the operation's
//! `Input` as JSON; the result is its `Output`; a failure is a function error
//! (`X-Amz-Function-Error`) whose `errorType` says what went wrong (`UsersError`'s mapping in
//! `error.rs`) and whose `errorMessage` says which fields, for the operator reading it.

use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use serde_json::Value;
use streamia_shared::init::{log_failure, ColdStart};

use crate::ops::{self, Ctx};
use crate::Deps;

/// The `users-set-role` function: the same cold start as every users function (secrets,
/// config, `Deps` built once), then one role change per invocation.
pub async fn serve_set_role() -> Result<(), lambda_runtime::Error> {
    streamia_shared::telemetry::init();
    let start = ColdStart::begin().await.map_err(log_failure)?;
    let (deps, ()) = start.service::<Deps, ()>().await.map_err(log_failure)?;
    let deps: &'static Deps = Box::leak(Box::new(deps));
    streamia_shared::runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        set_role(deps, event.payload, &event.context.request_id).await
    }))
    .await
}

/// One invocation of `users-set-role`: the payload parsed and checked, the role set. The
/// invocation's request id is the correlation id of the event and of the audit record, so
/// CloudTrail's record of the call, the log line and the event can be matched.
pub async fn set_role(
    deps: &Deps,
    payload: Value,
    request_id: &str,
) -> Result<ops::set_role::Output, Diagnostic> {
    let input: ops::set_role::Input = serde_json::from_value(payload).map_err(|e| {
        tracing::warn!(error = %e, "users-set-role: unreadable payload");
        Diagnostic {
            error_type: "InvalidPayload".to_owned(),
            error_message: format!(
                "expected {{\"userId\" or \"email\", \"role\", \"operator\", \"reason\"}}: {e}"
            ),
        }
    })?;
    let ctx = Ctx::new(request_id.to_owned());
    let result = match ops::set_role::parse(input) {
        Ok(cmd) => ops::set_role::execute(deps, cmd, &ctx).await,
        Err(e) => Err(e),
    };
    result.map_err(|e| {
        tracing::warn!(error = %e, correlation_id = %request_id, "users-set-role failed");
        Diagnostic::from(e)
    })
}
