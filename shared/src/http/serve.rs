//! The wrapper around every HTTP handler: correlation id in and out, the reader's language
//! (`Accept-Language` in, `Content-Language` out), error mapping, CORS headers for allowed
//! browser origins, one access log line per request.

use std::future::Future;
use std::time::{Duration, Instant, SystemTime};

use http::header::{
    HeaderValue, ACCEPT_LANGUAGE, CACHE_CONTROL, CONTENT_LANGUAGE, CONTENT_TYPE, ETAG,
    IF_NONE_MATCH, RETRY_AFTER,
};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use tracing::Instrument;

use super::{ApiError, ApiResponse, Cors};
use crate::i18n::Lang;
use crate::metrics::{Metrics, Unit};
use crate::runtime::correlation;
use crate::service::Ctx;

/// Header carrying the correlation id between client, functions and events.
pub const CORRELATION_HEADER: &str = "x-correlation-id";

/// [`respond_for`] with no browser origin allowed: for tests and tools that do not look at
/// CORS. Functions are served by [`super::serve`], which uses the configured origins.
pub async fn respond<F, Fut>(req: Request, handler: F) -> Response<Body>
where
    F: FnOnce(Request, Ctx) -> Fut,
    Fut: Future<Output = Result<ApiResponse, ApiError>>,
{
    respond_for(&Cors::default(), req, handler).await
}

