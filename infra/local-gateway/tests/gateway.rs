//! The gateway driven by a fixture template: routes, the authorizer and SQS sources come from
//! the template alone, so a function added there is served with no gateway change.

mod common;

use std::time::{Duration, Instant};

use common::{Answer, Lambda};
use serde_json::{json, Value};
use streamia_local_gateway::server::{start, GatewayConfig};
use streamia_local_gateway::template::Context;

const FIXTURE: &str = r#"
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Origins:
    Type: String
    Default: https://app.example.com,http://127.0.0.1:5173
Globals:
  Function:
    Timeout: 2
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: test
      Cors:
        AllowOrigin: !Sub ["'${First}'", {First: !Select [0, !Split [",", !Ref Origins]]}]
        AllowMethods: "'GET,POST'"
        AllowHeaders: "'Content-Type,Authorization'"
      Auth:
        DefaultAuthorizer: Tokens
        Authorizers:
          Tokens:
            FunctionArn: !GetAtt FixtureAuthorizerFunction.Arn
            Identity:
              Header: Authorization
              ReauthorizeEvery: 300
      GatewayResponses:
        UNAUTHORIZED:
          StatusCode: 401
          ResponseParameters:
            Headers:
              x-correlation-id: context.requestId
              Access-Control-Allow-Origin: !Sub ["'${First}'", {First: !Select [0, !Split [",", !Ref Origins]]}]
              Access-Control-Expose-Headers: "'x-correlation-id,Retry-After'"
              X-Echo-Origin: method.request.header.Origin
          ResponseTemplates:
            application/json: '{"success":false,"error":"UNAUTHORIZED","message":"fixture says no"}'
        DEFAULT_4XX:
          ResponseParameters:
            Headers:
              Access-Control-Allow-Origin: "'https://app.example.com'"
        MISSING_AUTHENTICATION_TOKEN:
          StatusCode: 404
          ResponseTemplates:
            application/json: '{"success":false,"error":"NOT_FOUND","message":"no such route"}'
  FixtureAuthorizerFunction:
    Type: AWS::Serverless::Function
    Metadata: {BuildMethod: rust-cargolambda, BuildProperties: {Binary: fixture-authorizer}}
  ThingsFunction:
    Type: AWS::Serverless::Function
    Metadata: {BuildMethod: rust-cargolambda, BuildProperties: {Binary: fixture-things}}
    Properties:
      Events:
        Get:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: "/things/{id}", Method: get}
        Mine:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: "/things/mine", Method: get}
  PublicFunction:
    Type: AWS::Serverless::Function
    Metadata: {BuildMethod: rust-cargolambda, BuildProperties: {Binary: fixture-public}}
    Properties:
      Timeout: 1
      Events:
        Post:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: /public, Method: post, Auth: {Authorizer: NONE}}
"#;

fn behaviour(name: &str, event: &Value) -> Answer {
    match name {
        "fixture-authorizer" => match event["authorizationToken"].as_str() {
            Some("Bearer good") => Answer::Ok(json!({
                "principalId": "u1",
                "policyDocument": {"Version": "2012-10-17", "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow",
                    "Resource": event["methodArn"].as_str().unwrap().split('/').take(2).collect::<Vec<_>>().join("/") + "/*/*"}]},
                "context": {"userId": "u1", "role": "admin"}
            })),
            Some("Bearer redis-down") => Answer::Error(
                json!({"errorType": "Unavailable", "errorMessage": "authorizer dependency unavailable"}),
            ),
            Some("Bearer slow") => Answer::Slow(Duration::from_secs(3)),
            Some("Bearer garbage") => Answer::Ok(json!({"hello": "world"})),
            Some("Bearer denied") => Answer::Ok(json!({
                "principalId": "u2",
                "policyDocument": {"Version": "2012-10-17", "Statement": [{"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": "*"}]}
            })),
            _ => {
                Answer::Error(json!({"errorType": "Unauthorized", "errorMessage": "Unauthorized"}))
            }
        },
        "fixture-public" if event["body"] == "crash" => {
            Answer::Error(json!({"errorType": "Panic", "errorMessage": "boom"}))
        }
        "fixture-public" if event["body"] == "slow" => Answer::Slow(Duration::from_secs(3)),
        _ => Answer::Ok(json!({
            "statusCode": 201,
            "headers": {"content-type": "application/json", "x-correlation-id": "c-1"},
            "multiValueHeaders": {"set-cookie": ["a=1", "b=2"]},
            "body": json!({"echo": event}).to_string(),
            "isBase64Encoded": false
        })),
    }
}

