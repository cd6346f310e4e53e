//! The local console at `/_local/`: a page for a person running the stack to see what it did
//! (recent requests by correlation id, and everything one of them touched; the emails sent;
//! every queue's and dead-letter queue's depth, with a redrive; the sagas; the circuits; the
//! metrics the functions logged), without a build step or anything fetched from elsewhere: it
//! works offline. Local only: AWS has its own consoles (CloudWatch, SQS) for all of it.
//!
//! It only reads, except the redrive, which moves a dead-letter queue's messages back to the
//! queue they came from (as the SQS console's "Start DLQ redrive" does). It reads the saga
//! collections of two services' databases side by side, which no service may do: it is an
//! operator's tool, not a service.

mod logs;
mod queues;
mod state;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Mutex;

use axum::body::Body;
use axum::response::Response;
use http::{HeaderMap, Method, StatusCode};
use serde_json::{json, Value};

pub use queues::QueueDepth;
pub(crate) use queues::Watched;

/// The page, its script and its style: compiled into the gateway (no files to find, no CDN).
const PAGE: &str = include_str!("index.html");
const SCRIPT: &str = include_str!("console.js");
const STYLE: &str = include_str!("console.css");

/// How many requests the console remembers (newest first).
const REQUESTS_KEPT: usize = 300;

/// A header only the console's own script sends with a redrive: a custom header makes any
/// other origin's request a CORS preflight, which `/_local/` never answers, so no web page the
/// person visits can move their messages.
pub const CONSOLE_HEADER: &str = "x-streamia-console";

/// Where the console's data comes from (each optional: what is missing shows as such).
#[derive(Debug, Clone, Default)]
pub struct ConsoleConfig {
    /// The stack's log folder (`functions.log`, `gateway.log`): functions' lines and metrics.
    pub logs_dir: Option<PathBuf>,
    /// MongoDB (the sagas), and the prefix of the services' databases.
    pub mongodb_uri: Option<String>,
    /// `MONGODB_DATABASE_PREFIX` (default `streamia`).
    pub database_prefix: String,
    /// The auth Redis (the circuits), and its key prefix (`REDIS_KEY_PREFIX`).
    pub redis_url: Option<String>,
    /// `REDIS_KEY_PREFIX` (default `streamia:`).
    pub key_prefix: String,
}

/// One request the gateway answered, as the console lists it.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestSeen {
    /// When it arrived (RFC 3339).
    pub at: String,
    /// Its method.
    pub method: String,
    /// Its path.
    pub path: String,
    /// The function it reached, if any.
    pub function: Option<String>,
    /// The answer's status.
    pub status: u16,
    /// How long the answer took.
    pub latency_ms: f64,
    /// API Gateway's request id.
    pub request_id: String,
    /// The answer's `x-correlation-id` (empty if none).
    pub correlation_id: String,
}

/// The console's state: the requests seen, and its clients.
pub struct Console {
    requests: Mutex<VecDeque<RequestSeen>>,
    logs_dir: Option<PathBuf>,
    sagas: Option<state::Sagas>,
    circuits: Option<state::Circuits>,
    queues: Option<queues::Queues>,
    mail_outbox: Option<PathBuf>,
}

impl Console {
    /// Clients are built here, connecting lazily: a dependency down shows in its panel.
    pub(crate) async fn new(
        config: ConsoleConfig,
        sqs: Option<(aws_sdk_sqs::Client, Vec<queues::Watched>)>,
        mail_outbox: Option<PathBuf>,
    ) -> Self {
        let sagas = match &config.mongodb_uri {
            Some(uri) => state::Sagas::connect(uri, &config.database_prefix).await,
            None => None,
        };
        let circuits = match &config.redis_url {
            Some(url) => state::Circuits::connect(url, &config.key_prefix).await,
            None => None,
        };
        Self {
            requests: Mutex::new(VecDeque::with_capacity(REQUESTS_KEPT)),
            logs_dir: config.logs_dir,
            sagas,
            circuits,
            queues: sqs.map(|(client, watched)| queues::Queues::new(client, watched)),
            mail_outbox,
        }
    }

    /// Remembers one answered request (the oldest is forgotten past [`REQUESTS_KEPT`]).
    pub(crate) fn saw(&self, request: RequestSeen) {
        if request.path.starts_with("/_local") || request.path.starts_with("/docs") {
            return;
        }
        let Ok(mut requests) = self.requests.lock() else {
            return;
        };
        if requests.len() == REQUESTS_KEPT {
            requests.pop_back();
        }
        requests.push_front(request);
    }

