//! Delete a movie (admin): hidden at once (`deleting`: 404 from the commit on), the saga
//! recorded, and `movie.deleted` starts the movie-deletion saga (`ops::deletion_saga`).

use bson::oid::ObjectId;
use serde::Serialize;

use super::{after_write, Ctx};
use crate::error::MoviesError;
use crate::events;
use crate::store::DeletionSaga;
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
    /// Generated here; every event of the saga carries it beside the request's correlation id.
    pub saga_id: String,
}

/// Nothing to check beyond the id.
pub fn parse(id: ObjectId) -> Result<Command, MoviesError> {
    Ok(Command { id })
}

/// Marks an active movie `deleting`, records its saga (`deletion_sagas`: every step pending,
/// the deadline) and stages `movie.deleted`, in one transaction; then the cache holds its
/// tombstone. `MovieNotFound` when unknown or already being deleted (from the first delete on
/// the movie is 404 to every route). The saga's id is a new UUID; its events carry the
/// request's correlation id as a label.
pub async fn execute(deps: &Deps, cmd: Command, ctx: &Ctx) -> Result<Started, MoviesError> {
    let saga_id = uuid::Uuid::new_v4().to_string();
    let deadline = bson::DateTime::from_system_time(
        std::time::SystemTime::now() + deps.config.deletion_deadline,
    );
    let movie = deps
        .outbox
        .commit(
            &ctx.correlation_id,
            (deps, cmd.id, saga_id.as_str()),
            |mut tx, (deps, id, saga_id)| {
                Box::pin(async move {
                    let movie = deps
                        .movies
                        .mark_deleting(tx.session(), *id, saga_id)
                        .await?
                        .ok_or(MoviesError::MovieNotFound)?;
                    let saga =
                        DeletionSaga::start(saga_id, movie.id, tx.correlation_id(), deadline);
                    deps.sagas.insert(tx.session(), &saga).await?;
                    tx.stage(events::deleted(&movie, saga_id)).await?;
                    Ok::<_, MoviesError>(movie)
                })
            },
        )
        .await?;
    after_write(deps, &movie).await;
    tracing::info!(movie_id = %movie.id, saga_id = %saga_id, correlation_id = %ctx.correlation_id, "movie deletion started");
    Ok(Started { saga_id })
}
