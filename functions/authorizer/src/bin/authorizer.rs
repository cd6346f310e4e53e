//! The `authorizer` Lambda function.

use lambda_runtime::{service_fn, LambdaEvent};
use streamia_authorizer::{handle, State, TokenAuthorizerEvent};
use streamia_shared::init::{log_failure, ColdStart};

// One invocation at a time per instance: one thread, no idle workers holding memory.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    streamia_shared::telemetry::init();
    let start = ColdStart::begin().await.map_err(log_failure)?;
    let (state, ()) = start.service::<State, ()>().await.map_err(log_failure)?;
    let state: &'static State = Box::leak(Box::new(state));
    // The platform's loop, as every function's (no trace id in the process environment).
    streamia_shared::runtime::run(service_fn(
        move |event: LambdaEvent<TokenAuthorizerEvent>| async move {
            handle(state, event.payload).await
        },
    ))
    .await
}