async fn gateway(lambda: &Lambda) -> String {
    gateway_with(lambda, FIXTURE).await
}

async fn gateway_with(lambda: &Lambda, template: &str) -> String {
    gateway_with_console(lambda, template, Default::default()).await
}

async fn gateway_with_console(
    lambda: &Lambda,
    template: &str,
    console: streamia_local_gateway::console::ConsoleConfig,
) -> String {
    let running = start(GatewayConfig {
        template_text: template.to_owned(),
        context: Context {
            region: "us-east-1".into(),
            stack_name: "fixture".into(),
            ..Context::default()
        },
        listen: "127.0.0.1:0".parse().unwrap(),
        lambda_endpoint: Some(lambda.endpoint()),
        runtime: None,
        aws_endpoint: None,
        mail_outbox: None,
        docs_dir: None,
        console,
        event_sources: false,
    })
    .await
    .unwrap();
    format!("http://{}", running.addr)
}

#[tokio::test]
async fn a_route_added_to_the_template_is_served_with_the_rest_proxy_event() {
    let lambda = Lambda::start(behaviour).await;
    let base = gateway(&lambda).await;
    let http = reqwest::Client::new();
    let res = http
        .get(format!("{base}/things/42?q=a%20b&tag=x&tag=y"))
        .header("authorization", "Bearer good")
        .header("x-correlation-id", "c-1")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers().get_all("set-cookie").iter().count(), 2);
    assert!(
        !res.headers().contains_key("access-control-allow-origin"),
        "a function's answer goes out as the function wrote it: no CORS header of the gateway's"
    );
    let body: Value = res.json().await.unwrap();
    let event = &body["echo"];
    assert_eq!(event["resource"], "/things/{id}");
    assert_eq!(event["path"], "/things/42");
    assert_eq!(event["httpMethod"], "GET");
    assert_eq!(event["pathParameters"], json!({"id": "42"}));
    assert_eq!(event["queryStringParameters"]["q"], "a b");
    assert_eq!(
        event["multiValueQueryStringParameters"]["tag"],
        json!(["x", "y"])
    );
    assert_eq!(event["headers"]["x-correlation-id"], "c-1");
    assert_eq!(event["requestContext"]["stage"], "test");
    assert_eq!(event["requestContext"]["resourcePath"], "/things/{id}");
    assert_eq!(event["requestContext"]["authorizer"]["userId"], "u1");
    assert_eq!(event["requestContext"]["authorizer"]["principalId"], "u1");
    assert!(event["requestContext"]["requestId"]
        .as_str()
        .is_some_and(|id| !id.is_empty()));
    // The event is what lambda_http parses for a REST API.
    let parsed: aws_lambda_events::apigw::ApiGatewayProxyRequest =
        serde_json::from_value(event.clone()).unwrap();
    assert_eq!(parsed.path_parameters["id"], "42");

    // Literal segments win over parameters.
    let mine: Value = http
        .get(format!("{base}/things/mine"))
        .header("authorization", "Bearer good")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(mine["echo"]["resource"], "/things/mine");
    // The authorizer answer is cached per token for ReauthorizeEvery.
    assert_eq!(lambda.calls_to("fixture-authorizer").len(), 1);
}

