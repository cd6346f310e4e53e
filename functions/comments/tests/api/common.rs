//! The test harness: a comments service on the real services (SecantusDB, the auth Redis,
//! LocalStack's Secrets Manager), with its own database and key prefix per test, called with
//! API Gateway REST events; movies and users are made known to it through its consumers, as
//! their events would.

#![allow(dead_code)]

use bson::oid::ObjectId;
use serde_json::{json, Value};
use streamia_comments::adapters::http::{
    CREATE, DELETE, LIST, MODERATE, MODERATION_LIST, REPORT, UPDATE,
};
use streamia_comments::adapters::sqs;
use streamia_comments::{CopyDeps, Deps};
use streamia_shared::domain::Role;
use streamia_shared::events::consumer::{process_batch, Budget};
use streamia_shared::events::movies::{MovieCreated, MovieDeleted, MovieStatus, MovieUpdated};
use streamia_shared::events::users::{UserRegistered, UserUpdated};
use streamia_shared::events::{Envelope, Event};
use streamia_shared::http::Route;
pub use streamia_shared::testing::api::{TestApi, TestResponse};
use streamia_shared::testing::{apigw::EventBuilder, TestEnv};

pub struct TestApp {
    pub env: TestEnv,
    pub api: TestApi<Deps>,
    pub deps: &'static Deps,
    pub copies: &'static CopyDeps,
}

/// A signed-in account: its id and access token.
#[derive(Clone)]
pub struct User {
    pub id: ObjectId,
    pub token: String,
}

pub fn request(method: &str, resource: &str, path: &str) -> EventBuilder {
    EventBuilder::new(method, resource, path)
}

/// `GET /comments/movies/{movieId}` with these query parameters.
pub fn list_event(movie: &str, query: &[(&str, &str)]) -> EventBuilder {
    let event = request(
        "GET",
        "/api/v1/comments/movies/{movieId}",
        &format!("/api/v1/comments/movies/{movie}"),
    )
    .path_params(json!({ "movieId": movie }));
    match query.is_empty() {
        true => event,
        false => event.query(query),
    }
}

/// A request on `/comments/{id}` (`suffix`: `""`, `/reports` or `/moderation`).
pub fn on_comment(method: &str, id: &str, suffix: &str) -> EventBuilder {
    request(
        method,
        &format!("/api/v1/comments/{{id}}{suffix}"),
        &format!("/api/v1/comments/{id}{suffix}"),
    )
    .path_params(json!({ "id": id }))
}

/// An event at aggregate `version`, as a consumer receives it (untyped).
pub fn at<P: Event>(version: u64, payload: P) -> Envelope {
    let mut envelope = Envelope::new("test", "corr-1", payload);
    envelope.aggregate_version = version;
    serde_json::from_value(serde_json::to_value(&envelope).unwrap()).unwrap()
}

pub fn movie_created(id: &ObjectId, version: u64, title: &str) -> Envelope {
    at(
        version,
        MovieCreated {
            movie_id: id.to_hex(),
            title: title.into(),
            cover_image: None,
            status: MovieStatus::Active,
        },
    )
}

pub fn movie_updated(id: &ObjectId, version: u64, title: &str) -> Envelope {
    at(
        version,
        MovieUpdated {
            movie_id: id.to_hex(),
            title: title.into(),
            cover_image: None,
            status: MovieStatus::Active,
            changed: vec!["title".into()],
        },
    )
}

pub fn movie_deleted(id: &ObjectId, version: u64, title: &str) -> Envelope {
    at(
        version,
        MovieDeleted {
            saga_id: "saga-1".into(),
            movie_id: id.to_hex(),
            title: title.into(),
            cover_image: None,
            status: MovieStatus::Active,
        },
    )
}

pub fn user_registered(id: &ObjectId, version: u64, username: &str) -> Envelope {
    at(
        version,
        UserRegistered {
            user_id: id.to_hex(),
            email: format!("{username}@example.com"),
            username: username.into(),
            first_name: None,
            language: Default::default(),
        },
    )
}

pub fn user_updated(id: &ObjectId, version: u64, username: &str) -> Envelope {
    at(
        version,
        UserUpdated {
            user_id: id.to_hex(),
            username: username.into(),
            email: format!("{username}@example.com"),
            first_name: None,
            last_name: None,
            avatar: None,
            changed: vec!["username".into()],
            language: Default::default(),
        },
    )
}

/// An SQS event holding `(messageId, body)` records.
pub fn sqs_event(bodies: &[(&str, String)]) -> aws_lambda_events::event::sqs::SqsEvent {
    let records: Vec<Value> = bodies
        .iter()
        .map(|(id, body)| {
            json!({
                "messageId": id, "receiptHandle": format!("rh-{id}"), "body": body,
                "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
                "md5OfBody": "", "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:comments", "awsRegion": "us-east-1"
            })
        })
        .collect();
    serde_json::from_value(json!({"Records": records})).unwrap()
}

pub fn failed(response: &aws_lambda_events::event::sqs::SqsBatchResponse) -> Vec<String> {
    response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect()
}

