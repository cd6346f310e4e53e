use serde_json::json;
use streamia_users::adapters::http::REFRESH;

use crate::common::*;

async fn refresh_with(app: &TestApp, token: &str) -> TestResponse {
    app.call(
        REFRESH,
        post("/api/v1/auth/refresh", json!({"refreshToken": token})),
    )
    .await
}

#[tokio::test]
async fn rotates_the_pair_and_spends_the_old_token() {
    let app = TestApp::spawn().await;
    let (_, refresh_token, user) = app.user().await;
    let res = refresh_with(&app, &refresh_token).await;
    res.assert_ok(200);
    let next = res.data()["refreshToken"].as_str().unwrap().to_owned();
    assert_ne!(next, refresh_token);
    assert_eq!(res.data()["user"]["id"], user["id"]);
    assert!(app
        .authorize(res.data()["accessToken"].as_str().unwrap())
        .await
        .is_ok());
    refresh_with(&app, &next).await.assert_ok(200);
}

#[tokio::test]
async fn replaying_a_spent_token_revokes_the_whole_family() {
    let app = TestApp::spawn().await;
    let (first_access, first_refresh, _) = app.user().await;
    let res = refresh_with(&app, &first_refresh).await;
    res.assert_ok(200);
    let second_access = res.data()["accessToken"].as_str().unwrap().to_owned();
    let second_refresh = res.data()["refreshToken"].as_str().unwrap().to_owned();

    // The thief replays the first token, after the retry grace window.
    app.age_spent_refresh_tokens().await;
    refresh_with(&app, &first_refresh)
        .await
        .assert_error(401, "INVALID_REFRESH_TOKEN");
    // Every token of the family is dead now, refresh and access alike.
    refresh_with(&app, &second_refresh)
        .await
        .assert_error(401, "INVALID_REFRESH_TOKEN");
    assert!(app.authorize(&second_access).await.is_err());
    assert!(app.authorize(&first_access).await.is_err());
}

#[tokio::test]
async fn other_sessions_survive_a_replay() {
    let app = TestApp::spawn().await;
    let (_, refresh_a, user) = app.user().await;
    let login = app.login(user["email"].as_str().unwrap(), PASSWORD).await;
    let access_b = login.data()["accessToken"].as_str().unwrap().to_owned();
    refresh_with(&app, &refresh_a).await.assert_ok(200);
    app.age_spent_refresh_tokens().await;
    refresh_with(&app, &refresh_a)
        .await
        .assert_error(401, "INVALID_REFRESH_TOKEN");
    assert!(app.authorize(&access_b).await.is_ok());
}

#[tokio::test]
async fn a_quick_retry_gets_the_same_pair_and_revokes_nothing() {
    let app = TestApp::spawn().await;
    let (_, refresh_token, _) = app.user().await;
    let first = refresh_with(&app, &refresh_token).await;
    first.assert_ok(200);
    let retry = refresh_with(&app, &refresh_token).await;
    retry.assert_ok(200);
    assert_eq!(retry.data()["refreshToken"], first.data()["refreshToken"]);
    assert!(app
        .authorize(first.data()["accessToken"].as_str().unwrap())
        .await
        .is_ok());
}

#[tokio::test]
async fn unknown_and_malformed_tokens() {
    let app = TestApp::spawn().await;
    refresh_with(&app, "not-a-real-token")
        .await
        .assert_error(401, "INVALID_REFRESH_TOKEN");
    refresh_with(&app, "")
        .await
        .assert_error(401, "INVALID_REFRESH_TOKEN");
    let res = app
        .call(REFRESH, post("/api/v1/auth/refresh", json!({})))
        .await;
    res.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(res.detail("refreshToken"), Some("is required"));
    app.call(
        REFRESH,
        post(
            "/api/v1/auth/refresh",
            json!({"refreshToken": {"$ne": null}}),
        ),
    )
    .await
    .assert_error(400, "VALIDATION_ERROR");
    // An access token is not a refresh token.
    let (access, _, _) = app.user().await;
    refresh_with(&app, &access)
        .await
        .assert_error(401, "INVALID_REFRESH_TOKEN");
}
