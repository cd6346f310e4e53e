//! The HTTP side: API Gateway REST semantics on a local port.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use axum::body::{to_bytes, Body};
use axum::extract::{ConnectInfo, Request, State};
use axum::response::Response;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use serde_json::{json, Value};

use crate::authorizer::{Authorizer, Decision};
use crate::invoke::Invoker;
use crate::invoke_error::InvokeError;
use crate::proxy::{build_event, to_response, Incoming};
use crate::routes;
use crate::sqs::QueuePoller;
use crate::template::{Context, HeaderSource, Template, TemplateError};

/// API Gateway's payload limit.
const MAX_BODY: usize = 10 * 1024 * 1024;
/// API Gateway's integration timeout ceiling.
const MAX_INTEGRATION_SECS: u64 = 29;

/// How to run the gateway.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// The SAM template.
    pub template_text: String,
    /// Parameters, outputs and pseudo parameters for resolving it.
    pub context: Context,
    /// Where to listen (port 0 picks one).
    pub listen: SocketAddr,
    /// The Lambda Invoke API endpoint (`cargo lambda watch`), or AWS when `None`.
    pub lambda_endpoint: Option<String>,
    /// Run the function binaries here instead of invoking them (`lambda_endpoint` unused).
    pub runtime: Option<crate::runtime::RuntimeConfig>,
    /// The SQS endpoint (LocalStack), or AWS when `None`.
    pub aws_endpoint: Option<String>,
    /// The SMTP sink's outbox, served at `/_local/mail` and shown by the console.
    pub mail_outbox: Option<PathBuf>,
    /// Where the console at `/_local/` reads logs, sagas and circuits from.
    pub console: crate::console::ConsoleConfig,
    /// The API reference page's folder (`infra/docs/build.sh`), served at `/docs/`.
    pub docs_dir: Option<PathBuf>,
    /// Run SQS pollers and schedules (off for route-only use).
    pub event_sources: bool,
}

struct Gateway {
    template: Template,
    invoker: Invoker,
    authorizer: Option<Authorizer>,
    console: crate::console::Console,
    docs_dir: Option<PathBuf>,
    region: String,
}

/// The most a console request may carry (a redrive's `{"queue": ...}`).
const MAX_CONSOLE_BODY: usize = 64 * 1024;

/// The gateway could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The template.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// The listener.
    #[error("cannot listen: {0}")]
    Io(#[from] std::io::Error),
}

/// A running gateway.
pub struct Running {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its routes, for the startup banner.
    pub routes: Vec<(String, String, String)>,
    /// The server task.
    pub server: tokio::task::JoinHandle<()>,
}