#[tokio::test]
async fn auth_failures_unknown_routes_and_function_faults_answer_as_api_gateway() {
    let lambda = Lambda::start(behaviour).await;
    let base = gateway(&lambda).await;
    let http = reqwest::Client::new();
    let get = |auth: Option<&'static str>| {
        let mut req = http.get(format!("{base}/things/1"));
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        req.send()
    };
    let res = get(None).await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(!res.headers().contains_key("x-echo-origin"));
    assert_eq!(
        res.json::<Value>().await.unwrap()["message"],
        "fixture says no"
    );
    assert_eq!(
        lambda.calls_to("fixture-authorizer").len(),
        0,
        "no header, no authorizer call"
    );
    assert_eq!(get(Some("Bearer bad")).await.unwrap().status(), 401);
    assert_eq!(get(Some("Bearer denied")).await.unwrap().status(), 403);
    assert!(lambda.calls_to("fixture-things").is_empty());

    let res = http.get(format!("{base}/nowhere")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "NOT_FOUND");
    let res = http.delete(format!("{base}/public")).send().await.unwrap();
    assert_eq!(res.status(), 404);

    // Public routes skip the authorizer.
    let res = http
        .post(format!("{base}/public"))
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let res = http
        .post(format!("{base}/public"))
        .body("crash")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 502);
    let started = Instant::now();
    let res = http
        .post(format!("{base}/public"))
        .body("slow")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 504);
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "timeout is the function's (1 s)"
    );

    // CORS preflight from the template: static values, whatever the Origin.
    for origin in ["https://app.example.com", "https://evil.example"] {
        let res = http
            .request(reqwest::Method::OPTIONS, format!("{base}/things/1"))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let h = res.headers();
        assert_eq!(h["access-control-allow-origin"], "https://app.example.com");
        assert_eq!(h["access-control-allow-methods"], "GET,POST");
        assert_eq!(
            h["access-control-allow-headers"],
            "Content-Type,Authorization"
        );
        assert!(!h.contains_key("access-control-allow-credentials"));
    }
    assert!(
        lambda.calls_to("fixture-things").is_empty(),
        "no function for a preflight"
    );
}

/// Lambda runs a new instance's init outside the function's `Timeout`; through `cargo lambda
/// watch` the first call also starts the function, so that call (only) gets Lambda's init
/// allowance on top: a slow first answer arrives, the same answer later is a 504.
#[tokio::test]
async fn the_first_call_of_a_function_gets_the_init_allowance_later_ones_do_not() {
    let lambda = Lambda::start(behaviour).await;
    let base = gateway(&lambda).await;
    let http = reqwest::Client::new();
    let slow = || http.post(format!("{base}/public")).body("slow").send();
    // The slow fixture's answer (`{}`, no proxy response) arrives after 3 s > Timeout 1 s:
    // a 502 for the answer, not the 504 of a call cut short.
    let first = slow().await.unwrap();
    assert_eq!(first.status(), 502, "within the init allowance");
    let started = Instant::now();
    assert_eq!(slow().await.unwrap().status(), 504);
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "later calls have the function's own timeout"
    );
}

