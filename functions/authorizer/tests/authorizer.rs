//! The authorizer against the real Redis, with API Gateway's TOKEN authorizer events.

use serde_json::json;
use std::time::Duration;
use streamia_authorizer::{handle, AuthorizerError, State, TokenAuthorizerEvent};

use streamia_shared::auth::keys::{KeySet, RotationPolicy};
use streamia_shared::auth::{Revocations, TokenSigner};
use streamia_shared::domain::Role;
use streamia_shared::testing::TestEnv;

const METHOD_ARN: &str =
    "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/v1/GET/api/v1/users/me";

struct Fixture {
    env: TestEnv,
    state: State,
    signer: TokenSigner,
}

async fn fixture() -> Fixture {
    let env = TestEnv::new(&[]).await;
    let state: State = env.service().await;
    let signer = env.signer();
    Fixture { env, state, signer }
}

/// The event exactly as API Gateway sends it.
fn event(authorization: Option<&str>) -> TokenAuthorizerEvent {
    let mut raw = json!({"type": "TOKEN", "methodArn": METHOD_ARN});
    if let Some(a) = authorization {
        raw["authorizationToken"] = json!(a);
    }
    serde_json::from_value(raw).unwrap()
}

#[tokio::test]
async fn a_valid_token_gets_an_api_wide_allow_with_the_identity() {
    let f = fixture().await;
    let issued = f
        .signer
        .issue(
            "507f1f77bcf86cd799439011",
            "ana@example.com",
            Role::Admin,
            "sess-1",
        )
        .await
        .unwrap();
    let res = handle(&f.state, event(Some(&format!("Bearer {}", issued.token))))
        .await
        .unwrap();
    let wire = serde_json::to_value(&res).unwrap();
    assert_eq!(wire["principalId"], "507f1f77bcf86cd799439011");
    assert_eq!(wire["policyDocument"]["Version"], "2012-10-17");
    let statement = &wire["policyDocument"]["Statement"][0];
    assert_eq!(statement["Effect"], "Allow");
    assert_eq!(statement["Action"], "execute-api:Invoke");
    assert_eq!(
        statement["Resource"],
        "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/v1/*/*"
    );
    let ctx = &wire["context"];
    assert_eq!(ctx["userId"], "507f1f77bcf86cd799439011");
    assert_eq!(ctx["email"], "ana@example.com");
    assert_eq!(ctx["role"], "admin");
    assert_eq!(ctx["sessionId"], "sess-1");
    assert_eq!(ctx["tokenId"], issued.claims.jti.as_str());
    assert_eq!(ctx["expiresAt"], issued.claims.exp.to_string());
    // API Gateway accepts only string, number or boolean context values.
    assert!(ctx.as_object().unwrap().values().all(|v| v.is_string()));
}

#[tokio::test]
async fn bad_tokens_are_unauthorized_in_api_gateways_words() {
    let f = fixture().await;
    let other =
        TokenSigner::new(&f.env.tokens, &KeySet::initial(chrono::Utc::now()), None).unwrap();
    let forged = other
        .issue("u", "a@b.co", Role::Admin, "s")
        .await
        .unwrap()
        .token;
    for auth in [
        None,
        Some(""),
        Some("Bearer"),
        Some("Bearer nope"),
        Some("Basic dXNlcjpwYXNz"),
        Some(&*format!("Bearer {forged}")),
    ] {
        let err = handle(&f.state, event(auth)).await.unwrap_err();
        assert!(matches!(err, AuthorizerError::Unauthorized), "{auth:?}");
        let diagnostic: lambda_runtime::Diagnostic = err.into();
        // API Gateway maps exactly this message to 401.
        assert_eq!(diagnostic.error_message, "Unauthorized");
    }
}

