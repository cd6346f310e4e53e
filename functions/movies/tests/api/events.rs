//! What the movies service publishes: movie.created, movie.updated, movie.deleted, with the
//! fields copies keep, numbered per movie, carrying the request's correlation id.

use serde_json::json;
use streamia_movies::adapters::http::{CREATE, DELETE};
use streamia_shared::events::contracts;

use crate::common::*;

#[tokio::test]
async fn every_write_publishes_its_event_in_order() {
    let app = TestApp::spawn().await;
    let res = app
        .as_admin(
            CREATE,
            request("POST", "/api/v1/movies", "/api/v1/movies")
                .json(
                    json!({"title": "Evented", "category": "drama", "duration": 60,
                             "coverImage": "https://img.example.com/e.jpg"}),
                )
                .header("x-correlation-id", "corr-create"),
        )
        .await;
    res.assert_ok(201);
    let id = res.data()["id"].as_str().unwrap().to_owned();
    app.update(&id, json!({"title": "Evented 2", "coverImage": null}))
        .await
        .assert_ok(200);
    let deleted = app
        .as_admin(
            DELETE,
            on_movie("DELETE", &id).header("x-correlation-id", "corr-delete"),
        )
        .await;
    deleted.assert_ok(202);
    let saga = deleted.data()["sagaId"].as_str().unwrap().to_owned();

    let mut events = app.env.events(3, std::time::Duration::from_secs(20)).await;
    events.sort_by_key(|e| e.envelope.aggregate_version);
    let names: Vec<&str> = events
        .iter()
        .map(|e| e.envelope.event_name.as_str())
        .collect();
    assert_eq!(names, ["movie.created", "movie.updated", "movie.deleted"]);
    let (c, u, d) = (&events[0], &events[1], &events[2]);
    assert_eq!(c.envelope.correlation_id, "corr-create");
    assert_eq!(c.attributes["eventName"], "movie.created");
    assert_eq!(c.envelope.source, "movies");
    assert_eq!(
        c.envelope.payload,
        json!({"movieId": id, "title": "Evented", "coverImage": "https://img.example.com/e.jpg",
               "status": "active"})
    );
    assert_eq!(
        u.envelope.payload,
        json!({"movieId": id, "title": "Evented 2", "coverImage": null, "status": "active",
               "changed": ["title", "coverImage"]})
    );
    assert_eq!(
        d.envelope.payload,
        json!({"sagaId": saga, "movieId": id, "title": "Evented 2", "coverImage": null,
               "status": "deleting"})
    );
    // The saga's id is the service's; the request's correlation id stays a label.
    assert_eq!(d.envelope.correlation_id, "corr-delete");
    assert_ne!(saga, "corr-delete");
    let versions: Vec<u64> = [c, u, d]
        .iter()
        .map(|e| e.envelope.aggregate_version)
        .collect();
    assert_eq!(versions, [1, 2, 3]);
    for event in [c, u, d] {
        assert_eq!(event.envelope.aggregate_id, id);
        let contract = contracts::find(&event.envelope.event_name, event.envelope.version)
            .expect("a contract");
        contract.check(&event.raw).unwrap();
    }
}

#[tokio::test]
async fn a_refused_write_publishes_nothing() {
    let app = TestApp::spawn().await;
    app.as_user(
        CREATE,
        request("POST", "/api/v1/movies", "/api/v1/movies")
            .json(json!({"title": "No", "category": "drama", "duration": 60})),
    )
    .await
    .assert_error(403, "FORBIDDEN");
    app.update(&bson::oid::ObjectId::new().to_hex(), json!({"title": "x"}))
        .await
        .assert_error(404, "NOT_FOUND");
    let none = app.env.events(1, std::time::Duration::from_secs(3)).await;
    assert!(none.is_empty(), "{none:?}");
}
