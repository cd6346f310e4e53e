//! The Lambda Invoke API on the gateway's own port, as `sam local start-lambda` serves it:
//! `POST /2015-03-31/functions/{name}/invocations`, so an operator runs the same `aws lambda
//! invoke --endpoint-url http://127.0.0.1:3000 --function-name users-set-role ...` locally as
//! in AWS, whichever way the gateway runs functions (through `cargo lambda watch`'s own Invoke
//! API, or on the instances it runs itself in the fast mode): it goes through the same
//! [`Invoker`] as a route.
//!
//! Answers are shaped as Lambda's: 200 with the function's result; a function error is also a
//! 200, with `X-Amz-Function-Error: Unhandled` and the error payload (a timeout included, as
//! `Sandbox.Timedout`); a function the template does not declare is a 404
//! `ResourceNotFoundException`; `X-Amz-Invocation-Type: Event` is a 202 (the invocation runs
//! on), `DryRun` a 204.

use axum::body::Body;
use axum::response::Response;
use http::{HeaderMap, StatusCode};
use serde_json::{json, Value};

use crate::invoke::Invoker;
use crate::invoke_error::InvokeError;
use crate::template::Template;

/// Lambda's limit on a synchronous invocation's request payload.
pub(crate) const MAX_PAYLOAD: usize = 6 * 1024 * 1024;

/// The answer to a payload over [`MAX_PAYLOAD`], as Lambda's.
pub(crate) fn too_large() -> Response {
    error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "RequestTooLargeException",
        &format!(
            "Request must be smaller than {MAX_PAYLOAD} bytes for the InvokeFunction operation"
        ),
    )
}

/// The path prefix and suffix of an invocation.
const PREFIX: &str = "/2015-03-31/functions/";
const SUFFIX: &str = "/invocations";

/// The function named in an Invoke API path, if `path` is one: a name, or an ARN (as the SDKs
/// send it, percent-encoded) whose function name is taken; a `:qualifier` is ignored (only
/// `$LATEST` exists locally).
pub(crate) fn function_in_path(path: &str) -> Option<String> {
    let name = path.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    let name = crate::percent::percent_decode(name);
    let name = match name.split_once(":function:") {
        Some((_, rest)) => rest.to_owned(),
        None => name,
    };
    let name = name.split(':').next().unwrap_or_default().to_owned();
    (!name.is_empty() && !name.contains('/')).then_some(name)
}

fn answer(status: StatusCode, headers: &[(&str, &str)], body: Option<&Value>) -> Response {
    let mut res = Response::builder().status(status);
    for (name, value) in headers {
        res = res.header(*name, *value);
    }
    let res = match body {
        Some(body) => res
            .header("content-type", "application/json")
            .body(Body::from(body.to_string())),
        None => res.body(Body::empty()),
    };
    res.unwrap_or_default()
}

/// An Invoke API error, as Lambda sends it: the type in `x-amzn-errortype`, the message in the
/// body.
fn error(status: StatusCode, kind: &str, message: &str) -> Response {
    answer(
        status,
        &[("x-amzn-errortype", kind)],
        Some(&json!({"Type": "User", "message": message})),
    )
}

/// Refuses an Invoke API call a web page could have made: this endpoint shares the API's port,
/// and a page open in the developer's browser can POST to `127.0.0.1` (a `text/plain` body
/// needs no preflight). Lambda itself answers only SigV4-signed calls, which the AWS CLI and
/// SDKs make and a page cannot (an `Authorization` header needs a preflight, refused here);
/// a loopback `Host` only keeps DNS rebinding out.
pub(crate) fn refusal(headers: &HeaderMap) -> Option<Response> {
    let signed = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("AWS4-HMAC-SHA256 "));
    if !signed {
        return Some(error(
            StatusCode::FORBIDDEN,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        ));
    }
    let host = headers
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.split(':').next().unwrap_or_default(),
    };
    if !matches!(name, "127.0.0.1" | "localhost" | "::1") {
        return Some(error(
            StatusCode::FORBIDDEN,
            "AccessDeniedException",
            "the local Invoke API answers calls to a loopback host only",
        ));
    }
    None
}

/// Serves one Invoke API call for `name`.
pub(crate) async fn invoke(
    template: &Template,
    invoker: &Invoker,
    region: &str,
    name: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let Some(function) = template.functions.iter().find(|f| f.binary == name) else {
        return error(
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            &format!("Function not found: arn:aws:lambda:{region}:000000000000:function:{name}"),
        );
    };
    let payload: Value = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        match serde_json::from_slice(body) {
            Ok(payload) => payload,
            Err(e) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "InvalidRequestContentException",
                    &format!("Could not parse request body into json: {e}"),
                )
            }
        }
    };
    let kind = headers
        .get("x-amz-invocation-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("RequestResponse");
    let executed = [("x-amz-executed-version", "$LATEST")];
    match kind {
        "RequestResponse" => {}
        "DryRun" => return answer(StatusCode::NO_CONTENT, &executed, None),
        "Event" => {
            let (invoker, binary, timeout) =
                (invoker.clone(), function.binary.clone(), function.timeout);
            tokio::spawn(async move {
                if let Err(e) = invoker.invoke(&binary, &payload, timeout).await {
                    tracing::warn!(function = %binary, error = %e, "asynchronous invocation failed");
                }
            });
            return answer(StatusCode::ACCEPTED, &[], None);
        }
        other => {
            return error(
                StatusCode::BAD_REQUEST,
                "InvalidParameterValueException",
                &format!("Unsupported invocation type {other}"),
            )
        }
    }
    let unhandled = [
        ("x-amz-executed-version", "$LATEST"),
        ("x-amz-function-error", "Unhandled"),
    ];
    match invoker
        .invoke(&function.binary, &payload, function.timeout)
        .await
    {
        Ok(result) => answer(StatusCode::OK, &executed, Some(&result)),
        Err(InvokeError::Function(payload)) => answer(StatusCode::OK, &unhandled, Some(&payload)),
        Err(InvokeError::Timeout) => answer(
            StatusCode::OK,
            &unhandled,
            Some(&json!({
                "errorType": "Sandbox.Timedout",
                "errorMessage": format!(
                    "Task timed out after {:.2} seconds",
                    function.timeout.as_secs_f64()
                ),
            })),
        ),
        Err(InvokeError::Transport(message)) => {
            tracing::error!(function = %function.binary, error = %message, "invocation failed");
            error(StatusCode::BAD_GATEWAY, "ServiceException", &message)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_function_is_taken_from_a_name_or_an_arn() {
        let path = |name: &str| format!("{PREFIX}{name}{SUFFIX}");
        assert_eq!(
            function_in_path(&path("users-set-role")).as_deref(),
            Some("users-set-role")
        );
        assert_eq!(
            function_in_path(&path(
                "arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Ausers-set-role"
            ))
            .as_deref(),
            Some("users-set-role")
        );
        assert_eq!(
            function_in_path(&path("users-set-role:$LATEST")).as_deref(),
            Some("users-set-role")
        );
        assert_eq!(function_in_path(&path("")), None);
        assert_eq!(function_in_path("/api/v1/health"), None);
        assert_eq!(function_in_path(&path("a/b")), None);
    }
}
