use serde_json::json;
use streamia_users::adapters::http::LOGIN;

use crate::common::*;

#[tokio::test]
async fn logs_in_with_the_right_password() {
    let app = TestApp::spawn().await;
    let (_, _, user) = app.user().await;
    let email = user["email"].as_str().unwrap();
    let res = app.login(&email.to_uppercase(), PASSWORD).await;
    res.assert_ok(200);
    assert_eq!(res.data()["user"]["id"], user["id"]);
    assert_eq!(res.data()["expiresIn"], 900);
    let ctx = app
        .authorize(res.data()["accessToken"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(ctx["userId"], user["id"]);
    assert_eq!(ctx["email"], user["email"]);
    assert_eq!(ctx["role"], "user");
}

#[tokio::test]
async fn unknown_email_and_wrong_password_answer_alike() {
    let app = TestApp::spawn().await;
    let (_, _, user) = app.user().await;
    let wrong = app
        .login(user["email"].as_str().unwrap(), "Wrong1234")
        .await;
    let unknown = app.login("nobody@example.com", PASSWORD).await;
    wrong.assert_error(401, "INVALID_CREDENTIALS");
    unknown.assert_error(401, "INVALID_CREDENTIALS");
    assert_eq!(wrong.body, unknown.body);
}

#[tokio::test]
async fn the_sixth_failure_within_ten_minutes_is_rate_limited() {
    let app = TestApp::spawn().await;
    let (_, _, user) = app.user().await;
    let email = user["email"].as_str().unwrap();
    for _ in 0..5 {
        app.login(email, "Wrong1234")
            .await
            .assert_error(401, "INVALID_CREDENTIALS");
    }
    let limited = app.login(email, PASSWORD).await;
    limited.assert_error(429, "RATE_LIMITED");
    let retry: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=600).contains(&retry), "{retry}");
    // Unknown emails are limited the same way, so the limit reveals nothing.
    for _ in 0..5 {
        app.login("ghost@example.com", PASSWORD)
            .await
            .assert_error(401, "INVALID_CREDENTIALS");
    }
    app.login("ghost@example.com", PASSWORD)
        .await
        .assert_error(429, "RATE_LIMITED");
    // Another email is unaffected.
    let (_, _, other) = app.user().await;
    app.login(other["email"].as_str().unwrap(), PASSWORD)
        .await
        .assert_ok(200);
}

#[tokio::test]
async fn a_success_clears_earlier_failures() {
    let app = TestApp::spawn().await;
    let (_, _, user) = app.user().await;
    let email = user["email"].as_str().unwrap();
    for _ in 0..4 {
        app.login(email, "Wrong1234")
            .await
            .assert_error(401, "INVALID_CREDENTIALS");
    }
    app.login(email, PASSWORD).await.assert_ok(200);
    for _ in 0..4 {
        app.login(email, "Wrong1234")
            .await
            .assert_error(401, "INVALID_CREDENTIALS");
    }
    app.login(email, PASSWORD).await.assert_ok(200);
}

#[tokio::test]
async fn validation_errors() {
    let app = TestApp::spawn().await;
    let res = app
        .call(
            LOGIN,
            post("/api/v1/auth/login", json!({"password": PASSWORD})),
        )
        .await;
    res.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(res.detail("email"), Some("is required"));
    let res = app
        .call(
            LOGIN,
            post("/api/v1/auth/login", json!({"email": "a@example.com"})),
        )
        .await;
    assert_eq!(res.detail("password"), Some("is required"));
    let res = app
        .call(
            LOGIN,
            post(
                "/api/v1/auth/login",
                json!({"email": {"$gt": ""}, "password": {"$ne": null}}),
            ),
        )
        .await;
    res.assert_error(400, "VALIDATION_ERROR");
    let res = app
        .call(
            LOGIN,
            post("/api/v1/auth/login", json!({"email": "x", "password": "y"})),
        )
        .await;
    res.assert_error(400, "VALIDATION_ERROR");
    app.call(LOGIN, request("POST", "/api/v1/auth/login").body("nope"))
        .await
        .assert_error(400, "VALIDATION_ERROR");
}
