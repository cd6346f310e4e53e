//! The catalog's routes: happy paths, validation, access, pagination edges, search.

use serde_json::json;
use streamia_movies::adapters::http::{CREATE, DELETE, GET, LIST, UPDATE};

use crate::common::*;

#[tokio::test]
async fn an_admin_creates_and_anyone_reads_the_exact_shape() {
    let app = TestApp::spawn().await;
    let created = app
        .create(json!({
            "title": "  The Long Night ", "description": "Two\nlines", "category": "Sci-Fi",
            "duration": 7200, "coverImage": "https://img.example.com/c.jpg", "releaseYear": 1999
        }))
        .await;
    let id = created["id"].as_str().unwrap();
    assert_eq!(id.len(), 24);
    let mut expected = json!({
        "id": id, "title": "The Long Night", "description": "Two\nlines", "category": "sci-fi",
        "duration": 7200, "releaseYear": 1999, "coverImage": "https://img.example.com/c.jpg",
        "videoUrl": null, "subtitles": [], "ratingAverage": 0.0, "ratingCount": 0,
        "createdAt": created["createdAt"], "updatedAt": created["updatedAt"],
    });
    assert_eq!(created, expected);
    let read = app.get(id).await;
    read.assert_ok(200);
    assert_eq!(
        read.body,
        json!({"success": true, "data": expected.clone()})
    );
    // Optional fields absent: null.
    let bare = app.movie("Bare").await;
    expected = json!({
        "id": bare["id"], "title": "Bare", "description": null, "category": "drama",
        "duration": 5400, "releaseYear": null, "coverImage": null, "videoUrl": null,
        "subtitles": [], "ratingAverage": 0.0, "ratingCount": 0,
        "createdAt": bare["createdAt"], "updatedAt": bare["updatedAt"],
    });
    assert_eq!(bare, expected);
}

#[tokio::test]
async fn writes_are_for_admins_only() {
    let app = TestApp::spawn().await;
    let movie = app.movie("Mine").await;
    let id = movie["id"].as_str().unwrap();
    let create = || {
        request("POST", "/api/v1/movies", "/api/v1/movies")
            .json(json!({"title": "X", "category": "drama", "duration": 1}))
    };
    app.as_user(CREATE, create())
        .await
        .assert_error(403, "FORBIDDEN");
    app.as_user(UPDATE, on_movie("PUT", id).json(json!({"title": "Y"})))
        .await
        .assert_error(403, "FORBIDDEN");
    app.as_user(DELETE, on_movie("DELETE", id))
        .await
        .assert_error(403, "FORBIDDEN");
    // Without the authorizer's identity: 401.
    app.call(CREATE, create())
        .await
        .assert_error(401, "UNAUTHORIZED");
    // Nothing changed.
    assert_eq!(app.get(id).await.data()["title"], "Mine");
    assert_eq!(app.list(&[]).await.data()["total"], 1);
}

#[tokio::test]
async fn every_invalid_field_is_named() {
    let app = TestApp::spawn().await;
    let post = |body| request("POST", "/api/v1/movies", "/api/v1/movies").json(body);
    let res = app.as_admin(CREATE, post(json!({}))).await;
    res.assert_error(400, "VALIDATION_ERROR");
    for field in ["title", "category", "duration"] {
        assert!(res.detail(field).is_some(), "{field}: {}", res.raw);
    }
    let cases = [
        (json!({"title": ""}), "title"),
        (json!({"title": "x".repeat(101)}), "title"),
        (json!({"title": "a\u{202E}b"}), "title"),
        (json!({"description": "d".repeat(501)}), "description"),
        (json!({"category": "sci fi"}), "category"),
        (json!({"category": "x".repeat(31)}), "category"),
        (json!({"category": "ñu"}), "category"),
        (json!({"duration": 0}), "duration"),
        (json!({"duration": "long"}), "duration"),
        (
            json!({"coverImage": "http://img.example.com/a.jpg"}),
            "coverImage",
        ),
        (json!({"coverImage": "nope"}), "coverImage"),
        (json!({"releaseYear": 1800}), "releaseYear"),
        (json!({"releaseYear": 2101}), "releaseYear"),
        (json!({"rating": 5}), "rating"),
    ];
    for (patch, field) in cases {
        let mut body = json!({"title": "Ok", "category": "drama", "duration": 60});
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let res = app.as_admin(CREATE, post(body.clone())).await;
        res.assert_error(400, "VALIDATION_ERROR");
        assert!(res.detail(field).is_some(), "{body}: {}", res.raw);
    }
    // In Spanish too, same codes and fields.
    let res = app
        .as_admin(
            CREATE,
            post(json!({"title": "Ok", "category": "a b", "duration": 0}))
                .header("accept-language", "es"),
        )
        .await;
    res.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(
        res.detail("category"),
        Some("debe tener de 1 a 30 caracteres entre a-z, 0-9 y '-'")
    );
    assert_eq!(app.list(&[]).await.data()["total"], 0);
}

