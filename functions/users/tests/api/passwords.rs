use serde_json::{json, Value};
use streamia_users::adapters::http::{CHANGE_PASSWORD, FORGOT_PASSWORD, RESET_PASSWORD};

use crate::common::*;

async fn forgot(app: &TestApp, email: &str) -> TestResponse {
    app.call(
        FORGOT_PASSWORD,
        post("/api/v1/auth/forgot-password", json!({"email": email})),
    )
    .await
}

async fn reset(app: &TestApp, token: &str, password: &str) -> TestResponse {
    app.call(
        RESET_PASSWORD,
        post(
            "/api/v1/auth/reset-password",
            json!({"token": token, "password": password}),
        ),
    )
    .await
}

/// The token from the emailed link, read from the published event.
async fn reset_token_from_event(app: &TestApp) -> (String, Value) {
    let events = app
        .env
        .events_named("user.password_reset_requested", 1)
        .await;
    assert_eq!(events.len(), 1, "no reset event");
    let payload = events[0].envelope.payload.clone();
    let url = payload["resetUrl"].as_str().unwrap();
    let token = url
        .strip_prefix("https://app.streamia.test/reset-password/")
        .unwrap_or_else(|| panic!("unexpected link {url}"));
    (token.to_owned(), payload)
}

#[tokio::test]
async fn known_and_unknown_emails_get_the_same_answer() {
    let app = TestApp::spawn().await;
    let (_, _, user) = app.user().await;
    let known = forgot(&app, user["email"].as_str().unwrap()).await;
    let unknown = forgot(&app, "nobody@example.com").await;
    known.assert_ok(202);
    assert_eq!(known.status, unknown.status);
    assert_eq!(known.body, unknown.body);
    // Only the known account gets a reset email.
    let events = app
        .env
        .events_named("user.password_reset_requested", 2)
        .await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].envelope.payload["email"], user["email"]);
    assert_eq!(
        events[0].attributes["eventName"],
        "user.password_reset_requested"
    );
}

#[tokio::test]
async fn the_link_resets_the_password_once_and_ends_every_session() {
    let app = TestApp::spawn().await;
    let (access, refresh, user) = app.user().await;
    let email = user["email"].as_str().unwrap();
    forgot(&app, email).await.assert_ok(202);
    let (token, payload) = reset_token_from_event(&app).await;
    assert_eq!(payload["username"], user["username"]);
    let expires =
        chrono::DateTime::parse_from_rfc3339(payload["expiresAt"].as_str().unwrap()).unwrap();
    let in_secs = expires.timestamp() - chrono::Utc::now().timestamp();
    assert!((3590..=3600).contains(&in_secs), "{in_secs}");
    // Stored hashed, never in clear.
    assert!(app
        .stored("password_resets", bson::doc! {"_id": &token})
        .await
        .is_none());

    reset(&app, &token, "NewSecret456").await.assert_ok(200);
    app.login(email, PASSWORD)
        .await
        .assert_error(401, "INVALID_CREDENTIALS");
    app.login(email, "NewSecret456").await.assert_ok(200);
    // Single use.
    reset(&app, &token, "Another789X")
        .await
        .assert_error(400, "INVALID_TOKEN");
    // Sessions from before are gone.
    assert!(app.authorize(&access).await.is_err());
    app.call(
        streamia_users::adapters::http::REFRESH,
        post("/api/v1/auth/refresh", json!({"refreshToken": refresh})),
    )
    .await
    .assert_error(401, "INVALID_REFRESH_TOKEN");
}

#[tokio::test]
async fn expired_and_unknown_tokens_are_invalid() {
    let app = TestApp::spawn().await;
    let (_, _, user) = app.user().await;
    forgot(&app, user["email"].as_str().unwrap())
        .await
        .assert_ok(202);
    let (token, _) = reset_token_from_event(&app).await;
    // Age the token past its hour.
    let client = mongodb::Client::with_uri_str(&app.env.mongo.uri)
        .await
        .unwrap();
    client
        .database(&app.env.mongo.database_name("users"))
        .collection::<bson::Document>("password_resets")
        .update_many(
            bson::doc! {},
            bson::doc! {"$set": {"expiresAt": bson::DateTime::from_millis(bson::DateTime::now().timestamp_millis() - 1000)}},
        )
        .await
        .unwrap();
    reset(&app, &token, "NewSecret456")
        .await
        .assert_error(400, "INVALID_TOKEN");
    reset(&app, "made-up-token", "NewSecret456")
        .await
        .assert_error(400, "INVALID_TOKEN");
}

