//! Delete a movie's subtitle track in one language (admin): unlisted from the movie, then its
//! object deleted from the media storage (by the sweeper if the storage is down: the track is
//! gone either way).

use bson::oid::ObjectId;
use bson::DateTime;

use super::add_subtitle::TrackChange;
use super::sweep_media::delete_now;
use super::visible_movie;
use super::{after_write, Ctx};
use crate::error::MoviesError;
use crate::Deps;

/// How many times the write is tried against concurrent changes of the movie.
const ATTEMPTS: usize = 5;

/// Which track.
#[derive(Debug)]
pub struct Command {
    /// The movie.
    pub id: ObjectId,
    /// Its language tag.
    pub language: String,
}

/// The language must be a tag (anything else cannot have a track: 404 rather than 400 would
/// hide nothing, so it is a field error).
pub fn parse(id: ObjectId, language: &str) -> Result<Command, MoviesError> {
    let language =
        streamia_shared::fields::check("language", super::add_subtitle::parse_language(language))
            .map_err(|e| streamia_shared::fields::FieldErrors(vec![e]))?;
    Ok(Command { id, language })
}

/// `SubtitleNotFound` when the movie has no track in that language (`MovieNotFound` when the
/// movie is unknown or being deleted).
pub async fn execute(deps: &Deps, cmd: Command, _ctx: &Ctx) -> Result<(), MoviesError> {
    deps.media()?;
    for _ in 0..ATTEMPTS {
        let movie = visible_movie(deps, cmd.id).await?;
        let Some(track) = movie.subtitles.iter().find(|s| s.language == cmd.language) else {
            return Err(MoviesError::SubtitleNotFound);
        };
        let rest: Vec<_> = movie
            .subtitles
            .iter()
            .filter(|s| s.language != cmd.language)
            .cloned()
            .collect();
        let change = TrackChange {
            id: cmd.id,
            version: movie.version,
            tracks: &rest,
            listed: None,
            dropped: Some((&track.key, DateTime::now())),
        };
        if let Some(updated) = change.write(deps).await? {
            after_write(deps, &updated).await;
            // A failure is the sweeper's (logged by delete_now).
            let _ = delete_now(deps, &track.key).await;
            return Ok(());
        }
    }
    Err(MoviesError::Busy)
}
