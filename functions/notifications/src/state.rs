//! What the notification function holds for the life of its container.

use streamia_shared::Config;

use crate::inbox::Inbox;
use crate::mailer::{MailConfig, Mailer};
use crate::SERVICE;

/// Clients built once in `main`.
#[derive(Clone)]
pub struct State {
    /// SMTP.
    pub mailer: Mailer,
    /// Handled events.
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

impl State {
    /// From the process environment.
    pub async fn from_env() -> Result<Self, InitError> {
        Self::build(&Config::from_env()?, &MailConfig::from_env()?).await
    }

    /// From explicit settings (tests).
    pub async fn build(config: &Config, mail: &MailConfig) -> Result<Self, InitError> {
        let mongo = streamia_shared::db::connect(&config.mongodb_uri).await?;
        Ok(Self {
            mailer: Mailer::new(mail)?,
            inbox: Inbox::new(&mongo.database(&config.database_name(SERVICE))),
        })
    }
}
