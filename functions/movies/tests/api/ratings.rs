//! The ratings summary: `rating.changed` keeps ratingAverage and ratingCount on the movie,
//! once per event and only from newer versions, whatever the arrival order.

use streamia_movies::events::parse_rating;
use streamia_movies::ops::apply_rating::{self, Outcome};
use streamia_shared::events::ratings::RatingChanged;
use streamia_shared::events::{Envelope, Handled};

use crate::common::*;

/// A delivery of `rating.changed` for `movie` at per-movie version `version`.
fn delivery(movie: &str, version: u64, average: f64, count: u64) -> Envelope {
    let mut envelope = Envelope::new(
        "ratings",
        "corr-rating",
        RatingChanged {
            movie_id: movie.to_owned(),
            average,
            count,
        },
    );
    envelope.aggregate_version = version;
    serde_json::from_value(serde_json::to_value(envelope).unwrap()).unwrap()
}

async fn apply(app: &TestApp, envelope: Envelope) -> Handled<Outcome> {
    let incoming = parse_rating(envelope).unwrap().unwrap();
    apply_rating::execute(app.deps, &incoming).await.unwrap()
}

#[tokio::test]
async fn newer_summaries_win_in_any_order_and_duplicates_change_nothing() {
    let app = TestApp::spawn().await;
    let movie = app.movie("Rated").await;
    let id = movie["id"].as_str().unwrap();
    // The read is cached before the events arrive.
    assert_eq!(app.get(id).await.data()["ratingCount"], 0);

    let v2 = delivery(id, 2, 4.5, 2);
    assert_eq!(
        apply(&app, v2.clone()).await,
        Handled::Applied(Outcome::Applied)
    );
    // Older, late: ignored.
    assert_eq!(
        apply(&app, delivery(id, 1, 5.0, 1)).await,
        Handled::Applied(Outcome::Stale)
    );
    // The same event again: a duplicate.
    assert_eq!(apply(&app, v2).await, Handled::Duplicate);
    let read = app.get(id).await;
    assert_eq!(read.data()["ratingAverage"], 4.5);
    assert_eq!(read.data()["ratingCount"], 2);

    assert_eq!(
        apply(&app, delivery(id, 3, 3.67, 3)).await,
        Handled::Applied(Outcome::Applied)
    );
    let read = app.get(id).await;
    assert_eq!(read.data()["ratingAverage"], 3.67);
    assert_eq!(read.data()["ratingCount"], 3);
}

#[tokio::test]
async fn the_list_sorts_by_rating_and_refreshes() {
    let app = TestApp::spawn().await;
    let low = app.movie("Low").await;
    let high = app.movie("High").await;
    let none = app.movie("None").await;
    let _ = none;
    assert_eq!(
        TestApp::titles(&app.list(&[("sort", "rating")]).await),
        ["None", "High", "Low"]
    );
    apply(&app, delivery(low["id"].as_str().unwrap(), 1, 2.0, 4)).await;
    apply(&app, delivery(high["id"].as_str().unwrap(), 1, 4.0, 1)).await;
    // Ratings refresh each movie's own entry at once...
    assert_eq!(
        app.get(high["id"].as_str().unwrap()).await.data()["ratingAverage"],
        4.0
    );
    // ...but leave cached list pages to their TTL (a popular movie's ratings would otherwise
    // empty every page of the catalog many times a second): the page read before still shows.
    assert_eq!(
        TestApp::titles(&app.list(&[("sort", "rating")]).await),
        ["None", "High", "Low"]
    );
    // The next catalog write (or the TTL, 60 s) brings the new order.
    app.movie("Newer").await;
    assert_eq!(
        TestApp::titles(&app.list(&[("sort", "rating")]).await),
        ["High", "Low", "Newer", "None"]
    );
}

#[tokio::test]
async fn unreadable_summaries_are_poison() {
    let app = TestApp::spawn().await;
    let movie = app.movie("Odd").await;
    let id = movie["id"].as_str().unwrap();
    for envelope in [delivery(id, 1, 7.0, 1), delivery("not-an-id", 1, 3.0, 1)] {
        let incoming = parse_rating(envelope).unwrap().unwrap();
        let err = apply_rating::execute(app.deps, &incoming)
            .await
            .unwrap_err();
        assert!(matches!(
            streamia_shared::events::consumer::ConsumeError::from(err),
            streamia_shared::events::consumer::ConsumeError::Poison(_)
        ));
    }
    // A payload off its contract never reaches the operation.
    let mut envelope = delivery(id, 1, 3.0, 1);
    envelope.payload["count"] = serde_json::json!("many");
    assert!(parse_rating(envelope).is_err());
    // Unknown event names are not this consumer's.
    let mut other = delivery(id, 1, 3.0, 1);
    other.event_name = "rating.deleted".into();
    assert!(parse_rating(other).unwrap().is_none());
}
