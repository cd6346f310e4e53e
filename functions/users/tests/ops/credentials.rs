//! A credential change (password change, reset) is one unit: cut between any two of its steps,
//! as if the function died there, nothing durable has changed and every session is either
//! wholly alive or wholly refused (refresh and the authorizer agree); run to the end, all of it
//! happened.

use streamia_shared::faults::Cuts;
use streamia_users::credentials::{self, STEPS};
use streamia_users::ops::{change_password, forgot_password, reset_password, Caller};
use streamia_users::{Deps, UsersError};

use crate::common::*;

const NEW_PASSWORD: &str = "Changed456";

/// A user with two sessions (the caller's, kept by a change, and another) and an outstanding
/// reset link.
struct Account {
    email: String,
    caller: Caller,
    other: streamia_users::sessions::AuthResponse,
    link: String,
}

async fn account(f: &Fixture) -> Account {
    let (_, caller, view) = f.user().await;
    let email = view["email"].as_str().unwrap().to_owned();
    let other = f.login(&f.deps, &email, PASSWORD).await.unwrap();
    let cmd = forgot_password::parse(forgot_password::Input {
        email: Some(email.clone()),
    })
    .unwrap();
    forgot_password::execute(&f.deps, cmd, &ctx())
        .await
        .unwrap();
    let events = f.env.events_named("user.password_reset_requested", 1).await;
    let url = events[0].envelope.payload["resetUrl"].as_str().unwrap();
    let link = url.rsplit('/').next().unwrap().to_owned();
    Account {
        email,
        caller,
        other,
        link,
    }
}

/// The same service with its operations cut after `step`.
async fn cut_after(f: &Fixture, step: &'static str) -> Deps {
    let mut deps = instance(&f.env).await;
    deps.cuts = Cuts::at(step);
    deps
}

async fn change(deps: &Deps, caller: &Caller) -> Result<(), UsersError> {
    let cmd = change_password::parse(
        caller.clone(),
        change_password::Input {
            current_password: Some(PASSWORD.into()),
            new_password: Some(NEW_PASSWORD.into()),
        },
    )?;
    change_password::execute(deps, cmd, &ctx()).await
}

async fn reset(deps: &Deps, token: &str) -> Result<(), UsersError> {
    let cmd = reset_password::parse(reset_password::Input {
        token: Some(token.into()),
        password: Some(NEW_PASSWORD.into()),
    })?;
    reset_password::execute(deps, cmd, &ctx()).await
}

async fn password_hash(f: &Fixture, email: &str) -> String {
    let user = f
        .collection("users")
        .find_one(bson::doc! {"email": email})
        .await
        .unwrap()
        .unwrap();
    user.get_str("passwordHash").unwrap().to_owned()
}

async fn outstanding_links(f: &Fixture) -> u64 {
    f.collection("password_resets")
        .count_documents(bson::doc! {"usedAt": null})
        .await
        .unwrap()
}

/// After a cut: nothing durable changed, and the other session is alive or refused alike by
/// the authorizer and by refresh. Returns whether it is still alive.
async fn assert_nothing_changed(f: &Fixture, a: &Account, hash_before: &str, step: &str) -> bool {
    assert_eq!(password_hash(f, &a.email).await, hash_before, "{step}");
    assert_eq!(
        outstanding_links(f).await,
        1,
        "{step}: the link was retired"
    );
    let authorized = f.authorized(&a.other.access_token).await;
    let refreshed = f.refresh(&a.other.refresh_token).await.is_ok();
    assert_eq!(
        authorized, refreshed,
        "{step}: the authorizer and refresh disagree about the other session"
    );
    assert!(
        f.login(&f.deps, &a.email, PASSWORD).await.is_ok(),
        "{step}: the old password stopped working"
    );
    authorized
}

