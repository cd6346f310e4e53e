//! Per-user limits on comments and reports, counted in the auth Redis.

use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn past_the_hourly_limit_comments_and_reports_get_429_with_retry_after() {
    let app = TestApp::with(&[
        ("COMMENT_LIMIT_PER_HOUR", "2"),
        ("REPORT_LIMIT_PER_HOUR", "1"),
    ])
    .await;
    let movie = app.movie().await;
    let ana = app.user("ana").await;
    let bob = app.user("bob").await;
    // A comment refused for its movie (a client retrying a young id) spends nothing.
    for _ in 0..3 {
        app.post(
            &ana,
            json!({"movieId": bson::oid::ObjectId::new().to_hex(), "text": "hi"}),
        )
        .await
        .assert_error(404, "MOVIE_NOT_FOUND");
    }
    let first = app.comment(&ana, &movie, "one").await;
    let second = app.comment(&ana, &movie, "two").await;
    let res = app
        .post(&ana, json!({"movieId": movie.to_hex(), "text": "three"}))
        .await;
    res.assert_error(429, "RATE_LIMITED");
    let retry: u64 = res.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&retry), "{retry}");
    assert_eq!(app.texts(&movie).await.len(), 2);
    // Per user: another account still comments.
    app.comment(&bob, &movie, "mine").await;

    app.report(&bob, first["id"].as_str().unwrap(), None)
        .await
        .assert_ok(202);
    let res = app.report(&bob, second["id"].as_str().unwrap(), None).await;
    res.assert_error(429, "RATE_LIMITED");
    assert!(res.headers.contains_key("retry-after"));
}

#[tokio::test]
async fn concurrent_comments_past_the_limit_let_exactly_the_limit_through() {
    let app = TestApp::with(&[("COMMENT_LIMIT_PER_HOUR", "3")]).await;
    let movie = app.movie().await;
    let ana = app.user("ana").await;
    let body = json!({"movieId": movie.to_hex(), "text": "spam"});
    let results =
        futures_util::future::join_all((0..6).map(|_| app.post(&ana, body.clone()))).await;
    let ok = results.iter().filter(|r| r.status == 201).count();
    let limited = results.iter().filter(|r| r.status == 429).count();
    assert_eq!((ok, limited), (3, 3));
    assert_eq!(app.texts(&movie).await.len(), 3);
}
