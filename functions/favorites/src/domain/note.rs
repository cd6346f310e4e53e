//! A favorite's note: the user's own words about a movie, read by no one else.

use streamia_shared::domain::Invalid;
use streamia_shared::i18n::{Msg, Text};

/// The contract's limit on a note, in characters (Unicode scalar values, not bytes).
pub const MAX_NOTE_CHARS: usize = 500;

/// A note: trimmed (leading and trailing blanks are layout, not words), at most
/// [`MAX_NOTE_CHARS`] after trimming, line breaks and tabs allowed, other control characters
/// refused (they render as nothing or garble a page). A blank note is no note: `None`, stored
/// as `null`, so "" and null mean the same and a list shows no empty notes.
pub fn parse_note(raw: &str) -> Result<Option<String>, Invalid> {
    let note = raw.trim();
    if note.is_empty() {
        return Ok(None);
    }
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(Text::new(Msg::FieldMaxChars)
            .arg("max", MAX_NOTE_CHARS)
            .into());
    }
    let allowed = |c: char| matches!(c, '\n' | '\r' | '\t');
    if note.chars().any(|c| c.is_control() && !allowed(c)) {
        return Err(Msg::FieldControlChars.into());
    }
    Ok(Some(note.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_are_trimmed_bounded_and_blank_is_none() {
        assert_eq!(parse_note("  great \n").unwrap().unwrap(), "great");
        assert_eq!(parse_note("   ").unwrap(), None);
        assert_eq!(parse_note("a\nb\tc").unwrap().unwrap(), "a\nb\tc");
        assert!(parse_note(&"ñ".repeat(500)).is_ok());
        assert!(parse_note(&format!("  {}  ", "n".repeat(500))).is_ok());
        assert!(parse_note(&"n".repeat(501)).is_err());
        assert!(parse_note("bell\u{7}").is_err());
    }
}
