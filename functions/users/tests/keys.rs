//! The access-token keys as the setup step creates them and an operator rotates them, on
//! LocalStack's Secrets Manager (empty sets, as the template creates them).

use std::time::Duration;

use serde_json::json;
use streamia_shared::auth::keys::{self, KeySecrets, KeySet, KeyUse, RotationPolicy};
use streamia_shared::testing::{create_secret, localstack_config};
use streamia_users::adapters::invoke::rotate_keys;

async fn empty_sets() -> (aws_sdk_secretsmanager::Client, KeySecrets) {
    let client = aws_sdk_secretsmanager::Client::new(&localstack_config().await);
    let id = uuid::Uuid::new_v4().simple().to_string();
    let signing = create_secret(&client, &format!("keys-{id}/signing"), "{}").await;
    let public = create_secret(&client, &format!("keys-{id}/public"), "{}").await;
    (client, KeySecrets { signing, public })
}

async fn read(client: &aws_sdk_secretsmanager::Client, id: &str) -> KeySet {
    KeySet::parse(&keys::read_secret(client, id).await.unwrap()).unwrap()
}

const NO_WAIT: RotationPolicy = RotationPolicy {
    min_staged: Duration::ZERO,
    retire_after: Duration::ZERO,
};

#[tokio::test]
async fn the_setup_generates_the_first_pair_once_and_publishes_its_public_half() {
    let (client, secrets) = empty_sets().await;
    let first = keys::initialise(&client, &secrets).await.unwrap();
    assert!(first.changed);
    let signing = read(&client, &secrets.signing).await;
    let public = read(&client, &secrets.public).await;
    assert!(KeyUse::Sign.check(&signing).is_ok());
    assert!(
        KeyUse::Verify.check(&public).is_ok(),
        "no private key in it"
    );
    assert_eq!(public.current().unwrap().kid(), first.current.unwrap());
    // A redeploy runs it again: nothing changes.
    let again = keys::initialise(&client, &secrets).await.unwrap();
    assert!(!again.changed);
    assert_eq!(
        read(&client, &secrets.signing).await.to_json(),
        signing.to_json()
    );
}

#[tokio::test]
async fn an_operator_stages_then_promotes_and_the_public_set_always_covers_the_signers() {
    let (client, secrets) = empty_sets().await;
    let first = keys::initialise(&client, &secrets).await.unwrap();
    let stage = rotate_keys(&client, &secrets, &NO_WAIT, json!({"step": "stage"}))
        .await
        .unwrap();
    assert!(stage.changed);
    let next = stage.next.clone().unwrap();
    let public = read(&client, &secrets.public).await;
    assert!(public.next().is_some_and(|k| k.kid() == next), "published");
    assert_eq!(
        read(&client, &secrets.signing)
            .await
            .current()
            .unwrap()
            .kid(),
        first.current.clone().unwrap(),
        "still signing with the current key"
    );
    // Staging again is harmless.
    let again = rotate_keys(&client, &secrets, &NO_WAIT, json!({"step": "stage"}))
        .await
        .unwrap();
    assert!(!again.changed);
    assert_eq!(again.next.as_deref(), Some(next.as_str()));

    let promote = rotate_keys(&client, &secrets, &NO_WAIT, json!({"step": "promote"}))
        .await
        .unwrap();
    assert_eq!(promote.current.as_deref(), Some(next.as_str()));
    assert_eq!(promote.previous, first.current);
    let signing = read(&client, &secrets.signing).await;
    let public = read(&client, &secrets.public).await;
    assert!(signing.covered_by(&public));
    assert!(!public.has_private());

    // Refusals name what to do.
    let err = rotate_keys(&client, &secrets, &NO_WAIT, json!({"step": "promote"}))
        .await
        .unwrap_err();
    assert_eq!(err.error_type, "NothingStaged");
    rotate_keys(&client, &secrets, &NO_WAIT, json!({"step": "stage"}))
        .await
        .unwrap();
    let strict = RotationPolicy::for_access_ttl(Duration::from_secs(900));
    let err = rotate_keys(&client, &secrets, &strict, json!({"step": "promote"}))
        .await
        .unwrap_err();
    assert_eq!(err.error_type, "TooSoon", "{}", err.error_message);
    let err = rotate_keys(&client, &secrets, &NO_WAIT, json!({"step": "rotate"}))
        .await
        .unwrap_err();
    assert_eq!(err.error_type, "InvalidPayload");
}

/// Two operators staging at once can leave the signing set's staged key out of the public set
/// (each publishes its own key, the last signing write wins), as can a publication lost by
/// hand. Promoting then would sign tokens no verifier can check: it is refused, and staging
/// again publishes the same key and starts its wait again.
#[tokio::test]
async fn a_staged_key_missing_from_the_public_set_is_never_promoted() {
    let (client, secrets) = empty_sets().await;
    keys::initialise(&client, &secrets).await.unwrap();
    let stage = rotate_keys(&client, &secrets, &NO_WAIT, json!({"step": "stage"}))
        .await
        .unwrap();
    let next = stage.next.clone().unwrap();
    // The public set as before the stage: the staged key's publication is lost.
    let signing = read(&client, &secrets.signing).await;
    let mut wire: serde_json::Value = serde_json::from_str(&signing.public().to_json()).unwrap();
    wire.as_object_mut().unwrap().remove("next");
    client
        .put_secret_value()
        .secret_id(&secrets.public)
        .secret_string(wire.to_string())
        .send()
        .await
        .unwrap();

    let err = rotate_keys(&client, &secrets, &NO_WAIT, json!({"step": "promote"}))
        .await
        .unwrap_err();
    assert_eq!(err.error_type, "NotPublished", "{}", err.error_message);
    assert_eq!(
        read(&client, &secrets.signing).await.to_json(),
        signing.to_json(),
        "nothing promoted"
    );

    // Stage again: the same key, published, its wait started again.
    let policy = RotationPolicy {
        min_staged: Duration::from_secs(3600),
        retire_after: Duration::ZERO,
    };
    let again = rotate_keys(&client, &secrets, &policy, json!({"step": "stage"}))
        .await
        .unwrap();
    assert!(again.changed);
    assert_eq!(again.next.as_deref(), Some(next.as_str()));
    let public = read(&client, &secrets.public).await;
    assert!(public.holds(read(&client, &secrets.signing).await.next().unwrap()));
    let err = rotate_keys(&client, &secrets, &policy, json!({"step": "promote"}))
        .await
        .unwrap_err();
    assert_eq!(
        err.error_type, "TooSoon",
        "the wait restarted: {}",
        err.error_message
    );
    let done = rotate_keys(&client, &secrets, &NO_WAIT, json!({"step": "promote"}))
        .await
        .unwrap();
    assert_eq!(done.current.as_deref(), Some(next.as_str()));
}
