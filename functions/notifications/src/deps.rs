//! What the notification functions hold for the life of their container.

use streamia_shared::config::{MongoConfig, RedisConfig};
use streamia_shared::events::Inbox;
use streamia_shared::init::InitError;
use streamia_shared::resilience::Breaker;
use streamia_shared::service::SdkConfig;
use streamia_shared::service::Service;

use crate::copies::{self, UserCopies};
use crate::mailer::{self, MailConfig, Mailer};
use crate::{ON_USER_CHANGE, ON_USER_EVENT, ON_USER_EVENT_COPY, SERVICE};

/// Clients built once in `main`.
#[derive(Clone)]
pub struct Deps {
    /// SMTP.
    pub mailer: Mailer,
    /// Handled events of the user-events consumer.
    pub inbox: Inbox,
    /// The copies of users: the "account deleted" email is written from one, then ends it.
    pub copies: UserCopies,
    /// Handled `user.deletion_completed` events as applied to the copies (apart from
    /// `inbox`, which records the email).
    pub copy_inbox: Inbox,
    /// The client the copy's transaction runs on.
    pub mongo: mongodb::Client,
}

/// The senders read MongoDB, SMTP, and the auth Redis for the SMTP circuit they share.
impl Service for Deps {
    type Config = (MongoConfig, MailConfig, RedisConfig);

    async fn build(
        (mongo, mail, redis): (MongoConfig, MailConfig, RedisConfig),
        _aws: &SdkConfig,
    ) -> Result<Self, InitError> {
        let client = streamia_shared::db::connect(&mongo.uri).await?;
        let db = client.database(&mongo.database_name(SERVICE));
        let circuit = Breaker::connect(mailer::CIRCUIT, mailer::CIRCUIT_POLICY, &redis).await?;
        Ok(Self {
            mailer: Mailer::new(&mail, circuit)?,
            inbox: Inbox::new(&db, ON_USER_EVENT),
            copies: copies::user_copies(&db),
            copy_inbox: Inbox::new(&db, ON_USER_EVENT_COPY),
            mongo: client,
        })
    }
}

/// What `notifications-on-user-change` holds: MongoDB only. It sends no email, so it loads no
/// SMTP setting and the template gives it none (nor the SMTP password's secret).
#[derive(Clone)]
pub struct CopyDeps {
    /// The client the inbox transactions run on.
    pub mongo: mongodb::Client,
    /// Handled events of the user-changes consumer.
    pub inbox: Inbox,
    /// The copies of users.
    pub copies: UserCopies,
}

/// The user-changes consumer reads MongoDB only (no SMTP settings).
impl Service for CopyDeps {
    type Config = MongoConfig;

    async fn build(mongo: MongoConfig, _aws: &SdkConfig) -> Result<Self, InitError> {
        let client = streamia_shared::db::connect(&mongo.uri).await?;
        let db = client.database(&mongo.database_name(SERVICE));
        Ok(Self {
            inbox: Inbox::new(&db, ON_USER_CHANGE),
            copies: copies::user_copies(&db),
            mongo: client,
        })
    }
}
