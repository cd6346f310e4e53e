//! Secrets come from Secrets Manager (LocalStack here, as in the local stack), never from a
//! plain environment variable.

use streamia_shared::auth::keys::KeySet;
use streamia_shared::config::{Load, MongoConfig, PublicKeysConfig, RedisConfig, TokenConfig};
use streamia_shared::secrets::Environment;
use streamia_shared::testing::{create_secret, localstack_config};

/// A unique suffix without another dependency.
fn id() -> String {
    format!(
        "{:x}{:x}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

#[tokio::test]
async fn a_config_loads_its_secret_from_secrets_manager() {
    let aws = localstack_config().await;
    let client = aws_sdk_secretsmanager::Client::new(&aws);
    let id = id();
    let keys = KeySet::initial(chrono::Utc::now()).public();
    let secret = keys.to_json();
    let arn = create_secret(&client, &format!("checks-{id}/jwt-public-keys"), &secret).await;
    let plain = KeySet::initial(chrono::Utc::now()).public().to_json();
    let env = Environment::resolve(
        [
            ("JWT_PUBLIC_KEYS_SECRET_ARN".to_owned(), arn.clone()),
            // A plain value beside it is ignored: the secret wins, and alone it is dropped.
            ("JWT_PUBLIC_KEYS".to_owned(), plain),
            ("ACCESS_TOKEN_TTL_SECONDS".to_owned(), "600".to_owned()),
        ],
        &aws,
    )
    .await
    .unwrap();
    let public = PublicKeysConfig::load(&env.lookup()).unwrap();
    assert_eq!(public.keys.keys.to_json(), secret);
    assert_eq!(public.keys.secret_id.as_deref(), Some(arn.as_str()));
    let tokens = TokenConfig::load(&env.lookup()).unwrap();
    assert_eq!(tokens.access_ttl.as_secs(), 600);
    assert!(
        !format!("{env:?}").contains(&secret),
        "values stay out of Debug"
    );
}

#[tokio::test]
async fn a_secret_given_by_name_works_like_an_arn() {
    let aws = localstack_config().await;
    let client = aws_sdk_secretsmanager::Client::new(&aws);
    let name = format!("checks-{}/mongodb-uri", id());
    create_secret(&client, &name, "mongodb://127.0.0.1:1/").await;
    let env = Environment::resolve([("MONGODB_URI_SECRET_ARN".to_owned(), name)], &aws)
        .await
        .unwrap();
    assert_eq!(
        MongoConfig::load(&env.lookup()).unwrap().uri,
        "mongodb://127.0.0.1:1/"
    );
}

#[tokio::test]
async fn plain_secret_values_in_the_environment_are_refused() {
    let aws = localstack_config().await;
    let env = Environment::resolve(
        [("REDIS_URL".to_owned(), "redis://127.0.0.1:6379/".to_owned())],
        &aws,
    )
    .await
    .unwrap();
    let err = RedisConfig::load(&env.lookup()).unwrap_err();
    assert!(
        err.to_string().contains("REDIS_URL_SECRET_ARN is required"),
        "{err}"
    );
}

#[tokio::test]
async fn a_missing_secret_fails_the_cold_start_naming_it() {
    let aws = localstack_config().await;
    let err = Environment::resolve(
        [(
            "REDIS_URL_SECRET_ARN".to_owned(),
            format!("checks-{}/does-not-exist", id()),
        )],
        &aws,
    )
    .await
    .unwrap_err();
    assert_eq!(err.var, "REDIS_URL_SECRET_ARN");
    assert!(err.to_string().contains("does-not-exist"), "{err}");
}
