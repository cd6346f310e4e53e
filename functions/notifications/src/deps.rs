//! What the notification function holds for the life of its container.

use streamia_shared::config::{Load, MongoConfig};
use streamia_shared::events::Inbox;
use streamia_shared::secrets::Environment;

use crate::copies::{self, UserCopies};
use crate::mailer::{MailConfig, Mailer};
use crate::{ON_USER_CHANGE, ON_USER_EVENT, SERVICE};

/// Clients built once in `main`.
#[derive(Clone)]
pub struct Deps {
    /// SMTP.
    pub mailer: Mailer,
    /// Handled events of the user-events consumer.
    pub inbox: Inbox,
}

pub use streamia_shared::init::InitError;

impl Deps {
    /// From the process environment.
    pub async fn from_env() -> Result<Self, InitError> {
        let aws = streamia_shared::events::aws_config_from_env().await;
        let env = Environment::load(&aws).await?;
        let lookup = env.lookup();
        Self::build(
            &MongoConfig::load(&lookup)?,
            &MailConfig::from_lookup(lookup)?,
        )
        .await
    }

    /// From explicit settings (tests).
    pub async fn build(mongo: &MongoConfig, mail: &MailConfig) -> Result<Self, InitError> {
        let client = streamia_shared::db::connect(&mongo.uri).await?;
        Ok(Self {
            mailer: Mailer::new(mail)?,
            inbox: Inbox::new(
                &client.database(&mongo.database_name(SERVICE)),
                ON_USER_EVENT,
            ),
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

impl CopyDeps {
    /// From the process environment.
    pub async fn from_env() -> Result<Self, InitError> {
        let aws = streamia_shared::events::aws_config_from_env().await;
        let env = Environment::load(&aws).await?;
        let mongo = MongoConfig::load(&env.lookup())?;
        Self::build(&mongo).await
    }

    /// From explicit settings (tests).
    pub async fn build(mongo: &MongoConfig) -> Result<Self, InitError> {
        let client = streamia_shared::db::connect(&mongo.uri).await?;
        let db = client.database(&mongo.database_name(SERVICE));
        Ok(Self {
            inbox: Inbox::new(&db, ON_USER_CHANGE),
            copies: copies::user_copies(&db),
            mongo: client,
        })
    }
}
