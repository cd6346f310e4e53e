//! Every path a route serves has its CORS preflight on `api-preflight`, without the authorizer
//! (`streamia_checks::preflight`).

mod common;

use streamia_checks::preflight::preflight_violations;
use streamia_local_gateway::template::{Context, Template};
use streamia_shared::http::ALLOWED_METHODS;

#[test]
fn every_path_of_the_template_has_its_preflight() {
    let problems = preflight_violations(&common::template(), ALLOWED_METHODS);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A template with a GET and a PUT on `/api/v1/things` and the preflight events `options`
/// (`(path, auth)` pairs), plus `api` under the API's properties.
fn api(options: &[(&str, &str)], api: &str) -> Template {
    let events: String = options
        .iter()
        .enumerate()
        .map(|(i, (path, auth))| {
            format!(
                "        O{i}:\n          Type: Api\n          Properties: {{RestApiId: !Ref Api, \
                 Path: {path}, Method: options{auth}}}\n"
            )
        })
        .collect();
    let text = format!(
        r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
{api}  ThingsFunction:
    Type: AWS::Serverless::Function
    Metadata: {{BuildMethod: rust-cargolambda, BuildProperties: {{Binary: things}}}}
    Properties:
      Events:
        Get:
          Type: Api
          Properties: {{RestApiId: !Ref Api, Path: /api/v1/things, Method: get}}
        Put:
          Type: Api
          Properties: {{RestApiId: !Ref Api, Path: /api/v1/things, Method: put}}
  ApiPreflightFunction:
    Type: AWS::Serverless::Function
    Metadata: {{BuildMethod: rust-cargolambda, BuildProperties: {{Binary: api-preflight}}}}
    Properties:
      Events:
        Never:
          Type: Api
          Properties: {{RestApiId: !Ref Api, Path: /api/v1/health, Method: options, Auth: {{Authorizer: NONE}}}}
        Health:
          Type: Api
          Properties: {{RestApiId: !Ref Api, Path: /api/v1/health, Method: get, Auth: {{Authorizer: NONE}}}}
{events}"#
    );
    Template::parse(&text, &Context::default()).unwrap()
}

const NONE: &str = ", Auth: {Authorizer: NONE}";

fn violations(template: &Template) -> Vec<String> {
    preflight_violations(template, ALLOWED_METHODS)
}

#[test]
fn a_method_the_preflight_does_not_allow_fails() {
    let problems = preflight_violations(&api(&[("/api/v1/things", NONE)], ""), "GET, OPTIONS");
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("PUT /api/v1/things is not in the preflight's")),
        "{problems:?}"
    );
}

#[test]
fn a_path_without_its_preflight_fails() {
    let problems = violations(&api(&[], ""));
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("/api/v1/things has no OPTIONS event")),
        "{problems:?}"
    );
    // The broken example's other faults are named too: the preflight serving a GET.
    assert!(
        problems
            .iter()
            .any(|p| p.contains("api-preflight serves GET /api/v1/health")),
        "{problems:?}"
    );
}

#[test]
fn a_preflight_behind_the_authorizer_or_sams_cors_fails() {
    let behind = violations(&api(&[("/api/v1/things", "")], ""));
    assert!(
        behind
            .iter()
            .any(|p| p.contains("OPTIONS /api/v1/things goes through the authorizer")),
        "{behind:?}"
    );
    let cors = violations(&api(
        &[("/api/v1/things", NONE)],
        "      Cors: \"'https://app.example.com'\"\n",
    ));
    assert!(cors.iter().any(|p| p.contains("SAM's `Cors`")), "{cors:?}");
}

#[test]
fn a_preflight_for_a_path_no_route_serves_fails() {
    let problems = violations(&api(
        &[("/api/v1/things", NONE), ("/api/v1/gone", NONE)],
        "",
    ));
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("/api/v1/gone has a preflight but no route")),
        "{problems:?}"
    );
}
