//! End-to-end journeys over HTTP through the local gateway, against the whole local stack
//! (real functions under cargo lambda watch, SecantusDB, Redis, LocalStack, the SMTP sink).
//! The test command starts that stack and sets STREAMIA_API_URL.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

fn base() -> String {
    std::env::var("STREAMIA_API_URL")
        .expect("STREAMIA_API_URL: run the README's test command, which starts the local stack")
}

fn api(path: &str) -> String {
    format!("{}/api/v1{path}", base())
}

async fn send(req: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let res = req.send().await.expect("the local gateway answers");
    let status = res.status();
    assert!(
        res.headers().contains_key("x-correlation-id")
            || status == StatusCode::UNAUTHORIZED
            || status == StatusCode::NOT_FOUND
    );
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn unique() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..10].to_owned()
}

/// Emails delivered to `to`, waiting for at least `n`.
async fn mail_to(http: &reqwest::Client, to: &str, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let all: Vec<Value> = http
            .get(format!("{}/_local/mail", base()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mine: Vec<Value> = all.into_iter().filter(|m| m["to"] == to).collect();
        if mine.len() >= n || Instant::now() > deadline {
            return mine;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn register_login_profile_logout() {
    let http = reqwest::Client::new();
    let (status, health) = send(http.get(api("/health"))).await;
    assert_eq!(status, 200, "{health}");
    assert_eq!(
        health["data"],
        json!({"status": "ok"}),
        "names no internals"
    );

    let n = unique();
    let email = format!("{n}@example.com");
    let (status, body) = send(http.post(api("/auth/register")).header("x-correlation-id", format!("e2e-{n}")).json(
        &json!({"username": format!("u{n}"), "email": email, "password": "Secret123", "firstName": "Eve"}),
    ))
    .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = send(
        http.post(api("/auth/login"))
            .json(&json!({"email": email, "password": "Secret123"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let token = body["data"]["accessToken"].as_str().unwrap().to_owned();
    let refresh = body["data"]["refreshToken"].as_str().unwrap().to_owned();

    let (status, me) = send(http.get(api("/users/me")).bearer_auth(&token)).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["data"]["email"], email.as_str());
    let (status, updated) = send(
        http.put(api("/users/me"))
            .bearer_auth(&token)
            .json(&json!({"lastName": "Doe", "age": 33})),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["data"]["lastName"], "Doe");
    let (status, bad) = send(
        http.put(api("/users/me"))
            .bearer_auth(&token)
            .json(&json!({"age": "x"})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(bad["error"], "VALIDATION_ERROR");

    let (status, _) = send(
        http.post(api("/auth/logout"))
            .bearer_auth(&token)
            .json(&json!({"refreshToken": refresh})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = send(http.get(api("/users/me")).bearer_auth(&token)).await;
    assert_eq!(status, 401, "a logged-out token is refused at once");
    assert_eq!(body["success"], false);
    let (status, _) = send(
        http.post(api("/auth/refresh"))
            .json(&json!({"refreshToken": refresh})),
    )
    .await;
    assert_eq!(status, 401);

    // The welcome email went out through SNS -> SQS -> notifications -> SMTP.
    let mails = mail_to(&http, &email, 1).await;
    assert_eq!(mails.len(), 1, "welcome email");
    assert_eq!(mails[0]["subject"], "Welcome to Streamia!");
}

#[tokio::test]
async fn protected_routes_need_a_token_and_unknown_routes_are_404() {
    let http = reqwest::Client::new();
    let (status, body) = send(http.get(api("/users/me"))).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "UNAUTHORIZED");
    let (status, _) = send(http.get(api("/users/me")).bearer_auth("not-a-token")).await;
    assert_eq!(status, 401);
    let (status, body) = send(http.get(api("/no/such/route"))).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"], "NOT_FOUND");
    let (status, body) = send(
        http.post(api("/auth/login"))
            .header("content-type", "application/json")
            .body("{oops"),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "VALIDATION_ERROR");
}

#[tokio::test]
async fn a_forgot_password_email_link_resets_the_password() {
    let http = reqwest::Client::new();
    let n = unique();
    let email = format!("{n}@example.com");
    let (status, _) = send(
        http.post(api("/auth/register"))
            .json(&json!({"username": format!("r{n}"), "email": email, "password": "Secret123"})),
    )
    .await;
    assert_eq!(status, 201);
    let (status, _) = send(
        http.post(api("/auth/forgot-password"))
            .json(&json!({"email": email})),
    )
    .await;
    assert_eq!(status, 202);

    let deadline = Instant::now() + Duration::from_secs(30);
    let mut link = None;
    while link.is_none() && Instant::now() < deadline {
        link = mail_to(&http, &email, 2)
            .await
            .iter()
            .filter(|m| m["subject"] == "Reset your Streamia password")
            .find_map(|m| {
                m["text"]
                    .as_str()?
                    .split_whitespace()
                    .find(|w| w.contains("/reset-password/"))
                    .map(str::to_owned)
            });
    }
    let link = link.expect("a reset email with a link");
    let token = link.rsplit('/').next().unwrap().to_owned();

    let (status, body) = send(
        http.post(api("/auth/reset-password"))
            .json(&json!({"token": token, "password": "Brandnew456"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = send(
        http.post(api("/auth/login"))
            .json(&json!({"email": email, "password": "Secret123"})),
    )
    .await;
    assert_eq!(status, 401);
    let (status, _) = send(
        http.post(api("/auth/login"))
            .json(&json!({"email": email, "password": "Brandnew456"})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = send(
        http.post(api("/auth/reset-password"))
            .json(&json!({"token": token, "password": "Another789"})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "INVALID_TOKEN");
}

/// A user registered with `language: "es"` reads both emails in Spanish, whatever language a
/// later request asks for: the welcome (user.registered) and the reset (the account's language,
/// carried in user.password_reset_requested), each as text and HTML.
#[tokio::test]
async fn a_user_registered_in_spanish_gets_both_emails_in_spanish() {
    let http = reqwest::Client::new();
    let n = unique();
    let email = format!("{n}@example.com");
    let (status, body) = send(http.post(api("/auth/register")).json(&json!({
        "username": format!("es{n}"), "email": email, "password": "Secret123",
        "firstName": "Lucía", "language": "es"
    })))
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["data"]["user"]["language"], "es");
    let (status, _) = send(
        http.post(api("/auth/forgot-password"))
            .header("accept-language", "en")
            .json(&json!({"email": email})),
    )
    .await;
    assert_eq!(status, 202);

    let mails = mail_to(&http, &email, 2).await;
    assert_eq!(mails.len(), 2, "{mails:?}");
    let welcome = mails
        .iter()
        .find(|m| m["subject"] == "¡Te damos la bienvenida a Streamia!")
        .unwrap_or_else(|| panic!("a Spanish welcome email: {mails:?}"));
    let reset = mails
        .iter()
        .find(|m| m["subject"] == "Restablece tu contraseña de Streamia")
        .unwrap_or_else(|| panic!("a Spanish reset email: {mails:?}"));
    for mail in [welcome, reset] {
        assert_eq!(mail["language"], "es", "{mail}");
        assert!(
            mail["text"].as_str().unwrap().starts_with("Hola, "),
            "{mail}"
        );
        assert!(mail["text"]
            .as_str()
            .unwrap()
            .contains("El equipo de Streamia"));
        assert!(mail["html"]
            .as_str()
            .unwrap()
            .contains("<html lang=\"es\">"));
    }
    assert!(welcome["text"]
        .as_str()
        .unwrap()
        .starts_with("Hola, Lucía:"));
    let text = reset["text"].as_str().unwrap();
    assert!(text.contains("/reset-password/"), "{text}");
    assert!(text.contains("El enlace funciona una sola vez"), "{text}");
}

/// Every function answer is in the request's language and says so; the machine code and the
/// field names are the same in both; API Gateway's own answers are English and say so too.
#[tokio::test]
async fn answers_follow_accept_language_and_say_which() {
    let http = reqwest::Client::new();
    let body = json!({"username": "x", "email": "nope", "password": "short"});
    let call = |accept: Option<&'static str>| {
        let mut req = http.post(api("/auth/register")).json(&body);
        if let Some(value) = accept {
            req = req.header("accept-language", value);
        }
        req.send()
    };
    let mut answers = Vec::new();
    for (accept, lang) in [
        (Some("es"), "es"),
        (Some("es-CO"), "es"),
        (Some("en-US;q=0.9, es;q=0.8"), "en"),
        (Some("de"), "en"),
        (None, "en"),
    ] {
        let res = call(accept).await.unwrap();
        assert_eq!(res.status(), 400);
        assert_eq!(res.headers()["content-language"], lang, "{accept:?}");
        let json: Value = res.json().await.unwrap();
        assert_eq!(json["error"], "VALIDATION_ERROR");
        answers.push(json);
    }
    assert_eq!(answers[0]["message"], "la solicitud no es válida");
    assert_eq!(answers[4]["message"], "invalid request");
    let fields = |v: &Value| -> Vec<Value> {
        v["details"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["field"].clone())
            .collect()
    };
    assert_eq!(fields(&answers[0]), fields(&answers[4]));
    let password = |v: &Value| {
        v["details"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["field"] == "password")
            .unwrap()["message"]
            .clone()
    };
    assert_eq!(password(&answers[0]), "debe tener entre 8 y 128 caracteres");
    assert_eq!(password(&answers[4]), "must be 8-128 characters");

    // The authorizer's 401 is API Gateway's: static, English, labelled so.
    let res = http
        .get(api("/users/me"))
        .header("accept-language", "es")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["content-language"], "en");
}

#[tokio::test]
async fn the_local_admin_account_exists() {
    let http = reqwest::Client::new();
    let password =
        std::env::var("STREAMIA_ADMIN_PASSWORD").unwrap_or_else(|_| "StreamiaAdmin1!".into());
    let (status, body) = send(
        http.post(api("/auth/login"))
            .json(&json!({"email": "admin@streamia.local", "password": password})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["user"]["role"], "admin");
}

/// A Lambda client on the gateway (its Invoke API), as `aws lambda invoke --endpoint-url`.
async fn lambda_client() -> aws_sdk_lambda::Client {
    let sdk = streamia_shared::events::aws_defaults()
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(base())
        .credentials_provider(aws_sdk_lambda::config::Credentials::new(
            "test", "test", None, None, "e2e",
        ))
        .load()
        .await;
    aws_sdk_lambda::Client::new(&sdk)
}

/// `function` invoked with `payload` through the gateway's Invoke API: its result (a function
/// error fails the test).
async fn invoke(lambda: &aws_sdk_lambda::Client, function: &str, payload: Value) -> Value {
    let out = lambda
        .invoke()
        .function_name(function)
        .payload(aws_sdk_lambda::primitives::Blob::new(payload.to_string()))
        .send()
        .await
        .expect("the gateway serves the Lambda Invoke API");
    let bytes = out.payload.map(|b| b.into_inner()).unwrap_or_default();
    let result: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(out.function_error, None, "{result}");
    result
}

/// What an operator runs, `aws lambda invoke --endpoint-url <gateway> --function-name
/// users-set-role`, here through the SDK: the gateway's Invoke API reaches the real function,
/// which changes the role, and the user's tokens stop working at once.
#[tokio::test]
async fn an_operator_grants_and_takes_a_role_through_the_gateways_lambda_invoke_api() {
    let lambda = lambda_client().await;
    let set_role = |email: String, role: &'static str| {
        let lambda = lambda.clone();
        async move {
            let payload =
                json!({"email": email, "role": role, "operator": "e2e", "reason": "journey"});
            invoke(&lambda, "users-set-role", payload).await
        }
    };
    let http = reqwest::Client::new();
    let n = unique();
    let email = format!("{n}@example.com");
    let (status, body) = send(
        http.post(api("/auth/register"))
            .json(&json!({"username": format!("u{n}"), "email": email, "password": "Secret123"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["data"]["user"]["role"], "user");
    let token = body["data"]["accessToken"].as_str().unwrap().to_owned();

    let result = set_role(email.clone(), "admin").await;
    assert_eq!(result["previousRole"], "user");
    assert_eq!(result["changed"], true);
    let (status, _) = send(http.get(api("/users/me")).bearer_auth(&token)).await;
    assert_eq!(status, 401, "the old token stopped working at once");

    let login = || {
        send(
            http.post(api("/auth/login"))
                .json(&json!({"email": email, "password": "Secret123"})),
        )
    };
    let (status, body) = login().await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["user"]["role"], "admin");
    let admin = body["data"]["accessToken"].as_str().unwrap().to_owned();

    set_role(email.clone(), "user").await;
    let (status, _) = send(http.get(api("/users/me")).bearer_auth(&admin)).await;
    assert_eq!(status, 401, "a demoted admin's token is refused at once");
    let (_, body) = login().await;
    assert_eq!(body["data"]["user"]["role"], "user");

    let err = lambda
        .invoke()
        .function_name("users-no-such-function")
        .send()
        .await
        .unwrap_err();
    assert!(err
        .as_service_error()
        .is_some_and(|e| e.is_resource_not_found_exception()));
}

/// What a browser relies on, from the real functions and the gateway: the functions (the
/// preflight one included) name each allowed origin on their answers (errors included) and
/// no other; API Gateway's own answers, which carry no data, echo the request's origin.
#[tokio::test]
async fn browsers_get_cors_headers_from_the_functions_and_the_gateway_responses() {
    let origins = std::env::var("CORS_ALLOWED_ORIGINS")
        .expect("CORS_ALLOWED_ORIGINS: run the README's test command, which sets it");
    let origins: Vec<String> = origins.split(',').map(|o| o.trim().to_owned()).collect();
    assert!(origins.len() >= 2, "the test command allows two origins");
    let http = reqwest::Client::new();
    let login = |origin: &str| {
        http.post(api("/auth/login"))
            .header("origin", origin)
            .json(
                &json!({"email": format!("nobody-{}@cors.test", unique()), "password": "Nope1234"}),
            )
            .send()
    };
    let preflight = |origin: &str| {
        http.request(reqwest::Method::OPTIONS, api("/users/me"))
            .header("origin", origin)
            .header("access-control-request-method", "PUT")
            .header(
                "access-control-request-headers",
                "authorization,content-type",
            )
            .send()
    };

    for allowed in &origins {
        let res = login(allowed).await.unwrap();
        assert_eq!(res.status(), 401, "the function's own error");
        let h = res.headers();
        assert_eq!(h["access-control-allow-origin"], allowed.as_str());
        assert_eq!(
            h["access-control-expose-headers"],
            "x-correlation-id, Retry-After, ETag"
        );
        assert!(h.get_all("vary").iter().any(|v| v == "Origin"));

        // The preflight names this origin, not only the first of the list.
        let res = preflight(allowed).await.unwrap();
        assert_eq!(res.status(), 204, "{allowed}");
        let h = res.headers();
        assert_eq!(h["access-control-allow-origin"], allowed.as_str());
        assert!(h["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("PUT"));
        let allow_headers = h["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .to_lowercase();
        assert!(allow_headers.contains("authorization"));
        assert!(
            allow_headers.contains("accept-language"),
            "any Accept-Language passes a preflight"
        );
        assert!(!h.contains_key("access-control-allow-credentials"));

        // API Gateway's own 401 echoes the origin: the client sees it and refreshes.
        let res = http
            .get(api("/users/me"))
            .header("origin", allowed)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
        assert_eq!(
            res.headers()["access-control-allow-origin"],
            allowed.as_str()
        );
        assert!(res.headers().contains_key("x-correlation-id"));
    }

    let other = "https://not-allowed.example";
    let res = login(other).await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(!res.headers().contains_key("access-control-allow-origin"));
    assert!(!res.headers().contains_key("access-control-expose-headers"));
    let res = preflight(other).await.unwrap();
    assert_eq!(res.status(), 204);
    assert!(
        !res.headers().contains_key("access-control-allow-origin"),
        "a preflight from another origin allows nothing"
    );
    assert!(!res.headers().contains_key("access-control-allow-methods"));

    // A path with no route has no preflight either: API Gateway's 403-as-404, origin echoed.
    let res = http
        .request(reqwest::Method::OPTIONS, api("/no-such-route"))
        .header("origin", origins[0].as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        origins[0].as_str()
    );
}

/// `CONFIG GET <name>` on the Redis at `url`.
async fn redis_config(url: &str, name: &str) -> String {
    let mut conn = redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    let pair: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg(name)
        .query_async(&mut conn)
        .await
        .unwrap();
    pair.get(1).cloned().unwrap_or_default()
}

/// Redis split by purpose, as the README requires of the deployed instances: the auth one
/// (revocations, counters) never evicts, the cache's may.
#[tokio::test]
async fn the_stacks_auth_redis_never_evicts_and_its_cache_redis_may() {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!("{name}: run the README's test command, which starts the local stack")
        })
    };
    let (auth, cache) = (var("REDIS_URL"), var("CACHE_REDIS_URL"));
    assert_ne!(auth, cache, "two instances");
    assert_eq!(redis_config(&auth, "maxmemory-policy").await, "noeviction");
    assert_eq!(
        redis_config(&cache, "maxmemory-policy").await,
        "allkeys-lru"
    );
    for url in [&auth, &cache] {
        let max: u64 = redis_config(url, "maxmemory").await.parse().unwrap();
        assert!(
            max > 0,
            "{url}: a memory limit, or the policy never applies"
        );
    }
}

/// An access token of the local admin account (created by the test command's start).
async fn admin_token(http: &reqwest::Client) -> String {
    let password =
        std::env::var("STREAMIA_ADMIN_PASSWORD").unwrap_or_else(|_| "StreamiaAdmin1!".into());
    let (status, body) = send(
        http.post(api("/auth/login"))
            .json(&json!({"email": "admin@streamia.local", "password": password})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["data"]["accessToken"].as_str().unwrap().to_owned()
}

/// `GET /api/v1/movies?<pairs>`, each value percent-encoded (UTF-8, RFC 3986 unreserved kept).
fn movies_query<V: AsRef<str>>(pairs: &[(&str, V)]) -> String {
    let encode = |text: &str| {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    let query: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v.as_ref())))
        .collect();
    api(&format!("/movies?{}", query.join("&")))
}

/// Titles of a `GET /movies` answer.
fn titles(page: &Value) -> Vec<String> {
    page["data"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["title"].as_str().unwrap().to_owned())
        .collect()
}

/// An admin creates, updates and deletes; a visitor lists, searches and reads, and revalidates
/// with the ETag; a signed-in non-admin gets 403 on every write. Through the gateway, the real
/// functions, SecantusDB, the cache Redis and LocalStack.
#[tokio::test]
async fn the_movie_catalog_journey() {
    let http = reqwest::Client::new();
    let admin = admin_token(&http).await;
    let n = unique();
    let title = format!("Journey {n} (a+)+$");
    let (status, created) = send(http.post(api("/movies")).bearer_auth(&admin).json(&json!({
        "title": title, "category": "E2E", "duration": 3600, "releaseYear": 2001,
        "coverImage": "https://img.example.com/journey.jpg", "description": "An e2e film."
    })))
    .await;
    assert_eq!(status, 201, "{created}");
    let movie = created["data"].clone();
    let id = movie["id"].as_str().unwrap().to_owned();
    assert_eq!(movie["category"], "e2e");
    assert_eq!(movie["videoUrl"], Value::Null);
    assert_eq!(movie["subtitles"], json!([]));

    // A visitor (no token) reads it, finds it by a literal search, filters by category.
    let (status, read) = send(http.get(api(&format!("/movies/{id}")))).await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(read["data"], movie);
    let (status, found) = send(http.get(movies_query(&[
        ("search", format!("{n} (a+)+$")),
        ("category", "e2e".into()),
    ])))
    .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(titles(&found), std::slice::from_ref(&title));
    let (_, nothing) = send(http.get(movies_query(&[("search", format!("{n}.*"))]))).await;
    assert_eq!(titles(&nothing), Vec::<String>::new());

    // Revalidation through the gateway: ETag in, 304 out.
    let res = http
        .get(api(&format!("/movies/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["cache-control"], "no-cache");
    let tag = res.headers()["etag"].to_str().unwrap().to_owned();
    let res = http
        .get(api(&format!("/movies/{id}")))
        .header("if-none-match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);
    assert_eq!(res.headers()["etag"].to_str().unwrap(), tag);
    assert!(res.text().await.unwrap().is_empty());

    // A signed-in user who is not an admin: 403 on every write, nothing changes.
    let (status, registered) = send(http.post(api("/auth/register")).json(&json!({
        "username": format!("m{n}"), "email": format!("m{n}@example.com"), "password": "Secret123"
    })))
    .await;
    assert_eq!(status, 201, "{registered}");
    let user = registered["data"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = json!({"title": "Nope", "category": "drama", "duration": 60});
    for (status, answer) in [
        send(http.post(api("/movies")).bearer_auth(&user).json(&body)).await,
        send(
            http.put(api(&format!("/movies/{id}")))
                .bearer_auth(&user)
                .json(&body),
        )
        .await,
        send(
            http.delete(api(&format!("/movies/{id}")))
                .bearer_auth(&user),
        )
        .await,
    ] {
        assert_eq!(status, 403, "{answer}");
        assert_eq!(answer["error"], "FORBIDDEN");
    }
    // Without a token, API Gateway's authorizer answers first.
    let (status, _) = send(http.post(api("/movies")).json(&body)).await;
    assert_eq!(status, 401);

    // The admin updates: the very next reads are fresh (the cache was refreshed), and the old
    // ETag no longer matches.
    let (status, updated) = send(
        http.put(api(&format!("/movies/{id}")))
            .bearer_auth(&admin)
            .json(&json!({"title": format!("Journey {n} renamed"), "coverImage": null})),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    let (_, read) = send(http.get(api(&format!("/movies/{id}")))).await;
    assert_eq!(read["data"]["title"], format!("Journey {n} renamed"));
    assert_eq!(read["data"]["coverImage"], Value::Null);
    let res = http
        .get(api(&format!("/movies/{id}")))
        .header("if-none-match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let (_, found) = send(http.get(movies_query(&[("search", format!("Journey {n}"))]))).await;
    assert_eq!(titles(&found), [format!("Journey {n} renamed")]);

    // Validation in the envelope.
    let (status, bad) = send(
        http.post(api("/movies"))
            .bearer_auth(&admin)
            .json(&json!({"title": "", "category": "a b", "duration": 0})),
    )
    .await;
    assert_eq!(status, 400, "{bad}");
    assert_eq!(bad["details"].as_array().unwrap().len(), 3);

    // The admin deletes: 202 with the saga id, then 404 and gone from every list.
    let (status, deleted) = send(
        http.delete(api(&format!("/movies/{id}")))
            .bearer_auth(&admin),
    )
    .await;
    assert_eq!(status, 202, "{deleted}");
    assert!(deleted["data"]["sagaId"].is_string());
    let (status, _) = send(http.get(api(&format!("/movies/{id}")))).await;
    assert_eq!(status, 404);
    let (_, found) = send(http.get(movies_query(&[("search", format!("Journey {n}"))]))).await;
    assert_eq!(found["data"]["total"], 0);
}

/// The test command seeds the sample catalog twice, as two runs of the run command would: each
/// sample movie is listed exactly once.
#[tokio::test]
async fn the_sample_catalog_is_seeded_once() {
    let http = reqwest::Client::new();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../local/seed/movies.json");
    let samples: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(samples.len(), 24);
    for sample in samples {
        let title = sample["title"].as_str().unwrap();
        let (status, page) =
            send(http.get(movies_query(&[("search", title), ("limit", "100")]))).await;
        assert_eq!(status, 200, "{page}");
        let exact = titles(&page).iter().filter(|t| *t == title).count();
        assert_eq!(exact, 1, "{title}");
    }
    let (_, page) =
        send(http.get(movies_query(&[("category", "horror"), ("sort", "title")]))).await;
    assert!(titles(&page).contains(&"Nosferatu".to_owned()), "{page}");
}

/// An admin uploads a video straight to the storage through the presigned URL (LocalStack S3)
/// and adds subtitles; a visitor reads the movie with a signed video URL that plays with
/// Range, and its WebVTT subtitles; a non-admin cannot ask for an upload.
#[tokio::test]
async fn an_admin_uploads_a_video_and_subtitles_and_a_visitor_plays_them() {
    let http = reqwest::Client::new();
    let token = admin_token(&http).await;
    let bearer = format!("Bearer {token}");
    let (status, created) = send(
        http.post(api("/movies"))
            .header("authorization", &bearer)
            .json(&json!({"title": format!("Media {}", unique()), "category": "test", "duration": 90})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["data"]["id"].as_str().unwrap().to_owned();

    let (status, signed) = send(
        http.post(api(&format!("/movies/{id}/video/upload-url")))
            .header("authorization", &bearer)
            .json(&json!({"fileName": "clip.mp4", "contentType": "video/mp4", "sizeBytes": 1000})),
    )
    .await;
    assert_eq!(status, 200, "{signed}");
    let signed = &signed["data"];
    let mut form = reqwest::multipart::Form::new();
    for (name, value) in signed["fields"].as_object().unwrap() {
        form = form.text(name.clone(), value.as_str().unwrap().to_owned());
    }
    let bytes: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
    let uploaded = http
        .post(signed["uploadUrl"].as_str().unwrap())
        .multipart(form.part(
            "file",
            reqwest::multipart::Part::bytes(bytes.clone()).file_name("clip.mp4"),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(uploaded.status(), 204, "{}", uploaded.text().await.unwrap());
    let (status, confirmed) = send(
        http.post(api(&format!("/movies/{id}/video")))
            .header("authorization", &bearer)
            .json(&json!({"key": signed["key"]})),
    )
    .await;
    assert_eq!(status, 200, "{confirmed}");

    let srt = "1\r\n00:00:01,000 --> 00:00:02,000\r\nHola\r\n";
    let (status, track) = send(
        http.post(api(&format!("/movies/{id}/subtitles")))
            .header("authorization", &bearer)
            .json(&json!({"language": "es", "label": "Español", "format": "srt", "content": srt})),
    )
    .await;
    assert_eq!(status, 201, "{track}");

    // A visitor (no token).
    let (status, movie) = send(http.get(api(&format!("/movies/{id}")))).await;
    assert_eq!(status, 200, "{movie}");
    let video_url = movie["data"]["videoUrl"].as_str().unwrap();
    let ranged = http
        .get(video_url)
        .header("range", "bytes=10-19")
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.status(), 206);
    assert_eq!(
        ranged.bytes().await.unwrap().to_vec(),
        bytes[10..20].to_vec()
    );
    let (status, tracks) = send(http.get(api(&format!("/movies/{id}/subtitles")))).await;
    assert_eq!(status, 200, "{tracks}");
    let tracks = tracks["data"].as_array().unwrap();
    assert_eq!(tracks.len(), 1);
    assert_eq!(tracks[0]["language"], "es");
    let vtt = http
        .get(tracks[0]["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(vtt.status(), 200);
    assert_eq!(
        vtt.text().await.unwrap(),
        "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nHola\n"
    );

    // A signed-in non-admin cannot ask for an upload.
    let (status, registered) = send(http.post(api("/auth/register")).json(&json!({
        "username": format!("m{}", unique()), "email": format!("m{}@e2e.test", unique()),
        "password": "Viewer123",
    })))
    .await;
    assert_eq!(status, 201, "{registered}");
    let user = registered["data"]["accessToken"].as_str().unwrap();
    let (status, _) = send(
        http.post(api(&format!("/movies/{id}/video/upload-url")))
            .header("authorization", format!("Bearer {user}"))
            .json(&json!({"fileName": "x.mp4", "contentType": "video/mp4", "sizeBytes": 10})),
    )
    .await;
    assert_eq!(status, 403);
}

/// A new user's access token (registered with a unique name).
async fn new_user_token(http: &reqwest::Client, prefix: &str) -> String {
    let n = unique();
    let (status, registered) = send(http.post(api("/auth/register")).json(&json!({
        "username": format!("{prefix}{n}"), "email": format!("{prefix}{n}@example.com"),
        "password": "Secret123"
    })))
    .await;
    assert_eq!(status, 201, "{registered}");
    registered["data"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// `POST /favorites` for `movie`, retried while the favorites service's copy of the movie has
/// not arrived yet (404 MOVIE_NOT_FOUND: the movie event is on its way), up to 10 s.
async fn add_favorite(
    http: &reqwest::Client,
    token: &str,
    movie: &str,
    note: &str,
) -> (StatusCode, Value) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let res = http
            .post(api("/favorites"))
            .bearer_auth(token)
            .json(&json!({"movieId": movie, "note": note}))
            .send()
            .await
            .unwrap();
        let status = res.status();
        let retry_after = res.headers().get("retry-after").cloned();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        if status != StatusCode::NOT_FOUND || Instant::now() > deadline {
            return (status, body);
        }
        assert_eq!(body["error"], "MOVIE_NOT_FOUND", "{body}");
        let wait = retry_after
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
            .map_or(Duration::from_millis(250), Duration::from_secs);
        tokio::time::sleep(wait.min(Duration::from_secs(1))).await;
    }
}

/// The caller's favorites list (`GET /favorites`).
async fn favorites(http: &reqwest::Client, token: &str) -> Value {
    let (status, page) = send(http.get(api("/favorites")).bearer_auth(token)).await;
    assert_eq!(status, 200, "{page}");
    page
}

/// A user favorites a seeded movie with a note, sees it listed with the movie's title, changes
/// the note and removes it (a second remove is 404); another user never sees it. Then a movie an
/// admin creates is favorited as soon as the favorites service has its copy, and an admin's
/// rename shows in the list (movie.updated -> favorites-on-movie-change), with no call to the
/// movies service. (The rename is on a fresh movie: renaming a seeded one would race the seed
/// check, which looks the samples up by title.)
#[tokio::test]
async fn the_favorites_journey() {
    let http = reqwest::Client::new();
    let user = new_user_token(&http, "f").await;
    let other = new_user_token(&http, "g").await;
    let (status, page) = send(http.get(movies_query(&[("search", "Nosferatu")]))).await;
    assert_eq!(status, 200, "{page}");
    let seeded = page["data"]["items"][0]["id"].as_str().unwrap().to_owned();

    let (status, added) = add_favorite(&http, &user, &seeded, "  with popcorn ").await;
    assert_eq!(status, 201, "{added}");
    assert_eq!(added["data"]["movieId"], seeded.as_str());
    assert_eq!(added["data"]["title"], "Nosferatu");
    assert_eq!(added["data"]["note"], "with popcorn");
    let (status, again) = add_favorite(&http, &user, &seeded, "twice").await;
    assert_eq!(status, 409, "{again}");
    assert_eq!(again["error"], "ALREADY_FAVORITE");

    let page = favorites(&http, &user).await;
    assert_eq!(page["data"]["total"], 1, "{page}");
    assert_eq!(page["data"]["items"][0]["title"], "Nosferatu");
    assert_eq!(page["data"]["items"][0]["note"], "with popcorn");
    let (status, updated) = send(
        http.put(api(&format!("/favorites/{seeded}")))
            .bearer_auth(&user)
            .json(&json!({"note": "watch at midnight"})),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["data"]["note"], "watch at midnight");
    let (status, read) = send(
        http.get(api(&format!("/favorites/{seeded}")))
            .bearer_auth(&user),
    )
    .await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(read["data"]["note"], "watch at midnight");

    // Another user sees none of it and can change none of it.
    assert_eq!(favorites(&http, &other).await["data"]["total"], 0);
    let (status, _) = send(
        http.get(api(&format!("/favorites/{seeded}")))
            .bearer_auth(&other),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = send(
        http.delete(api(&format!("/favorites/{seeded}")))
            .bearer_auth(&other),
    )
    .await;
    assert_eq!(status, 404);
    // Without a token: the gateway's 401.
    let (status, _) = send(http.get(api("/favorites"))).await;
    assert_eq!(status, 401);

    let (status, _) = send(
        http.delete(api(&format!("/favorites/{seeded}")))
            .bearer_auth(&user),
    )
    .await;
    assert_eq!(status, 204);
    let (status, gone) = send(
        http.delete(api(&format!("/favorites/{seeded}")))
            .bearer_auth(&user),
    )
    .await;
    assert_eq!(status, 404, "{gone}");
    assert_eq!(gone["error"], "NOT_FOUND");

    // A movie created now: favorited once its copy arrives, then renamed by an admin.
    let admin = admin_token(&http).await;
    let n = unique();
    let (status, created) = send(http.post(api("/movies")).bearer_auth(&admin).json(&json!({
        "title": format!("Favorite {n}"), "category": "e2e", "duration": 3600,
        "coverImage": "https://img.example.com/favorite.jpg"
    })))
    .await;
    assert_eq!(status, 201, "{created}");
    let fresh = created["data"]["id"].as_str().unwrap().to_owned();
    let (status, added) = add_favorite(&http, &user, &fresh, "new release").await;
    assert_eq!(status, 201, "{added}");
    assert_eq!(added["data"]["title"], format!("Favorite {n}"));
    let page = favorites(&http, &user).await;
    assert_eq!(page["data"]["items"][0]["movieId"], fresh.as_str());

    let renamed = format!("Favorite {n} (renamed)");
    let (status, body) = send(
        http.put(api(&format!("/movies/{fresh}")))
            .bearer_auth(&admin)
            .json(&json!({"title": renamed, "coverImage": "https://img.example.com/renamed.jpg"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let page = favorites(&http, &user).await;
        let item = &page["data"]["items"][0];
        if item["title"] == renamed.as_str() {
            assert_eq!(item["coverImage"], "https://img.example.com/renamed.jpg");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the rename never reached the favorites list: {page}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let (status, _) = send(
        http.delete(api(&format!("/favorites/{fresh}")))
            .bearer_auth(&user),
    )
    .await;
    assert_eq!(status, 204);
}

/// `GET /ratings/movies/{id}` until `done` accepts it (the summary trails a rating by one
/// pass; a movie whose deletion was just cancelled is 404 until the ratings service's copy of
/// it hears `movie.deletion_cancelled`), at most 10 s; the last answer.
async fn rating_stats_until(
    http: &reqwest::Client,
    movie: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, body) = send(http.get(api(&format!("/ratings/movies/{movie}")))).await;
        if status == StatusCode::NOT_FOUND && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        }
        assert_eq!(status, 200, "{body}");
        if done(&body["data"]) || Instant::now() > deadline {
            return body["data"].clone();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A user rates a seeded movie (the ratings service learns of movies from movie events: a
/// 404 is retried for a while), changes the score, sees it in their history and in the
/// movie's public summary, and the movies service's copy of the summary (ratingAverage,
/// ratingCount on GET /movies/{id}) follows through rating.changed; then deletes it.
#[tokio::test]
async fn a_user_rates_a_seeded_movie_and_the_summary_follows_everywhere() {
    let http = reqwest::Client::new();
    let token = new_user_token(&http, "r").await;
    let (status, page) = send(http.get(movies_query(&[("search", "Nosferatu")]))).await;
    assert_eq!(status, 200, "{page}");
    let movie = page["data"]["items"][0]["id"]
        .as_str()
        .expect("the seeded Nosferatu")
        .to_owned();
    let (status, before) = send(http.get(api(&format!("/ratings/movies/{movie}")))).await;
    assert_eq!(status, 200, "{before}");
    let before = before["data"].clone();
    let count0 = before["count"].as_u64().unwrap();

    // Rate it: 404 MOVIE_NOT_FOUND while the ratings' copy of the movie is on its way.
    let rate = |score: u64| {
        http.put(api(&format!("/ratings/{movie}")))
            .bearer_auth(&token)
            .json(&json!({ "score": score }))
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    let (status, body) = loop {
        let (status, body) = send(rate(4)).await;
        if status != StatusCode::NOT_FOUND || Instant::now() > deadline {
            break (status, body);
        }
        assert_eq!(body["error"], "MOVIE_NOT_FOUND", "{body}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["data"]["movieId"], movie.as_str());
    assert_eq!(body["data"]["score"], 4);
    let (status, body) = send(rate(2)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["score"], 2);
    let (status, bad) = send(
        http.put(api(&format!("/ratings/{movie}")))
            .bearer_auth(&token)
            .json(&json!({"score": 3.5})),
    )
    .await;
    assert_eq!(status, 400, "{bad}");
    assert_eq!(bad["details"][0]["field"], "score");

    let (status, mine) = send(http.get(api("/ratings/me")).bearer_auth(&token)).await;
    assert_eq!(status, 200, "{mine}");
    assert_eq!(mine["data"]["total"], 1);
    assert_eq!(mine["data"]["items"][0]["movieId"], movie.as_str());
    assert_eq!(mine["data"]["items"][0]["score"], 2);

    let twos = before["distribution"]["2"].as_u64().unwrap();
    let stats = rating_stats_until(&http, &movie, |s| {
        s["count"] == count0 + 1 && s["distribution"]["2"] == twos + 1
    })
    .await;
    assert_eq!(stats["count"], count0 + 1, "{stats}");
    assert_eq!(stats["distribution"]["2"], twos + 1, "{stats}");
    let average = stats["average"].clone();

    // The movies service keeps the same summary, from rating.changed.
    let deadline = Instant::now() + Duration::from_secs(20);
    let shown = loop {
        let (status, body) = send(http.get(api(&format!("/movies/{movie}")))).await;
        assert_eq!(status, 200, "{body}");
        let data = body["data"].clone();
        if (data["ratingCount"] == count0 + 1 && data["ratingAverage"] == average)
            || Instant::now() > deadline
        {
            break data;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(shown["ratingCount"], count0 + 1, "{shown}");
    assert_eq!(shown["ratingAverage"], average, "{shown}");

    let (status, _) = send(
        http.delete(api(&format!("/ratings/{movie}")))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(status, 204);
    let (status, again) = send(
        http.delete(api(&format!("/ratings/{movie}")))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(status, 404, "{again}");
    let stats = rating_stats_until(&http, &movie, |s| s["count"] == count0).await;
    assert_eq!(stats["count"], count0, "{stats}");
    // Without a token: 401; the summary is public.
    let (status, _) = send(
        http.put(api(&format!("/ratings/{movie}")))
            .json(&json!({"score": 1})),
    )
    .await;
    assert_eq!(status, 401);
}

// ==== Comments ===================================================================================

/// Registers a new account named `u<n>`; its id, username and access token.
async fn comments_register(http: &reqwest::Client, prefix: &str) -> (String, String, String) {
    let username = format!("{prefix}{}", unique());
    let (status, body) = send(http.post(api("/auth/register")).json(&json!({
        "username": username, "email": format!("{username}@example.com"), "password": "Secret123"
    })))
    .await;
    assert_eq!(status, 201, "{body}");
    (
        body["data"]["user"]["id"].as_str().unwrap().to_owned(),
        username,
        body["data"]["accessToken"].as_str().unwrap().to_owned(),
    )
}

/// The comment `id` on the first page (50) of `movie`'s public list, if there.
async fn comments_listed(http: &reqwest::Client, movie: &str, id: &str) -> Option<Value> {
    let (status, page) = send(http.get(api(&format!("/comments/movies/{movie}?limit=50")))).await;
    assert_eq!(status, 200, "{page}");
    page["data"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .cloned()
}

/// Polls `movie`'s public list for up to 20 s until the comment `id` satisfies `done`.
async fn comments_wait_for(
    http: &reqwest::Client,
    movie: &str,
    id: &str,
    done: impl Fn(Option<&Value>) -> bool,
) -> Option<Value> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let found = comments_listed(http, movie, id).await;
        if done(found.as_ref()) || Instant::now() > deadline {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// A user comments on a seeded movie; another sees it with the author's username; the author
/// renames themself and the comment shows the new name once the user event is processed;
/// three users report it and it leaves the public list; the admin finds it in moderation and
/// approves it, and it is listed again. Through the gateway, the real functions (the comments
/// consumers of the movie and user events included), SecantusDB, Redis and LocalStack.
#[tokio::test]
async fn the_comments_journey() {
    let http = reqwest::Client::new();
    let admin = admin_token(&http).await;
    let (_, page) = send(http.get(movies_query(&[("search", "Nosferatu")]))).await;
    let movie = page["data"]["items"][0]["id"]
        .as_str()
        .expect("the seeded Nosferatu")
        .to_owned();
    let (author_id, author_name, author) = comments_register(&http, "ca").await;
    let (_, _, viewer) = comments_register(&http, "cv").await;

    // The comments service learns of movies from their events: while its copy is behind, a
    // 404 MOVIE_NOT_FOUND (with Retry-After for a young id) says to retry.
    let text = format!("What a film! {}\nTruly.", unique());
    let deadline = Instant::now() + Duration::from_secs(15);
    let comment = loop {
        let (status, body) = send(
            http.post(api("/comments"))
                .bearer_auth(&author)
                .json(&json!({"movieId": movie, "text": format!("  {text}  ")})),
        )
        .await;
        if status == 404 && body["error"] == "MOVIE_NOT_FOUND" && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(500)).await;
            continue;
        }
        assert_eq!(status, 201, "{body}");
        break body["data"].clone();
    };
    let id = comment["id"].as_str().unwrap().to_owned();
    assert_eq!(comment["text"], text.as_str());
    assert_eq!(comment["userId"], author_id.as_str());

    // Anyone (here: without a token) sees it with the author's username once user.registered
    // has reached the comments service.
    let seen = comments_wait_for(&http, &movie, &id, |c| {
        c.is_some_and(|c| c["username"] == author_name.as_str())
    })
    .await
    .expect("listed");
    assert_eq!(seen["username"], author_name.as_str(), "{seen}");
    let (status, body) = send(
        http.put(api(&format!("/comments/{id}")))
            .bearer_auth(&viewer)
            .json(&json!({"text": "not mine"})),
    )
    .await;
    assert_eq!(
        (status.as_u16(), &body["error"]),
        (403, &json!("FORBIDDEN"))
    );

    // A rename shows on the comment after user.updated is processed.
    let renamed = format!("cr{}", unique());
    let (status, body) = send(
        http.put(api("/users/me"))
            .bearer_auth(&author)
            .json(&json!({"username": renamed})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let seen = comments_wait_for(&http, &movie, &id, |c| {
        c.is_some_and(|c| c["username"] == renamed.as_str())
    })
    .await
    .expect("listed");
    assert_eq!(seen["username"], renamed.as_str(), "{seen}");

    // Three users report it: it leaves the public list.
    let (_, _, r1) = comments_register(&http, "cr").await;
    let (_, _, r2) = comments_register(&http, "cr").await;
    for reporter in [&viewer, &r1, &r2] {
        let (status, body) = send(
            http.post(api(&format!("/comments/{id}/reports")))
                .bearer_auth(reporter)
                .json(&json!({"reason": "spoilers"})),
        )
        .await;
        assert_eq!(status, 202, "{body}");
    }
    let (status, body) = send(
        http.post(api(&format!("/comments/{id}/reports")))
            .bearer_auth(&viewer)
            .json(&json!({})),
    )
    .await;
    assert_eq!(
        (status.as_u16(), &body["error"]),
        (409, &json!("ALREADY_REPORTED"))
    );
    assert!(comments_listed(&http, &movie, &id).await.is_none());

    // The admin finds it flagged and approves it: listed again.
    let (status, queue) = send(
        http.get(api("/comments/moderation?status=flagged&limit=100"))
            .bearer_auth(&admin),
    )
    .await;
    assert_eq!(status, 200, "{queue}");
    let flagged = queue["data"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id.as_str())
        .cloned()
        .expect("in the moderation queue");
    assert_eq!(flagged["status"], "flagged");
    let (status, _) = send(http.get(api("/comments/moderation")).bearer_auth(&viewer)).await;
    assert_eq!(status, 403);
    let (status, body) = send(
        http.put(api(&format!("/comments/{id}/moderation")))
            .bearer_auth(&admin)
            .json(&json!({"action": "approve"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["status"], "visible");
    let listed = comments_listed(&http, &movie, &id)
        .await
        .expect("listed again");
    assert_eq!(listed["username"], renamed.as_str());
}

/// A user with a favorite, a rating and a comment on a movie created for the test (so no other
/// test's ratings move its stats), and a second user's rating of it: (the user's name, email,
/// token, the movie, the comment's id).
struct SagaUser {
    username: String,
    email: String,
    token: String,
    movie: String,
    comment: String,
}

async fn saga_user(http: &reqwest::Client, prefix: &str) -> SagaUser {
    saga_user_on(http, prefix, &format!("Saga {}", unique())).await
}

/// [`saga_user`] on a new movie titled `title`.
async fn saga_user_on(http: &reqwest::Client, prefix: &str, title: &str) -> SagaUser {
    let admin = admin_token(http).await;
    let (status, created) = send(http.post(api("/movies")).bearer_auth(&admin).json(&json!({
        "title": title, "category": "e2e", "duration": 3600,
    })))
    .await;
    assert_eq!(status, 201, "{created}");
    let movie = created["data"]["id"].as_str().unwrap().to_owned();
    let (_, username, token) = comments_register(http, prefix).await;
    let (_, _, witness) = comments_register(http, "sw").await;
    let (status, body) = add_favorite(http, &token, &movie, "to watch again").await;
    assert_eq!(status, 201, "{body}");
    for (who, score) in [(&token, 5), (&witness, 3)] {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let (status, body) = send(
                http.put(api(&format!("/ratings/{movie}")))
                    .bearer_auth(who)
                    .json(&json!({ "score": score })),
            )
            .await;
            if status == StatusCode::NOT_FOUND && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(250)).await;
                continue;
            }
            assert_eq!(status, 201, "{body}");
            break;
        }
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    let comment = loop {
        let (status, body) = send(
            http.post(api("/comments"))
                .bearer_auth(&token)
                .json(&json!({"movieId": movie, "text": "A saga of a film"})),
        )
        .await;
        if status == StatusCode::NOT_FOUND && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(250)).await;
            continue;
        }
        assert_eq!(status, 201, "{body}");
        break body["data"]["id"].as_str().unwrap().to_owned();
    };
    let stats = rating_stats_until(http, &movie, |s| s["count"] == 2).await;
    assert_eq!(stats["count"], 2, "{stats}");
    SagaUser {
        email: format!("{username}@example.com"),
        username,
        token,
        movie,
        comment,
    }
}

/// The email to `to` whose subject is `subject`, waiting up to 30 s.
async fn mail_titled(http: &reqwest::Client, to: &str, subject: &str) -> Option<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let found = mail_to(http, to, 1)
            .await
            .into_iter()
            .find(|m| m["subject"] == subject);
        if found.is_some() || Instant::now() > deadline {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn login_status(http: &reqwest::Client, email: &str) -> StatusCode {
    send(
        http.post(api("/auth/login"))
            .json(&json!({"email": email, "password": "Secret123"})),
    )
    .await
    .0
}

/// The user-deletion saga through the whole stack: a user with a favorite, a rating and a
/// comment deletes the account; favorites, ratings and comments set the data aside and
/// confirm, the users service removes the account, every service purges, and the "account
/// deleted" email arrives. Then the movie's stats no longer count the user, the comment is
/// gone, logins fail and the email can register again.
#[tokio::test]
async fn a_user_deletes_the_account_and_everything_of_it_goes() {
    let http = reqwest::Client::new();
    let u = saga_user(&http, "sd").await;
    let started = Instant::now();
    let (status, body) = send(
        http.delete(api("/users/me"))
            .bearer_auth(&u.token)
            .json(&json!({"password": "Secret123"})),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["data"]["sagaId"].as_str().unwrap().len(), 36);
    let mail = mail_titled(&http, &u.email, "Your Streamia account was deleted")
        .await
        .expect("the account-deleted email");
    eprintln!(
        "user deletion saga: {} ms to the email",
        started.elapsed().as_millis()
    );
    assert!(
        mail["text"].as_str().unwrap().contains(&u.username),
        "{mail}"
    );
    assert_eq!(
        login_status(&http, &u.email).await,
        StatusCode::UNAUTHORIZED
    );
    let (status, _) = send(http.get(api("/users/me")).bearer_auth(&u.token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let stats = rating_stats_until(&http, &u.movie, |s| s["count"] == 1).await;
    assert_eq!(
        (&stats["count"], &stats["average"]),
        (&json!(1), &json!(3.0)),
        "{stats}"
    );
    assert!(
        comments_wait_for(&http, &u.movie, &u.comment, |c| c.is_none())
            .await
            .is_none(),
        "the comment is gone"
    );
    // The email is free again: a new account, with nothing of the old one.
    let (status, again) = send(http.post(api("/auth/register")).json(&json!({
        "username": format!("{}x", u.username), "email": u.email, "password": "Secret123"
    })))
    .await;
    assert_eq!(status, 201, "{again}");
    let token = again["data"]["accessToken"].as_str().unwrap();
    assert_eq!(favorites(&http, token).await["data"]["total"], 0);
}

/// The same deletion with a step that fails for good (the local stack's SAGA_FAULT: the
/// ratings' step fails for usernames starting with "sagafault"): the saga is compensated, the
/// favorite, the rating and the comment come back exactly, the user logs in again and gets the
/// "deletion failed" email.
#[tokio::test]
async fn a_deletion_whose_step_fails_is_compensated_and_nothing_is_lost() {
    let http = reqwest::Client::new();
    let u = saga_user(&http, "sagafault").await;
    let before = favorites(&http, &u.token).await["data"]["items"].clone();
    let (status, body) = send(
        http.delete(api("/users/me"))
            .bearer_auth(&u.token)
            .json(&json!({"password": "Secret123"})),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let mail = mail_titled(&http, &u.email, "We could not delete your Streamia account")
        .await
        .expect("the deletion-failed email");
    assert!(
        mail["text"].as_str().unwrap().contains(&u.username),
        "{mail}"
    );
    // The account works again (its sessions ended with the request: a new login).
    let (status, login) = send(
        http.post(api("/auth/login"))
            .json(&json!({"email": u.email, "password": "Secret123"})),
    )
    .await;
    assert_eq!(status, 200, "{login}");
    let token = login["data"]["accessToken"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let after = favorites(&http, &token).await["data"]["items"].clone();
        if after == before {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "favorites not restored: {after} vs {before}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let stats = rating_stats_until(&http, &u.movie, |s| s["count"] == 2).await;
    assert_eq!(
        (&stats["count"], &stats["average"]),
        (&json!(2), &json!(4.0)),
        "{stats}"
    );
    let (status, mine) = send(http.get(api("/ratings/me")).bearer_auth(&token)).await;
    assert_eq!(status, 200, "{mine}");
    assert_eq!(mine["data"]["items"][0]["score"], 5);
    assert!(
        comments_wait_for(&http, &u.movie, &u.comment, |c| c.is_some())
            .await
            .is_some(),
        "the comment is back"
    );
}

/// A subtitle track added to `movie` by an admin: its signed URL (the object in LocalStack S3).
async fn subtitle_url(http: &reqwest::Client, movie: &str) -> String {
    let admin = admin_token(http).await;
    let (status, added) = send(
        http.post(api(&format!("/movies/{movie}/subtitles")))
            .bearer_auth(&admin)
            .json(
                &json!({"language": "en", "label": "English", "format": "vtt",
                          "content": "WEBVTT\n\n00:01.000 --> 00:02.000\nHello\n"}),
            ),
    )
    .await;
    assert_eq!(status, 201, "{added}");
    added["data"]["url"].as_str().unwrap().to_owned()
}

/// What an operator reads with `aws lambda invoke --function-name <function>` (a
/// `<owner>-saga-status`), through the gateway's Invoke API: the saga's state and steps.
async fn saga_status(function: &str, saga: &str) -> Value {
    invoke(&lambda_client().await, function, json!({ "sagaId": saga })).await
}

/// An admin deletes `movie`: the saga's id.
async fn delete_movie(http: &reqwest::Client, movie: &str) -> String {
    let admin = admin_token(http).await;
    let (status, body) = send(
        http.delete(api(&format!("/movies/{movie}")))
            .bearer_auth(&admin),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    body["data"]["sagaId"].as_str().unwrap().to_owned()
}

/// The movie-deletion saga through the whole stack: a movie with a fan's favorite, two ratings,
/// a comment and a subtitle is deleted by an admin; it is 404 at once; favorites, ratings and
/// comments set its data aside and confirm; the movies service removes it and its media; every
/// service purges, and the fan gets the alert email. Then nothing of it is left anywhere.
#[tokio::test]
async fn an_admin_deletes_a_movie_and_its_fans_are_told_once_it_is_gone() {
    let http = reqwest::Client::new();
    let title = format!("Farewell {}", unique());
    let u = saga_user_on(&http, "md", &title).await;
    let media = subtitle_url(&http, &u.movie).await;
    assert_eq!(http.get(&media).send().await.unwrap().status(), 200);
    let started = Instant::now();
    let saga = delete_movie(&http, &u.movie).await;
    let (status, _) = send(http.get(api(&format!("/movies/{}", u.movie)))).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "hidden at once");
    let subject = format!("A movie in your favorites left Streamia: {title}");
    let mail = mail_titled(&http, &u.email, &subject)
        .await
        .expect("the favorite's alert");
    eprintln!(
        "movie deletion saga: {} ms to the alert",
        started.elapsed().as_millis()
    );
    assert!(mail["text"].as_str().unwrap().contains(&title), "{mail}");
    // The movie's media are gone (deleted when the saga completed, before the alert).
    assert_eq!(http.get(&media).send().await.unwrap().status(), 404);
    assert_eq!(favorites(&http, &u.token).await["data"]["total"], 0);
    let (status, mine) = send(http.get(api("/ratings/me")).bearer_auth(&u.token)).await;
    assert_eq!(status, 200, "{mine}");
    assert_eq!(mine["data"]["items"], json!([]), "{mine}");
    let (status, _) = send(http.get(api(&format!("/comments/movies/{}", u.movie)))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // One alert only.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let alerts = mail_to(&http, &u.email, 1)
        .await
        .into_iter()
        .filter(|m| m["subject"] == subject.as_str())
        .count();
    assert_eq!(alerts, 1);
    // What an operator sees of it: completed, every step done, the movie's id.
    let status = saga_status("movies-saga-status", &saga).await;
    assert_eq!(status["state"], "completed", "{status}");
    assert_eq!(status["movieId"], u.movie.as_str(), "{status}");
    assert_eq!(
        status["steps"],
        json!({"comments": "done", "favorites": "done", "ratings": "done"})
    );
}

/// The same deletion with a step that fails for good (SAGA_FAULT: the ratings' step fails for
/// titles starting with "sagafault"): the movie is back, its favorites, ratings, comment and
/// media exactly as they were, and nobody is told it went.
#[tokio::test]
async fn a_movie_deletion_whose_step_fails_is_compensated_and_nothing_is_lost() {
    let http = reqwest::Client::new();
    let title = format!("sagafault {}", unique());
    let u = saga_user_on(&http, "mf", &title).await;
    let media = subtitle_url(&http, &u.movie).await;
    let before = favorites(&http, &u.token).await["data"]["items"].clone();
    let saga = delete_movie(&http, &u.movie).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, movie) = send(http.get(api(&format!("/movies/{}", u.movie)))).await;
        if status == StatusCode::OK {
            assert_eq!(movie["data"]["title"], title.as_str());
            break;
        }
        assert!(Instant::now() < deadline, "the movie never came back");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let after = favorites(&http, &u.token).await["data"]["items"].clone();
        if after == before {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "favorites not restored: {after} vs {before}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let stats = rating_stats_until(&http, &u.movie, |s| s["count"] == 2).await;
    assert_eq!(
        (&stats["count"], &stats["average"]),
        (&json!(2), &json!(4.0)),
        "{stats}"
    );
    // The comments service's copy of the movie hears movie.deletion_cancelled on its own
    // queue: the list is 404 until then.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, body) = send(http.get(api(&format!("/comments/movies/{}", u.movie)))).await;
        if status == StatusCode::OK {
            break;
        }
        assert!(Instant::now() < deadline, "comments never back: {body}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(
        comments_wait_for(&http, &u.movie, &u.comment, |c| c.is_some())
            .await
            .is_some(),
        "the comment is back"
    );
    assert_eq!(http.get(&media).send().await.unwrap().status(), 200);
    let subject = format!("A movie in your favorites left Streamia: {title}");
    assert!(mail_to(&http, &u.email, 1)
        .await
        .iter()
        .all(|m| m["subject"] != subject.as_str()));
    let status = saga_status("movies-saga-status", &saga).await;
    assert_eq!(status["state"], "cancelled", "{status}");
    assert_eq!(status["steps"]["ratings"], "failed", "{status}");
    assert_eq!(
        status["reason"],
        "ratings failed: a fault injected by SAGA_FAULT"
    );
}

/// The stack's function log files (`STREAMIA_LOGS`: the test command's) and their sizes now,
/// so a search reads only what was written after.
fn log_marks() -> Vec<(std::path::PathBuf, u64)> {
    let dir = std::env::var("STREAMIA_LOGS")
        .expect("STREAMIA_LOGS: run the README's test command, which names the stack's logs");
    ["functions.log", "gateway.log"]
        .iter()
        .map(|f| std::path::Path::new(&dir).join(f))
        .map(|p| {
            let len = std::fs::metadata(&p).map_or(0, |m| m.len());
            (p, len)
        })
        .collect()
}

/// The functions that logged a line naming `correlation_id` since `marks` (as `correlation_id`,
/// or among a batch's `correlation_ids`). Only lines a function process wrote count: they
/// carry the invocation's `xray_trace_id`; the local gateway's own lines (which name the
/// function they invoked) do not.
fn functions_that_logged(
    marks: &[(std::path::PathBuf, u64)],
    correlation_id: &str,
) -> std::collections::BTreeSet<String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut functions = std::collections::BTreeSet::new();
    for (path, from) in marks {
        let mut bytes = Vec::new();
        if let Ok(mut file) = std::fs::File::open(path) {
            let _ = file.seek(SeekFrom::Start(*from));
            let _ = file.read_to_end(&mut bytes);
        }
        let text = String::from_utf8_lossy(&bytes);
        for line in text.lines().filter(|l| l.contains(correlation_id)) {
            let Some(start) = line.find('{') else {
                continue;
            };
            let Ok(json) = serde_json::from_str::<Value>(&line[start..]) else {
                continue;
            };
            if json["xray_trace_id"].as_str().is_none() {
                continue;
            }
            let names_it = json["correlation_id"] == correlation_id
                || json["correlation_ids"]
                    .as_str()
                    .is_some_and(|ids| ids.split(',').any(|id| id == correlation_id));
            if let (true, Some(function)) = (names_it, json["function"].as_str()) {
                functions.insert(function.to_owned());
            }
        }
    }
    functions
}

/// One request's correlation id follows its saga: a user deletion sent with
/// `x-correlation-id` is found, by one search of the logs, in every function the saga
/// touched (the request's, each participant's, the owner's consumer, the mailer).
#[tokio::test]
async fn one_correlation_id_follows_a_saga_through_every_function() {
    let http = reqwest::Client::new();
    let u = saga_user(&http, "corr").await;
    let correlation_id = format!("e2e-saga-{}", unique());
    let marks = log_marks();
    let (status, body) = send(
        http.delete(api("/users/me"))
            .bearer_auth(&u.token)
            .header("x-correlation-id", &correlation_id)
            .json(&json!({"password": "Secret123"})),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    mail_titled(&http, &u.email, "Your Streamia account was deleted")
        .await
        .expect("the account-deleted email");
    let expected = [
        "users-delete-me",
        "favorites-on-user-deletion",
        "ratings-on-user-deletion",
        "comments-on-user-deletion",
        "users-on-deletion-step",
        "notifications-on-user-event",
    ];
    // Log lines are flushed as they are written; give the last consumer's a moment.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let seen = functions_that_logged(&marks, &correlation_id);
        let missing: Vec<&str> = expected
            .iter()
            .copied()
            .filter(|f| !seen.contains(*f))
            .collect();
        if missing.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{correlation_id} is not in the logs of {missing:?} (found in {seen:?})"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
