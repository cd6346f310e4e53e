//! Posting, listing, editing and deleting comments through the routes.

use bson::oid::ObjectId;
use serde_json::json;
use streamia_comments::adapters::http::{CREATE, DELETE, UPDATE};

use crate::common::*;

#[tokio::test]
async fn a_comment_is_posted_listed_newest_first_with_its_authors_username_and_edited() {
    let app = TestApp::spawn().await;
    let movie = app.movie().await;
    let ana = app.user("ana").await;
    let bob = app.user("bob").await;
    let first = app.comment(&ana, &movie, "  Great\nmovie!\t ").await;
    assert_eq!(first["text"], "Great\nmovie!");
    assert_eq!(first["username"], "ana");
    assert_eq!(first["userId"], ana.id.to_hex());
    assert_eq!(first["movieId"], movie.to_hex());
    assert_eq!(first["parentId"], json!(null));
    assert_eq!(first["status"], "visible");
    assert_eq!(first["edited"], false);
    assert_eq!(first["deleted"], false);
    assert!(first["createdAt"].as_str().unwrap().ends_with('Z'));
    let second = app
        .comment(&bob, &movie, "<script>alert(1)</script> 🎬")
        .await;
    // Stored and answered as written: JSON, never HTML.
    assert_eq!(second["text"], "<script>alert(1)</script> 🎬");

    let res = app.list(&movie, &[]).await;
    res.assert_ok(200);
    assert_eq!(ids(&res), [second["id"].clone(), first["id"].clone()]);
    assert_eq!(res.data()["items"][1]["username"], "ana");
    assert_eq!(
        (res.data()["total"].clone(), res.data()["limit"].clone()),
        (json!(2), json!(10))
    );
    // A public read: revalidated by ETag.
    let etag = res.headers["etag"].to_str().unwrap().to_owned();
    let again = app
        .call(
            streamia_comments::adapters::http::LIST,
            list_event(&movie.to_hex(), &[]).header("If-None-Match", &etag),
        )
        .await;
    assert_eq!(again.status, 304);

    let id = first["id"].as_str().unwrap();
    let res = app.edit(&ana, id, json!({"text": " Better "})).await;
    res.assert_ok(200);
    assert_eq!(res.data()["text"], "Better");
    assert_eq!(res.data()["edited"], true);
    assert_eq!(res.data()["createdAt"], first["createdAt"]);
    assert_eq!(
        app.texts(&movie).await,
        [second["text"].clone(), json!("Better")]
    );
}

#[tokio::test]
async fn pages_default_to_10_and_clamp_at_50() {
    let app = TestApp::spawn().await;
    let movie = app.movie().await;
    let ana = app.user("ana").await;
    for n in 0..12 {
        app.comment(&ana, &movie, &format!("c{n}")).await;
    }
    let res = app.list(&movie, &[]).await;
    assert_eq!(ids(&res).len(), 10);
    assert_eq!(res.data()["totalPages"], 2);
    let res = app.list(&movie, &[("page", "2")]).await;
    assert_eq!(res.data()["items"][1]["text"], "c0");
    let res = app.list(&movie, &[("limit", "500")]).await;
    assert_eq!(
        (ids(&res).len(), res.data()["limit"].clone()),
        (12, json!(50))
    );
    app.list(&movie, &[("page", "0")])
        .await
        .assert_error(400, "VALIDATION_ERROR");
}