/// Starts serving; returns once the port is bound.
pub async fn start(config: GatewayConfig) -> Result<Running, StartError> {
    let template = Template::parse(&config.template_text, &config.context)?;
    let region = config.context.region.clone();
    let invoker = match config.runtime {
        // As IAM does in AWS: each function holds only the secrets its entry names.
        Some(runtime) => Invoker::local(runtime, &region, template.own_variables(&config.context)?),
        None => Invoker::new(config.lambda_endpoint.as_deref(), &region).await,
    };
    let mut loader =
        streamia_shared::events::aws_defaults().region(aws_config::Region::new(region.clone()));
    if let Some(endpoint) = &config.aws_endpoint {
        loader = loader.endpoint_url(endpoint);
        if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
            // LocalStack accepts any key; don't fall through to instance metadata.
            loader = loader.credentials_provider(aws_sdk_sqs::config::Credentials::new(
                "test",
                "test",
                None,
                None,
                "local-gateway",
            ));
        }
    }
    // Building the client calls nobody: the first poll or console read does.
    let sqs = aws_sdk_sqs::Client::new(&loader.load().await);
    let watched = template
        .functions
        .iter()
        .flat_map(|f| {
            f.queues.iter().map(|q| crate::console::Watched {
                function: f.binary.clone(),
                queue_arn: q.queue_arn.clone(),
            })
        })
        .collect();
    // The console reads queues only where the gateway runs them locally (LocalStack), never
    // with a developer's own AWS credentials.
    let console_sqs = config.aws_endpoint.as_ref().map(|_| (sqs.clone(), watched));
    let console =
        crate::console::Console::new(config.console, console_sqs, config.mail_outbox).await;
    if config.event_sources {
        for function in &template.functions {
            for source in &function.queues {
                tokio::spawn(
                    QueuePoller {
                        sqs: sqs.clone(),
                        invoker: invoker.clone(),
                        function: function.clone(),
                        source: source.clone(),
                    }
                    .run(),
                );
            }
            for schedule in &function.schedules {
                tokio::spawn(crate::schedule::run(
                    invoker.clone(),
                    function.clone(),
                    schedule.clone(),
                ));
            }
        }
    }
    let routes = template
        .routes()
        .map(|(r, f)| (r.method.clone(), r.path.clone(), f.binary.clone()))
        .collect();
    let gateway = Arc::new(Gateway {
        authorizer: template
            .authorizer
            .clone()
            .map(|spec| Authorizer::new(spec, invoker.clone())),
        template,
        invoker,
        console,
        docs_dir: config.docs_dir,
        region,
    });
    let app = axum::Router::new().fallback(handle).with_state(gateway);
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move {
        let service = app.into_make_service_with_connect_info::<SocketAddr>();
        if let Err(e) = axum::serve(listener, service).await {
            tracing::error!(error = %e, "server stopped");
        }
    });
    Ok(Running {
        addr,
        routes,
        server,
    })
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap_or_default()
}

/// Marks a response as one of API Gateway's own answers, so `handle` adds the headers the
/// template's `GatewayResponses` map for it (they need the request, which `route` consumed).
#[derive(Debug, Clone)]
struct GatewayAnswer(String);

impl Gateway {
    /// One of API Gateway's own answers, shaped by the template's GatewayResponses.
    fn gateway_response(&self, kind: &str, status: u16, message: &str, code: &str) -> Response {
        let class = if status >= 500 {
            "DEFAULT_5XX"
        } else {
            "DEFAULT_4XX"
        };
        let specific = self.template.gateway_responses.get(kind);
        let fallback = self.template.gateway_responses.get(class);
        let status = specific.and_then(|r| r.status).unwrap_or(status);
        let body = specific
            .and_then(|r| r.body.clone())
            .or_else(|| fallback.and_then(|r| r.body.clone()))
            .unwrap_or_else(|| {
                json!({"success": false, "error": code, "message": message}).to_string()
            });
        let mut res = Response::builder()
            .status(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY))
            .header("content-type", "application/json")
            .header("x-amzn-errortype", kind)
            .body(Body::from(body))
            .unwrap_or_default();
        res.extensions_mut().insert(GatewayAnswer(
            if specific.is_some() { kind } else { class }.to_owned(),
        ));
        res
    }

    /// The headers `GatewayResponses` maps for an answer of `kind`, from the request's headers
    /// and id; nothing else (API Gateway adds no CORS header of its own to these answers).
    fn gateway_headers(
        &self,
        kind: &str,
        request: &HeaderMap,
        request_id: &str,
        into: &mut HeaderMap,
    ) {
        let Some(response) = self.template.gateway_responses.get(kind) else {
            return;
        };
        for (name, source) in &response.headers {
            let value = match source {
                HeaderSource::Static(text) => HeaderValue::from_str(text).ok(),
                HeaderSource::RequestHeader(header) => request.get(header.as_str()).cloned(),
                HeaderSource::RequestParameter(_) => None,
                HeaderSource::RequestId => HeaderValue::from_str(request_id).ok(),
            };
            if let (Ok(name), Some(value)) = (HeaderName::from_bytes(name.as_bytes()), value) {
                into.insert(name, value);
            }
        }
    }

    /// The answer of the mock `OPTIONS` method SAM adds to every path when the API has `Cors`:
    /// 200 with the template's static values, whatever the request's `Origin`.
    fn preflight(&self, path: &str) -> Option<Response> {
        let cors = self.template.cors.as_ref()?;
        let methods = cors
            .allow_methods
            .clone()
            .unwrap_or_else(|| routes::methods_of_resource(&self.template, path));
        let mut res = Response::builder()
            .status(StatusCode::OK)
            .header("content-type", "application/json")
            .header("access-control-allow-origin", cors.allow_origin.as_str())
            .header("access-control-allow-methods", methods);
        for (name, value) in [
            ("access-control-allow-headers", &cors.allow_headers),
            ("access-control-max-age", &cors.max_age),
        ] {
            if let Some(v) = value {
                res = res.header(name, v.as_str());
            }
        }
        if cors.allow_credentials {
            res = res.header("access-control-allow-credentials", "true");
        }
        // SAM's mock integration answers with the template `{}`.
        res.body(Body::from("{}\n")).ok()
    }

    fn method_arn(&self, method: &str, path: &str) -> String {
        format!(
            "arn:aws:execute-api:{}:000000000000:local/{}/{method}{path}",
            self.region, self.template.stage
        )
    }
}

