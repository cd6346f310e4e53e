//! JSON request bodies: bounded, typed, and rejected with a field-level 400 instead of a 500.

use lambda_http::{Body, Request};
use serde::de::DeserializeOwned;

use super::ApiError;
use crate::fields::FieldError;

/// Parses the body as JSON into `T`.
///
/// Oversize bodies are 413; a missing or malformed body, a wrong content type, a wrong type
/// in any field (including Mongo operators such as `{"$gt": ""}` where a string belongs) or an
/// unknown field is a 400 naming the field. Request types are plain data with
/// `deny_unknown_fields`; domain rules are checked afterwards by the domain types.
pub fn parse_json<T: DeserializeOwned>(req: &Request, max_bytes: usize) -> Result<T, ApiError> {
    let bytes: &[u8] = match req.body() {
        Body::Empty => &[],
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    };
    if bytes.len() > max_bytes {
        return Err(ApiError::payload_too_large(max_bytes));
    }
    if let Some(content_type) = req.headers().get(http::header::CONTENT_TYPE) {
        let is_json = content_type
            .to_str()
            .map(|ct| {
                let essence = ct
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                essence == "application/json" || essence.ends_with("+json")
            })
            .unwrap_or(false);
        if !is_json {
            return Err(ApiError::validation(
                "content-type must be application/json",
                Vec::new(),
            ));
        }
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::validation(
            "a JSON request body is required",
            Vec::new(),
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let parsed: Result<T, _> = serde_path_to_error::deserialize(&mut de);
    if parsed.is_ok() {
        de.end().map_err(|e| {
            ApiError::validation(
                format!("malformed JSON: {}", strip_position(&e.to_string())),
                Vec::new(),
            )
        })?;
    }
    parsed.map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return ApiError::validation(format!("malformed JSON: {inner}"), Vec::new());
        }
        let message = strip_position(&inner.to_string());
        let field = if path == "." || path.is_empty() {
            missing_field_name(&message).unwrap_or_default()
        } else {
            path
        };
        if field.is_empty() {
            ApiError::validation(format!("invalid request body: {message}"), Vec::new())
        } else {
            ApiError::validation(
                "invalid request body",
                vec![FieldError::new(field, message)],
            )
        }
    })
}

/// Like [`parse_json`], but an absent or blank body is `T::default()` (routes whose body is
/// optional, such as logout).
pub fn parse_optional_json<T: DeserializeOwned + Default>(
    req: &Request,
    max_bytes: usize,
) -> Result<T, ApiError> {
    let blank = match req.body() {
        Body::Text(text) => text.trim().is_empty(),
        Body::Binary(bytes) => bytes.iter().all(u8::is_ascii_whitespace),
        _ => true,
    };
    if blank {
        Ok(T::default())
    } else {
        parse_json(req, max_bytes)
    }
}

/// serde_json appends " at line 1 column 12", which means nothing to a client.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

fn missing_field_name(message: &str) -> Option<String> {
    let rest = message
        .strip_prefix("missing field `")
        .or_else(|| message.strip_prefix("unknown field `"))?;
    Some(rest.split('`').next()?.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::Patch;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Login {
        email: String,
        password: String,
        #[serde(default)]
        first_name: Patch<String>,
    }

    fn req(body: &str, content_type: Option<&str>) -> Request {
        let mut builder = http::Request::builder().method("POST").uri("/x");
        if let Some(ct) = content_type {
            builder = builder.header("content-type", ct);
        }
        builder.body(Body::from(body)).unwrap()
    }

    fn err(body: &str) -> serde_json::Value {
        parse_json::<Login>(&req(body, Some("application/json")), 1024)
            .unwrap_err()
            .body()
    }

    #[test]
    fn operator_injection_is_a_field_error() {
        let body = err(r#"{"email": {"$gt": ""}, "password": "x"}"#);
        assert_eq!(body["error"], "VALIDATION_ERROR");
        assert_eq!(body["details"][0]["field"], "email");
    }

    #[test]
    fn malformed_missing_unknown_and_oversize() {
        assert!(err("{").to_string().contains("malformed JSON"));
        assert_eq!(err(r#"{"email":"a"}"#)["details"][0]["field"], "password");
        assert_eq!(
            err(r#"{"email":"a","password":"b","role":"admin"}"#)["details"][0]["field"],
            "role"
        );
        assert!(err("").to_string().contains("required"));
        assert!(err(r#"{"email":"a","password":"b"} trailing"#)
            .to_string()
            .contains("malformed"));
        let big = format!(r#"{{"email":"{}","password":"b"}}"#, "a".repeat(2000));
        let too_large = parse_json::<Login>(&req(&big, None), 1024).unwrap_err();
        assert_eq!(too_large.status(), 413);
        let wrong_type = parse_json::<Login>(&req("{}", Some("text/plain")), 1024).unwrap_err();
        assert_eq!(wrong_type.status(), 400);
    }

    #[derive(Debug, Default, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Optional {
        token: Option<String>,
    }

    #[test]
    fn optional_bodies_default_when_blank_and_are_still_checked() {
        let parse =
            |b: &str| parse_optional_json::<Optional>(&req(b, Some("application/json")), 1024);
        assert!(parse("").unwrap().token.is_none());
        assert!(parse("  \n").unwrap().token.is_none());
        assert_eq!(
            parse(r#"{"token":"x"}"#).unwrap().token.as_deref(),
            Some("x")
        );
        assert_eq!(parse(r#"{"token":5}"#).unwrap_err().status(), 400);
        assert_eq!(parse("{").unwrap_err().status(), 400);
    }

    #[test]
    fn patch_tells_absent_from_null() {
        let ok = |b: &str| parse_json::<Login>(&req(b, None), 1024).unwrap();
        assert_eq!(
            ok(r#"{"email":"a","password":"b"}"#).first_name,
            Patch::Absent
        );
        assert_eq!(
            ok(r#"{"email":"a","password":"b","firstName":null}"#).first_name,
            Patch::Null
        );
        assert_eq!(
            ok(r#"{"email":"a","password":"b","firstName":"Ana"}"#).first_name,
            Patch::Value("Ana".into())
        );
    }
}
