//! The test harness: a favorites service on the real services, with its own database per
//! test, two signed-in users, movies fed through the consumer, routes called with API Gateway
//! REST events.

#![allow(dead_code)]

use bson::oid::ObjectId;
use serde_json::{json, Value};
use streamia_favorites::adapters::http::{ADD, GET, LIST, REMOVE, UPDATE};
use streamia_favorites::adapters::sqs;
use streamia_favorites::Deps;
use streamia_shared::domain::Role;
use streamia_shared::events::consumer::ConsumeError;
use streamia_shared::events::movies::{MovieCreated, MovieDeleted, MovieStatus, MovieUpdated};
use streamia_shared::events::{Envelope, Event};
use streamia_shared::http::Route;
use streamia_shared::service::Caller;
pub use streamia_shared::testing::api::{TestApi, TestResponse};
use streamia_shared::testing::{apigw::EventBuilder, TestEnv};

/// A signed-in user: its access token and the caller the platform builds from it.
#[derive(Clone)]
pub struct User {
    pub token: String,
    pub caller: Caller,
}

pub struct TestApp {
    pub env: TestEnv,
    pub api: TestApi<Deps>,
    pub deps: &'static Deps,
    pub alice: User,
    pub bob: User,
}

pub fn request(method: &str, resource: &str, path: &str) -> EventBuilder {
    EventBuilder::new(method, resource, path)
}

/// `GET /favorites` with these query parameters.
pub fn list(query: &[(&str, &str)]) -> EventBuilder {
    let event = request("GET", "/api/v1/favorites", "/api/v1/favorites");
    match query.is_empty() {
        true => event,
        false => event.query(query),
    }
}

/// `POST /favorites` with `body`.
pub fn add(body: Value) -> EventBuilder {
    request("POST", "/api/v1/favorites", "/api/v1/favorites").json(body)
}

/// A request on `/favorites/{movieId}`.
pub fn on_favorite(method: &str, movie_id: &str) -> EventBuilder {
    request(
        method,
        "/api/v1/favorites/{movieId}",
        &format!("/api/v1/favorites/{movie_id}"),
    )
    .path_params(json!({ "movieId": movie_id }))
}

/// A movie event at aggregate `version`, untyped as the consumer receives it.
pub fn at<P: Event>(version: u64, payload: P) -> Envelope {
    let mut envelope = Envelope::new("movies", "corr-movie", payload);
    envelope.aggregate_version = version;
    serde_json::from_value(serde_json::to_value(&envelope).unwrap()).unwrap()
}

pub fn created(movie: ObjectId, title: &str) -> Envelope {
    at(
        1,
        MovieCreated {
            movie_id: movie.to_hex(),
            title: title.into(),
            cover_image: Some(format!("https://img.example/{title}.jpg")),
            status: MovieStatus::Active,
        },
    )
}

pub fn updated(movie: ObjectId, version: u64, title: &str) -> Envelope {
    at(
        version,
        MovieUpdated {
            movie_id: movie.to_hex(),
            title: title.into(),
            cover_image: Some(format!("https://img.example/{title}.jpg")),
            status: MovieStatus::Active,
            changed: vec!["title".into(), "coverImage".into()],
        },
    )
}

pub fn deleted(movie: ObjectId, version: u64, title: &str) -> Envelope {
    at(
        version,
        MovieDeleted {
            saga_id: "saga-1".into(),
            movie_id: movie.to_hex(),
            title: title.into(),
            cover_image: None,
            status: MovieStatus::Active,
        },
    )
}

impl TestApp {
    pub async fn spawn() -> Self {
        let env = TestEnv::new(&[]).await;
        let deps: Deps = env.service().await;
        streamia_favorites::store::create_indexes(deps.db.clone())
            .await
            .expect("indexes (is MongoDB running?)");
        let api = TestApi::new(&env, deps).await;
        let deps = api.deps;
        let signer = env.signer();
        let user = |role: Role| {
            let signer = signer.clone();
            async move {
                let id = ObjectId::new();
                let token = signer
                    .issue(&id.to_hex(), &format!("{id}@example.com"), role, "s1")
                    .await
                    .unwrap()
                    .token;
                User {
                    token,
                    caller: Caller {
                        user_id: id,
                        role,
                        session_id: "s1".into(),
                        token_id: "t1".into(),
                        expires_at: i64::MAX,
                    },
                }
            }
        };
        let alice = user(Role::User).await;
        let bob = user(Role::User).await;
        Self {
            env,
            api,
            deps,
            alice,
            bob,
        }
    }

    /// Delivers `envelope` to the consumer's adapter, as the SQS event source does.
    pub async fn deliver(&self, envelope: Envelope) -> Result<(), ConsumeError> {
        sqs::on_movie_change(self.deps, envelope).await
    }

    /// A movie the service knows (its `movie.created` delivered), titled `title`.
    pub async fn movie(&self, title: &str) -> ObjectId {
        let id = ObjectId::new();
        self.deliver(created(id, title)).await.unwrap();
        id
    }

    pub async fn call(&self, route: Route<Deps>, event: EventBuilder) -> TestResponse {
        self.api.call(route, event).await
    }

    pub async fn as_user(
        &self,
        user: &User,
        route: Route<Deps>,
        event: EventBuilder,
    ) -> TestResponse {
        self.api.call_as(&user.token, route, event).await
    }

    /// `user` adds `movie` with `note` (JSON: a string, null, or absent when `Value::Null`).
    pub async fn add(&self, user: &User, movie: ObjectId, note: Option<&str>) -> TestResponse {
        let body = match note {
            Some(note) => json!({"movieId": movie.to_hex(), "note": note}),
            None => json!({"movieId": movie.to_hex()}),
        };
        self.as_user(user, ADD, add(body)).await
    }

    pub async fn get(&self, user: &User, movie: &str) -> TestResponse {
        self.as_user(user, GET, on_favorite("GET", movie)).await
    }

    pub async fn update(&self, user: &User, movie: &str, body: Value) -> TestResponse {
        self.as_user(user, UPDATE, on_favorite("PUT", movie).json(body))
            .await
    }

    pub async fn remove(&self, user: &User, movie: &str) -> TestResponse {
        self.as_user(user, REMOVE, on_favorite("DELETE", movie))
            .await
    }

    pub async fn list(&self, user: &User, query: &[(&str, &str)]) -> TestResponse {
        self.as_user(user, LIST, list(query)).await
    }

    /// The movie ids of a list answer, in order.
    pub fn movie_ids(res: &TestResponse) -> Vec<String> {
        res.data()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["movieId"].as_str().unwrap().to_owned())
            .collect()
    }
}
