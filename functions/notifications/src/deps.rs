//! What the notification function holds for the life of its container.

use streamia_shared::events::Inbox;
use streamia_shared::Config;

use crate::mailer::{MailConfig, Mailer};
use crate::{ON_USER_EVENT, SERVICE};

/// Clients built once in `main`.
#[derive(Clone)]
pub struct Deps {
    /// SMTP.
    pub mailer: Mailer,
    /// Handled events of the user-events consumer.
    pub inbox: Inbox,
}

/// The container could not start.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// Platform settings.
    #[error(transparent)]
    Config(#[from] streamia_shared::config::ConfigError),
    /// Mail settings.
    #[error(transparent)]
    Mail(#[from] crate::mailer::MailConfigError),
    /// MongoDB.
    #[error("mongodb: {0}")]
    Mongo(#[from] mongodb::error::Error),
}

impl Deps {
    /// From the process environment.
    pub async fn from_env() -> Result<Self, InitError> {
        Self::build(&Config::from_env()?, &MailConfig::from_env()?).await
    }

    /// From explicit settings (tests).
    pub async fn build(config: &Config, mail: &MailConfig) -> Result<Self, InitError> {
        let mongo = streamia_shared::db::connect(&config.mongodb_uri).await?;
        Ok(Self {
            mailer: Mailer::new(mail)?,
            inbox: Inbox::new(
                &mongo.database(&config.database_name(SERVICE)),
                ON_USER_EVENT,
            ),
        })
    }
}
