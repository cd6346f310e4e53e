//! Roles come from an operator only (`set_role`, the `users-set-role` function): registration
//! never grants one, and a change takes effect at once (the user's tokens stop working).

use serde_json::json;
use streamia_shared::domain::Role;
use streamia_users::adapters::invoke;
use streamia_users::ops::set_role;
use streamia_users::UsersError;

use crate::common::*;

fn request(target: (&str, &str), role: &str) -> set_role::Input {
    let (key, value) = target;
    set_role::Input {
        user_id: (key == "userId").then(|| value.to_owned()),
        email: (key == "email").then(|| value.to_owned()),
        role: Some(role.into()),
        operator: Some("Grace (ops)".into()),
        reason: Some("ticket OPS-42".into()),
    }
}

async fn set(f: &Fixture, input: set_role::Input) -> Result<set_role::Output, UsersError> {
    set_role::execute(&f.deps, set_role::parse(input)?, &ctx()).await
}

#[tokio::test]
async fn an_email_once_listed_as_admin_registers_as_a_user() {
    // ADMIN_EMAILS is gone: a deployment that still sets it grants nothing.
    let f = Fixture::with(&[("ADMIN_EMAILS", "admin@streamia.test")]).await;
    let auth = f.register("boss", "admin@streamia.test").await;
    assert_eq!(serde_json::to_value(&auth.user).unwrap()["role"], "user");
    assert_eq!(f.caller(&auth).await.role, Role::User);
}

#[tokio::test]
async fn promoting_records_who_and_why_announces_it_and_ends_every_session() {
    let f = Fixture::new().await;
    let (auth, caller, view) = f.user().await;
    let email = view["email"].as_str().unwrap();
    let second = f.login(&f.deps, email, PASSWORD).await.unwrap();
    assert!(f.authorized(&auth.access_token).await);

    let out = set(&f, request(("email", &email.to_uppercase()), "admin"))
        .await
        .unwrap();
    assert!(out.changed);
    assert_eq!((out.role, out.previous_role), (Role::Admin, Role::User));
    assert_eq!(out.sessions_revoked, 2);
    assert_eq!(out.user_id, caller.user_id.to_hex());

    // The old role's tokens stop working at once: access (authorizer) and refresh.
    assert!(!f.authorized(&auth.access_token).await);
    assert!(!f.authorized(&second.access_token).await);
    assert!(matches!(
        f.refresh(&auth.refresh_token).await,
        Err(UsersError::InvalidRefreshToken)
    ));
    // The next login carries the new role.
    let again = f.login(&f.deps, email, PASSWORD).await.unwrap();
    assert_eq!(f.caller(&again).await.role, Role::Admin);
    assert!(f.authorized(&again.access_token).await);

    let trail = f.deps.role_changes.of_user(caller.user_id).await.unwrap();
    assert_eq!(trail.len(), 1);
    assert_eq!(trail[0].operator, "Grace (ops)");
    assert_eq!(trail[0].reason, "ticket OPS-42");
    assert_eq!(
        (trail[0].role, trail[0].previous_role),
        (Role::Admin, Role::User)
    );

    let events = f.env.events_named("user.role_changed", 1).await;
    assert_eq!(events.len(), 1);
    let e = &events[0].envelope;
    assert_eq!(
        e.payload,
        json!({"userId": out.user_id, "role": "admin", "previousRole": "user"})
    );
    assert_eq!(e.correlation_id, trail[0].correlation_id);
    assert_eq!(e.aggregate_version, 2, "after user.registered");
}

