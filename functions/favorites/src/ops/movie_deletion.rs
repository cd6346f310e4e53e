//! The favorites' step of the movie-deletion saga (`favorites-on-movie-deletion`): every
//! favorite of the movie set aside when the deletion starts, back when it is cancelled, gone
//! when it completes, and then each user who had it among their favorites is told
//! (`favorite.movie_removed`, which the notification service turns into the alert email). The
//! platform's participant (`streamia_shared::saga`) does the rest.

use bson::oid::ObjectId;
use streamia_shared::db::{BoxFuture, TransactionError};
use streamia_shared::events::consumer::ConsumeError;
use streamia_shared::events::favorites::FavoriteMovieRemoved;
use streamia_shared::events::{OutboxError, Tx};
use streamia_shared::saga::{MovieDeletion, Saga, SagaData};

use crate::{cache, Deps};

/// Favorites alerted and deleted per transaction: a bounded transaction whatever the number of
/// fans a movie had.
const ALERTS_PER_TRANSACTION: i64 = 100;

/// When a round's alerts are published.
#[derive(Debug, Clone, Copy)]
enum Publish {
    /// Right after its commit: the first round, which for most movies is the only one, so
    /// their fans hear at once.
    AfterCommit,
    /// By the outbox relay (its next run, every minute): every later round, so a movie with many fans is
    /// purged within one delivery instead of spending its time on SNS calls.
    ByRelay,
}

/// The favorites' effects on one movie's favorites.
pub struct MovieFavorites<'a>(pub &'a Deps);

/// Why a purge's transaction failed: retried by the transaction, then by SQS.
#[derive(Debug, thiserror::Error)]
enum PurgeError {
    #[error(transparent)]
    Outbox(#[from] OutboxError),
    #[error("mongodb: {0}")]
    Mongo(#[from] mongodb::error::Error),
}

impl TransactionError for PurgeError {
    fn is_transient(&self) -> bool {
        match self {
            PurgeError::Outbox(e) => e.is_transient(),
            PurgeError::Mongo(e) => TransactionError::is_transient(e),
        }
    }
}

fn transient(e: impl std::fmt::Display) -> ConsumeError {
    ConsumeError::Transient(e.to_string())
}

impl MovieFavorites<'_> {
    /// One transaction: up to [`ALERTS_PER_TRANSACTION`] favorites of `movie` deleted, each
    /// with its owner's `favorite.movie_removed` staged; how many. A redelivered completion
    /// finds them gone and alerts nobody twice.
    async fn alert_some(
        &self,
        saga: Saga<'_>,
        movie: ObjectId,
        publish: Publish,
    ) -> Result<usize, PurgeError> {
        let deps = self.0;
        let context = (deps, saga, movie);
        match publish {
            Publish::AfterCommit => {
                deps.outbox
                    .commit(saga.correlation_id, context, Self::alert_round)
                    .await
            }
            Publish::ByRelay => {
                deps.outbox
                    .commit_for_relay(saga.correlation_id, context, Self::alert_round)
                    .await
            }
        }
    }

    /// The body of [`Self::alert_some`]'s transaction.
    fn alert_round<'s>(
        mut tx: Tx<'s>,
        (deps, saga, movie): &'s mut (&Deps, Saga<'_>, ObjectId),
    ) -> BoxFuture<'s, Result<usize, PurgeError>> {
        Box::pin(async move {
            let fans = deps
                .favorites
                .of_movie_to_alert(tx.session(), *movie, ALERTS_PER_TRANSACTION)
                .await?;
            for favorite in &fans {
                tx.stage(FavoriteMovieRemoved {
                    saga_id: saga.id.to_owned(),
                    user_id: favorite.user_id.to_hex(),
                    movie_id: movie.to_hex(),
                    title: saga.name.to_owned(),
                })
                .await?;
            }
            let ids: Vec<ObjectId> = fans.iter().map(|f| f.id).collect();
            deps.favorites.delete_ids(tx.session(), &ids).await?;
            Ok::<_, PurgeError>(fans.len())
        })
    }
}

impl SagaData<MovieDeletion> for MovieFavorites<'_> {
    async fn set_aside(&self, saga: Saga<'_>, movie: ObjectId) -> Result<(), ConsumeError> {
        let marked = self.0.favorites.set_aside_movie(saga.id, movie).await;
        // Any user's list may show the movie.
        self.0.answers.bump(cache::COPIES).await;
        marked.map(|_| ()).map_err(transient)
    }

    async fn restore(&self, saga: Saga<'_>, movie: ObjectId) -> Result<(), ConsumeError> {
        let back = self.0.favorites.restore_movie(saga.id, movie).await;
        self.0.answers.bump(cache::COPIES).await;
        back.map(|_| ()).map_err(transient)
    }

    async fn purge(&self, saga: Saga<'_>, movie: ObjectId) -> Result<(), ConsumeError> {
        let mut alerted = 0;
        let mut publish = Publish::AfterCommit;
        loop {
            let n = self
                .alert_some(saga, movie, publish)
                .await
                .map_err(transient)?;
            publish = Publish::ByRelay;
            alerted += n;
            if n < ALERTS_PER_TRANSACTION as usize {
                break;
            }
        }
        let rest = self.0.favorites.purge_movie(movie).await;
        self.0.answers.bump(cache::COPIES).await;
        tracing::info!(saga_id = %saga.id, movie_id = %movie, alerted, "a deleted movie's favorites purged");
        rest.map(|_| ()).map_err(transient)
    }
}
