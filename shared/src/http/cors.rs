//! Cross-origin access for browsers, added by the functions themselves.
//!
//! With API Gateway's Lambda proxy integration the real response is the function's, so the
//! function must name the caller's origin or the browser hides the answer from the page — even
//! a 401. The preflight (`OPTIONS`) is a function too (`api-preflight`, [`Cors::preflight`]):
//! API Gateway's own mock preflight (SAM's `Cors`) can only answer one static origin, and a
//! second allowed origin (`http://127.0.0.1:5173` beside `http://localhost:5173`) would pass
//! simple requests and fail every preflighted one. Only origins in the configuration are named,
//! one at a time (the request's `Origin` echoed), never `*`, and no credentials header: the API
//! authenticates with a bearer token, not cookies.

use http::header::{
    HeaderValue, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE, ORIGIN,
    VARY,
};
use http::HeaderMap;
use url::Url;

use crate::config::{ConfigError, Load, Lookup, Reader};

/// The environment variable holding the allowed origins, comma-separated.
pub const CORS_ALLOWED_ORIGINS: &str = "CORS_ALLOWED_ORIGINS";

/// Response headers a page may read besides the CORS-safelisted ones: the correlation id to
/// quote in a support request, how long to wait after a 429/503, and a catalog read's `ETag`
/// for a client that revalidates by hand (`If-None-Match`). (`Content-Language`, the
/// answer's language, is safelisted: readable without being named here.)
pub const EXPOSED_HEADERS: &str = "x-correlation-id, Retry-After, ETag";

/// Methods a page may use cross-origin (the preflight's `Access-Control-Allow-Methods`): every
/// method a route of the API serves.
pub const ALLOWED_METHODS: &str = "GET, POST, PUT, DELETE, OPTIONS";

/// Request headers a page may send cross-origin besides the safelisted ones (the preflight's
/// `Access-Control-Allow-Headers`): the JSON body's type, the bearer token, a correlation id of
/// its own, `Accept-Language` (safelisted only for plain values: named so a preflight never
/// refuses another) and `If-None-Match` (a client revalidating a catalog read by hand).
pub const ALLOWED_REQUEST_HEADERS: &str =
    "Content-Type, Authorization, X-Correlation-Id, Accept-Language, If-None-Match";

/// How long a browser may reuse a preflight's answer, in seconds (Chromium caps it at 7200).
/// Browsers cache it per origin and full URL (path values and query string included), so a
/// page calling `/movies/{id}` for many ids with a token still preflights each new URL: one
/// invocation of `api-preflight` each, the same URL again within ten minutes none.
pub const PREFLIGHT_MAX_AGE_SECONDS: &str = "600";

/// Which browser origins may read the API's answers.
///
/// The default allows none: responses then carry no CORS header and browsers keep them from
/// other origins' pages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cors {
    /// Serialized origins (`https://app.example.com`, `http://127.0.0.1:5173`), compared
    /// byte for byte with the `Origin` header browsers send in the same serialization.
    origins: Vec<String>,
}

/// `CORS_ALLOWED_ORIGINS` (unset or empty: no origin allowed). Every entry must be an http(s)
/// origin without a path; every bad entry is reported at once.
impl Load for Cors {
    fn load(lookup: Lookup<'_>) -> Result<Self, ConfigError> {
        let mut env = Reader::new(lookup);
        let raw = env.get(CORS_ALLOWED_ORIGINS).unwrap_or_default();
        let mut origins = Vec::new();
        for entry in raw.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            match parse_origin(entry) {
                Some(origin) if !origins.contains(&origin) => origins.push(origin),
                Some(_) => {}
                None => env.problem(format!(
                    "{CORS_ALLOWED_ORIGINS}: {entry:?} is not an origin like https://app.example.com \
                     (http or https, host, optional port, no path and no '*')"
                )),
            }
        }
        env.finish(Self { origins })
    }
}

impl Cors {
    /// The allowed origins, serialized as browsers send them.
    pub fn origins(&self) -> &[String] {
        &self.origins
    }

    /// Adds the CORS headers for a request that came with `origin`: for an allowed origin,
    /// that origin and the exposed headers; for any other (or none), nothing but `Vary:
    /// Origin`, so a shared cache never serves one origin's answer to another.
    pub fn apply(&self, origin: Option<&HeaderValue>, headers: &mut HeaderMap) {
        if self.origins.is_empty() {
            return;
        }
        headers.append(VARY, HeaderValue::from_static("Origin"));
        let Some(origin) = origin.filter(|o| self.allows(o)) else {
            return;
        };
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        headers.insert(
            ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSED_HEADERS),
        );
    }

    /// Adds the headers of a preflight's answer for a request that came with `origin`: for an
    /// allowed origin, that origin with the methods, request headers and max age the API
    /// allows; for any other (or none), nothing but `Vary: Origin`, so the browser refuses the
    /// real request before sending it.
    pub fn preflight(&self, origin: Option<&HeaderValue>, headers: &mut HeaderMap) {
        if self.origins.is_empty() {
            return;
        }
        headers.append(VARY, HeaderValue::from_static("Origin"));
        let Some(origin) = origin.filter(|o| self.allows(o)) else {
            return;
        };
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        for (name, value) in [
            (ACCESS_CONTROL_ALLOW_METHODS, ALLOWED_METHODS),
            (ACCESS_CONTROL_ALLOW_HEADERS, ALLOWED_REQUEST_HEADERS),
            (ACCESS_CONTROL_MAX_AGE, PREFLIGHT_MAX_AGE_SECONDS),
        ] {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }

    /// Whether a request's `Origin` header names an allowed origin.
    pub fn allows(&self, origin: &HeaderValue) -> bool {
        origin
            .to_str()
            .is_ok_and(|o| self.origins.iter().any(|allowed| allowed == o))
    }

    /// The request's `Origin`, kept before the handler takes the request.
    pub(crate) fn request_origin(headers: &HeaderMap) -> Option<HeaderValue> {
        headers.get(ORIGIN).cloned()
    }
}

