//! Test fixture: the `Request` lambda_http builds from an API Gateway REST (v1) proxy event,
//! with the path and query parameters filled in the way API Gateway fills them.

use lambda_http::Request;
use serde_json::{json, Map, Value};

/// A GET with `path_parameters` (`null`: none) and the query `pairs` in order.
pub(crate) fn request(path_parameters: Value, pairs: &[(&str, &str)]) -> Request {
    lambda_http::request::from_str(&event(path_parameters, pairs).to_string()).unwrap()
}

/// The same request from an event that has only the single-value map (hand-written test
/// events often lack the multi-value one).
pub(crate) fn request_single_only(pairs: &[(&str, &str)]) -> Request {
    let mut event = event(Value::Null, pairs);
    event["multiValueQueryStringParameters"] = Value::Null;
    lambda_http::request::from_str(&event.to_string()).unwrap()
}

/// The event. Like API Gateway, `queryStringParameters` keeps the last value of a repeated
/// name and `multiValueQueryStringParameters` keeps them all; both are `null` without a query.
fn event(path_parameters: Value, pairs: &[(&str, &str)]) -> Value {
    let mut single = Map::new();
    let mut multi = Map::new();
    for (name, value) in pairs {
        single.insert((*name).to_owned(), json!(value));
        match multi.get_mut(*name) {
            Some(Value::Array(values)) => values.push(json!(value)),
            _ => {
                multi.insert((*name).to_owned(), json!([value]));
            }
        }
    }
    let (single, multi) = if pairs.is_empty() {
        (Value::Null, Value::Null)
    } else {
        (Value::Object(single), Value::Object(multi))
    };
    json!({
        "resource": "/api/v1/movies/{id}",
        "path": "/api/v1/movies/x",
        "httpMethod": "GET",
        "headers": {},
        "multiValueHeaders": {},
        "queryStringParameters": single,
        "multiValueQueryStringParameters": multi,
        "pathParameters": path_parameters,
        "stageVariables": null,
        "requestContext": {
            "accountId": "000000000000",
            "resourceId": "abc123",
            "stage": "local",
            "requestId": "r-1",
            "identity": {"sourceIp": "127.0.0.1"},
            "resourcePath": "/api/v1/movies/{id}",
            "httpMethod": "GET",
            "apiId": "local",
            "path": "/local/api/v1/movies/x",
            "protocol": "HTTP/1.1",
            "requestTimeEpoch": 0
        },
        "body": null,
        "isBase64Encoded": false
    })
}