#[tokio::test]
async fn a_weak_password_does_not_burn_the_token() {
    let app = TestApp::spawn().await;
    let (_, _, user) = app.user().await;
    forgot(&app, user["email"].as_str().unwrap())
        .await
        .assert_ok(202);
    let (token, _) = reset_token_from_event(&app).await;
    let res = reset(&app, &token, "weak").await;
    res.assert_error(400, "VALIDATION_ERROR");
    assert!(res.detail("password").is_some());
    reset(&app, &token, "StrongEnough1").await.assert_ok(200);
}

#[tokio::test]
async fn reset_requests_are_limited_per_email_without_telling() {
    let app = TestApp::spawn().await;
    let (_, _, user) = app.user().await;
    let email = user["email"].as_str().unwrap();
    for _ in 0..5 {
        forgot(&app, email).await.assert_ok(202);
    }
    let events = app
        .env
        .events_named("user.password_reset_requested", 5)
        .await;
    assert_eq!(events.len(), 3);
}

#[tokio::test]
async fn forgot_and_reset_validation() {
    let app = TestApp::spawn().await;
    let res = app
        .call(
            FORGOT_PASSWORD,
            post("/api/v1/auth/forgot-password", json!({})),
        )
        .await;
    res.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(res.detail("email"), Some("is required"));
    forgot(&app, "not-an-email")
        .await
        .assert_error(400, "VALIDATION_ERROR");
    app.call(
        FORGOT_PASSWORD,
        post(
            "/api/v1/auth/forgot-password",
            json!({"email": {"$gt": ""}}),
        ),
    )
    .await
    .assert_error(400, "VALIDATION_ERROR");
    let res = app
        .call(
            RESET_PASSWORD,
            post("/api/v1/auth/reset-password", json!({})),
        )
        .await;
    res.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(res.detail("token"), Some("is required"));
    assert_eq!(res.detail("password"), Some("is required"));
}

#[tokio::test]
async fn change_password_keeps_this_session_and_ends_the_others() {
    let app = TestApp::spawn().await;
    let (access, refresh, user) = app.user().await;
    let email = user["email"].as_str().unwrap();
    let other = app.login(email, PASSWORD).await;
    let other_access = other.data()["accessToken"].as_str().unwrap().to_owned();
    let path = "/api/v1/users/me/password";
    let res = app
        .call_as(
            &access,
            CHANGE_PASSWORD,
            request("PUT", path)
                .json(json!({"currentPassword": PASSWORD, "newPassword": "Changed123"})),
        )
        .await;
    res.assert_ok(200);
    assert!(app.authorize(&access).await.is_ok());
    assert!(app.authorize(&other_access).await.is_err());
    app.call(
        streamia_users::adapters::http::REFRESH,
        post("/api/v1/auth/refresh", json!({"refreshToken": refresh})),
    )
    .await
    .assert_ok(200);
    app.login(email, "Changed123").await.assert_ok(200);
}

#[tokio::test]
async fn change_password_errors() {
    let app = TestApp::spawn().await;
    let (access, _, _) = app.user().await;
    let path = "/api/v1/users/me/password";
    let put = |body: Value| request("PUT", path).json(body);
    app.call_as(
        &access,
        CHANGE_PASSWORD,
        put(json!({"currentPassword": "Wrong1234", "newPassword": "Changed123"})),
    )
    .await
    .assert_error(401, "INVALID_CREDENTIALS");
    let res = app
        .call_as(
            &access,
            CHANGE_PASSWORD,
            put(json!({"currentPassword": PASSWORD, "newPassword": "weak"})),
        )
        .await;
    res.assert_error(400, "VALIDATION_ERROR");
    assert!(res.detail("newPassword").is_some());
    let res = app
        .call_as(
            &access,
            CHANGE_PASSWORD,
            put(json!({"currentPassword": PASSWORD, "newPassword": PASSWORD})),
        )
        .await;
    assert_eq!(
        res.detail("newPassword"),
        Some("must differ from the current password")
    );
    let res = app.call_as(&access, CHANGE_PASSWORD, put(json!({}))).await;
    assert_eq!(res.detail("currentPassword"), Some("is required"));
    app.call(
        CHANGE_PASSWORD,
        put(json!({"currentPassword": PASSWORD, "newPassword": "Changed123"})),
    )
    .await
    .assert_error(401, "UNAUTHORIZED");
}
