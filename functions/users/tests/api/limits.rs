//! Limits per client through the routes: the address is API Gateway's `sourceIp`, and a
//! refused client gets the contract's 429 `RATE_LIMITED` with `Retry-After`.

use serde_json::json;
use streamia_users::adapters::http::{LOGIN, RESET_PASSWORD};

use crate::common::*;

#[tokio::test]
async fn a_client_past_its_login_limit_gets_429_with_retry_after_and_others_do_not() {
    let app = TestApp::with(&[("IP_LIMIT_LOGIN", "3")]).await;
    let attempt = |n: usize, ip: &str| {
        post(
            "/api/v1/auth/login",
            json!({"email": format!("sprayed{n}@example.com"), "password": "Spring2024"}),
        )
        .source_ip(ip)
    };
    for n in 0..3 {
        app.call(LOGIN, attempt(n, "203.0.113.50"))
            .await
            .assert_error(401, "INVALID_CREDENTIALS");
    }
    let refused = app.call(LOGIN, attempt(3, "203.0.113.50")).await;
    refused.assert_error(429, "RATE_LIMITED");
    let retry_after: u64 = refused.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=600).contains(&retry_after), "{retry_after}");
    // A header cannot move a client to another counter: only sourceIp counts.
    let spoofed = attempt(4, "203.0.113.50").header("x-forwarded-for", "198.51.100.9");
    app.call(LOGIN, spoofed)
        .await
        .assert_error(429, "RATE_LIMITED");
    app.call(LOGIN, attempt(5, "198.51.100.9"))
        .await
        .assert_error(401, "INVALID_CREDENTIALS");
}

#[tokio::test]
async fn resets_are_limited_per_client_before_the_token_is_looked_up() {
    let app = TestApp::with(&[("IP_LIMIT_RESET_PASSWORD", "1")]).await;
    let attempt = || {
        post(
            "/api/v1/auth/reset-password",
            json!({"token": "not-a-token", "password": "Changed456"}),
        )
        .source_ip("203.0.113.60")
    };
    app.call(RESET_PASSWORD, attempt())
        .await
        .assert_error(400, "INVALID_TOKEN");
    app.call(RESET_PASSWORD, attempt())
        .await
        .assert_error(429, "RATE_LIMITED");
    assert_eq!(app.state.hasher.runs(), 0);
}
