//! A movie as stored and as shown, and the rules of every field a client may set.

use bson::oid::ObjectId;
use bson::DateTime;
use serde::{Deserialize, Serialize};
use streamia_shared::domain::{reject_invisible, Invalid};
use streamia_shared::i18n::{Msg, Text};
use streamia_shared::time::rfc3339;

pub use streamia_shared::events::movies::MovieStatus;

/// Longest title, in characters (after trimming).
pub const MAX_TITLE_CHARS: usize = 100;
/// Longest description, in characters (after trimming).
pub const MAX_DESCRIPTION_CHARS: usize = 500;
/// Longest category, in characters.
pub const MAX_CATEGORY_CHARS: usize = 30;

/// The first film (Roundhay Garden Scene, 1888): no release is older.
pub const MIN_RELEASE_YEAR: i32 = 1888;
/// A fixed upper bound (announced releases included), the same in the OpenAPI file; a clock
/// would make the schema and the code disagree one day.
pub const MAX_RELEASE_YEAR: i32 = 2100;

/// A movie as stored in the service's `movies` collection.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Movie {
    /// The id.
    #[serde(rename = "_id")]
    pub id: ObjectId,
    /// As given, trimmed.
    pub title: String,
    /// The title lower-cased: what the `title` sort orders by (no collations on SecantusDB).
    pub title_sort: String,
    /// Optional text.
    pub description: Option<String>,
    /// `a-z`, `0-9`, `-`, lower-case.
    pub category: String,
    /// Seconds.
    pub duration: i64,
    /// Optional year.
    pub release_year: Option<i32>,
    /// An https URL, never fetched by the backend.
    pub cover_image: Option<String>,
    /// The confirmed video (its storage key, never a URL: viewers get signed URLs); `None`
    /// until an upload is confirmed.
    #[serde(default)]
    pub video: Option<Video>,
    /// Subtitle tracks, one per language (storage keys, like the video).
    #[serde(default)]
    pub subtitles: Vec<Subtitle>,
    /// Mean score, from the ratings service's `rating.changed` events (0 when none).
    #[serde(default)]
    pub rating_average: f64,
    /// How many ratings, from the same events.
    #[serde(default)]
    pub rating_count: i64,
    /// The `aggregateVersion` of the newest `rating.changed` applied (0: none): older ones
    /// arriving late are ignored.
    #[serde(default)]
    pub rating_version: i64,
    /// Active, or being deleted (hidden from every read).
    pub status: MovieStatus,
    /// The running deletion saga, if any.
    #[serde(default)]
    pub deletion_saga_id: Option<String>,
    /// Grows by one with every change of the document (create: 1): the cache keeps an entry
    /// only if it is not older than the one it holds, so a slow reader cannot put back a
    /// version a writer replaced.
    pub version: i64,
    /// Creation time.
    pub created_at: DateTime,
    /// Last change.
    pub updated_at: DateTime,
}

/// A movie's confirmed video, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Video {
    /// Its key in the media storage (`movies/<id>/video/<name>.<ext>`).
    pub key: String,
    /// Its content type (`video/mp4`, ...).
    pub format: String,
    /// Its size in bytes.
    pub size_bytes: i64,
}

/// A subtitle track, as stored: WebVTT under its key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subtitle {
    /// `es`, `en-US`, ... (one track per language).
    pub language: String,
    /// Shown in the player.
    pub label: String,
    /// Its key in the media storage (`movies/<id>/subtitles/<language>/<random>.vtt`: a new
    /// key per upload).
    pub key: String,
}

/// A subtitle track as a viewer sees it (filled by the subtitles part of the service; every
/// movie has `[]` until then).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubtitleView {
    /// e.g. `es`, `en-US`.
    pub language: String,
    /// Shown in the player.
    pub label: String,
    /// Where the player loads it.
    pub url: String,
}

/// The movie as the API shows it (the contract's `movie`): never its internal state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MovieView {
    /// Hex id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Description, `null` when none.
    pub description: Option<String>,
    /// Category.
    pub category: String,
    /// Seconds.
    pub duration: i64,
    /// Year, `null` when unknown.
    pub release_year: Option<i32>,
    /// https URL, `null` when none.
    pub cover_image: Option<String>,
    /// `null` until a video is uploaded.
    pub video_url: Option<String>,
    /// Subtitle tracks.
    pub subtitles: Vec<SubtitleView>,
    /// Mean score (0 when none).
    pub rating_average: f64,
    /// Number of ratings.
    pub rating_count: i64,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl From<&Movie> for MovieView {
    fn from(m: &Movie) -> Self {
        Self {
            id: m.id.to_hex(),
            title: m.title.clone(),
            description: m.description.clone(),
            category: m.category.clone(),
            duration: m.duration,
            release_year: m.release_year,
            cover_image: m.cover_image.clone(),
            // Storage keys here (what the cache keeps); `ops::playback::sign` turns them into
            // short-lived signed URLs for every answer.
            video_url: m.video.as_ref().map(|v| v.key.clone()),
            subtitles: m
                .subtitles
                .iter()
                .map(|s| SubtitleView {
                    language: s.language.clone(),
                    label: s.label.clone(),
                    url: s.key.clone(),
                })
                .collect(),
            rating_average: m.rating_average,
            rating_count: m.rating_count,
            created_at: rfc3339(m.created_at),
            updated_at: rfc3339(m.updated_at),
        }
    }
}

/// The order of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Sort {
    /// Latest created first (the default).
    #[default]
    Newest,
    /// By title, A to Z, case-insensitively.
    Title,
    /// Best rated first (then most rated).
    Rating,
}