#[tokio::test]
async fn invalid_fields_are_named_in_the_exact_envelope() {
    let app = TestApp::spawn().await;
    let movie = app.movie().await;
    let ana = app.user("ana").await;
    let res = app.post(&ana, json!({})).await;
    res.assert_error(400, "VALIDATION_ERROR");
    let details = res.body["details"].as_array().unwrap();
    let fields: Vec<&str> = details
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["movieId", "text"]);
    let mut keys: Vec<&String> = res.body.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["details", "error", "message", "success"]);
    assert_eq!(res.body["success"], false);
    assert!(details
        .iter()
        .all(|d| d["message"].as_str().is_some_and(|m| !m.is_empty())));

    let movie_id = movie.to_hex();
    for (body, field) in [
        (json!({"movieId": movie_id, "text": "   "}), "text"),
        (
            json!({"movieId": movie_id, "text": "x".repeat(501)}),
            "text",
        ),
        (json!({"movieId": movie_id, "text": "a\u{7}b"}), "text"),
        (json!({"movieId": movie_id, "text": "a\u{202E}b"}), "text"),
        (json!({"movieId": movie_id, "text": "a\u{2066}b"}), "text"),
        (json!({"movieId": movie_id, "text": 5}), "text"),
        (json!({"movieId": "nope", "text": "hi"}), "movieId"),
        (
            json!({"movieId": movie_id, "text": "hi", "parentId": "x"}),
            "parentId",
        ),
    ] {
        let res = app.post(&ana, body.clone()).await;
        res.assert_error(400, "VALIDATION_ERROR");
        assert!(res.detail(field).is_some(), "{body}: {}", res.raw);
    }
    // 500 characters of 4 bytes each are fine.
    app.post(&ana, json!({"movieId": movie_id, "text": "🎬".repeat(500)}))
        .await
        .assert_ok(201);
    let res = app
        .post(
            &ana,
            json!({"movieId": movie_id, "text": "hi", "rating": 5}),
        )
        .await;
    res.assert_error(400, "VALIDATION_ERROR");
    // Spanish by Accept-Language; the code does not change.
    let res = app
        .call_as(
            &ana,
            CREATE,
            request("POST", "/api/v1/comments", "/api/v1/comments")
                .header("Accept-Language", "es")
                .json(json!({"movieId": movie_id})),
        )
        .await;
    res.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(res.headers["content-language"], "es");
    // Edits follow the same rules.
    let c = app.comment(&ana, &movie, "hi").await;
    let res = app
        .edit(&ana, c["id"].as_str().unwrap(), json!({"text": ""}))
        .await;
    res.assert_error(400, "VALIDATION_ERROR");
    assert!(res.detail("text").is_some());
    app.edit(&ana, "not-an-id", json!({"text": "x"}))
        .await
        .assert_error(400, "VALIDATION_ERROR");
}

#[tokio::test]
async fn writes_need_a_signed_in_caller() {
    let app = TestApp::spawn().await;
    let movie = app.movie().await;
    let res = app
        .call(
            CREATE,
            request("POST", "/api/v1/comments", "/api/v1/comments")
                .json(json!({"movieId": movie.to_hex(), "text": "hi"})),
        )
        .await;
    res.assert_error(401, "UNAUTHORIZED");
    let id = ObjectId::new().to_hex();
    app.call(
        UPDATE,
        on_comment("PUT", &id, "").json(json!({"text": "x"})),
    )
    .await
    .assert_error(401, "UNAUTHORIZED");
    app.call(DELETE, on_comment("DELETE", &id, ""))
        .await
        .assert_error(401, "UNAUTHORIZED");
    // A token that is not one: the gateway's 401.
    let forged = User {
        id: ObjectId::new(),
        token: "forged".into(),
    };
    app.post(&forged, json!({"movieId": movie.to_hex(), "text": "hi"}))
        .await
        .assert_error(401, "UNAUTHORIZED");
}

#[tokio::test]
async fn only_the_author_edits_and_the_author_or_an_admin_deletes() {
    let app = TestApp::spawn().await;
    let movie = app.movie().await;
    let ana = app.user("ana").await;
    let bob = app.user("bob").await;
    let admin = app.admin().await;
    let c = app.comment(&ana, &movie, "mine").await;
    let id = c["id"].as_str().unwrap();
    app.edit(&bob, id, json!({"text": "hijacked"}))
        .await
        .assert_error(403, "FORBIDDEN");
    // Not even an admin speaks for a user.
    app.edit(&admin, id, json!({"text": "hijacked"}))
        .await
        .assert_error(403, "FORBIDDEN");
    app.delete(&bob, id).await.assert_error(403, "FORBIDDEN");
    app.delete(&admin, id).await.assert_ok(204);
    assert!(app.texts(&movie).await.is_empty());
    // Gone: 404 for everything after.
    app.delete(&ana, id)
        .await
        .assert_error(404, "COMMENT_NOT_FOUND");
    app.edit(&ana, id, json!({"text": "x"}))
        .await
        .assert_error(404, "COMMENT_NOT_FOUND");
    let own = app.comment(&ana, &movie, "again").await;
    app.delete(&ana, own["id"].as_str().unwrap())
        .await
        .assert_ok(204);
}

