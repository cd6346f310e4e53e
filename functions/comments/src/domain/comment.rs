//! A comment: its stored document, its public view, and the rules of its text.

use bson::oid::ObjectId;
use bson::DateTime;
use serde::{Deserialize, Serialize};
use streamia_shared::domain::Invalid;
use streamia_shared::i18n::{Msg, Text};
use streamia_shared::time::rfc3339;

/// The longest comment, in characters (Unicode scalar values, not bytes) after trimming.
pub const MAX_TEXT_CHARS: usize = 500;

/// The longest reason a reporter may give, in characters.
pub const MAX_REASON_CHARS: usize = 200;

/// Where a comment stands with moderation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CommentStatus {
    /// In the movie's public list.
    Visible,
    /// Reported by enough distinct users since its last approval: out of the public list until
    /// an admin approves or hides it.
    Flagged,
    /// Hidden by an admin: out of the public list.
    Hidden,
}

impl CommentStatus {
    /// The stored and answered name.
    pub fn as_str(self) -> &'static str {
        match self {
            CommentStatus::Visible => "visible",
            CommentStatus::Flagged => "flagged",
            CommentStatus::Hidden => "hidden",
        }
    }
}

/// An admin's decision on a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModerationAction {
    /// Visible again, its count of reports since approval back to 0 (the reports themselves
    /// stay, so their authors cannot report the same text again).
    Approve,
    /// Out of the public list for good (until approved).
    Hide,
}

impl ModerationAction {
    /// `approve` or `hide`; anything else names the accepted values.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        match raw {
            "approve" => Ok(ModerationAction::Approve),
            "hide" => Ok(ModerationAction::Hide),
            _ => Err(Text::new(Msg::FieldOneOf)
                .arg("values", "approve, hide")
                .into()),
        }
    }
}

/// A comment as stored (`comments` collection).
///
/// A deleted comment keeps its document (`deleted: true`, text removed), so that its replies
/// still point at something and show it as deleted (see `CommentView::deleted`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Comment {
    /// Its id.
    #[serde(rename = "_id")]
    pub id: ObjectId,
    /// The movie it is about.
    pub movie_id: ObjectId,
    /// Its author.
    pub user_id: ObjectId,
    /// As written, trimmed; `None` once deleted.
    pub text: Option<String>,
    /// The comment it answers, if any (a comment of the same movie).
    pub parent_id: Option<ObjectId>,
    /// Moderation state.
    pub status: CommentStatus,
    /// Whether its author changed the text after posting it.
    pub edited: bool,
    /// Deleted by its author or an admin (the document stays for its replies).
    pub deleted: bool,
    /// Replies posted to it (counted, outside any transaction, just before each reply is
    /// inserted): a deleted comment stays in the public list, as deleted, once it has had any.
    pub reply_count: i64,
    /// In the public list's set: live, or deleted with replies. Stored (kept by create,
    /// delete and reply) so that the public list is one equality on an index, not an `$or`
    /// read comment by comment. Documents written before it existed get it from the setup
    /// step's backfill.
    #[serde(default)]
    pub listed: bool,
    /// Distinct reporters since its creation or last approval (a reporter of several text
    /// versions counts once); at [`crate::ops::report::FLAG_AT`] a visible comment becomes
    /// flagged.
    pub report_count: i64,
    /// Which text this is: 0 as posted, one more at each edit. A report names the version it
    /// was made on, so an edit lets earlier reporters report the new text.
    #[serde(default)]
    pub text_version: i64,
    /// How many times an admin approved it: a report names this round, so that "distinct
    /// reporters since the last approval" is exact across text versions.
    #[serde(default)]
    pub approvals: i64,
    /// How many times it has been flagged (each time [`Comment::report_count`] reached the
    /// threshold): what proves a flag happens once per threshold, even under concurrency.
    pub times_flagged: i64,
    /// When it was posted.
    pub created_at: DateTime,
    /// Its last change (text, deletion, report threshold, moderation).
    pub updated_at: DateTime,
}

impl Comment {
    /// A new visible comment.
    pub fn new(
        movie_id: ObjectId,
        user_id: ObjectId,
        text: String,
        parent_id: Option<ObjectId>,
    ) -> Self {
        let now = DateTime::now();
        Self {
            id: ObjectId::new(),
            movie_id,
            user_id,
            text: Some(text),
            parent_id,
            status: CommentStatus::Visible,
            edited: false,
            deleted: false,
            reply_count: 0,
            listed: true,
            report_count: 0,
            text_version: 0,
            approvals: 0,
            times_flagged: 0,
            created_at: now,
            updated_at: now,
        }
    }
}

