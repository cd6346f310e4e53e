//! The auth Redis never evicts (`maxmemory-policy noeviction`): revocations, guess counters and
//! limits per client must not disappear to make room. So once it is full it refuses writes,
//! and what needs a write answers 503 UNAVAILABLE, never a 200 that revoked nothing, never a
//! 500, and never a login that skipped its limits. A real `redis-server` of the test's own,
//! filled until it refuses writes with `OOM`.

use serde_json::json;
use streamia_shared::testing::redis_server::RedisServer;
use streamia_users::adapters::http::{GET_ME, HEALTH, LOGIN, LOGOUT, REGISTER};

use crate::common::*;

/// A small auth Redis with the policy the README requires of the deployed one.
fn small_auth_redis() -> RedisServer {
    RedisServer::start(&["--maxmemory", "8mb", "--maxmemory-policy", "noeviction"])
}

#[tokio::test]
async fn a_full_auth_redis_answers_503_and_loses_no_revocation() {
    let redis = small_auth_redis();
    let app = TestApp::with(&[("REDIS_URL", &redis.url())]).await;
    let (revoked, _, first) = app.user().await;
    let (live, _, _) = app.user().await;
    app.call_as(&revoked, LOGOUT, request("POST", "/api/v1/auth/logout"))
        .await
        .assert_ok(200);

    redis.fill().await;

    // The revocation cannot be written: 503 in the envelope, not a 200 that revoked nothing.
    app.call_as(&live, LOGOUT, request("POST", "/api/v1/auth/logout"))
        .await
        .assert_error(503, "UNAVAILABLE");
    // Nothing was evicted to make room: the first logout still holds.
    app.call_as(&revoked, GET_ME, request("GET", "/api/v1/users/me"))
        .await
        .assert_error(401, "UNAUTHORIZED");
    // The refused logout changed nothing: its token still works (reads need no memory)...
    app.call_as(&live, GET_ME, request("GET", "/api/v1/users/me"))
        .await
        .assert_ok(200);

    // Login and register cannot count the client (the limits are written before any argon2
    // work): they fail closed, 503, without verifying or hashing a password.
    let email = first["email"].as_str().unwrap();
    let hashed = app.state.hasher.runs();
    app.login(email, PASSWORD)
        .await
        .assert_error(503, "UNAVAILABLE");
    app.call(
        REGISTER,
        post(
            "/api/v1/auth/register",
            json!({"username": "too_late", "email": "too.late@example.com", "password": PASSWORD}),
        ),
    )
    .await
    .assert_error(503, "UNAVAILABLE");
    assert_eq!(app.state.login_checks.verified(), 0, "no password verified");
    assert_eq!(app.state.hasher.runs(), hashed, "no password hashed");
    // Health says so (a PING would still pass).
    app.call(HEALTH, request("GET", "/api/v1/health"))
        .await
        .assert_error(503, "UNAVAILABLE");

    // ...and the retry works once there is room again.
    redis.drain().await;
    app.call_as(&live, LOGOUT, request("POST", "/api/v1/auth/logout"))
        .await
        .assert_ok(200);
    assert!(app.authorize(&live).await.is_err(), "logged out");
    assert!(app.authorize(&revoked).await.is_err(), "still revoked");
    app.call(
        LOGIN,
        post(
            "/api/v1/auth/login",
            json!({"email": email, "password": PASSWORD}),
        ),
    )
    .await
    .assert_ok(200);
}