#[tokio::test]
async fn revoked_tokens_and_sessions_are_refused() {
    let f = fixture().await;
    let redis = streamia_shared::cache::connect(&f.env.redis).await.unwrap();
    let revocations = Revocations::new(redis, &f.env.redis.key_prefix, 900);
    let a = f
        .signer
        .issue("u1", "a@b.co", Role::User, "session-a")
        .await
        .unwrap();
    let b = f
        .signer
        .issue("u1", "a@b.co", Role::User, "session-b")
        .await
        .unwrap();
    let c = f
        .signer
        .issue("u1", "a@b.co", Role::User, "session-b")
        .await
        .unwrap();
    let bearer = |t: &str| format!("Bearer {t}");
    assert!(handle(&f.state, event(Some(&bearer(&a.token))))
        .await
        .is_ok());
    revocations
        .revoke_token(&a.claims.jti, a.claims.exp)
        .await
        .unwrap();
    assert!(handle(&f.state, event(Some(&bearer(&a.token))))
        .await
        .is_err());
    assert!(handle(&f.state, event(Some(&bearer(&b.token))))
        .await
        .is_ok());
    revocations
        .revoke_sessions(&["session-b".to_owned()])
        .await
        .unwrap();
    assert!(handle(&f.state, event(Some(&bearer(&b.token))))
        .await
        .is_err());
    assert!(handle(&f.state, event(Some(&bearer(&c.token))))
        .await
        .is_err());
}

/// Signs with `keys`' current key, for the test's issuer.
async fn token(env: &TestEnv, keys: &KeySet) -> String {
    let signer = TokenSigner::new(&env.tokens, keys, None).unwrap();
    let issued = signer
        .issue("u1", "a@b.co", Role::User, "s1")
        .await
        .unwrap();
    format!("Bearer {}", issued.token)
}

#[tokio::test]
async fn a_rotation_logs_no_one_out_on_an_instance_started_before_it() {
    let f = fixture().await;
    let now = chrono::Utc::now();
    let before = f.env.keys.clone();
    let old = token(&f.env, &before).await;
    // The operator stages a key: the public set gains `next`, the running instance is not told.
    let staged = before.stage(now).unwrap().set;
    f.env
        .put_secret(&f.env.public_keys_secret, &staged.public().to_json())
        .await;
    // ... and later promotes it: tokens signed with it are accepted by the same instance
    // (it reads the set again on the unknown kid), and so are those of the previous key.
    let policy = RotationPolicy {
        min_staged: Duration::ZERO,
        retire_after: Duration::ZERO,
    };
    let after = staged.promote(now, &policy).unwrap().set;
    f.env
        .put_secret(&f.env.public_keys_secret, &after.public().to_json())
        .await;
    let new = token(&f.env, &after).await;
    assert!(
        handle(&f.state, event(Some(&new))).await.is_ok(),
        "next key"
    );
    assert!(
        handle(&f.state, event(Some(&old))).await.is_ok(),
        "previous key"
    );
    // A key nobody published is refused (after the one read, which found nothing).
    let stranger = token(&f.env, &KeySet::initial(now)).await;
    assert!(matches!(
        handle(&f.state, event(Some(&stranger))).await,
        Err(AuthorizerError::Unauthorized)
    ));
}

#[tokio::test]
async fn hs256_tokens_from_before_the_switch_are_refused() {
    let f = fixture().await;
    // A token as the HS256 signer issued them (the old shared secret, no kid): the switch to
    // Ed25519 refuses it; the client refreshes (its refresh token is unaffected).
    let claims = f
        .signer
        .issue("u1", "a@b.co", Role::User, "s1")
        .await
        .unwrap()
        .claims;
    let key =
        jsonwebtoken::EncodingKey::from_secret(b"streamia-test-secret-0123456789abcdef0123456789");
    let hs256 = jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &key).unwrap();
    assert!(matches!(
        handle(&f.state, event(Some(&format!("Bearer {hs256}")))).await,
        Err(AuthorizerError::Unauthorized)
    ));
}
