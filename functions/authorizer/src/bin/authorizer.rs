//! The `authorizer` Lambda function.

use lambda_runtime::{service_fn, LambdaEvent};
use streamia_authorizer::{handle, State, TokenAuthorizerEvent};

// One invocation at a time per instance: one thread, no idle workers holding memory.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    streamia_shared::telemetry::init();
    let config = streamia_shared::Config::from_env()?;
    let state: &'static State = Box::leak(Box::new(State::build(&config).await?));
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<TokenAuthorizerEvent>| async move {
            handle(state, event.payload).await
        },
    ))
    .await
}
