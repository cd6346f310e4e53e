//! The platform's invocation loop (`streamia_shared::runtime`) against a Runtime API of the
//! test's own: each invocation's X-Ray trace id reaches its handler, every log line of that
//! invocation, and its AWS SDK calls, and never the process environment.

use std::collections::HashMap;
use std::convert::Infallible;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use aws_sdk_sns::config::Credentials;
use lambda_runtime::{service_fn, Config, LambdaEvent};
use serde_json::{json, Value};
use streamia_shared::events::{aws_config_loader, EventPublisher};
use streamia_shared::http::{respond, ApiResponse};
use streamia_shared::runtime::{trace, Invocations};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Barrier};

const TRACE_A: &str = "Root=1-65a4f0c2-aaaaaaaaaaaaaaaaaaaaaaaa;Parent=1111111111111111;Sampled=1";
const TRACE_B: &str = "Root=1-65a4f0c2-bbbbbbbbbbbbbbbbbbbbbbbb;Parent=2222222222222222;Sampled=1";

/// One HTTP request a fake server received.
#[derive(Debug)]
struct Received {
    method: String,
    path: String,
    headers: HashMap<String, String>,
    body: String,
}

/// A tiny HTTP/1.1 server: every request goes to `received`; `answer` says what to send back
/// (`None`: never answer, as Lambda holds `/next` when there is no invocation).
async fn http_server<F>(answer: F) -> (String, mpsc::UnboundedReceiver<Received>)
where
    F: Fn(&Received) -> Option<(Vec<(String, String)>, String)> + Send + Sync + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::unbounded_channel();
    let answer = Arc::new(answer);
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(connection(socket, tx.clone(), answer.clone()));
        }
    });
    (url, rx)
}

async fn connection<F>(socket: TcpStream, tx: mpsc::UnboundedSender<Received>, answer: Arc<F>)
where
    F: Fn(&Received) -> Option<(Vec<(String, String)>, String)>,
{
    let mut socket = BufReader::new(socket);
    loop {
        let mut line = String::new();
        if socket.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let mut words = line.split_whitespace();
        let (method, path) = (
            words.next().unwrap_or_default(),
            words.next().unwrap_or_default(),
        );
        let (method, path) = (method.to_owned(), path.to_owned());
        let mut headers = HashMap::new();
        loop {
            let mut header = String::new();
            socket.read_line(&mut header).await.unwrap();
            let Some((name, value)) = header.trim_end().split_once(':') else {
                break;
            };
            headers.insert(name.trim().to_lowercase(), value.trim().to_owned());
        }
        let length = headers
            .get("content-length")
            .map_or(0, |l| l.parse().unwrap());
        let mut body = vec![0; length];
        socket.read_exact(&mut body).await.unwrap();
        let request = Received {
            method,
            path,
            headers,
            body: String::from_utf8(body).unwrap(),
        };
        let reply = answer(&request);
        let _ = tx.send(request);
        let Some((headers, body)) = reply else {
            return std::future::pending().await;
        };
        let mut head = String::from("HTTP/1.1 200 OK\r\n");
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str(&format!("content-length: {}\r\n\r\n{body}", body.len()));
        socket.get_mut().write_all(head.as_bytes()).await.unwrap();
    }
}

/// A Runtime API handing out `invocations` (request id, trace id, event) in order, then none.
async fn runtime_api(
    invocations: Vec<(&'static str, &'static str, Value)>,
) -> (String, mpsc::UnboundedReceiver<Received>) {
    let queue = Mutex::new(invocations.into_iter());
    http_server(move |request| {
        if request.method == "POST" {
            return Some((vec![], String::new()));
        }
        let (id, trace, event) = queue.lock().unwrap().next()?;
        let deadline = std::time::SystemTime::now() + Duration::from_secs(30);
        let deadline = deadline
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis();
        let headers = [
            ("lambda-runtime-aws-request-id", id.to_owned()),
            ("lambda-runtime-deadline-ms", deadline.to_string()),
            (
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:us-east-1:0:function:f".into(),
            ),
            ("lambda-runtime-trace-id", trace.to_owned()),
        ];
        let headers = headers.map(|(n, v)| (n.to_owned(), v)).into();
        Some((headers, event.to_string()))
    })
    .await
}

/// The answers posted for `count` invocations, by request id.
async fn answers(
    received: &mut mpsc::UnboundedReceiver<Received>,
    count: usize,
) -> HashMap<String, Value> {
    let mut answers = HashMap::new();
    while answers.len() < count {
        let request = tokio::time::timeout(Duration::from_secs(10), received.recv())
            .await
            .expect("the loop answered in time")
            .unwrap();
        if request.method == "POST" {
            let id = request.path.split('/').nth(4).unwrap().to_owned();
            assert!(request.path.ends_with("/response"), "{request:?}");
            answers.insert(id, serde_json::from_str(&request.body).unwrap());
        }
    }
    answers
}