#[tokio::test]
async fn unknown_movies_comments_and_parents_are_404() {
    let app = TestApp::spawn().await;
    let movie = app.movie().await;
    let other_movie = app.movie().await;
    let ana = app.user("ana").await;
    // An id made a moment ago: its movie.created may be on its way.
    let young = ObjectId::new();
    let res = app
        .post(&ana, json!({"movieId": young.to_hex(), "text": "hi"}))
        .await;
    res.assert_error(404, "MOVIE_NOT_FOUND");
    assert_eq!(res.headers["retry-after"], "1");
    let old = "5f0000000000000000000000";
    let res = app.post(&ana, json!({"movieId": old, "text": "hi"})).await;
    res.assert_error(404, "MOVIE_NOT_FOUND");
    assert!(res.headers.get("retry-after").is_none());
    let res = app
        .call(
            streamia_comments::adapters::http::LIST,
            list_event(old, &[]),
        )
        .await;
    res.assert_error(404, "MOVIE_NOT_FOUND");
    app.list(&young, &[])
        .await
        .assert_error(404, "MOVIE_NOT_FOUND");

    let unknown = ObjectId::new().to_hex();
    app.edit(&ana, &unknown, json!({"text": "x"}))
        .await
        .assert_error(404, "COMMENT_NOT_FOUND");
    app.delete(&ana, &unknown)
        .await
        .assert_error(404, "COMMENT_NOT_FOUND");
    let res = app
        .post(
            &ana,
            json!({"movieId": movie.to_hex(), "text": "re", "parentId": unknown}),
        )
        .await;
    res.assert_error(404, "COMMENT_NOT_FOUND");
    // A parent on another movie is no parent of this one.
    let elsewhere = app.comment(&ana, &other_movie, "elsewhere").await;
    let res = app
        .post(
            &ana,
            json!({"movieId": movie.to_hex(), "text": "re", "parentId": elsewhere["id"]}),
        )
        .await;
    res.assert_error(404, "COMMENT_NOT_FOUND");
    assert!(app.texts(&movie).await.is_empty());
}

#[tokio::test]
async fn a_deleted_comment_with_replies_stays_listed_as_deleted_and_one_without_leaves() {
    let app = TestApp::spawn().await;
    let movie = app.movie().await;
    let ana = app.user("ana").await;
    let bob = app.user("bob").await;
    let parent = app.comment(&ana, &movie, "parent").await;
    let parent_id = parent["id"].as_str().unwrap();
    let reply = app.reply(&bob, &movie, parent_id, "reply").await;
    assert_eq!(reply["parentId"], parent["id"]);
    let lonely = app.comment(&ana, &movie, "lonely").await;

    app.delete(&ana, parent_id).await.assert_ok(204);
    app.delete(&ana, lonely["id"].as_str().unwrap())
        .await
        .assert_ok(204);
    let res = app.list(&movie, &[]).await;
    let items = res.data()["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{}", res.raw);
    assert_eq!(items[0]["id"], reply["id"]);
    assert_eq!(items[0]["text"], "reply");
    assert_eq!(items[1]["id"], parent["id"]);
    assert_eq!(items[1]["deleted"], true);
    assert_eq!(items[1]["text"], json!(null));
    // Nothing says who wrote it.
    assert_eq!(items[1]["userId"], json!(null), "{}", res.raw);
    assert_eq!(items[1]["username"], json!(null));
    assert_eq!(items[1]["edited"], false);
    // No reply to a deleted comment.
    let res = app
        .post(
            &bob,
            json!({"movieId": movie.to_hex(), "text": "re", "parentId": parent_id}),
        )
        .await;
    res.assert_error(404, "COMMENT_NOT_FOUND");
}

#[tokio::test]
async fn a_username_is_null_until_its_user_registered_arrives_and_follows_a_rename() {
    let app = TestApp::spawn().await;
    let movie = app.movie().await;
    let stranger = app.account(streamia_shared::domain::Role::User).await;
    let c = app.comment(&stranger, &movie, "who am I").await;
    assert_eq!(c["username"], json!(null));
    app.deliver_users(&[user_registered(&stranger.id, 1, "carla")])
        .await;
    let res = app.list(&movie, &[]).await;
    assert_eq!(res.data()["items"][0]["username"], "carla");
    app.deliver_users(&[user_updated(&stranger.id, 2, "carla_2")])
        .await;
    let res = app.list(&movie, &[]).await;
    assert_eq!(res.data()["items"][0]["username"], "carla_2");
    // A late, older rename changes nothing.
    app.deliver_users(&[
        user_updated(&stranger.id, 2, "stale"),
        user_registered(&stranger.id, 1, "old"),
    ])
    .await;
    let res = app.list(&movie, &[]).await;
    assert_eq!(res.data()["items"][0]["username"], "carla_2");
}
