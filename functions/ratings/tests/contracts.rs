//! The ratings service against the event contracts: every event its movie-changes queue is
//! subscribed to (infra/messaging.yaml) is read by its consumer, and the `rating.changed` it
//! publishes matches the checked-in example.

use streamia_shared::events::movie_copies::{MovieChange, EVENTS};
use streamia_shared::testing::contracts::{assert_consumer_handles, examples, subscribed_events};

#[test]
fn every_subscribed_movie_event_is_handled() {
    assert_consumer_handles("RatingsMovieChangesQueue", MovieChange::parse);
    let mut subscribed = subscribed_events("RatingsMovieChangesQueue");
    subscribed.sort();
    let mut expected: Vec<String> = EVENTS.iter().map(|e| (*e).to_owned()).collect();
    expected.sort();
    assert_eq!(
        subscribed, expected,
        "the filter policy is movie_copies::EVENTS"
    );
}

#[test]
fn rating_changed_matches_its_example() {
    let example = examples()
        .into_iter()
        .find(|e| e.name == "rating.changed" && e.version == 1)
        .expect("shared/events/examples/rating.changed.v1.json");
    let envelope = example.envelope();
    let payload: streamia_ratings::events::RatingChanged =
        serde_json::from_value(envelope.payload.clone()).unwrap();
    assert_eq!(envelope.source, streamia_ratings::SERVICE);
    assert_eq!(envelope.aggregate_id, payload.movie_id);
    // What this service builds serializes to the example's shape.
    let id = bson::oid::ObjectId::parse_str(&payload.movie_id).unwrap();
    let built = streamia_ratings::events::changed(id, &Default::default());
    let keys = |v: serde_json::Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(
        keys(serde_json::to_value(built).unwrap()),
        keys(envelope.payload)
    );
}