async fn handle(
    State(gw): State<Arc<Gateway>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> Response {
    let started = Instant::now();
    let request_id = uuid::Uuid::new_v4().to_string();
    let method = req.method().as_str().to_owned();
    let path = req.uri().path().to_owned();
    let request_headers = req.headers().clone();
    let (mut response, function) = route(&gw, peer, req, &request_id).await;
    // The gateway's own answers (401, 404, 502, ...) carry exactly the headers the template's
    // GatewayResponses map (correlation id, CORS); a function's answer goes out as it is, so a
    // function that forgets its CORS headers is unreadable here as it would be in AWS.
    if let Some(GatewayAnswer(kind)) = response.extensions_mut().remove::<GatewayAnswer>() {
        gw.gateway_headers(&kind, &request_headers, &request_id, response.headers_mut());
    }
    if let Ok(id) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-amzn-requestid", id);
    }
    let correlation_id = response
        .headers()
        .get("x-correlation-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    gw.console.saw(crate::console::RequestSeen {
        at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        method: method.clone(),
        path: path.clone(),
        function: function.clone(),
        status: response.status().as_u16(),
        latency_ms,
        request_id: request_id.clone(),
        correlation_id: correlation_id.clone(),
    });
    tracing::info!(
        method = %method,
        path = %path,
        function = function.as_deref().unwrap_or("-"),
        status = response.status().as_u16(),
        latency_ms,
        request_id = %request_id,
        correlation_id = %correlation_id,
        "request"
    );
    response
}

