//! Republish (operator only, no route: the `movies-republish` function): every movie's current
//! snapshot published again, so the copies other services keep (`events::movie_copies` in
//! favorites, ratings, comments) can be rebuilt: a service deployed after a movie last changed
//! has never heard of it, and an event that ended in a DLQ during an outage left a copy behind.
//!
//! Each movie gets one event, staged through the outbox in its own transaction, so it carries
//! the movie's next `aggregateVersion`: newer than anything a copy holds, so every copy applies
//! it. An active movie gets `movie.updated` with `changed: []` (nothing changed; the snapshot is
//! what a copy takes); a movie being deleted gets `movie.deleted` again, with its saga's id, so
//! copies keep it hidden. The movie itself is not written (its `version`, its cache entry stay);
//! the movies service does not consume its own events.
//!
//! The walk goes by `_id` and is bounded by the invocation's deadline (and an optional `limit`):
//! the answer says where it stopped (`after`) and whether anything is left (`done`), and the
//! operator invokes again with that `after`. Running it twice is harmless: copies take the
//! newer snapshot, which is the same.

use bson::oid::ObjectId;
use streamia_shared::events::{Outbox, Topic};
use streamia_shared::init::InitError;
use streamia_shared::service::{SdkConfig, Service};

use crate::domain::{Movie, MovieStatus};
use crate::error::MoviesError;
use crate::events;
use crate::store::MovieStore;
use crate::SERVICE;

/// What the republishing needs: the catalog and the outbox. Not [`crate::Deps`]: no cache, no
/// media, so the function is deployed with only its MongoDB secret and the topic.
#[derive(Clone)]
pub struct Republisher {
    /// The catalog (read only).
    pub movies: MovieStore,
    /// Where the snapshots go, numbered per movie.
    pub outbox: Outbox,
}

impl Service for Republisher {
    /// The service's database and its events topic (required).
    type Config = streamia_shared::republish::Pieces;

    async fn build(config: Self::Config, aws: &SdkConfig) -> Result<Self, InitError> {
        let (db, outbox) =
            streamia_shared::republish::connect(config, aws, SERVICE, Topic::MovieEvents).await?;
        Ok(Self {
            movies: MovieStore::new(&db),
            outbox,
        })
    }
}

pub use streamia_shared::republish::Output;

/// The operator function (its binary's and the template's name): `src/bin/movies-republish.rs`
/// serves it with `streamia_shared::republish::serve`, which names it in its log lines.
pub const FUNCTION: &str = "movies-republish";

impl streamia_shared::republish::Aggregates for Republisher {
    type Item = Movie;
    type Error = MoviesError;

    fn id(item: &Movie) -> ObjectId {
        item.id
    }

    fn collection(&self) -> &mongodb::Collection<Movie> {
        self.movies.collection()
    }

    async fn republish(&self, item: &Movie, correlation_id: &str) -> Result<bool, MoviesError> {
        republish_one(self, item, correlation_id).await
    }
}

/// One movie's snapshot, staged in its own transaction from the movie as that transaction
/// reads it. False when there was nothing to republish (the movie is gone, or is being
/// deleted with no saga id, which no deletion leaves).
async fn republish_one(
    r: &Republisher,
    movie: &Movie,
    invocation: &str,
) -> Result<bool, MoviesError> {
    // A deletion's events carry its saga's id as their correlation id; so does its repetition.
    let correlation_id = match (movie.status, &movie.deletion_saga_id) {
        (MovieStatus::Deleting, Some(saga_id)) => saga_id.as_str(),
        _ => invocation,
    };
    r.outbox
        .commit(correlation_id, (r, movie.id), |mut tx, (r, id)| {
            Box::pin(async move {
                let Some(movie) = r.movies.read_in(tx.session(), *id).await? else {
                    return Ok::<_, MoviesError>(false);
                };
                match (movie.status, &movie.deletion_saga_id) {
                    (MovieStatus::Active, _) => tx.stage(events::updated(&movie, Vec::new())).await?,
                    (MovieStatus::Deleting, Some(saga_id)) => {
                        tx.stage(events::deleted(&movie, saga_id)).await?
                    }
                    (MovieStatus::Deleting, None) => {
                        tracing::warn!(movie_id = %movie.id, "movies-republish: a deleting movie without a saga id, skipped");
                        return Ok(false);
                    }
                }
                Ok(true)
            })
        })
        .await
}
