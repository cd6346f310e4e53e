//! Path parameters (`/movies/{id}`), read the same way by every route.
//!
//! Two different faults, two different answers:
//! - the parameter is missing: the template and the route disagree (a mis-wired function),
//!   our fault, a 500 INTERNAL whose cause is logged;
//! - the value does not parse: the client's fault, a 400 VALIDATION_ERROR naming the parameter
//!   in `details` (never a 500, never a driver error from a malformed id).
//!
//! A well-formed id that matches nothing is the operation's business: it answers
//! [`NotFound`](crate::service::NotFound), which the HTTP layer turns into the 404.
//!
//! Values arrive percent-decoded (API Gateway, and the local gateway, decode them).

use lambda_http::{Request, RequestExt};

use super::ApiError;
use crate::domain::{parse_object_id, Invalid};
use crate::fields::FieldError;
use crate::i18n::{Msg, Text};
use bson::oid::ObjectId;

/// The route declares a parameter the request does not carry.
#[derive(Debug, thiserror::Error)]
#[error("path parameter {0:?} is missing: the route and the template disagree")]
struct MissingPathParameter(String);

/// Path parameter `name` parsed by a domain type's `parse`.
pub fn param<T>(
    req: &Request,
    name: &str,
    parse: impl FnOnce(&str) -> Result<T, Invalid>,
) -> Result<T, ApiError> {
    let raw = req
        .path_parameters_ref()
        .and_then(|params| params.first(name))
        .ok_or_else(|| ApiError::internal(MissingPathParameter(name.to_owned())))?;
    parse(raw).map_err(|invalid| {
        ApiError::validation(
            Text::new(Msg::InvalidPathParameter).arg("name", name),
            vec![FieldError::from_invalid(name, invalid)],
        )
    })
}

/// Path parameter `name` as a MongoDB ObjectId (24 hex characters).
pub fn object_id(req: &Request, name: &str) -> Result<ObjectId, ApiError> {
    param(req, name, parse_object_id)
}

/// Path parameter `name` as text of 1 to `max_chars` characters without control characters
/// (`/movies/{id}/subtitles/{language}`), for the operation's own domain type to check
/// further. The cap keeps an absurd value out of logs and queries.
pub fn text(req: &Request, name: &str, max_chars: usize) -> Result<String, ApiError> {
    param(req, name, |raw| bounded_text(raw, max_chars))
}

fn bounded_text(raw: &str, max_chars: usize) -> Result<String, Invalid> {
    if raw.is_empty() {
        return Err(Msg::FieldRequired.into());
    }
    if raw.chars().count() > max_chars {
        return Err(Text::new(Msg::FieldMaxChars).arg("max", max_chars).into());
    }
    if raw.chars().any(char::is_control) {
        return Err(Msg::FieldControlChars.into());
    }
    Ok(raw.to_owned())
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;

    /// A request with these path parameters (`null`: none).
    fn request(path_parameters: Value) -> Request {
        super::super::proxy_event::request(path_parameters, &[])
    }

    #[test]
    fn an_object_id_is_parsed() {
        let req = request(json!({"id": "507f1f77bcf86cd799439011"}));
        assert_eq!(
            object_id(&req, "id").unwrap().to_hex(),
            "507f1f77bcf86cd799439011"
        );
    }

    #[test]
    fn a_malformed_id_is_a_400_naming_the_parameter() {
        for bad in [
            "123",
            "507f1f77bcf86cd79943901z",
            "507f1f77bcf86cd7994390111",
            "507F1F77BCF86CD79943901",
            "ñ07f1f77bcf86cd79943901",
            "{\"$gt\":\"\"}",
            "",
        ] {
            let req = request(json!({ "movieId": bad }));
            let err = object_id(&req, "movieId").unwrap_err();
            assert_eq!(err.status(), 400, "{bad:?}");
            assert_eq!(err.code(), "VALIDATION_ERROR");
            let body = err.body(crate::i18n::Lang::En);
            assert_eq!(body["details"][0]["field"], "movieId");
            assert_eq!(
                body["details"][0]["message"],
                "must be a 24-character hex id"
            );
            let body = err.body(crate::i18n::Lang::Es);
            assert_eq!(body["message"], "el parámetro de ruta movieId no es válido");
        }
    }

    #[test]
    fn upper_case_hex_is_an_id_too() {
        let req = request(json!({"id": "507F1F77BCF86CD799439011"}));
        assert_eq!(
            object_id(&req, "id").unwrap().to_hex(),
            "507f1f77bcf86cd799439011"
        );
    }

    #[test]
    fn a_missing_parameter_is_our_fault() {
        for params in [Value::Null, json!({"other": "507f1f77bcf86cd799439011"})] {
            let err = object_id(&request(params), "id").unwrap_err();
            assert_eq!(err.status(), 500);
            assert_eq!(err.code(), "INTERNAL");
            assert!(err.cause().unwrap().to_string().contains("\"id\""));
            assert!(!err
                .body(crate::i18n::Lang::En)
                .to_string()
                .contains("template"));
        }
    }

    #[test]
    fn text_is_bounded() {
        let req = request(json!({"language": "en-US", "long": "x".repeat(36), "nl": "e\nn"}));
        assert_eq!(text(&req, "language", 35).unwrap(), "en-US");
        assert_eq!(text(&req, "long", 36).unwrap().len(), 36);
        for name in ["long", "nl"] {
            let err = text(&req, name, 35).unwrap_err();
            assert_eq!(err.status(), 400);
            assert_eq!(err.body(crate::i18n::Lang::En)["details"][0]["field"], name);
        }
        assert_eq!(
            text(&request(Value::Null), "language", 35)
                .unwrap_err()
                .status(),
            500
        );
    }

    #[test]
    fn text_counts_characters() {
        let req = request(json!({"label": "ñññ"}));
        assert_eq!(text(&req, "label", 3).unwrap(), "ñññ");
        assert!(text(&req, "label", 2).is_err());
    }

    #[test]
    fn any_domain_type_can_read_a_parameter() {
        let req = request(json!({"n": "7"}));
        let n: u8 = param(&req, "n", |raw| {
            raw.parse().map_err(|_| Invalid::from(Msg::FieldInvalid))
        })
        .unwrap();
        assert_eq!(n, 7);
    }
}