impl Sort {
    /// Every value, as the query spells it.
    pub const VALUES: [&'static str; 3] = ["newest", "title", "rating"];

    /// `newest`, `title` or `rating`, exactly (lower-case, as the contract lists them).
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        match raw {
            "newest" => Ok(Self::Newest),
            "title" => Ok(Self::Title),
            "rating" => Ok(Self::Rating),
            _ => Err(Text::new(Msg::FieldOneOf)
                .arg("values", Self::VALUES.join(", "))
                .into()),
        }
    }

    /// As the query spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Newest => "newest",
            Self::Title => "title",
            Self::Rating => "rating",
        }
    }
}

/// No control characters (a description may hold line breaks and tabs).
fn reject_controls(text: &str, allow_breaks: bool) -> Result<(), Invalid> {
    let allowed = |c: char| allow_breaks && matches!(c, '\n' | '\r' | '\t');
    match text.chars().any(|c| c.is_control() && !allowed(c)) {
        true => Err(Msg::FieldControlChars.into()),
        false => Ok(()),
    }
}

fn max_chars(text: &str, max: usize) -> Result<(), Invalid> {
    match text.chars().count() > max {
        true => Err(Text::new(Msg::FieldMaxChars).arg("max", max).into()),
        false => Ok(()),
    }
}

/// A title: trimmed, 1-100 characters, no control or invisible characters (a title is shown
/// to everyone, like a name).
pub fn parse_title(raw: &str) -> Result<String, Invalid> {
    let title = raw.trim();
    if title.is_empty() {
        return Err(Msg::FieldRequired.into());
    }
    max_chars(title, MAX_TITLE_CHARS)?;
    reject_controls(title, false)?;
    reject_invisible(title)?;
    Ok(title.to_owned())
}

/// A description: trimmed, at most 500 characters, line breaks allowed, no other control or
/// invisible characters. Blank means none (`None`).
pub fn parse_description(raw: &str) -> Result<Option<String>, Invalid> {
    let text = raw.trim();
    if text.is_empty() {
        return Ok(None);
    }
    max_chars(text, MAX_DESCRIPTION_CHARS)?;
    reject_controls(text, true)?;
    reject_invisible(text)?;
    Ok(Some(text.to_owned()))
}

/// A category: 1-30 characters of `a-z`, `0-9` and `-`, stored lower-case. Upper-case ASCII
/// letters are accepted and lower-cased (the contract says "stored lower-case": `Drama` is
/// the category `drama`, not an error); anything else (spaces included) is refused.
pub fn parse_category(raw: &str) -> Result<String, Invalid> {
    let ok = (1..=MAX_CATEGORY_CHARS).contains(&raw.len())
        && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    match ok {
        true => Ok(raw.to_ascii_lowercase()),
        false => Err(Msg::FieldCategory.into()),
    }
}

/// A duration in whole seconds, at least 1 (and at most `i32::MAX`, what the OpenAPI file
/// states, far beyond any film).
pub fn parse_duration(raw: i64) -> Result<i64, Invalid> {
    match (1..=i64::from(i32::MAX)).contains(&raw) {
        true => Ok(raw),
        false => Err(Msg::FieldDurationSeconds.into()),
    }
}

/// A release year between [`MIN_RELEASE_YEAR`] and [`MAX_RELEASE_YEAR`].
pub fn parse_release_year(raw: i64) -> Result<i32, Invalid> {
    match i32::try_from(raw) {
        Ok(year) if (MIN_RELEASE_YEAR..=MAX_RELEASE_YEAR).contains(&year) => Ok(year),
        _ => Err(Text::new(Msg::FieldYearRange)
            .arg("min", MIN_RELEASE_YEAR)
            .arg("max", MAX_RELEASE_YEAR)
            .into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles() {
        assert_eq!(parse_title("  Alien ").unwrap(), "Alien");
        assert!(parse_title("   ").is_err());
        assert!(parse_title(&"x".repeat(100)).is_ok());
        assert!(parse_title(&"x".repeat(101)).is_err());
        assert!(parse_title(&"ñ".repeat(100)).is_ok());
        assert!(parse_title("a\u{0}b").is_err());
        assert!(parse_title("A\u{202E}lien").is_err());
    }

    #[test]
    fn descriptions() {
        assert_eq!(parse_description("  ").unwrap(), None);
        assert_eq!(parse_description("a\nb").unwrap().unwrap(), "a\nb");
        assert!(parse_description(&"d".repeat(500)).is_ok());
        assert!(parse_description(&"d".repeat(501)).is_err());
        assert!(parse_description("a\u{7}b").is_err());
    }

    #[test]
    fn categories_are_lower_cased_or_refused() {
        assert_eq!(parse_category("Sci-Fi").unwrap(), "sci-fi");
        assert_eq!(parse_category("drama2").unwrap(), "drama2");
        assert!(parse_category(&"a".repeat(30)).is_ok());
        for bad in [
            "",
            " drama",
            "drama ",
            "sci fi",
            "ñu",
            "a_b",
            &"a".repeat(31),
        ] {
            assert!(parse_category(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn numbers() {
        assert!(parse_duration(0).is_err() && parse_duration(-1).is_err());
        assert_eq!(parse_duration(1).unwrap(), 1);
        assert!(parse_duration(i64::from(i32::MAX) + 1).is_err());
        assert!(parse_release_year(1887).is_err() && parse_release_year(2101).is_err());
        assert_eq!(parse_release_year(1999).unwrap(), 1999);
    }

    #[test]
    fn sorts() {
        assert_eq!(Sort::parse("title").unwrap(), Sort::Title);
        assert!(Sort::parse("Title").is_err());
        assert_eq!(Sort::default().as_str(), "newest");
    }
}
