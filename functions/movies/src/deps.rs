//! What every movies function holds for the life of its container.

use streamia_shared::config::{CacheRedisConfig, MongoConfig, Topics};
use streamia_shared::events::{EventPublisher, Inbox, Outbox, Topic};
use streamia_shared::init::InitError;
use streamia_shared::media::{MediaConfig, MediaStorage};
use streamia_shared::service::{SdkConfig, Service};

use crate::cache::MovieCache;
use crate::config::MoviesConfig;
use crate::error::MoviesError;
use crate::store::{MediaDeletions, MovieStore, SagaStore};
use crate::{ON_DELETION_STEP, ON_RATING_CHANGE, SERVICE};

/// Clients built once per cold start and shared by every invocation (building opens no
/// connection).
#[derive(Clone)]
pub struct Deps {
    /// The catalog.
    pub movies: MovieStore,
    /// The media objects it is going to delete (see `store::MediaDeletions`).
    pub media_deletions: MediaDeletions,
    /// Its cache (cache Redis).
    pub cache: MovieCache,
    /// Where events go: staged in the transaction of the change they announce, published
    /// after the commit (the scheduled `movies-outbox-relay` publishes what is left). Read
    /// functions are given no topic and publish nothing.
    pub outbox: Outbox,
    /// Handled `rating.changed` events (the ratings consumer's).
    pub inbox: Inbox,
    /// Handled saga replies (`movies-on-deletion-step`'s).
    pub saga_inbox: Inbox,
    /// The movie-deletion sagas (`deletion_sagas`).
    pub sagas: SagaStore,
    /// The service's own settings.
    pub config: MoviesConfig,
    /// Where videos and subtitles live (S3 or Cloudinary), with the largest video accepted;
    /// `None` in the functions deployed without media settings (setup, relay, consumer).
    pub media: Option<(MediaStorage, MediaConfig)>,
    /// The client, for transactions.
    pub mongo: mongodb::Client,
    /// The service's database.
    pub db: mongodb::Database,
}

/// MongoDB, the cache Redis, (for writers) the movie-events topic, and (for the functions that
/// answer movies or handle media) the media storage.
type Pieces = (
    MongoConfig,
    CacheRedisConfig,
    Topics,
    Option<MediaConfig>,
    MoviesConfig,
);

impl Service for Deps {
    type Config = Pieces;

    async fn build(
        (mongo_config, cache, topics, media, config): Pieces,
        aws: &SdkConfig,
    ) -> Result<Self, InitError> {
        let mongo = streamia_shared::db::connect(&mongo_config.uri).await?;
        let db = mongo.database(&mongo_config.database_name(SERVICE));
        let media = match media {
            Some(config) => Some((MediaStorage::connect(&config, aws).await, config)),
            None => None,
        };
        Ok(Self {
            movies: MovieStore::new(&db),
            media_deletions: MediaDeletions::new(&db),
            cache: MovieCache::connect(&cache).await?,
            outbox: Outbox::new(
                &mongo,
                &db,
                EventPublisher::new(aws, topics.arn(Topic::MovieEvents), SERVICE),
            ),
            inbox: Inbox::new(&db, ON_RATING_CHANGE),
            saga_inbox: Inbox::new(&db, ON_DELETION_STEP),
            sagas: SagaStore::new(&db),
            config,
            media,
            mongo,
            db,
        })
    }
}

impl Deps {
    /// The media storage and its settings; an error in a function deployed without them.
    pub fn media(&self) -> Result<(&MediaStorage, &MediaConfig), MoviesError> {
        self.media
            .as_ref()
            .map(|(storage, config)| (storage, config))
            .ok_or(MoviesError::MediaNotConfigured)
    }
}
