//! Every route through API Gateway events: happy paths, the exact error envelope, 401 without
//! identity, not-found, and each user confined to their own ratings.

use serde_json::json;
use streamia_ratings::adapters::http::{DELETE, LIST_MINE, MOVIE_STATS, PUT};

use crate::common::*;

#[tokio::test]
async fn a_user_rates_changes_lists_reads_the_summary_and_deletes() {
    let app = TestApp::spawn().await;
    let movie = app.movie("Rated").await;
    let ana = app.user().await;

    let first = app.rate(&ana, &movie, json!(4)).await;
    first.assert_ok(201);
    let rating = first.data();
    assert_eq!(rating["movieId"], movie.as_str());
    assert_eq!(rating["score"], 4);
    assert_eq!(rating["createdAt"], rating["updatedAt"]);
    assert_eq!(
        rating.as_object().unwrap().len(),
        4,
        "exactly movieId, score, createdAt, updatedAt: {rating}"
    );

    // A change, then the same score again: 200 both times, createdAt kept.
    for score in [5, 5] {
        let again = app.rate(&ana, &movie, json!(score)).await;
        again.assert_ok(200);
        assert_eq!(again.data()["score"], score);
        assert_eq!(again.data()["createdAt"], rating["createdAt"]);
    }

    let list = app.mine(&ana, &[]).await;
    list.assert_ok(200);
    assert_eq!(list.data()["total"], 1);
    assert_eq!(list.data()["page"], 1);
    assert_eq!(list.data()["limit"], 20);
    assert_eq!(list.data()["totalPages"], 1);
    assert_eq!(list.data()["items"][0]["movieId"], movie.as_str());
    assert_eq!(list.data()["items"][0]["score"], 5);

    let stats = app.stats(&movie).await;
    stats.assert_ok(200);
    assert_eq!(
        stats.data(),
        &json!({"movieId": movie, "average": 5.0, "count": 1, "distribution": distribution([0, 0, 0, 0, 1])})
    );
    // A public read: revalidated with its ETag.
    let etag = stats.headers["etag"].to_str().unwrap().to_owned();
    assert_eq!(stats.headers["cache-control"], "no-cache");
    let unchanged = app
        .call(MOVIE_STATS, stats_of(&movie).header("if-none-match", &etag))
        .await;
    assert_eq!(unchanged.status, 304);

    app.unrate(&ana, &movie).await.assert_ok(204);
    app.unrate(&ana, &movie)
        .await
        .assert_error(404, "NOT_FOUND");
    let stats = app.stats(&movie).await;
    assert_eq!(
        stats.data(),
        &json!({"movieId": movie, "average": 0.0, "count": 0, "distribution": distribution([0; 5])})
    );
    assert_ne!(stats.headers["etag"].to_str().unwrap(), etag);
    assert_eq!(app.mine(&ana, &[]).await.data()["total"], 0);
}

#[tokio::test]
async fn a_score_must_be_a_whole_number_from_one_to_five() {
    let app = TestApp::spawn().await;
    let movie = app.movie("Strict").await;
    let ana = app.user().await;
    for bad in [
        json!(0),
        json!(6),
        json!(3.5),
        json!("4"),
        json!(5.0),
        json!(null),
    ] {
        let res = app.rate(&ana, &movie, bad.clone()).await;
        res.assert_error(400, "VALIDATION_ERROR");
        let details = res.body["details"].as_array().unwrap();
        assert_eq!(details.len(), 1, "{bad}: {}", res.raw);
        assert_eq!(details[0]["field"], "score", "{bad}");
    }
    // The exact envelope.
    let res = app.rate(&ana, &movie, json!(0)).await;
    assert_eq!(
        res.body,
        json!({
            "success": false,
            "error": "VALIDATION_ERROR",
            "message": "invalid request",
            "details": [{"field": "score", "message": "must be a whole number from 1 to 5"}],
        })
    );
    // In Spanish when asked.
    let res = app
        .as_user(
            &ana,
            PUT,
            on_rating("PUT", &movie)
                .header("accept-language", "es")
                .json(json!({"score": 9})),
        )
        .await;
    assert_eq!(
        res.detail("score"),
        Some("debe ser un número entero del 1 al 5")
    );
    // Missing, unknown fields, not JSON.
    let res = app
        .as_user(&ana, PUT, on_rating("PUT", &movie).json(json!({})))
        .await;
    res.assert_error(400, "VALIDATION_ERROR");
    assert!(res.detail("score").is_some());
    let res = app
        .as_user(
            &ana,
            PUT,
            on_rating("PUT", &movie).json(json!({"score": 3, "userId": "x"})),
        )
        .await;
    res.assert_error(400, "VALIDATION_ERROR");
    assert!(res.detail("userId").is_some());
    app.as_user(&ana, PUT, on_rating("PUT", &movie).body("{\"score\":"))
        .await
        .assert_error(400, "VALIDATION_ERROR");
    // A malformed movie id.
    app.rate(&ana, "not-an-id", json!(3))
        .await
        .assert_error(400, "VALIDATION_ERROR");
    app.call(MOVIE_STATS, stats_of("zzz"))
        .await
        .assert_error(400, "VALIDATION_ERROR");
    // Paging rules.
    for query in [[("page", "0")], [("limit", "0")], [("page", "x")]] {
        app.mine(&ana, &query)
            .await
            .assert_error(400, "VALIDATION_ERROR");
    }
    let clamped = app.mine(&ana, &[("limit", "1000")]).await;
    clamped.assert_ok(200);
    assert_eq!(clamped.data()["limit"], 100);
    // Nothing was stored by any of these.
    assert_eq!(app.mine(&ana, &[]).await.data()["total"], 0);
}

