//! The fast mode's path: the gateway runs function binaries itself behind its own Lambda
//! Runtime API. A fixture function (src/bin/runtime-fixture.rs, on the real runtime client)
//! succeeds, fails, overruns its timeout and crashes on demand; the real `users-health` and
//! `authorizer` binaries run through the same path.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde_json::Value;
use streamia_local_gateway::runtime::RuntimeConfig;
use streamia_local_gateway::server::{start, GatewayConfig};
use streamia_local_gateway::template::Context;

const FIXTURE: &str = r#"
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  FixtureSecretArn:
    Type: String
    Default: arn:aws:secretsmanager:us-east-1:000000000000:secret:fixture
Globals:
  Function:
    Timeout: 20
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: test
  FixtureFunction:
    Type: AWS::Serverless::Function
    Metadata: {BuildMethod: rust-cargolambda, BuildProperties: {Binary: fixture-fn}}
    Properties:
      Environment:
        Variables:
          FIXTURE_SECRET_ARN: !Ref FixtureSecretArn
      Events:
        Ok: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /ok, Method: get}}
        Error: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /error, Method: get}}
        Crash: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /crash, Method: get}}
        Hold: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /hold, Method: get}}
  SlowFunction:
    Type: AWS::Serverless::Function
    Metadata: {BuildMethod: rust-cargolambda, BuildProperties: {Binary: fixture-slow}}
    Properties:
      Timeout: 2
      Events:
        Slow: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /slow, Method: get}}
        Fast: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /fast, Method: get}}
  BrokenFunction:
    Type: AWS::Serverless::Function
    Metadata: {BuildMethod: rust-cargolambda, BuildProperties: {Binary: fixture-init-fails}}
    Properties:
      Events:
        Broken: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /broken, Method: get}}
  OperatorFunction:
    Type: AWS::Serverless::Function
    Metadata: {BuildMethod: rust-cargolambda, BuildProperties: {Binary: fixture-operator}}
  HealthFunction:
    Type: AWS::Serverless::Function
    Metadata: {BuildMethod: rust-cargolambda, BuildProperties: {Binary: users-health}}
    Properties:
      Events:
        Health: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /health, Method: get}}
"#;

/// Where cargo put this package's binaries; the workspace's function binaries sit beside them.
fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_runtime-fixture"))
        .parent()
        .unwrap()
        .to_owned()
}

/// A functions directory: the fixture under each fixture name, and the real binaries.
fn functions_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("runtime-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    for name in [
        "fixture-fn",
        "fixture-slow",
        "fixture-init-fails",
        "fixture-operator",
    ] {
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_runtime-fixture"), dir.join(name)).unwrap();
    }
    for real in ["users-health", "authorizer"] {
        let bin = target_dir().join(real);
        assert!(
            bin.is_file(),
            "{} is missing: build the workspace's binaries first (cargo build --workspace --bins)",
            bin.display()
        );
        std::os::unix::fs::symlink(bin, dir.join(real)).unwrap();
    }
    dir
}

fn env_or(key: &str, default: &str) -> String {
    std::env::var(key)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

fn test_region() -> String {
    env_or("AWS_DEFAULT_REGION", "us-east-1")
}

async fn gateway(template: &str, instances: usize) -> String {
    // The functions read their secrets from (LocalStack's) Secrets Manager, as deployed: this
    // test's secrets and database come from a TestEnv.
    let test_env = streamia_shared::testing::TestEnv::new(&[]).await;
    let mut env: Vec<(String, String)> = vec![
        ("FIXTURE_ENV".into(), "from-the-gateway".into()),
        ("RUST_LOG".into(), "warn".into()),
        (
            "AWS_ENDPOINT_URL".into(),
            env_or("AWS_ENDPOINT_URL", "http://127.0.0.1:4566"),
        ),
        (
            "AWS_DEFAULT_REGION".into(),
            env_or("AWS_DEFAULT_REGION", "us-east-1"),
        ),
        ("AWS_ACCESS_KEY_ID".into(), "test".into()),
        ("AWS_SECRET_ACCESS_KEY".into(), "test".into()),
    ];
    for name in [
        "MONGODB_URI_SECRET_ARN",
        "REDIS_URL_SECRET_ARN",
        "JWT_SIGNING_KEYS_SECRET_ARN",
        "JWT_PUBLIC_KEYS_SECRET_ARN",
        "REFRESH_TOKEN_PEPPER_SECRET_ARN",
        "MONGODB_DATABASE_PREFIX",
        "REDIS_KEY_PREFIX",
    ] {
        let value = test_env
            .env
            .get(name)
            .unwrap_or_else(|| panic!("the test environment has {name}"));
        env.push((name.into(), value));
    }
    let running = start(GatewayConfig {
        template_text: template.to_owned(),
        context: Context {
            // The region the test's secrets live in: a function reads its own region's
            // Secrets Manager (LocalStack, like AWS, keeps regions apart for BatchGetSecretValue).
            region: test_region(),
            stack_name: "fixture".into(),
            ..Context::default()
        },
        listen: "127.0.0.1:0".parse().unwrap(),
        lambda_endpoint: None,
        runtime: Some(RuntimeConfig {
            bin_dir: functions_dir(),
            instances,
            memory_mb: 128,
            env,
        }),
        aws_endpoint: None,
        mail_outbox: None,
        docs_dir: None,
        console: Default::default(),
        event_sources: false,
    })
    .await
    .unwrap();
    format!("http://{}", running.addr)
}

async fn get(base: &str, path: &str) -> (u16, Value) {
    let res = reqwest::get(format!("{base}{path}")).await.unwrap();
    let status = res.status().as_u16();
    let body = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&body).unwrap_or(Value::String(body)),
    )
}

