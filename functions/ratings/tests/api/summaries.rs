//! The summary's mechanics, through the operations: one `rating.changed` per pass with the
//! movie's next version, the sweeper catching up what a writer left behind, and a held lease
//! leaving the work to its holder.

use std::time::{Duration, Instant};

use bson::oid::ObjectId;
use serde_json::json;
use streamia_ratings::domain::Score;
use streamia_ratings::ops::{self, Ctx};
use streamia_ratings::store::SummaryStore;

use crate::common::*;

fn ctx() -> Ctx {
    Ctx::new("corr-test")
}

async fn put(app: &TestApp, user: &User, movie: ObjectId, score: u8) -> bool {
    let cmd = ops::put::parse(
        movie,
        ops::put::Input {
            score: Some(json!(score)),
        },
    )
    .unwrap();
    ops::put::execute(app.deps, cmd, &user.caller, &ctx())
        .await
        .unwrap()
        .created
}

#[tokio::test]
async fn each_write_publishes_the_whole_new_summary_with_the_movies_next_version() {
    let app = TestApp::spawn().await;
    let movie: ObjectId = app.movie("Versioned").await.parse().unwrap();
    let users = [app.user().await, app.user().await, app.user().await];
    for (user, score) in users.iter().zip([5, 4, 4]) {
        assert!(put(&app, user, movie, score).await);
    }
    let cmd = ops::delete::parse(movie).unwrap();
    ops::delete::execute(app.deps, cmd, &users[0].caller, &ctx())
        .await
        .unwrap();

    let mut events = app.env.events_named("rating.changed", 4).await;
    assert_eq!(events.len(), 4);
    events.sort_by_key(|e| e.envelope.aggregate_version);
    let seen: Vec<(u64, u64, f64)> = events
        .iter()
        .map(|e| {
            assert_eq!(e.envelope.aggregate_id, movie.to_hex());
            assert_eq!(e.envelope.source, "ratings");
            assert_eq!(e.envelope.correlation_id, "corr-test");
            assert_eq!(e.envelope.payload["movieId"], movie.to_hex());
            (
                e.envelope.aggregate_version,
                e.envelope.payload["count"].as_u64().unwrap(),
                e.envelope.payload["average"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(seen, [(1, 1, 5.0), (2, 2, 4.5), (3, 3, 4.33), (4, 2, 4.0)]);
    assert_eq!(app.deps.summaries.progress(movie).await.unwrap(), (4, 4));
}

#[tokio::test]
async fn the_sweeper_catches_up_a_summary_its_writer_left_behind() {
    let app = TestApp::spawn().await;
    let movie_hex = app.movie("Orphaned").await;
    let movie: ObjectId = movie_hex.parse().unwrap();
    let ana = app.user().await;
    // A writer that died after its rating and its count, before any pass.
    app.deps
        .ratings
        .upsert(ana.caller.user_id, movie, Score::new(2).unwrap())
        .await
        .unwrap();
    app.deps.summaries.want(movie).await.unwrap();
    // The summary trails (it is only read, never computed, by the public route).
    assert_eq!(app.stats(&movie_hex).await.data()["count"], 0);

    let report = ops::sweep_summaries::execute(app.deps, None).await.unwrap();
    assert_eq!((report.found, report.cleaned, report.passes), (1, 1, 1));
    let stats = app.stats(&movie_hex).await;
    assert_eq!(stats.data()["count"], 1);
    assert_eq!(stats.data()["average"], 2.0);
    assert_eq!(stats.data()["distribution"], distribution([0, 1, 0, 0, 0]));
    // Nothing left to do.
    let report = ops::sweep_summaries::execute(app.deps, None).await.unwrap();
    assert_eq!(report.found, 0);
}

#[tokio::test]
async fn a_held_lease_leaves_the_write_to_its_holder_or_the_sweeper() {
    let app = TestApp::spawn().await;
    let movie_hex = app.movie("Held").await;
    let movie: ObjectId = movie_hex.parse().unwrap();
    let (ana, bob) = (app.user().await, app.user().await);
    assert!(put(&app, &ana, movie, 1).await);
    // Another writer holds the movie (it is in a pass, or died holding the lease).
    let lease = app.deps.summaries.take(movie).await.unwrap().unwrap();
    assert!(put(&app, &bob, movie, 5).await);
    let outcome = ops::summarize::execute(
        app.deps,
        movie,
        &ctx(),
        Instant::now() + Duration::from_secs(2),
        Instant::now() + Duration::from_secs(5),
    )
    .await
    .unwrap();
    assert!(outcome.busy && outcome.passes == 0);
    assert_eq!(app.stats(&movie_hex).await.data()["count"], 1);
    assert_eq!(app.deps.summaries.progress(movie).await.unwrap(), (1, 2));
    // Its lease is live: the sweeper leaves it alone.
    let report = ops::sweep_summaries::execute(app.deps, None).await.unwrap();
    assert_eq!(report.found, 0);
    // Once it is free (released or expired), the sweeper finishes the work.
    app.deps.summaries.release(&lease, None).await.unwrap();
    let report = ops::sweep_summaries::execute(app.deps, None).await.unwrap();
    assert_eq!((report.found, report.cleaned), (1, 1));
    let stats = app.stats(&movie_hex).await;
    assert_eq!(stats.data()["count"], 2);
    assert_eq!(stats.data()["average"], 3.0);
    assert_eq!(app.deps.summaries.progress(movie).await.unwrap(), (2, 2));
}

#[tokio::test]
async fn a_holder_whose_lease_was_taken_over_writes_nothing() {
    let app = TestApp::spawn().await;
    let movie: ObjectId = app.movie("Slow holder").await.parse().unwrap();
    let ana = app.user().await;
    assert!(put(&app, &ana, movie, 4).await);
    app.deps.summaries.want(movie).await.unwrap();
    let slow = app.deps.summaries.take(movie).await.unwrap().unwrap();
    // A second writer cannot take a live lease...
    assert!(app.deps.summaries.take(movie).await.unwrap().is_none());
    // ...but takes it over once it has expired (the slow holder ran past it).
    app.deps
        .db
        .collection::<bson::Document>("summaries")
        .update_one(
            bson::doc! {"_id": movie},
            bson::doc! {"$set": {"leaseUntil": bson::DateTime::from_millis(0)}},
        )
        .await
        .unwrap();
    let new = app.deps.summaries.take(movie).await.unwrap().unwrap();
    assert_ne!(new.holder, slow.holder);
    let summary = app.deps.ratings.summarize(movie).await.unwrap();
    let mut session = app.deps.mongo.start_session().await.unwrap();
    assert!(!app
        .deps
        .summaries
        .record(&mut session, &slow, 99, &summary)
        .await
        .unwrap());
    assert!(app
        .deps
        .summaries
        .record(&mut session, &new, 2, &summary)
        .await
        .unwrap());
    // The slow holder's release leaves the new holder's lease alone.
    assert!(!app.deps.summaries.release(&slow, Some(2)).await.unwrap());
    assert!(app.deps.summaries.take(movie).await.unwrap().is_none());
    assert!(app.deps.summaries.release(&new, Some(2)).await.unwrap());
    assert_eq!(app.deps.summaries.progress(movie).await.unwrap(), (2, 2));
}

/// The summaries document of `movie`, as stored.
async fn summary_doc(app: &TestApp, movie: ObjectId) -> bson::Document {
    app.deps
        .db
        .collection::<bson::Document>("summaries")
        .find_one(bson::doc! {"_id": movie})
        .await
        .unwrap()
        .unwrap()
}

/// The summaries store with marks that expire at once: a writer stopped between its write
/// and its count, seen after its mark's `pendingUntil`.
fn expired_marks(app: &TestApp) -> SummaryStore {
    SummaryStore::new(&app.deps.db).with_pending(Duration::ZERO)
}

#[tokio::test]
async fn a_rating_written_but_never_counted_ends_exact_after_the_sweeper() {
    let app = TestApp::spawn().await;
    let movie_hex = app.movie("Uncounted").await;
    let movie: ObjectId = movie_hex.parse().unwrap();
    let (ana, bob) = (app.user().await, app.user().await);
    assert!(put(&app, &ana, movie, 5).await);
    assert_eq!(app.deps.summaries.progress(movie).await.unwrap(), (1, 1));
    // Bob's writer marks and writes, then stops before its count (the `$inc` failed with a
    // 503, the request was cut, the instance died): `wanted` never moves.
    let marks = expired_marks(&app);
    marks.mark(movie).await.unwrap();
    app.deps
        .ratings
        .upsert(bob.caller.user_id, movie, Score::new(1).unwrap())
        .await
        .unwrap();
    assert_eq!(app.deps.summaries.progress(movie).await.unwrap(), (1, 1));
    assert_eq!(app.stats(&movie_hex).await.data()["count"], 1);

    // Its mark left the summary dirty: once the mark has expired, the sweeper's pass counts
    // the write from the ratings and leaves it clean.
    let report = ops::sweep_summaries::execute(app.deps, None).await.unwrap();
    assert_eq!((report.found, report.cleaned, report.passes), (1, 1, 1));
    let stats = app.stats(&movie_hex).await;
    assert_eq!(stats.data()["count"], 2);
    assert_eq!(stats.data()["average"], 3.0);
    assert_eq!(stats.data()["distribution"], distribution([1, 0, 0, 0, 1]));

    // The same for a delete never counted; the client's retry gets 404 and repairs nothing.
    marks.mark(movie).await.unwrap();
    assert!(app
        .deps
        .ratings
        .delete(ana.caller.user_id, movie)
        .await
        .unwrap());
    let retry = ops::delete::execute(
        app.deps,
        ops::delete::parse(movie).unwrap(),
        &ana.caller,
        &ctx(),
    )
    .await;
    assert!(matches!(
        retry,
        Err(streamia_ratings::RatingsError::RatingNotFound)
    ));
    let report = ops::sweep_summaries::execute(app.deps, None).await.unwrap();
    assert_eq!((report.found, report.cleaned, report.passes), (1, 1, 1));
    let stats = app.stats(&movie_hex).await;
    assert_eq!(stats.data()["count"], 1);
    assert_eq!(stats.data()["distribution"], distribution([1, 0, 0, 0, 0]));
    let report = ops::sweep_summaries::execute(app.deps, None).await.unwrap();
    assert_eq!(report.found, 0);
}

#[tokio::test]
async fn a_release_while_a_writer_is_between_its_mark_and_its_count_leaves_it_dirty() {
    let app = TestApp::spawn().await;
    let movie_hex = app.movie("Pending").await;
    let movie: ObjectId = movie_hex.parse().unwrap();
    let (ana, bob) = (app.user().await, app.user().await);
    assert!(put(&app, &ana, movie, 2).await);
    assert_eq!(summary_doc(&app, movie).await.get_bool("dirty"), Ok(false));

    // Bob's writer has marked (its mark lasts `PENDING`) and written, not counted yet.
    app.deps.summaries.mark(movie).await.unwrap();
    app.deps
        .ratings
        .upsert(bob.caller.user_id, movie, Score::new(4).unwrap())
        .await
        .unwrap();
    // A holder's pass (here the sweeper's) sees `wanted == done` but may not call it clean.
    let report = ops::sweep_summaries::execute(app.deps, None).await.unwrap();
    assert_eq!((report.found, report.cleaned, report.passes), (1, 0, 1));
    assert_eq!(summary_doc(&app, movie).await.get_bool("dirty"), Ok(true));
    // Its lease is free again (the writer's own pass can take it).
    assert!(app.deps.summaries.take(movie).await.unwrap().is_some());
    app.deps
        .db
        .collection::<bson::Document>("summaries")
        .update_one(
            bson::doc! {"_id": movie},
            bson::doc! {"$unset": {"leaseUntil": "", "holder": ""}},
        )
        .await
        .unwrap();

    // The writer counts and runs its pass: exact and clean.
    app.deps.summaries.want(movie).await.unwrap();
    let outcome = ops::summarize::execute(
        app.deps,
        movie,
        &ctx(),
        Instant::now() + Duration::from_secs(2),
        Instant::now() + Duration::from_secs(5),
    )
    .await
    .unwrap();
    assert!(outcome.clean && outcome.passes == 1);
    let stats = app.stats(&movie_hex).await;
    assert_eq!(stats.data()["count"], 2);
    assert_eq!(stats.data()["average"], 3.0);
    assert_eq!(app.deps.summaries.progress(movie).await.unwrap(), (2, 2));
    assert_eq!(summary_doc(&app, movie).await.get_bool("dirty"), Ok(false));
}

#[tokio::test]
async fn an_unchanged_score_counts_nothing_and_publishes_nothing() {
    let app = TestApp::spawn().await;
    let movie: ObjectId = app.movie("Unchanged").await.parse().unwrap();
    let (ana, bob) = (app.user().await, app.user().await);
    assert!(put(&app, &ana, movie, 4).await);
    let first = app.mine(&ana, &[]).await.data()["items"][0].clone();
    tokio::time::sleep(Duration::from_millis(5)).await;
    // The same score again: 200, `updatedAt` set, nothing marked, counted or published.
    assert!(!put(&app, &ana, movie, 4).await);
    assert_eq!(app.deps.summaries.progress(movie).await.unwrap(), (1, 1));
    let again = app.mine(&ana, &[]).await.data()["items"][0].clone();
    assert_eq!(again["createdAt"], first["createdAt"]);
    assert_ne!(again["updatedAt"], first["updatedAt"]);
    let doc = summary_doc(&app, movie).await;
    assert_eq!(doc.get_bool("dirty"), Ok(false));
    // The next change is the movie's second event (the unchanged PUT published none).
    assert!(put(&app, &bob, movie, 2).await);
    let mut events = app.env.events_named("rating.changed", 2).await;
    events.sort_by_key(|e| e.envelope.aggregate_version);
    let seen: Vec<(u64, u64)> = events
        .iter()
        .map(|e| {
            (
                e.envelope.aggregate_version,
                e.envelope.payload["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(seen, [(1, 1), (2, 2)]);
}

#[tokio::test]
async fn a_pass_cut_at_its_limit_releases_the_lease_and_leaves_the_summary_dirty() {
    let app = TestApp::spawn().await;
    let movie_hex = app.movie("Cut").await;
    let movie: ObjectId = movie_hex.parse().unwrap();
    let ana = app.user().await;
    app.deps.summaries.mark(movie).await.unwrap();
    app.deps
        .ratings
        .upsert(ana.caller.user_id, movie, Score::new(3).unwrap())
        .await
        .unwrap();
    app.deps.summaries.want(movie).await.unwrap();
    // A limit already reached: the pass is cut before it commits.
    let outcome = ops::summarize::execute(
        app.deps,
        movie,
        &ctx(),
        Instant::now() + Duration::from_secs(2),
        Instant::now(),
    )
    .await
    .unwrap();
    assert!(outcome.timed_out && !outcome.clean && outcome.passes == 0);
    assert_eq!(app.deps.summaries.progress(movie).await.unwrap(), (0, 1));
    // Released at once: the sweeper finishes it without waiting for the lease to expire.
    let report = ops::sweep_summaries::execute(app.deps, None).await.unwrap();
    assert_eq!((report.found, report.cleaned, report.failed), (1, 1, 0));
    assert_eq!(app.stats(&movie_hex).await.data()["count"], 1);
}
