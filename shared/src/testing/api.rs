//! Calling a service's routes in tests exactly as its Lambda binaries serve them: the same
//! [`Route::respond`] (access checks, envelope, correlation id), with the authorizer's decision
//! in front of protected routes as API Gateway makes it.

use lambda_http::Body;
use serde_json::{json, Value};

use super::apigw::EventBuilder;
use super::TestEnv;
use crate::auth::{authorize, AuthorizeError, Revocations, TokenVerifier};
use crate::config::HttpConfig;
use crate::http::{Cors, Route};
use crate::service::Service;

/// A service's dependencies on a test's slice of the real services, and the authorizer's
/// keys, to call its routes.
pub struct TestApi<D: 'static> {
    /// The service's dependencies, as its functions hold them.
    pub deps: &'static D,
    http: &'static HttpConfig,
    verifier: TokenVerifier,
    revocations: Revocations,
}

impl<D: Service> TestApi<D> {
    /// `deps` served with `env`'s HTTP settings, behind an authorizer with `env`'s token
    /// settings and revocation list.
    pub async fn new(env: &TestEnv, deps: D) -> Self {
        let redis = crate::cache::connect(&env.redis)
            .await
            .expect("redis client for the test authorizer");
        Self {
            deps: Box::leak(Box::new(deps)),
            http: Box::leak(Box::new(env.http.clone())),
            verifier: env.verifier(),
            revocations: Revocations::new(
                redis,
                &env.redis.key_prefix,
                env.tokens.access_ttl.as_secs(),
            ),
        }
    }

    /// Invokes `route` with `event` exactly as its Lambda binary does (no CORS origin set).
    pub async fn call(&self, route: Route<D>, event: EventBuilder) -> TestResponse {
        let response = route
            .respond(self.deps, self.http, &Cors::default(), event.build())
            .await;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let raw = match response.body() {
            Body::Text(t) => t.clone(),
            Body::Binary(b) => String::from_utf8_lossy(b).into_owned(),
            _ => String::new(),
        };
        let body = match raw.is_empty() {
            true => Value::Null,
            false => serde_json::from_str(&raw).expect("response body is JSON"),
        };
        TestResponse {
            status,
            headers,
            body,
            raw,
        }
    }

    /// What API Gateway does before a protected function: the authorizer's decision, as the
    /// context it passes on.
    pub async fn authorize(&self, token: &str) -> Result<Value, AuthorizeError> {
        let identity = authorize(
            &self.verifier,
            &self.revocations,
            Some(&format!("Bearer {token}")),
        )
        .await?;
        Ok(Value::Object(identity.to_context()))
    }

    /// Calls `route` through the authorizer, as API Gateway would; a refused token gets the
    /// gateway's 401 without invoking the function.
    pub async fn call_as(&self, token: &str, route: Route<D>, event: EventBuilder) -> TestResponse {
        match self.authorize(token).await {
            Ok(context) => self.call(route, event.authorizer(context)).await,
            Err(AuthorizeError::Unauthorized(_)) => TestResponse {
                status: 401,
                headers: http::HeaderMap::new(),
                body: json!({"success": false, "error": "UNAUTHORIZED", "message": "unauthorized"}),
                raw: String::new(),
            },
            Err(e) => panic!("authorizer failed: {e}"),
        }
    }
}

/// An answer as a client reads it.
#[derive(Debug)]
pub struct TestResponse {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: http::HeaderMap,
    /// The body as JSON (`Null` when empty).
    pub body: Value,
    /// The body as sent.
    pub raw: String,
}

impl TestResponse {
    /// The envelope's `data`.
    pub fn data(&self) -> &Value {
        &self.body["data"]
    }

    /// The envelope's machine code (`""` on success).
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

    /// The `details` entry for `field`.
    pub fn detail(&self, field: &str) -> Option<&str> {
        self.body["details"]
            .as_array()?
            .iter()
            .find(|d| d["field"] == field)?["message"]
            .as_str()
    }
}
