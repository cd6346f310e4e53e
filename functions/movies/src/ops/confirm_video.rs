//! Confirm a video upload (admin): the object must be in the media storage and match what was
//! signed; then it is recorded on the movie with `movie.video_uploaded` in one transaction,
//! and the video it replaces is deleted from the storage.

use bson::oid::ObjectId;
use bson::DateTime;
use serde::Deserialize;
use streamia_shared::fields::{self, FieldError, FieldErrors};
use streamia_shared::i18n::Msg;
use streamia_shared::media::VideoKey;

use super::sweep_media::{delete_now, from_now, GRACE};
use super::{after_write, playback, Ctx};
use crate::domain::{MovieView, Video};
use crate::error::MoviesError;
use crate::events;
use crate::Deps;

/// The body: the key the upload URL answered.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Input {
    /// The `key` of `POST /movies/{id}/video/upload-url`.
    pub key: Option<String>,
}

/// A key this movie's upload URL could have answered.
#[derive(Debug, Clone)]
pub struct Command {
    /// Which movie.
    pub id: ObjectId,
    /// The key (never a URL: the backend fetches nothing a client names).
    pub key: VideoKey,
}

/// The key must be one the backend makes for this movie (`movies/<id>/video/<name>.<ext>`).
pub fn parse(id: ObjectId, input: Input) -> Result<Command, MoviesError> {
    let raw = fields::required("key", input.key).map_err(|e| FieldErrors(vec![e]))?;
    let key = VideoKey::parse(&id.to_hex(), &raw)
        .ok_or_else(|| FieldErrors(vec![FieldError::new("key", Msg::VideoNotUploaded)]))?;
    Ok(Command { id, key })
}

/// Checks the object (a missing or mismatching one is a 400 on `key`; a mismatch is deleted)
/// and puts it in place, records it with `movie.video_uploaded`, refreshes the cache, then
/// deletes the video it replaces. The upload must still hold its ticket (signed less than the
/// form's lifetime plus an hour ago, never confirmed: see `store::MediaDeletions`); confirming
/// the movie's current video again answers the movie as it is (a retry whose answer was lost).
pub async fn execute(deps: &Deps, cmd: Command, ctx: &Ctx) -> Result<MovieView, MoviesError> {
    let (storage, config) = deps.media()?;
    let current = deps
        .movies
        .visible(cmd.id)
        .await?
        .ok_or(MoviesError::MovieNotFound)?;
    if current
        .video
        .as_ref()
        .is_some_and(|v| v.key == cmd.key.as_str())
    {
        return playback::sign(deps, MovieView::from(&current)).await;
    }
    // Until the commit below, the object is collected if this function dies.
    let ticket = deps
        .media_deletions
        .extend(cmd.key.as_str(), from_now(GRACE))
        .await?;
    if !ticket {
        return Err(MoviesError::from(FieldErrors(vec![FieldError::new(
            "key",
            Msg::VideoNotUploaded,
        )])));
    }
    let stored = storage.confirm(&cmd.key, config.max_video_bytes).await?;
    let video = Video {
        key: stored.key,
        format: cmd.key.format().content_type().to_owned(),
        size_bytes: i64::try_from(stored.size).unwrap_or(i64::MAX),
    };
    let (replaced, movie) = deps
        .outbox
        .commit(
            &ctx.correlation_id,
            (deps, cmd.id, &video),
            |mut tx, (deps, id, video)| {
                Box::pin(async move {
                    let (replaced, movie) = deps
                        .movies
                        .set_video(tx.session(), *id, video)
                        .await?
                        .ok_or(MoviesError::MovieNotFound)?;
                    deps.media_deletions
                        .cancel(Some(tx.session()), &video.key)
                        .await?;
                    let replaced = replaced.filter(|old| old.key != video.key);
                    if let Some(old) = &replaced {
                        deps.media_deletions
                            .schedule(Some(tx.session()), &old.key, DateTime::now())
                            .await?;
                    }
                    tx.stage(events::video_uploaded(&movie, video)).await?;
                    Ok::<_, MoviesError>((replaced, movie))
                })
            },
        )
        .await?;
    after_write(deps, &movie).await;
    if let Some(old) = replaced {
        delete_now(deps, &old.key).await;
    }
    playback::sign(deps, MovieView::from(&movie)).await
}
