//! A signed direct upload of a movie's video (admin): the video goes from the client straight
//! to the media storage, never through API Gateway or Lambda (10 MB / 6 MB payload limits).

use bson::oid::ObjectId;
use bson::DateTime;
use serde::Deserialize;
use streamia_shared::domain::Invalid;
use streamia_shared::fields;
use streamia_shared::i18n::{Msg, Text};
use streamia_shared::media::{SignedUpload, UploadSpec, VideoFormat, VideoKey};

use super::visible_movie;
use super::Ctx;
use crate::error::MoviesError;
use crate::store::Kind;
use crate::Deps;

/// Longest file name accepted (it only names the upload; the key is the backend's).
pub const MAX_FILE_NAME_CHARS: usize = 255;

/// The body.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Input {
    /// The file's name on the client (1-255 characters, no control characters).
    pub file_name: Option<String>,
    /// One of the contract's video types.
    pub content_type: Option<String>,
    /// 1 to `MAX_VIDEO_BYTES`.
    pub size_bytes: Option<i64>,
}

/// A valid request.
#[derive(Debug, Clone)]
pub struct Command {
    /// Which movie.
    pub id: ObjectId,
    /// The format signed for.
    pub format: VideoFormat,
}

fn file_name(raw: &str) -> Result<(), Invalid> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(Msg::FieldRequired.into());
    }
    if name.chars().count() > MAX_FILE_NAME_CHARS {
        return Err(Text::new(Msg::FieldMaxChars)
            .arg("max", MAX_FILE_NAME_CHARS)
            .into());
    }
    match name.chars().any(char::is_control) {
        true => Err(Msg::FieldControlChars.into()),
        false => Ok(()),
    }
}

fn content_type(raw: &str) -> Result<VideoFormat, Invalid> {
    VideoFormat::from_content_type(raw).ok_or_else(|| {
        let values: Vec<&str> = VideoFormat::ALL.iter().map(|f| f.content_type()).collect();
        Text::new(Msg::FieldOneOf)
            .arg("values", values.join(", "))
            .into()
    })
}

fn size(raw: i64, max: u64) -> Result<(), Invalid> {
    match raw >= 1 && (raw as u64) <= max {
        true => Ok(()),
        false => Err(Text::new(Msg::FieldBytesRange)
            .arg("min", 1)
            .arg("max", max)
            .into()),
    }
}

/// Every field at once; `max_bytes` is the function's `MAX_VIDEO_BYTES`.
pub fn parse(id: ObjectId, input: Input, max_bytes: u64) -> Result<Command, MoviesError> {
    let (_, format, _) = fields::all((
        fields::parse("fileName", input.file_name, file_name),
        fields::parse("contentType", input.content_type, content_type),
        fields::required("sizeBytes", input.size_bytes)
            .and_then(|s| fields::check("sizeBytes", size(s, max_bytes))),
    ))?;
    Ok(Command { id, format })
}

/// The signed upload for a fresh key under the movie's prefix, its ticket recorded (see
/// `store::MediaDeletions`); `MovieNotFound` when the movie is unknown or being deleted.
pub async fn execute(deps: &Deps, cmd: Command, _ctx: &Ctx) -> Result<SignedUpload, MoviesError> {
    let (storage, config) = deps.media()?;
    visible_movie(deps, cmd.id).await?;
    let key = VideoKey::new(&cmd.id.to_hex(), cmd.format).ok_or(MoviesError::MovieNotFound)?;
    let spec = UploadSpec {
        key,
        max_bytes: config.max_video_bytes,
    };
    let signed = storage.sign_upload(&spec).await?;
    // The upload's ticket: it can be confirmed until then, and what is kept under its key is
    // deleted after (S3 also empties its upload prefix within a day or two).
    let expires = signed.expires_at.timestamp_millis();
    let due = DateTime::from_millis(expires + storage.confirm_window().as_millis() as i64);
    deps.media_deletions
        .schedule(None, &signed.key, Kind::Ticket, due)
        .await?;
    Ok(signed)
}
