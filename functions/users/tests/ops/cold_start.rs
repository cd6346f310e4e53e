//! A dependency that is down at cold start: the function still starts (building `Deps` opens
//! no connection) and answers 503 in the envelope; /health names the dependency in its log
//! line only, never to the client.

use streamia_shared::testing::api::TestApi;
use streamia_shared::testing::apigw::EventBuilder;
use streamia_shared::testing::TestEnv;
use streamia_users::adapters::http;
use streamia_users::ops::{health, login};
use streamia_users::{Deps, UsersError};

use crate::common::*;

/// Nothing listens on port 1.
const CLOSED_REDIS: &str = "redis://127.0.0.1:1/";
const CLOSED_MONGO: &str = "mongodb://127.0.0.1:1/?directConnection=true";

/// A function instance built on `env` (its cold start succeeds), and its answer to /health.
async fn call_health(env: &TestEnv) -> (u16, serde_json::Value, &'static Deps) {
    let api = TestApi::new(env, instance(env).await).await;
    let event = EventBuilder::new("GET", "/api/v1/health", "/api/v1/health");
    let res = api.call(http::HEALTH, event).await;
    (res.status, res.body, api.deps)
}

/// The public answer names no internals; the error (what the log line's `cause` carries)
/// names the dependency.
async fn assert_named_only_in_the_log(deps: &Deps, body: &serde_json::Value, dependency: &str) {
    assert_eq!(body["error"], "UNAVAILABLE");
    let text = body.to_string().to_lowercase();
    for internal in ["redis", "mongo"] {
        assert!(!text.contains(internal), "{body}");
    }
    let cause = health::execute(deps).await.unwrap_err().to_string();
    assert!(cause.starts_with(dependency), "{cause}");
}

#[tokio::test]
async fn redis_down_is_a_503_naming_redis_in_the_log_only() {
    let env = TestEnv::new(&[("REDIS_URL", CLOSED_REDIS)]).await;
    let (status, body, deps) = call_health(&env).await;
    assert_eq!(status, 503, "{body}");
    assert_named_only_in_the_log(deps, &body, "redis").await;
    // An operation that needs Redis answers 503 too, not a panic or a 500.
    let cmd = login::parse(login::Input {
        email: Some("a@example.com".into()),
        password: Some(PASSWORD.into()),
    })
    .unwrap();
    let err = login::execute(deps, cmd, &ctx()).await.unwrap_err();
    assert!(matches!(err, UsersError::Redis(_)), "{err:?}");
    let api: streamia_shared::http::ApiError = err.into();
    assert_eq!(api.status(), 503);
}

#[tokio::test]
async fn mongodb_down_is_a_503_naming_mongodb_in_the_log_only() {
    let env = TestEnv::new(&[("MONGODB_URI", CLOSED_MONGO)]).await;
    let (status, body, deps) = call_health(&env).await;
    assert_eq!(status, 503, "{body}");
    assert_named_only_in_the_log(deps, &body, "mongodb").await;
}

#[tokio::test]
async fn health_is_ok_when_both_answer() {
    let f = Fixture::new().await;
    let h = health::execute(&f.deps).await.unwrap();
    assert_eq!(
        serde_json::to_value(h).unwrap(),
        serde_json::json!({"status": "ok"})
    );
}