/// Runs `handler` on `req` and turns its result into the contract's response.
///
/// Every response carries `x-correlation-id` (the caller's, when it sent a sane one) and a JSON
/// content type; every body is in the language the request's `Accept-Language` prefers (see
/// [`Lang::negotiate`]; the operation sees it as `Ctx::lang`) and says so in
/// `Content-Language`; errors become the error envelope, whose machine code is the same in
/// every language; server faults are logged with their cause, which never reaches the client.
/// A request from an origin `cors` allows gets that origin back in
/// `Access-Control-Allow-Origin` on every answer, errors included, so the page can read it.
pub async fn respond_for<F, Fut>(cors: &Cors, req: Request, handler: F) -> Response<Body>
where
    F: FnOnce(Request, Ctx) -> Fut,
    Fut: Future<Output = Result<ApiResponse, ApiError>>,
{
    let started = Instant::now();
    let origin = Cors::request_origin(req.headers());
    let method = req.method().to_string();
    let (route, request_id, client_ip) = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(ctx)) => (
            ctx.resource_path
                .clone()
                .unwrap_or_else(|| req.uri().path().to_owned()),
            ctx.request_id.clone(),
            ctx.identity.source_ip.clone().filter(|ip| !ip.is_empty()),
        ),
        _ => (req.uri().path().to_owned(), None, None),
    };
    let request_id = request_id
        .or_else(|| req.lambda_context_ref().map(|c| c.request_id.clone()))
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let correlation_id = req
        .headers()
        .get(CORRELATION_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_sane_id(v))
        .map(str::to_owned)
        // API Gateway's request id (in its access log, and the `x-correlation-id` of its own
        // answers), so a request sent without one is still one id everywhere.
        .unwrap_or_else(|| request_id.clone());
    let lang = request_lang(&req);
    let if_none_match: Vec<String> = req
        .headers()
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_owned)
        .collect();
    let mut ctx = Ctx::new(correlation_id.clone()).in_lang(lang);
    ctx.client_ip = client_ip;
    let span =
        tracing::info_span!("request", correlation_id = %correlation_id, request_id = %request_id);
    let budget = request_budget(&req);
    let work = handler(req, ctx).instrument(span);
    let result = tokio::time::timeout(budget, correlation::scope(&correlation_id, work))
        .await
        .unwrap_or_else(|_| Err(ApiError::unavailable(DeadlineExceeded(budget))));

    let (status, body, retry_after, cache_control, revalidate) = match result {
        Ok(ok) => {
            let (status, body, cache_control, revalidate) = ok.into_parts(lang);
            (status, body, None, cache_control, revalidate)
        }
        Err(err) => {
            if err.status().is_server_error() {
                let cause = err.cause().map(|c| c.to_string()).unwrap_or_default();
                tracing::error!(
                    correlation_id = %correlation_id,
                    request_id = %request_id,
                    code = err.code(),
                    cause = %cause,
                    "request failed"
                );
            }
            (
                err.status(),
                Some(err.body(lang)),
                err.retry_after(),
                None,
                false,
            )
        }
    };
    let mut status = status;
    let mut body = body.map(|json| json.to_string());
    let etag = match (&body, revalidate) {
        (Some(text), true) => Some(etag_of(text)),
        _ => None,
    };
    let not_modified = etag
        .as_deref()
        .is_some_and(|tag| if_none_match.iter().any(|header| matches_tag(header, tag)));
    if not_modified {
        status = http::StatusCode::NOT_MODIFIED;
        body = None;
    }
    let mut response = Response::builder().status(status);
    if let Ok(value) = HeaderValue::from_str(&correlation_id) {
        response = response.header(CORRELATION_HEADER, value);
    }
    if let Some(secs) = retry_after {
        response = response.header(RETRY_AFTER, secs);
    }
    if let Some(value) = cache_control {
        response = response.header(CACHE_CONTROL, value);
    }
    if let Some(tag) = etag.as_deref().and_then(|t| HeaderValue::from_str(t).ok()) {
        response = response.header(ETAG, tag);
    }
    let has_body = body.is_some() || not_modified;
    let response = match body {
        Some(json) => response
            .header(CONTENT_TYPE, "application/json")
            .header(CONTENT_LANGUAGE, lang.as_str())
            .body(Body::Text(json)),
        None => response.body(Body::Empty),
    };
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    Metrics::of_function()
        .value("Requests", 1.0, Unit::Count)
        .value("Latency", latency_ms, Unit::Milliseconds)
        .value(
            "ServerErrors",
            f64::from(u8::from(status.is_server_error())),
            Unit::Count,
        )
        .value(
            "ClientErrors",
            f64::from(u8::from(status.is_client_error())),
            Unit::Count,
        )
        .cold_start()
        .emit();
    tracing::info!(
        method = %method,
        route = %route,
        status = status.as_u16(),
        latency_ms,
        request_id = %request_id,
        correlation_id = %correlation_id,
        "request"
    );
    // The builder only fails on invalid header values, which are all checked above.
    let mut response = response.unwrap_or_else(|_| Response::new(Body::Empty));
    cors.apply(origin.as_ref(), response.headers_mut());
    if has_body {
        // The body's language follows Accept-Language: a cache must key on it too.
        response.headers_mut().append(
            http::header::VARY,
            HeaderValue::from_static("Accept-Language"),
        );
    }
    response
}

/// A strong tag for `body`: the first 128 bits of its SHA-256, quoted.
fn etag_of(body: &str) -> String {
    let digest = crate::auth::sha256_hex(body);
    format!("\"{}\"", &digest[..32])
}

/// Whether one `If-None-Match` header value names `tag`: `*`, or a list of entity tags
/// compared weakly (a `W/` prefix ignored on either side, RFC 9110 section 8.8.3.2).
fn matches_tag(header: &str, tag: &str) -> bool {
    let opaque = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    let tag = opaque(tag);
    header
        .split(',')
        .map(str::trim)
        .any(|candidate| candidate == "*" || opaque(candidate) == tag)
}

/// The language of the answer: every `Accept-Language` header of the request, as one list.
fn request_lang(req: &Request) -> Lang {
    Lang::negotiate(
        req.headers()
            .get_all(ACCEPT_LANGUAGE)
            .iter()
            .filter_map(|v| v.to_str().ok()),
    )
}

