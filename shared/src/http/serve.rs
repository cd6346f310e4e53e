//! The wrapper around every HTTP handler: correlation id in and out, error mapping, CORS
//! headers for allowed browser origins, one access log line per request.

use std::future::Future;
use std::time::{Duration, Instant, SystemTime};

use http::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use tracing::Instrument;

use super::{ApiError, ApiResponse, Cors};
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
/// content type; errors become the error envelope; server faults are logged with their cause,
/// which never reaches the client. A request from an origin `cors` allows gets that origin
/// back in `Access-Control-Allow-Origin` on every answer, errors included, so the page can
/// read it.
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
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let mut ctx = Ctx::new(correlation_id.clone());
    ctx.client_ip = client_ip;
    let span =
        tracing::info_span!("request", correlation_id = %correlation_id, request_id = %request_id);
    let budget = request_budget(&req);
    let result = tokio::time::timeout(budget, handler(req, ctx).instrument(span))
        .await
        .unwrap_or_else(|_| Err(ApiError::unavailable(DeadlineExceeded(budget))));

    let (status, body, retry_after, cache_control) = match result {
        Ok(ok) => (ok.status, ok.body, None, ok.cache_control),
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
            (err.status(), Some(err.body()), err.retry_after(), None)
        }
    };
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
    let response = match body {
        Some(json) => response
            .header(CONTENT_TYPE, "application/json")
            .body(Body::Text(json.to_string())),
        None => response.body(Body::Empty),
    };
    tracing::info!(
        method = %method,
        route = %route,
        status = status.as_u16(),
        latency_ms = started.elapsed().as_secs_f64() * 1000.0,
        request_id = %request_id,
        correlation_id = %correlation_id,
        "request"
    );
    // The builder only fails on invalid header values, which are all checked above.
    let mut response = response.unwrap_or_else(|_| Response::new(Body::Empty));
    cors.apply(origin.as_ref(), response.headers_mut());
    response
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
            Err(ApiError::unauthorized("no")),
            Err(ApiError::rate_limited("slow down", 30)),
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
                "x-correlation-id, Retry-After"
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
        assert!(!res.headers().contains_key(VARY));
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
}
