//! The movie-changes consumer handles every example of every event its queue subscribes to
//! (infra/messaging.yaml's filter policy), and that filter is the platform's
//! `movie_copies::EVENTS`: a producer's payload change, or a filter drifting from the code,
//! breaks this test.

use std::collections::BTreeSet;

use streamia_shared::events::movie_copies::{MovieChange, EVENTS};
use streamia_shared::testing::contracts::{assert_consumer_handles, subscribed_events};

const QUEUE: &str = "FavoritesMovieChangesQueue";

#[test]
fn every_subscribed_event_is_handled() {
    let handled = assert_consumer_handles(QUEUE, MovieChange::parse);
    assert!(!handled.is_empty());
    assert!(handled.iter().all(|e| e.aggregate_version > 0));
}

#[test]
fn the_queue_subscribes_to_exactly_the_events_a_copy_is_built_from() {
    let subscribed: BTreeSet<String> = subscribed_events(QUEUE).into_iter().collect();
    let expected: BTreeSet<String> = EVENTS.iter().map(|e| (*e).to_owned()).collect();
    assert_eq!(subscribed, expected);
}
