//! Delete a movie (admin): hidden at once (`deleting`: 404 from the commit on), and
//! `movie.deleted` starts the movie-deletion saga (the rest of the saga is a later issue).

use bson::oid::ObjectId;
use serde::Serialize;

use super::{after_write, Ctx};
use crate::error::MoviesError;
use crate::events;
use crate::Deps;

/// Which movie.
#[derive(Debug, Clone)]
pub struct Command {
    /// Its id.
    pub id: ObjectId,
}

/// What the client is told: the saga's id (the contract's 202 `{sagaId}`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Started {
    /// Also the correlation id of every event of the saga.
    pub saga_id: String,
}

/// Nothing to check beyond the id.
pub fn parse(id: ObjectId) -> Result<Command, MoviesError> {
    Ok(Command { id })
}

/// Marks an active movie `deleting` and stages `movie.deleted` in one transaction; then the
/// cache holds its tombstone. `MovieNotFound` when unknown or already being deleted (from the
/// first delete on the movie is 404 to every route). The saga's id is a new UUID; the event
/// carries it as its correlation id, so the saga's events follow it.
pub async fn execute(deps: &Deps, cmd: Command, _ctx: &Ctx) -> Result<Started, MoviesError> {
    let saga_id = uuid::Uuid::new_v4().to_string();
    let movie = deps
        .outbox
        .commit(
            &saga_id,
            (deps, cmd.id, saga_id.as_str()),
            |mut tx, (deps, id, saga_id)| {
                Box::pin(async move {
                    let movie = deps
                        .movies
                        .mark_deleting(tx.session(), *id, saga_id)
                        .await?
                        .ok_or(MoviesError::MovieNotFound)?;
                    tx.stage(events::deleted(&movie, saga_id)).await?;
                    Ok::<_, MoviesError>(movie)
                })
            },
        )
        .await?;
    after_write(deps, &movie).await;
    tracing::info!(movie_id = %movie.id, saga_id = %saga_id, "movie deletion started");
    Ok(Started { saga_id })
}
