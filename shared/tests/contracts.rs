//! Every event type has a checked-in example per version, and every example is an instance of
//! its type: it parses, carries its name and version, and serializes back to the same JSON.
#![cfg(feature = "testing")]

use streamia_shared::events::contracts::{self, ALL};
use streamia_shared::testing::contracts::{assert_consumer_handles, examples};

#[test]
fn every_example_parses_into_its_type_and_round_trips() {
    let examples = examples();
    assert!(!examples.is_empty());
    for example in &examples {
        let contract = contracts::find(&example.name, example.version).unwrap_or_else(|| {
            panic!(
                "{}: no event type {} v{} in streamia_shared::events::contracts::ALL",
                example.path.display(),
                example.name,
                example.version
            )
        });
        if let Err(e) = contract.check(&example.json) {
            panic!("{}: {e}", example.path.display());
        }
    }
}

#[test]
fn every_event_type_has_an_example() {
    let files: Vec<String> = examples()
        .iter()
        .map(|e| format!("{}.v{}.json", e.name, e.version))
        .collect();
    for contract in ALL {
        assert!(
            files.contains(&contract.example_file_name()),
            "add shared/events/examples/{}",
            contract.example_file_name()
        );
    }
}

#[test]
fn a_changed_payload_breaks_its_contract() {
    let example = examples()
        .into_iter()
        .find(|e| e.name == "user.registered")
        .unwrap();
    let contract = contracts::find("user.registered", 1).unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&example.json).unwrap();
    value["payload"]["nickname"] = "x".into();
    assert!(contract.check(&value.to_string()).is_err(), "unknown field");
    let mut value: serde_json::Value = serde_json::from_str(&example.json).unwrap();
    value["payload"].as_object_mut().unwrap().remove("email");
    assert!(contract.check(&value.to_string()).is_err(), "missing field");
    let mut value: serde_json::Value = serde_json::from_str(&example.json).unwrap();
    value["version"] = 2.into();
    assert!(contract.check(&value.to_string()).is_err(), "other version");
}

#[test]
fn the_consumer_helper_passes_each_subscribed_example_and_returns_what_was_handled() {
    let handled = assert_consumer_handles("NotificationsUserEventsQueue", |envelope| {
        Ok::<_, String>(Some(envelope.event_name))
    });
    assert!(handled.contains(&"user.registered".to_owned()));
    assert!(
        !handled.contains(&"user.updated".to_owned()),
        "not subscribed"
    );
}

#[test]
#[should_panic(expected = "ignores")]
fn the_consumer_helper_fails_when_a_subscribed_event_is_ignored() {
    assert_consumer_handles("NotificationsUserEventsQueue", |envelope| {
        Ok::<_, String>((envelope.event_name != "user.password_reset_requested").then_some(()))
    });
}

#[test]
#[should_panic(expected = "cannot read it: unknown version")]
fn the_consumer_helper_fails_when_an_example_is_unreadable() {
    assert_consumer_handles("NotificationsUserEventsQueue", |_| {
        Err::<Option<()>, _>("unknown version")
    });
}

#[test]
fn every_participants_saga_queue_handles_every_example_it_subscribes_to() {
    use streamia_shared::saga::{Deletion, MovieDeletion, UserDeletion};
    for service in ["Favorites", "Ratings", "Comments"] {
        let users = assert_consumer_handles(&format!("{service}UserDeletionsQueue"), |e| {
            UserDeletion::parse(e).map_err(|e| e.to_string())
        });
        assert_eq!(users.len(), 3, "{service}: start, cancellation, completion");
        let movies = assert_consumer_handles(&format!("{service}MovieDeletionsQueue"), |e| {
            MovieDeletion::parse(e).map_err(|e| e.to_string())
        });
        assert_eq!(
            movies.len(),
            3,
            "{service}: start, cancellation, completion"
        );
    }
}
