//! The users service's setup step: reads only MongoDB settings, creates the indexes.

use streamia_shared::config::{Load, MongoConfig};
use streamia_shared::secrets::Environment;

use crate::SERVICE;

/// The setup could not run.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// Settings.
    #[error(transparent)]
    Config(#[from] streamia_shared::config::ConfigError),
    /// The connection string secret.
    #[error(transparent)]
    Secret(#[from] streamia_shared::secrets::SecretError),
    /// MongoDB.
    #[error("mongodb: {0}")]
    Mongo(#[from] mongodb::error::Error),
}

/// Reads the environment (secrets from Secrets Manager) and creates every index of the
/// service's database.
pub async fn run() -> Result<(), SetupError> {
    let aws = streamia_shared::events::aws_config_from_env().await;
    let env = Environment::load(&aws).await?;
    let mongo = MongoConfig::load(&env.lookup())?;
    setup_database(&mongo).await
}

/// Creates every index of the service's database on `mongo`.
pub async fn setup_database(mongo: &MongoConfig) -> Result<(), SetupError> {
    let client = streamia_shared::db::connect(&mongo.uri).await?;
    let db = client.database(&mongo.database_name(SERVICE));
    crate::store::create_indexes(&db).await?;
    tracing::info!(database = %db.name(), "indexes ready");
    Ok(())
}
