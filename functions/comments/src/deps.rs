//! What every comments function holds for the life of its container.

use streamia_shared::config::{MongoConfig, Topics};
use streamia_shared::events::movie_copies::MovieCopies;
use streamia_shared::events::{EventPublisher, Inbox, Outbox, Topic};
use streamia_shared::init::InitError;
use streamia_shared::saga::{Participant, SagaFault};
use streamia_shared::service::{SdkConfig, Service};

use crate::domain::UserNames;
use crate::error::CommentsError;
use crate::limits::{LimitPieces, Limiter};
use crate::store::{CommentStore, ReportStore};
use crate::{ON_MOVIE_CHANGE, ON_MOVIE_DELETION, ON_USER_CHANGE, ON_USER_DELETION, SERVICE};

/// The HTTP functions' clients, built once per cold start (building opens no connection).
#[derive(Clone)]
pub struct Deps {
    /// The comments.
    pub comments: CommentStore,
    /// Who reported what (one per user and comment, ever).
    pub reports: ReportStore,
    /// The copies of movies (which exist, from the movie events).
    pub movies: MovieCopies,
    /// The copies of usernames (from the user events).
    pub users: UserNames,
    /// Per-user limits (auth Redis); `None` in the functions that neither comment nor report.
    pub limits: Option<Limiter>,
    /// The client, for transactions.
    pub mongo: mongodb::Client,
    /// The service's database.
    pub db: mongodb::Database,
}

/// MongoDB, and (for `comments-create` and `comments-report`) the auth Redis with the
/// per-user limits.
type Pieces = (MongoConfig, LimitPieces);

impl Service for Deps {
    type Config = Pieces;

    async fn build((mongo_config, limits): Pieces, _aws: &SdkConfig) -> Result<Self, InitError> {
        let mongo = streamia_shared::db::connect(&mongo_config.uri).await?;
        let db = mongo.database(&mongo_config.database_name(SERVICE));
        let limits = match limits.0 {
            Some((redis_config, limits)) => {
                let redis = streamia_shared::cache::connect(&redis_config).await?;
                Some(Limiter::new(redis, &redis_config.key_prefix, limits))
            }
            None => None,
        };
        Ok(Self {
            comments: CommentStore::new(&db),
            reports: ReportStore::new(&db),
            movies: MovieCopies::new(&db),
            users: UserNames::new(&db),
            limits,
            mongo,
            db,
        })
    }
}

impl Deps {
    /// The per-user limits; an error in a function deployed without them.
    pub fn limits(&self) -> Result<&Limiter, CommentsError> {
        self.limits
            .as_ref()
            .ok_or(CommentsError::LimitsNotConfigured)
    }
}

/// What the two consumers (`comments-on-movie-change`, `comments-on-user-change`) hold:
/// MongoDB only, the copies they keep and their inboxes.
#[derive(Clone)]
pub struct CopyDeps {
    /// The client the inbox transactions run on.
    pub mongo: mongodb::Client,
    /// The copies of movies.
    pub movies: MovieCopies,
    /// Handled movie events (`comments-on-movie-change`).
    pub movie_inbox: Inbox,
    /// The copies of usernames.
    pub users: UserNames,
    /// Handled user events (`comments-on-user-change`).
    pub user_inbox: Inbox,
}

/// The consumers read MongoDB only.
impl Service for CopyDeps {
    type Config = MongoConfig;

    async fn build(mongo: MongoConfig, _aws: &SdkConfig) -> Result<Self, InitError> {
        let client = streamia_shared::db::connect(&mongo.uri).await?;
        let db = client.database(&mongo.database_name(SERVICE));
        Ok(Self {
            movies: MovieCopies::new(&db),
            movie_inbox: Inbox::new(&db, ON_MOVIE_CHANGE),
            users: UserNames::new(&db),
            user_inbox: Inbox::new(&db, ON_USER_CHANGE),
            mongo: client,
        })
    }
}

/// What `comments-on-user-deletion` (the comments' step of the user-deletion saga) holds:
/// the comments, and the participant with its ledger and its outbox to the comment-events
/// topic. No Redis.
#[derive(Clone)]
pub struct SagaDeps {
    /// The comments.
    pub comments: CommentStore,
    /// The reports (the user's own are purged with the account).
    pub reports: ReportStore,
    /// The saga's participant.
    pub participant: Participant,
    /// The comments' step of the movie-deletion saga (`comments-on-movie-deletion`).
    pub movie_participant: Participant,
}

impl Service for SagaDeps {
    type Config = (MongoConfig, Topics, SagaFault);

    async fn build(
        (mongo, topics, fault): (MongoConfig, Topics, SagaFault),
        aws: &SdkConfig,
    ) -> Result<Self, InitError> {
        let client = streamia_shared::db::connect(&mongo.uri).await?;
        let db = client.database(&mongo.database_name(SERVICE));
        let outbox = Outbox::new(
            &client,
            &db,
            EventPublisher::new(aws, topics.arn(Topic::CommentEvents), SERVICE),
        );
        Ok(Self {
            comments: CommentStore::new(&db),
            reports: ReportStore::new(&db),
            participant: Participant::new(
                &db,
                SERVICE,
                ON_USER_DELETION,
                outbox.clone(),
                fault.clone(),
            ),
            movie_participant: Participant::new(&db, SERVICE, ON_MOVIE_DELETION, outbox, fault),
        })
    }
}
