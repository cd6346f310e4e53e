//! The three calls of Lambda's Runtime API an invocation loop makes: wait for the next
//! invocation, post its response, or post its error
//! (<https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html>), over the HTTP client
//! `lambda_runtime` uses itself.

use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use lambda_runtime::Diagnostic;
use lambda_runtime_api_client::body::Body;
use lambda_runtime_api_client::{build_request, PooledClient};

use super::Error;

/// The invocation's request id (required on every invocation).
pub(crate) const REQUEST_ID: &str = "lambda-runtime-aws-request-id";
/// When the invocation must be answered (ms since 1970; required on every invocation).
pub(crate) const DEADLINE: &str = "lambda-runtime-deadline-ms";
/// Lambda Managed Instances tag each invocation with this; its answers must carry it back.
const INVOCATION_ID: &str = "lambda-runtime-invocation-id";

/// One invocation as Lambda handed it over.
pub(crate) struct Next {
    /// Its headers: request id, deadline, function ARN, trace id, ...
    pub(crate) headers: HeaderMap,
    /// The event, JSON.
    pub(crate) body: Vec<u8>,
}

/// A connection to the Runtime API (`AWS_LAMBDA_RUNTIME_API`).
pub(crate) struct Api {
    client: PooledClient,
}

impl Api {
    /// A client of the Runtime API at `endpoint` (`host:port` as Lambda sets it, or a URL),
    /// keeping up to `connections` connections open (one per concurrent poller).
    pub(crate) fn new(endpoint: &str, connections: usize) -> Result<Self, Error> {
        let base = match endpoint.contains("://") {
            true => endpoint.to_owned(),
            false => format!("http://{endpoint}"),
        };
        let uri = base
            .parse::<http::Uri>()
            .map_err(|e| format!("AWS_LAMBDA_RUNTIME_API {endpoint:?}: {e}"))?;
        let client = PooledClient::builder()
            .with_endpoint(uri)
            .with_pool_size(connections)
            .build();
        Ok(Self { client })
    }

    /// Waits for the next invocation. `None`: nothing to do, poll again (`cargo lambda watch`
    /// answers 204 to keep an idle runtime alive).
    pub(crate) async fn next(&self) -> Result<Option<Next>, Error> {
        let request = build_request()
            .method(Method::GET)
            .uri("/2018-06-01/runtime/invocation/next")
            .body(Body::empty())?;
        let response = self.client.call(request).await?;
        let status = response.status();
        if status == StatusCode::NO_CONTENT {
            return Ok(None);
        }
        let (parts, body) = response.into_parts();
        let body = body.collect().await?.to_bytes().to_vec();
        if !status.is_success() {
            let text = String::from_utf8_lossy(&body);
            return Err(format!("the Runtime API answered /next with {status}: {text}").into());
        }
        Ok(Some(Next {
            headers: parts.headers,
            body,
        }))
    }

    /// Ends invocation `request_id` with `response` (serialized as JSON).
    pub(crate) async fn respond(
        &self,
        next: &Next,
        request_id: &str,
        response: Vec<u8>,
    ) -> Result<(), Error> {
        let uri = format!("/2018-06-01/runtime/invocation/{request_id}/response");
        self.post(next, build_request().uri(uri), response).await
    }

    /// Ends invocation `request_id` as failed with `diagnostic` (Lambda's error shape).
    pub(crate) async fn fail(
        &self,
        next: &Next,
        request_id: &str,
        diagnostic: &Diagnostic,
    ) -> Result<(), Error> {
        let uri = format!("/2018-06-01/runtime/invocation/{request_id}/error");
        // The error type as Lambda's logs and metrics show it, when it is a valid header.
        let error_type = http::HeaderValue::from_str(&diagnostic.error_type)
            .unwrap_or_else(|_| http::HeaderValue::from_static("unhandled"));
        let request = build_request()
            .uri(uri)
            .header("lambda-runtime-function-error-type", error_type);
        self.post(next, request, serde_json::to_vec(diagnostic)?)
            .await
    }

    /// Posts an invocation's outcome. A refusal (Lambda answers 413 to an oversized
    /// response) is logged: the invocation is over either way, and the loop goes on.
    async fn post(
        &self,
        next: &Next,
        mut request: http::request::Builder,
        body: Vec<u8>,
    ) -> Result<(), Error> {
        if let Some(id) = next.headers.get(INVOCATION_ID) {
            request = request.header(INVOCATION_ID, id);
        }
        let request: Request<Body> = request.method(Method::POST).body(Body::from(body))?;
        let uri = request.uri().to_string();
        let response = self.client.call(request).await?;
        let status = response.status();
        let text = response.into_body().collect().await?.to_bytes();
        if !status.is_success() {
            tracing::error!(
                uri = %uri,
                status = status.as_u16(),
                answer = %String::from_utf8_lossy(&text),
                "the Runtime API refused an invocation's outcome"
            );
        }
        Ok(())
    }
}
