//! The CORS preflight as a Lambda function (`api-preflight`), on the `OPTIONS` method of every
//! path of the API.
//!
//! API Gateway's own preflight (SAM's `Cors`, a mock integration) answers the same static
//! `Access-Control-Allow-Origin` to every request, so only one allowed origin could send a
//! request that needs a preflight (a JSON body, a bearer token): a second one (the web app at
//! `http://127.0.0.1:5173` beside `http://localhost:5173`, or a staging site) had its simple
//! requests answered and every other one refused by the browser. Here the request's `Origin`
//! is echoed when it is allowed, exactly as the functions' own answers do ([`Cors::apply`]).

use std::convert::Infallible;

use http::StatusCode;
use lambda_http::{service_fn, Body, Request, Response};

use super::Cors;
use crate::init::{log_failure, ColdStart};

/// The answer to one preflight: `204` with the CORS headers for an allowed `Origin`, `204`
/// with only `Vary: Origin` for any other (the browser then refuses the real request). No body
/// and no authorizer: a preflight carries no credentials.
pub fn preflight(cors: &Cors, request: &Request) -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::NO_CONTENT;
    cors.preflight(
        Cors::request_origin(request.headers()).as_ref(),
        response.headers_mut(),
    );
    response
}

/// Serves [`preflight`] as a Lambda function for the life of the container: the allowed
/// origins (`CORS_ALLOWED_ORIGINS`) read once at cold start, nothing else.
pub async fn serve_preflight() -> Result<(), lambda_http::Error> {
    crate::telemetry::init();
    let cold = ColdStart::begin().await.map_err(log_failure)?;
    let cors: Cors = cold.load().map_err(log_failure)?;
    let cors: &'static Cors = Box::leak(Box::new(cors));
    crate::runtime::run(lambda_http::Adapter::from(service_fn(
        move |request: Request| async move { Ok::<_, Infallible>(preflight(cors, &request)) },
    )))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Load;
    use http::header::{ACCESS_CONTROL_ALLOW_ORIGIN, VARY};

    fn event(origin: Option<&str>) -> Request {
        let headers = origin.map_or(serde_json::json!({}), |o| serde_json::json!({"origin": o}));
        let event = serde_json::json!({
            "resource": "/api/v1/users/me", "path": "/api/v1/users/me", "httpMethod": "OPTIONS",
            "headers": headers, "multiValueHeaders": {},
            "requestContext": {"resourcePath": "/api/v1/users/me", "httpMethod": "OPTIONS",
                "requestId": "r1", "stage": "local", "accountId": "0", "apiId": "a",
                "path": "/local/api/v1/users/me"},
            "body": null, "isBase64Encoded": false
        });
        lambda_http::request::from_str(&event.to_string()).unwrap()
    }

    #[test]
    fn every_allowed_origin_gets_its_own_answer() {
        let cors = Cors::load(&|key| {
            (key == super::super::CORS_ALLOWED_ORIGINS)
                .then(|| "http://localhost:5173,http://127.0.0.1:5173".to_owned())
        })
        .unwrap();
        for origin in ["http://localhost:5173", "http://127.0.0.1:5173"] {
            let response = preflight(&cors, &event(Some(origin)));
            assert_eq!(response.status(), StatusCode::NO_CONTENT);
            assert_eq!(response.headers()[ACCESS_CONTROL_ALLOW_ORIGIN], origin);
        }
        let refused = preflight(&cors, &event(Some("https://evil.example")));
        assert_eq!(refused.status(), StatusCode::NO_CONTENT);
        assert!(!refused.headers().contains_key(ACCESS_CONTROL_ALLOW_ORIGIN));
        assert_eq!(refused.headers()[VARY], "Origin");
        assert!(!preflight(&cors, &event(None))
            .headers()
            .contains_key(ACCESS_CONTROL_ALLOW_ORIGIN));
    }
}
