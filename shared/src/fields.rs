//! Turning an operation's raw input fields into domain values, reporting every rejected field
//! at once. No HTTP here: an operation's `parse` uses it whichever adapter called it (an HTTP
//! route, an SQS consumer, a test); the HTTP layer maps [`FieldErrors`] to a 400 with `details`.
//!
//! Each field is checked on its own into a [`Checked`] value; [`all`] then either yields every
//! value or every problem. Because the values come out of `all` only when all of them parsed,
//! an operation's command is built without `Option`s, and no "cannot happen" branch follows
//! the validation.
//!
//! ```
//! use streamia_shared::domain::{Email, Password};
//! use streamia_shared::fields::{self, FieldErrors};
//!
//! fn parse(email: Option<String>, password: Option<String>) -> Result<(Email, Password), FieldErrors> {
//!     fields::all((
//!         fields::parse("email", email, Email::parse),
//!         fields::parse("password", password, Password::parse),
//!     ))
//! }
//! assert_eq!(parse(None, Some("x".into())).unwrap_err().0.len(), 2);
//! ```

use serde::de::Deserializer;
use serde::Deserialize;

use crate::domain::Invalid;
use crate::i18n::{Msg, Text};

/// One rejected field, as listed in the envelope's `details`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's name in the request (camelCase, dotted for nested fields): never
    /// translated, a client matches it to its form field.
    pub field: String,
    /// Why it was rejected, rendered in the reader's language with the answer.
    pub message: Text,
}

impl FieldError {
    /// A rejected field.
    pub fn new(field: impl Into<String>, message: impl Into<Text>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }

    /// A field rejected by a domain type's `parse`.
    pub fn from_invalid(field: &str, invalid: Invalid) -> Self {
        Self::new(field, invalid.0)
    }
}

/// A field of a partial update: absent (leave it), `null` (clear it) or a new value.
///
/// Use with `#[serde(default)]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Patch<T> {
    /// Not in the body: unchanged.
    #[default]
    Absent,
    /// Explicit `null`: cleared.
    Null,
    /// A new value.
    Value(T),
}

impl<T> Patch<T> {
    /// Whether the client mentioned the field at all.
    pub fn is_present(&self) -> bool {
        !matches!(self, Patch::Absent)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize(deserializer)? {
            Some(value) => Patch::Value(value),
            None => Patch::Null,
        })
    }
}

/// One field's value, or why it was rejected.
pub type Checked<T> = Result<T, FieldError>;

/// Every rejected field of a request; answered as 400 VALIDATION_ERROR with `details`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid fields: {}", .0.iter().map(|f| f.field.as_str()).collect::<Vec<_>>().join(", "))]
pub struct FieldErrors(pub Vec<FieldError>);

/// A domain type's verdict on one field.
pub fn check<T>(field: &str, result: Result<T, Invalid>) -> Checked<T> {
    result.map_err(|invalid| FieldError::from_invalid(field, invalid))
}

/// A field that must be present.
pub fn required<T>(field: &str, value: Option<T>) -> Checked<T> {
    value.ok_or_else(|| FieldError::new(field, Msg::FieldRequired))
}

/// A required text field parsed by a domain type.
pub fn parse<T>(
    field: &str,
    value: Option<String>,
    parse: impl FnOnce(&str) -> Result<T, Invalid>,
) -> Checked<T> {
    check(field, parse(&required(field, value)?))
}

/// An optional field: absent stays `None`, present must parse.
pub fn optional<T, U>(
    field: &str,
    value: Option<T>,
    parse: impl FnOnce(T) -> Result<U, Invalid>,
) -> Checked<Option<U>> {
    value.map(|v| check(field, parse(v))).transpose()
}

/// A field of a partial update: absent and `null` pass through, a value must parse.
pub fn patch<T, U>(
    field: &str,
    value: Patch<T>,
    parse: impl FnOnce(T) -> Result<U, Invalid>,
) -> Checked<Patch<U>> {
    match value {
        Patch::Absent => Ok(Patch::Absent),
        Patch::Null => Ok(Patch::Null),
        Patch::Value(v) => check(field, parse(v)).map(Patch::Value),
    }
}

/// A tuple of checked fields (see [`all`]).
pub trait AllFields {
    /// The tuple of values when every field parsed.
    type Values;
    /// Every value, or every error.
    fn all(self) -> Result<Self::Values, FieldErrors>;
}

macro_rules! all_fields {
    ($($name:ident: $ty:ident),+) => {
        impl<$($ty),+> AllFields for ($(Checked<$ty>,)+) {
            type Values = ($($ty,)+);
            fn all(self) -> Result<Self::Values, FieldErrors> {
                let ($($name,)+) = self;
                let mut errors = Vec::new();
                $(if let Err(e) = &$name { errors.push(e.clone()); })+
                match ($($name,)+) {
                    ($(Ok($name),)+) => Ok(($($name,)+)),
                    _ => Err(FieldErrors(errors)),
                }
            }
        }
    };
}

all_fields!(a: A);
all_fields!(a: A, b: B);
all_fields!(a: A, b: B, c: C);
all_fields!(a: A, b: B, c: C, d: D);
all_fields!(a: A, b: B, c: C, d: D, e: E);
all_fields!(a: A, b: B, c: C, d: D, e: E, f: F);
all_fields!(a: A, b: B, c: C, d: D, e: E, f: F, g: G);

/// Every field's value, or every field's problem: the one exit of a `parse`.
pub fn all<F: AllFields>(fields: F) -> Result<F::Values, FieldErrors> {
    fields.all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Email, Password};

    #[test]
    fn collects_every_error_in_field_order() {
        let err = all((
            parse("email", Some("nope".into()), Email::parse),
            required::<String>("password", None),
            optional("age", Some(5), |a: i64| {
                if a >= 13 {
                    Ok(a)
                } else {
                    Err(Invalid::from(Msg::FieldAgeRange))
                }
            }),
        ))
        .unwrap_err();
        let fields: Vec<&str> = err.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["email", "password", "age"]);
        assert_eq!(err.0[1].message, Text::new(Msg::FieldRequired));
        assert_eq!(err.0[0].field, "email");
    }

    #[test]
    fn yields_values_when_all_parse() {
        let (email, password, nick, clear) = all((
            parse("email", Some(" A@B.co ".into()), Email::parse),
            parse("password", Some("Secret123".into()), Password::parse),
            optional("nick", None::<String>, Ok::<_, Invalid>),
            patch("avatar", Patch::<String>::Null, Ok::<_, Invalid>),
        ))
        .unwrap();
        assert_eq!(email.as_str(), "a@b.co");
        assert_eq!(password.expose(), "Secret123");
        assert_eq!(nick, None);
        assert_eq!(clear, Patch::Null);
    }
}
