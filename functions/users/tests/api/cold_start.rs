//! A function whose cold start meets a dependency it cannot reach (Secrets Manager down, a
//! `mongodb+srv` name that does not resolve) or settings no retry fixes: the request is
//! answered in the contract's envelope (not API Gateway's 502 for a failed init), and once the
//! dependency answers again the same instance serves.

use lambda_http::{Body, Response};
use serde_json::Value;
use streamia_shared::config::HttpConfig;
use streamia_shared::http::{Cors, HttpPieces};
use streamia_shared::init::Deferred;
use streamia_shared::service::SdkConfig;
use streamia_shared::testing::faults::{localstack_addr, DownEndpoint};
use streamia_shared::testing::{apigw::EventBuilder, aws_config_at, TestEnv};
use streamia_users::adapters::http::HEALTH;
use streamia_users::Deps;

/// One `users-health` instance as its binary starts it: its own settings now, the service on
/// first use.
struct Instance {
    deps: &'static Deferred<Deps>,
    http: &'static HttpConfig,
    cors: Cors,
}

impl Instance {
    /// The cold start itself reads only the process environment: it cannot fail for an outage.
    fn start(env: &TestEnv, aws: SdkConfig) -> Self {
        let (deps, (http, cors)) = Deferred::<Deps>::with::<HttpPieces>(aws, env.vars())
            .expect("the function's own settings load without any secret");
        Self {
            deps: Box::leak(Box::new(deps)),
            http: Box::leak(Box::new(http)),
            cors,
        }
    }

    async fn health(&self) -> (Response<Body>, Value) {
        let request = EventBuilder::new("GET", "/api/v1/health", "/api/v1/health").build();
        let response = HEALTH
            .respond_deferred(self.deps, self.http, &self.cors, request)
            .await;
        let body = match response.body() {
            Body::Text(text) => serde_json::from_str(text).expect("a JSON body"),
            other => panic!("expected a text body, got {other:?}"),
        };
        (response, body)
    }
}

#[tokio::test]
async fn a_secrets_manager_outage_at_cold_start_is_a_503_in_the_envelope_then_the_next_request_recovers(
) {
    let env = TestEnv::new(&[]).await;
    // Every AWS call of this "instance", Secrets Manager's first, is refused.
    let mut aws_endpoint = DownEndpoint::new();
    let instance = Instance::start(&env, aws_config_at(&aws_endpoint.url()).await);

    let (first, body) = instance.health().await;
    assert_eq!(first.status(), 503);
    assert_eq!(body["success"], false);
    assert_eq!(body["error"], "UNAVAILABLE");
    assert!(first.headers().contains_key("x-correlation-id"));
    // It will not try again before then: a fleet of instances does not call Secrets Manager on
    // every request during an outage (or a throttle).
    let retry_after: u64 = first.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");

    // Secrets Manager answers again: the same instance builds its dependencies now.
    aws_endpoint.come_up(localstack_addr()).await;
    tokio::time::sleep(std::time::Duration::from_secs(retry_after)).await;
    let (second, body) = instance.health().await;
    assert_eq!(second.status(), 200, "{body}");
    assert_eq!(instance.health().await.0.status(), 200);
}

#[tokio::test]
async fn a_mongodb_srv_name_that_does_not_resolve_is_a_503_in_the_envelope_not_a_failed_init() {
    // `mongodb+srv://` is resolved (DNS SRV and TXT) when the client is built: with DNS down,
    // or a cluster name that does not exist, building the service fails.
    let env = TestEnv::new(&[("MONGODB_URI", "mongodb+srv://cluster0.streamia.invalid/")]).await;
    let (answer, body) = Instance::start(&env, env.aws.clone()).health().await;
    assert_eq!(answer.status(), 503);
    assert_eq!(body["error"], "UNAVAILABLE");
}

#[tokio::test]
async fn settings_no_retry_can_fix_are_a_500_not_an_invitation_to_retry() {
    let env = TestEnv::new(&[("MONGODB_URI", "not a connection string")]).await;
    let (answer, body) = Instance::start(&env, env.aws.clone()).health().await;
    assert_eq!(answer.status(), 500);
    assert_eq!(body["error"], "INTERNAL");
    assert!(!answer.headers().contains_key("retry-after"));
}
