//! The review's rules: no edits under moderation, one report per user and text version (an edit
//! neither clears pending reports nor counts a reporter twice in a round), the stored `listed`
//! flag (and its backfill of older documents), and replies without a transaction.

use bson::oid::ObjectId;
use bson::{doc, DateTime, Document};
use futures_util::TryStreamExt;
use serde_json::json;

use crate::common::*;

fn oid(id: &str) -> ObjectId {
    ObjectId::parse_str(id).unwrap()
}

async fn counts(app: &TestApp, id: &str) -> (i64, i64, &'static str) {
    let c = app.deps.comments.live(oid(id)).await.unwrap().unwrap();
    (c.report_count, c.text_version, c.status.as_str())
}

async fn flag(app: &TestApp, id: &str, prefix: &str) -> Vec<User> {
    let mut reporters = Vec::new();
    for n in 0..3 {
        let reporter = app.user(&format!("{prefix}{n}")).await;
        app.report(&reporter, id, None).await.assert_ok(202);
        reporters.push(reporter);
    }
    reporters
}

#[tokio::test]
async fn a_flagged_or_hidden_comment_cannot_be_edited_and_an_approved_one_can() {
    let app = TestApp::spawn().await;
    let movie = app.movie().await;
    let author = app.user("author").await;
    let admin = app.admin().await;
    let c = app.comment(&author, &movie, "abuse").await;
    let id = c["id"].as_str().unwrap();
    flag(&app, id, "r").await;
    assert_eq!(counts(&app, id).await.2, "flagged");

    app.edit(&author, id, json!({"text": "innocent"}))
        .await
        .assert_error(409, "COMMENT_UNDER_MODERATION");
    // The moderators see the text that was reported.
    let queue = app.moderation(&admin, &[]).await;
    assert_eq!(queue.data()["items"][0]["text"], "abuse");
    // Anyone else is still 403, an unknown comment still 404.
    let other = app.user("other").await;
    app.edit(&other, id, json!({"text": "x"}))
        .await
        .assert_error(403, "FORBIDDEN");

    app.moderate(&admin, id, "approve").await.assert_ok(200);
    let res = app.edit(&author, id, json!({"text": "fixed"})).await;
    res.assert_ok(200);
    assert_eq!(res.data()["text"], "fixed");

    app.moderate(&admin, id, "hide").await.assert_ok(200);
    app.edit(&author, id, json!({"text": "abuse again"}))
        .await
        .assert_error(409, "COMMENT_UNDER_MODERATION");
    let stored = app.deps.comments.live(oid(id)).await.unwrap().unwrap();
    assert_eq!(stored.text.as_deref(), Some("fixed"));
    assert_eq!(stored.text_version, 1);
}

#[tokio::test]
async fn an_edit_lets_earlier_reporters_report_the_new_text_and_keeps_pending_reports() {
    let app = TestApp::spawn().await;
    let movie = app.movie().await;
    let author = app.user("author").await;
    let c = app.comment(&author, &movie, "v0").await;
    let id = c["id"].as_str().unwrap();
    let r0 = app.user("r0").await;
    app.report(&r0, id, None).await.assert_ok(202);
    app.report(&r0, id, None)
        .await
        .assert_error(409, "ALREADY_REPORTED");

    // The edit does not clear the pending report.
    app.edit(&author, id, json!({"text": "v1"}))
        .await
        .assert_ok(200);
    assert_eq!(counts(&app, id).await, (1, 1, "visible"));
    // r0 may report the new text, once, and is still one reporter.
    app.report(&r0, id, None).await.assert_ok(202);
    app.report(&r0, id, None)
        .await
        .assert_error(409, "ALREADY_REPORTED");
    assert_eq!(counts(&app, id).await, (1, 1, "visible"));
    // Several edits and reports by one user never flag it alone.
    app.edit(&author, id, json!({"text": "v2"}))
        .await
        .assert_ok(200);
    app.report(&r0, id, None).await.assert_ok(202);
    assert_eq!(counts(&app, id).await, (1, 2, "visible"));
    assert_eq!(app.deps.reports.count(oid(id)).await.unwrap(), 3);
    // Two more distinct reporters: three in this round flag it.
    let r1 = app.user("r1").await;
    app.report(&r1, id, None).await.assert_ok(202);
    assert_eq!(counts(&app, id).await, (2, 2, "visible"));
    let r2 = app.user("r2").await;
    app.report(&r2, id, None).await.assert_ok(202);
    assert_eq!(counts(&app, id).await, (3, 2, "flagged"));
    assert!(app.texts(&movie).await.is_empty());
}