#[tokio::test]
async fn an_invocation_gets_lambdas_headers_and_environment() {
    let base = gateway(FIXTURE, 2).await;
    let (status, seen) = get(&base, "/ok").await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(seen["functionName"], "fixture-fn");
    assert_eq!(seen["memory"], "128");
    assert_eq!(seen["fixtureEnv"], "from-the-gateway");
    // Its secret, as its template entry names it; another function does not get it.
    assert_eq!(
        seen["fixtureSecret"],
        "arn:aws:secretsmanager:us-east-1:000000000000:secret:fixture"
    );
    let (_, other) = get(&base, "/fast").await;
    assert_eq!(other["functionName"], "fixture-slow", "{other}");
    assert_eq!(other["fixtureSecret"], Value::Null, "{other}");
    assert_eq!(
        seen["invokedFunctionArn"],
        format!(
            "arn:aws:lambda:{}:000000000000:function:fixture-fn",
            test_region()
        )
    );
    assert!(
        seen["traceId"].as_str().unwrap().starts_with("Root=1-"),
        "{seen}"
    );
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let deadline = seen["deadlineMs"].as_u64().unwrap();
    assert!(deadline > now_ms && deadline <= now_ms + 20_000, "{seen}");
    let (_, again) = get(&base, "/ok").await;
    assert_ne!(again["requestId"], seen["requestId"]);
    // As Lambda: a new trace id with every invocation (what made every function grow until the
    // platform kept it out of the process environment; ARCHITECTURE.md, known limits).
    assert_ne!(again["traceId"], seen["traceId"]);
    assert_eq!(again["pid"], seen["pid"], "a warm instance is reused");
    for _ in 0..5 {
        let (_, next) = get(&base, "/ok").await;
        assert_eq!(next["pid"], seen["pid"], "one at a time needs one instance");
    }
}

#[tokio::test]
async fn a_function_error_is_a_502_and_the_instance_stays_warm() {
    let base = gateway(FIXTURE, 1).await;
    let (_, before) = get(&base, "/ok").await;
    let (status, body) = get(&base, "/error").await;
    assert_eq!(status, 502, "{body}");
    let (status, after) = get(&base, "/ok").await;
    assert_eq!(status, 200);
    assert_eq!(after["pid"], before["pid"]);
}

#[tokio::test]
async fn a_function_over_its_timeout_is_a_504_and_gets_a_fresh_instance() {
    let base = gateway(FIXTURE, 1).await;
    let (_, before) = get(&base, "/fast").await;
    let (status, body) = get(&base, "/slow").await;
    assert_eq!(status, 504, "{body}");
    let (status, after) = get(&base, "/fast").await;
    assert_eq!(status, 200, "{after}");
    assert_ne!(
        after["pid"], before["pid"],
        "the timed-out instance was stopped"
    );
}

#[tokio::test]
async fn a_crash_fails_that_invocation_and_the_next_one_starts_a_new_instance() {
    let base = gateway(FIXTURE, 1).await;
    let (_, before) = get(&base, "/ok").await;
    let (status, body) = get(&base, "/crash").await;
    assert_eq!(status, 502, "{body}");
    let (status, after) = get(&base, "/ok").await;
    assert_eq!(status, 200, "{after}");
    assert_ne!(after["pid"], before["pid"]);
}

