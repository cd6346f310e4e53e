//! Limits per client address: counted in Redis before any argon2 work, set low here.

use streamia_shared::limits::ClientLimits;
use streamia_users::ops::{forgot_password, login, register, reset_password, Ctx};
use streamia_users::{Deps, UsersError};

use crate::common::*;

fn from(ip: &str) -> Ctx {
    ctx().from_client(ip)
}

async fn login_as(deps: &Deps, email: &str, password: &str, ctx: &Ctx) -> Result<(), UsersError> {
    let cmd = login::parse(login::Input {
        email: Some(email.into()),
        password: Some(password.into()),
    })?;
    login::execute(deps, cmd, ctx).await.map(|_| ())
}

async fn reset(deps: &Deps, token: &str, ctx: &Ctx) -> Result<(), UsersError> {
    let cmd = reset_password::parse(reset_password::Input {
        token: Some(token.into()),
        password: Some("Changed456".into()),
    })?;
    reset_password::execute(deps, cmd, ctx).await
}

async fn forgot(deps: &Deps, email: &str, ctx: &Ctx) -> Result<(), UsersError> {
    let cmd = forgot_password::parse(forgot_password::Input {
        email: Some(email.into()),
    })?;
    forgot_password::execute(deps, cmd, ctx).await
}

#[tokio::test]
async fn thirty_logins_for_thirty_emails_from_one_address_are_limited_before_argon2() {
    let f = Fixture::with(&[("IP_LIMIT_LOGIN", "10")]).await;
    let sprayer = from("203.0.113.7");
    let mut refused = 0;
    for n in 0..30 {
        match login_as(
            &f.deps,
            &format!("victim{n}@example.com"),
            "Spring2024",
            &sprayer,
        )
        .await
        {
            Err(UsersError::InvalidCredentials) => {}
            Err(UsersError::ClientThrottled { retry_after }) => {
                assert!(retry_after > 0 && retry_after <= 600, "{retry_after}");
                refused += 1;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(refused, 20);
    // Only the allowed ten cost a verification, and no victim's email was counted past them.
    assert_eq!(f.deps.login_checks.verified(), 10);
    // Another client is not affected, nor are IPv6 neighbours outside the sprayer's /64.
    assert!(matches!(
        login_as(&f.deps, "victim0@example.com", "x", &from("198.51.100.1")).await,
        Err(UsersError::InvalidCredentials)
    ));
}

#[tokio::test]
async fn ipv6_clients_share_their_64() {
    let f = Fixture::with(&[("IP_LIMIT_LOGIN", "2")]).await;
    for ip in ["2001:db8:5:6::1", "2001:db8:5:6::2"] {
        assert!(matches!(
            login_as(&f.deps, "a@example.com", "x", &from(ip)).await,
            Err(UsersError::InvalidCredentials)
        ));
    }
    assert!(matches!(
        login_as(&f.deps, "a@example.com", "x", &from("2001:db8:5:6:ffff::9")).await,
        Err(UsersError::ClientThrottled { .. })
    ));
    assert!(matches!(
        login_as(&f.deps, "a@example.com", "x", &from("2001:db8:5:7::1")).await,
        Err(UsersError::InvalidCredentials)
    ));
}

#[tokio::test]
async fn a_reset_with_a_bogus_token_spends_no_argon2_and_the_address_is_limited() {
    let f = Fixture::with(&[("IP_LIMIT_RESET_PASSWORD", "3")]).await;
    let client = from("203.0.113.20");
    for _ in 0..3 {
        assert!(matches!(
            reset(
                &f.deps,
                "bogus-token-bogus-token-bogus-token-bogus-t",
                &client
            )
            .await,
            Err(UsersError::InvalidResetToken)
        ));
    }
    assert_eq!(f.deps.hasher.runs(), 0, "a bogus token was hashed for");
    assert!(matches!(
        reset(&f.deps, "bogus", &client).await,
        Err(UsersError::ClientThrottled { .. })
    ));
    assert_eq!(f.deps.hasher.runs(), 0);
}

#[tokio::test]
async fn registration_and_reset_requests_are_limited_per_address() {
    let f = Fixture::with(&[
        ("IP_LIMIT_REGISTER", "2"),
        ("IP_LIMIT_FORGOT_PASSWORD", "2"),
    ])
    .await;
    let client = from("203.0.113.30");
    let mut outcomes = Vec::new();
    for n in 0..3 {
        let cmd = register::parse(register::Input {
            username: Some(format!("sprayed{n}")),
            email: Some(format!("sprayed{n}@example.com")),
            password: Some(PASSWORD.into()),
            ..Default::default()
        })
        .unwrap();
        outcomes.push(register::execute(&f.deps, cmd, &client).await.is_ok());
    }
    assert_eq!(outcomes, [true, true, false]);
    assert_eq!(f.deps.hasher.runs(), 2, "the refused registration hashed");
    for n in 0..2 {
        forgot(&f.deps, &format!("x{n}@example.com"), &client)
            .await
            .unwrap();
    }
    assert!(matches!(
        forgot(&f.deps, "x9@example.com", &client).await,
        Err(UsersError::ClientThrottled { .. })
    ));
}

#[tokio::test]
async fn an_owner_locked_out_by_guesses_can_still_reset_and_log_in() {
    let f = Fixture::new().await;
    let (_, _, view) = f.user().await;
    let email = view["email"].as_str().unwrap();
    // Someone guesses the owner's email into its lockout (5 in 10 minutes).
    for _ in 0..5 {
        let _ = login_as(&f.deps, email, "Wrong1234", &from("192.0.2.66")).await;
    }
    let owner = from("198.51.100.23");
    assert!(matches!(
        login_as(&f.deps, email, PASSWORD, &owner).await,
        Err(UsersError::TooManyAttempts { .. })
    ));
    forgot(&f.deps, email, &owner).await.unwrap();
    let events = f.env.events_named("user.password_reset_requested", 1).await;
    let url = events[0].envelope.payload["resetUrl"].as_str().unwrap();
    let token = url.rsplit('/').next().unwrap();
    reset(&f.deps, token, &owner).await.unwrap();
    login_as(&f.deps, email, "Changed456", &owner)
        .await
        .unwrap();
}

#[test]
fn deployed_defaults_are_strict() {
    let strict = ClientLimits::STRICT;
    assert!(
        strict.login < 30,
        "30 logins from one address must be limited"
    );
    assert!(strict.register <= 10 && strict.forgot_password <= 10);
}
