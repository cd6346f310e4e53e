//! Validated values that more than one service accepts from clients.
//!
//! Each type is parsed once, at the edge, and is valid by construction afterwards: a function
//! holding an `Email` never checks it again.

use std::fmt;

use bson::oid::ObjectId;
use serde::{Deserialize, Serialize};

use crate::i18n::{Msg, Text};

/// Why a value was rejected, phrased for the client: a catalogue message, rendered in the
/// reader's language when the answer is written (`Display` is English, for logs).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub Text);

impl From<Msg> for Invalid {
    fn from(msg: Msg) -> Self {
        Self(Text::new(msg))
    }
}

impl From<Text> for Invalid {
    fn from(text: Text) -> Self {
        Self(text)
    }
}

fn invalid<T>(message: impl Into<Text>) -> Result<T, Invalid> {
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
            return invalid(Msg::FieldRequired);
        }
        if email.chars().count() > 254 {
            return invalid(Text::new(Msg::FieldMaxChars).arg("max", 254));
        }
        let Some((local, domain)) = email.split_once('@') else {
            return invalid(Msg::FieldEmail);
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
            return invalid(Msg::FieldEmail);
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
/// `exe.jpg`), the zero-width characters (`U+200B`, `U+2060`, the BOM) and the fillers that
/// render as blank (Hangul fillers, the blank Braille pattern), which make two names that look
/// alike differ, or a name look empty. A name shown to other people must not carry them. The
/// zero-width joiner and non-joiner are among them, but [`reject_invisible`] lets them through
/// between two letters, where Persian, Kurdish, Urdu and Indic scripts need them to spell a name.
pub fn is_invisible_or_bidi(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'                  // soft hyphen
            | '\u{034F}'            // combining grapheme joiner
            | '\u{061C}'            // Arabic letter mark
            | '\u{115F}' | '\u{1160}' // Hangul choseong / jungseong fillers
            | '\u{17B4}' | '\u{17B5}' // Khmer inherent vowels (invisible)
            | '\u{180E}'            // Mongolian vowel separator (zero-width)
            | '\u{200B}'..='\u{200F}' // zero-width space, non-joiner, joiner; LRM, RLM
            | '\u{202A}'..='\u{202E}' // LRE, RLE, PDF, LRO, RLO
            | '\u{2060}'..='\u{206F}' // word joiner, invisible operators, isolates, deprecated
            | '\u{2800}'            // Braille pattern blank
            | '\u{3164}'            // Hangul filler
            | '\u{FEFF}'            // zero-width no-break space (BOM)
            | '\u{FFA0}'            // halfwidth Hangul filler
            | '\u{FFF9}'..='\u{FFFB}' // interlinear annotation
            | '\u{1D173}'..='\u{1D17A}' // musical formatting
            | '\u{E0000}'..='\u{E007F}' // tags
    )
}

/// The Indic viramas (a mark, not a letter) after which a joiner or non-joiner picks a
/// conjunct's form.
fn is_virama(c: char) -> bool {
    matches!(
        c,
        '\u{094D}'
            | '\u{09CD}'
            | '\u{0A4D}'
            | '\u{0ACD}'
            | '\u{0B4D}'
            | '\u{0BCD}'
            | '\u{0C4D}'
            | '\u{0CCD}'
            | '\u{0D4D}'
            | '\u{0DCA}'
    )
}

