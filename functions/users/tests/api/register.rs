use serde_json::json;
use streamia_users::adapters::http::REGISTER;

use crate::common::*;

#[tokio::test]
async fn registers_and_returns_a_session() {
    let app = TestApp::spawn().await;
    let res = app
        .call(
            REGISTER,
            post(
                "/api/v1/auth/register",
                json!({"username": "Ana_M", "email": " Ana@Example.com ", "password": PASSWORD,
                       "firstName": "Ana", "lastName": "M", "age": 30}),
            )
            .header("x-correlation-id", "corr-register-1"),
        )
        .await;
    res.assert_ok(201);
    assert_eq!(res.headers["x-correlation-id"], "corr-register-1");
    assert_eq!(res.headers["content-type"], "application/json");
    let data = res.data();
    let user = &data["user"];
    assert_eq!(user["email"], "ana@example.com");
    assert_eq!(user["username"], "Ana_M");
    assert_eq!(user["firstName"], "Ana");
    assert_eq!(user["age"], 30);
    assert_eq!(user["avatar"], json!(null));
    assert_eq!(user["role"], "user");
    assert_eq!(user["language"], "en", "no language asked for: English");
    assert_eq!(user["id"].as_str().unwrap().len(), 24);
    assert!(chrono::DateTime::parse_from_rfc3339(user["createdAt"].as_str().unwrap()).is_ok());
    let mut keys: Vec<&String> = user.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "age",
            "avatar",
            "createdAt",
            "email",
            "firstName",
            "id",
            "language",
            "lastName",
            "role",
            "updatedAt",
            "username"
        ]
    );
    assert_eq!(data["expiresIn"], 900);
    assert!(app
        .authorize(data["accessToken"].as_str().unwrap())
        .await
        .is_ok());
    assert!(data["refreshToken"].as_str().unwrap().len() >= 43);

    // Stored as an argon2id PHC string only.
    let stored = app
        .stored("users", bson::doc! {"email": "ana@example.com"})
        .await
        .unwrap();
    assert!(stored
        .get_str("passwordHash")
        .unwrap()
        .starts_with("$argon2id$v=19$"));
    assert!(!stored.to_string().contains(PASSWORD));

    // Published user.registered, with the filterable attributes and the request's correlation id.
    let events = app.env.events_named("user.registered", 1).await;
    assert_eq!(events.len(), 1, "user.registered not published");
    let e = &events[0];
    assert_eq!(e.attributes["eventName"], "user.registered");
    assert_eq!(e.attributes["correlationId"], "corr-register-1");
    assert_eq!(e.envelope.correlation_id, "corr-register-1");
    assert_eq!(e.envelope.source, "users");
    assert_eq!(e.envelope.version, 1);
    assert_eq!(e.envelope.payload["email"], "ana@example.com");
    assert_eq!(e.envelope.payload["userId"], user["id"]);
    assert!(!e.raw.contains("argon2"));
}