async fn route(
    gw: &Gateway,
    peer: SocketAddr,
    req: Request,
    request_id: &str,
) -> (Response, Option<String>) {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    if method == Method::POST {
        if let Some(name) = crate::lambda_api::function_in_path(&path) {
            let headers = req.headers().clone();
            if let Some(refused) = crate::lambda_api::refusal(&headers) {
                return (refused, Some(name));
            }
            let Ok(body) = to_bytes(req.into_body(), crate::lambda_api::MAX_PAYLOAD).await else {
                return (crate::lambda_api::too_large(), Some(name));
            };
            let res = crate::lambda_api::invoke(
                &gw.template,
                &gw.invoker,
                &gw.region,
                &name,
                &headers,
                &body,
            )
            .await;
            return (res, Some(name));
        }
    }
    if let Some(dir) = gw.docs_dir.as_deref().filter(|_| method == Method::GET) {
        if let Some(res) = crate::docs::serve(dir, &path).await {
            return (res, None);
        }
    }
    if path == "/_local" || path.starts_with("/_local/") {
        let query = req.uri().query().map(str::to_owned);
        let headers = req.headers().clone();
        if let Err(why) = crate::console::allowed(peer, &headers) {
            return (
                json_response(StatusCode::FORBIDDEN, &json!({"error": why})),
                None,
            );
        }
        let Ok(body) = to_bytes(req.into_body(), MAX_CONSOLE_BODY).await else {
            let res = json_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                &json!({"error": "too large"}),
            );
            return (res, None);
        };
        let answer = gw
            .console
            .serve(&method, &path, query.as_deref(), &headers, &body)
            .await;
        let res = answer.unwrap_or_else(|| {
            json_response(
                StatusCode::NOT_FOUND,
                &json!({"error": "no such console path"}),
            )
        });
        return (res, None);
    }
    if method == Method::OPTIONS && routes::path_exists(&gw.template, &path) {
        if let Some(res) = gw.preflight(&path) {
            return (res, None);
        }
    }
    let Some(matched) = routes::find(&gw.template, method.as_str(), &path) else {
        let res = gw.gateway_response(
            "MISSING_AUTHENTICATION_TOKEN",
            403,
            "Missing Authentication Token",
            "NOT_FOUND",
        );
        return (res, None);
    };
    let function = matched.function.binary.clone();
    let (parts, body) = req.into_parts();
    let Ok(body) = to_bytes(body, MAX_BODY).await else {
        return (
            gw.gateway_response(
                "REQUEST_TOO_LARGE",
                413,
                "Request Too Long",
                "PAYLOAD_TOO_LARGE",
            ),
            Some(function),
        );
    };

    let mut authorizer_context = None;
    if let (false, Some(authorizer)) = (matched.route.public, &gw.authorizer) {
        let token = parts
            .headers
            .get(authorizer.header())
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty());
        let Some(token) = token else {
            return (
                gw.gateway_response("UNAUTHORIZED", 401, "Unauthorized", "UNAUTHORIZED"),
                Some(function),
            );
        };
        match authorizer
            .decide(token, &gw.method_arn(method.as_str(), &path))
            .await
        {
            Decision::Allow(context) => authorizer_context = Some(context),
            Decision::Unauthorized => {
                return (
                    gw.gateway_response("UNAUTHORIZED", 401, "Unauthorized", "UNAUTHORIZED"),
                    Some(function),
                )
            }
            Decision::Denied => {
                return (
                    gw.gateway_response(
                        "ACCESS_DENIED",
                        403,
                        "User is not authorized to access this resource",
                        "FORBIDDEN",
                    ),
                    Some(function),
                )
            }
            Decision::Failure(error) => {
                tracing::error!(error = %error, "authorizer failed");
                return (
                    // As API Gateway: an authorizer that errors, times out or answers garbage
                    // is an AuthorizerConfigurationException (500 unless the template
                    // customises AUTHORIZER_CONFIGURATION_ERROR).
                    gw.gateway_response(
                        "AUTHORIZER_CONFIGURATION_ERROR",
                        500,
                        "Internal server error",
                        "INTERNAL",
                    ),
                    Some(function),
                );
            }
        }
    }

    let incoming = Incoming {
        method: method.as_str().to_owned(),
        path: path.clone(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts.headers,
        body: body.to_vec(),
        source_ip: peer.ip().to_string(),
    };
    let event = build_event(
        &incoming,
        &matched,
        &gw.template.stage,
        request_id,
        authorizer_context.as_ref(),
    );
    let timeout = matched
        .function
        .timeout
        .min(std::time::Duration::from_secs(MAX_INTEGRATION_SECS));
    let response = match gw.invoker.invoke(&function, &event, timeout).await {
        Ok(payload) => match to_response(&payload) {
            Ok((status, headers, body)) => {
                let mut res = Response::builder()
                    .status(status)
                    .body(Body::from(body))
                    .unwrap_or_default();
                *res.headers_mut() = headers;
                res
            }
            Err(error) => {
                tracing::error!(function = %function, error = %error, "malformed function response");
                gw.gateway_response("DEFAULT_5XX", 502, "Internal server error", "INTERNAL")
            }
        },
        Err(InvokeError::Timeout) => gw.gateway_response(
            "INTEGRATION_TIMEOUT",
            504,
            "Endpoint request timed out",
            "UNAVAILABLE",
        ),
        Err(error) => {
            tracing::error!(function = %function, error = %error, "function failed");
            gw.gateway_response("DEFAULT_5XX", 502, "Internal server error", "INTERNAL")
        }
    };
    (response, Some(function))
}
