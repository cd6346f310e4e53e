//! login, forgot_password, reset_password, change_password, and the limit on password guesses.

use streamia_users::ops::{change_password, forgot_password, login, reset_password};
use streamia_users::{Deps, UsersError};

use crate::common::*;

async fn forgot(f: &Fixture, email: &str) {
    let cmd = forgot_password::parse(forgot_password::Input {
        email: Some(email.into()),
    })
    .unwrap();
    forgot_password::execute(&f.deps, cmd, &ctx())
        .await
        .unwrap();
}

/// The token of the link the last reset email would carry.
async fn reset_token(f: &Fixture) -> String {
    let events = f.env.events_named("user.password_reset_requested", 1).await;
    assert_eq!(events.len(), 1, "no reset event");
    let url = events[0].envelope.payload["resetUrl"].as_str().unwrap();
    url.strip_prefix("https://app.streamia.test/reset-password/")
        .unwrap()
        .to_owned()
}

async fn reset(f: &Fixture, token: &str, password: &str) -> Result<(), UsersError> {
    let cmd = reset_password::parse(reset_password::Input {
        token: Some(token.into()),
        password: Some(password.into()),
    })?;
    reset_password::execute(&f.deps, cmd, &ctx()).await
}

async fn change(
    f: &Fixture,
    caller: &streamia_users::ops::Caller,
    current: &str,
    new: &str,
) -> Result<(), UsersError> {
    let cmd = change_password::parse(
        caller.clone(),
        change_password::Input {
            current_password: Some(current.into()),
            new_password: Some(new.into()),
        },
    )?;
    change_password::execute(&f.deps, cmd, &ctx()).await
}

#[tokio::test]
async fn login_parse_and_outcomes() {
    let f = Fixture::new().await;
    let Err(UsersError::Validation(fields)) = login::parse(login::Input::default()) else {
        panic!("expected field errors")
    };
    assert_eq!(fields.0.len(), 2);
    let (_, _, view) = f.user().await;
    let email = view["email"].as_str().unwrap();
    let auth = f
        .login(&f.deps, &email.to_uppercase(), PASSWORD)
        .await
        .unwrap();
    assert!(f.authorized(&auth.access_token).await);
    assert!(matches!(
        f.login(&f.deps, email, "Wrong1234").await,
        Err(UsersError::InvalidCredentials)
    ));
    assert!(matches!(
        f.login(&f.deps, "nobody@example.com", PASSWORD).await,
        Err(UsersError::InvalidCredentials)
    ));
}

#[tokio::test]
async fn concurrent_guesses_from_several_instances_verify_at_most_five_passwords() {
    let f = Fixture::new().await;
    let (_, _, view) = f.user().await;
    let email = view["email"].as_str().unwrap().to_owned();
    // Four function instances, each with its own Redis and MongoDB connections.
    let mut instances: Vec<Deps> = Vec::new();
    for _ in 0..4 {
        instances.push(instance(&f.env).await);
    }
    let guesses = (0..20).map(|i| {
        let deps = &instances[i % instances.len()];
        let email = &email;
        let f = &f;
        async move { f.login(deps, email, &format!("Wrong{i:04}x")).await }
    });
    let results = futures_util::future::join_all(guesses).await;
    let verified: u64 = instances.iter().map(|d| d.login_checks.verified()).sum();
    let wrong = results
        .iter()
        .filter(|r| matches!(r, Err(UsersError::InvalidCredentials)))
        .count();
    let throttled: Vec<u64> = results
        .iter()
        .filter_map(|r| match r {
            Err(UsersError::TooManyAttempts { retry_after }) => Some(*retry_after),
            _ => None,
        })
        .collect();
    assert!(verified <= 5, "{verified} passwords verified");
    assert_eq!(wrong as u64, verified);
    assert_eq!(wrong + throttled.len(), 20, "{results:?}");
    assert!(
        throttled.iter().all(|s| (1..=600).contains(s)),
        "{throttled:?}"
    );
    // The right password is refused too until the window ends.
    assert!(matches!(
        f.login(&f.deps, &email, PASSWORD).await,
        Err(UsersError::TooManyAttempts { .. })
    ));
}

#[tokio::test]
async fn a_reset_link_sets_the_password_once_and_ends_every_session() {
    let f = Fixture::new().await;
    let (auth, _, view) = f.user().await;
    let email = view["email"].as_str().unwrap();
    forgot(&f, email).await;
    forgot(&f, "nobody@example.com").await;
    let token = reset_token(&f).await;
    assert!(matches!(
        reset(&f, &token, "weak").await,
        Err(UsersError::Validation(_))
    ));
    reset(&f, &token, "NewSecret456").await.unwrap();
    assert!(matches!(
        reset(&f, &token, "Another789X").await,
        Err(UsersError::InvalidResetToken)
    ));
    assert!(!f.authorized(&auth.access_token).await);
    f.login(&f.deps, email, "NewSecret456").await.unwrap();
}

#[tokio::test]
async fn change_password_keeps_the_callers_session_and_retires_reset_links() {
    let f = Fixture::new().await;
    let (auth, caller, view) = f.user().await;
    let email = view["email"].as_str().unwrap();
    let other = f.login(&f.deps, email, PASSWORD).await.unwrap();
    forgot(&f, email).await;
    let token = reset_token(&f).await;
    assert!(matches!(
        change(&f, &caller, PASSWORD, PASSWORD).await,
        Err(UsersError::Validation(_))
    ));
    change(&f, &caller, PASSWORD, "Changed123").await.unwrap();
    assert!(f.authorized(&auth.access_token).await);
    assert!(!f.authorized(&other.access_token).await);
    // The link sent for the old password no longer works.
    assert!(matches!(
        reset(&f, &token, "Hijacked123").await,
        Err(UsersError::InvalidResetToken)
    ));
    f.login(&f.deps, email, "Changed123").await.unwrap();
}

#[tokio::test]
async fn current_password_rechecks_are_limited_per_user() {
    let f = Fixture::new().await;
    let (_, caller, _) = f.user().await;
    let mut outcomes = Vec::new();
    for i in 0..6 {
        outcomes.push(change(&f, &caller, &format!("Wrong{i}abc"), "Changed123").await);
    }
    assert!(outcomes[..5]
        .iter()
        .all(|r| matches!(r, Err(UsersError::WrongPassword))));
    assert!(matches!(
        outcomes[5],
        Err(UsersError::TooManyAttempts { .. })
    ));
    // Even the right password waits for the window: a stolen token cannot keep guessing.
    assert!(matches!(
        change(&f, &caller, PASSWORD, "Changed123").await,
        Err(UsersError::TooManyAttempts { .. })
    ));
    assert_eq!(f.deps.password_rechecks.verified(), 5);
}