/// Refuses text carrying [`is_invisible_or_bidi`] characters, with the message every field
/// that checks it gives; a zero-width joiner or non-joiner between two letters is spelling.
pub fn reject_invisible(text: &str) -> Result<(), Invalid> {
    let chars: Vec<char> = text.chars().collect();
    let spelling = |i: usize| {
        matches!(chars[i], '\u{200C}' | '\u{200D}')
            && i > 0
            && (chars[i - 1].is_alphabetic() || is_virama(chars[i - 1]))
            && chars.get(i + 1).is_some_and(|c| c.is_alphabetic())
    };
    match (0..chars.len()).any(|i| is_invisible_or_bidi(chars[i]) && !spelling(i)) {
        true => invalid(Msg::FieldInvisibleChars),
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
            return invalid(Msg::FieldUsernameLength);
        }
        if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        {
            return invalid(Msg::FieldUsernameChars);
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
            return invalid(Msg::FieldPasswordLength);
        }
        let has = |f: fn(&char) -> bool| raw.chars().any(|c| f(&c));
        if !(has(char::is_ascii_lowercase) || has(|c| c.is_lowercase())) {
            return invalid(Msg::FieldPasswordLower);
        }
        if !(has(char::is_ascii_uppercase) || has(|c| c.is_uppercase())) {
            return invalid(Msg::FieldPasswordUpper);
        }
        if !has(char::is_ascii_digit) {
            return invalid(Msg::FieldPasswordDigit);
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
        return invalid(Msg::FieldObjectId);
    }
    ObjectId::parse_str(raw).or_else(|_| invalid(Msg::FieldObjectId))
}

/// The longest URL a client may store (a cover, an avatar): 2048 characters, what browsers and
/// CDNs reliably carry.
pub const MAX_URL_CHARS: usize = 2048;

/// A URL a client stores for others to load (a cover, an avatar): absolute, `https`, with a
/// host, at most [`MAX_URL_CHARS`]. Validated and stored, never fetched: the backend requests
/// no URL a client supplied, so there is nothing to forge a request to.
pub fn parse_https_url(raw: &str) -> Result<String, Invalid> {
    let raw = raw.trim();
    if raw.chars().count() > MAX_URL_CHARS {
        return invalid(Text::new(Msg::FieldMaxChars).arg("max", MAX_URL_CHARS));
    }
    // Stored normalised (percent-encoded, a root path added): it may be longer than what was
    // sent, by at most what encoding adds (the limit is the contract's, on what a client
    // sends: a check after normalising would refuse some valid 2048-character inputs).
    match url::Url::parse(raw) {
        Ok(url) if url.scheme() == "https" && url.host_str().is_some() => Ok(url.to_string()),
        _ => invalid(Msg::FieldHttpsUrl),
    }
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
    fn urls_a_client_stores_are_https_with_a_host() {
        assert_eq!(
            parse_https_url(" https://img.example.com/a.jpg ").unwrap(),
            "https://img.example.com/a.jpg"
        );
        for bad in [
            "http://img.example.com/a.jpg",
            "javascript:alert(1)",
            "not a url",
            "https://",
            "https:",
        ] {
            assert_eq!(
                parse_https_url(bad).unwrap_err().0.msg(),
                Msg::FieldHttpsUrl,
                "{bad:?}"
            );
        }
        let longest = format!("https://e.com/{}", "a".repeat(MAX_URL_CHARS - 14));
        assert_eq!(parse_https_url(&longest).unwrap(), longest);
        assert_eq!(
            parse_https_url(&format!("{longest}a")).unwrap_err().0.msg(),
            Msg::FieldMaxChars
        );
        // The limit is on what is sent: a host-only URL of 2048 characters is accepted, though
        // stored with its root path added.
        let host = format!("https://{}.com", "a".repeat(MAX_URL_CHARS - 12));
        assert_eq!(parse_https_url(&host).unwrap(), format!("{host}/"));
    }

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
            assert_eq!(err.0.msg(), Msg::FieldInvisibleChars, "{bad:?}: {err}");
            assert!(reject_invisible(bad).is_err());
        }
        assert!(reject_invisible("Ana María Núñez").is_ok());
        // Blank-looking fillers and a joiner that joins nothing.
        for bad in [
            "\u{3164}",
            "a\u{2800}",
            "\u{200C}مهرناز",
            "ana\u{00AD}",
            "x\u{E0041}",
        ] {
            assert!(reject_invisible(bad).is_err(), "{bad:?}");
        }
        // A zero-width non-joiner between two letters spells a Persian name.
        assert!(reject_invisible("مهر\u{200C}ناز").is_ok());
        // After a virama, a joiner picks the conjunct's form (Devanagari).
        assert!(reject_invisible("क्\u{200D}ष").is_ok());
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
