use base64::Engine;
use serde_json::json;
use streamia_shared::auth::keys::KeySet;
use streamia_shared::auth::{AccessClaims, TokenSigner};
use streamia_users::adapters::http::{GET_ME, HEALTH, LOGOUT, REFRESH, RESET_PASSWORD};

use crate::common::*;

fn b64(data: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data)
}

#[tokio::test]
async fn the_authorizer_refuses_every_kind_of_bad_token() {
    let app = TestApp::spawn().await;
    let (access, refresh_token, _) = app.user().await;
    let claims: serde_json::Value = {
        let payload = access.split('.').nth(1).unwrap();
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .unwrap(),
        )
        .unwrap()
    };
    let ours = app.env.signer();
    let attackers =
        TokenSigner::new(&app.env.tokens, &KeySet::initial(chrono::Utc::now()), None).unwrap();
    let sign = |claims: &serde_json::Value, signer: &TokenSigner| {
        let claims: AccessClaims = serde_json::from_value(claims.clone()).unwrap();
        signer.sign(&claims).unwrap()
    };
    let now = chrono::Utc::now().timestamp();

    let forged = sign(&claims, &attackers);
    let alg_none = format!(
        "{}.{}.",
        b64(br#"{"alg":"none","typ":"JWT"}"#),
        access.split('.').nth(1).unwrap()
    );
    let mut expired_claims = claims.clone();
    expired_claims["exp"] = json!(now - 60);
    expired_claims["iat"] = json!(now - 1000);
    let expired = sign(&expired_claims, &ours);
    let mut wrong_type_claims = claims.clone();
    wrong_type_claims["typ"] = json!("refresh");
    let wrong_type = sign(&wrong_type_claims, &ours);
    let mut other_issuer = claims.clone();
    other_issuer["iss"] = json!("someone-else");
    let wrong_issuer = sign(&other_issuer, &ours);
    let tampered = {
        let mut parts: Vec<String> = access.split('.').map(str::to_owned).collect();
        let mut c = claims.clone();
        c["role"] = json!("admin");
        parts[1] = b64(c.to_string().as_bytes());
        parts.join(".")
    };

    for (name, token) in [
        ("forged signature", forged.as_str()),
        ("alg none", alg_none.as_str()),
        ("expired", expired.as_str()),
        ("wrong type", wrong_type.as_str()),
        ("wrong issuer", wrong_issuer.as_str()),
        ("tampered claims", tampered.as_str()),
        ("refresh token as bearer", refresh_token.as_str()),
        ("empty", ""),
    ] {
        let res = app
            .call_as(token, GET_ME, request("GET", "/api/v1/users/me"))
            .await;
        assert_eq!(res.status, 401, "{name} was accepted");
    }
    // Scheme and header shape.
    let verifier = app.env.verifier();
    let auth = |h: Option<&str>| {
        let (app, verifier) = (&app, &verifier);
        let h = h.map(str::to_owned);
        async move {
            streamia_shared::auth::authorize(verifier, &app.state.revocations, h.as_deref()).await
        }
    };
    assert!(auth(None).await.is_err());
    assert!(auth(Some(&format!("Basic {access}"))).await.is_err());
    assert!(auth(Some(&access)).await.is_err());
    assert!(auth(Some(&format!("bearer {access}"))).await.is_ok());

    // Revoked after logout.
    app.call_as(&access, LOGOUT, request("POST", "/api/v1/auth/logout"))
        .await
        .assert_ok(200);
    let res = app
        .call_as(&access, GET_ME, request("GET", "/api/v1/users/me"))
        .await;
    assert_eq!(res.status, 401);
}

#[tokio::test]
async fn no_response_or_log_line_carries_a_secret() {
    let app = TestApp::spawn().await;
    let (access, refresh_token, user) = app.user().await;
    let email = user["email"].as_str().unwrap();
    let rotated = app
        .call(
            REFRESH,
            post(
                "/api/v1/auth/refresh",
                json!({"refreshToken": refresh_token}),
            ),
        )
        .await;
    rotated.assert_ok(200);
    app.login(email, "Wrong1234").await;
    app.call(
        streamia_users::adapters::http::FORGOT_PASSWORD,
        post("/api/v1/auth/forgot-password", json!({"email": email})),
    )
    .await
    .assert_ok(202);
    let events = app
        .env
        .events_named("user.password_reset_requested", 1)
        .await;
    let link = events[0].envelope.payload["resetUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    let reset_token = link.rsplit('/').next().unwrap().to_owned();
    app.call(
        RESET_PASSWORD,
        post(
            "/api/v1/auth/reset-password",
            json!({"token": reset_token, "password": "Another123"}),
        ),
    )
    .await
    .assert_ok(200);
    let stored = app
        .stored("users", bson::doc! {"email": email})
        .await
        .unwrap();
    let hash = stored.get_str("passwordHash").unwrap().to_owned();

    let me = app
        .call_as(
            rotated.data()["accessToken"].as_str().unwrap(),
            GET_ME,
            request("GET", "/api/v1/users/me"),
        )
        .await;
    let logs = captured_logs();
    assert!(
        logs.contains("\"route\":\"/api/v1/auth/refresh\""),
        "no access log line"
    );
    for secret in [
        access.as_str(),
        refresh_token.as_str(),
        rotated.data()["refreshToken"].as_str().unwrap(),
        reset_token.as_str(),
        hash.as_str(),
        PASSWORD,
        "Wrong1234",
        "Another123",
    ] {
        assert!(!logs.contains(secret), "a log line contains a secret");
        assert!(!me.raw.contains(secret));
    }
    assert!(!logs.contains("$argon2id$"));
    // The access log line has the fields operators rely on.
    let line = logs
        .lines()
        .find(|l| l.contains("\"route\":\"/api/v1/auth/refresh\""))
        .unwrap();
    let line: serde_json::Value = serde_json::from_str(line).unwrap();
    for field in [
        "method",
        "route",
        "status",
        "latency_ms",
        "request_id",
        "correlation_id",
    ] {
        assert!(!line[field].is_null(), "access log lacks {field}: {line}");
    }
}

#[tokio::test]
async fn refresh_and_reset_tokens_are_stored_hashed() {
    let app = TestApp::spawn().await;
    let (_, refresh_token, _) = app.user().await;
    assert!(app
        .stored("refresh_tokens", bson::doc! {"_id": &refresh_token})
        .await
        .is_none());
    let hashed = streamia_shared::auth::OpaqueToken::from_client(&refresh_token)
        .hash()
        .0;
    assert!(app
        .stored("refresh_tokens", bson::doc! {"_id": hashed})
        .await
        .is_some());
}

#[tokio::test]
async fn health_answers_ok_naming_no_internals() {
    let app = TestApp::spawn().await;
    let res = app.call(HEALTH, request("GET", "/api/v1/health")).await;
    res.assert_ok(200);
    assert_eq!(res.data(), &json!({"status": "ok"}));
    assert!(res.headers.contains_key("x-correlation-id"));
}

#[tokio::test]
async fn a_bad_correlation_id_is_replaced() {
    let app = TestApp::spawn().await;
    let res = app
        .call(
            HEALTH,
            request("GET", "/api/v1/health").header("x-correlation-id", "bad id\twith junk"),
        )
        .await;
    let id = res.headers["x-correlation-id"].to_str().unwrap();
    assert_eq!(id.len(), 36, "{id}");
}