pub fn body(envelope: &Envelope) -> String {
    serde_json::to_string(envelope).unwrap()
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::with(&[]).await
    }

    pub async fn with(overrides: &[(&str, &str)]) -> Self {
        let env = TestEnv::new(overrides).await;
        let deps: Deps = env.service().await;
        streamia_comments::store::create_indexes(deps.db.clone())
            .await
            .expect("indexes (is MongoDB running?)");
        let copies: &'static CopyDeps = Box::leak(Box::new(env.service::<CopyDeps>().await));
        let api = TestApi::new(&env, deps).await;
        let deps = api.deps;
        Self {
            env,
            api,
            deps,
            copies,
        }
    }

    /// A new account with `role`, unknown to the copies of usernames.
    pub async fn account(&self, role: Role) -> User {
        let id = ObjectId::new();
        let token = self
            .env
            .signer()
            .issue(&id.to_hex(), &format!("{id}@example.com"), role, "s1")
            .await
            .unwrap()
            .token;
        User { id, token }
    }

    /// A new user whose `user.registered` (as `username`) has arrived.
    pub async fn user(&self, username: &str) -> User {
        let user = self.account(Role::User).await;
        self.deliver_users(&[user_registered(&user.id, 1, username)])
            .await;
        user
    }

    pub async fn admin(&self) -> User {
        self.account(Role::Admin).await
    }

    /// A movie whose `movie.created` has arrived.
    pub async fn movie(&self) -> ObjectId {
        let id = ObjectId::new();
        self.deliver_movies(&[movie_created(&id, 1, "Heat")]).await;
        id
    }

    /// Delivers `envelopes` to `comments-on-movie-change` in one batch; asserts none failed.
    pub async fn deliver_movies(&self, envelopes: &[Envelope]) {
        let copies = self.copies;
        let records: Vec<(String, String)> = envelopes
            .iter()
            .enumerate()
            .map(|(i, e)| (format!("m{i}"), body(e)))
            .collect();
        let records: Vec<(&str, String)> = records
            .iter()
            .map(|(i, b)| (i.as_str(), b.clone()))
            .collect();
        let response = process_batch(sqs_event(&records), Budget::unlimited(), |e| {
            sqs::on_movie_change(copies, e)
        })
        .await;
        assert!(failed(&response).is_empty(), "{:?}", failed(&response));
    }

    /// Delivers `envelopes` to `comments-on-user-change` in one batch; asserts none failed.
    pub async fn deliver_users(&self, envelopes: &[Envelope]) {
        let copies = self.copies;
        let records: Vec<(String, String)> = envelopes
            .iter()
            .enumerate()
            .map(|(i, e)| (format!("u{i}"), body(e)))
            .collect();
        let records: Vec<(&str, String)> = records
            .iter()
            .map(|(i, b)| (i.as_str(), b.clone()))
            .collect();
        let response = process_batch(sqs_event(&records), Budget::unlimited(), |e| {
            sqs::on_user_change(copies, e)
        })
        .await;
        assert!(failed(&response).is_empty(), "{:?}", failed(&response));
    }

    pub async fn call(&self, route: Route<Deps>, event: EventBuilder) -> TestResponse {
        self.api.call(route, event).await
    }

    pub async fn call_as(
        &self,
        user: &User,
        route: Route<Deps>,
        event: EventBuilder,
    ) -> TestResponse {
        self.api.call_as(&user.token, route, event).await
    }

    pub async fn post(&self, user: &User, body: Value) -> TestResponse {
        self.call_as(
            user,
            CREATE,
            request("POST", "/api/v1/comments", "/api/v1/comments").json(body),
        )
        .await
    }

    /// Posts `text` on `movie` as `user`; returns the comment.
    pub async fn comment(&self, user: &User, movie: &ObjectId, text: &str) -> Value {
        let res = self
            .post(user, json!({"movieId": movie.to_hex(), "text": text}))
            .await;
        res.assert_ok(201);
        res.data().clone()
    }

    pub async fn reply(&self, user: &User, movie: &ObjectId, parent: &str, text: &str) -> Value {
        let res = self
            .post(
                user,
                json!({"movieId": movie.to_hex(), "text": text, "parentId": parent}),
            )
            .await;
        res.assert_ok(201);
        res.data().clone()
    }

    pub async fn list(&self, movie: &ObjectId, query: &[(&str, &str)]) -> TestResponse {
        self.call(LIST, list_event(&movie.to_hex(), query)).await
    }

    /// The texts of the movie's first page, newest first.
    pub async fn texts(&self, movie: &ObjectId) -> Vec<Value> {
        let res = self.list(movie, &[]).await;
        res.assert_ok(200);
        res.data()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["text"].clone())
            .collect()
    }

    pub async fn edit(&self, user: &User, id: &str, body: Value) -> TestResponse {
        self.call_as(user, UPDATE, on_comment("PUT", id, "").json(body))
            .await
    }

    pub async fn delete(&self, user: &User, id: &str) -> TestResponse {
        self.call_as(user, DELETE, on_comment("DELETE", id, ""))
            .await
    }

    pub async fn report(&self, user: &User, id: &str, body: Option<Value>) -> TestResponse {
        let event = on_comment("POST", id, "/reports");
        let event = match body {
            Some(body) => event.json(body),
            None => event,
        };
        self.call_as(user, REPORT, event).await
    }

    pub async fn moderation(&self, admin: &User, query: &[(&str, &str)]) -> TestResponse {
        let event = request(
            "GET",
            "/api/v1/comments/moderation",
            "/api/v1/comments/moderation",
        );
        let event = match query.is_empty() {
            true => event,
            false => event.query(query),
        };
        self.call_as(admin, MODERATION_LIST, event).await
    }

    pub async fn moderate(&self, admin: &User, id: &str, action: &str) -> TestResponse {
        self.call_as(
            admin,
            MODERATE,
            on_comment("PUT", id, "/moderation").json(json!({ "action": action })),
        )
        .await
    }
}

/// The ids of a list answer, in order.
pub fn ids(res: &TestResponse) -> Vec<String> {
    res.data()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}
