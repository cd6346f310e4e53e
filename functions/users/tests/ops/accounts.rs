//! register, get_me, update_me, delete_me.

use serde_json::json;
use streamia_shared::fields::Patch;
use streamia_users::ops::{delete_me, get_me, register, update_me};
use streamia_users::UsersError;

use crate::common::*;

#[tokio::test]
async fn register_parse_reports_every_field_at_once() {
    let err = register::parse(register::Input {
        username: Some("a b".into()),
        email: None,
        password: Some("weak".into()),
        age: Some(5),
        ..Default::default()
    })
    .unwrap_err();
    let UsersError::Validation(fields) = err else {
        panic!("{err:?}")
    };
    let names: Vec<&str> = fields.0.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(names, ["username", "email", "password", "age"]);
}

#[tokio::test]
async fn register_creates_an_account_with_its_role_and_announces_it() {
    let f = Fixture::new().await;
    let auth = f.register("Ana_M", "Ana@Example.com").await;
    let user = serde_json::to_value(&auth.user).unwrap();
    assert_eq!(user["email"], "ana@example.com");
    assert_eq!(user["role"], "user");
    assert!(f.authorized(&auth.access_token).await);
    let other = f.register("boss", "admin@streamia.test").await;
    assert_eq!(serde_json::to_value(&other.user).unwrap()["role"], "user");
    let events = f.env.events_named("user.registered", 2).await;
    assert_eq!(events.len(), 2);
    let stored = f
        .collection("users")
        .find_one(bson::doc! {"email": "ana@example.com"})
        .await
        .unwrap()
        .unwrap();
    assert!(stored
        .get_str("passwordHash")
        .unwrap()
        .starts_with("$argon2id$"));
}

#[tokio::test]
async fn register_refuses_taken_email_and_username() {
    let f = Fixture::new().await;
    f.register("first", "first@example.com").await;
    for (username, email, expected) in [
        ("second", "FIRST@example.com", "EmailTaken"),
        ("FIRST", "other@example.com", "UsernameTaken"),
    ] {
        let cmd = register::parse(register::Input {
            username: Some(username.into()),
            email: Some(email.into()),
            password: Some(PASSWORD.into()),
            ..Default::default()
        })
        .unwrap();
        let err = register::execute(&f.deps, cmd, &ctx()).await.unwrap_err();
        assert_eq!(format!("{err:?}"), expected);
    }
}

#[tokio::test]
async fn get_me_returns_the_callers_view() {
    let f = Fixture::new().await;
    let (_, caller, view) = f.user().await;
    let me = get_me::execute(&f.deps, get_me::parse(caller).unwrap(), &ctx())
        .await
        .unwrap();
    assert_eq!(serde_json::to_value(me).unwrap(), view);
}

#[tokio::test]
async fn update_me_applies_patches_and_announces_the_changed_fields() {
    let f = Fixture::new().await;
    let (_, caller, _) = f.user().await;
    let cmd = update_me::parse(
        caller.clone(),
        update_me::Input {
            username: Patch::Value("Renamed_1".into()),
            age: Patch::Value(40),
            avatar: Patch::Null,
            ..Default::default()
        },
    )
    .unwrap();
    let view = update_me::execute(&f.deps, cmd, &ctx()).await.unwrap();
    let view = serde_json::to_value(view).unwrap();
    assert_eq!(view["username"], "Renamed_1");
    assert_eq!(view["age"], 40);
    let events = f.env.events_named("user.updated", 1).await;
    assert_eq!(
        events[0].envelope.payload["changed"],
        json!(["username", "age", "avatar"])
    );
    // Nothing to change, or a username cleared, never reaches the store.
    assert!(matches!(
        update_me::parse(caller.clone(), update_me::Input::default()),
        Err(UsersError::NothingToUpdate)
    ));
    let Err(UsersError::Validation(fields)) = update_me::parse(
        caller,
        update_me::Input {
            username: Patch::Null,
            age: Patch::Value(3),
            ..Default::default()
        },
    ) else {
        panic!("expected field errors")
    };
    assert_eq!(fields.0.len(), 2);
}

#[tokio::test]
async fn delete_me_marks_the_account_and_ends_every_session() {
    let f = Fixture::new().await;
    let (auth, caller, view) = f.user().await;
    let cmd = delete_me::parse(
        caller.clone(),
        delete_me::Input {
            password: Some(PASSWORD.into()),
        },
    )
    .unwrap();
    let started = delete_me::execute(&f.deps, cmd, &ctx()).await.unwrap();
    assert_eq!(started.saga_id.len(), 36);
    let stored = f
        .collection("users")
        .find_one(bson::doc! {"email": view["email"].as_str().unwrap()})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.get_str("status").unwrap(), "deleting");
    assert!(!f.authorized(&auth.access_token).await);
    let events = f.env.events_named("user.deleted", 1).await;
    assert_eq!(
        events[0].envelope.payload["sagaId"],
        started.saga_id.as_str()
    );
    assert_ne!(events[0].envelope.correlation_id, started.saga_id);
    // The saga is recorded under the service's id, every step pending.
    let saga = f.deps.sagas.get(&started.saga_id).await.unwrap().unwrap();
    assert_eq!(saga.state, streamia_users::store::sagas::SagaState::Running);
    assert_eq!(saga.steps.len(), 3);
    assert!(!saga.all_done());
    // A retry (its first answer lost) finds the deletion under way: the same saga, no new
    // event, the sessions revoked again.
    let again = delete_me::parse(
        caller,
        delete_me::Input {
            password: Some(PASSWORD.into()),
        },
    )
    .unwrap();
    let retried = delete_me::execute(&f.deps, again, &ctx()).await.unwrap();
    assert_eq!(retried.saga_id, started.saga_id);
    let pending = f
        .collection("outbox")
        .count_documents(bson::doc! {"eventName": "user.deleted"})
        .await
        .unwrap();
    assert_eq!(pending, 1, "one saga, one event");
}

#[tokio::test]
async fn delete_me_needs_the_right_password() {
    let f = Fixture::new().await;
    let (auth, caller, _) = f.user().await;
    assert!(matches!(
        delete_me::parse(caller.clone(), delete_me::Input { password: None }),
        Err(UsersError::Validation(_))
    ));
    let cmd = delete_me::parse(
        caller,
        delete_me::Input {
            password: Some("Wrong1234".into()),
        },
    )
    .unwrap();
    assert!(matches!(
        delete_me::execute(&f.deps, cmd, &ctx()).await,
        Err(UsersError::WrongPassword)
    ));
    assert!(f.authorized(&auth.access_token).await);
}
