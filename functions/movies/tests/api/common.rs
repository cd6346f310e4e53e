//! The test harness: a movies service on the real services, with its own database, key prefix
//! and topic per test, called with API Gateway REST events.

#![allow(dead_code)]

use serde_json::{json, Value};
use streamia_movies::adapters::http::{CREATE, DELETE, GET, LIST, UPDATE};
use streamia_movies::Deps;
use streamia_shared::domain::Role;
use streamia_shared::http::Route;
pub use streamia_shared::testing::api::{TestApi, TestResponse};
use streamia_shared::testing::{apigw::EventBuilder, TestEnv};

pub struct TestApp {
    pub env: TestEnv,
    pub api: TestApi<Deps>,
    pub deps: &'static Deps,
    pub admin: String,
    pub user: String,
}

pub fn request(method: &str, resource: &str, path: &str) -> EventBuilder {
    EventBuilder::new(method, resource, path)
}

/// `GET /movies` with these query parameters.
pub fn list(query: &[(&str, &str)]) -> EventBuilder {
    let event = request("GET", "/api/v1/movies", "/api/v1/movies");
    match query.is_empty() {
        true => event,
        false => event.query(query),
    }
}

/// A request on `/movies/{id}`.
pub fn on_movie(method: &str, id: &str) -> EventBuilder {
    request(
        method,
        "/api/v1/movies/{id}",
        &format!("/api/v1/movies/{id}"),
    )
    .path_params(json!({ "id": id }))
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::with(&[]).await
    }

    pub async fn with(overrides: &[(&str, &str)]) -> Self {
        let env = TestEnv::new(overrides).await;
        let deps: Deps = env.service().await;
        streamia_movies::store::create_indexes(deps.db.clone())
            .await
            .expect("indexes (is MongoDB running?)");
        let api = TestApi::new(&env, deps).await;
        let deps = api.deps;
        let signer = env.signer();
        let token = |role: Role| {
            let signer = signer.clone();
            async move {
                let id = bson::oid::ObjectId::new().to_hex();
                signer
                    .issue(&id, &format!("{id}@example.com"), role, "s1")
                    .await
                    .unwrap()
                    .token
            }
        };
        let admin = token(Role::Admin).await;
        let user = token(Role::User).await;
        Self {
            env,
            api,
            deps,
            admin,
            user,
        }
    }

    /// Another function instance of the same service (its own clients), as Lambda scales out.
    pub async fn second_instance(&self) -> TestApi<Deps> {
        let deps: Deps = self.env.service().await;
        TestApi::new(&self.env, deps).await
    }

    pub async fn call(&self, route: Route<Deps>, event: EventBuilder) -> TestResponse {
        self.api.call(route, event).await
    }

    pub async fn as_admin(&self, route: Route<Deps>, event: EventBuilder) -> TestResponse {
        self.api.call_as(&self.admin, route, event).await
    }

    pub async fn as_user(&self, route: Route<Deps>, event: EventBuilder) -> TestResponse {
        self.api.call_as(&self.user, route, event).await
    }

    /// Creates a movie as admin; returns it.
    pub async fn create(&self, body: Value) -> Value {
        let res = self
            .as_admin(
                CREATE,
                request("POST", "/api/v1/movies", "/api/v1/movies").json(body),
            )
            .await;
        res.assert_ok(201);
        res.data().clone()
    }

    /// A valid movie titled `title`.
    pub async fn movie(&self, title: &str) -> Value {
        self.create(json!({"title": title, "category": "drama", "duration": 5400}))
            .await
    }

    pub async fn get(&self, id: &str) -> TestResponse {
        self.call(GET, on_movie("GET", id)).await
    }

    pub async fn list(&self, query: &[(&str, &str)]) -> TestResponse {
        self.call(LIST, list(query)).await
    }

    pub async fn update(&self, id: &str, body: Value) -> TestResponse {
        self.as_admin(UPDATE, on_movie("PUT", id).json(body)).await
    }

    pub async fn delete(&self, id: &str) -> TestResponse {
        self.as_admin(DELETE, on_movie("DELETE", id)).await
    }

    /// Titles of a list answer, in order.
    pub fn titles(res: &TestResponse) -> Vec<String> {
        res.data()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["title"].as_str().unwrap().to_owned())
            .collect()
    }
}