#[tokio::test]
async fn gateway_answers_carry_exactly_the_headers_their_gateway_response_maps() {
    let lambda = Lambda::start(behaviour).await;
    let base = gateway(&lambda).await;
    let http = reqwest::Client::new();
    let res = http
        .get(format!("{base}/things/1"))
        .header("origin", "http://127.0.0.1:5173")
        .header("x-correlation-id", "mine")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let h = res.headers();
    // The fixture maps a static origin (a template may): given whoever asks, as API Gateway does.
    assert_eq!(h["access-control-allow-origin"], "https://app.example.com");
    assert_eq!(
        h["access-control-expose-headers"],
        "x-correlation-id,Retry-After"
    );
    assert_eq!(h["x-echo-origin"], "http://127.0.0.1:5173");
    // context.requestId, not the caller's id: API Gateway cannot echo it conditionally either.
    assert_eq!(h["x-correlation-id"], h["x-amzn-requestid"]);

    // A type the template leaves alone falls back to DEFAULT_4XX, headers included.
    let res = http
        .get(format!("{base}/things/1"))
        .header("authorization", "Bearer denied")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    assert!(!res.headers().contains_key("x-correlation-id"));

    // A type with its own entry takes only its own headers.
    let res = http.get(format!("{base}/nowhere")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert!(!res.headers().contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn a_cors_key_sam_rejects_stops_the_gateway_as_it_stops_a_deployment() {
    let lambda = Lambda::start(behaviour).await;
    let template = FIXTURE.replace(
        "        AllowMethods: \"'GET,POST'\"\n",
        "        AllowMethods: \"'GET,POST'\"\n        ExposeHeaders: \"'x-correlation-id'\"\n",
    );
    assert_ne!(template, FIXTURE);
    let err = start(GatewayConfig {
        template_text: template,
        context: Context::default(),
        listen: "127.0.0.1:0".parse().unwrap(),
        lambda_endpoint: Some(lambda.endpoint()),
        aws_endpoint: None,
        mail_outbox: None,
        docs_dir: None,
        console: Default::default(),
        event_sources: false,
        runtime: None,
    })
    .await
    .err()
    .expect("the gateway refuses the template");
    assert!(
        err.to_string().contains("Invalid key 'ExposeHeaders'"),
        "{err}"
    );
}

/// The real template: every answer API Gateway makes itself is readable by every allowed
/// origin (it echoes the request's, since it cannot check it), the preflight is a function and
/// not SAM's one-origin mock, and every function is told the allowed origins.
#[test]
fn the_templates_gateway_responses_echo_the_origin_and_the_preflight_is_a_function() {
    use streamia_local_gateway::template::{HeaderSource, Template};
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../template.yaml"))
        .unwrap();
    let mut context = Context {
        region: "us-east-1".into(),
        stack_name: "t".into(),
        ..Context::default()
    };
    context.parameters.insert(
        "CorsAllowedOrigins".into(),
        "https://web.example,https://admin.example".into(),
    );
    // Every output the nested messaging stack declares (a new queue needs no change here).
    let messaging: serde_yaml::Value = serde_yaml::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../messaging.yaml"))
            .unwrap(),
    )
    .unwrap();
    for name in messaging["Outputs"].as_mapping().unwrap().keys() {
        context.outputs.insert(
            format!("Messaging.Outputs.{}", name.as_str().unwrap()),
            "arn:aws:sqs:us-east-1:0:q".into(),
        );
    }
    let template = Template::parse(&text, &context).unwrap();
    assert!(
        template.cors.is_none(),
        "no SAM Cors: its mock preflight names one static origin"
    );
    let preflights = template
        .routes()
        .filter(|(r, f)| r.method == "OPTIONS" && f.binary == "api-preflight" && r.public)
        .count();
    assert!(
        preflights > 0,
        "api-preflight answers OPTIONS, without the authorizer"
    );
    // Every type API Gateway answers itself, and every one the template customises, names
    // the origin: a browser reads none of them otherwise.
    let mut kinds: Vec<&str> = template
        .gateway_responses
        .keys()
        .map(String::as_str)
        .collect();
    kinds.sort_unstable();
    for required in [
        "DEFAULT_4XX",
        "DEFAULT_5XX",
        "UNAUTHORIZED",
        "ACCESS_DENIED",
        "MISSING_AUTHENTICATION_TOKEN",
        "THROTTLED",
        "REQUEST_TOO_LARGE",
        "AUTHORIZER_FAILURE",
        "AUTHORIZER_CONFIGURATION_ERROR",
        "INTEGRATION_TIMEOUT",
    ] {
        assert!(kinds.contains(&required), "{required} is customised");
    }
    for kind in kinds {
        let response = template
            .gateway_responses
            .get(kind)
            .unwrap_or_else(|| panic!("{kind} is customised"));
        let header = |name: &str| {
            response
                .headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, s)| s.clone())
        };
        assert_eq!(
            header("Access-Control-Allow-Origin"),
            Some(HeaderSource::RequestHeader("Origin".into())),
            "{kind}"
        );
        assert_eq!(
            header("Vary"),
            Some(HeaderSource::Static("Origin".into())),
            "{kind}"
        );
        assert_eq!(header("Access-Control-Allow-Credentials"), None, "{kind}");
        assert_eq!(
            header("Access-Control-Expose-Headers"),
            Some(HeaderSource::Static("x-correlation-id,Retry-After".into())),
            "{kind}"
        );
    }
    for f in template.functions.iter().filter(|f| !f.routes.is_empty()) {
        assert!(
            f.environment.iter().any(|v| v == "CORS_ALLOWED_ORIGINS"),
            "{}: every HTTP function reads CORS_ALLOWED_ORIGINS",
            f.logical_id
        );
    }
}

