//! The two consumers: the copies of movies and of usernames follow the newest event whatever
//! the delivery order, and a record that cannot be read fails alone.

use bson::oid::ObjectId;
use serde_json::json;
use streamia_comments::adapters::sqs;
use streamia_shared::events::consumer::{process_batch, Budget};

use crate::common::*;

async fn title(app: &TestApp, movie: &ObjectId) -> Option<String> {
    app.deps
        .movies
        .visible(movie)
        .await
        .unwrap()
        .ok()
        .map(|copy| copy.title)
}

#[tokio::test]
async fn the_same_update_twice_or_an_older_one_after_a_newer_one_leaves_the_newest_title() {
    let app = TestApp::spawn().await;
    let movie = ObjectId::new();
    let v2 = movie_updated(&movie, 2, "Heat (1995)");
    app.deliver_movies(&[movie_created(&movie, 1, "Heat"), v2.clone(), v2.clone()])
        .await;
    assert_eq!(title(&app, &movie).await.as_deref(), Some("Heat (1995)"));
    // A newer one, then a late older one (another delivery of v2, and v1).
    app.deliver_movies(&[movie_updated(&movie, 3, "Heat!")])
        .await;
    app.deliver_movies(&[
        v2,
        movie_updated(&movie, 2, "Old"),
        movie_created(&movie, 1, "Heat"),
    ])
    .await;
    assert_eq!(title(&app, &movie).await.as_deref(), Some("Heat!"));
    // Out of order from the start: the newest wins.
    let other = ObjectId::new();
    app.deliver_movies(&[
        movie_updated(&other, 2, "Newest"),
        movie_created(&other, 1, "First"),
    ])
    .await;
    assert_eq!(title(&app, &other).await.as_deref(), Some("Newest"));
}

#[tokio::test]
async fn a_deleted_movie_stays_deleted_after_a_late_update_and_refuses_comments() {
    let app = TestApp::spawn().await;
    let ana = app.user("ana").await;
    let movie = ObjectId::new();
    app.deliver_movies(&[movie_created(&movie, 1, "Heat")])
        .await;
    let c = app.comment(&ana, &movie, "before").await;
    app.deliver_movies(&[
        movie_deleted(&movie, 3, "Heat"),
        movie_updated(&movie, 2, "Late"),
    ])
    .await;
    assert_eq!(title(&app, &movie).await, None);
    let res = app
        .post(&ana, json!({"movieId": movie.to_hex(), "text": "after"}))
        .await;
    res.assert_error(404, "MOVIE_NOT_FOUND");
    // An id this young still gets Retry-After only when never seen: this one was.
    assert!(res.headers.get("retry-after").is_none());
    app.list(&movie, &[])
        .await
        .assert_error(404, "MOVIE_NOT_FOUND");
    // A reply is a new comment on the movie: refused too.
    let res = app
        .post(
            &ana,
            json!({"movieId": movie.to_hex(), "text": "re", "parentId": c["id"]}),
        )
        .await;
    res.assert_error(404, "MOVIE_NOT_FOUND");
}

#[tokio::test]
async fn a_garbage_record_fails_alone_and_the_rest_of_its_batch_is_applied() {
    let app = TestApp::spawn().await;
    let copies = app.copies;
    let (movie, user) = (ObjectId::new(), ObjectId::new());
    let mut future = serde_json::to_value(movie_created(&movie, 1, "x")).unwrap();
    future["version"] = json!(99);
    let event = sqs_event(&[
        ("garbage", "this is not an envelope".into()),
        ("m1", body(&movie_created(&movie, 1, "Heat"))),
        ("v99", future.to_string()),
        ("m2", body(&movie_updated(&movie, 2, "Heat 2"))),
    ]);
    let response = process_batch(event, Budget::unlimited(), |e| {
        sqs::on_movie_change(copies, e)
    })
    .await;
    assert_eq!(failed(&response), ["garbage", "v99"]);
    assert_eq!(title(&app, &movie).await.as_deref(), Some("Heat 2"));

    let event = sqs_event(&[
        ("u1", body(&user_registered(&user, 1, "ana"))),
        ("garbage", "{\"eventName\": \"user.updated\"}".into()),
        ("u2", body(&user_updated(&user, 2, "ana_2"))),
        // Not followed by this consumer: acknowledged.
        ("movie", body(&movie_created(&movie, 5, "Heat"))),
    ]);
    let response = process_batch(event, Budget::unlimited(), |e| {
        sqs::on_user_change(copies, e)
    })
    .await;
    assert_eq!(failed(&response), ["garbage"]);
    let names = app.deps.users.active(&[user]).await.unwrap();
    assert_eq!(names.get(&user).map(String::as_str), Some("ana_2"));
}

#[tokio::test]
async fn a_user_being_deleted_shows_no_name_a_cancellation_brings_it_back_and_completion_is_final()
{
    use streamia_shared::events::users::{
        UserDeleted, UserDeletionCancelled, UserDeletionCompleted,
    };
    let app = TestApp::spawn().await;
    let movie = app.movie().await;
    let ana = app.user("ana").await;
    app.comment(&ana, &movie, "hi").await;
    let name = |res: &TestResponse| res.data()["items"][0]["username"].clone();
    let deleted = at(
        2,
        UserDeleted {
            saga_id: "s".into(),
            user_id: ana.id.to_hex(),
            email: "ana@example.com".into(),
            username: "ana".into(),
            first_name: None,
            language: Default::default(),
        },
    );
    app.deliver_users(&[deleted]).await;
    assert_eq!(name(&app.list(&movie, &[]).await), json!(null));
    let cancelled = at(
        3,
        UserDeletionCancelled {
            saga_id: "s".into(),
            user_id: ana.id.to_hex(),
            email: "ana@example.com".into(),
            username: "ana".into(),
            first_name: None,
            language: Default::default(),
        },
    );
    app.deliver_users(&[cancelled]).await;
    assert_eq!(name(&app.list(&movie, &[]).await), "ana");
    let completed = at(
        4,
        UserDeletionCompleted {
            saga_id: "s".into(),
            user_id: ana.id.to_hex(),
        },
    );
    app.deliver_users(&[completed, user_updated(&ana.id, 9, "back")])
        .await;
    assert_eq!(name(&app.list(&movie, &[]).await), json!(null));
}