#[tokio::test]
async fn after_an_approval_the_earlier_reporters_of_an_edited_text_flag_it_again() {
    let app = TestApp::spawn().await;
    let movie = app.movie().await;
    let author = app.user("author").await;
    let admin = app.admin().await;
    let c = app.comment(&author, &movie, "borderline").await;
    let id = c["id"].as_str().unwrap();
    let first = flag(&app, id, "r").await;
    app.moderate(&admin, id, "approve").await.assert_ok(200);
    // The approved text cannot be reported again by them.
    for reporter in &first {
        app.report(reporter, id, None)
            .await
            .assert_error(409, "ALREADY_REPORTED");
    }
    assert_eq!(counts(&app, id).await, (0, 0, "visible"));
    // The author edits the abuse back in: its earlier reporters report the new text, and
    // the three of them flag it again.
    app.edit(&author, id, json!({"text": "abuse"}))
        .await
        .assert_ok(200);
    for (n, reporter) in first.iter().enumerate() {
        app.report(reporter, id, None).await.assert_ok(202);
        let expected = if n < 2 { "visible" } else { "flagged" };
        assert_eq!(counts(&app, id).await, (n as i64 + 1, 1, expected));
    }
    let stored = app.deps.comments.live(oid(id)).await.unwrap().unwrap();
    assert_eq!((stored.times_flagged, stored.approvals), (2, 1));
    assert_eq!(app.deps.reports.count(oid(id)).await.unwrap(), 6);
}

