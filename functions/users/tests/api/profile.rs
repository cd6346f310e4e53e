use serde_json::{json, Value};
use streamia_users::adapters::http::{GET_ME, UPDATE_ME};

use crate::common::*;

fn put(body: Value) -> streamia_shared::testing::apigw::EventBuilder {
    request("PUT", "/api/v1/users/me").json(body)
}

#[tokio::test]
async fn get_me_returns_the_profile_without_secrets() {
    let app = TestApp::spawn().await;
    let (access, _, user) = app.user().await;
    let res = app
        .call_as(&access, GET_ME, request("GET", "/api/v1/users/me"))
        .await;
    res.assert_ok(200);
    assert_eq!(res.data(), &user);
    assert!(!res.raw.contains("argon2") && !res.raw.to_lowercase().contains("hash"));
    assert!(!res.raw.contains("status"));
}

#[tokio::test]
async fn protected_routes_need_the_authorizer_identity() {
    let app = TestApp::spawn().await;
    app.call(GET_ME, request("GET", "/api/v1/users/me"))
        .await
        .assert_error(401, "UNAUTHORIZED");
    app.call(UPDATE_ME, put(json!({"firstName": "X"})))
        .await
        .assert_error(401, "UNAUTHORIZED");
    app.call_as("garbage", GET_ME, request("GET", "/api/v1/users/me"))
        .await
        .assert_error(401, "UNAUTHORIZED");
}

#[tokio::test]
async fn updates_fields_clears_with_null_and_publishes() {
    let app = TestApp::spawn().await;
    let (access, _, user) = app.user().await;
    let res = app
        .call_as(
            &access,
            UPDATE_ME,
            put(json!({"username": "Renamed_1", "firstName": " Ana ", "lastName": "Lopez", "age": 40,
                       "avatar": "https://cdn.example.com/a.png"}))
            .header("x-correlation-id", "corr-update"),
        )
        .await;
    res.assert_ok(200);
    let d = res.data();
    assert_eq!(d["username"], "Renamed_1");
    assert_eq!(d["firstName"], "Ana");
    assert_eq!(d["age"], 40);
    assert_eq!(d["avatar"], "https://cdn.example.com/a.png");
    assert_eq!(d["email"], user["email"]);
    assert_ne!(d["updatedAt"], user["updatedAt"]);

    let events = app.env.events_named("user.updated", 1).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].envelope.correlation_id, "corr-update");
    assert_eq!(events[0].envelope.payload["username"], "Renamed_1");
    assert_eq!(
        events[0].envelope.payload["changed"],
        json!(["username", "firstName", "lastName", "age", "avatar"])
    );

    let res = app
        .call_as(
            &access,
            UPDATE_ME,
            put(json!({"age": null, "avatar": null})),
        )
        .await;
    res.assert_ok(200);
    assert_eq!(res.data()["age"], json!(null));
    assert_eq!(res.data()["avatar"], json!(null));
    assert_eq!(res.data()["firstName"], "Ana");
    let me = app
        .call_as(&access, GET_ME, request("GET", "/api/v1/users/me"))
        .await;
    assert_eq!(me.data(), res.data());
}

#[tokio::test]
async fn update_validation_and_conflicts() {
    let app = TestApp::spawn().await;
    let (access, _, user) = app.user().await;
    let (_, _, other) = app.user().await;
    let cases = [
        (json!({"username": "x"}), "username"),
        (json!({"username": null}), "username"),
        (json!({"firstName": ""}), "firstName"),
        (json!({"lastName": "y".repeat(51)}), "lastName"),
        (json!({"age": 5}), "age"),
        (json!({"age": "old"}), "age"),
        (
            json!({"avatar": "http://insecure.example.com/a.png"}),
            "avatar",
        ),
        (json!({"avatar": "not a url"}), "avatar"),
        (json!({"email": "new@example.com"}), "email"),
        (json!({"role": "admin"}), "role"),
    ];
    for (body, field) in cases {
        let res = app.call_as(&access, UPDATE_ME, put(body.clone())).await;
        res.assert_error(400, "VALIDATION_ERROR");
        assert!(res.detail(field).is_some(), "{body}: {}", res.raw);
    }
    app.call_as(&access, UPDATE_ME, put(json!({})))
        .await
        .assert_error(400, "VALIDATION_ERROR");
    let taken = other["username"].as_str().unwrap().to_uppercase();
    app.call_as(&access, UPDATE_ME, put(json!({"username": taken})))
        .await
        .assert_error(409, "USERNAME_TAKEN");
    // Re-saving one's own name in another case is fine.
    let own = user["username"].as_str().unwrap().to_uppercase();
    app.call_as(&access, UPDATE_ME, put(json!({"username": own})))
        .await
        .assert_ok(200);
}
