//! The wrapper around every HTTP handler: correlation id in and out, error mapping, one access
//! log line per request.

use std::convert::Infallible;
use std::future::Future;
use std::time::{Duration, Instant, SystemTime};

use http::header::{HeaderValue, CONTENT_TYPE, RETRY_AFTER};
use lambda_http::request::RequestContext;
use lambda_http::{service_fn, Body, Request, RequestExt, Response};
use tracing::Instrument;

use super::{ApiError, ApiResponse};

/// Header carrying the correlation id between client, functions and events.
pub const CORRELATION_HEADER: &str = "x-correlation-id";

/// What the wrapper learned about the request, for the handler.
#[derive(Debug, Clone)]
pub struct RequestCtx {
    /// Follows the request into every event it causes.
    pub correlation_id: String,
    /// API Gateway's (or Lambda's) id of this request.
    pub request_id: String,
}

/// Runs `handler` on `req` and turns its result into the contract's response.
///
/// Every response carries `x-correlation-id` (the caller's, when it sent a sane one) and a JSON
/// content type; errors become the error envelope; server faults are logged with their cause,
/// which never reaches the client.
pub async fn respond<F, Fut>(req: Request, handler: F) -> Response<Body>
where
    F: FnOnce(Request, RequestCtx) -> Fut,
    Fut: Future<Output = Result<ApiResponse, ApiError>>,
{
    let started = Instant::now();
    let method = req.method().to_string();
    let (route, request_id) = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(ctx)) => (
            ctx.resource_path
                .clone()
                .unwrap_or_else(|| req.uri().path().to_owned()),
            ctx.request_id.clone(),
        ),
        _ => (req.uri().path().to_owned(), None),
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
    let ctx = RequestCtx {
        correlation_id: correlation_id.clone(),
        request_id: request_id.clone(),
    };
    let span =
        tracing::info_span!("request", correlation_id = %correlation_id, request_id = %request_id);
    let budget = request_budget(&req);
    let result = tokio::time::timeout(budget, handler(req, ctx).instrument(span))
        .await
        .unwrap_or_else(|_| Err(ApiError::unavailable(DeadlineExceeded(budget))));

    let (status, body, retry_after) = match result {
        Ok(ok) => (ok.status, ok.body, None),
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
            (err.status(), Some(err.body()), err.retry_after())
        }
    };
    let mut response = Response::builder().status(status);
    if let Ok(value) = HeaderValue::from_str(&correlation_id) {
        response = response.header(CORRELATION_HEADER, value);
    }
    if let Some(secs) = retry_after {
        response = response.header(RETRY_AFTER, secs);
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
    response.unwrap_or_else(|_| Response::new(Body::Empty))
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

/// Serves `handler` as a Lambda function for the life of the container.
///
/// `state` (clients, config) is built once in `main` before this is called and shared by every
/// invocation; it lives as long as the process, so it is leaked rather than reference-counted.
pub async fn run<S, H, Fut>(state: S, handler: H) -> Result<(), lambda_http::Error>
where
    S: Send + Sync + 'static,
    H: Fn(&'static S, Request, RequestCtx) -> Fut + Send + Sync + Copy + 'static,
    Fut: Future<Output = Result<ApiResponse, ApiError>> + Send,
{
    let state: &'static S = Box::leak(Box::new(state));
    lambda_http::run(service_fn(move |req: Request| async move {
        Ok::<_, Infallible>(respond(req, |req, ctx| handler(state, req, ctx)).await)
    }))
    .await
}

/// Correlation ids are echoed into headers and logs: keep them short and plain.
fn is_sane_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}
