//! The languages people read Streamia in, and the choice of one from a request's
//! `Accept-Language` (RFC 9110, section 12.5.4).
//!
//! The choice never fails: a header that is absent, malformed or names nothing we speak gives
//! the default, English. Each entry is a language range with an optional quality value
//! (`es-CO;q=0.8`); a range matches a language we speak by its primary subtag (`es-CO` and
//! `es-419` are served `es`, RFC 4647's lookup falling back to the primary language), `*`
//! matches any, and `q=0` means "not acceptable": a language so refused is never chosen while
//! another one is acceptable.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::Invalid;
use crate::i18n::Msg;

/// A language Streamia speaks: its messages, emails and a user's preference.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// English: the default when a request or a record says nothing.
    #[default]
    En,
    /// Spanish.
    Es,
}

/// The most entries of one `Accept-Language` looked at: browsers send a handful; a longer list
/// is cut rather than parsed without bound.
const MAX_RANGES: usize = 32;

impl Lang {
    /// Every language, in the order a tie between equally wanted ones is broken (the default
    /// first).
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Es];

    /// The code on the wire (`Content-Language`, a user's `language`, events).
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
        }
    }

    /// A client's `language` field: exactly `es` or `en` (the contract's values).
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        match raw {
            "en" => Ok(Lang::En),
            "es" => Ok(Lang::Es),
            _ => Err(Invalid::from(Msg::FieldLanguage)),
        }
    }

    /// The language to answer a request whose `Accept-Language` values are `headers` (every
    /// occurrence of the header, in order; none: English).
    pub fn negotiate<'a>(headers: impl IntoIterator<Item = &'a str>) -> Self {
        let mut best: Option<Choice> = None;
        let mut refused = [false; Lang::ALL.len()];
        let mut wildcard: Option<(u16, usize)> = None;
        let mut specific: [Option<(u16, usize)>; Lang::ALL.len()] = [None; Lang::ALL.len()];
        let ranges = headers
            .into_iter()
            .flat_map(|h| h.split(','))
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .take(MAX_RANGES)
            .enumerate();
        for (position, entry) in ranges {
            let Some((range, quality)) = parse_entry(entry) else {
                continue;
            };
            if range == "*" {
                wildcard = wildcard.or(Some((quality, position)));
                continue;
            }
            let primary = range.split('-').next().unwrap_or_default();
            if let Some(i) = Lang::ALL
                .iter()
                .position(|l| primary.eq_ignore_ascii_case(l.as_str()))
            {
                // The most wanted of a language's ranges counts (`es-CO;q=0.9, es;q=0.5`: 0.9),
                // at the place it was first named.
                specific[i] = Some(match specific[i] {
                    Some((q, p)) => (q.max(quality), p),
                    None => (quality, position),
                });
                refused[i] |= quality == 0;
            }
        }
        for (i, lang) in Lang::ALL.into_iter().enumerate() {
            // A language named for itself is judged by that; `*` covers only the unnamed.
            let (quality, position, named) = match (specific[i], wildcard) {
                (Some((q, p)), _) => (q, p, true),
                (None, Some((q, p))) => (q, p, false),
                (None, None) => continue,
            };
            if quality == 0 {
                refused[i] = true;
                continue;
            }
            let choice = Choice {
                lang,
                quality,
                named,
                position,
            };
            if best.as_ref().is_none_or(|b| choice.beats(b)) {
                best = Some(choice);
            }
        }
        match best {
            Some(choice) => choice.lang,
            // Nothing acceptable named: the default, unless the client refused it outright.
            None => Lang::ALL
                .into_iter()
                .enumerate()
                .find(|(i, _)| !refused[*i])
                .map_or(Lang::default(), |(_, l)| l),
        }
    }
}

/// A language the header accepts, and how much.
struct Choice {
    lang: Lang,
    /// Quality in thousandths (RFC 9110 allows three decimals).
    quality: u16,
    /// Named for itself rather than through `*`.
    named: bool,
    /// Where in the header it was named.
    position: usize,
}

impl Choice {
    /// Higher quality wins; then a language named for itself over `*`; then the one named
    /// first (`es, en`: Spanish).
    fn beats(&self, other: &Choice) -> bool {
        (self.quality, self.named, std::cmp::Reverse(self.position))
            > (
                other.quality,
                other.named,
                std::cmp::Reverse(other.position),
            )
    }
}

/// `es-CO;q=0.8` -> (`es-CO`, 800); `None` for an entry that is not a language range with a
/// valid quality (it is skipped, as RFC 9110 lets a recipient do).
fn parse_entry(entry: &str) -> Option<(&str, u16)> {
    let mut parts = entry.split(';').map(str::trim);
    let range = parts.next()?;
    if !is_language_range(range) {
        return None;
    }
    let mut quality = 1000;
    for param in parts {
        let (name, value) = param.split_once('=')?;
        if name.trim().eq_ignore_ascii_case("q") {
            quality = parse_quality(value.trim())?;
        }
    }
    Some((range, quality))
}

