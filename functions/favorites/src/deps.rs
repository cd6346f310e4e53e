//! What every favorites function holds for the life of its container.

use streamia_shared::cache::answers::Answers;
use streamia_shared::config::{CacheRedisConfig, MongoConfig};
use streamia_shared::events::movie_copies::MovieCopies;
use streamia_shared::events::Inbox;
use streamia_shared::init::InitError;
use streamia_shared::service::{SdkConfig, Service};

use crate::store::FavoriteStore;
use crate::{ON_MOVIE_CHANGE, SERVICE};

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
    /// The client, for the consumer's transactions.
    pub mongo: mongodb::Client,
    /// The service's database.
    pub db: mongodb::Database,
}

/// MongoDB and the cache Redis: favorites publish nothing.
type Pieces = (MongoConfig, CacheRedisConfig);

impl Service for Deps {
    type Config = Pieces;

    async fn build((mongo_config, cache): Pieces, _aws: &SdkConfig) -> Result<Self, InitError> {
        let mongo = streamia_shared::db::connect(&mongo_config.uri).await?;
        let db = mongo.database(&mongo_config.database_name(SERVICE));
        Ok(Self {
            favorites: FavoriteStore::new(&db),
            copies: MovieCopies::new(&db),
            answers: Answers::connect(&cache, SERVICE).await?,
            inbox: Inbox::new(&db, ON_MOVIE_CHANGE),
            mongo,
            db,
        })
    }
}
