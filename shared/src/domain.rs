//! Validated values that more than one service accepts from clients.
//!
//! Each type is parsed once, at the edge, and is valid by construction afterwards: a function
//! holding an `Email` never checks it again.

use std::fmt;

use bson::oid::ObjectId;
use serde::{Deserialize, Serialize};

/// Why a value was rejected, phrased for the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

fn invalid<T>(message: impl Into<String>) -> Result<T, Invalid> {
    Err(Invalid(message.into()))
}

/// A normalised (trimmed, lower-cased) email address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// Accepts the common `local@domain.tld` shape; the mailbox itself is proven only by
    /// delivering mail to it.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let email = raw.trim().to_lowercase();
        if email.is_empty() {
            return invalid("is required");
        }
        if email.chars().count() > 254 {
            return invalid("must be at most 254 characters");
        }
        let Some((local, domain)) = email.split_once('@') else {
            return invalid("must be a valid email address");
        };
        let well_formed = !local.is_empty()
            && local.len() <= 64
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && email
                .chars()
                .all(|c| !c.is_whitespace() && !c.is_control() && !"<>()[]\\,;:\"".contains(c));
        if !well_formed {
            return invalid("must be a valid email address");
        }
        Ok(Self(email))
    }

    /// The address as stored and compared.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether `c` is a character that changes how text is displayed without being seen: the
/// bidirectional overrides, embeddings, isolates and marks (`U+202E` shows `gpj.exe` as
/// `exe.jpg`) and the zero-width characters (`U+200B`, joiners, `U+2060`, the BOM), which make
/// two names that look alike differ. A name shown to other people must not carry them.
pub fn is_invisible_or_bidi(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'                  // Arabic letter mark
            | '\u{180E}'            // Mongolian vowel separator (zero-width)
            | '\u{200B}'..='\u{200F}' // zero-width space, non-joiner, joiner; LRM, RLM
            | '\u{202A}'..='\u{202E}' // LRE, RLE, PDF, LRO, RLO
            | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
            | '\u{2066}'..='\u{2069}' // LRI, RLI, FSI, PDI
            | '\u{FEFF}' // zero-width no-break space (BOM)
    )
}

/// Refuses text carrying [`is_invisible_or_bidi`] characters, with the message every field
/// that checks it gives.
pub fn reject_invisible(text: &str) -> Result<(), Invalid> {
    match text.chars().any(is_invisible_or_bidi) {
        true => invalid("must not contain invisible or bidirectional-control characters"),
        false => Ok(()),
    }
}

/// A public handle: 3-30 characters of `[A-Za-z0-9_.-]`, unique case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Username(String);

impl Username {
    /// Parses a username as the contract defines it.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let name = raw.trim();
        // Named on its own, so a client learns why a handle that looks valid is refused.
        reject_invisible(name)?;
        let len = name.chars().count();
        if !(3..=30).contains(&len) {
            return invalid("must be 3-30 characters");
        }
        if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        {
            return invalid("may contain only letters, digits, '_', '.' and '-'");
        }
        Ok(Self(name.to_owned()))
    }

    /// The name as the user chose it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form uniqueness is checked on, so `Ana` and `ana` cannot both exist.
    pub fn canonical(&self) -> String {
        self.0.to_lowercase()
    }
}

/// A new password that meets the policy. Never printed, never serialized.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// 8-128 characters with at least one lower-case letter, one upper-case letter and a digit.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let len = raw.chars().count();
        if !(8..=128).contains(&len) {
            return invalid("must be 8-128 characters");
        }
        let has = |f: fn(&char) -> bool| raw.chars().any(|c| f(&c));
        if !(has(char::is_ascii_lowercase) || has(|c| c.is_lowercase())) {
            return invalid("must contain a lower-case letter");
        }
        if !(has(char::is_ascii_uppercase) || has(|c| c.is_uppercase())) {
            return invalid("must contain an upper-case letter");
        }
        if !has(char::is_ascii_digit) {
            return invalid("must contain a digit");
        }
        Ok(Self(raw.to_owned()))
    }

    /// The clear text, for hashing only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// Parses a MongoDB ObjectId from a path or body value: 24 hex characters.
pub fn parse_object_id(raw: &str) -> Result<ObjectId, Invalid> {
    if raw.len() != 24 {
        return invalid("must be a 24-character hex id");
    }
    ObjectId::parse_str(raw).or_else(|_| invalid("must be a 24-character hex id"))
}

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// An ordinary account.
    User,
    /// May manage the catalog and moderate.
    Admin,
}

impl Role {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "user" => Ok(Role::User),
            "admin" => Ok(Role::Admin),
            _ => Err(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse("  Ana@Example.COM ").unwrap().as_str(),
            "ana@example.com"
        );
        for bad in [
            "",
            "ana",
            "ana@",
            "@x.com",
            "ana@x",
            "a b@x.com",
            "ana@x..com",
            "a@b@c.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn usernames_follow_the_contract() {
        assert!(Username::parse("ana_m.r-1").is_ok());
        assert_eq!(Username::parse("AnaM").unwrap().canonical(), "anam");
        for bad in ["ab", &"a".repeat(31), "ana m", "ana$", "añá"] {
            assert!(Username::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn invisible_and_bidi_characters_are_refused_by_name() {
        for bad in [
            "ana\u{202E}gpj",
            "a\u{200B}na",
            "\u{2066}ana\u{2069}",
            "ana\u{200D}",
            "\u{FEFF}ana",
        ] {
            let err = Username::parse(bad).unwrap_err();
            assert!(err.0.contains("invisible"), "{bad:?}: {err}");
            assert!(reject_invisible(bad).is_err());
        }
        assert!(reject_invisible("Ana María Núñez").is_ok());
    }

    #[test]
    fn password_policy() {
        assert!(Password::parse("Secret123").is_ok());
        for bad in [
            "Short1",
            "alllower123",
            "ALLUPPER123",
            "NoDigitsHere",
            &"Aa1".repeat(43),
        ] {
            assert!(Password::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(
            format!("{:?}", Password::parse("Secret123").unwrap()),
            "Password(<redacted>)"
        );
    }

    #[test]
    fn object_ids() {
        assert!(parse_object_id("507f1f77bcf86cd799439011").is_ok());
        assert!(parse_object_id("507f1f77bcf86cd79943901z").is_err());
        assert!(parse_object_id("123").is_err());
    }
}
