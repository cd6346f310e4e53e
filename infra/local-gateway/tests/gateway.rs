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
  Origin:
    Type: String
    Default: https://app.example.com
Globals:
  Function:
    Timeout: 2
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: test
      Cors:
        AllowOrigin: !Sub "'${Origin}'"
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
          ResponseTemplates:
            application/json: '{"success":false,"error":"UNAUTHORIZED","message":"fixture says no"}'
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
    let running = start(GatewayConfig {
        template_text: template.to_owned(),
        context: Context {
            region: "us-east-1".into(),
            stack_name: "fixture".into(),
            ..Context::default()
        },
        listen: "127.0.0.1:0".parse().unwrap(),
        lambda_endpoint: Some(lambda.endpoint()),
        aws_endpoint: None,
        mail_outbox: None,
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
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "https://app.example.com"
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

    // CORS preflight from the template.
    let res = http
        .request(reqwest::Method::OPTIONS, format!("{base}/things/1"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["access-control-allow-methods"], "GET,POST");
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