#[tokio::test]
async fn a_failing_authorizer_is_an_authorizer_configuration_error_as_in_api_gateway() {
    let lambda = Lambda::start(behaviour).await;
    let http = reqwest::Client::new();
    // Without a GatewayResponse for it, API Gateway answers 500.
    let base = gateway(&lambda).await;
    let res = http
        .get(format!("{base}/things/1"))
        .header("authorization", "Bearer redis-down")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 500);
    assert_eq!(
        res.headers()["x-amzn-errortype"],
        "AUTHORIZER_CONFIGURATION_ERROR"
    );

    // With one (as template.yaml has), an error, a timeout and a malformed answer all take it.
    let customised = FIXTURE.replace(
        "        MISSING_AUTHENTICATION_TOKEN:\n",
        "        AUTHORIZER_CONFIGURATION_ERROR:\n          StatusCode: 503\n          ResponseTemplates:\n            application/json: '{\"success\":false,\"error\":\"UNAVAILABLE\",\"message\":\"authorization is unavailable\"}'\n        MISSING_AUTHENTICATION_TOKEN:\n",
    );
    assert_ne!(customised, FIXTURE);
    let base = gateway_with(&lambda, &customised).await;
    for token in ["Bearer redis-down", "Bearer slow", "Bearer garbage"] {
        let res = http
            .get(format!("{base}/things/1"))
            .header("authorization", token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 503, "{token}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"], "UNAVAILABLE", "{token}");
    }
    // A plain "Unauthorized" stays a 401.
    let res = http
        .get(format!("{base}/things/1"))
        .header("authorization", "Bearer nope")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn the_lambda_invoke_api_reaches_functions_through_the_lambda_endpoint() {
    // The default mode: the gateway passes an Invoke API call on to cargo lambda watch's (here
    // a recording endpoint) and answers as Lambda does.
    let lambda = Lambda::start(behaviour).await;
    let base = gateway(&lambda).await;
    let http = reqwest::Client::new();
    let url = |name: &str| format!("{base}/2015-03-31/functions/{name}/invocations");
    // As the AWS CLI and SDKs send it (the gateway checks that it is there, not the signature).
    let sigv4 = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/lambda/aws4_request, \
                 SignedHeaders=host;x-amz-date, Signature=0";
    let post = |name: &str| http.post(url(name)).header("authorization", sigv4);

    // What a web page open in a browser could send: no signature, or another host's name
    // (DNS rebinding). Lambda refuses the first as well.
    let res = http
        .post(url("fixture-things"))
        .header("content-type", "text/plain")
        .body(r#"{"operator": "Mallory"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(
        res.headers()["x-amzn-errortype"],
        "MissingAuthenticationTokenException"
    );
    let res = post("fixture-things")
        .header("host", "attacker.example:3000")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(lambda.calls_to("fixture-things").is_empty());

    let res = post("fixture-things")
        .body(r#"{"operator": "Grace"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(!res.headers().contains_key("x-amz-function-error"));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["statusCode"], 201, "the function's own result: {body}");
    assert_eq!(
        lambda.calls_to("fixture-things"),
        [json!({"operator": "Grace"})],
        "the payload as sent"
    );

    let res = post("fixture-public")
        .body(r#"{"body": "crash"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-amz-function-error"], "Unhandled");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["errorMessage"], "boom");

    let res = post("nope").body("{}").send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(
        res.headers()["x-amzn-errortype"],
        "ResourceNotFoundException"
    );

    let res = post("fixture-things")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.headers()["x-amzn-errortype"],
        "InvalidRequestContentException"
    );

    let res = post("fixture-things")
        .header("x-amz-invocation-type", "DryRun")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
}

/// The local console: its page (its own script and style only), the requests the gateway
/// answered with their correlation ids, one id's lines, functions and events read from the
/// stack's logs, the metrics summed from the functions' EMF lines, and what it refuses (a
/// redrive without the console's header or of a queue not in the template, an id that is no
/// label, a request from another site or to another host name).
#[tokio::test]
async fn the_local_console_shows_requests_traces_and_metrics_from_the_logs() {
    let logs = std::env::temp_dir().join(format!("console-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&logs).unwrap();
    let now = chrono::Utc::now();
    let at = now.to_rfc3339();
    let ms = now.timestamp_millis();
    let emf = |function: &str, latency: f64| {
        json!({"_aws": {"Timestamp": ms, "CloudWatchMetrics": [{"Namespace": "Streamia",
            "Dimensions": [["Function"], ["LogGroup"]],
            "Metrics": [{"Name": "Requests", "Unit": "Count"}, {"Name": "Latency", "Unit": "Milliseconds"}]}]},
            "Function": function, "LogGroup": "/streamia/local/functions",
            "Requests": 1.0, "Latency": latency})
        .to_string()
    };
    let stale = json!({"_aws": {"Timestamp": ms - 3_600_000, "CloudWatchMetrics": [{"Namespace": "Streamia",
        "Dimensions": [["Function"]], "Metrics": [{"Name": "Requests", "Unit": "Count"}]}]},
        "Function": "users-register", "Requests": 1.0})
    .to_string();
    let lines = [
        json!({"xray_trace_id": "Root=1-a", "function": "users-register", "timestamp": at,
            "level": "INFO", "message": "request", "correlation_id": "c-1"})
        .to_string(),
        json!({"xray_trace_id": "Root=1-a", "function": "users-register", "timestamp": at,
            "level": "INFO", "message": "event published", "event_name": "user.registered",
            "event_id": "e-1", "correlation_id": "c-1"})
        .to_string(),
        json!({"xray_trace_id": "Root=1-b", "function": "notifications-on-user-event",
            "timestamp": at, "level": "INFO", "message": "event batch",
            "correlation_ids": "c-0,c-1"})
        .to_string(),
        json!({"xray_trace_id": "Root=1-c", "function": "users-login", "timestamp": at,
            "level": "INFO", "message": "request", "correlation_id": "c-10"})
        .to_string(),
        emf("users-register", 10.0),
        emf("users-register", 30.0),
        stale,
    ];
    std::fs::write(logs.join("gateway.log"), lines.join("\n") + "\n").unwrap();

    let lambda = Lambda::start(behaviour).await;
    let console = streamia_local_gateway::console::ConsoleConfig {
        logs_dir: Some(logs.clone()),
        ..Default::default()
    };
    let base = gateway_with_console(&lambda, FIXTURE, console).await;
    let http = reqwest::Client::new();
    let res = http
        .get(format!("{base}/things/42"))
        .header("authorization", "Bearer good")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);

    let page = http.get(format!("{base}/_local/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(page.text().await.unwrap().contains("/_local/console.js"));

    let get = |path: &str| {
        let http = http.clone();
        let url = format!("{base}{path}");
        async move {
            let res = http.get(url).send().await.unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap())
        }
    };
    let (status, requests) = get("/_local/api/requests").await;
    assert_eq!(status, 200);
    assert_eq!(requests[0]["path"], "/things/42");
    assert_eq!(requests[0]["status"], 201);
    assert_eq!(requests[0]["correlationId"], "c-1");

    let (status, trace) = get("/_local/api/trace?correlationId=c-1").await;
    assert_eq!(status, 200);
    assert_eq!(
        trace["functions"],
        json!(["notifications-on-user-event", "users-register"])
    );
    assert_eq!(trace["events"][0]["name"], "user.registered");
    assert_eq!(trace["lines"].as_array().unwrap().len(), 3, "{trace}");
    assert_eq!(trace["requests"][0]["path"], "/things/42");
    let (status, _) = get("/_local/api/trace?correlationId=%3Cscript%3E").await;
    assert_eq!(status, 400);

    let (status, metrics) = get("/_local/metrics").await;
    assert_eq!(status, 200);
    let find = |name: &str| {
        metrics["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name && m["dimensions"] == "Function=users-register")
            .cloned()
            .unwrap_or_else(|| panic!("{name} in {metrics}"))
    };
    // The stale document (an hour old) is outside the window.
    assert_eq!(find("Requests")["sum"], 2.0);
    assert_eq!(find("Latency")["average"], 20.0);
    assert_eq!(find("Latency")["max"], 30.0);

    let redrive = |header: bool| {
        let mut req = http
            .post(format!("{base}/_local/api/queues/redrive"))
            .json(&json!({"queue": "not-a-template-queue"}));
        if header {
            req = req.header("x-streamia-console", "1");
        }
        req.send()
    };
    assert_eq!(redrive(false).await.unwrap().status(), 403);
    // No --aws-endpoint: no queues to move (never with a developer's own AWS credentials).
    let refused = redrive(true).await.unwrap();
    assert_eq!(refused.status(), 404);
    let why: Value = refused.json().await.unwrap();
    assert!(why["error"].as_str().unwrap().contains("no SQS"), "{why}");
    // Only this machine's own pages: not a page of another site, not a rebound host name,
    // not a redrive from another origin.
    let refused = [
        ("sec-fetch-site", "cross-site"),
        ("host", "attacker.example"),
        ("origin", "http://attacker.example"),
    ];
    for (name, value) in refused {
        let res = http
            .get(format!("{base}/_local/mail"))
            .header(name, value)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{name}: {value}");
    }
    let own = base.clone();
    let res = http
        .get(format!("{base}/_local/mail"))
        .header("origin", own)
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let (status, _) = get("/_local/nothing-here").await;
    assert_eq!(status, 404);
    let _ = std::fs::remove_dir_all(&logs);
}
