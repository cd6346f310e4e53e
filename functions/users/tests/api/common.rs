//! The test harness: a users service on the real MongoDB, Redis and LocalStack, with its own
//! database, key space and topic per test, called with API Gateway REST events.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{json, Value};
use streamia_shared::auth::AuthorizeError;
use streamia_shared::http::Route;
pub use streamia_shared::testing::api::{TestApi, TestResponse};
use streamia_shared::testing::{apigw::EventBuilder, TestEnv};
use streamia_users::Deps;

pub const PASSWORD: &str = "Secret123";

/// Every log line any test wrote, in the production JSON format.
pub fn captured_logs() -> String {
    String::from_utf8_lossy(&log_buffer().lock().unwrap()).into_owned()
}

fn log_buffer() -> &'static Arc<Mutex<Vec<u8>>> {
    static BUF: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    BUF.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let writer = buf.clone();
        streamia_shared::telemetry::init_with_writer(move || CaptureWriter(writer.clone()));
        buf
    })
}

struct CaptureWriter(Arc<Mutex<Vec<u8>>>);

impl Write for CaptureWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub struct TestApp {
    pub env: TestEnv,
    pub api: TestApi<Deps>,
    pub state: &'static Deps,
}

/// A request as API Gateway builds it.
pub fn post(path: &str, body: Value) -> EventBuilder {
    EventBuilder::new("POST", path, path).json(body)
}

pub fn request(method: &str, path: &str) -> EventBuilder {
    EventBuilder::new(method, path, path)
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::with(&[]).await
    }

    pub async fn with(overrides: &[(&str, &str)]) -> Self {
        let env = TestEnv::new(overrides).await;
        let aws = env.aws.clone();
        Self::build(env, &aws).await
    }

    /// A users service whose SNS endpoint is unreachable (nothing listens on port 9), as
    /// during an SNS outage; the test's topic and queue still work for reading back.
    pub async fn with_sns_down() -> Self {
        let env = TestEnv::new(&[]).await;
        let down = env
            .aws
            .to_builder()
            .endpoint_url("http://127.0.0.1:9")
            .build();
        Self::build(env, &down).await
    }

    /// The users outbox with a publisher that reaches SNS: the relay once SNS is back.
    pub fn working_outbox(&self) -> streamia_shared::events::Outbox {
        use streamia_shared::events::{EventPublisher, Outbox, Topic};
        let publisher = EventPublisher::new(
            &self.env.aws,
            self.env.topics.arn(Topic::UserEvents),
            streamia_users::SERVICE,
        );
        Outbox::new(&self.state.mongo, &self.state.db, publisher)
    }

    async fn build(env: TestEnv, aws: &aws_config::SdkConfig) -> Self {
        log_buffer();
        let deps: Deps = env.service_with(aws).await;
        streamia_users::store::create_indexes(deps.db.clone())
            .await
            .expect("indexes (is MongoDB running?)");
        let api = TestApi::new(&env, deps).await;
        let state = api.deps;
        Self { env, api, state }
    }

    /// Invokes a route exactly as its Lambda binary does.
    pub async fn call(&self, route: Route<Deps>, event: EventBuilder) -> TestResponse {
        self.api.call(route, event).await
    }

    /// What API Gateway does before a protected function: the authorizer's decision.
    pub async fn authorize(&self, token: &str) -> Result<Value, AuthorizeError> {
        self.api.authorize(token).await
    }

    /// Calls a protected route through the authorizer, as API Gateway would; a refused token
    /// yields the gateway's 401.
    pub async fn call_as(
        &self,
        token: &str,
        route: Route<Deps>,
        event: EventBuilder,
    ) -> TestResponse {
        self.api.call_as(token, route, event).await
    }

    pub async fn register_as(&self, username: &str, email: &str) -> TestResponse {
        use streamia_users::adapters::http::REGISTER;
        self.call(
            REGISTER,
            post(
                "/api/v1/auth/register",
                json!({"username": username, "email": email, "password": PASSWORD}),
            ),
        )
        .await
    }

    /// Registers a fresh user; returns (access token, refresh token, user).
    pub async fn user(&self) -> (String, String, Value) {
        let n = &uuid::Uuid::new_v4().simple().to_string()[..10];
        let res = self
            .register_as(&format!("user_{n}"), &format!("{n}@example.com"))
            .await;
        res.assert_ok(201);
        let d = res.data().clone();
        (
            d["accessToken"].as_str().unwrap().to_owned(),
            d["refreshToken"].as_str().unwrap().to_owned(),
            d["user"].clone(),
        )
    }

    pub async fn login(&self, email: &str, password: &str) -> TestResponse {
        use streamia_users::adapters::http::LOGIN;
        self.call(
            LOGIN,
            post(
                "/api/v1/auth/login",
                json!({"email": email, "password": password}),
            ),
        )
        .await
    }

    /// Moves every spent refresh token's spend back past the retry grace window, so the next
    /// presentation counts as reuse (instead of sleeping through the window).
    pub async fn age_spent_refresh_tokens(&self) {
        let grace = streamia_users::ops::refresh::RETRY_GRACE.as_millis() as i64;
        let aged =
            bson::DateTime::from_millis(bson::DateTime::now().timestamp_millis() - grace - 1000);
        self.state
            .db
            .collection::<bson::Document>("refresh_tokens")
            .update_many(
                bson::doc! {"spentAt": {"$ne": null}},
                bson::doc! {"$set": {"spentAt": aged}},
            )
            .await
            .unwrap();
    }

    /// A raw document of this service's database, to check what is stored.
    pub async fn stored(&self, collection: &str, filter: bson::Document) -> Option<bson::Document> {
        let client = mongodb::Client::with_uri_str(&self.env.mongo.uri)
            .await
            .unwrap();
        client
            .database(&self.env.mongo.database_name("users"))
            .collection::<bson::Document>(collection)
            .find_one(filter)
            .await
            .unwrap()
    }
}
