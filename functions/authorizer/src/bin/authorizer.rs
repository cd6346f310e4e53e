//! The `authorizer` Lambda function.

use lambda_runtime::{service_fn, LambdaEvent};
use streamia_authorizer::{handle, State, TokenAuthorizerEvent};
use streamia_shared::config::{Load, RedisConfig, TokenConfig};
use streamia_shared::secrets::Environment;

// One invocation at a time per instance: one thread, no idle workers holding memory.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    streamia_shared::telemetry::init();
    let aws = streamia_shared::events::aws_config_from_env().await;
    let env = Environment::load(&aws).await?;
    let (tokens, redis) = <(TokenConfig, RedisConfig)>::load(&env.lookup())?;
    let state: &'static State = Box::leak(Box::new(State::build(&tokens, &redis).await?));
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<TokenAuthorizerEvent>| async move {
            handle(state, event.payload).await
        },
    ))
    .await
}