#[tokio::test]
async fn a_demoted_admins_token_is_refused_at_once() {
    let f = Fixture::new().await;
    let (_, caller, view) = f.user().await;
    let email = view["email"].as_str().unwrap();
    set(&f, request(("email", email), "admin")).await.unwrap();
    let admin = f.login(&f.deps, email, PASSWORD).await.unwrap();
    assert_eq!(f.caller(&admin).await.role, Role::Admin);
    assert!(f.authorized(&admin.access_token).await);

    let out = set(&f, request(("userId", &caller.user_id.to_hex()), "user"))
        .await
        .unwrap();
    assert_eq!((out.role, out.previous_role), (Role::User, Role::Admin));
    // Well inside the token's 15 minutes: refused on the very next request.
    assert!(!f.authorized(&admin.access_token).await);
    let again = f.login(&f.deps, email, PASSWORD).await.unwrap();
    assert_eq!(f.caller(&again).await.role, Role::User);
    assert_eq!(
        f.deps
            .role_changes
            .of_user(caller.user_id)
            .await
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn setting_the_role_a_user_has_records_nothing_but_still_ends_sessions() {
    let f = Fixture::new().await;
    let (auth, caller, view) = f.user().await;
    let out = set(
        &f,
        request(("email", view["email"].as_str().unwrap()), "user"),
    )
    .await
    .unwrap();
    assert!(!out.changed);
    assert_eq!(out.sessions_revoked, 1);
    assert!(!f.authorized(&auth.access_token).await);
    assert!(f
        .deps
        .role_changes
        .of_user(caller.user_id)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn an_unknown_user_is_not_found() {
    let f = Fixture::new().await;
    for target in [
        ("email", "nobody@example.com"),
        ("userId", "65a4f0c2e1b2c3d4e5f60718"),
    ] {
        let err = set(&f, request(target, "admin")).await.unwrap_err();
        assert!(matches!(err, UsersError::UserNotFound), "{err:?}");
    }
}

#[tokio::test]
async fn set_role_parse_reports_every_field_at_once() {
    let err = set_role::parse(set_role::Input {
        user_id: Some("65a4f0c2e1b2c3d4e5f60718".into()),
        email: Some("a@example.com".into()),
        role: Some("root".into()),
        operator: Some("  ".into()),
        reason: Some("because\u{202E}".into()),
    })
    .unwrap_err();
    let UsersError::Validation(fields) = err else {
        panic!("{err:?}")
    };
    let names: Vec<&str> = fields.0.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(names, ["userId", "role", "operator", "reason"]);
    let err = set_role::parse(set_role::Input::default()).unwrap_err();
    let UsersError::Validation(fields) = err else {
        panic!("{err:?}")
    };
    assert_eq!(
        fields.0[0].message.to_string(),
        "userId or email is required"
    );
    assert_eq!(fields.0.len(), 4);
}

#[tokio::test]
async fn the_invocation_answers_the_result_or_a_function_error_the_operator_can_read() {
    let f = Fixture::new().await;
    let (_, _, view) = f.user().await;
    let ok = invoke::set_role(
        &f.deps,
        json!({"email": view["email"], "role": "admin", "operator": "Grace", "reason": "on call"}),
        "req-1",
    )
    .await
    .unwrap();
    let ok = serde_json::to_value(ok).unwrap();
    assert_eq!(ok["role"], "admin");
    assert_eq!(ok["previousRole"], "user");
    assert_eq!(ok["changed"], true);

    let err = invoke::set_role(
        &f.deps,
        json!({"email": "x@example.com", "role": "admin", "sudo": true}),
        "req-2",
    )
    .await
    .unwrap_err();
    assert_eq!(err.error_type, "InvalidPayload");
    assert!(err.error_message.contains("sudo"), "{}", err.error_message);

    let err = invoke::set_role(
        &f.deps,
        json!({"email": "x@example.com", "role": "root"}),
        "req-3",
    )
    .await
    .unwrap_err();
    assert_eq!(err.error_type, "ValidationError");
    assert!(
        err.error_message.contains("role: "),
        "{}",
        err.error_message
    );
    assert!(
        err.error_message.contains("operator: is required"),
        "{}",
        err.error_message
    );

    let err = invoke::set_role(
        &f.deps,
        json!({"email": "x@example.com", "role": "admin", "operator": "Grace", "reason": "r"}),
        "req-4",
    )
    .await
    .unwrap_err();
    assert_eq!(err.error_type, "UserNotFound");
}

/// A login that verified the password while an operator changed the role: its token carries
/// the role as it is once the session exists, never the one read before the verification.
#[tokio::test]
async fn a_login_racing_a_role_change_carries_the_new_role() {
    let f = Fixture::new().await;
    let (_, _, view) = f.user().await;
    let email = view["email"].as_str().unwrap();
    let verified = f.deps.users.by_email(email).await.unwrap().unwrap();
    assert_eq!(verified.role, Role::User);
    set(&f, request(("email", email), "admin")).await.unwrap();
    let auth = streamia_users::sessions::start(&f.deps, &verified)
        .await
        .unwrap();
    assert_eq!(serde_json::to_value(&auth.user).unwrap()["role"], "admin");
    assert_eq!(f.caller(&auth).await.role, Role::Admin);
    assert!(f.authorized(&auth.access_token).await);
}
