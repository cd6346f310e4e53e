//! Functions an operator invokes directly (the Lambda Invoke API: `aws lambda invoke`, `sam
//! remote invoke`), with no route: nothing a client can reach. The payload is the operation's
//! `Input` as JSON; the result is its `Output`; a failure is a function error
//! (`X-Amz-Function-Error`) whose `errorType` says what went wrong (`UsersError`'s mapping in
//! `error.rs`) and whose `errorMessage` says which fields, for the operator reading it.

use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use serde::Deserialize;
use serde_json::Value;
use streamia_shared::auth::keys::{self, KeyIds, KeySecrets, KeyStoreError, RotationPolicy, Step};
use streamia_shared::config::{KeySecretsConfig, TokenConfig};
use streamia_shared::init::{log_failure, ColdStart};

use crate::ops::{self, Ctx};
use crate::Deps;
use streamia_shared::db::BoxFuture;
use streamia_shared::service::Service;

/// An operator function of the users service: the same cold start as every users function
/// (secrets, config, `D` built once), then `handler` once per invocation with the payload and
/// the invocation's request id.
async fn serve<D, O>(
    handler: impl Fn(&'static D, Value, String) -> BoxFuture<'static, Result<O, Diagnostic>>,
) -> Result<(), lambda_runtime::Error>
where
    D: Service + Send + Sync + 'static,
    O: serde::Serialize,
{
    streamia_shared::telemetry::init();
    let start = ColdStart::begin().await.map_err(log_failure)?;
    let (deps, ()) = start.service::<D, ()>().await.map_err(log_failure)?;
    let deps: &'static D = Box::leak(Box::new(deps));
    let handler = &handler;
    streamia_shared::runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handler(deps, event.payload, event.context.request_id).await
    }))
    .await
}

/// The `users-set-role` function: one role change per invocation.
pub async fn serve_set_role() -> Result<(), lambda_runtime::Error> {
    serve::<Deps, _>(|deps, payload, id| {
        Box::pin(async move { set_role(deps, payload, &id).await })
    })
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

/// What `users-rotate-keys` loads: the access-token lifetime (how long a retired key must stay
/// accepted) and the two key secrets it rewrites. No database, no Redis.
pub type RotateKeysPieces = (TokenConfig, KeySecretsConfig);

/// The `users-rotate-keys` function: one rotation step per invocation on the key secrets.
pub async fn serve_rotate_keys() -> Result<(), lambda_runtime::Error> {
    streamia_shared::telemetry::init();
    let start = ColdStart::begin().await.map_err(log_failure)?;
    let (tokens, keys) = start.load::<RotateKeysPieces>().map_err(log_failure)?;
    let client: &'static _ = Box::leak(Box::new(aws_sdk_secretsmanager::Client::new(&start.aws)));
    let secrets: &'static KeySecrets = Box::leak(Box::new(keys.secrets));
    let policy: &'static RotationPolicy =
        Box::leak(Box::new(RotationPolicy::for_access_ttl(tokens.access_ttl)));
    streamia_shared::runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        rotate_keys(client, secrets, policy, event.payload).await
    }))
    .await
}

/// The payload of `users-rotate-keys`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotateInput {
    /// `stage` or `promote`.
    pub step: Step,
}

/// One invocation of `users-rotate-keys`: the step run, the key ids after it (never a key).
/// Refusals are function errors: `InvalidPayload`, `TooSoon` / `NothingStaged` /
/// `NotInitialised` / `NotPublished` (the rule that stopped it and how long to wait), `InvalidKeys`,
/// `Unavailable`.
pub async fn rotate_keys(
    client: &aws_sdk_secretsmanager::Client,
    secrets: &KeySecrets,
    policy: &RotationPolicy,
    payload: Value,
) -> Result<KeyIds, Diagnostic> {
    let input: RotateInput = serde_json::from_value(payload).map_err(|e| Diagnostic {
        error_type: "InvalidPayload".to_owned(),
        error_message: format!(
            "expected {{\"step\": \"stage\"}} or {{\"step\": \"promote\"}}: {e}"
        ),
    })?;
    keys::rotate(client, secrets, input.step, policy)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, step = ?input.step, "users-rotate-keys refused");
            let error_type = match &e {
                KeyStoreError::Unavailable(_) => "Unavailable",
                KeyStoreError::Invalid(_) => "InvalidKeys",
                KeyStoreError::Refused(keys::RotateError::TooSoon { .. }) => "TooSoon",
                KeyStoreError::Refused(keys::RotateError::NothingStaged) => "NothingStaged",
                KeyStoreError::Refused(keys::RotateError::NotInitialised) => "NotInitialised",
                KeyStoreError::Refused(keys::RotateError::NotPublished) => "NotPublished",
            };
            Diagnostic {
                error_type: error_type.to_owned(),
                error_message: e.to_string(),
            }
        })
}
