//! The cached summaries: served from the cache between two changes of the movie's ratings or
//! copy, computed again after each.

use bson::{doc, Document};
use serde_json::json;

use crate::common::*;

/// Sets the stored summary's count by hand: a change no summary pass made, so it bumps
/// nothing. Whether the summary shows it tells whether it came from the cache.
async fn count_behind_the_back(app: &TestApp, movie: &str, count: i64) {
    let id = bson::oid::ObjectId::parse_str(movie).unwrap();
    app.deps
        .db
        .collection::<Document>("summaries")
        .update_one(doc! {"_id": id}, doc! {"$set": {"count": count}})
        .await
        .unwrap();
}

#[tokio::test]
async fn a_summary_is_cached_until_a_pass_or_a_movie_event_changes_it() {
    let app = TestApp::spawn().await;
    let (ana, ben) = (app.user().await, app.user().await);
    let movie = app.movie("Heat").await;
    app.rate(&ana, &movie, json!(4)).await.assert_ok(201);
    assert_eq!(app.stats(&movie).await.data()["count"], 1);

    count_behind_the_back(&app, &movie, 99).await;
    // Cached.
    assert_eq!(app.stats(&movie).await.data()["count"], 1);
    // Another movie's rating leaves it alone.
    let other = app.movie("Ronin").await;
    app.rate(&ana, &other, json!(2)).await.assert_ok(201);
    assert_eq!(app.stats(&movie).await.data()["count"], 1);

    // A rating of this movie: its summary pass commits and bumps.
    app.rate(&ben, &movie, json!(2)).await.assert_ok(201);
    let res = app.stats(&movie).await;
    assert_eq!(res.data()["count"], 2);
    assert_eq!(res.data()["average"], 3.0);
    assert_eq!(res.data()["distribution"], distribution([0, 1, 0, 1, 0]));

    // Being deleted: hidden at once, although the summary was cached.
    app.deliver(movie_event(deleted(&movie, "Heat"), 2)).await;
    app.stats(&movie).await.assert_error(404, "MOVIE_NOT_FOUND");
    // Back (a newer snapshot, as a cancelled deletion publishes): shown again.
    app.deliver(movie_event(updated(&movie, "Heat"), 3)).await;
    assert_eq!(app.stats(&movie).await.data()["count"], 2);
    // Any later event of the movie drops its cached summary too.
    count_behind_the_back(&app, &movie, 77).await;
    assert_eq!(app.stats(&movie).await.data()["count"], 2);
    app.deliver(movie_event(updated(&movie, "Heat (1995)"), 4))
        .await;
    assert_eq!(app.stats(&movie).await.data()["count"], 77);
}