/// Every log line written so far, parsed (the production JSON format).
fn log_lines() -> Vec<Value> {
    static BUF: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    let buf = BUF.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let writer = buf.clone();
        streamia_shared::telemetry::init_with_writer(move || Capture(writer.clone()));
        buf
    });
    String::from_utf8_lossy(&buf.lock().unwrap())
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// An API Gateway REST event for GET /api/v1/health.
fn http_event(marker: &str) -> Value {
    json!({
        "resource": "/api/v1/health", "path": "/api/v1/health", "httpMethod": "GET",
        "headers": {"x-correlation-id": marker}, "multiValueHeaders": {"x-correlation-id": [marker]},
        "requestContext": {"resourcePath": "/api/v1/health", "httpMethod": "GET",
            "requestId": marker, "stage": "local", "accountId": "0", "apiId": "a"},
        "body": null, "isBase64Encoded": false
    })
}

#[tokio::test]
async fn each_invocation_has_its_own_trace_id_in_its_handler_and_its_log_lines() {
    log_lines();
    let (url, mut received) = runtime_api(vec![
        ("req-a", TRACE_A, http_event("corr-a")),
        ("req-b", TRACE_B, http_event("corr-b")),
    ])
    .await;
    // What `http::serve` runs per invocation: lambda_http's adapter, then the platform's
    // wrapper (access log line), then a handler that logs and reports the trace it sees.
    let handler = lambda_http::Adapter::from(service_fn(|request| async move {
        Ok::<_, Infallible>(
            respond(request, |_, ctx| async move {
                let seen = trace::current().map(|t| t.to_string());
                tracing::info!(correlation_id = %ctx.correlation_id, "handler ran");
                Ok(ApiResponse::ok(json!({ "trace": seen })))
            })
            .await,
        )
    }));
    let serving = tokio::spawn(
        Invocations::new(&url, Config::default(), 1)
            .unwrap()
            .serve(handler),
    );
    let answers = answers(&mut received, 2).await;
    serving.abort();

    for (id, correlation, trace) in [("req-a", "corr-a", TRACE_A), ("req-b", "corr-b", TRACE_B)] {
        let body: Value = serde_json::from_str(answers[id]["body"].as_str().unwrap()).unwrap();
        assert_eq!(body["data"]["trace"], trace, "the handler of {id}");
        let lines: Vec<Value> = log_lines()
            .into_iter()
            .filter(|l| l["correlation_id"] == correlation)
            .collect();
        let messages: Vec<&str> = lines
            .iter()
            .map(|l| l["message"].as_str().unwrap())
            .collect();
        assert_eq!(messages, ["handler ran", "request"], "{lines:?}");
        for line in &lines {
            assert_eq!(line["xray_trace_id"], trace, "{line}");
        }
    }
    assert_eq!(trace::current(), None, "nothing leaks out of an invocation");
    assert_eq!(std::env::var_os("_X_AMZN_TRACE_ID"), None);
}

#[tokio::test]
async fn concurrent_invocations_each_keep_their_own_trace_id() {
    // Lambda Managed Instances: AWS_LAMBDA_MAX_CONCURRENCY pollers, invocations in flight at once.
    let (url, mut received) = runtime_api(vec![
        ("req-1", TRACE_A, json!({"n": 1})),
        ("req-2", TRACE_B, json!({"n": 2})),
    ])
    .await;
    let both_in = Arc::new(Barrier::new(2));
    let handler = service_fn(move |event: LambdaEvent<Value>| {
        let both_in = both_in.clone();
        async move {
            let before = trace::current().map(|t| t.to_string());
            both_in.wait().await; // returns only once the other invocation runs too
            let after = trace::current().map(|t| t.to_string());
            Ok::<_, Infallible>(
                json!({"n": event.payload["n"], "before": before, "after": after,
                "context": event.context.xray_trace_id}),
            )
        }
    });
    let serving = tokio::spawn(
        Invocations::new(&url, Config::default(), 2)
            .unwrap()
            .serve(handler),
    );
    let answers = answers(&mut received, 2).await;
    serving.abort();
    for (id, trace) in [("req-1", TRACE_A), ("req-2", TRACE_B)] {
        let answer = &answers[id];
        assert_eq!(
            (&answer["before"], &answer["after"], &answer["context"]),
            (&json!(trace), &json!(trace), &json!(trace)),
            "{answer}"
        );
    }
}

