//! The events each consumer's queue subscribes to (infra/messaging.yaml) against the
//! platform's checked-in examples: every example of every subscribed event is handled. A
//! producer change that breaks a consumer, or a subscription added without handling it, fails
//! here.

use streamia_comments::events;
use streamia_comments::ops::copy_user;
use streamia_shared::events::movie_copies::{MovieChange, EVENTS};
use streamia_shared::events::Change;
use streamia_shared::testing::contracts::{assert_consumer_handles, subscribed_events};

#[test]
fn on_user_change_handles_every_subscribed_example() {
    let changes = assert_consumer_handles("CommentsUserChangesQueue", |envelope| {
        events::parse_user_change(envelope)
            .map(|parsed| parsed.map(|i| copy_user::change_for(&i.event)))
    });
    assert!(changes.contains(&Change::Tombstone));
    assert!(changes.iter().all(|c| match c {
        Change::Set(copy) => !copy.username.is_empty(),
        Change::Tombstone => true,
    }));
}

#[test]
fn on_movie_change_handles_every_subscribed_example_and_subscribes_to_the_platforms_list() {
    let mut expected: Vec<String> = EVENTS.iter().map(|e| (*e).to_owned()).collect();
    expected.sort();
    assert_eq!(subscribed_events("CommentsMovieChangesQueue"), expected);
    let changes = assert_consumer_handles("CommentsMovieChangesQueue", MovieChange::parse);
    assert!(!changes.is_empty());
}
