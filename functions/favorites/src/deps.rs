//! What every favorites function holds for the life of its container.

use streamia_shared::cache::answers::Answers;
use streamia_shared::config::{CacheRedisConfig, MongoConfig, Topics};
use streamia_shared::events::movie_copies::MovieCopies;
use streamia_shared::events::{EventPublisher, Inbox, Outbox, Topic};
use streamia_shared::init::InitError;
use streamia_shared::saga::{Participant, SagaFault};
use streamia_shared::service::{SdkConfig, Service};

use crate::store::FavoriteStore;
use crate::{ON_MOVIE_CHANGE, ON_MOVIE_DELETION, ON_USER_DELETION, SERVICE};

/// Clients built once per cold start and shared by every invocation (building opens no
/// connection). Every function of the service needs MongoDB and the cache Redis (the list
/// reads it, every writer and the consumer make its answers stale), so one `Deps` serves the
/// routes and the consumer alike.
#[derive(Clone)]
pub struct Deps {
    /// The favorites.
    pub favorites: FavoriteStore,
    /// The copies of movies (from movie events): whether a movie may be favorited, and the
    /// title and cover a list shows.
    pub copies: MovieCopies,
    /// The cached list pages (cache Redis): read by the list, made stale by every write and
    /// every movie copy change (see `crate::cache`).
    pub answers: Answers,
    /// Handled movie events (the consumer's).
    pub inbox: Inbox,
    /// The favorites' part in the user-deletion saga: its ledger, and its replies through
    /// the service's outbox to the favorite-events topic (only `favorites-on-user-deletion`
    /// and the relay are given the topic; the others never reply).
    pub participant: Participant,
    /// The favorites' step of the movie-deletion saga (`favorites-on-movie-deletion`).
    pub movie_participant: Participant,
    /// Where the favorites' own events go (the saga replies, the alerts of a movie removed).
    pub outbox: Outbox,
    /// The client, for the consumer's transactions.
    pub mongo: mongodb::Client,
    /// The service's database.
    pub db: mongodb::Database,
}

/// MongoDB, the cache Redis, and (for the saga's consumer) the favorite-events topic and the
/// fault a test stack may inject.
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
            EventPublisher::new(aws, topics.arn(Topic::FavoriteEvents), SERVICE),
        );
        Ok(Self {
            favorites: FavoriteStore::new(&db),
            copies: MovieCopies::new(&db),
            answers: Answers::connect(&cache, SERVICE).await?,
            inbox: Inbox::new(&db, ON_MOVIE_CHANGE),
            participant: Participant::new(
                &db,
                SERVICE,
                ON_USER_DELETION,
                outbox.clone(),
                fault.clone(),
            ),
            movie_participant: Participant::new(
                &db,
                SERVICE,
                ON_MOVIE_DELETION,
                outbox.clone(),
                fault,
            ),
            outbox,
            mongo,
            db,
        })
    }
}
