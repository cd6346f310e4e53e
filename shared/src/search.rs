//! A client's search text, taken literally: the contract's `search` is a case-insensitive
//! substring, "no pattern syntax", and MongoDB only offers substring matching through
//! `$regex`, whose engine (PCRE) would otherwise read `.*`, `(` or `^` as a pattern, or fail
//! on them.
//!
//! [`SearchTerm::regex`] escapes the term so that every character of it is a literal under
//! PCRE's rules, whatever options the pattern runs with:
//!
//! - a backslash followed by a character that is not an ASCII letter or digit is always that
//!   character, literally (PCRE2 pattern syntax, "Escaping characters"; in UTF mode, which
//!   MongoDB uses, this holds for every character above 127 too);
//! - so every character that is not a letter or digit is escaped: all of `\ ^ $ . | ? * + ( )
//!   [ ] { }`, the `-` `/` `#` that matter in classes, delimiters or the `x` flag, space and
//!   the other white space the `x` flag would drop, and any other symbol;
//! - letters and digits stay bare, because escaping them makes them special (`\d`, `\w`,
//!   `\p`, `\1`, `\Q`...). Unescaped, a letter or digit is never special.
//!
//! `\Q...\E` quoting is not used: a term containing `\E` would end it early.

use std::fmt;

use bson::{doc, Document};

use crate::domain::Invalid;
use crate::i18n::{Msg, Text};

/// The most characters (not bytes) a search term may have, after trimming.
pub const MAX_SEARCH_CHARS: usize = 100;

/// Trimmed search text, 1 to [`MAX_SEARCH_CHARS`] characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchTerm(String);

impl SearchTerm {
    /// Trims `raw`; nothing left means no search (`None`), as if the parameter were absent.
    /// Longer than [`MAX_SEARCH_CHARS`] characters, or holding a control character (a line
    /// break, NUL, ...), is refused.
    pub fn parse(raw: &str) -> Result<Option<Self>, Invalid> {
        let term = raw.trim();
        if term.is_empty() {
            return Ok(None);
        }
        if term.chars().count() > MAX_SEARCH_CHARS {
            return Err(Text::new(Msg::FieldMaxChars)
                .arg("max", MAX_SEARCH_CHARS)
                .into());
        }
        if term.chars().any(char::is_control) {
            return Err(Msg::FieldControlChars.into());
        }
        Ok(Some(Self(term.to_owned())))
    }

