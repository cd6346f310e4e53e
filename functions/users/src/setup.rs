//! The users service's setup step: reads only MongoDB settings, creates the indexes.

use streamia_shared::config::{Load, MongoConfig};
use streamia_shared::init::InitError;
use streamia_shared::secrets::Environment;

use crate::SERVICE;

/// Reads the environment (secrets from Secrets Manager) and creates every index of the
/// service's database.
pub async fn run() -> Result<(), InitError> {
    let aws = streamia_shared::events::aws_config_from_env().await;
    let env = Environment::load(&aws).await?;
    let mongo = MongoConfig::load(&env.lookup())?;
    setup_database(&mongo).await
}

/// Creates every index of the service's database on `mongo`.
pub async fn setup_database(mongo: &MongoConfig) -> Result<(), InitError> {
    let client = streamia_shared::db::connect(&mongo.uri).await?;
    let db = client.database(&mongo.database_name(SERVICE));
    crate::store::create_indexes(&db).await?;
    tracing::info!(database = %db.name(), "indexes ready");
    Ok(())
}
