//! JSON request bodies: bounded, typed, and rejected with a field-level 400 instead of a 500.

use lambda_http::{Body, Request};
use serde::de::DeserializeOwned;

use super::ApiError;
use crate::fields::FieldError;
use crate::i18n::{Msg, Text};

/// Parses the body as JSON into `T`.
///
/// Oversize bodies are 413; a missing or malformed body, a wrong content type, a wrong type
/// in any field (including Mongo operators such as `{"$gt": ""}` where a string belongs) or an
/// unknown field is a 400 naming the field. Request types are plain data with
/// `deny_unknown_fields`; domain rules are checked afterwards by the domain types. serde's own
/// English sentences never reach the client: each failure is told with a catalogue message
/// (see [`field_message`]), in the reader's language.
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
            return Err(ApiError::validation(Msg::ContentTypeJson, Vec::new()));
        }
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::validation(Msg::BodyRequired, Vec::new()));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let parsed: Result<T, _> = serde_path_to_error::deserialize(&mut de);
    if parsed.is_ok() {
        de.end().map_err(|e| malformed(&e))?;
    }
    parsed.map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return malformed(&inner);
        }
        let message = strip_position(&inner.to_string());
        let field = if path == "." || path.is_empty() {
            missing_field_name(&message).unwrap_or_default()
        } else {
            path
        };
        if field.is_empty() || field.starts_with('[') {
            // The whole body is of the wrong shape (`"x"`, `5` where an object belongs; an
            // array, which serde would read as the struct's fields in order).
            let shape = ["invalid type:", "invalid length"]
                .iter()
                .any(|p| message.starts_with(p));
            let msg = match shape || field.starts_with('[') {
                true => Msg::BodyNotObject,
                false => Msg::InvalidBody,
            };
            ApiError::validation(msg, Vec::new())
        } else {
            ApiError::validation(
                Msg::InvalidBody,
                vec![FieldError::new(field, field_message(&message))],
            )
        }
    })
}

/// 400 for JSON that does not parse, saying where (serde_json counts from 1).
fn malformed(err: &serde_json::Error) -> ApiError {
    ApiError::validation(
        Text::new(Msg::MalformedJson)
            .arg("line", err.line())
            .arg("column", err.column()),
        Vec::new(),
    )
}

/// What serde said about one field, as a catalogue message: serde's sentences are English and
/// quote the value; these are neither. The forms are serde's `de::Error` messages
/// (`missing field`, `unknown field`, `duplicate field`, `invalid type: .., expected ..`,
/// `unknown variant .., expected ..`); anything else is "is not valid".
fn field_message(serde: &str) -> Text {
    if serde.starts_with("missing field") {
        return Msg::FieldRequired.into();
    }
    if serde.starts_with("unknown field") {
        return Msg::FieldUnknown.into();
    }
    if serde.starts_with("duplicate field") {
        return Msg::FieldDuplicate.into();
    }
    if serde.starts_with("unknown variant") {
        let expected = serde.rsplit_once(", expected ").map_or("", |(_, e)| e);
        // The names between backticks are the code's (wire values), the same in every language.
        let values: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        return match values.is_empty() {
            true => Msg::FieldInvalid.into(),
            false => Text::new(Msg::FieldOneOf).arg("values", values.join(", ")),
        };
    }
    if let Some(rest) = serde.strip_prefix("invalid type: ") {
        let expected = rest.rsplit_once(", expected ").map_or("", |(_, e)| e);
        return expected_type(expected).into();
    }
    Msg::FieldInvalid.into()
}

