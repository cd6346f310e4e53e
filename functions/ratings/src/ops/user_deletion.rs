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
use streamia_shared::saga::{Saga, UserData};

use super::{summarize, Ctx};
use crate::Deps;

/// The time one step gives the summary passes of the movies the user rated; the movies past
/// it stay dirty for the sweeper (a minute at most), so a prolific rater's step still fits its
/// record's budget.
const SUMMARY_BUDGET: Duration = Duration::from_secs(3);

/// The ratings' effects.
pub struct Ratings<'a>(pub &'a Deps);

fn transient(e: impl std::fmt::Display) -> ConsumeError {
    ConsumeError::Transient(e.to_string())
}

impl Ratings<'_> {
    /// `write` (a change of every rating of `user`), as a rating write of every movie the user
    /// rated: marked, written, counted, summarized.
    async fn change<F>(&self, saga: Saga<'_>, user: ObjectId, write: F) -> Result<(), ConsumeError>
    where
        F: Future<Output = Result<(), mongodb::error::Error>>,
    {
        let deps = self.0;
        let movies = deps.ratings.movies_of(user).await.map_err(transient)?;
        for movie in &movies {
            deps.summaries.mark(*movie).await.map_err(transient)?;
        }
        write.await.map_err(transient)?;
        for movie in &movies {
            deps.summaries.want(*movie).await.map_err(transient)?;
        }
        let ctx = Ctx::new(saga.correlation_id);
        let started = Instant::now();
        for movie in &movies {
            if started.elapsed() >= SUMMARY_BUDGET {
                tracing::info!(
                    saga_id = saga.id,
                    left = movies.len(),
                    "summaries left to the sweeper"
                );
                break;
            }
            summarize::after_write(deps, *movie, &ctx).await;
        }
        Ok(())
    }
}

impl UserData for Ratings<'_> {
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
