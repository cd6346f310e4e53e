//! The ratings consumer handles every example of every event its queue subscribes to
//! (infra/messaging.yaml's filter policy), so a producer's payload change breaks this test.

use streamia_movies::events::parse_rating;
use streamia_shared::testing::contracts::assert_consumer_handles;

#[test]
fn every_subscribed_event_is_handled() {
    let handled = assert_consumer_handles("MoviesRatingChangesQueue", parse_rating);
    assert!(!handled.is_empty());
    assert!(handled.iter().all(|e| e.aggregate_version > 0));
}

#[test]
fn every_saga_reply_is_handled() {
    let handled = assert_consumer_handles(
        "MoviesDeletionStepsQueue",
        streamia_movies::ops::deletion_saga::parse,
    );
    assert_eq!(handled.len(), 2, "done and failed");
}
