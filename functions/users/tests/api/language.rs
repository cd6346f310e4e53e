//! Spanish and English: every answer in the request's `Accept-Language` (with
//! `Content-Language`), the same machine code in both; a user's `language` set at registration
//! (body, else the request's), changed with PUT /users/me, carried in the events the emails
//! are written from.

use serde_json::{json, Value};
use streamia_users::adapters::http::{FORGOT_PASSWORD, GET_ME, LOGIN, REGISTER, UPDATE_ME};

use crate::common::*;

fn register(
    body: Value,
    accept_language: Option<&str>,
) -> streamia_shared::testing::apigw::EventBuilder {
    let event = post("/api/v1/auth/register", body);
    match accept_language {
        Some(value) => event.header("accept-language", value),
        None => event,
    }
}

fn fresh() -> (String, String) {
    let n = &uuid::Uuid::new_v4().simple().to_string()[..10];
    (format!("u_{n}"), format!("{n}@example.com"))
}

#[tokio::test]
async fn the_body_names_the_language_else_the_request_does() {
    let app = TestApp::spawn().await;
    let cases = [
        (Some("es"), None, "es"),
        (Some("en"), Some("es"), "en"),
        (None, Some("es-CO,es;q=0.9,en;q=0.8"), "es"),
        (None, Some("en-US;q=0.9, es;q=0.8"), "en"),
        (None, Some("fr"), "en"),
        (None, None, "en"),
    ];
    let mut expected_events = Vec::new();
    for (body_language, accept, expected) in cases {
        let (username, email) = fresh();
        let mut body = json!({"username": username, "email": email, "password": PASSWORD});
        if let Some(language) = body_language {
            body["language"] = json!(language);
        }
        let res = app.call(REGISTER, register(body, accept)).await;
        res.assert_ok(201);
        let case = format!("body {body_language:?}, Accept-Language {accept:?}");
        assert_eq!(res.data()["user"]["language"], expected, "{case}");
        expected_events.push((email, expected, case));
    }
    let events = app.env.events_named("user.registered", cases.len()).await;
    for (email, expected, case) in expected_events {
        let event = events
            .iter()
            .find(|e| e.envelope.payload["email"] == email)
            .unwrap_or_else(|| panic!("no user.registered for {case}"));
        assert_eq!(event.envelope.payload["language"], expected, "{case}");
        assert_eq!(
            event.envelope.version, 1,
            "still v1: an added optional field"
        );
    }
}

#[tokio::test]
async fn errors_are_in_the_requests_language_with_the_same_code() {
    let app = TestApp::spawn().await;
    let body = json!({"username": "a", "email": "nope", "password": "short", "language": "fr"});
    let es = app.call(REGISTER, register(body.clone(), Some("es"))).await;
    let en = app.call(REGISTER, register(body, None)).await;
    es.assert_error(400, "VALIDATION_ERROR");
    en.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(es.headers["content-language"], "es");
    assert_eq!(en.headers["content-language"], "en");
    assert_eq!(es.body["message"], "la solicitud no es válida");
    assert_eq!(en.body["message"], "invalid request");
    assert_eq!(
        es.detail("username"),
        Some("debe tener entre 3 y 30 caracteres")
    );
    assert_eq!(
        es.detail("email"),
        Some("debe ser un correo electrónico válido")
    );
    assert_eq!(
        es.detail("password"),
        Some("debe tener entre 8 y 128 caracteres")
    );
    assert_eq!(es.detail("language"), Some("debe ser \"es\" o \"en\""));
    assert_eq!(en.detail("language"), Some("must be \"es\" or \"en\""));
    let fields = |r: &TestResponse| -> Vec<Value> {
        r.body["details"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["field"].clone())
            .collect()
    };
    assert_eq!(fields(&es), fields(&en));

    // A service error, a success message and a 401: the same codes, translated text.
    let (username, email) = fresh();
    app.register_as(&username, &email).await.assert_ok(201);
    let taken = app
        .call(
            REGISTER,
            register(
                json!({"username": username, "email": email, "password": PASSWORD}),
                Some("es-MX"),
            ),
        )
        .await;
    taken.assert_error(409, "EMAIL_TAKEN");
    assert_eq!(
        taken.body["message"],
        "ya existe una cuenta con este correo electrónico"
    );
    let wrong = app
        .call(
            LOGIN,
            post(
                "/api/v1/auth/login",
                json!({"email": email, "password": "Wrong1234"}),
            )
            .header("accept-language", "es"),
        )
        .await;
    wrong.assert_error(401, "INVALID_CREDENTIALS");
    assert_eq!(
        wrong.body["message"],
        "correo electrónico o contraseña incorrectos"
    );
    let sent = app
        .call(
            FORGOT_PASSWORD,
            post("/api/v1/auth/forgot-password", json!({"email": email}))
                .header("accept-language", "es"),
        )
        .await;
    sent.assert_ok(202);
    assert_eq!(sent.headers["content-language"], "es");
    assert!(sent.body["message"]
        .as_str()
        .unwrap()
        .starts_with("Si existe una cuenta"));
    let unauthenticated = app
        .call(
            GET_ME,
            request("GET", "/api/v1/users/me").header("accept-language", "es"),
        )
        .await;
    unauthenticated.assert_error(401, "UNAUTHORIZED");
    assert_eq!(unauthenticated.body["message"], "debes iniciar sesión");
}

