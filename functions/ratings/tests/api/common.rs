//! The test harness: a ratings service on the real services, with its own database and topic
//! per test, called with API Gateway REST events or through its operations.

#![allow(dead_code)]

use bson::oid::ObjectId;
use serde_json::{json, Value};
use streamia_ratings::adapters::http::{DELETE, LIST_MINE, MOVIE_STATS, PUT};
use streamia_ratings::adapters::sqs;
use streamia_ratings::Deps;
use streamia_shared::domain::Role;
use streamia_shared::events::movies::{MovieCreated, MovieDeleted, MovieStatus, MovieUpdated};
use streamia_shared::events::{Envelope, Event};
use streamia_shared::http::Route;
use streamia_shared::service::Caller;
pub use streamia_shared::testing::api::{TestApi, TestResponse};
use streamia_shared::testing::{apigw::EventBuilder, TestEnv};

pub struct TestApp {
    pub env: TestEnv,
    pub api: TestApi<Deps>,
    pub deps: &'static Deps,
}

/// A signed-in user: its token (routes) and its caller (operations).
#[derive(Clone)]
pub struct User {
    pub token: String,
    pub caller: Caller,
}

pub fn request(method: &str, resource: &str, path: &str) -> EventBuilder {
    EventBuilder::new(method, resource, path)
}

/// A request on `/ratings/{movieId}`.
pub fn on_rating(method: &str, movie: &str) -> EventBuilder {
    request(
        method,
        "/api/v1/ratings/{movieId}",
        &format!("/api/v1/ratings/{movie}"),
    )
    .path_params(json!({ "movieId": movie }))
}

/// `GET /ratings/movies/{movieId}`.
pub fn stats_of(movie: &str) -> EventBuilder {
    request(
        "GET",
        "/api/v1/ratings/movies/{movieId}",
        &format!("/api/v1/ratings/movies/{movie}"),
    )
    .path_params(json!({ "movieId": movie }))
}

/// `GET /ratings/me` with these query parameters.
pub fn mine(query: &[(&str, &str)]) -> EventBuilder {
    let event = request("GET", "/api/v1/ratings/me", "/api/v1/ratings/me");
    match query.is_empty() {
        true => event,
        false => event.query(query),
    }
}

/// A movie event as the movies service publishes it, at per-movie version `version`, as the
/// consumer receives it (untyped).
pub fn movie_event<P: Event + serde::Serialize>(payload: P, version: u64) -> Envelope {
    let mut envelope = Envelope::new("movies", "corr-movie", payload);
    envelope.aggregate_version = version;
    serde_json::from_value(serde_json::to_value(envelope).unwrap()).unwrap()
}

pub fn created(movie: &str, title: &str) -> MovieCreated {
    MovieCreated {
        movie_id: movie.to_owned(),
        title: title.to_owned(),
        cover_image: None,
        status: MovieStatus::Active,
    }
}

pub fn updated(movie: &str, title: &str) -> MovieUpdated {
    MovieUpdated {
        movie_id: movie.to_owned(),
        title: title.to_owned(),
        cover_image: None,
        status: MovieStatus::Active,
        changed: vec!["title".into()],
    }
}

pub fn deleted(movie: &str, title: &str) -> MovieDeleted {
    MovieDeleted {
        saga_id: "saga-1".into(),
        movie_id: movie.to_owned(),
        title: title.to_owned(),
        cover_image: None,
        status: MovieStatus::Active,
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        let env = TestEnv::new(&[]).await;
        let deps: Deps = env.service().await;
        streamia_ratings::store::create_indexes(deps.db.clone())
            .await
            .expect("indexes (is MongoDB running?)");
        let api = TestApi::new(&env, deps).await;
        let deps = api.deps;
        Self { env, api, deps }
    }

    /// A new signed-in user.
    pub async fn user(&self) -> User {
        let id = ObjectId::new();
        let issued = self
            .env
            .signer()
            .issue(&id.to_hex(), &format!("{id}@example.com"), Role::User, "s1")
            .await
            .unwrap();
        User {
            token: issued.token,
            caller: Caller {
                user_id: id,
                role: Role::User,
                session_id: "s1".into(),
                token_id: "t1".into(),
                expires_at: i64::MAX,
            },
        }
    }

    /// Delivers a movie event through the consumer's adapter, as SQS does.
    pub async fn deliver(&self, envelope: Envelope) {
        sqs::on_movie_change(self.deps, envelope)
            .await
            .expect("movie event consumed");
    }

    /// A movie the copies know as visible (its `movie.created` consumed); its id.
    pub async fn movie(&self, title: &str) -> String {
        let id = ObjectId::new().to_hex();
        self.deliver(movie_event(created(&id, title), 1)).await;
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

    pub async fn rate(&self, user: &User, movie: &str, score: Value) -> TestResponse {
        self.as_user(
            user,
            PUT,
            on_rating("PUT", movie).json(json!({ "score": score })),
        )
        .await
    }

    pub async fn unrate(&self, user: &User, movie: &str) -> TestResponse {
        self.as_user(user, DELETE, on_rating("DELETE", movie)).await
    }

    pub async fn mine(&self, user: &User, query: &[(&str, &str)]) -> TestResponse {
        self.as_user(user, LIST_MINE, mine(query)).await
    }

    pub async fn stats(&self, movie: &str) -> TestResponse {
        self.call(MOVIE_STATS, stats_of(movie)).await
    }
}

/// `{"1": a, ..., "5": e}`.
pub fn distribution(counts: [u64; 5]) -> Value {
    json!({"1": counts[0], "2": counts[1], "3": counts[2], "4": counts[3], "5": counts[4]})
}
