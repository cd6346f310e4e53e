//! Spanish and English in the contract: every operation of infra/openapi.yaml takes
//! `Accept-Language` and every answer with a body says its `Content-Language`, and API Gateway's
//! own answers in template.yaml, which no function writes, say they are English. schemathesis
//! holds the stack to the OpenAPI file; these hold the file (and the template) to the feature.

mod common;

use common::{openapi, template};
use serde_yaml::Value;
use streamia_local_gateway::template::HeaderSource;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// `{$ref: "#/components/<kind>/<name>"}` -> the component; anything else as it is.
fn resolve<'a>(spec: &'a Value, item: &'a Value) -> &'a Value {
    match item["$ref"].as_str() {
        Some(reference) => {
            let mut node = spec;
            for part in reference.trim_start_matches("#/").split('/') {
                node = &node[part];
            }
            node
        }
        None => item,
    }
}

/// Every `(path, method, operation, path item)` of the file.
fn operations(spec: &Value) -> Vec<(String, &'static str, &Value, &Value)> {
    let mut found = Vec::new();
    for (path, item) in spec["paths"].as_mapping().expect("paths") {
        for method in METHODS {
            if item[method].is_mapping() {
                let path = path.as_str().unwrap_or_default().to_owned();
                found.push((path, method, &item[method], item));
            }
        }
    }
    found
}

#[test]
fn every_operation_takes_accept_language() {
    let spec = openapi();
    let ops = operations(&spec);
    assert!(ops.len() >= 10, "{} operations", ops.len());
    for (path, method, op, item) in ops {
        let takes = [&item["parameters"], &op["parameters"]]
            .into_iter()
            .filter_map(Value::as_sequence)
            .flatten()
            .map(|p| resolve(&spec, p))
            .any(|p| p["in"] == "header" && p["name"] == "Accept-Language");
        assert!(takes, "{method} {path}: no Accept-Language parameter");
    }
}

#[test]
fn every_answer_with_a_body_says_its_language() {
    let spec = openapi();
    for (path, method, op, _) in operations(&spec) {
        for (status, response) in op["responses"].as_mapping().expect("responses") {
            let response = resolve(&spec, response);
            if !response["content"].is_mapping() {
                continue;
            }
            let header = resolve(&spec, &response["headers"]["Content-Language"]);
            assert_eq!(
                header["schema"]["enum"],
                serde_yaml::from_str::<Value>("[en, es]").unwrap(),
                "{method} {path} {status:?}: Content-Language"
            );
        }
    }
}

#[test]
fn api_gateways_own_answers_say_they_are_english() {
    let t = template();
    assert!(t.gateway_responses.len() >= 10);
    for (kind, response) in &t.gateway_responses {
        let language = response
            .headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("content-language"));
        assert!(
            matches!(language, Some((_, HeaderSource::Static(l))) if l == "en"),
            "{kind}: Content-Language 'en' (no function translates it)"
        );
    }
    // The preflight is a function (api-preflight), which names the headers it allows.
    let allowed = streamia_shared::http::ALLOWED_REQUEST_HEADERS.to_lowercase();
    assert!(
        allowed.split(',').any(|h| h.trim() == "accept-language"),
        "a preflight allows Accept-Language: {allowed}"
    );
}
