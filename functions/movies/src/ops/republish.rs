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

use std::time::{Duration, Instant};

use bson::oid::ObjectId;
use serde::{Deserialize, Serialize};
use streamia_shared::config::{ConfigError, MongoConfig, Topics};
use streamia_shared::domain::{parse_object_id, Invalid};
use streamia_shared::events::{EventPublisher, Outbox, Topic};
use streamia_shared::fields;
use streamia_shared::i18n::Msg;
use streamia_shared::init::InitError;
use streamia_shared::service::{SdkConfig, Service};

use super::Ctx;
use crate::domain::{Movie, MovieStatus};
use crate::error::MoviesError;
use crate::events;
use crate::store::MovieStore;
use crate::SERVICE;

/// Movies read per page of the walk.
pub const PAGE: u64 = 100;

/// Kept back from the deadline: one more movie's transaction at its worst (the transaction
/// retries, up to 10 s) and its publish (the outbox's flush budget, 3 s), then the answer. A
/// run stops before starting a movie with less than this left, rather than being killed by
/// its timeout with no answer saying where it got.
pub const RESERVE: Duration = Duration::from_secs(15);

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
    /// The service's database and the movie-events topic (required: republishing without a
    /// topic would only fill the outbox).
    type Config = (MongoConfig, Topics);

    async fn build(
        (mongo_config, topics): Self::Config,
        aws: &SdkConfig,
    ) -> Result<Self, InitError> {
        let topic = topics.arn(Topic::MovieEvents).ok_or_else(|| ConfigError {
            problems: vec![format!("{} is required", Topic::MovieEvents.env_var())],
        })?;
        let mongo = streamia_shared::db::connect(&mongo_config.uri).await?;
        let db = mongo.database(&mongo_config.database_name(SERVICE));
        Ok(Self {
            movies: MovieStore::new(&db),
            outbox: Outbox::new(&mongo, &db, EventPublisher::new(aws, Some(topic), SERVICE)),
        })
    }
}

/// The invocation's payload; `{}` starts from the first movie.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Input {
    /// Resume after this movie id (the `after` of the previous answer).
    pub after: Option<String>,
    /// At most this many movies in this invocation (at least 1); the deadline bounds it anyway.
    pub limit: Option<u64>,
}

/// A valid request.
#[derive(Debug, Clone, Default)]
pub struct Command {
    /// Where to resume (`None`: from the first movie).
    pub after: Option<ObjectId>,
    /// At most this many movies (`None`: until the deadline or the end).
    pub limit: Option<u64>,
}

/// What the operator gets back (the invocation's result).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    /// Events staged by this invocation (one per movie).
    pub republished: u64,
    /// The last movie id this invocation reached (the input's `after` when none): the next
    /// invocation's `after`.
    pub after: Option<String>,
    /// Whether no movie is left after `after`.
    pub done: bool,
}

/// A run that stopped on a failure (MongoDB down, ...): how far it got, so the operator
/// resumes from there (or from the start: republishing again is harmless).
#[derive(Debug, thiserror::Error)]
#[error("stopped after {republished} movies (resume with after = {after:?}): {error}")]
pub struct Stopped {
    /// Events staged before the failure.
    pub republished: u64,
    /// The last movie id done before the failure.
    pub after: Option<String>,
    /// What failed.
    #[source]
    pub error: MoviesError,
}

/// Checks every field at once.
pub fn parse(input: Input) -> Result<Command, MoviesError> {
    let (after, limit) = fields::all((
        fields::optional("after", input.after, |a| parse_object_id(&a)),
        fields::optional("limit", input.limit, |l| match l {
            0 => Err(Invalid::from(Msg::FieldAtLeastOne)),
            l => Ok(l),
        }),
    ))?;
    Ok(Command { after, limit })
}

/// Walks the movies after `cmd.after` by id and republishes each (see the module), until none
/// is left, `cmd.limit` is reached or `deadline` (less [`RESERVE`]) is near.
pub async fn execute(
    r: &Republisher,
    cmd: Command,
    deadline: Option<Instant>,
    ctx: &Ctx,
) -> Result<Output, Stopped> {
    let mut out = Output {
        republished: 0,
        after: cmd.after.map(|id| id.to_hex()),
        done: false,
    };
    let mut after = cmd.after;
    let limit = cmd.limit.unwrap_or(u64::MAX);
    let mut reached = 0_u64;
    let stop = |out: &Output, error: MoviesError| Stopped {
        republished: out.republished,
        after: out.after.clone(),
        error,
    };
    'walk: while reached < limit {
        let size = PAGE.min(limit - reached) as i64;
        let page = match r.movies.page_after(after, size).await {
            Ok(page) => page,
            Err(e) => return Err(stop(&out, e)),
        };
        if page.is_empty() {
            out.done = true;
            break;
        }
        for movie in page {
            if deadline.is_some_and(|d| Instant::now() + RESERVE > d) {
                tracing::warn!(
                    republished = out.republished,
                    "movies-republish: time budget spent; invoke again with the answer's after"
                );
                break 'walk;
            }
            match republish_one(r, &movie, ctx).await {
                Ok(true) => out.republished += 1,
                Ok(false) => {}
                Err(e) => return Err(stop(&out, e)),
            }
            reached += 1;
            after = Some(movie.id);
            out.after = Some(movie.id.to_hex());
        }
    }
    if !out.done {
        out.done = match r.movies.any_after(after).await {
            Ok(any) => !any,
            Err(e) => return Err(stop(&out, e)),
        };
    }
    tracing::info!(
        republished = out.republished,
        after = ?out.after,
        done = out.done,
        correlation_id = %ctx.correlation_id,
        "movies republished"
    );
    Ok(out)
}

/// One movie's snapshot, staged in its own transaction from the movie as that transaction
/// reads it. False when there was nothing to republish (the movie is gone, or is being
/// deleted with no saga id, which no deletion leaves).
async fn republish_one(r: &Republisher, movie: &Movie, ctx: &Ctx) -> Result<bool, MoviesError> {
    // A deletion's events carry its saga's id as their correlation id; so does its repetition.
    let correlation_id = match (movie.status, &movie.deletion_saga_id) {
        (MovieStatus::Deleting, Some(saga_id)) => saga_id.as_str(),
        _ => ctx.correlation_id.as_str(),
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