/// The JSON type serde's `expected ..` describes (`a string`, `i64`, `a boolean`, ...).
fn expected_type(expected: &str) -> Msg {
    let integer = [
        "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "usize", "integer",
    ];
    match expected {
        e if e.contains("string") || e == "a character" => Msg::FieldMustBeString,
        e if integer
            .iter()
            .any(|i| e == *i || e.ends_with(&format!(" {i}"))) =>
        {
            Msg::FieldMustBeInteger
        }
        "f32" | "f64" | "a number" => Msg::FieldMustBeNumber,
        "a boolean" => Msg::FieldMustBeBoolean,
        e if e.contains("sequence") || e.contains("tuple") => Msg::FieldMustBeArray,
        e if e.starts_with("struct") || e.contains("map") => Msg::FieldMustBeObject,
        _ => Msg::FieldWrongType,
    }
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
    use crate::i18n::Lang;
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

    fn err_in(body: &str, lang: Lang) -> serde_json::Value {
        parse_json::<Login>(&req(body, Some("application/json")), 1024)
            .unwrap_err()
            .body(lang)
    }

    fn err(body: &str) -> serde_json::Value {
        err_in(body, Lang::En)
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

    #[test]
    fn serde_never_speaks_to_the_client() {
        let body = err_in(r#"{"email": 5, "password": "x", "role": 1}"#, Lang::Es);
        assert_eq!(body["message"], "el cuerpo de la solicitud no es válido");
        assert_eq!(body["details"][0]["field"], "email");
        assert_eq!(body["details"][0]["message"], "debe ser un texto");
        let body = err(r#"{"email": "a", "password": "x", "role": 1}"#);
        assert_eq!(body["details"][0]["field"], "role");
        assert_eq!(
            body["details"][0]["message"],
            "is not a field of this request"
        );
        let body = err_in(r#"{"email": "a"}"#, Lang::Es);
        assert_eq!(body["details"][0]["message"], "es obligatorio");
        assert_eq!(
            err_in("{\n  \"email\": ", Lang::Es)["message"],
            "JSON mal formado en la línea 2, columna 11"
        );
        for not_an_object in ["[1]", "[]", "\"x\"", "5", "null"] {
            let body = err_in(not_an_object, Lang::En);
            assert_eq!(
                body["message"], "the request body must be a JSON object",
                "{not_an_object}"
            );
            assert!(body.get("details").is_none());
        }
        assert!(
            !err(r#"{"email": "<script>", "password": 7}"#)
                .to_string()
                .contains("7"),
            "no value is quoted back"
        );
    }

    #[test]
    fn serdes_forms_map_to_catalogue_messages() {
        let cases = [
            (
                "invalid type: integer `5`, expected a string",
                Msg::FieldMustBeString,
            ),
            (
                "invalid type: string \"x\", expected i64",
                Msg::FieldMustBeInteger,
            ),
            (
                "invalid type: floating point `1.5`, expected u32",
                Msg::FieldMustBeInteger,
            ),
            (
                "invalid type: string \"x\", expected a boolean",
                Msg::FieldMustBeBoolean,
            ),
            (
                "invalid type: string \"x\", expected a sequence",
                Msg::FieldMustBeArray,
            ),
            (
                "invalid type: string \"x\", expected struct Login",
                Msg::FieldMustBeObject,
            ),
            (
                "invalid type: string \"x\", expected f64",
                Msg::FieldMustBeNumber,
            ),
            (
                "invalid type: string \"x\", expected something odd",
                Msg::FieldWrongType,
            ),
            (
                "invalid value: integer `-5`, expected u32",
                Msg::FieldInvalid,
            ),
            ("duplicate field `email`", Msg::FieldDuplicate),
            ("a custom error", Msg::FieldInvalid),
        ];
        for (serde, msg) in cases {
            assert_eq!(field_message(serde), Text::new(msg), "{serde}");
        }
        assert_eq!(
            field_message("unknown variant `fr`, expected `es` or `en`"),
            Text::new(Msg::FieldOneOf).arg("values", "es, en")
        );
        assert_eq!(
            field_message("unknown variant `x`, expected one of `a`, `b`, `c`").render(Lang::Es),
            "debe ser uno de: a, b, c"
        );
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