    /// The term as the client typed it, trimmed.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A PCRE pattern matching exactly this text anywhere (see the module's notes), for
    /// `$regex` with `$options: "i"`.
    pub fn regex(&self) -> String {
        let mut pattern = String::with_capacity(self.0.len() * 2);
        for c in self.0.chars() {
            if !c.is_alphanumeric() {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        pattern
    }

    /// The filter matching documents whose `field` contains the term, case-insensitively:
    /// `{field: {$regex: <escaped>, $options: "i"}}`.
    pub fn filter(&self, field: &str) -> Document {
        doc! { field: { "$regex": self.regex(), "$options": "i" } }
    }
}

impl fmt::Display for SearchTerm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(raw: &str) -> SearchTerm {
        SearchTerm::parse(raw).unwrap().unwrap()
    }

    /// Reads `pattern` by PCRE's rules for literals, refusing anything that is not one: a
    /// bare metacharacter (or white space and `#`, which the `x` flag would drop), a
    /// backslash before a letter or digit (a class or back reference), a trailing
    /// backslash. What comes back is the text the pattern matches.
    fn pcre_literal(pattern: &str) -> Result<String, String> {
        const META: &str = "\\^$.|?*+()[]{}";
        let mut text = String::new();
        let mut chars = pattern.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some(e) if e.is_ascii_alphanumeric() => {
                        return Err(format!("\\{e} is special"))
                    }
                    Some(e) => text.push(e),
                    None => return Err("trailing backslash".into()),
                }
            } else if META.contains(c) || c == '#' || c == '-' || c == '/' {
                return Err(format!("bare {c:?}"));
            } else if c.is_whitespace() || matches!(c, '\u{200e}' | '\u{200f}') {
                return Err(format!("bare white space {c:?} (dropped under x)"));
            } else {
                text.push(c);
            }
        }
        Ok(text)
    }

    #[test]
    fn trimmed_and_empty_is_no_search() {
        assert_eq!(SearchTerm::parse(""), Ok(None));
        assert_eq!(SearchTerm::parse("  \t "), Ok(None));
        assert_eq!(term("  the matrix ").as_str(), "the matrix");
        assert_eq!(term(" ana ").to_string(), "ana");
    }

    #[test]
    fn at_most_100_characters_counted_as_characters() {
        assert!(SearchTerm::parse(&"a".repeat(100)).unwrap().is_some());
        assert!(SearchTerm::parse(&"a".repeat(101)).is_err());
        // 100 two-byte letters: 200 bytes, 100 characters.
        let spanish = "ñ".repeat(100);
        assert_eq!(spanish.len(), 200);
        assert_eq!(term(&spanish).as_str(), spanish);
        assert!(SearchTerm::parse(&"ñ".repeat(101)).is_err());
        // Trimmed before counting.
        assert!(SearchTerm::parse(&format!("  {}  ", "a".repeat(100)))
            .unwrap()
            .is_some());
        assert_eq!(
            SearchTerm::parse(&"a".repeat(101)).unwrap_err().to_string(),
            "must be at most 100 characters"
        );
    }

    #[test]
    fn control_characters_are_refused() {
        for bad in ["a\nb", "a\0b", "a\u{7f}b", "a\u{85}b", "a\rb", "a\tb"] {
            assert!(SearchTerm::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn every_metacharacter_is_escaped() {
        assert_eq!(term("a.b").regex(), r"a\.b");
        assert_eq!(term("(").regex(), r"\(");
        assert_eq!(term("^ana$").regex(), r"\^ana\$");
        assert_eq!(
            term(r".*+?()[]{}|^$\/-#").regex(),
            r"\.\*\+\?\(\)\[\]\{\}\|\^\$\\\/\-\#"
        );
        assert_eq!(term("star wars").regex(), r"star\ wars");
        assert_eq!(term("año 2001").regex(), r"año\ 2001");
        assert_eq!(term("a_b").regex(), r"a\_b");
    }

    #[test]
    fn every_pattern_reads_back_as_the_literal_term() {
        // Every printable ASCII character (95 of them), then the rest of the world.
        let all_ascii: String = (0x20u8..0x7f).map(char::from).collect();
        let beyond = "ñ É 東京 € 🎬 \u{2028} \u{200e} \u{a0} e\u{301} ٣ \\E \\Q";
        for raw in [
            "a.b",
            "(",
            "^ana$",
            "Amélie",
            "東京物語",
            r"\d+",
            r"\Qa\E.",
            "(?i)x",
            "a#b c",
            "x{1,3}",
            "[^a-z]",
            all_ascii.trim(),
            beyond,
        ] {
            let term = term(raw);
            assert_eq!(
                pcre_literal(&term.regex()).as_deref(),
                Ok(term.as_str()),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn the_reader_catches_what_escaping_prevents() {
        // The test's own reader is strict enough to notice an unescaped pattern.
        assert!(pcre_literal("a.b").is_err());
        assert!(pcre_literal(r"\d").is_err());
        assert!(pcre_literal("a b").is_err());
        assert!(pcre_literal("\\").is_err());
        assert_eq!(pcre_literal(r"a\.b").as_deref(), Ok("a.b"));
    }

    /// `a.b` must not match `axb`: the escaped dot is the only thing between `a` and `b`.
    #[test]
    fn a_dot_is_a_dot() {
        let pattern = term("a.b").regex();
        assert_eq!(pcre_literal(&pattern).as_deref(), Ok("a.b"));
        assert!(!"axb".contains(pcre_literal(&pattern).unwrap().as_str()));
    }

    #[test]
    fn the_filter_is_a_case_insensitive_regex_on_the_field() {
        assert_eq!(
            term("a.b").filter("title"),
            doc! { "title": { "$regex": r"a\.b", "$options": "i" } }
        );
    }
}
