//! The ratings' step of the movie-deletion saga (`ratings-on-movie-deletion`): the movie's
//! ratings set aside when the deletion starts, back when it is cancelled, gone when it
//! completes; the movie's summary brought up to date after each, like any rating write
//! (`summarize`), so a cancelled deletion leaves the stats exactly as they were, even if a
//! user's deletion changed them meanwhile. The platform's participant does the rest.

use std::future::Future;

use bson::oid::ObjectId;
use streamia_shared::events::consumer::ConsumeError;
use streamia_shared::saga::{MovieDeletion, Saga, SagaData};

use super::{summarize, Ctx};
use crate::Deps;

/// The ratings' effects on one movie's ratings.
pub struct MovieRatings<'a>(pub &'a Deps);

fn transient(e: impl std::fmt::Display) -> ConsumeError {
    ConsumeError::Transient(e.to_string())
}

impl MovieRatings<'_> {
    /// `write` (a change of every rating of `movie`) as a rating write of that movie: its
    /// summary marked, the write, counted, then summarized. A failed write takes its mark back.
    async fn change<F>(&self, saga: Saga<'_>, movie: ObjectId, write: F) -> Result<(), ConsumeError>
    where
        F: Future<Output = Result<(), mongodb::error::Error>>,
    {
        let deps = self.0;
        let one = [movie];
        deps.summaries.mark_many(&one).await.map_err(transient)?;
        if let Err(e) = write.await {
            // Best effort: a mark left behind only delays the summary's "clean".
            let _ = deps.summaries.unmark_many(&one).await;
            return Err(transient(e));
        }
        deps.summaries.want_many(&one).await.map_err(transient)?;
        summarize::after_write(deps, movie, &Ctx::new(saga.correlation_id)).await;
        Ok(())
    }
}

impl SagaData<MovieDeletion> for MovieRatings<'_> {
    async fn set_aside(&self, saga: Saga<'_>, movie: ObjectId) -> Result<(), ConsumeError> {
        self.change(saga, movie, self.0.ratings.set_aside_movie(saga.id, movie))
            .await
    }

    async fn restore(&self, saga: Saga<'_>, movie: ObjectId) -> Result<(), ConsumeError> {
        self.change(saga, movie, self.0.ratings.restore_movie(saga.id, movie))
            .await
    }

    async fn purge(&self, saga: Saga<'_>, movie: ObjectId) -> Result<(), ConsumeError> {
        self.change(saga, movie, self.0.ratings.purge_movie(movie))
            .await
    }
}
