//! Confirm a video upload (admin): the object must be in the media storage and match what was
//! signed; then it is put in place and recorded on the movie with `movie.video_uploaded` in one
//! transaction, and the video it replaces is due for deletion once viewers' playback URLs of
//! it have expired.

use std::time::Duration;

use bson::oid::ObjectId;
use serde::Deserialize;
use streamia_shared::fields::{self, FieldError, FieldErrors};
use streamia_shared::i18n::Msg;
use streamia_shared::media::VideoKey;

use super::sweep_media::{from_now, GRACE};
use super::visible_movie;
use super::{after_write, playback, Ctx};
use crate::domain::{MovieView, Video};
use crate::error::MoviesError;
use crate::events;
use crate::store::Kind;
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

/// How long a confirmation holds its upload's ticket: past the function's timeout (28 s), so
/// a second confirmation of the same upload waits for the first (answered 503 meanwhile)
/// unless the first died.
const TICKET_HOLD: Duration = Duration::from_secs(40);

/// Checks the object (a missing or mismatching one is a 400 on `key`; a mismatch is deleted)
/// and puts it in place, records it with `movie.video_uploaded`, refreshes the cache; the
/// video it replaces is deleted once viewers' playback URLs of it have expired. The upload's
/// ticket (see `store::MediaDeletions`) must be live: signed within the form's lifetime plus
/// the provider's confirmation window, never confirmed, held by no other confirmation.
/// Confirming the movie's current video again answers the movie as it is (a retry whose
/// answer was lost).
pub async fn execute(deps: &Deps, cmd: Command, ctx: &Ctx) -> Result<MovieView, MoviesError> {
    let (storage, config) = deps.media()?;
    // Unknown or being deleted: 404 before any copy.
    visible_movie(deps, cmd.id).await?;
    // Until the commit below, the object is collected if this function dies.
    let ticket = deps
        .media_deletions
        .claim_ticket(cmd.key.as_str(), TICKET_HOLD, from_now(GRACE))
        .await?;
    let Some(ticket) = ticket else {
        // Used up by a confirmation that committed (a retry whose answer was lost, or racing
        // the first attempt): the movie as it is; otherwise there is nothing to confirm.
        let now = visible_movie(deps, cmd.id).await?;
        if now
            .video
            .as_ref()
            .is_some_and(|v| v.key == cmd.key.as_str())
        {
            return playback::sign(deps, MovieView::from(&now)).await;
        }
        return Err(FieldErrors(vec![FieldError::new("key", Msg::VideoNotUploaded)]).into());
    };
    let stored = match storage.confirm(&cmd.key, config.max_video_bytes).await {
        Ok(stored) => stored,
        Err(e) => {
            // The ticket stays usable by a retry (a new upload with the same form, after a
            // mismatch; the storage back, after an outage).
            deps.media_deletions.release(&ticket).await;
            return Err(e.into());
        }
    };
    let video = Video {
        key: stored.key,
        format: cmd.key.format().content_type().to_owned(),
        size_bytes: i64::try_from(stored.size).unwrap_or(i64::MAX),
    };
    let replaced_due = from_now(config.playback_ttl);
    let (replaced, movie) = deps
        .outbox
        .commit(
            &ctx.correlation_id,
            (deps, cmd.id, &video, &ticket, replaced_due),
            |mut tx, (deps, id, video, ticket, replaced_due)| {
                Box::pin(async move {
                    if !deps
                        .media_deletions
                        .use_ticket(tx.session(), ticket)
                        .await?
                    {
                        // Held past TICKET_HOLD: another confirmation has it now.
                        return Err(MoviesError::Busy);
                    }
                    let (replaced, movie) = deps
                        .movies
                        .set_video(tx.session(), *id, video)
                        .await?
                        .ok_or(MoviesError::MovieNotFound)?;
                    let replaced = replaced.filter(|old| old.key != video.key);
                    if let Some(old) = &replaced {
                        deps.media_deletions
                            .schedule(Some(tx.session()), &old.key, Kind::Deletion, *replaced_due)
                            .await?;
                    }
                    tx.stage(events::video_uploaded(&movie, video)).await?;
                    Ok::<_, MoviesError>((replaced, movie))
                })
            },
        )
        .await?;
    after_write(deps, &movie).await;
    streamia_shared::metrics::count(crate::SERVICE, "MoviesUploaded");
    if let Err(e) = storage.discard_upload(&cmd.key).await {
        tracing::warn!(key = %cmd.key, error = %e, "the confirmed upload stays until the lifecycle rule expires it");
    }
    if let Some(old) = replaced {
        tracing::info!(key = %old.key, "replaced video due for deletion once its playback URLs expired");
    }
    playback::sign(deps, MovieView::from(&movie)).await
}
