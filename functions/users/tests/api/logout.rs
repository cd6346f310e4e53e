use serde_json::json;
use streamia_users::adapters::http::{GET_ME, LOGOUT, REFRESH};

use crate::common::*;

#[tokio::test]
async fn logout_revokes_the_access_token_and_the_session() {
    let app = TestApp::spawn().await;
    let (access, refresh_token, _) = app.user().await;
    let res = app
        .call_as(
            &access,
            LOGOUT,
            post(
                "/api/v1/auth/logout",
                json!({"refreshToken": refresh_token}),
            ),
        )
        .await;
    res.assert_ok(200);
    // The gateway now refuses the access token...
    app.call_as(&access, GET_ME, request("GET", "/api/v1/users/me"))
        .await
        .assert_error(401, "UNAUTHORIZED");
    // ...and the refresh token is dead.
    app.call(
        REFRESH,
        post(
            "/api/v1/auth/refresh",
            json!({"refreshToken": refresh_token}),
        ),
    )
    .await
    .assert_error(401, "INVALID_REFRESH_TOKEN");
}

#[tokio::test]
async fn logout_without_a_body_ends_the_session_of_the_token() {
    let app = TestApp::spawn().await;
    let (access, refresh_token, user) = app.user().await;
    let other = app.login(user["email"].as_str().unwrap(), PASSWORD).await;
    let other_access = other.data()["accessToken"].as_str().unwrap().to_owned();
    app.call_as(&access, LOGOUT, request("POST", "/api/v1/auth/logout"))
        .await
        .assert_ok(200);
    assert!(app.authorize(&access).await.is_err());
    app.call(
        REFRESH,
        post(
            "/api/v1/auth/refresh",
            json!({"refreshToken": refresh_token}),
        ),
    )
    .await
    .assert_error(401, "INVALID_REFRESH_TOKEN");
    // Another device stays logged in.
    assert!(app.authorize(&other_access).await.is_ok());
}

#[tokio::test]
async fn logout_cannot_end_someone_elses_session() {
    let app = TestApp::spawn().await;
    let (access_a, _, _) = app.user().await;
    let (access_b, refresh_b, _) = app.user().await;
    app.call_as(
        &access_a,
        LOGOUT,
        post("/api/v1/auth/logout", json!({"refreshToken": refresh_b})),
    )
    .await
    .assert_ok(200);
    assert!(app.authorize(&access_b).await.is_ok());
    app.call(
        REFRESH,
        post("/api/v1/auth/refresh", json!({"refreshToken": refresh_b})),
    )
    .await
    .assert_ok(200);
}

#[tokio::test]
async fn logout_needs_identity_and_a_sane_body() {
    let app = TestApp::spawn().await;
    app.call(LOGOUT, request("POST", "/api/v1/auth/logout"))
        .await
        .assert_error(401, "UNAUTHORIZED");
    let (access, _, _) = app.user().await;
    app.call_as(
        &access,
        LOGOUT,
        post("/api/v1/auth/logout", json!({"refreshToken": 5})),
    )
    .await
    .assert_error(400, "VALIDATION_ERROR");
}