/// Kept back from the function's own deadline to answer, log and hand the response to Lambda.
const DEADLINE_MARGIN: Duration = Duration::from_secs(1);
/// The budget when no Lambda deadline is known (handlers called directly in tests, local
/// emulators): the template's 10 s function timeout less the margin.
const DEFAULT_BUDGET: Duration = Duration::from_secs(9);

/// How long the handler may run: until shortly before Lambda's deadline for this invocation,
/// so a dependency that hangs (a MongoDB operation has no client-side timeout) ends in a 503
/// in the envelope instead of a Lambda timeout, which API Gateway turns into a bare 502/504.
///
/// A deadline already past is not a real one: `cargo lambda watch` sends the constant 600000
/// (a duration, read as milliseconds since 1970); that gets the default budget.
fn request_budget(req: &Request) -> Duration {
    req.lambda_context_ref()
        .and_then(|ctx| ctx.deadline().duration_since(SystemTime::now()).ok())
        .map_or(DEFAULT_BUDGET, |left| left.saturating_sub(DEADLINE_MARGIN))
}

/// The handler was still waiting (on a dependency) when its budget ran out.
#[derive(Debug, thiserror::Error)]
#[error("request budget of {0:?} exhausted (a dependency did not answer)")]
struct DeadlineExceeded(Duration);

