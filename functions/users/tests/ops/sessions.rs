//! refresh and logout.

use streamia_users::ops::{logout, refresh};
use streamia_users::UsersError;

use crate::common::*;

/// Moves every spend back past the retry grace window (instead of sleeping through it) and
/// returns the time it was moved to.
async fn age_spends(f: &Fixture) -> bson::DateTime {
    let aged = bson::DateTime::from_millis(
        bson::DateTime::now().timestamp_millis() - refresh::RETRY_GRACE.as_millis() as i64 - 1000,
    );
    f.collection("refresh_tokens")
        .update_many(
            bson::doc! {"spentAt": {"$ne": null}},
            bson::doc! {"$set": {"spentAt": aged}},
        )
        .await
        .unwrap();
    aged
}

#[tokio::test]
async fn refresh_rotates_the_pair() {
    let f = Fixture::new().await;
    let (auth, _, view) = f.user().await;
    let next = f.refresh(&auth.refresh_token).await.unwrap();
    assert_ne!(next.refresh_token, auth.refresh_token);
    assert_eq!(serde_json::to_value(&next.user).unwrap()["id"], view["id"]);
    assert!(f.authorized(&next.access_token).await);
    f.refresh(&next.refresh_token).await.unwrap();
    assert!(matches!(
        refresh::parse(refresh::Input::default()),
        Err(UsersError::Validation(_))
    ));
    assert!(matches!(
        f.refresh("not-a-real-token").await,
        Err(UsersError::InvalidRefreshToken)
    ));
}

#[tokio::test]
async fn a_retry_within_the_grace_window_gets_the_same_successor() {
    let f = Fixture::new().await;
    let (auth, _, _) = f.user().await;
    // A double submit: both at once, and once more right after.
    let (a, b) = tokio::join!(
        f.refresh(&auth.refresh_token),
        f.refresh(&auth.refresh_token)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.refresh_token, b.refresh_token);
    let c = f.refresh(&auth.refresh_token).await.unwrap();
    assert_eq!(c.refresh_token, a.refresh_token);
    // Nothing was revoked: every access token works and the successor refreshes.
    for access in [&a.access_token, &b.access_token, &c.access_token] {
        assert!(f.authorized(access).await);
    }
    f.refresh(&a.refresh_token).await.unwrap();
    // The successor is not stored in clear.
    let stored = f
        .collection("refresh_tokens")
        .find_one(bson::doc! {"successorHash": {"$ne": null}})
        .await
        .unwrap()
        .unwrap();
    assert!(!stored.to_string().contains(&a.refresh_token));
}

#[tokio::test]
async fn reuse_after_the_grace_window_revokes_the_family() {
    let f = Fixture::new().await;
    let (auth, _, _) = f.user().await;
    let next = f.refresh(&auth.refresh_token).await.unwrap();
    // Age the spend past the window instead of sleeping.
    age_spends(&f).await;
    assert!(matches!(
        f.refresh(&auth.refresh_token).await,
        Err(UsersError::RefreshTokenReuse)
    ));
    assert!(matches!(
        f.refresh(&next.refresh_token).await,
        Err(UsersError::InvalidRefreshToken)
    ));
    assert!(!f.authorized(&next.access_token).await);
    assert!(!f.authorized(&auth.access_token).await);
}

#[tokio::test]
async fn sealed_successors_do_not_outlive_the_grace_window() {
    let f = Fixture::new().await;
    let (auth, _, _) = f.user().await;
    let next = f.refresh(&auth.refresh_token).await.unwrap();
    let sealed = bson::doc! {"successorSealed": {"$ne": null}};
    let count = || async {
        f.collection("refresh_tokens")
            .count_documents(sealed.clone())
            .await
            .unwrap()
    };
    assert_eq!(count().await, 1, "kept for a retry within the window");
    // The first spend leaves the window; the next rotation drops what it sealed.
    let aged = age_spends(&f).await;
    let third = f.refresh(&next.refresh_token).await.unwrap();
    assert_eq!(
        count().await,
        1,
        "only the latest spend keeps its sealed successor"
    );
    let first = f
        .collection("refresh_tokens")
        .find_one(bson::doc! {"successorHash": {"$ne": null}, "spentAt": aged})
        .await
        .unwrap()
        .unwrap();
    assert!(!first.contains_key("successorSealed"), "{first:?}");
    assert!(f.authorized(&third.access_token).await);
}

#[tokio::test]
async fn a_retry_after_the_successor_was_used_is_reuse() {
    let f = Fixture::new().await;
    let (auth, _, _) = f.user().await;
    let next = f.refresh(&auth.refresh_token).await.unwrap();
    let third = f.refresh(&next.refresh_token).await.unwrap();
    assert!(matches!(
        f.refresh(&auth.refresh_token).await,
        Err(UsersError::RefreshTokenReuse)
    ));
    assert!(!f.authorized(&third.access_token).await);
}

#[tokio::test]
async fn logout_ends_the_session_and_another_of_the_callers() {
    let f = Fixture::new().await;
    let (auth, caller, view) = f.user().await;
    let other = f
        .login(&f.deps, view["email"].as_str().unwrap(), PASSWORD)
        .await
        .unwrap();
    let (stranger, _, _) = f.user().await;
    for token in [&other.refresh_token, &stranger.refresh_token] {
        let cmd = logout::parse(
            caller.clone(),
            logout::Input {
                refresh_token: Some(token.clone()),
            },
        )
        .unwrap();
        logout::execute(&f.deps, cmd, &ctx()).await.unwrap();
    }
    assert!(!f.authorized(&auth.access_token).await);
    assert!(!f.authorized(&other.access_token).await);
    assert!(f.authorized(&stranger.access_token).await);
    assert!(matches!(
        f.refresh(&auth.refresh_token).await,
        Err(UsersError::InvalidRefreshToken)
    ));
}
