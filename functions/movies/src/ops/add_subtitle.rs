//! Add (or replace) a movie's subtitle track in one language (admin): the text is validated
//! cue by cue, SRT converted to WebVTT, stored in the media storage under a fresh key, and
//! listed on the movie; a replaced track's object is deleted.

use bson::oid::ObjectId;
use bson::DateTime;
use serde::Deserialize;
use streamia_shared::domain::Invalid;
use streamia_shared::fields::{self, FieldError, FieldErrors};
use streamia_shared::i18n::{Msg, Text};
use streamia_shared::media::SubtitleKey;

use super::sweep_media::{from_now, GRACE};
use super::visible_movie;
use super::{after_write, playback, Ctx};
use crate::domain::subtitles::{self, SubtitleFormat, WebVtt};
use crate::domain::{Movie, Subtitle, SubtitleView};
use crate::error::MoviesError;
use crate::store::Kind;
use crate::Deps;

/// Longest label, in characters.
pub const MAX_LABEL_CHARS: usize = 50;

/// How many times a subtitle write is tried against concurrent changes of the movie.
const ATTEMPTS: usize = 5;

/// The body.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Input {
    /// A language tag (`es`, `en-US`).
    pub language: Option<String>,
    /// Shown in the player (1-50 characters).
    pub label: Option<String>,
    /// `vtt` or `srt`.
    pub format: Option<String>,
    /// The text (at most 512 KB).
    pub content: Option<String>,
}

/// A valid track.
#[derive(Debug, Clone)]
pub struct Command {
    /// Which movie.
    pub id: ObjectId,
    /// Its language tag.
    pub language: String,
    /// Its label.
    pub label: String,
    /// The WebVTT to store.
    pub vtt: WebVtt,
}

/// A BCP 47-style tag: 2-3 letters, then `-` parts of 2-8 letters or digits (35 at most).
pub fn parse_language(raw: &str) -> Result<String, Invalid> {
    let mut parts = raw.split('-');
    let primary = parts.next().unwrap_or_default();
    let primary_ok =
        (2..=3).contains(&primary.len()) && primary.bytes().all(|b| b.is_ascii_alphabetic());
    let rest_ok =
        parts.all(|p| (2..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()));
    match primary_ok && rest_ok && raw.len() <= 35 {
        true => Ok(raw.to_owned()),
        false => Err(Msg::FieldLanguageTag.into()),
    }
}

fn parse_label(raw: &str) -> Result<String, Invalid> {
    let label = raw.trim();
    if label.is_empty() {
        return Err(Msg::FieldRequired.into());
    }
    if label.chars().count() > MAX_LABEL_CHARS {
        return Err(Text::new(Msg::FieldMaxChars)
            .arg("max", MAX_LABEL_CHARS)
            .into());
    }
    streamia_shared::domain::reject_invisible(label)?;
    match label.chars().any(char::is_control) {
        true => Err(Msg::FieldControlChars.into()),
        false => Ok(label.to_owned()),
    }
}

/// Every field at once; the content only when its format is known.
pub fn parse(id: ObjectId, input: Input) -> Result<Command, MoviesError> {
    let format = fields::parse("format", input.format, SubtitleFormat::parse);
    // The content is read as its format says; without a valid format it is only required.
    let content: fields::Checked<Option<WebVtt>> = match &format {
        Ok(format) => {
            fields::parse("content", input.content, |c| subtitles::parse(*format, c)).map(Some)
        }
        Err(_) => fields::required("content", input.content).map(|_| None),
    };
    let (language, label, _, vtt) = fields::all((
        fields::parse("language", input.language, parse_language),
        fields::parse("label", input.label, parse_label),
        format,
        content,
    ))?;
    // Always there once every field passed (the format did).
    let vtt =
        vtt.ok_or_else(|| FieldErrors(vec![FieldError::new("format", Msg::FieldRequired)]))?;
    Ok(Command {
        id,
        language,
        label,
        vtt,
    })
}

/// Stores the WebVTT under a fresh key and lists the track on the movie (replacing one of
/// the same language, whose object is deleted once viewers' URLs of it have expired); the
/// track with its signed URL.
pub async fn execute(deps: &Deps, cmd: Command, _ctx: &Ctx) -> Result<SubtitleView, MoviesError> {
    let (storage, config) = deps.media()?;
    let key =
        SubtitleKey::new(&cmd.id.to_hex(), &cmd.language).ok_or(MoviesError::MovieNotFound)?;
    let track = Subtitle {
        language: cmd.language.clone(),
        label: cmd.label.clone(),
        key: key.as_str().to_owned(),
    };
    visible_movie(deps, cmd.id).await?;
    // Collected unless the movie lists it (this function may die before it does).
    deps.media_deletions
        .schedule(None, key.as_str(), Kind::Deletion, from_now(GRACE))
        .await?;
    storage.put_text(&key, cmd.vtt.as_str()).await?;
    for _ in 0..ATTEMPTS {
        let movie = visible_movie(deps, cmd.id).await?;
        let replaced = movie
            .subtitles
            .iter()
            .find(|s| s.language == cmd.language)
            .map(|s| s.key.clone());
        let mut tracks: Vec<Subtitle> = movie
            .subtitles
            .iter()
            .filter(|s| s.language != cmd.language)
            .cloned()
            .collect();
        tracks.push(track.clone());
        let change = TrackChange {
            id: cmd.id,
            version: movie.version,
            tracks: &tracks,
            listed: Some(&track.key),
            // Viewers may be playing it: deleted once their URLs have expired.
            dropped: replaced
                .as_deref()
                .map(|key| (key, from_now(config.playback_ttl))),
        };
        if let Some(movie) = change.write(deps).await? {
            after_write(deps, &movie).await;
            let view = SubtitleView {
                language: track.language,
                label: track.label,
                url: track.key,
            };
            return playback::sign_subtitle(deps, view).await;
        }
    }
    Err(MoviesError::Busy)
}

/// A movie's new subtitle tracks, with the media bookkeeping that goes with them.
pub(super) struct TrackChange<'a> {
    /// The movie.
    pub id: ObjectId,
    /// The version the tracks were read at.
    pub version: i64,
    /// Every track, as they will be.
    pub tracks: &'a [Subtitle],
    /// A new object the tracks now reference (its collection is cancelled).
    pub listed: Option<&'a str>,
    /// An object they no longer reference, and when it is due for deletion.
    pub dropped: Option<(&'a str, DateTime)>,
}

impl TrackChange<'_> {
    /// Writes the tracks if the movie is still at `version`, in one transaction with the
    /// bookkeeping; `None` when it changed meanwhile (nothing written: read again).
    pub(super) async fn write(&self, deps: &Deps) -> Result<Option<Movie>, MoviesError> {
        streamia_shared::db::transaction(&deps.mongo, (deps, self), |session, (deps, change)| {
            Box::pin(async move {
                let Some(movie) = deps
                    .movies
                    .set_subtitles(session, change.id, change.version, change.tracks)
                    .await?
                else {
                    return Ok(None);
                };
                if let Some(key) = change.listed {
                    deps.media_deletions.cancel(Some(session), key).await?;
                }
                if let Some((key, due)) = change.dropped {
                    deps.media_deletions
                        .schedule(Some(session), key, Kind::Deletion, due)
                        .await?;
                }
                Ok(Some(movie))
            })
        })
        .await
    }
}