#[tokio::test]
async fn an_email_once_listed_as_admin_registers_as_a_user() {
    // ADMIN_EMAILS is gone: a deployment that still sets it grants nothing.
    let app = TestApp::with(&[("ADMIN_EMAILS", "admin@streamia.test")]).await;
    let res = app.register_as("boss", "Admin@Streamia.test").await;
    res.assert_ok(201);
    assert_eq!(res.data()["user"]["role"], "user");
    let ctx = app
        .authorize(res.data()["accessToken"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(ctx["role"], "user");
}

#[tokio::test]
async fn every_answer_carrying_tokens_is_no_store() {
    use streamia_users::adapters::http::{LOGIN, REFRESH};
    let app = TestApp::spawn().await;
    let registered = app.register_as("nostore", "nostore@example.com").await;
    registered.assert_ok(201);
    let logged_in = app
        .call(
            LOGIN,
            post(
                "/api/v1/auth/login",
                json!({"email": "nostore@example.com", "password": PASSWORD}),
            ),
        )
        .await;
    logged_in.assert_ok(200);
    let refreshed = app
        .call(
            REFRESH,
            post(
                "/api/v1/auth/refresh",
                json!({"refreshToken": logged_in.data()["refreshToken"]}),
            ),
        )
        .await;
    refreshed.assert_ok(200);
    for res in [&registered, &logged_in, &refreshed] {
        assert_eq!(res.headers["cache-control"], "no-store", "{}", res.body);
    }
}

#[tokio::test]
async fn names_with_invisible_or_bidi_characters_are_a_400_naming_each_field() {
    let app = TestApp::spawn().await;
    let res = app
        .call(
            REGISTER,
            post(
                "/api/v1/auth/register",
                json!({
                    "username": "ana\u{202E}gpj",
                    "email": "bidi@example.com",
                    "password": PASSWORD,
                    "firstName": "A\u{200B}na",
                    "lastName": "\u{2066}Ruiz\u{2069}",
                }),
            ),
        )
        .await;
    res.assert_error(400, "VALIDATION_ERROR");
    let details = res.body["details"].as_array().unwrap();
    let fields: Vec<&str> = details
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["username", "firstName", "lastName"]);
    for d in details {
        assert!(d["message"].as_str().unwrap().contains("invisible"), "{d}");
    }
}

#[tokio::test]
async fn taken_email_and_username_are_409() {
    let app = TestApp::spawn().await;
    app.register_as("first", "first@example.com")
        .await
        .assert_ok(201);
    app.register_as("second", "FIRST@example.com")
        .await
        .assert_error(409, "EMAIL_TAKEN");
    app.register_as("FIRST", "other@example.com")
        .await
        .assert_error(409, "USERNAME_TAKEN");
}

#[tokio::test]
async fn concurrent_registrations_create_one_account() {
    let app = TestApp::spawn().await;
    let (a, b) = tokio::join!(
        app.register_as("racer1", "race@example.com"),
        app.register_as("racer2", "race@example.com")
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [201, 409], "{} / {}", a.raw, b.raw);
}

#[tokio::test]
async fn every_validation_rule_is_a_400_with_details() {
    let app = TestApp::spawn().await;
    let cases = [
        (
            json!({"email": "a@example.com", "password": PASSWORD}),
            "username",
            "is required",
        ),
        (
            json!({"username": "ab", "email": "a@example.com", "password": PASSWORD}),
            "username",
            "3-30",
        ),
        (
            json!({"username": "a b c", "email": "a@example.com", "password": PASSWORD}),
            "username",
            "letters",
        ),
        (
            json!({"username": "abc", "password": PASSWORD}),
            "email",
            "is required",
        ),
        (
            json!({"username": "abc", "email": "nope", "password": PASSWORD}),
            "email",
            "valid email",
        ),
        (
            json!({"username": "abc", "email": "a@example.com"}),
            "password",
            "is required",
        ),
        (
            json!({"username": "abc", "email": "a@example.com", "password": "Sh0rt"}),
            "password",
            "8-128",
        ),
        (
            json!({"username": "abc", "email": "a@example.com", "password": "nouppercase1"}),
            "password",
            "upper-case",
        ),
        (
            json!({"username": "abc", "email": "a@example.com", "password": "NOLOWERCASE1"}),
            "password",
            "lower-case",
        ),
        (
            json!({"username": "abc", "email": "a@example.com", "password": "NoDigitsHere"}),
            "password",
            "digit",
        ),
        (
            json!({"username": "abc", "email": "a@example.com", "password": PASSWORD, "firstName": "x".repeat(51)}),
            "firstName",
            "50",
        ),
        (
            json!({"username": "abc", "email": "a@example.com", "password": PASSWORD, "lastName": "x".repeat(51)}),
            "lastName",
            "50",
        ),
        (
            json!({"username": "abc", "email": "a@example.com", "password": PASSWORD, "age": 12}),
            "age",
            "13 and 150",
        ),
        (
            json!({"username": "abc", "email": "a@example.com", "password": PASSWORD, "age": 151}),
            "age",
            "13 and 150",
        ),
        (
            json!({"username": "abc", "email": "a@example.com", "password": PASSWORD, "language": "fr"}),
            "language",
            "\"es\" or \"en\"",
        ),
        (
            json!({"username": "abc", "email": "a@example.com", "password": PASSWORD, "language": 1}),
            "language",
            "must be a string",
        ),
        (
            json!({"username": "abc", "email": "a@example.com", "password": PASSWORD, "age": "thirty"}),
            "age",
            "must be a whole number",
        ),
        (
            json!({"username": "abc", "email": "a@example.com", "password": PASSWORD, "role": "admin"}),
            "role",
            "is not a field of this request",
        ),
        (
            json!({"username": "abc", "email": {"$gt": ""}, "password": PASSWORD}),
            "email",
            "must be a string",
        ),
    ];
    for (body, field, message) in cases {
        let res = app
            .call(REGISTER, post("/api/v1/auth/register", body.clone()))
            .await;
        res.assert_error(400, "VALIDATION_ERROR");
        let detail = res
            .detail(field)
            .unwrap_or_else(|| panic!("no detail for {field}: {}", res.raw));
        assert!(detail.contains(message), "{body}: {detail}");
    }
    // Several problems are reported together.
    let res = app
        .call(
            REGISTER,
            post(
                "/api/v1/auth/register",
                json!({"username": "a", "email": "b", "password": "c"}),
            ),
        )
        .await;
    assert_eq!(
        res.body["details"].as_array().unwrap().len(),
        3,
        "{}",
        res.raw
    );
}

#[tokio::test]
async fn malformed_and_oversize_bodies_are_4xx() {
    let app = TestApp::spawn().await;
    let path = "/api/v1/auth/register";
    let res = app
        .call(REGISTER, request("POST", path).body("{\"username\":"))
        .await;
    res.assert_error(400, "VALIDATION_ERROR");
    assert!(res.body["message"]
        .as_str()
        .unwrap()
        .contains("malformed JSON"));
    app.call(REGISTER, request("POST", path))
        .await
        .assert_error(400, "VALIDATION_ERROR");
    app.call(REGISTER, request("POST", path).body("[1,2]"))
        .await
        .assert_error(400, "VALIDATION_ERROR");
    app.call(REGISTER, request("POST", path).body("null"))
        .await
        .assert_error(400, "VALIDATION_ERROR");
    app.call(
        REGISTER,
        request("POST", path)
            .header("content-type", "text/plain")
            .body("{}"),
    )
    .await
    .assert_error(400, "VALIDATION_ERROR");
    let huge =
        json!({"username": "x".repeat(70_000), "email": "a@example.com", "password": PASSWORD});
    app.call(REGISTER, post(path, huge))
        .await
        .assert_error(413, "PAYLOAD_TOO_LARGE");
}
