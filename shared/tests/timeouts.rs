//! A dependency that hangs costs a request a bounded time and a 503 in the envelope, never the
//! function's whole timeout: Redis, SNS and MongoDB, each behind a connection that accepts and
//! then never answers (started by the test), through the same `respond` wrapper every handler
//! runs in.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_sns::config::Credentials;
use lambda_http::RequestExt;
use serde_json::Value;
use streamia_shared::cache::{self, WindowCounter};
use streamia_shared::config::{Load, RedisConfig};
use streamia_shared::events::{aws_config_loader, Event, EventPublisher};
use streamia_shared::http::{respond, ApiError, ApiResponse};
use streamia_shared::testing::apigw::EventBuilder;
use streamia_shared::testing::faults::{FreezableProxy, HangingListener};

/// An event for the publisher to send.
#[derive(serde::Serialize)]
struct Probe {
    n: u32,
}

impl Event for Probe {
    const NAME: &'static str = "test.probed";
    fn aggregate_id(&self) -> &str {
        "probe"
    }
}

/// The function's timeout in template.yaml.
const FUNCTION_TIMEOUT: Duration = Duration::from_secs(10);

fn env_or(key: &str, default: &str) -> String {
    std::env::var(key)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

/// `host:port` of a `scheme://host:port/` URL from the environment.
fn authority(url: &str) -> String {
    let url = url::Url::parse(url).unwrap();
    format!(
        "{}:{}",
        url.host_str().unwrap(),
        url.port_or_known_default().unwrap()
    )
}

fn config(redis_url: &str) -> RedisConfig {
    let vars = [
        ("MONGODB_URI", "mongodb://127.0.0.1:1/".to_owned()),
        ("REDIS_URL", redis_url.to_owned()),
        (
            "REDIS_KEY_PREFIX",
            format!("timeouts:{}:", uuid::Uuid::new_v4().simple()),
        ),
    ];
    RedisConfig::load(&|k: &str| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone()))
        .unwrap()
}

/// A request carrying the Lambda context of an invocation with `timeout` left.
fn request(timeout: Duration) -> lambda_http::Request {
    let deadline = SystemTime::now() + timeout;
    request_with_deadline(deadline.duration_since(UNIX_EPOCH).unwrap().as_millis() as u64)
}

/// A request whose Lambda context says `Lambda-Runtime-Deadline-Ms: deadline_ms`.
fn request_with_deadline(deadline_ms: u64) -> lambda_http::Request {
    let mut ctx = lambda_http::Context::default();
    ctx.deadline = deadline_ms;
    EventBuilder::new("POST", "/api/v1/things", "/api/v1/things")
        .build()
        .with_lambda_context(ctx)
}

#[tokio::test]
async fn an_emulator_deadline_in_the_past_leaves_the_default_budget() {
    // `cargo lambda watch` sends this constant as the deadline (1970 as a timestamp).
    let res = respond(request_with_deadline(600_000), |_, _| async {
        tokio::task::yield_now().await;
        Ok(ApiResponse::ok(()))
    })
    .await;
    let (status, body) = parse(&res);
    assert_eq!(status, 200, "{body}");
}

/// Status and envelope of a response.
fn parse(res: &lambda_http::Response<lambda_http::Body>) -> (u16, Value) {
    let body = match res.body() {
        lambda_http::Body::Text(t) => serde_json::from_str(t).unwrap(),
        _ => Value::Null,
    };
    (res.status().as_u16(), body)
}

#[tokio::test]
async fn a_redis_that_stops_answering_gives_a_503_within_a_second_or_two() {
    let proxy =
        FreezableProxy::start(authority(&env_or("REDIS_URL", "redis://127.0.0.1:6379/"))).await;
    let config = config(&format!("redis://{}/", proxy.addr()));
    let redis = cache::connect(&config)
        .await
        .expect("redis through the proxy");
    let counter = WindowCounter::new(redis, &config.key_prefix, "t", 60);
    assert_eq!(
        counter.hit("a").await.unwrap(),
        1,
        "works before the freeze"
    );

    proxy.freeze();
    let started = Instant::now();
    let res = respond(request(FUNCTION_TIMEOUT), |_, _| async {
        counter.hit("a").await?;
        Ok(ApiResponse::ok(()))
    })
    .await;
    let elapsed = started.elapsed();
    let (status, body) = parse(&res);
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"], "UNAVAILABLE", "{body}");
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
}

#[tokio::test]
async fn a_redis_that_never_answers_costs_no_cold_start_and_fails_its_command_fast() {
    let hanging = HangingListener::start().await;
    let config = config(&format!("redis://{}/", hanging.addr()));
    let started = Instant::now();
    // The connection opens on first use: a silent Redis does not hold the cold start.
    let redis = cache::connect(&config)
        .await
        .expect("preparing the client needs no server");
    assert!(started.elapsed() < Duration::from_millis(500));
    let err = redis
        .ping()
        .await
        .expect_err("no connection to a silent server");
    assert!(err.is_timeout(), "{err}");
    // The first command gives up well inside a request's budget.
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn an_sns_that_never_answers_gives_a_503_within_the_aws_call_budget() {
    let hanging = HangingListener::start().await;
    let aws = aws_config_loader()
        .endpoint_url(format!("http://{}", hanging.addr()))
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .load()
        .await;
    let publisher = EventPublisher::new(
        &aws,
        Some("arn:aws:sns:us-east-1:000000000000:user-events".to_owned()),
        "users",
    );
    let started = Instant::now();
    let res = respond(request(FUNCTION_TIMEOUT), |_, ctx| async move {
        publisher
            .publish(&ctx.correlation_id, Probe { n: 1 })
            .await
            .map_err(ApiError::unavailable)?;
        Ok(ApiResponse::no_content())
    })
    .await;
    let elapsed = started.elapsed();
    let (status, body) = parse(&res);
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"], "UNAVAILABLE", "{body}");
    // Every attempt and backoff fit in the SDK's 5 s operation timeout, inside the function's.
    assert!(elapsed < Duration::from_secs(6), "took {elapsed:?}");
}

#[tokio::test]
async fn a_mongodb_operation_that_hangs_ends_in_a_503_before_the_lambda_deadline() {
    let upstream = env_or("MONGODB_URI", "mongodb://127.0.0.1:27017/");
    let proxy = FreezableProxy::start(authority(&upstream)).await;
    // Direct connection: the server's own address (in its hello) must not bypass the proxy.
    let uri = format!("mongodb://{}/?directConnection=true", proxy.addr());
    let mongo = streamia_shared::db::connect(&uri).await.unwrap();
    let things = mongo
        .database(&format!("timeouts_{}", uuid::Uuid::new_v4().simple()))
        .collection::<bson::Document>("things");
    things
        .insert_one(bson::doc! {"n": 1})
        .await
        .expect("works before the freeze");

    proxy.freeze();
    // An invocation with 3 s left: the handler gets 2 s, then the envelope's 503.
    let started = Instant::now();
    let res = respond(request(Duration::from_secs(3)), |_, _| async {
        things.find_one(bson::doc! {"n": 1}).await?;
        Ok(ApiResponse::ok(()))
    })
    .await;
    let elapsed = started.elapsed();
    let (status, body) = parse(&res);
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"], "UNAVAILABLE", "{body}");
    assert!(
        elapsed >= Duration::from_millis(1900) && elapsed < Duration::from_secs(3),
        "took {elapsed:?}"
    );
}
