//! A Lambda function for the gateway's runtime tests, on the same invocation loop the real
//! functions use (`streamia_shared::runtime`): it answers as the request path says (`/error`, `/slow`, `/crash`, `/hold`,
//! anything else echoes what Lambda told it), and fails its init when deployed as a function
//! named `fixture-init-fails`. Never deployed.

use std::time::Duration;

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::{json, Value};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let name = std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_default();
    if name == "fixture-init-fails" {
        return Err("init failed on purpose".into());
    }
    streamia_shared::runtime::run(service_fn(handle)).await
}

async fn handle(event: LambdaEvent<Value>) -> Result<Value, Error> {
    let path = event.payload["path"].as_str().unwrap_or_default();
    match path {
        "/error" => return Err("failed on purpose".into()),
        "/slow" => tokio::time::sleep(Duration::from_secs(60)).await,
        "/hold" => tokio::time::sleep(Duration::from_millis(500)).await,
        "/crash" => std::process::abort(),
        _ => {}
    }
    let ctx = &event.context;
    let seen = json!({
        "pid": std::process::id(),
        "requestId": ctx.request_id,
        "deadlineMs": ctx.deadline,
        "invokedFunctionArn": ctx.invoked_function_arn,
        "traceId": ctx.xray_trace_id,
        "functionName": std::env::var("AWS_LAMBDA_FUNCTION_NAME").ok(),
        "memory": std::env::var("AWS_LAMBDA_FUNCTION_MEMORY_SIZE").ok(),
        "fixtureEnv": std::env::var("FIXTURE_ENV").ok(),
        "fixtureSecret": std::env::var("FIXTURE_SECRET_ARN").ok(),
    });
    Ok(json!({
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": seen.to_string(),
        "isBase64Encoded": false
    }))
}
