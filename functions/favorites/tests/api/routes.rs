//! Every route through API Gateway events: happy paths, the exact error envelopes, 401 without
//! identity, not-found, and the unique index under concurrent adds.

use bson::oid::ObjectId;
use serde_json::json;
use streamia_favorites::adapters::http::{ADD, GET, LIST, REMOVE, UPDATE};

use crate::common::*;

#[tokio::test]
async fn add_answers_201_with_the_movie_as_the_copies_know_it() {
    let app = TestApp::spawn().await;
    let movie = app.movie("Alien").await;
    let res = app.add(&app.alice, movie, Some("  watch again \n")).await;
    res.assert_ok(201);
    let data = res.data();
    assert_eq!(data["movieId"], movie.to_hex());
    assert_eq!(data["title"], "Alien");
    assert_eq!(data["coverImage"], "https://img.example/Alien.jpg");
    // Trimmed: leading and trailing blanks are layout.
    assert_eq!(data["note"], "watch again");
    assert_eq!(data["createdAt"], data["updatedAt"]);
    assert!(data["createdAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        res.headers["cache-control"].to_str().unwrap(),
        "no-store",
        "a user's favorites are personal"
    );

    // Without a note, and a blank note, are no note.
    let other = app.movie("Heat").await;
    let res = app.add(&app.alice, other, None).await;
    res.assert_ok(201);
    assert_eq!(res.data()["note"], json!(null));
    let third = app.movie("Ran").await;
    let res = app.add(&app.alice, third, Some("   ")).await;
    res.assert_ok(201);
    assert_eq!(res.data()["note"], json!(null));
}

#[tokio::test]
async fn add_validates_every_field_at_once_in_the_envelope() {
    let app = TestApp::spawn().await;
    let res = app
        .as_user(&app.alice, ADD, add(json!({"note": "n".repeat(501)})))
        .await;
    res.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(
        res.body,
        json!({
            "success": false,
            "error": "VALIDATION_ERROR",
            "message": "invalid request",
            "details": [
                {"field": "movieId", "message": "is required"},
                {"field": "note", "message": "must be at most 500 characters"},
            ]
        }),
        "{}",
        res.raw
    );

    let res = app
        .as_user(
            &app.alice,
            ADD,
            add(json!({"movieId": "not-an-id", "note": "ok"})),
        )
        .await;
    res.assert_error(400, "VALIDATION_ERROR");
    assert!(res.detail("movieId").is_some(), "{}", res.raw);

    let res = app
        .as_user(
            &app.alice,
            ADD,
            add(json!({"movieId": "x", "note": "bell\u{7}"})),
        )
        .await;
    res.assert_error(400, "VALIDATION_ERROR");
    assert!(res.detail("note").is_some(), "{}", res.raw);

    // Unknown fields are refused, naming the field.
    let movie = app.movie("Alien").await;
    let res = app
        .as_user(
            &app.alice,
            ADD,
            add(json!({"movieId": movie.to_hex(), "rating": 5})),
        )
        .await;
    res.assert_error(400, "VALIDATION_ERROR");
    assert!(res.detail("rating").is_some(), "{}", res.raw);

    // Wrong type, malformed JSON, no body.
    let res = app
        .as_user(
            &app.alice,
            ADD,
            add(json!({"movieId": movie.to_hex(), "note": 5})),
        )
        .await;
    res.assert_error(400, "VALIDATION_ERROR");
    let res = app
        .as_user(
            &app.alice,
            ADD,
            request("POST", "/api/v1/favorites", "/api/v1/favorites").body("{\"movieId\":"),
        )
        .await;
    res.assert_error(400, "VALIDATION_ERROR");
    let res = app
        .as_user(
            &app.alice,
            ADD,
            request("POST", "/api/v1/favorites", "/api/v1/favorites"),
        )
        .await;
    res.assert_error(400, "VALIDATION_ERROR");

    // In Spanish when asked.
    let res = app
        .as_user(
            &app.alice,
            ADD,
            add(json!({})).header("accept-language", "es"),
        )
        .await;
    res.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(res.headers["content-language"], "es");
}

#[tokio::test]
async fn add_of_an_unknown_or_hidden_movie_is_movie_not_found_with_retry_after_for_a_young_id() {
    let app = TestApp::spawn().await;
    // An id made now: its movie.created may be on its way.
    let young = ObjectId::new();
    let res = app.add(&app.alice, young, None).await;
    res.assert_error(404, "MOVIE_NOT_FOUND");
    assert_eq!(res.headers["retry-after"], "1", "{:?}", res.headers);

    // An old id no event ever named: plain 404.
    let old = ObjectId::parse_str("5f1d7a3b9c8e4f0012345678").unwrap();
    let res = app.add(&app.alice, old, None).await;
    res.assert_error(404, "MOVIE_NOT_FOUND");
    assert!(
        res.headers.get("retry-after").is_none(),
        "{:?}",
        res.headers
    );

    // A movie being deleted: known, not visible, no retry.
    let movie = app.movie("Gone").await;
    app.deliver(deleted(movie, 2, "Gone")).await.unwrap();
    let res = app.add(&app.alice, movie, None).await;
    res.assert_error(404, "MOVIE_NOT_FOUND");
    assert!(
        res.headers.get("retry-after").is_none(),
        "{:?}",
        res.headers
    );

    // Once the event arrives, the same young id works.
    app.deliver(created(young, "Fresh")).await.unwrap();
    app.add(&app.alice, young, None).await.assert_ok(201);
}

#[tokio::test]
async fn a_second_add_is_409_already_favorite() {
    let app = TestApp::spawn().await;
    let movie = app.movie("Alien").await;
    app.add(&app.alice, movie, Some("first"))
        .await
        .assert_ok(201);
    let res = app.add(&app.alice, movie, Some("second")).await;
    res.assert_error(409, "ALREADY_FAVORITE");
    // The first one stands.
    let res = app.get(&app.alice, &movie.to_hex()).await;
    assert_eq!(res.data()["note"], "first");
    // Another user may favorite the same movie.
    app.add(&app.bob, movie, None).await.assert_ok(201);
    // The code never changes; the message follows Accept-Language.
    let res = app
        .as_user(
            &app.alice,
            ADD,
            add(json!({"movieId": movie.to_hex()})).header("accept-language", "es"),
        )
        .await;
    res.assert_error(409, "ALREADY_FAVORITE");
    assert_eq!(
        res.body["message"],
        "esta película ya está entre tus favoritas"
    );
}

#[tokio::test]
async fn the_setup_step_can_run_again() {
    let app = TestApp::spawn().await;
    // Deploys run it on every change of SetupVersion; the local stack at every start.
    streamia_favorites::store::create_indexes(app.deps.db.clone())
        .await
        .unwrap();
    let names = app
        .deps
        .db
        .collection::<bson::Document>("favorites")
        .list_index_names()
        .await
        .unwrap();
    for index in streamia_favorites::store::INDEXES {
        assert!(names.contains(&index.to_owned()), "{names:?}");
    }
}

#[tokio::test]
async fn concurrent_identical_adds_give_one_201_and_the_rest_409() {
    let app = TestApp::spawn().await;
    let movie = app.movie("Alien").await;
    let app = &app;
    let answers = futures_util::future::join_all(
        (0..8).map(|_| async move { app.add(&app.alice, movie, Some("n")).await }),
    )
    .await;
    let created = answers.iter().filter(|r| r.status == 201).count();
    let conflicts = answers
        .iter()
        .filter(|r| r.status == 409 && r.error() == "ALREADY_FAVORITE")
        .count();
    assert_eq!((created, conflicts), (1, 7), "{answers:#?}");
    let res = app.list(&app.alice, &[]).await;
    assert_eq!(res.data()["total"], 1);
}

#[tokio::test]
async fn get_answers_the_favorite_or_404_and_400_for_a_bad_id() {
    let app = TestApp::spawn().await;
    let movie = app.movie("Alien").await;
    app.add(&app.alice, movie, Some("n")).await.assert_ok(201);
    let res = app.get(&app.alice, &movie.to_hex()).await;
    res.assert_ok(200);
    assert_eq!(res.data()["movieId"], movie.to_hex());
    assert_eq!(res.data()["title"], "Alien");
    assert_eq!(res.data()["note"], "n");

    let other = app.movie("Heat").await;
    let res = app.get(&app.alice, &other.to_hex()).await;
    res.assert_error(404, "NOT_FOUND");
    assert_eq!(res.body["message"], "favorite not found");

    let res = app.get(&app.alice, "not-an-id").await;
    res.assert_error(400, "VALIDATION_ERROR");
}

#[tokio::test]
async fn update_sets_or_clears_the_note_and_updated_at() {
    let app = TestApp::spawn().await;
    let movie = app.movie("Alien").await;
    let added = app.add(&app.alice, movie, Some("old")).await;
    added.assert_ok(201);
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let res = app
        .update(&app.alice, &movie.to_hex(), json!({"note": " new note "}))
        .await;
    res.assert_ok(200);
    assert_eq!(res.data()["note"], "new note");
    assert_eq!(res.data()["title"], "Alien");
    assert_eq!(res.data()["createdAt"], added.data()["createdAt"]);
    assert!(
        res.data()["updatedAt"].as_str().unwrap() > added.data()["updatedAt"].as_str().unwrap(),
        "{}",
        res.raw
    );
    assert_eq!(
        app.get(&app.alice, &movie.to_hex()).await.data()["note"],
        "new note"
    );

    // null and blank clear it.
    let res = app
        .update(&app.alice, &movie.to_hex(), json!({"note": null}))
        .await;
    res.assert_ok(200);
    assert_eq!(res.data()["note"], json!(null));
    app.update(&app.alice, &movie.to_hex(), json!({"note": "again"}))
        .await
        .assert_ok(200);
    let res = app
        .update(&app.alice, &movie.to_hex(), json!({"note": ""}))
        .await;
    assert_eq!(res.data()["note"], json!(null));
}

#[tokio::test]
async fn update_validates_and_answers_404_for_a_missing_favorite() {
    let app = TestApp::spawn().await;
    let movie = app.movie("Alien").await;
    app.add(&app.alice, movie, None).await.assert_ok(201);
    let id = movie.to_hex();

    let res = app.update(&app.alice, &id, json!({})).await;
    res.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(res.detail("note"), Some("is required"), "{}", res.raw);
    let res = app
        .update(&app.alice, &id, json!({"note": "n".repeat(501)}))
        .await;
    res.assert_error(400, "VALIDATION_ERROR");
    assert!(res.detail("note").is_some());
    let res = app
        .update(&app.alice, &id, json!({"note": "x", "extra": 1}))
        .await;
    res.assert_error(400, "VALIDATION_ERROR");
    assert!(res.detail("extra").is_some());
    let res = app.update(&app.alice, "123", json!({"note": "x"})).await;
    res.assert_error(400, "VALIDATION_ERROR");

    let other = app.movie("Heat").await;
    let res = app
        .update(&app.alice, &other.to_hex(), json!({"note": "x"}))
        .await;
    res.assert_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn remove_answers_204_then_404() {
    let app = TestApp::spawn().await;
    let movie = app.movie("Alien").await;
    app.add(&app.alice, movie, None).await.assert_ok(201);
    let res = app.remove(&app.alice, &movie.to_hex()).await;
    res.assert_ok(204);
    assert!(res.raw.is_empty());
    app.get(&app.alice, &movie.to_hex())
        .await
        .assert_error(404, "NOT_FOUND");
    app.remove(&app.alice, &movie.to_hex())
        .await
        .assert_error(404, "NOT_FOUND");
    app.remove(&app.alice, "zz")
        .await
        .assert_error(400, "VALIDATION_ERROR");
    // Removed, it may be added again.
    app.add(&app.alice, movie, None).await.assert_ok(201);
}

#[tokio::test]
async fn list_is_newest_first_paged_and_shows_current_titles() {
    let app = TestApp::spawn().await;
    let mut movies = Vec::new();
    for title in ["One", "Two", "Three"] {
        let movie = app.movie(title).await;
        app.add(&app.alice, movie, Some(title)).await.assert_ok(201);
        movies.push(movie.to_hex());
    }
    let res = app.list(&app.alice, &[]).await;
    res.assert_ok(200);
    assert_eq!(
        TestApp::movie_ids(&res),
        [movies[2].clone(), movies[1].clone(), movies[0].clone()]
    );
    let data = res.data();
    assert_eq!(
        (
            &data["total"],
            &data["page"],
            &data["limit"],
            &data["totalPages"]
        ),
        (&json!(3), &json!(1), &json!(20), &json!(1))
    );
    let first = &data["items"][0];
    assert_eq!(first["title"], "Three");
    assert_eq!(first["coverImage"], "https://img.example/Three.jpg");
    assert_eq!(first["note"], "Three");
    assert!(first["createdAt"].is_string() && first["updatedAt"].is_string());
    assert_eq!(res.headers["cache-control"].to_str().unwrap(), "no-store");

    let res = app.list(&app.alice, &[("page", "2"), ("limit", "2")]).await;
    assert_eq!(TestApp::movie_ids(&res), [movies[0].clone()]);
    assert_eq!(res.data()["totalPages"], 2);
    // A limit over the maximum is clamped; a page past the end is empty.
    let res = app.list(&app.alice, &[("limit", "500")]).await;
    assert_eq!(res.data()["limit"], 100);
    let res = app.list(&app.alice, &[("page", "9")]).await;
    res.assert_ok(200);
    assert_eq!(res.data()["items"], json!([]));
    assert_eq!(res.data()["total"], 3);

    // A rename shows in the list with no call to the movies service.
    let renamed = bson::oid::ObjectId::parse_str(&movies[0]).unwrap();
    app.deliver(updated(renamed, 2, "One (Director's Cut)"))
        .await
        .unwrap();
    let res = app.list(&app.alice, &[]).await;
    assert_eq!(res.data()["items"][2]["title"], "One (Director's Cut)");
    assert_eq!(
        res.data()["items"][2]["coverImage"],
        "https://img.example/One (Director's Cut).jpg"
    );
}

#[tokio::test]
async fn list_validates_page_and_limit() {
    let app = TestApp::spawn().await;
    let res = app
        .list(&app.alice, &[("page", "0"), ("limit", "abc")])
        .await;
    res.assert_error(400, "VALIDATION_ERROR");
    assert!(res.detail("page").is_some(), "{}", res.raw);
    assert!(res.detail("limit").is_some(), "{}", res.raw);
    let res = app.list(&app.alice, &[]).await;
    res.assert_ok(200);
    assert_eq!(
        res.data(),
        &json!({"items": [], "total": 0, "page": 1, "limit": 20, "totalPages": 0})
    );
}

#[tokio::test]
async fn a_favorite_whose_movie_copy_is_missing_shows_title_null() {
    let app = TestApp::spawn().await;
    let movie = app.movie("Alien").await;
    app.add(&app.alice, movie, None).await.assert_ok(201);
    // The copy disappears (a restored backup, a copy dropped by hand): the favorite stays.
    app.deps
        .db
        .collection::<bson::Document>("movie_copies")
        .delete_many(bson::doc! {})
        .await
        .unwrap();
    let res = app.list(&app.alice, &[]).await;
    assert_eq!(res.data()["items"][0]["movieId"], movie.to_hex());
    assert_eq!(res.data()["items"][0]["title"], json!(null));
    assert_eq!(res.data()["items"][0]["coverImage"], json!(null));
    let res = app.get(&app.alice, &movie.to_hex()).await;
    assert_eq!(res.data()["title"], json!(null));
}

#[tokio::test]
async fn every_route_is_401_without_identity() {
    let app = TestApp::spawn().await;
    let movie = app.movie("Alien").await.to_hex();
    let calls = [
        (LIST, list(&[])),
        (ADD, add(json!({"movieId": movie}))),
        (GET, on_favorite("GET", &movie)),
        (
            UPDATE,
            on_favorite("PUT", &movie).json(json!({"note": "x"})),
        ),
        (REMOVE, on_favorite("DELETE", &movie)),
    ];
    for (route, event) in calls {
        let res = app.call(route, event).await;
        res.assert_error(401, "UNAUTHORIZED");
    }
    // And a token the authorizer refuses never reaches the function.
    let res = app.api.call_as("not-a-token", LIST, list(&[])).await;
    assert_eq!(res.status, 401);
}