/// A comment as the API answers it: the contract's fields, plus `deleted` (a deleted comment
/// that has replies is listed with `text: null` and `deleted: true`).
///
/// `username` is the author's current one, from the service's copy of users, looked up when
/// the comment is read; `null` until the author's `user.registered` has arrived (or while the
/// account is being deleted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommentView {
    /// Hex id.
    pub id: String,
    /// The movie's hex id.
    pub movie_id: String,
    /// The author's hex id; null once the comment is deleted (a deleted comment listed for
    /// its replies says nothing of who wrote it).
    pub user_id: Option<String>,
    /// The author's current username.
    pub username: Option<String>,
    /// The text, as written (never HTML-rendered); `null` once deleted.
    pub text: Option<String>,
    /// The comment it answers.
    pub parent_id: Option<String>,
    /// `visible`, `flagged` or `hidden`.
    pub status: CommentStatus,
    /// Changed by its author after posting.
    pub edited: bool,
    /// Deleted (shown only because it has replies).
    pub deleted: bool,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl CommentView {
    /// The view of `comment`, with its author's username if known. A deleted comment (listed
    /// only for its replies) shows no author, no text and no edit mark.
    pub fn new(comment: &Comment, username: Option<String>) -> Self {
        let live = !comment.deleted;
        Self {
            id: comment.id.to_hex(),
            movie_id: comment.movie_id.to_hex(),
            user_id: live.then(|| comment.user_id.to_hex()),
            username: username.filter(|_| live),
            text: comment.text.clone().filter(|_| live),
            parent_id: comment.parent_id.map(|p| p.to_hex()),
            status: comment.status,
            edited: comment.edited && live,
            deleted: comment.deleted,
            created_at: rfc3339(comment.created_at),
            updated_at: rfc3339(comment.updated_at),
        }
    }
}

/// A comment's text: trimmed, 1-500 characters (not bytes). Line breaks and tabs are
/// allowed; every other control character (C0 and C1) and the bidirectional embeddings,
/// overrides and isolates (U+202A-U+202E, U+2066-U+2069, which can make text read differently
/// from what it is) are refused. Everything else (emoji, any script) is kept as written: it is
/// stored as given and answered as JSON, never rendered as HTML by the server.
pub fn parse_text(raw: &str) -> Result<String, Invalid> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(Msg::FieldRequired.into());
    }
    max_chars(text, MAX_TEXT_CHARS)?;
    reject_controls(text)?;
    Ok(text.to_owned())
}

/// A report's reason: trimmed, at most 200 characters, the same characters as a text; blank
/// means none.
pub fn parse_reason(raw: &str) -> Result<Option<String>, Invalid> {
    let reason = raw.trim();
    if reason.is_empty() {
        return Ok(None);
    }
    max_chars(reason, MAX_REASON_CHARS)?;
    reject_controls(reason)?;
    Ok(Some(reason.to_owned()))
}

/// The bidirectional embeddings and overrides (LRE, RLE, PDF, LRO, RLO) and isolates (LRI,
/// RLI, FSI, PDI).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn reject_controls(text: &str) -> Result<(), Invalid> {
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(Msg::FieldControlChars.into());
    }
    if text.chars().any(is_bidi_control) {
        return Err(Msg::FieldInvisibleChars.into());
    }
    Ok(())
}

fn max_chars(text: &str, max: usize) -> Result<(), Invalid> {
    match text.chars().count() > max {
        true => Err(Text::new(Msg::FieldMaxChars).arg("max", max).into()),
        false => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(raw: &str) -> Msg {
        parse_text(raw).unwrap_err().0.msg()
    }

    #[test]
    fn a_text_is_trimmed_and_counted_in_characters() {
        assert_eq!(parse_text("  hola\n  ").unwrap(), "hola");
        assert_eq!(msg("   \n\t "), Msg::FieldRequired);
        let longest = "ñ".repeat(MAX_TEXT_CHARS);
        assert_eq!(parse_text(&longest).unwrap(), longest);
        assert_eq!(msg(&format!("{longest}a")), Msg::FieldMaxChars);
        // 500 emoji are 2000 bytes and still 500 characters.
        assert!(parse_text(&"🎬".repeat(MAX_TEXT_CHARS)).is_ok());
    }

    #[test]
    fn line_breaks_and_tabs_pass_and_other_controls_and_bidi_do_not() {
        assert_eq!(parse_text("a\r\n\tb").unwrap(), "a\r\n\tb");
        for bad in [
            "a\u{0}b",
            "a\u{7}b",
            "a\u{1b}[31mb",
            "a\u{7f}b",
            "a\u{85}b",
            "a\u{9f}b",
        ] {
            assert_eq!(msg(bad), Msg::FieldControlChars, "{bad:?}");
        }
        for bad in ['\u{202A}', '\u{202E}', '\u{2066}', '\u{2069}'] {
            assert_eq!(
                msg(&format!("a{bad}b")),
                Msg::FieldInvisibleChars,
                "{bad:?}"
            );
        }
        // Markup is text like any other: stored as written.
        assert_eq!(parse_text("<b>hi</b>").unwrap(), "<b>hi</b>");
    }

    #[test]
    fn a_reason_is_optional_and_short() {
        assert_eq!(parse_reason("  ").unwrap(), None);
        assert_eq!(parse_reason(" spam ").unwrap().as_deref(), Some("spam"));
        assert!(parse_reason(&"x".repeat(MAX_REASON_CHARS + 1)).is_err());
        assert!(parse_reason("a\u{202E}b").is_err());
    }

    #[test]
    fn actions_are_approve_or_hide() {
        assert_eq!(
            ModerationAction::parse("approve").unwrap(),
            ModerationAction::Approve
        );
        assert_eq!(
            ModerationAction::parse("hide").unwrap(),
            ModerationAction::Hide
        );
        assert!(ModerationAction::parse("delete").is_err());
    }
}