/// Correlation ids are echoed into headers and logs: keep them short and plain.
fn is_sane_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::FieldError;
    use crate::i18n::Msg;
    use http::header::{
        ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS, RETRY_AFTER, VARY,
    };

    fn cors() -> Cors {
        use crate::config::Load;
        Cors::load(&|_| Some("https://app.example.com,http://127.0.0.1:5173".into())).unwrap()
    }

    fn request(origin: Option<&str>) -> Request {
        let mut req = http::Request::builder()
            .method("POST")
            .uri("/api/v1/auth/login");
        if let Some(origin) = origin {
            req = req.header("origin", origin);
        }
        req.header(CORRELATION_HEADER, "c-42")
            .body(Body::Empty)
            .unwrap()
    }

    #[tokio::test]
    async fn success_and_errors_name_an_allowed_origin() {
        let answers: [Result<ApiResponse, ApiError>; 4] = [
            Ok(ApiResponse::ok(serde_json::json!({"accessToken": "t"}))),
            Ok(ApiResponse::no_content()),
            Err(ApiError::unauthorized(Msg::AuthenticationRequired)),
            Err(ApiError::rate_limited(Msg::RateLimited, 30)),
        ];
        for answer in answers {
            let status = answer.as_ref().map(|a| a.status()).ok();
            let res = respond_for(
                &cors(),
                request(Some("http://127.0.0.1:5173")),
                |_, _| async { answer },
            )
            .await;
            let h = res.headers();
            assert_eq!(
                h[ACCESS_CONTROL_ALLOW_ORIGIN], "http://127.0.0.1:5173",
                "{status:?}"
            );
            assert_eq!(
                h[ACCESS_CONTROL_EXPOSE_HEADERS],
                "x-correlation-id, Retry-After, ETag"
            );
            assert_eq!(h[VARY], "Origin");
            assert_eq!(h[CORRELATION_HEADER], "c-42");
            if res.status() == 429 {
                assert_eq!(h[RETRY_AFTER], "30");
            }
        }
    }

    #[tokio::test]
    async fn other_origins_and_the_cors_less_wrapper_add_no_allow_origin() {
        let ok = || async { Ok(ApiResponse::ok("x")) };
        let res = respond_for(&cors(), request(Some("https://evil.example")), |_, _| ok()).await;
        assert!(!res.headers().contains_key(ACCESS_CONTROL_ALLOW_ORIGIN));
        assert_eq!(res.headers()[VARY], "Origin");
        let res = respond_for(&cors(), request(None), |_, _| ok()).await;
        assert!(!res.headers().contains_key(ACCESS_CONTROL_ALLOW_ORIGIN));
        let res = respond(request(Some("https://app.example.com")), |_, _| ok()).await;
        assert!(!res.headers().contains_key(ACCESS_CONTROL_ALLOW_ORIGIN));
        // No CORS, so nothing varies by Origin; the body's language varies by Accept-Language.
        let vary: Vec<_> = res.headers().get_all(VARY).iter().collect();
        assert_eq!(vary, ["Accept-Language"]);
        assert_eq!(res.headers()[CORRELATION_HEADER], "c-42");
    }

    #[tokio::test]
    async fn an_answer_carrying_a_token_is_never_stored() {
        use http::header::CACHE_CONTROL;
        let res = respond(request(None), |_, _| async {
            Ok(ApiResponse::ok(serde_json::json!({"accessToken": "t"})).no_store())
        })
        .await;
        assert_eq!(res.headers()[CACHE_CONTROL], "no-store");
        let res = respond(request(None), |_, _| async { Ok(ApiResponse::ok("x")) }).await;
        assert!(
            !res.headers().contains_key(CACHE_CONTROL),
            "only when asked"
        );
    }

    fn in_lang(accept_language: Option<&str>) -> Request {
        let mut req = http::Request::builder()
            .method("POST")
            .uri("/api/v1/auth/register");
        if let Some(value) = accept_language {
            req = req.header(ACCEPT_LANGUAGE, value);
        }
        req.body(Body::Empty).unwrap()
    }

    fn body_of(res: &Response<Body>) -> serde_json::Value {
        match res.body() {
            Body::Text(t) => serde_json::from_str(t).unwrap(),
            other => panic!("not a JSON body: {other:?}"),
        }
    }

    fn refused() -> Result<ApiResponse, ApiError> {
        Err(ApiError::validation(
            Msg::Validation,
            vec![FieldError::new("password", Msg::FieldPasswordDigit)],
        ))
    }

    #[tokio::test]
    async fn errors_are_in_the_requests_language_with_the_same_code() {
        let mut bodies = Vec::new();
        for (header, lang) in [
            (Some("es"), "es"),
            (Some("es-CO"), "es"),
            (Some("en-US;q=0.9, es;q=0.8"), "en"),
            (Some("fr"), "en"),
            (None, "en"),
        ] {
            let res = respond(in_lang(header), |_, ctx| async move {
                assert_eq!(ctx.lang.as_str(), lang, "the operation sees it too");
                refused()
            })
            .await;
            assert_eq!(res.headers()[CONTENT_LANGUAGE], lang, "{header:?}");
            bodies.push((lang, body_of(&res)));
        }
        let (es, en) = (&bodies[0].1, &bodies[4].1);
        assert_eq!(es["error"], "VALIDATION_ERROR");
        assert_eq!(es["error"], en["error"]);
        assert_eq!(es["details"][0]["field"], en["details"][0]["field"]);
        assert_eq!(es["message"], "la solicitud no es válida");
        assert_eq!(en["message"], "invalid request");
        assert_eq!(es["details"][0]["message"], "debe contener un dígito");
        assert_eq!(en["details"][0]["message"], "must contain a digit");
        assert_eq!(bodies[1].1, *es);
        assert_eq!(bodies[2].1, *en);
    }

    #[tokio::test]
    async fn success_messages_are_translated_and_an_empty_answer_has_no_language() {
        let res = respond(in_lang(Some("es")), |_, _| async {
            Ok(ApiResponse::ok(()).message(Msg::LoggedOut))
        })
        .await;
        assert_eq!(body_of(&res)["message"], "sesión cerrada");
        assert_eq!(res.headers()[CONTENT_LANGUAGE], "es");
        let res = respond(in_lang(Some("es")), |_, _| async {
            Ok(ApiResponse::no_content())
        })
        .await;
        assert!(!res.headers().contains_key(CONTENT_LANGUAGE));
    }
}
