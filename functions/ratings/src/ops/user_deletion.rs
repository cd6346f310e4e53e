//! The ratings' step of the user-deletion saga (`ratings-on-user-deletion`): the user's ratings
//! set aside when the deletion starts, back when it is cancelled, gone when it completes, and
//! every movie they rated brought up to date after each, so the public stats stop (or start
//! again) counting the user exactly. The platform's participant (`streamia_shared::saga`) does
//! the rest.
//!
//! Each change of a user's ratings is a rating write for every movie they rated, made the way
//! every rating write is (`summarize`'s design): each movie's summary is marked before the
//! write, counted (`wanted`) after it, then brought up to date by a summary pass. A step cut
//! anywhere leaves the summaries dirty, for the next pass or the sweeper: never wrong.

use std::future::Future;
use std::time::{Duration, Instant};

use bson::oid::ObjectId;
use streamia_shared::events::consumer::ConsumeError;
use streamia_shared::saga::{Saga, SagaData, UserDeletion};

use super::{summarize, Ctx};
use crate::Deps;

/// The time one step gives to starting the summary passes of the movies the user rated (a
/// pass started just before it may take `summarize::REQUEST_BUDGET`, 2.5 s, more); the movies
/// past it stay dirty for the sweeper (a minute at most), so a prolific rater's step still
/// fits its record's budget.
const SUMMARY_BUDGET: Duration = Duration::from_secs(3);

/// The ratings' effects.
pub struct Ratings<'a>(pub &'a Deps);

fn transient(e: impl std::fmt::Display) -> ConsumeError {
    ConsumeError::Transient(e.to_string())
}

/// Movies per many-document mark (an `$in` of ids), so a prolific rater's step is a few round
/// trips, not one per movie.
const CHUNK: usize = 500;

impl Ratings<'_> {
    /// `write` (a change of every rating of `user`), as a rating write of every movie the user
    /// rated: marked, written, counted (a few many-document updates), then summarized within
    /// [`SUMMARY_BUDGET`]. A failed write takes its marks back.
    async fn change<F>(&self, saga: Saga<'_>, user: ObjectId, write: F) -> Result<(), ConsumeError>
    where
        F: Future<Output = Result<(), mongodb::error::Error>>,
    {
        let deps = self.0;
        let movies = deps.ratings.movies_of(user).await.map_err(transient)?;
        for chunk in movies.chunks(CHUNK) {
            deps.summaries.mark_many(chunk).await.map_err(transient)?;
        }
        if let Err(e) = write.await {
            for chunk in movies.chunks(CHUNK) {
                // Best effort: a mark left behind only delays a summary's "clean" until its
                // `pendingUntil` (the sweeper then counts from the ratings).
                let _ = deps.summaries.unmark_many(chunk).await;
            }
            return Err(transient(e));
        }
        for chunk in movies.chunks(CHUNK) {
            deps.summaries.want_many(chunk).await.map_err(transient)?;
        }
        let ctx = Ctx::new(saga.correlation_id);
        let started = Instant::now();
        for (done, movie) in movies.iter().enumerate() {
            if started.elapsed() >= SUMMARY_BUDGET {
                tracing::info!(
                    saga_id = saga.id,
                    left = movies.len() - done,
                    "summaries left to the sweeper"
                );
                break;
            }
            summarize::after_write(deps, *movie, &ctx).await;
        }
        Ok(())
    }
}

impl SagaData<UserDeletion> for Ratings<'_> {
    async fn set_aside(&self, saga: Saga<'_>, user: ObjectId) -> Result<(), ConsumeError> {
        self.change(saga, user, self.0.ratings.set_aside_user(saga.id, user))
            .await
    }

    async fn restore(&self, saga: Saga<'_>, user: ObjectId) -> Result<(), ConsumeError> {
        self.change(saga, user, self.0.ratings.restore_user(saga.id, user))
            .await
    }

    async fn purge(&self, saga: Saga<'_>, user: ObjectId) -> Result<(), ConsumeError> {
        self.change(saga, user, self.0.ratings.purge_user(user))
            .await
    }
}