#[tokio::test]
async fn a_failed_init_fails_the_invocation_instead_of_hanging() {
    let base = gateway(FIXTURE, 2).await;
    let (status, body) = get(&base, "/broken").await;
    assert_eq!(status, 502, "{body}");
    let (status, _) = get(&base, "/broken").await;
    assert_eq!(status, 502, "every invocation tries a fresh init");
}

#[tokio::test]
async fn concurrent_invocations_scale_out_up_to_the_instance_limit() {
    let base = gateway(FIXTURE, 2).await;
    let calls: Vec<_> = (0..5)
        .map(|_| {
            let base = base.clone();
            tokio::spawn(async move { get(&base, "/hold").await })
        })
        .collect();
    let mut pids = HashSet::new();
    for call in calls {
        let (status, seen) = call.await.unwrap();
        assert_eq!(status, 200, "{seen}");
        pids.insert(seen["pid"].as_u64().unwrap());
    }
    assert_eq!(
        pids.len(),
        2,
        "two instances, each taking its turn: {pids:?}"
    );
}

#[tokio::test]
async fn real_function_binaries_answer_through_the_runtime_api() {
    let template = FIXTURE.replace(
        "Resources:\n  Api:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: test\n",
        "Resources:\n  Api:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: test\n      \
         Auth:\n        DefaultAuthorizer: Tokens\n        Authorizers:\n          Tokens:\n            \
         FunctionArn: !GetAtt AuthorizerFunction.Arn\n            Identity: {Header: Authorization, ReauthorizeEvery: 0}\n  \
         AuthorizerFunction:\n    Type: AWS::Serverless::Function\n    \
         Metadata: {BuildMethod: rust-cargolambda, BuildProperties: {Binary: authorizer}}\n",
    );
    let base = gateway(&template, 1).await;
    let (status, body) = get(&base, "/health").await;
    assert_eq!(status, 401, "every route needs a token now: {body}");
    let res = reqwest::Client::new()
        .get(format!("{base}/health"))
        .header("authorization", "Bearer not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "the real authorizer refused the token");

    let base = gateway(FIXTURE, 1).await;
    let (status, body) = get(&base, "/health").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["status"], "ok", "{body}");
}

/// An AWS SDK Lambda client on the gateway's port, as `aws lambda invoke --endpoint-url`.
async fn lambda_client(base: &str) -> aws_sdk_lambda::Client {
    let sdk = streamia_shared::events::aws_defaults()
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(base)
        .credentials_provider(aws_sdk_lambda::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .load()
        .await;
    aws_sdk_lambda::Client::new(&sdk)
}

async fn invoke(
    client: &aws_sdk_lambda::Client,
    function: &str,
    payload: Value,
) -> (Option<String>, Value) {
    let out = client
        .invoke()
        .function_name(function)
        .payload(aws_sdk_lambda::primitives::Blob::new(payload.to_string()))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status_code, 200);
    let bytes = out.payload.map(|b| b.into_inner()).unwrap_or_default();
    (out.function_error, serde_json::from_slice(&bytes).unwrap())
}

#[tokio::test]
async fn the_lambda_invoke_api_runs_a_function_with_no_route() {
    let base = gateway(FIXTURE, 1).await;
    let client = lambda_client(&base).await;
    let (error, result) = invoke(
        &client,
        "fixture-operator",
        serde_json::json!({"path": "/x"}),
    )
    .await;
    assert_eq!(error, None, "{result}");
    let seen: Value = serde_json::from_str(result["body"].as_str().unwrap()).unwrap();
    assert_eq!(seen["functionName"], "fixture-operator");
    // By ARN, as `sam remote invoke` and the SDKs may name it.
    let arn = "arn:aws:lambda:us-east-1:000000000000:function:fixture-operator";
    assert_eq!(invoke(&client, arn, serde_json::json!({})).await.0, None);

    let (error, result) = invoke(
        &client,
        "fixture-operator",
        serde_json::json!({"path": "/error"}),
    )
    .await;
    assert_eq!(error.as_deref(), Some("Unhandled"));
    assert_eq!(result["errorMessage"], "failed on purpose", "{result}");

    let (error, result) = invoke(
        &client,
        "fixture-slow",
        serde_json::json!({"path": "/slow"}),
    )
    .await;
    assert_eq!(error.as_deref(), Some("Unhandled"));
    assert_eq!(result["errorType"], "Sandbox.Timedout", "{result}");

    let err = client
        .invoke()
        .function_name("no-such-function")
        .send()
        .await
        .unwrap_err();
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_resource_not_found_exception()),
        "{err:?}"
    );
}
