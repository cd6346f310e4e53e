//! Every path has its CORS preflight.
//!
//! The preflight is a function (`api-preflight`: `shared::http::preflight`), not SAM's `Cors`
//! mock, so that each allowed origin gets its own answer. API Gateway then has an `OPTIONS`
//! method only where the template declares one: a path without it answers a browser's
//! preflight with 403 and the page can send that path nothing but simple requests. So every
//! path a route serves needs an `OPTIONS` event on the preflight function, without the
//! authorizer (a preflight carries no token), and nothing else may serve `OPTIONS`.

use std::collections::BTreeSet;

use streamia_local_gateway::template::Template;

/// The binary that answers every preflight.
pub const PREFLIGHT_BINARY: &str = "api-preflight";

/// Every way `template` breaks the rule above, one message each; empty when it holds.
/// `allowed_methods` is what the preflight answers in `Access-Control-Allow-Methods`
/// (`shared::http::ALLOWED_METHODS`): a route's method missing there would pass every check
/// and fail in browsers only.
pub fn preflight_violations(template: &Template, allowed_methods: &str) -> Vec<String> {
    let allowed: Vec<&str> = allowed_methods.split(',').map(str::trim).collect();
    let mut problems = Vec::new();
    if template.cors.is_some() {
        problems.push(
            "the API sets SAM's `Cors`: its mock preflight names one static origin and collides \
             with the preflight function's OPTIONS methods; remove it"
                .to_owned(),
        );
    }
    let mut served = BTreeSet::new();
    let mut preflighted = BTreeSet::new();
    for (route, function) in template.routes() {
        let is_preflight = function.binary == PREFLIGHT_BINARY;
        match (route.method.as_str(), is_preflight) {
            ("OPTIONS", true) if !route.public => problems.push(format!(
                "OPTIONS {} goes through the authorizer: a preflight carries no token, so \
                 browsers would get 401; set Auth: {{Authorizer: NONE}}",
                route.path
            )),
            ("OPTIONS", true) => {
                preflighted.insert(route.path.clone());
            }
            (method, true) => problems.push(format!(
                "{PREFLIGHT_BINARY} serves {method} {}: it answers OPTIONS only",
                route.path
            )),
            // `ANY` would take the preflight too, and the local gateway breaks an ANY vs
            // OPTIONS tie by order where API Gateway prefers the explicit method.
            ("OPTIONS" | "ANY", false) => problems.push(format!(
                "{} ({}) serves {} {}: only {PREFLIGHT_BINARY} answers preflights (an ANY route \
                 would take them too): list the route's methods one by one",
                function.logical_id, function.binary, route.method, route.path
            )),
            (method, false) => {
                if !allowed.contains(&method) {
                    problems.push(format!(
                        "{method} {} is not in the preflight's Access-Control-Allow-Methods \
                         ({allowed_methods}): browsers would refuse it; add it there",
                        route.path
                    ));
                }
                served.insert(route.path.clone());
            }
        }
    }
    for path in served.difference(&preflighted) {
        problems.push(format!(
            "{path} has no OPTIONS event on {PREFLIGHT_BINARY}: browsers cannot send it a JSON \
             body or a bearer token; add one"
        ));
    }
    for path in preflighted.difference(&served) {
        problems.push(format!(
            "{path} has a preflight but no route: remove its OPTIONS event"
        ));
    }
    problems
}
