//! The test harness: a users service on the real MongoDB, Redis and LocalStack, with its own
//! database, key space and topic per test, called with API Gateway REST events.

use std::future::Future;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use lambda_http::{Body, Request};
use serde_json::{json, Value};
use streamia_shared::auth::{authorize, AuthorizeError};
use streamia_shared::http::{respond, ApiError, ApiResponse, RequestCtx};
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
    pub state: &'static Deps,
}

#[derive(Debug)]
pub struct TestResponse {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Value,
    pub raw: String,
}

impl TestResponse {
    pub fn data(&self) -> &Value {
        &self.body["data"]
    }
    pub fn error(&self) -> &str {
        self.body["error"].as_str().unwrap_or("")
    }
    /// Asserts a failure in the contract's envelope.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{}", self.raw);
        assert_eq!(self.body["success"], json!(false), "{}", self.raw);
        assert_eq!(self.error(), code, "{}", self.raw);
        assert!(
            self.body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{}",
            self.raw
        );
    }
    /// Asserts a success in the contract's envelope.
    #[track_caller]
    pub fn assert_ok(&self, status: u16) {
        assert_eq!(self.status, status, "{}", self.raw);
        if status != 204 {
            assert_eq!(self.body["success"], json!(true), "{}", self.raw);
        }
    }
    /// The details entry for `field`.
    pub fn detail(&self, field: &str) -> Option<&str> {
        self.body["details"]
            .as_array()?
            .iter()
            .find(|d| d["field"] == field)?["message"]
            .as_str()
    }
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
        Outbox::new(&self.state.db, publisher)
    }

    async fn build(env: TestEnv, aws: &aws_config::SdkConfig) -> Self {
        log_buffer();
        let state = Deps::build(&env.lookup(), aws).await.expect("users deps");
        streamia_users::store::create_indexes(&state.db)
            .await
            .expect("indexes (is MongoDB running?)");
        Self {
            env,
            state: Box::leak(Box::new(state)),
        }
    }

    /// Invokes a handler exactly as its Lambda binary does.
    pub async fn call<H, Fut>(&self, handler: H, event: EventBuilder) -> TestResponse
    where
        H: FnOnce(&'static Deps, Request, RequestCtx) -> Fut,
        Fut: Future<Output = Result<ApiResponse, ApiError>>,
    {
        let state = self.state;
        let response = respond(event.build(), |req, ctx| handler(state, req, ctx)).await;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let raw = match response.body() {
            Body::Text(t) => t.clone(),
            Body::Binary(b) => String::from_utf8_lossy(b).into_owned(),
            _ => String::new(),
        };
        let body = if raw.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&raw).expect("response body is JSON")
        };
        TestResponse {
            status,
            headers,
            body,
            raw,
        }
    }

    /// What API Gateway does before a protected function: the authorizer's decision.
    pub async fn authorize(&self, token: &str) -> Result<Value, AuthorizeError> {
        let identity = authorize(
            &self.state.signer,
            &self.state.revocations,
            Some(&format!("Bearer {token}")),
        )
        .await?;
        Ok(Value::Object(identity.to_context()))
    }

    /// Calls a protected handler through the authorizer, as API Gateway would; a refused token
    /// yields the gateway's 401.
    pub async fn call_as<H, Fut>(
        &self,
        token: &str,
        handler: H,
        event: EventBuilder,
    ) -> TestResponse
    where
        H: FnOnce(&'static Deps, Request, RequestCtx) -> Fut,
        Fut: Future<Output = Result<ApiResponse, ApiError>>,
    {
        match self.authorize(token).await {
            Ok(context) => self.call(handler, event.authorizer(context)).await,
            Err(AuthorizeError::Unauthorized(_)) => TestResponse {
                status: 401,
                headers: http::HeaderMap::new(),
                body: json!({"success": false, "error": "UNAUTHORIZED", "message": "unauthorized"}),
                raw: String::new(),
            },
            Err(e) => panic!("authorizer failed: {e}"),
        }
    }

    pub async fn register_as(&self, username: &str, email: &str) -> TestResponse {
        use streamia_users::adapters::http::register;
        self.call(
            register,
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
        use streamia_users::adapters::http::login;
        self.call(
            login,
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