#[tokio::test]
async fn put_me_changes_the_language_and_announces_it() {
    let app = TestApp::spawn().await;
    let (access, _, user) = app.user().await;
    assert_eq!(user["language"], "en");
    let res = app
        .call_as(
            &access,
            UPDATE_ME,
            request("PUT", "/api/v1/users/me").json(json!({"language": "es"})),
        )
        .await;
    res.assert_ok(200);
    assert_eq!(res.data()["language"], "es");
    let me = app
        .call_as(&access, GET_ME, request("GET", "/api/v1/users/me"))
        .await;
    assert_eq!(me.data()["language"], "es");
    let events = app.env.events_named("user.updated", 1).await;
    assert_eq!(events[0].envelope.payload["language"], "es");
    assert_eq!(events[0].envelope.payload["changed"], json!(["language"]));

    // Every account has a language: it cannot be cleared, and only the two codes are taken.
    for (body, message) in [
        (json!({"language": null}), "no se puede borrar"),
        (json!({"language": "ES"}), "debe ser \"es\" o \"en\""),
    ] {
        let res = app
            .call_as(
                &access,
                UPDATE_ME,
                request("PUT", "/api/v1/users/me")
                    .json(body)
                    .header("accept-language", "es"),
            )
            .await;
        res.assert_error(400, "VALIDATION_ERROR");
        assert_eq!(res.detail("language"), Some(message));
    }
}

#[tokio::test]
async fn a_reset_is_announced_in_the_users_language() {
    let app = TestApp::spawn().await;
    let (username, email) = fresh();
    app.call(
        REGISTER,
        register(
            json!({"username": username, "email": email, "password": PASSWORD, "language": "es"}),
            None,
        ),
    )
    .await
    .assert_ok(201);
    // The request's language is not the user's: the email follows the account.
    app.call(
        FORGOT_PASSWORD,
        post("/api/v1/auth/forgot-password", json!({"email": email}))
            .header("accept-language", "en"),
    )
    .await
    .assert_ok(202);
    let events = app
        .env
        .events_named("user.password_reset_requested", 1)
        .await;
    assert_eq!(events[0].envelope.payload["language"], "es");
}

#[tokio::test]
async fn an_account_stored_before_languages_reads_as_english() {
    let app = TestApp::spawn().await;
    let (access, _, user) = app.user().await;
    let client = mongodb::Client::with_uri_str(&app.env.mongo.uri)
        .await
        .unwrap();
    client
        .database(&app.env.mongo.database_name("users"))
        .collection::<bson::Document>("users")
        .update_one(
            bson::doc! {"email": user["email"].as_str().unwrap()},
            bson::doc! {"$unset": {"language": ""}},
        )
        .await
        .unwrap();
    let stored = app
        .stored(
            "users",
            bson::doc! {"email": user["email"].as_str().unwrap()},
        )
        .await
        .unwrap();
    assert!(!stored.contains_key("language"));
    let me = app
        .call_as(&access, GET_ME, request("GET", "/api/v1/users/me"))
        .await;
    me.assert_ok(200);
    assert_eq!(me.data()["language"], "en");
}