#[tokio::test]
async fn concurrent_replies_to_one_comment_are_all_counted_and_keep_it_listed_once_deleted() {
    let app = TestApp::spawn().await;
    let movie = app.movie().await;
    let ana = app.user("ana").await;
    let parent = app.comment(&ana, &movie, "popular").await;
    let parent_id = parent["id"].as_str().unwrap();
    let mut users = Vec::new();
    for n in 0..5 {
        users.push(app.user(&format!("u{n}")).await);
    }
    let body = |n: usize| json!({"movieId": movie.to_hex(), "text": format!("re {n}"), "parentId": parent_id});
    let (a, b, c, d, e) = tokio::join!(
        app.post(&users[0], body(0)),
        app.post(&users[1], body(1)),
        app.post(&users[2], body(2)),
        app.post(&users[3], body(3)),
        app.post(&users[4], body(4)),
    );
    for res in [a, b, c, d, e] {
        res.assert_ok(201);
    }
    let stored = app
        .deps
        .comments
        .live(oid(parent_id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((stored.reply_count, stored.listed), (5, true));
    app.delete(&ana, parent_id).await.assert_ok(204);
    let res = app.list(&movie, &[("limit", "50")]).await;
    assert_eq!(res.data()["total"], 6, "{}", res.raw);
    // A reply to a flagged parent is refused, as to a deleted one.
    let other = app.comment(&ana, &movie, "other").await;
    let other_id = other["id"].as_str().unwrap();
    flag(&app, other_id, "f").await;
    app.post(
        &users[0],
        json!({"movieId": movie.to_hex(), "text": "re", "parentId": other_id}),
    )
    .await
    .assert_error(404, "COMMENT_NOT_FOUND");
    let flagged = app
        .deps
        .comments
        .live(oid(other_id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(flagged.reply_count, 0);
}

#[tokio::test]
async fn the_setup_step_backfills_older_documents_and_replaces_the_old_indexes() {
    let app = TestApp::spawn().await;
    let movie = app.movie().await;
    let author = app.user("author").await;
    let reporter = app.user("reporter").await;
    let comments = app.deps.db.collection::<Document>("comments");
    let reports = app.deps.db.collection::<Document>("reports");
    // The indexes as they were, and documents written before `listed` and text versions.
    for (name, keys) in [
        (
            "public_list",
            doc! {"movieId": 1, "status": 1, "createdAt": -1, "_id": -1},
        ),
        ("moderation", doc! {"status": 1, "updatedAt": -1}),
    ] {
        comments
            .create_index(
                mongodb::IndexModel::builder()
                    .keys(keys)
                    .options(
                        mongodb::options::IndexOptions::builder()
                            .name(name.to_owned())
                            .build(),
                    )
                    .build(),
            )
            .await
            .unwrap();
    }
    let old = |text: Option<&str>, deleted: bool, replies: i64, minutes: i64| {
        let at = DateTime::from_millis(DateTime::now().timestamp_millis() - minutes * 60_000);
        doc! {
            "_id": ObjectId::new(), "movieId": movie, "userId": author.id, "text": text,
            "parentId": null, "status": "visible", "edited": false, "deleted": deleted,
            "replyCount": replies, "reportCount": 0_i64, "timesFlagged": 0_i64,
            "createdAt": at, "updatedAt": at,
        }
    };
    let live = old(Some("old live"), false, 0, 3);
    let with_replies = old(None, true, 2, 2);
    let gone = old(None, true, 0, 1);
    comments
        .insert_many([live.clone(), with_replies.clone(), gone.clone()])
        .await
        .unwrap();
    let live_id = live.get_object_id("_id").unwrap();
    reports
        .insert_one(doc! {
            "_id": ObjectId::new(), "commentId": live_id, "userId": reporter.id,
            "reason": null, "createdAt": DateTime::now(),
        })
        .await
        .unwrap();

    streamia_comments::store::create_indexes(app.deps.db.clone())
        .await
        .unwrap();
    // Run twice: idempotent (the old indexes are already gone).
    streamia_comments::store::create_indexes(app.deps.db.clone())
        .await
        .unwrap();

    let res = app.list(&movie, &[]).await;
    let items = res.data()["items"].as_array().unwrap().clone();
    let listed: Vec<_> = items.iter().map(|c| c["id"].clone()).collect();
    assert_eq!(
        listed,
        [
            json!(with_replies.get_object_id("_id").unwrap().to_hex()),
            json!(live_id.to_hex())
        ],
        "{}",
        res.raw
    );
    let names = |c: &mongodb::Collection<Document>| {
        let c = c.clone();
        async move {
            let mut names: Vec<String> = c
                .list_indexes()
                .await
                .unwrap()
                .try_collect::<Vec<_>>()
                .await
                .unwrap()
                .into_iter()
                .filter_map(|i| i.options.and_then(|o| o.name))
                .collect();
            names.sort();
            names
        }
    };
    assert_eq!(
        names(&comments).await,
        ["_id_", "moderation_queue", "public_listed"]
    );
    assert_eq!(
        names(&reports).await,
        ["_id_", "one_report_per_text_version"]
    );
    // The older report counts as one of the first text: its author may report only an edit.
    let live_hex = live_id.to_hex();
    app.report(&reporter, &live_hex, None)
        .await
        .assert_error(409, "ALREADY_REPORTED");
    app.edit(&author, &live_hex, json!({"text": "new"}))
        .await
        .assert_ok(200);
    app.report(&reporter, &live_hex, None).await.assert_ok(202);
}