#[tokio::test]
async fn a_payload_the_handler_cannot_read_fails_that_invocation_only() {
    let (url, mut received) = runtime_api(vec![
        ("req-bad", TRACE_A, json!("not an object")),
        ("req-good", TRACE_B, json!({"n": 1})),
    ])
    .await;
    let handler = service_fn(|event: LambdaEvent<HashMap<String, u32>>| async move {
        Ok::<_, Infallible>(json!({"n": event.payload["n"]}))
    });
    let serving = tokio::spawn(
        Invocations::new(&url, Config::default(), 1)
            .unwrap()
            .serve(handler),
    );
    let mut outcomes = HashMap::new();
    while outcomes.len() < 2 {
        let request = tokio::time::timeout(Duration::from_secs(10), received.recv())
            .await
            .unwrap()
            .unwrap();
        if request.method == "POST" {
            let outcome = request.path.rsplit('/').next().unwrap().to_owned();
            let body: Value = serde_json::from_str(&request.body).unwrap();
            outcomes.insert(
                request.path.split('/').nth(4).unwrap().to_owned(),
                (outcome, body),
            );
        }
    }
    serving.abort();
    let (outcome, body) = &outcomes["req-bad"];
    assert_eq!(outcome, "error");
    assert_eq!(body["errorType"], "Runtime.DeserializeError", "{body}");
    assert_eq!(
        outcomes["req-good"],
        ("response".to_owned(), json!({"n": 1}))
    );
}

#[tokio::test]
async fn aws_sdk_calls_carry_the_invocations_trace_id() {
    // An "SNS" that records what it is sent and answers a minimal Publish result.
    let (url, mut received) = http_server(|_| {
        let body = "<PublishResponse><PublishResult><MessageId>m</MessageId></PublishResult></PublishResponse>";
        Some((vec![("content-type".into(), "text/xml".into())], body.to_owned()))
    })
    .await;
    let aws = aws_config_loader()
        .endpoint_url(url)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .load()
        .await;
    let topic = "arn:aws:sns:us-east-1:000000000000:t".to_owned();
    let publisher = EventPublisher::new(&aws, Some(topic), "tests");
    let event = streamia_shared::events::users::UserUpdated {
        user_id: "65a4f0c2e1b2c3d4e5f60718".into(),
        username: "ana".into(),
        email: "ana@example.com".into(),
        first_name: Some("Ana".into()),
        last_name: None,
        avatar: None,
        changed: vec!["firstName".into()],
        language: Default::default(),
    };
    trace::scope(Some(TRACE_A.into()), publisher.publish("c", event.clone()))
        .await
        .unwrap();
    publisher.publish("c", event).await.unwrap();
    let traced = received.recv().await.unwrap();
    let untraced = received.recv().await.unwrap();
    assert_eq!(
        traced.headers.get("x-amzn-trace-id").map(String::as_str),
        Some(TRACE_A)
    );
    assert_eq!(
        untraced.headers.get("x-amzn-trace-id"),
        None,
        "outside an invocation"
    );
}

/// A handler's refusal and an event the function cannot read both end their invocation with
/// Lambda's error shape, the error type in the header Lambda records; the refusal is a warning
/// (the handler said why), the runtime's own failure an error.
#[tokio::test]
async fn failed_invocations_post_their_error_type_and_only_runtime_failures_log_as_errors() {
    log_lines();
    let (url, mut received) = runtime_api(vec![
        ("req-refused", TRACE_A, json!({"who": "nobody"})),
        ("req-unreadable", TRACE_B, json!(["not", "an", "object"])),
    ])
    .await;
    #[derive(serde::Deserialize)]
    struct Event {
        #[allow(dead_code)]
        who: String,
    }
    let handler = service_fn(|_: LambdaEvent<Event>| async move {
        Err::<Value, _>(lambda_runtime::Diagnostic {
            error_type: "Unauthorized".to_owned(),
            error_message: "no token".to_owned(),
        })
    });
    let serving = tokio::spawn(
        Invocations::new(&url, Config::default(), 1)
            .unwrap()
            .serve(handler),
    );
    let mut errors = HashMap::new();
    while errors.len() < 2 {
        let request = tokio::time::timeout(Duration::from_secs(10), received.recv())
            .await
            .expect("the loop answered in time")
            .unwrap();
        if request.method == "POST" {
            assert!(request.path.ends_with("/error"), "{request:?}");
            let id = request.path.split('/').nth(4).unwrap().to_owned();
            errors.insert(id, request);
        }
    }
    serving.abort();
    for (id, error_type, level, trace) in [
        ("req-refused", "Unauthorized", "WARN", TRACE_A),
        (
            "req-unreadable",
            "Runtime.DeserializeError",
            "ERROR",
            TRACE_B,
        ),
    ] {
        let posted = &errors[id];
        assert_eq!(
            posted.headers["lambda-runtime-function-error-type"],
            error_type
        );
        let body: Value = serde_json::from_str(&posted.body).unwrap();
        assert_eq!(body["errorType"], error_type);
        assert!(body["errorMessage"].as_str().is_some_and(|m| !m.is_empty()));
        let line = log_lines()
            .into_iter()
            .find(|l| l["message"] == "invocation failed" && l["xray_trace_id"] == trace)
            .expect("a log line for the failure");
        assert_eq!(line["level"], level, "{line}");
    }
}
