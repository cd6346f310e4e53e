//! What the users database keeps is bounded: expired sessions and tokens are purged by TTL
//! indexes, and a spent refresh token serves only a few retries.

use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use streamia_shared::events::{outbox, RETENTION};
use streamia_users::ops::refresh::MAX_GRACE_RETRIES;
use streamia_users::store::EXPIRY_INDEX;
use streamia_users::UsersError;

use crate::common::*;

/// `expireAfterSeconds` of index `name` on `collection`, if it exists.
async fn ttl_of(f: &Fixture, collection: &str, name: &str) -> Option<i64> {
    let indexes: Vec<mongodb::IndexModel> = f
        .collection(collection)
        .list_indexes()
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let index = indexes
        .into_iter()
        .find(|i| i.options.as_ref().and_then(|o| o.name.as_deref()) == Some(name))?;
    index
        .options
        .and_then(|o| o.expire_after)
        .map(|d| d.as_secs() as i64)
}

#[tokio::test]
async fn ttl_indexes_purge_what_expired_and_sent_events_after_the_retention() {
    let f = Fixture::new().await;
    for collection in ["sessions", "refresh_tokens", "password_resets"] {
        assert_eq!(
            ttl_of(&f, collection, EXPIRY_INDEX).await,
            Some(0),
            "{collection}"
        );
    }
    assert_eq!(
        ttl_of(&f, "outbox", outbox::SENT_TTL_INDEX).await,
        Some(RETENTION.as_secs() as i64)
    );
    // The DLQs keep a message 14 days (infra/messaging.yaml); the retention adds a week.
    assert_eq!(RETENTION, Duration::from_secs((14 + 7) * 24 * 3600));
}

#[tokio::test]
async fn an_expired_refresh_token_and_its_session_are_purged() {
    let f = Fixture::new().await;
    let (auth, caller, _) = f.user().await;
    let past = bson::DateTime::from_millis(bson::DateTime::now().timestamp_millis() - 1000);
    for collection in ["refresh_tokens", "sessions"] {
        f.collection(collection)
            .update_many(bson::doc! {}, bson::doc! {"$set": {"expiresAt": past}})
            .await
            .unwrap();
    }
    assert!(matches!(
        f.refresh(&auth.refresh_token).await,
        Err(UsersError::InvalidRefreshToken)
    ));
    // SecantusDB's TTL monitor, like MongoDB's, runs about once a minute.
    let deadline = Instant::now() + Duration::from_secs(150);
    loop {
        let tokens = f
            .collection("refresh_tokens")
            .count_documents(bson::doc! {})
            .await
            .unwrap();
        let sessions = f
            .collection("sessions")
            .count_documents(bson::doc! {"_id": &caller.session_id})
            .await
            .unwrap();
        if tokens == 0 && sessions == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not purged: {tokens} tokens, {sessions} sessions"
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

#[tokio::test]
async fn a_spent_refresh_token_serves_only_a_few_retries() {
    let f = Fixture::new().await;
    let (auth, _, _) = f.user().await;
    let first = f.refresh(&auth.refresh_token).await.unwrap();
    for _ in 0..MAX_GRACE_RETRIES {
        let again = f.refresh(&auth.refresh_token).await.unwrap();
        assert_eq!(again.refresh_token, first.refresh_token);
    }
    // One more within the window is reuse: the session is revoked.
    assert!(matches!(
        f.refresh(&auth.refresh_token).await,
        Err(UsersError::RefreshTokenReuse)
    ));
    assert!(!f.authorized(&first.access_token).await);
    assert!(f.refresh(&first.refresh_token).await.is_err());
}
