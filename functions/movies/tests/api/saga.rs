//! The movies service's side of the movie-deletion saga, against real SecantusDB, LocalStack
//! (SNS, SQS, S3) and the cache Redis: the participants' replies complete or cancel it once,
//! whatever the redeliveries and orders; the movie's media go only when it completes; the
//! deadline cancels a saga whose participant never answers.

use serde_json::json;
use streamia_movies::adapters::http::ADD_SUBTITLE;
use streamia_movies::ops::deletion_saga::{self, Outcome};
use streamia_movies::store::sagas::{SagaState, PARTICIPANTS};
use streamia_movies::Deps;
use streamia_shared::events::Envelope;

use crate::common::*;
use crate::media::{http, media_app, on};

/// A participant's reply, as its outbox publishes it.
fn reply(name: &str, saga: &str, movie: &str, service: &str) -> Envelope {
    let mut payload = json!({"sagaId": saga, "movieId": movie, "service": service});
    if name == "movie.deletion_step_failed" {
        payload["reason"] = json!("a fault injected by SAGA_FAULT");
    }
    serde_json::from_value(json!({
        "eventId": uuid::Uuid::new_v4().to_string(), "eventName": name,
        "occurredAt": "2030-01-01T00:00:00.000Z", "correlationId": "request-1",
        "source": service, "version": 1, "aggregateId": movie, "aggregateVersion": 1,
        "payload": payload,
    }))
    .unwrap()
}

async fn deliver(deps: &Deps, envelope: Envelope) -> Outcome {
    let incoming = deletion_saga::parse(envelope).unwrap().unwrap();
    deletion_saga::on_reply(deps, &incoming).await.unwrap()
}

/// A movie whose deletion started: (saga id, movie id).
async fn deleting(app: &TestApp, title: &str) -> (String, String) {
    let id = app.movie(title).await["id"].as_str().unwrap().to_owned();
    let res = app.delete(&id).await;
    res.assert_ok(202);
    (res.data()["sagaId"].as_str().unwrap().to_owned(), id)
}