/// `*`, or `1*8ALPHA *("-" 1*8alphanum)` (RFC 4647, section 2.1).
fn is_language_range(range: &str) -> bool {
    if range == "*" {
        return true;
    }
    let mut subtags = range.split('-');
    let primary_ok = subtags
        .next()
        .is_some_and(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphabetic()));
    primary_ok
        && subtags
            .all(|s| (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`, in thousandths.
fn parse_quality(raw: &str) -> Option<u16> {
    let (whole, fraction) = raw.split_once('.').unwrap_or((raw, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths: u16 = format!("{fraction:0<3}").parse().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick(header: &str) -> Lang {
        Lang::negotiate([header])
    }

    #[test]
    fn the_issues_cases() {
        assert_eq!(pick("es"), Lang::Es);
        assert_eq!(pick("es-CO"), Lang::Es);
        assert_eq!(pick("en-US;q=0.9, es;q=0.8"), Lang::En);
        assert_eq!(pick("fr"), Lang::En, "unknown language: the default");
        assert_eq!(Lang::negotiate([]), Lang::En, "no header: the default");
    }

    #[test]
    fn quality_values_decide() {
        assert_eq!(pick("en;q=0.5, es"), Lang::Es);
        assert_eq!(pick("fr-FR, fr;q=0.9, es;q=0.7, en;q=0.6"), Lang::Es);
        assert_eq!(pick("es-CO;q=0.9, es;q=0.1, en;q=0.5"), Lang::Es);
        assert_eq!(pick("ES-mx"), Lang::Es, "case-insensitive");
        assert_eq!(pick("es-419"), Lang::Es);
        assert_eq!(
            pick("es;q=1.000, en;q=1"),
            Lang::Es,
            "a tie goes to the first"
        );
        assert_eq!(pick("en, es"), Lang::En);
        assert_eq!(pick("es;q=0.001"), Lang::Es);
    }

    #[test]
    fn q_zero_is_not_acceptable() {
        assert_eq!(pick("es;q=0"), Lang::En);
        assert_eq!(
            pick("en;q=0"),
            Lang::Es,
            "English refused, Spanish never was"
        );
        assert_eq!(
            pick("en;q=0, es;q=0"),
            Lang::En,
            "both refused: the default"
        );
        assert_eq!(pick("*, en;q=0"), Lang::Es);
        assert_eq!(pick("*;q=0, es;q=0.2"), Lang::Es);
        assert_eq!(pick("es;q=0.0, en;q=0.1"), Lang::En);
    }

    #[test]
    fn the_wildcard_covers_only_what_is_not_named() {
        assert_eq!(pick("*"), Lang::En);
        assert_eq!(pick("*, es"), Lang::Es, "named beats the wildcard");
        assert_eq!(pick("fr, *;q=0.5"), Lang::En);
        assert_eq!(pick("es;q=0.3, *;q=0.5"), Lang::En);
    }

    #[test]
    fn malformed_entries_are_skipped_never_an_error() {
        for header in [
            "",
            ",,,",
            "es;q=2",
            "es;q=abc",
            "es;q=0.1234",
            "e$",
            "toolongtag-x",
            "es;;",
            "es;q",
            ";q=1",
            "\u{fffd}",
            "es-",
            "-es",
        ] {
            assert_eq!(pick(header), Lang::En, "{header:?}");
        }
        assert_eq!(
            pick("es;q=2, es-CO;q=0.5"),
            Lang::Es,
            "the valid entry counts"
        );
        assert_eq!(pick("es; q = 0.5 , xx"), Lang::Es);
        assert_eq!(pick(&"fr, ".repeat(100)), Lang::En);
    }

    #[test]
    fn several_headers_are_one_list() {
        assert_eq!(Lang::negotiate(["fr", "es;q=0.5"]), Lang::Es);
        assert_eq!(Lang::negotiate(["en;q=0.1", "es;q=0.5"]), Lang::Es);
    }

    #[test]
    fn the_language_field_takes_exactly_the_codes() {
        assert_eq!(Lang::parse("es"), Ok(Lang::Es));
        assert_eq!(Lang::parse("en"), Ok(Lang::En));
        for bad in ["ES", "es-CO", "fr", "", " es"] {
            assert!(Lang::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(serde_json::to_string(&Lang::Es).unwrap(), "\"es\"");
        assert_eq!(
            serde_json::from_str::<Lang>("\"en\"").unwrap(),
            Lang::default()
        );
    }
}