    fn recent_requests(&self) -> Vec<RequestSeen> {
        self.requests
            .lock()
            .map(|r| r.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Answers a `/_local/...` request, or `None` for a path that is not the console's.
    pub(crate) async fn serve(
        &self,
        method: &Method,
        path: &str,
        query: Option<&str>,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Option<Response> {
        let get = method == Method::GET;
        Some(match path {
            "/_local" | "/_local/" if get => asset(PAGE, "text/html; charset=utf-8"),
            "/_local/console.js" if get => asset(SCRIPT, "text/javascript; charset=utf-8"),
            "/_local/console.css" if get => asset(STYLE, "text/css; charset=utf-8"),
            "/_local/mail" if get => {
                let outbox = self.mail_outbox.clone();
                let mail = tokio::task::spawn_blocking(move || {
                    outbox.as_deref().map(crate::mail::read_outbox)
                })
                .await
                .ok()
                .flatten()
                .unwrap_or_default();
                json_ok(&json!(mail))
            }
            "/_local/api/requests" if get => json_ok(&json!(self.recent_requests())),
            "/_local/api/trace" if get => {
                let Some(id) = query_value(query, "correlationId").filter(|id| valid_id(id)) else {
                    return Some(json_error(
                        StatusCode::BAD_REQUEST,
                        "correlationId: 1-128 characters of [A-Za-z0-9._:-]",
                    ));
                };
                let requests: Vec<RequestSeen> = self
                    .recent_requests()
                    .into_iter()
                    .filter(|r| r.correlation_id == id)
                    .collect();
                let mut trace = logs::trace(self.logs_dir.as_deref(), &id).await;
                trace["requests"] = json!(requests);
                json_ok(&trace)
            }
            "/_local/metrics" if get => json_ok(&logs::metrics(self.logs_dir.as_deref()).await),
            "/_local/api/queues" if get => match &self.queues {
                Some(q) => json_ok(&json!(q.depths().await)),
                None => json_ok(&json!([])),
            },
            "/_local/api/queues/redrive" if method == Method::POST => {
                self.redrive(headers, body).await
            }
            "/_local/api/sagas" if get => match &self.sagas {
                Some(s) => s.recent().await,
                None => json_ok(&json!({"available": false, "sagas": []})),
            },
            "/_local/api/circuits" if get => match &self.circuits {
                Some(c) => json_ok(&json!(c.states().await)),
                None => json_ok(&json!([])),
            },
            _ => return None,
        })
    }

    async fn redrive(&self, headers: &HeaderMap, body: &[u8]) -> Response {
        if headers.get(CONSOLE_HEADER).is_none() {
            return json_error(
                StatusCode::FORBIDDEN,
                "only the console's page may redrive (x-streamia-console)",
            );
        }
        let Some(queue) = serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|v| v["queue"].as_str().map(str::to_owned))
        else {
            return json_error(StatusCode::BAD_REQUEST, "expected {\"queue\": \"<name>\"}");
        };
        let Some(queues) = &self.queues else {
            return json_error(StatusCode::NOT_FOUND, "no queues (the gateway has no SQS)");
        };
        match queues.redrive(&queue).await {
            Ok(moved) => json_ok(&json!({"queue": queue, "moved": moved})),
            Err(queues::RedriveError::Unknown) => json_error(
                StatusCode::NOT_FOUND,
                "not a queue of the template's event sources",
            ),
            Err(e) => json_error(StatusCode::BAD_GATEWAY, &e.to_string()),
        }
    }
}

/// Whether a request may reach the console: only from this machine (the peer on loopback), to
/// this machine by name (`Host` is `127.0.0.1`, `localhost` or `[::1]`: a DNS-rebinding page
/// names its own host), never sent by another site's page (`Sec-Fetch-Site: cross-site`); a
/// redrive's `Origin`, when the browser sends one, is the console's own.
pub(crate) fn allowed(peer: std::net::SocketAddr, headers: &HeaderMap) -> Result<(), &'static str> {
    if !peer.ip().to_canonical().is_loopback() {
        return Err("the console answers this machine only");
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let host = header("host").unwrap_or("");
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    };
    if !matches!(name, "127.0.0.1" | "localhost" | "[::1]") {
        return Err("the console answers requests to 127.0.0.1 or localhost only");
    }
    if header("sec-fetch-site") == Some("cross-site") {
        return Err("the console answers its own pages only");
    }
    if let Some(origin) = header("origin") {
        let own = ["http://", "https://"]
            .iter()
            .any(|s| origin.strip_prefix(s) == Some(host));
        if !own {
            return Err("the console answers its own pages only");
        }
    }
    Ok(())
}

/// A correlation id the console searches for: what the platform accepts as a label.
fn valid_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b))
}

/// `name`'s value in a query string (percent-decoded).
fn query_value(query: Option<&str>, name: &str) -> Option<String> {
    query?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| crate::percent::percent_decode(&v.replace('+', " ")))
    })
}

fn asset(text: &'static str, content_type: &str) -> Response {
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", content_type)
        .header("cache-control", "no-store")
        .header("x-content-type-options", "nosniff")
        .header(
            "content-security-policy",
            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
        )
        .body(Body::from(text))
        .unwrap_or_default()
}

fn json_ok(value: &Value) -> Response {
    json_response(StatusCode::OK, value)
}

fn json_error(status: StatusCode, message: &str) -> Response {
    json_response(status, &json!({"error": message}))
}

fn json_response(status: StatusCode, value: &Value) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("cache-control", "no-store")
        .header("x-content-type-options", "nosniff")
        .body(Body::from(value.to_string()))
        .unwrap_or_default()
}