/// `https://App.Example.com:443/` -> `https://app.example.com`; `None` for anything that is
/// not a plain http(s) origin.
fn parse_origin(entry: &str) -> Option<String> {
    if entry.contains('*') {
        return None;
    }
    let url = Url::parse(entry).ok()?;
    let plain = matches!(url.scheme(), "http" | "https")
        && url.host().is_some()
        && url.username().is_empty()
        && url.password().is_none()
        && url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none();
    plain.then(|| url.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cors(origins: &str) -> Result<Cors, ConfigError> {
        let origins = origins.to_owned();
        Cors::load(&move |key: &str| (key == CORS_ALLOWED_ORIGINS).then(|| origins.clone()))
    }

    fn headers_for(cors: &Cors, origin: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let origin = origin.map(|o| HeaderValue::from_str(o).unwrap());
        cors.apply(origin.as_ref(), &mut headers);
        headers
    }

    #[test]
    fn origins_are_normalised_as_browsers_send_them() {
        let cors =
            cors(" https://App.Example.com:443/ ,http://127.0.0.1:5173,,http://127.0.0.1:5173")
                .unwrap();
        assert_eq!(
            cors.origins(),
            ["https://app.example.com", "http://127.0.0.1:5173"]
        );
        assert_eq!(Cors::load(&|_| None).unwrap(), Cors::default());
    }

    #[test]
    fn every_bad_entry_is_reported_at_once() {
        let err =
            cors("*, https://app.example.com/app, ftp://x.example, not a url, https://ok.example")
                .unwrap_err();
        assert_eq!(err.problems.len(), 4, "{err}");
        assert!(err
            .problems
            .iter()
            .all(|p| p.contains(CORS_ALLOWED_ORIGINS)));
    }

    #[test]
    fn an_allowed_origin_is_echoed_with_vary_and_exposed_headers() {
        let cors = cors("https://app.example.com,http://localhost:5173").unwrap();
        let headers = headers_for(&cors, Some("http://localhost:5173"));
        assert_eq!(
            headers[ACCESS_CONTROL_ALLOW_ORIGIN],
            "http://localhost:5173"
        );
        assert_eq!(headers[VARY], "Origin");
        assert_eq!(
            headers[ACCESS_CONTROL_EXPOSE_HEADERS],
            "x-correlation-id, Retry-After, ETag"
        );
        assert!(!headers.contains_key(http::header::ACCESS_CONTROL_ALLOW_CREDENTIALS));
    }

    #[test]
    fn other_origins_get_no_cors_header_only_vary() {
        let cors = cors("https://app.example.com").unwrap();
        for origin in [
            Some("https://evil.example"),
            Some("https://app.example.com.evil.example"),
            Some("http://app.example.com"),
            Some("https://APP.example.com"),
            Some("null"),
            None,
        ] {
            let headers = headers_for(&cors, origin);
            assert!(
                !headers.contains_key(ACCESS_CONTROL_ALLOW_ORIGIN),
                "{origin:?}"
            );
            assert!(!headers.contains_key(ACCESS_CONTROL_EXPOSE_HEADERS));
            assert_eq!(headers[VARY], "Origin");
        }
    }

    #[test]
    fn a_preflight_names_each_allowed_origin_not_just_the_first() {
        let cors = cors("http://localhost:5173,http://127.0.0.1:5173").unwrap();
        for origin in ["http://localhost:5173", "http://127.0.0.1:5173"] {
            let mut headers = HeaderMap::new();
            cors.preflight(Some(&HeaderValue::from_static(origin)), &mut headers);
            assert_eq!(headers[ACCESS_CONTROL_ALLOW_ORIGIN], origin);
            assert_eq!(headers[ACCESS_CONTROL_ALLOW_METHODS], ALLOWED_METHODS);
            assert_eq!(
                headers[ACCESS_CONTROL_ALLOW_HEADERS],
                ALLOWED_REQUEST_HEADERS
            );
            assert_eq!(headers[ACCESS_CONTROL_MAX_AGE], "600");
            assert_eq!(headers[VARY], "Origin");
            assert!(!headers.contains_key(http::header::ACCESS_CONTROL_ALLOW_CREDENTIALS));
        }
    }

    #[test]
    fn a_preflight_from_another_origin_allows_nothing() {
        let cors = cors("http://localhost:5173,http://127.0.0.1:5173").unwrap();
        for origin in [Some("http://localhost:5174"), Some("null"), None] {
            let mut headers = HeaderMap::new();
            let origin = origin.map(HeaderValue::from_static);
            cors.preflight(origin.as_ref(), &mut headers);
            assert_eq!(headers.len(), 1, "{origin:?}: {headers:?}");
            assert_eq!(headers[VARY], "Origin");
        }
    }

    #[test]
    fn nothing_is_added_when_no_origin_is_configured() {
        let headers = headers_for(&Cors::default(), Some("https://app.example.com"));
        assert!(headers.is_empty());
    }
}
