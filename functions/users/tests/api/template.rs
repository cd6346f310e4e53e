//! template.yaml wiring: linters do not catch a route that points at a binary that does not
//! exist, or a contract route nobody deployed. The contract is `../shared/design/api-contract.md`
//! beside the checkout.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_yaml::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn template() -> Value {
    let text = std::fs::read_to_string(root().join("template.yaml")).unwrap();
    serde_yaml::from_str(&text).unwrap()
}

fn functions(t: &Value) -> Vec<(String, &Value)> {
    t["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Serverless::Function")
        .map(|(k, r)| (k.as_str().unwrap().to_owned(), r))
        .collect()
}

/// (METHOD, path, is public) for every Api event in the template.
fn template_routes(t: &Value) -> BTreeSet<(String, String, bool)> {
    let mut routes = BTreeSet::new();
    for (_, f) in functions(t) {
        let Some(events) = f["Properties"]["Events"].as_mapping() else {
            continue;
        };
        for (_, e) in events {
            if e["Type"] != "Api" {
                continue;
            }
            let p = &e["Properties"];
            routes.insert((
                p["Method"].as_str().unwrap().to_uppercase(),
                p["Path"].as_str().unwrap().to_owned(),
                p["Auth"]["Authorizer"] == "NONE",
            ));
        }
    }
    routes
}

fn workspace_binaries() -> BTreeSet<String> {
    let mut bins = BTreeSet::new();
    for service in std::fs::read_dir(root().join("functions")).unwrap() {
        let dir = service.unwrap().path().join("src/bin");
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in entries {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if let Some(bin) = name.strip_suffix(".rs") {
                bins.insert(bin.to_owned());
            }
        }
    }
    bins
}

/// (METHOD, /api/v1 path, is public) rows of one section of the contract's tables.
fn contract_routes(section: &str) -> BTreeSet<(String, String, bool)> {
    let path = root().join("../shared/design/api-contract.md");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("the API contract must sit at {}: {e}", path.display()));
    let start = text.find(&format!("## {section}")).expect("section");
    let body = &text[start + 3..];
    let body = &body[..body.find("\n## ").unwrap_or(body.len())];
    body.lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let (method, path) = cells.get(1)?.split_once(' ')?;
            if !["GET", "POST", "PUT", "DELETE"].contains(&method) {
                return None;
            }
            Some((
                method.to_owned(),
                format!("/api/v1{path}"),
                cells.get(2) == Some(&"-"),
            ))
        })
        .collect()
}

#[test]
fn every_function_is_a_workspace_binary_built_by_cargo_lambda() {
    let t = template();
    let bins = workspace_binaries();
    let mut used = BTreeSet::new();
    for (id, f) in functions(&t) {
        assert_eq!(f["Metadata"]["BuildMethod"], "rust-cargolambda", "{id}");
        let binary = f["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap_or_else(|| panic!("{id}: no Binary"));
        assert!(
            bins.contains(binary),
            "{id} names binary {binary}, which the workspace lacks"
        );
        assert!(used.insert(binary.to_owned()), "{binary} is deployed twice");
        let expected_id: String = binary
            .split('-')
            .map(|w| w[..1].to_uppercase() + &w[1..])
            .collect::<String>()
            + "Function";
        assert_eq!(id, expected_id, "logical id follows the binary name");
    }
    assert_eq!(used, bins, "every workspace binary is deployed");
    let g = &t["Globals"]["Function"];
    assert_eq!(g["Runtime"], "provided.al2023");
    assert_eq!(g["Tracing"], "Active");
    assert!(t["Parameters"]["JwtSecret"]["NoEcho"].as_bool().unwrap());
}

#[test]
fn every_users_route_of_the_contract_is_deployed_with_its_auth() {
    let t = template();
    let deployed = template_routes(&t);
    let contract = contract_routes("Users and auth");
    assert_eq!(contract.len(), 10, "{contract:?}");
    for route in &contract {
        assert!(
            deployed.contains(route),
            "{route:?} missing or with the wrong auth in template.yaml"
        );
    }
    assert!(deployed.contains(&("GET".into(), "/api/v1/health".into(), true)));
    let api = &t["Resources"]["StreamiaApi"]["Properties"];
    assert_eq!(api["Auth"]["DefaultAuthorizer"], "StreamiaAuthorizer");
    assert_eq!(
        api["GatewayResponses"]["UNAUTHORIZED"]["StatusCode"].as_i64(),
        Some(401)
    );
}

#[test]
fn publishers_may_publish_to_the_topic_they_are_given() {
    let t = template();
    for (id, f) in functions(&t) {
        let env = &f["Properties"]["Environment"]["Variables"];
        if !env.as_mapping().is_some_and(|m| {
            m.keys()
                .any(|k| k.as_str().is_some_and(|k| k.ends_with("_EVENTS_TOPIC_ARN")))
        }) {
            continue;
        }
        let policies = format!("{:?}", f["Properties"]["Policies"]);
        assert!(
            policies.contains("SNSPublishMessagePolicy"),
            "{id} publishes without permission"
        );
    }
}

#[test]
fn the_openapi_file_describes_every_deployed_route() {
    let spec: Value =
        serde_yaml::from_str(&std::fs::read_to_string(root().join("infra/openapi.yaml")).unwrap())
            .unwrap();
    let servers = spec["servers"][0]["url"].as_str().unwrap_or("");
    for (method, path, public) in template_routes(&template()) {
        let rel = path.strip_prefix("/api/v1").unwrap();
        assert!(
            servers.ends_with("/api/v1"),
            "servers url should end with /api/v1"
        );
        let op = &spec["paths"][rel][method.to_lowercase().as_str()];
        assert!(op.is_mapping(), "openapi lacks {method} {rel}");
        let secured = op["security"].as_sequence().map(|s| !s.is_empty());
        match public {
            true => assert_eq!(
                secured,
                Some(false),
                "{method} {rel} should declare security: []"
            ),
            false => assert_ne!(secured, Some(false), "{method} {rel} is protected"),
        }
        assert!(op["responses"].is_mapping(), "{method} {rel}: responses");
    }
}