#[tokio::test]
async fn the_last_confirmation_removes_the_movie_once_and_announces_it() {
    let app = TestApp::spawn().await;
    let (saga, movie) = deleting(&app, "Doomed").await;
    let stored = app.deps.sagas.get(&saga).await.unwrap().unwrap();
    assert_eq!(stored.state, SagaState::Running);
    assert_eq!(stored.movie_id.to_hex(), movie);

    let replies: Vec<Envelope> = PARTICIPANTS
        .iter()
        .map(|p| reply("movie.deletion_step_done", &saga, &movie, p))
        .collect();
    assert_eq!(
        deliver(app.deps, replies[0].clone()).await,
        Outcome::Waiting
    );
    // The same reply again (SQS redelivers): recorded once.
    assert_eq!(
        deliver(app.deps, replies[0].clone()).await,
        Outcome::Duplicate
    );
    assert_eq!(
        deliver(app.deps, replies[1].clone()).await,
        Outcome::Waiting
    );
    // Still hidden while it runs.
    app.get(&movie).await.assert_error(404, "NOT_FOUND");
    assert_eq!(
        deliver(app.deps, replies[2].clone()).await,
        Outcome::Completed
    );
    // Redelivered after the end: nothing changes.
    assert_eq!(
        deliver(app.deps, replies[2].clone()).await,
        Outcome::Duplicate
    );
    let late = reply("movie.deletion_step_done", &saga, &movie, "ratings");
    assert_eq!(deliver(app.deps, late).await, Outcome::Ignored);

    let stored = app.deps.sagas.get(&saga).await.unwrap().unwrap();
    assert_eq!(stored.state, SagaState::Completed);
    app.get(&movie).await.assert_error(404, "NOT_FOUND");
    let oid = bson::oid::ObjectId::parse_str(&movie).unwrap();
    assert!(app
        .deps
        .movies
        .collection()
        .find_one(bson::doc! {"_id": oid})
        .await
        .unwrap()
        .is_none());
    let done = app.env.events_named("movie.deletion_completed", 1).await;
    assert_eq!(
        done[0].envelope.payload,
        json!({"sagaId": saga, "movieId": movie, "title": "Doomed"})
    );
    // A second delete of a movie gone for good: 404.
    app.delete(&movie).await.assert_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn a_failure_cancels_and_the_movie_is_back_for_everyone() {
    let app = TestApp::spawn().await;
    let (saga, movie) = deleting(&app, "Survivor").await;
    // Read once while deleting: the cache holds its tombstone.
    app.get(&movie).await.assert_error(404, "NOT_FOUND");
    assert_eq!(
        deliver(
            app.deps,
            reply("movie.deletion_step_done", &saga, &movie, "favorites")
        )
        .await,
        Outcome::Waiting
    );
    assert_eq!(
        deliver(
            app.deps,
            reply("movie.deletion_step_failed", &saga, &movie, "ratings")
        )
        .await,
        Outcome::Cancelled
    );
    // A confirmation after the cancellation (out of order) changes nothing.
    assert_eq!(
        deliver(
            app.deps,
            reply("movie.deletion_step_done", &saga, &movie, "comments")
        )
        .await,
        Outcome::Ignored
    );
    let stored = app.deps.sagas.get(&saga).await.unwrap().unwrap();
    assert_eq!(stored.state, SagaState::Cancelled);
    assert_eq!(
        stored.reason.as_deref(),
        Some("ratings failed: a fault injected by SAGA_FAULT")
    );
    // Visible again at once (the cache's tombstone replaced), in the lists too.
    let back = app.get(&movie).await;
    back.assert_ok(200);
    assert_eq!(back.data()["title"], "Survivor");
    let listed = app.list(&[]).await;
    assert!(TestApp::titles(&listed).contains(&"Survivor".to_owned()));
    // created, deleted, deletion_cancelled.
    let events = app.env.events(3, std::time::Duration::from_secs(20)).await;
    let named = |name: &str| {
        events
            .iter()
            .find(|e| e.envelope.event_name == name)
            .unwrap_or_else(|| panic!("{name} in {events:?}"))
    };
    let cancelled = named("movie.deletion_cancelled");
    assert_eq!(
        cancelled.envelope.payload,
        json!({"sagaId": saga, "movieId": movie, "title": "Survivor", "coverImage": null,
               "status": "active", "reason": "ratings failed: a fault injected by SAGA_FAULT"})
    );
    // Newer than the movie.deleted before it, so every copy applies it.
    assert!(
        cancelled.envelope.aggregate_version > named("movie.deleted").envelope.aggregate_version
    );
    // It can be deleted again: a new saga.
    let (again, _) = {
        let res = app.delete(&movie).await;
        res.assert_ok(202);
        (res.data()["sagaId"].as_str().unwrap().to_owned(), ())
    };
    assert_ne!(again, saga);
    // A reply naming another movie, or no participant: ignored.
    let other = bson::oid::ObjectId::new().to_hex();
    assert_eq!(
        deliver(
            app.deps,
            reply("movie.deletion_step_done", &again, &other, "ratings")
        )
        .await,
        Outcome::Ignored
    );
    assert_eq!(
        deliver(
            app.deps,
            reply("movie.deletion_step_done", &again, &movie, "movies")
        )
        .await,
        Outcome::Ignored
    );
}

#[tokio::test]
async fn concurrent_confirmations_complete_the_saga_exactly_once() {
    let app = TestApp::spawn().await;
    let (saga, movie) = deleting(&app, "Raced").await;
    let second = app.second_instance().await;
    let outcomes = futures_util::future::join_all(PARTICIPANTS.iter().enumerate().map(|(i, p)| {
        let deps = if i % 2 == 0 { app.deps } else { second.deps };
        let envelope = reply("movie.deletion_step_done", &saga, &movie, p);
        async move { deliver(deps, envelope).await }
    }))
    .await;
    let completed = outcomes
        .iter()
        .filter(|o| **o == Outcome::Completed)
        .count();
    assert_eq!(completed, 1, "{outcomes:?}");
    app.env.events_named("movie.deletion_completed", 1).await;
}

#[tokio::test]
async fn a_saga_whose_participant_never_answers_is_cancelled_at_its_deadline() {
    let app = TestApp::with(&[("MOVIE_DELETION_DEADLINE_SECONDS", "1")]).await;
    let (saga, movie) = deleting(&app, "Stalled").await;
    deliver(
        app.deps,
        reply("movie.deletion_step_done", &saga, &movie, "favorites"),
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let report = deletion_saga::expire(app.deps, None).await.unwrap();
    assert_eq!(report.cancelled, 1, "{report:?}");
    let stored = app.deps.sagas.get(&saga).await.unwrap().unwrap();
    assert_eq!(stored.state, SagaState::Cancelled);
    assert_eq!(stored.reason.as_deref(), Some("deadline passed"));
    app.get(&movie).await.assert_ok(200);
    // A reply after the deadline's cancellation changes nothing; a second run finds nothing.
    assert_eq!(
        deliver(
            app.deps,
            reply("movie.deletion_step_done", &saga, &movie, "ratings")
        )
        .await,
        Outcome::Ignored
    );
    let again = deletion_saga::expire(app.deps, None).await.unwrap();
    assert_eq!(again.cancelled, 0);
    app.env.events_named("movie.deletion_cancelled", 1).await;
}

#[tokio::test]
async fn a_movies_media_are_deleted_only_when_its_deletion_completes() {
    let app = media_app().await;
    let movie = app.movie("With subtitles").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let vtt = "WEBVTT\n\n00:01.000 --> 00:02.000\nHello\n";
    let added = app
        .as_admin(
            ADD_SUBTITLE,
            on("POST", &movie, "/subtitles").json(
                json!({"language": "en", "label": "English", "format": "vtt", "content": vtt}),
            ),
        )
        .await;
    added.assert_ok(201);
    let url = added.data()["url"].as_str().unwrap().to_owned();
    let status =
        |url: String| async move { http().get(&url).send().await.unwrap().status().as_u16() };
    assert_eq!(status(url.clone()).await, 200);

    // A cancelled deletion leaves the media alone.
    let res = app.delete(&movie).await;
    let saga = res.data()["sagaId"].as_str().unwrap().to_owned();
    deliver(
        app.deps,
        reply("movie.deletion_step_failed", &saga, &movie, "comments"),
    )
    .await;
    assert_eq!(status(url.clone()).await, 200);

    // A completed one deletes them, after the movie is gone.
    let res = app.delete(&movie).await;
    let saga = res.data()["sagaId"].as_str().unwrap().to_owned();
    for p in PARTICIPANTS {
        deliver(
            app.deps,
            reply("movie.deletion_step_done", &saga, &movie, p),
        )
        .await;
    }
    assert_eq!(status(url).await, 404);
    // Nothing left for the sweeper.
    let rows = app
        .deps
        .db
        .collection::<bson::Document>("media_deletions")
        .count_documents(bson::doc! {})
        .await
        .unwrap();
    assert_eq!(rows, 0);
}

/// `movies-saga-status`: an operator reads the saga by the id the DELETE answered, sees whom it
/// waits for and how it ended; the refusals are function errors.
#[tokio::test]
async fn an_operator_reads_a_movie_saga_by_id() {
    use streamia_movies::store::SagaStore;
    use streamia_shared::saga::status;
    let app = TestApp::spawn().await;
    // What `movies-saga-status` builds at its cold start: the sagas, nothing else.
    let reader: SagaStore = app.env.service().await;
    let (saga, movie) = deleting(&app, "Watched").await;
    let read = |payload: serde_json::Value| {
        let reader = &reader;
        async move { status::read(reader, payload).await }
    };
    let shown = serde_json::to_value(read(json!({"sagaId": saga})).await.unwrap()).unwrap();
    assert_eq!(shown["state"], "running");
    assert_eq!(shown["movieId"], movie.as_str());
    assert_eq!(
        shown["waitingFor"],
        json!(["comments", "favorites", "ratings"])
    );
    for p in PARTICIPANTS {
        deliver(
            app.deps,
            reply("movie.deletion_step_done", &saga, &movie, p),
        )
        .await;
    }
    let ended = serde_json::to_value(read(json!({"sagaId": saga})).await.unwrap()).unwrap();
    assert_eq!(ended["state"], "completed");
    assert_eq!(ended["waitingFor"], json!([]));
    assert!(ended["endedAt"].is_string() && ended["reason"].is_null());
    let unknown = uuid::Uuid::new_v4().to_string();
    for (payload, error_type) in [
        (json!({"sagaId": unknown}), "SagaNotFound"),
        (json!({"sagaId": "../etc"}), "ValidationError"),
        (json!({"movieId": movie}), "InvalidPayload"),
    ] {
        let err = read(payload.clone()).await.unwrap_err();
        assert_eq!(err.error_type, error_type, "{payload}");
    }
}

/// A movie an old `movies-delete` marked `deleting` with no saga (a deploy's window, after the
/// setup step ran) is adopted by the next deadline run and cancelled: visible again, not left
/// hidden until the next setup. A second run finds nothing to do.
#[tokio::test]
async fn the_deadline_run_adopts_a_movie_left_deleting_without_a_saga() {
    let app = TestApp::spawn().await;
    let movie = app.movie("Orphaned").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let oid = bson::oid::ObjectId::parse_str(&movie).unwrap();
    app.deps
        .movies
        .collection()
        .update_one(
            bson::doc! {"_id": oid},
            bson::doc! {"$set": {"status": "deleting", "deletionSagaId": "legacy-1"}},
        )
        .await
        .unwrap();
    let report = deletion_saga::expire(app.deps, None).await.unwrap();
    assert_eq!(report.cancelled, 1, "{report:?}");
    app.get(&movie).await.assert_ok(200);
    let again = deletion_saga::expire(app.deps, None).await.unwrap();
    assert_eq!(again.cancelled, 0, "{again:?}");
    app.env.events_named("movie.deletion_cancelled", 1).await;
}
