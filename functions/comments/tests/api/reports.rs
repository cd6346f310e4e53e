//! Reports, flags and moderation through the routes.

use bson::oid::ObjectId;
use serde_json::json;
use streamia_comments::adapters::http::{MODERATE, MODERATION_LIST, REPORT};

use crate::common::*;

#[tokio::test]
async fn three_reporters_flag_a_comment_an_admin_approves_it_and_three_new_ones_flag_it_again() {
    let app = TestApp::spawn().await;
    let movie = app.movie().await;
    let author = app.user("author").await;
    let admin = app.admin().await;
    let c = app.comment(&author, &movie, "controversial").await;
    let id = c["id"].as_str().unwrap();
    let mut first = Vec::new();
    for n in 0..3 {
        first.push(app.user(&format!("r{n}")).await);
    }
    for (n, reporter) in first.iter().enumerate() {
        let res = app
            .report(reporter, id, Some(json!({"reason": "spam"})))
            .await;
        res.assert_ok(202);
        assert_eq!(res.data()["commentId"], id);
        let listed = app.texts(&movie).await.len();
        assert_eq!(listed, if n < 2 { 1 } else { 0 }, "after report {n}");
    }
    // In the moderation queue (flagged by default), with its author's name.
    let res = app.moderation(&admin, &[]).await;
    res.assert_ok(200);
    assert_eq!(ids(&res), [id]);
    assert_eq!(res.data()["items"][0]["status"], "flagged");
    assert_eq!(res.data()["items"][0]["username"], "author");
    assert_eq!(
        ids(&app.moderation(&admin, &[("status", "flagged")]).await),
        [id]
    );
    assert!(ids(&app.moderation(&admin, &[("status", "hidden")]).await).is_empty());

    let res = app.moderate(&admin, id, "approve").await;
    res.assert_ok(200);
    assert_eq!(res.data()["status"], "visible");
    assert_eq!(app.texts(&movie).await, [json!("controversial")]);
    assert!(ids(&app.moderation(&admin, &[]).await).is_empty());
    // Earlier reporters cannot report it again, ever.
    for reporter in &first {
        app.report(reporter, id, None)
            .await
            .assert_error(409, "ALREADY_REPORTED");
    }
    assert_eq!(app.texts(&movie).await.len(), 1);
    // Three new reporters flag it again.
    for n in 0..3 {
        let reporter = app.user(&format!("s{n}")).await;
        app.report(&reporter, id, None).await.assert_ok(202);
    }
    assert!(app.texts(&movie).await.is_empty());
    let stored = app
        .deps
        .comments
        .live(ObjectId::parse_str(id).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((stored.report_count, stored.times_flagged), (3, 2));
    assert_eq!(
        app.deps
            .reports
            .count(ObjectId::parse_str(id).unwrap())
            .await
            .unwrap(),
        6
    );

    // Hidden: out of the public list, in the hidden queue.
    let res = app.moderate(&admin, id, "hide").await;
    res.assert_ok(200);
    assert_eq!(res.data()["status"], "hidden");
    assert!(app.texts(&movie).await.is_empty());
    assert_eq!(
        ids(&app.moderation(&admin, &[("status", "hidden")]).await),
        [id]
    );
    // A hidden comment cannot be reported (nobody sees it).
    let late = app.user("late").await;
    app.report(&late, id, None)
        .await
        .assert_error(404, "COMMENT_NOT_FOUND");
}

#[tokio::test]
async fn concurrent_reports_are_each_counted_and_flag_the_comment_exactly_once() {
    let app = TestApp::spawn().await;
    let movie = app.movie().await;
    let author = app.user("author").await;
    let c = app.comment(&author, &movie, "hot take").await;
    let id = c["id"].as_str().unwrap().to_owned();
    let mut reporters = Vec::new();
    for n in 0..5 {
        reporters.push(app.user(&format!("r{n}")).await);
    }
    let (a, b, c3) = tokio::join!(
        app.report(&reporters[0], &id, None),
        app.report(&reporters[1], &id, None),
        app.report(&reporters[2], &id, None),
    );
    for res in [a, b, c3] {
        res.assert_ok(202);
    }
    let oid = ObjectId::parse_str(&id).unwrap();
    let stored = app.deps.comments.live(oid).await.unwrap().unwrap();
    assert_eq!(
        (
            stored.report_count,
            stored.times_flagged,
            stored.status.as_str()
        ),
        (3, 1, "flagged")
    );
    // Two more at once, and the same user twice at once: counted once each, no second flag.
    let (d, e, e2) = tokio::join!(
        app.report(&reporters[3], &id, None),
        app.report(&reporters[4], &id, None),
        app.report(&reporters[4], &id, None),
    );
    d.assert_ok(202);
    let mut twice = [e.status, e2.status];
    twice.sort();
    assert_eq!(twice, [202, 409], "{} {}", e.raw, e2.raw);
    let stored = app.deps.comments.live(oid).await.unwrap().unwrap();
    assert_eq!((stored.report_count, stored.times_flagged), (5, 1));
    assert_eq!(app.deps.reports.count(oid).await.unwrap(), 5);
}

#[tokio::test]
async fn reports_refused_for_the_author_unknown_comments_and_bad_reasons() {
    let app = TestApp::spawn().await;
    let movie = app.movie().await;
    let author = app.user("author").await;
    let other = app.user("other").await;
    let c = app.comment(&author, &movie, "mine").await;
    let id = c["id"].as_str().unwrap();
    app.report(&author, id, None)
        .await
        .assert_error(403, "FORBIDDEN");
    let res = app
        .report(&other, id, Some(json!({"reason": "x".repeat(201)})))
        .await;
    res.assert_error(400, "VALIDATION_ERROR");
    assert!(res.detail("reason").is_some(), "{}", res.raw);
    app.report(&other, id, Some(json!({"reason": 5})))
        .await
        .assert_error(400, "VALIDATION_ERROR");
    app.report(&other, &ObjectId::new().to_hex(), None)
        .await
        .assert_error(404, "COMMENT_NOT_FOUND");
    app.report(&other, "nope", None)
        .await
        .assert_error(400, "VALIDATION_ERROR");
    app.call(REPORT, on_comment("POST", id, "/reports"))
        .await
        .assert_error(401, "UNAUTHORIZED");
    app.report(&other, id, Some(json!({}))).await.assert_ok(202);
    app.report(&other, id, None)
        .await
        .assert_error(409, "ALREADY_REPORTED");
    // A deleted comment cannot be reported.
    app.delete(&author, id).await.assert_ok(204);
    let third = app.user("third").await;
    app.report(&third, id, None)
        .await
        .assert_error(404, "COMMENT_NOT_FOUND");
}

#[tokio::test]
async fn moderation_is_for_admins_with_valid_parameters() {
    let app = TestApp::spawn().await;
    let movie = app.movie().await;
    let ana = app.user("ana").await;
    let admin = app.admin().await;
    let c = app.comment(&ana, &movie, "hi").await;
    let id = c["id"].as_str().unwrap();
    app.moderation(&ana, &[])
        .await
        .assert_error(403, "FORBIDDEN");
    app.moderate(&ana, id, "hide")
        .await
        .assert_error(403, "FORBIDDEN");
    app.call(
        MODERATION_LIST,
        request(
            "GET",
            "/api/v1/comments/moderation",
            "/api/v1/comments/moderation",
        ),
    )
    .await
    .assert_error(401, "UNAUTHORIZED");
    app.call(
        MODERATE,
        on_comment("PUT", id, "/moderation").json(json!({"action": "hide"})),
    )
    .await
    .assert_error(401, "UNAUTHORIZED");
    let res = app
        .moderation(&admin, &[("status", "visible"), ("limit", "0")])
        .await;
    res.assert_error(400, "VALIDATION_ERROR");
    assert!(
        res.detail("status").is_some() && res.detail("limit").is_some(),
        "{}",
        res.raw
    );
    let res = app.moderate(&admin, id, "delete").await;
    res.assert_error(400, "VALIDATION_ERROR");
    assert!(res.detail("action").is_some());
    app.call_as(
        &admin,
        MODERATE,
        on_comment("PUT", id, "/moderation").json(json!({})),
    )
    .await
    .assert_error(400, "VALIDATION_ERROR");
    app.moderate(&admin, &ObjectId::new().to_hex(), "approve")
        .await
        .assert_error(404, "COMMENT_NOT_FOUND");
}