#[tokio::test]
async fn the_users_routes_need_an_identity_and_the_summary_does_not() {
    let app = TestApp::spawn().await;
    let movie = app.movie("Open").await;
    for (route, event) in [
        (PUT, on_rating("PUT", &movie).json(json!({"score": 3}))),
        (DELETE, on_rating("DELETE", &movie)),
        (LIST_MINE, mine(&[])),
    ] {
        app.call(route, event)
            .await
            .assert_error(401, "UNAUTHORIZED");
    }
    // A token that does not verify: the gateway's 401.
    let forged = User {
        token: "not.a.token".into(),
        ..app.user().await
    };
    app.rate(&forged, &movie, json!(3))
        .await
        .assert_error(401, "UNAUTHORIZED");
    app.stats(&movie).await.assert_ok(200);
}

#[tokio::test]
async fn unknown_deleted_and_just_created_movies_are_movie_not_found() {
    let app = TestApp::spawn().await;
    let ana = app.user().await;
    // An id from long ago that no event named: plain 404.
    let old = "5f0000000000000000000000";
    let res = app.rate(&ana, old, json!(3)).await;
    res.assert_error(404, "MOVIE_NOT_FOUND");
    assert!(res.headers.get("retry-after").is_none());
    app.stats(old).await.assert_error(404, "MOVIE_NOT_FOUND");
    // An id made a moment ago: its movie.created may be on its way.
    let young = bson::oid::ObjectId::new().to_hex();
    let res = app.rate(&ana, &young, json!(3)).await;
    res.assert_error(404, "MOVIE_NOT_FOUND");
    assert_eq!(res.headers["retry-after"], "1");
    // Once the event arrives, the same request succeeds.
    app.deliver(movie_event(created(&young, "Arrived"), 1))
        .await;
    app.rate(&ana, &young, json!(3)).await.assert_ok(201);

    // Being deleted: hidden from writes and from the summary.
    app.deliver(movie_event(deleted(&young, "Arrived"), 2))
        .await;
    app.rate(&ana, &young, json!(4))
        .await
        .assert_error(404, "MOVIE_NOT_FOUND");
    app.stats(&young).await.assert_error(404, "MOVIE_NOT_FOUND");
    // ...but a user may still take a rating back.
    app.unrate(&ana, &young).await.assert_ok(204);
}

#[tokio::test]
async fn each_user_sees_and_changes_only_their_own_ratings() {
    let app = TestApp::spawn().await;
    let (a, b) = (app.movie("A").await, app.movie("B").await);
    let (ana, bob) = (app.user().await, app.user().await);
    app.rate(&ana, &a, json!(2)).await.assert_ok(201);
    app.rate(&ana, &b, json!(3)).await.assert_ok(201);
    // Bob rating the same movie makes his own rating (201), not a change of Ana's.
    app.rate(&bob, &a, json!(5)).await.assert_ok(201);
    // Bob cannot delete Ana's rating of b: he has none there.
    app.unrate(&bob, &b).await.assert_error(404, "NOT_FOUND");

    let anas = app.mine(&ana, &[]).await;
    assert_eq!(anas.data()["total"], 2);
    // Most recently set first.
    assert_eq!(anas.data()["items"][0]["movieId"], b.as_str());
    assert_eq!(anas.data()["items"][1]["movieId"], a.as_str());
    assert_eq!(anas.data()["items"][1]["score"], 2);
    let bobs = app.mine(&bob, &[]).await;
    assert_eq!(bobs.data()["total"], 1);
    assert_eq!(bobs.data()["items"][0]["score"], 5);
    // A change moves it to the front; paging.
    app.rate(&ana, &a, json!(1)).await.assert_ok(200);
    let page = app.mine(&ana, &[("limit", "1")]).await;
    assert_eq!(page.data()["items"][0]["movieId"], a.as_str());
    assert_eq!(page.data()["totalPages"], 2);
    let past = app.mine(&ana, &[("page", "3"), ("limit", "1")]).await;
    past.assert_ok(200);
    assert_eq!(past.data()["items"], json!([]));

    let stats = app.stats(&a).await;
    assert_eq!(stats.data()["count"], 2);
    assert_eq!(stats.data()["average"], 3.0);
    assert_eq!(stats.data()["distribution"], distribution([1, 0, 0, 0, 1]));
}