#[tokio::test]
async fn updates_change_fields_clear_with_null_and_refuse_the_rest() {
    let app = TestApp::spawn().await;
    let movie = app
        .create(json!({"title": "Old", "category": "drama", "duration": 60,
                       "coverImage": "https://img.example.com/a.jpg", "releaseYear": 2000}))
        .await;
    let id = movie["id"].as_str().unwrap();
    let res = app
        .update(
            id,
            json!({"title": "New", "category": "COMEDY", "coverImage": null, "releaseYear": null,
                   "description": "Now with words"}),
        )
        .await;
    res.assert_ok(200);
    let d = res.data();
    assert_eq!(d["title"], "New");
    assert_eq!(d["category"], "comedy");
    assert_eq!(d["coverImage"], json!(null));
    assert_eq!(d["releaseYear"], json!(null));
    assert_eq!(d["description"], "Now with words");
    assert_eq!(d["duration"], 60);
    assert_eq!(d["createdAt"], movie["createdAt"]);
    assert_eq!(app.get(id).await.data(), d);

    for (body, field) in [
        (json!({"title": null}), "title"),
        (json!({"category": null}), "category"),
        (json!({"duration": null}), "duration"),
        (json!({"duration": -5}), "duration"),
        (
            json!({"videoUrl": "https://x.example.com/v.mp4"}),
            "videoUrl",
        ),
    ] {
        let res = app.update(id, body.clone()).await;
        res.assert_error(400, "VALIDATION_ERROR");
        assert!(res.detail(field).is_some(), "{body}: {}", res.raw);
    }
    app.update(id, json!({}))
        .await
        .assert_error(400, "VALIDATION_ERROR");
    let unknown = bson::oid::ObjectId::new().to_hex();
    app.update(&unknown, json!({"title": "X"}))
        .await
        .assert_error(404, "NOT_FOUND");
    app.as_admin(UPDATE, on_movie("PUT", "nope").json(json!({"title": "X"})))
        .await
        .assert_error(400, "VALIDATION_ERROR");
}

#[tokio::test]
async fn a_deleted_movie_is_gone_at_once() {
    let app = TestApp::spawn().await;
    let movie = app.movie("Doomed").await;
    let other = app.movie("Stays").await;
    let id = movie["id"].as_str().unwrap();
    app.get(id).await.assert_ok(200);
    assert_eq!(app.list(&[]).await.data()["total"], 2);
    let res = app.delete(id).await;
    res.assert_ok(202);
    let saga = res.data()["sagaId"].as_str().unwrap();
    assert_eq!(saga.len(), 36);
    assert_eq!(res.body["message"], "movie deletion started");
    app.get(id).await.assert_error(404, "NOT_FOUND");
    let list = app.list(&[]).await;
    assert_eq!(TestApp::titles(&list), ["Stays"]);
    assert_eq!(list.data()["total"], 1);
    // Gone for every write too.
    app.delete(id).await.assert_error(404, "NOT_FOUND");
    app.update(id, json!({"title": "Back"}))
        .await
        .assert_error(404, "NOT_FOUND");
    let stored = app
        .deps
        .db
        .collection::<bson::Document>("movies")
        .find_one(bson::doc! {"_id": bson::oid::ObjectId::parse_str(id).unwrap()})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.get_str("status").unwrap(), "deleting");
    assert_eq!(stored.get_str("deletionSagaId").unwrap(), saga);
    app.get(other["id"].as_str().unwrap()).await.assert_ok(200);
}

