//! template.yaml wiring: linters do not catch a route that points at a binary that does not
//! exist, or a contract route (infra/api-contract.md) nobody deployed or documented.

mod common;

use std::collections::BTreeSet;

use common::{contract_routes, openapi, resource, template, workspace_binaries};
use streamia_local_gateway::template::Template;

#[test]
fn every_function_is_a_workspace_binary_built_by_cargo_lambda() {
    let t = template();
    let bins = workspace_binaries();
    let mut used = BTreeSet::new();
    for f in &t.functions {
        let r = resource(&t, &f.logical_id);
        assert_eq!(
            r["Metadata"]["BuildMethod"], "rust-cargolambda",
            "{}",
            f.logical_id
        );
        assert!(
            bins.contains(&f.binary),
            "{} names binary {}, which the workspace lacks",
            f.logical_id,
            f.binary
        );
        assert!(
            used.insert(f.binary.clone()),
            "{} is deployed twice",
            f.binary
        );
        let expected_id: String = f
            .binary
            .split('-')
            .map(|w| w[..1].to_uppercase() + &w[1..])
            .collect::<String>()
            + "Function";
        assert_eq!(
            f.logical_id, expected_id,
            "logical id follows the binary name"
        );
    }
    assert_eq!(used, bins, "every workspace binary is deployed");
    let g = &t.document["Globals"]["Function"];
    assert_eq!(g["Runtime"], "provided.al2023");
    assert_eq!(g["Tracing"], "Active");
}

/// Each section of the contract whose routes are deployed, with how many it lists (a
/// section that lost a route in the contract's parsing would otherwise pass empty) and whether
/// every one of them needs a token.
const SECTIONS: [(&str, usize, Access); 5] = [
    ("Users and auth", 10, Access::Mixed),
    ("Movies", 10, Access::Mixed),
    ("Favorites", 5, Access::TokenOnly),
    ("Ratings", 4, Access::Mixed),
    ("Comments", 7, Access::Mixed),
];

#[derive(Clone, Copy, PartialEq)]
enum Access {
    /// Some routes are public.
    Mixed,
    /// Every route needs a bearer token.
    TokenOnly,
}

fn deployed_routes(t: &Template) -> BTreeSet<(String, String, bool)> {
    t.routes()
        .map(|(r, _)| (r.method.clone(), r.path.clone(), r.public))
        .collect()
}

#[test]
fn every_route_of_the_contract_is_deployed_and_documented_with_its_auth() {
    let deployed = deployed_routes(&template());
    let spec = openapi();
    for (section, count, access) in SECTIONS {
        let contract = contract_routes(section);
        assert_eq!(contract.len(), count, "{section}: {contract:?}");
        for route in &contract {
            let (method, path, public) = route;
            assert!(
                !(access == Access::TokenOnly && *public),
                "{route:?}: every {section} route needs a bearer token"
            );
            assert!(
                deployed.contains(route),
                "{route:?} missing or with the wrong auth in template.yaml"
            );
            assert_openapi_route(&spec, method, path, *public);
        }
    }
}

#[test]
fn health_is_public_and_the_authorizer_caches_nothing() {
    let t = template();
    let deployed = deployed_routes(&t);
    assert!(deployed.contains(&("GET".into(), "/api/v1/health".into(), true)));
    let authorizer = t.authorizer.as_ref().expect("a default authorizer");
    assert_eq!(authorizer.binary, "authorizer");
    assert_eq!(
        authorizer.ttl.as_secs(),
        0,
        "no caching: logout takes effect at once"
    );
    assert_eq!(t.gateway_responses["UNAUTHORIZED"].status, Some(401));
}

#[test]
fn the_openapi_file_describes_every_deployed_route() {
    let spec = openapi();
    let servers = spec["servers"][0]["url"].as_str().unwrap_or("");
    assert!(
        servers.ends_with("/api/v1"),
        "servers url should end with /api/v1"
    );
    let t = template();
    // The preflight (OPTIONS on every path, api-preflight) is CORS, not an operation of the
    // API: `streamia_checks::preflight` holds it.
    for (route, _) in t.routes().filter(|(r, _)| r.method != "OPTIONS") {
        assert_openapi_route(&spec, &route.method, &route.path, route.public);
    }
}

/// `METHOD /api/v1/...` is in the OpenAPI file with its responses, public (`security: []`)
/// exactly when `public`.
fn assert_openapi_route(spec: &serde_yaml::Value, method: &str, path: &str, public: bool) {
    let rel = path.strip_prefix("/api/v1").unwrap();
    let method = method.to_lowercase();
    let op = &spec["paths"][rel][method.as_str()];
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

#[test]
fn a_failing_authorizer_is_the_contracts_503_not_a_500() {
    // API Gateway answers AUTHORIZER_CONFIGURATION_ERROR (500 by default) when a Lambda
    // authorizer errors, times out or answers garbage; ours errors when Redis is down.
    let t = template();
    for kind in ["AUTHORIZER_CONFIGURATION_ERROR", "AUTHORIZER_FAILURE"] {
        let response = &t.gateway_responses[kind];
        assert_eq!(response.status, Some(503), "{kind}");
        assert!(
            response
                .body
                .as_deref()
                .is_some_and(|b| b.contains(r#""error":"UNAVAILABLE""#)),
            "{kind}: {:?}",
            response.body
        );
    }
}
