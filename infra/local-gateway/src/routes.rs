//! Matching a request to a template route, as API Gateway REST does.

use std::collections::BTreeMap;

use crate::percent::percent_decode;
use crate::template::{Function, RouteSpec, Template};

/// A matched route with its path parameters.
#[derive(Debug, Clone)]
pub struct Matched<'a> {
    /// The route.
    pub route: &'a RouteSpec,
    /// Its function.
    pub function: &'a Function,
    /// `{name}` values from the path, percent-decoded.
    pub path_parameters: BTreeMap<String, String>,
}

/// Matches `path` against a route pattern; `{name+}` takes the rest of the path.
pub fn match_path(pattern: &str, path: &str) -> Option<BTreeMap<String, String>> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match_segments(pattern, &segments)
}

/// `match_path` on a path already split into segments: a request's path is split once, not
/// once per route.
fn match_segments(pattern: &str, segments: &[&str]) -> Option<BTreeMap<String, String>> {
    let mut params = BTreeMap::new();
    let mut parts = 0;
    for (i, part) in pattern.trim_matches('/').split('/').enumerate() {
        parts += 1;
        if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix("+}")) {
            let rest = segments.get(i..)?.join("/");
            if rest.is_empty() {
                return None;
            }
            params.insert(name.to_owned(), percent_decode(&rest));
            return Some(params);
        }
        let segment = segments.get(i)?;
        if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            if segment.is_empty() {
                return None;
            }
            params.insert(name.to_owned(), percent_decode(segment));
        } else if part != *segment {
            return None;
        }
    }
    (segments.len() == parts).then_some(params)
}

/// What SAM puts in a preflight's `Access-Control-Allow-Methods` when `Cors` sets no
/// `AllowMethods`: the methods of the resource `path` falls on, plus `OPTIONS`, sorted.
pub fn methods_of_resource(template: &Template, path: &str) -> String {
    let resource = template
        .routes()
        .map(|(r, _)| r.path.as_str())
        .filter(|pattern| match_path(pattern, path).is_some())
        .max_by_key(|pattern| pattern.split('/').filter(|s| !s.starts_with('{')).count());
    let Some(resource) = resource else {
        return "OPTIONS".to_owned();
    };
    let mut methods: Vec<String> = template
        .routes()
        .filter(|(r, _)| r.path == resource)
        .map(|(r, _)| r.method.clone())
        .collect();
    if methods.iter().any(|m| m == "ANY") {
        methods = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]
            .map(str::to_owned)
            .to_vec();
    }
    methods.push("OPTIONS".to_owned());
    methods.sort();
    methods.dedup();
    methods.join(",")
}

/// The route for `method path`: literal segments win over parameters, as in API Gateway.
pub fn find<'a>(template: &'a Template, method: &str, path: &str) -> Option<Matched<'a>> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let mut best: Option<(usize, Matched<'a>)> = None;
    for (route, function) in template.routes() {
        if route.method != method && route.method != "ANY" {
            continue;
        }
        let Some(params) = match_segments(&route.path, &segments) else {
            continue;
        };
        let literal = route
            .path
            .split('/')
            .filter(|s| !s.starts_with('{'))
            .count();
        if best.as_ref().is_none_or(|(score, _)| literal > *score) {
            best = Some((
                literal,
                Matched {
                    route,
                    function,
                    path_parameters: params,
                },
            ));
        }
    }
    best.map(|(_, m)| m)
}

/// Whether any route (any method) serves `path`: for CORS preflight and 404 vs 405.
pub fn path_exists(template: &Template, path: &str) -> bool {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    template
        .routes()
        .any(|(r, _)| match_segments(&r.path, &segments).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(match_path("/api/v1/users/me", "/api/v1/users/me").is_some());
        assert!(match_path("/api/v1/users/me", "/api/v1/users/me/password").is_none());
        let p = match_path(
            "/api/v1/movies/{id}/subtitles/{language}",
            "/api/v1/movies/abc/subtitles/en-US",
        )
        .unwrap();
        assert_eq!(p["id"], "abc");
        assert_eq!(p["language"], "en-US");
        assert!(match_path("/api/v1/movies/{id}", "/api/v1/movies/").is_none());
        let p = match_path("/files/{proxy+}", "/files/a/b%20c").unwrap();
        assert_eq!(p["proxy"], "a/b c");
    }
}
