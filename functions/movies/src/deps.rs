//! What every movies function holds for the life of its container.

use streamia_shared::config::{CacheRedisConfig, MongoConfig, Topics};
use streamia_shared::events::{EventPublisher, Inbox, Outbox, Topic};
use streamia_shared::init::InitError;
use streamia_shared::service::{SdkConfig, Service};

use crate::cache::MovieCache;
use crate::store::MovieStore;
use crate::{ON_RATING_CHANGE, SERVICE};

/// Clients built once per cold start and shared by every invocation (building opens no
/// connection).
#[derive(Clone)]
pub struct Deps {
    /// The catalog.
    pub movies: MovieStore,
    /// Its cache (cache Redis).
    pub cache: MovieCache,
    /// Where events go: staged in the transaction of the change they announce, published
    /// after the commit (the scheduled `movies-outbox-relay` publishes what is left). Read
    /// functions are given no topic and publish nothing.
    pub outbox: Outbox,
    /// Handled `rating.changed` events (the ratings consumer's).
    pub inbox: Inbox,
    /// The client, for transactions.
    pub mongo: mongodb::Client,
    /// The service's database.
    pub db: mongodb::Database,
}

/// MongoDB, the cache Redis and (for writers) the movie-events topic.
type Pieces = (MongoConfig, CacheRedisConfig, Topics);

impl Service for Deps {
    type Config = Pieces;

    async fn build(
        (mongo_config, cache, topics): Pieces,
        aws: &SdkConfig,
    ) -> Result<Self, InitError> {
        let mongo = streamia_shared::db::connect(&mongo_config.uri).await?;
        let db = mongo.database(&mongo_config.database_name(SERVICE));
        Ok(Self {
            movies: MovieStore::new(&db),
            cache: MovieCache::connect(&cache).await?,
            outbox: Outbox::new(
                &mongo,
                &db,
                EventPublisher::new(aws, topics.arn(Topic::MovieEvents), SERVICE),
            ),
            inbox: Inbox::new(&db, ON_RATING_CHANGE),
            mongo,
            db,
        })
    }
}
