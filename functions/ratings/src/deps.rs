//! What every ratings function holds for the life of its container.

use streamia_shared::cache::answers::Answers;
use streamia_shared::config::{CacheRedisConfig, MongoConfig, Topics};
use streamia_shared::events::movie_copies::MovieCopies;
use streamia_shared::events::{EventPublisher, Inbox, Outbox, Topic};
use streamia_shared::init::InitError;
use streamia_shared::saga::{Participant, SagaFault};
use streamia_shared::service::{SdkConfig, Service};

use crate::store::{RatingStore, SummaryStore};
use crate::{ON_MOVIE_CHANGE, ON_MOVIE_DELETION, ON_USER_DELETION, SERVICE};

/// Clients built once per cold start and shared by every invocation (building opens no
/// connection).
#[derive(Clone)]
pub struct Deps {
    /// The ratings.
    pub ratings: RatingStore,
    /// Each movie's summary and its writer's lease.
    pub summaries: SummaryStore,
    /// The copy of each movie (which exist, which are visible), from movie events.
    pub copies: MovieCopies,
    /// Where `rating.changed` goes: staged in the summary's transaction, published after the
    /// commit (the scheduled `ratings-outbox-relay` publishes what is left). Functions given
    /// no topic (the reads, the consumer) never stage one.
    pub outbox: Outbox,
    /// The cached summaries (cache Redis): read by the public summary, made stale by every
    /// summary pass and movie copy change (see `crate::cache`).
    pub answers: Answers,
    /// Handled movie events (the movie-changes consumer's).
    pub inbox: Inbox,
    /// The ratings' part in the user-deletion saga: its ledger, and its replies through the
    /// outbox above (to the rating-events topic).
    pub participant: Participant,
    /// The ratings' step of the movie-deletion saga (`ratings-on-movie-deletion`).
    pub movie_participant: Participant,
    /// The client, for transactions.
    pub mongo: mongodb::Client,
    /// The service's database.
    pub db: mongodb::Database,
}

/// MongoDB, the cache Redis, (for the writers, the sweeper and the saga's consumer) the
/// rating-events topic, and the fault a test stack may inject into the saga's step.
type Pieces = (MongoConfig, CacheRedisConfig, Topics, SagaFault);

impl Service for Deps {
    type Config = Pieces;

    async fn build(
        (mongo_config, cache, topics, fault): Pieces,
        aws: &SdkConfig,
    ) -> Result<Self, InitError> {
        let mongo = streamia_shared::db::connect(&mongo_config.uri).await?;
        let db = mongo.database(&mongo_config.database_name(SERVICE));
        let outbox = Outbox::new(
            &mongo,
            &db,
            EventPublisher::new(aws, topics.arn(Topic::RatingEvents), SERVICE),
        );
        Ok(Self {
            ratings: RatingStore::new(&db),
            summaries: SummaryStore::new(&db),
            copies: MovieCopies::new(&db),
            outbox: outbox.clone(),
            participant: Participant::new(
                &db,
                SERVICE,
                ON_USER_DELETION,
                outbox.clone(),
                fault.clone(),
            ),
            movie_participant: Participant::new(&db, SERVICE, ON_MOVIE_DELETION, outbox, fault),
            answers: Answers::connect(&cache, SERVICE).await?,
            inbox: Inbox::new(&db, ON_MOVIE_CHANGE),
            mongo,
            db,
        })
    }
}
