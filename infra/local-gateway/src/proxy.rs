//! The REST API (v1) Lambda proxy integration: request -> event, function answer -> response.

use std::collections::BTreeMap;

use base64::Engine;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use serde_json::{json, Map, Value};

use crate::percent::percent_decode;
use crate::routes::Matched;

/// What the gateway received.
#[derive(Debug, Clone)]
pub struct Incoming {
    /// Upper-case method.
    pub method: String,
    /// Path without the query.
    pub path: String,
    /// Raw query string.
    pub query: Option<String>,
    /// Headers.
    pub headers: HeaderMap,
    /// Body bytes.
    pub body: Vec<u8>,
    /// Caller address.
    pub source_ip: String,
}

/// Form-style query decoding: `+` is a space, then percent-decoding.
fn query_decode(s: &str) -> String {
    percent_decode(&s.replace('+', " "))
}

/// `a=1&a=2&b` -> {a: [1, 2], b: [""]}, decoded.
pub fn parse_query(query: Option<&str>) -> BTreeMap<String, Vec<String>> {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        map.entry(query_decode(k))
            .or_default()
            .push(query_decode(v));
    }
    map
}

/// Builds the proxy event API Gateway REST sends to a function.
pub fn build_event(
    req: &Incoming,
    matched: &Matched<'_>,
    stage: &str,
    request_id: &str,
    authorizer: Option<&Value>,
) -> Value {
    let mut headers = Map::new();
    let mut multi_headers: Map<String, Value> = Map::new();
    for (name, value) in &req.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        headers.insert(name.as_str().to_owned(), json!(value));
        match multi_headers.get_mut(name.as_str()) {
            Some(Value::Array(values)) => values.push(json!(value)),
            _ => {
                multi_headers.insert(name.as_str().to_owned(), json!([value]));
            }
        }
    }
    let query = parse_query(req.query.as_deref());
    let (single_query, multi_query) = if query.is_empty() {
        (Value::Null, Value::Null)
    } else {
        (
            Value::Object(
                query
                    .iter()
                    .map(|(k, v)| (k.clone(), json!(v.last().cloned().unwrap_or_default())))
                    .collect::<Map<_, _>>(),
            ),
            json!(query),
        )
    };
    let path_parameters = if matched.path_parameters.is_empty() {
        Value::Null
    } else {
        json!(matched.path_parameters)
    };
    let (body, is_base64) = if req.body.is_empty() {
        (Value::Null, false)
    } else {
        match std::str::from_utf8(&req.body) {
            Ok(text) => (json!(text), false),
            Err(_) => (
                json!(base64::engine::general_purpose::STANDARD.encode(&req.body)),
                true,
            ),
        }
    };
    let now = chrono::Utc::now();
    let mut context = json!({
        "accountId": "000000000000",
        "apiId": "local",
        "resourceId": "local",
        "stage": stage,
        "requestId": request_id,
        "extendedRequestId": request_id,
        "requestTime": now.format("%d/%b/%Y:%H:%M:%S +0000").to_string(),
        "requestTimeEpoch": now.timestamp_millis(),
        "resourcePath": matched.route.path,
        "httpMethod": req.method,
        "path": format!("/{stage}{}", req.path),
        "protocol": "HTTP/1.1",
        "domainName": "127.0.0.1",
        "identity": {
            "sourceIp": req.source_ip,
            "userAgent": req.headers.get("user-agent").and_then(|v| v.to_str().ok()),
        },
    });
    if let Some(authorizer) = authorizer {
        context["authorizer"] = authorizer.clone();
    }
    json!({
        "resource": matched.route.path,
        "path": req.path,
        "httpMethod": req.method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": single_query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": path_parameters,
        "stageVariables": null,
        "requestContext": context,
        "body": body,
        "isBase64Encoded": is_base64,
    })
}

/// A function's proxy answer as an HTTP response; `Err` when it is not a valid proxy answer
/// (API Gateway then answers 502).
pub fn to_response(payload: &Value) -> Result<(StatusCode, HeaderMap, Vec<u8>), String> {
    let status = payload["statusCode"]
        .as_u64()
        .and_then(|s| StatusCode::from_u16(s as u16).ok())
        .ok_or("malformed Lambda proxy response: no statusCode")?;
    let mut headers = HeaderMap::new();
    let mut put = |name: &str, value: &Value| {
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Null => return,
            other => other.to_string(),
        };
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&text),
        ) {
            headers.append(n, v);
        }
    };
    let multi = payload["multiValueHeaders"].as_object();
    if let Some(multi) = multi {
        for (name, values) in multi {
            for value in values.as_array().into_iter().flatten() {
                put(name, value);
            }
        }
    }
    if let Some(single) = payload["headers"].as_object() {
        for (name, value) in single {
            if multi.is_none_or(|m| !m.contains_key(name)) {
                put(name, value);
            }
        }
    }
    let body = match &payload["body"] {
        Value::String(s) if payload["isBase64Encoded"] == json!(true) => {
            base64::engine::general_purpose::STANDARD
                .decode(s)
                .map_err(|e| format!("malformed base64 body: {e}"))?
        }
        Value::String(s) => s.clone().into_bytes(),
        Value::Null => Vec::new(),
        other => other.to_string().into_bytes(),
    };
    Ok((status, headers, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_decode() {
        let q = parse_query(Some("search=star+wars&page=2&tag=a&tag=b%2Fc&flag"));
        assert_eq!(q["search"], vec!["star wars"]);
        assert_eq!(q["tag"], vec!["a", "b/c"]);
        assert_eq!(q["flag"], vec![""]);
    }

    #[test]
    fn responses_map_back() {
        let (status, headers, body) = to_response(&json!({
            "statusCode": 201, "headers": {"content-type": "application/json"},
            "multiValueHeaders": {"set-cookie": ["a=1", "b=2"]}, "body": "{}", "isBase64Encoded": false
        }))
        .unwrap();
        assert_eq!(status, 201);
        assert_eq!(headers.get_all("set-cookie").iter().count(), 2);
        assert_eq!(headers["content-type"], "application/json");
        assert_eq!(body, b"{}");
        let (_, _, bin) =
            to_response(&json!({"statusCode": 200, "body": "AAEC", "isBase64Encoded": true}))
                .unwrap();
        assert_eq!(bin, vec![0, 1, 2]);
        assert!(to_response(&json!({"nope": 1})).is_err());
    }
}
