//! What the notification functions hold for the life of their container.

use streamia_shared::config::MongoConfig;
use streamia_shared::events::Inbox;
use streamia_shared::init::InitError;
use streamia_shared::service::SdkConfig;
use streamia_shared::service::Service;

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

impl Service for Deps {
    type Config = (MongoConfig, MailConfig);

    async fn build(
        (mongo, mail): (MongoConfig, MailConfig),
        _aws: &SdkConfig,
    ) -> Result<Self, InitError> {
        let client = streamia_shared::db::connect(&mongo.uri).await?;
        Ok(Self {
            mailer: Mailer::new(&mail)?,
            inbox: Inbox::new(
                &client.database(&mongo.database_name(SERVICE)),
                ON_USER_EVENT,
            ),
        })
    }
}