#[tokio::test]
async fn a_password_change_cut_between_any_two_steps_changes_nothing_and_completes_on_retry() {
    let f = Fixture::new().await;
    for step in STEPS
        .into_iter()
        .filter(|s| *s != credentials::RESET_TOKEN_SPENT)
    {
        let a = account(&f).await;
        let before = password_hash(&f, &a.email).await;
        let cut = cut_after(&f, step).await;
        assert!(
            matches!(change(&cut, &a.caller).await, Err(UsersError::Cut(_))),
            "{step}"
        );
        let alive = assert_nothing_changed(&f, &a, &before, step).await;
        // Only the last step (the access tokens' revocation, just before the commit) may
        // have logged the other session out; a cut before it leaves it alive.
        assert_eq!(alive, step != credentials::ACCESS_REVOKED, "{step}");

        // The client runs it again: all of it happens.
        let other = f.login(&f.deps, &a.email, PASSWORD).await.unwrap();
        change(&f.deps, &a.caller).await.unwrap();
        assert_ne!(password_hash(&f, &a.email).await, before);
        assert_eq!(outstanding_links(&f).await, 0);
        assert!(!f.authorized(&other.access_token).await);
        assert!(f.refresh(&other.refresh_token).await.is_err());
        assert!(f.login(&f.deps, &a.email, PASSWORD).await.is_err());
        assert!(f.login(&f.deps, &a.email, NEW_PASSWORD).await.is_ok());
        // The link of the old password is no good any more.
        assert!(matches!(
            reset(&f.deps, &a.link).await,
            Err(UsersError::InvalidResetToken)
        ));
    }
}

#[tokio::test]
async fn a_reset_cut_between_any_two_steps_keeps_its_link_and_changes_nothing() {
    let f = Fixture::new().await;
    for step in STEPS {
        let a = account(&f).await;
        let before = password_hash(&f, &a.email).await;
        let cut = cut_after(&f, step).await;
        assert!(
            matches!(reset(&cut, &a.link).await, Err(UsersError::Cut(_))),
            "{step}"
        );
        assert_nothing_changed(&f, &a, &before, step).await;

        // The link still works: the reset runs again and all of it happens.
        reset(&f.deps, &a.link).await.unwrap();
        assert_ne!(password_hash(&f, &a.email).await, before);
        assert_eq!(outstanding_links(&f).await, 0);
        assert!(!f.authorized(&a.other.access_token).await);
        assert!(f.login(&f.deps, &a.email, NEW_PASSWORD).await.is_ok());
        assert!(matches!(
            reset(&f.deps, &a.link).await,
            Err(UsersError::InvalidResetToken)
        ));
    }
}

/// A login that verified the old password while the password changed: the change ran between
/// the verification (the account read before it) and the session's start. It gets no session,
/// and none is left behind for the old password.
#[tokio::test]
async fn a_login_racing_a_password_change_or_reset_opens_no_session() {
    let f = Fixture::new().await;
    let a = account(&f).await;
    let verified = f.deps.users.by_email(&a.email).await.unwrap().unwrap();
    let live_before = f
        .deps
        .sessions
        .live_sessions(verified.id, None)
        .await
        .unwrap();
    change(&f.deps, &a.caller).await.unwrap();
    assert!(matches!(
        streamia_users::sessions::start(&f.deps, &verified).await,
        Err(UsersError::InvalidCredentials)
    ));
    let live_after = f
        .deps
        .sessions
        .live_sessions(verified.id, None)
        .await
        .unwrap();
    assert_eq!(
        live_after,
        vec![a.caller.session_id.clone()],
        "only the changer's own session lives (before: {live_before:?})"
    );

    // The same for a reset: the account as verified before it cannot start a session after it.
    let b = account(&f).await;
    let verified = f.deps.users.by_email(&b.email).await.unwrap().unwrap();
    reset(&f.deps, &b.link).await.unwrap();
    assert!(matches!(
        streamia_users::sessions::start(&f.deps, &verified).await,
        Err(UsersError::InvalidCredentials)
    ));
    let live = f
        .deps
        .sessions
        .live_sessions(verified.id, None)
        .await
        .unwrap();
    assert!(live.is_empty(), "a reset ends every session: {live:?}");
    // The new password logs in as usual.
    f.login(&f.deps, &b.email, NEW_PASSWORD).await.unwrap();
}
