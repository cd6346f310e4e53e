use serde_json::json;
use streamia_users::adapters::http::{DELETE_ME, FORGOT_PASSWORD, GET_ME};

use crate::common::*;

fn delete(body: serde_json::Value) -> streamia_shared::testing::apigw::EventBuilder {
    request("DELETE", "/api/v1/users/me").json(body)
}

#[tokio::test]
async fn starts_the_saga_and_locks_the_account() {
    let app = TestApp::spawn().await;
    let (access, refresh, user) = app.user().await;
    let email = user["email"].as_str().unwrap();
    let res = app
        .call_as(&access, DELETE_ME, delete(json!({"password": PASSWORD})))
        .await;
    res.assert_ok(202);
    let saga_id = res.data()["sagaId"].as_str().unwrap().to_owned();
    assert_eq!(saga_id.len(), 36);

    let events = app.env.events_named("user.deleted", 1).await;
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e.envelope.payload["sagaId"], saga_id.as_str());
    assert_eq!(e.envelope.payload["userId"], user["id"]);
    // The saga id is the service's own; the request's correlation id rides along as a label.
    assert_ne!(e.envelope.correlation_id, saga_id);
    assert!(!e.envelope.correlation_id.is_empty());
    assert_eq!(e.attributes["correlationId"], e.envelope.correlation_id);

    // No more logins, tokens or refreshes; no reset emails either.
    app.login(email, PASSWORD)
        .await
        .assert_error(401, "INVALID_CREDENTIALS");
    assert!(app.authorize(&access).await.is_err());
    app.call(
        streamia_users::adapters::http::REFRESH,
        post("/api/v1/auth/refresh", json!({"refreshToken": refresh})),
    )
    .await
    .assert_error(401, "INVALID_REFRESH_TOKEN");
    app.call(
        FORGOT_PASSWORD,
        post("/api/v1/auth/forgot-password", json!({"email": email})),
    )
    .await
    .assert_ok(202);
    assert!(app
        .env
        .events_named("user.password_reset_requested", 1)
        .await
        .is_empty());
    let stored = app
        .stored("users", bson::doc! {"email": email})
        .await
        .unwrap();
    assert_eq!(stored.get_str("status").unwrap(), "deleting");
}

#[tokio::test]
async fn wrong_or_missing_password_keeps_the_account() {
    let app = TestApp::spawn().await;
    let (access, _, _) = app.user().await;
    app.call_as(&access, DELETE_ME, delete(json!({"password": "Wrong1234"})))
        .await
        .assert_error(401, "INVALID_CREDENTIALS");
    let res = app.call_as(&access, DELETE_ME, delete(json!({}))).await;
    res.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(res.detail("password"), Some("is required"));
    app.call_as(&access, DELETE_ME, delete(json!({"password": {"$ne": ""}})))
        .await
        .assert_error(400, "VALIDATION_ERROR");
    app.call(DELETE_ME, delete(json!({"password": PASSWORD})))
        .await
        .assert_error(401, "UNAUTHORIZED");
    app.call_as(&access, GET_ME, request("GET", "/api/v1/users/me"))
        .await
        .assert_ok(200);
}

#[tokio::test]
async fn with_sns_down_the_deletion_is_accepted_and_the_relay_announces_it_once() {
    let app = TestApp::with_sns_down().await;
    let (access, _, user) = app.user().await;
    let res = app
        .call_as(&access, DELETE_ME, delete(json!({"password": PASSWORD})))
        .await;
    res.assert_ok(202);
    let saga_id = res.data()["sagaId"].as_str().unwrap().to_owned();
    let email = user["email"].as_str().unwrap();
    let stored = app
        .stored("users", bson::doc! {"email": email})
        .await
        .unwrap();
    assert_eq!(stored.get_str("status").unwrap(), "deleting");
    // The event is committed with the mark, unsent; nothing reached the topic.
    let pending = app
        .stored("outbox", bson::doc! {"eventName": "user.deleted"})
        .await
        .expect("user.deleted in the outbox");
    assert_eq!(pending.get_str("status").unwrap(), "pending");
    assert!(app.env.events_named("user.deleted", 1).await.is_empty());

    // SNS is back: the scheduled relay publishes it, once.
    let relay = app.working_outbox();
    let report = relay.relay(std::time::Duration::ZERO, 10).await.unwrap();
    assert_eq!(report.failed, 0);
    assert_eq!(
        relay
            .relay(std::time::Duration::ZERO, 10)
            .await
            .unwrap()
            .published,
        0
    );
    let events = app.env.events_named("user.deleted", 2).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].envelope.payload["sagaId"], saga_id.as_str());
    assert_eq!(events[0].envelope.event_id, pending.get_str("_id").unwrap());
    app.login(email, PASSWORD)
        .await
        .assert_error(401, "INVALID_CREDENTIALS");
}