#[tokio::test]
async fn unknown_and_malformed_ids() {
    let app = TestApp::spawn().await;
    let unknown = bson::oid::ObjectId::new().to_hex();
    let res = app.get(&unknown).await;
    res.assert_error(404, "NOT_FOUND");
    assert_eq!(res.body["message"], "movie not found");
    for bad in ["123", "zzzzzzzzzzzzzzzzzzzzzzzz", "{\"$gt\":\"\"}"] {
        let res = app.call(GET, on_movie("GET", bad)).await;
        res.assert_error(400, "VALIDATION_ERROR");
        assert!(res.detail("id").is_some());
    }
    app.delete(&unknown).await.assert_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn pages_limits_and_the_exact_envelope() {
    let app = TestApp::spawn().await;
    for n in 0..5 {
        app.movie(&format!("Movie {n}")).await;
    }
    let res = app.list(&[("page", "2"), ("limit", "2")]).await;
    res.assert_ok(200);
    let data = res.data();
    let keys: Vec<&String> = data.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["items", "total", "page", "limit", "totalPages"]);
    assert_eq!(
        (
            &data["total"],
            &data["page"],
            &data["limit"],
            &data["totalPages"]
        ),
        (&json!(5), &json!(2), &json!(2), &json!(3))
    );
    // Newest first by default.
    assert_eq!(TestApp::titles(&res), ["Movie 2", "Movie 1"]);
    assert_eq!(res.body.as_object().unwrap().len(), 2, "{}", res.raw);

    // Past the end: 200, no items.
    let past = app.list(&[("page", "4"), ("limit", "2")]).await;
    past.assert_ok(200);
    assert_eq!(past.data()["items"], json!([]));
    assert_eq!(past.data()["total"], 5);
    let huge = app.list(&[("page", &"9".repeat(30))]).await;
    huge.assert_ok(200);
    assert_eq!(huge.data()["items"], json!([]));

    // Over the maximum: clamped, and said so.
    let clamped = app.list(&[("limit", "1000")]).await;
    clamped.assert_ok(200);
    assert_eq!(clamped.data()["limit"], 100);
    assert_eq!(clamped.data()["items"].as_array().unwrap().len(), 5);
    // Default: page 1 of 20.
    let default = app.list(&[]).await;
    assert_eq!(
        (&default.data()["page"], &default.data()["limit"]),
        (&json!(1), &json!(20))
    );

    // 0, negative, not a number: 400 naming each field at once.
    for (k, v) in [
        ("limit", "0"),
        ("page", "0"),
        ("limit", "-1"),
        ("page", "x"),
        ("limit", ""),
    ] {
        let res = app.list(&[(k, v)]).await;
        res.assert_error(400, "VALIDATION_ERROR");
        assert!(res.detail(k).is_some(), "{k}={v}: {}", res.raw);
    }
    let res = app
        .list(&[
            ("page", "0"),
            ("limit", "x"),
            ("sort", "best"),
            ("category", "a b"),
        ])
        .await;
    res.assert_error(400, "VALIDATION_ERROR");
    let fields: Vec<&str> = res.body["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["page", "limit", "category", "sort"]);
}

#[tokio::test]
async fn search_is_literal_and_case_insensitive() {
    let app = TestApp::spawn().await;
    for title in [
        "The Matrix",
        "matrix reloaded",
        "Dots .* here",
        "Regex (a+)+$ trap",
        "Plain",
    ] {
        app.movie(title).await;
    }
    let search = |term: &'static str| {
        let app = &app;
        async move {
            let res = app.list(&[("search", term), ("sort", "title")]).await;
            res.assert_ok(200);
            TestApp::titles(&res)
        }
    };
    assert_eq!(search("MATRIX").await, ["matrix reloaded", "The Matrix"]);
    assert_eq!(search(".*").await, ["Dots .* here"]);
    assert_eq!(search("(a+)+$").await, ["Regex (a+)+$ trap"]);
    assert!(search("a.b").await.is_empty());
    assert!(search("^The").await.is_empty());
    // Blank is no search.
    assert_eq!(search("   ").await.len(), 5);
    // Too long, control characters: 400 naming search.
    let long = "x".repeat(101);
    for bad in [long.as_str(), "a\u{0}b"] {
        let res = app.call(LIST, list(&[("search", bad)])).await;
        res.assert_error(400, "VALIDATION_ERROR");
        assert!(res.detail("search").is_some());
    }
}

#[tokio::test]
async fn category_filter_and_sorts() {
    let app = TestApp::spawn().await;
    for (title, category) in [
        ("b movie", "drama"),
        ("A movie", "comedy"),
        ("C movie", "drama"),
    ] {
        app.create(json!({"title": title, "category": category, "duration": 60}))
            .await;
    }
    let titles = |query: &'static [(&'static str, &'static str)]| {
        let app = &app;
        async move { TestApp::titles(&app.list(query).await) }
    };
    assert_eq!(
        titles(&[("category", "drama")]).await,
        ["C movie", "b movie"]
    );
    assert_eq!(
        titles(&[("category", "DRAMA"), ("sort", "title")]).await,
        ["b movie", "C movie"]
    );
    assert_eq!(
        titles(&[("category", "horror")]).await,
        Vec::<String>::new()
    );
    assert_eq!(titles(&[("category", "")]).await.len(), 3);
    assert_eq!(
        titles(&[("sort", "title")]).await,
        ["A movie", "b movie", "C movie"]
    );
    assert_eq!(
        titles(&[("sort", "newest")]).await,
        ["C movie", "A movie", "b movie"]
    );
    // No ratings yet: equal, newest id first.
    assert_eq!(
        titles(&[("sort", "rating")]).await,
        ["C movie", "A movie", "b movie"]
    );
    let res = app.list(&[("sort", "Title")]).await;
    res.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(
        res.detail("sort"),
        Some("must be one of: newest, title, rating")
    );
}

#[tokio::test]
async fn the_setup_step_creates_an_index_for_every_list_query() {
    let app = TestApp::spawn().await;
    let names: Vec<String> = app
        .deps
        .db
        .collection::<bson::Document>("movies")
        .list_index_names()
        .await
        .unwrap();
    for (name, _) in streamia_movies::store::INDEXES {
        assert!(names.contains(&name.to_owned()), "{name} in {names:?}");
    }
    // Idempotent.
    streamia_movies::store::create_indexes(app.deps.db.clone())
        .await
        .unwrap();
}
