//! The cache: hits, freshness after writes (one and two instances), ETags, and a cache that is
//! down or slow.

use std::time::{Duration, Instant};

use serde_json::json;
use streamia_movies::adapters::http::{GET, LIST};
use streamia_shared::testing::redis_server::RedisServer;

use crate::common::*;

/// Changes a stored movie behind the service's back (no invalidation): what a read then
/// answers tells a cache hit from a MongoDB read.
async fn rename_in_mongo(app: &TestApp, id: &str, title: &str) {
    app.deps
        .db
        .collection::<bson::Document>("movies")
        .update_one(
            bson::doc! {"_id": bson::oid::ObjectId::parse_str(id).unwrap()},
            bson::doc! {"$set": {"title": title, "titleSort": title.to_lowercase()}},
        )
        .await
        .unwrap();
}

fn cache_url() -> String {
    std::env::var("CACHE_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6380/".to_owned())
}

#[tokio::test]
async fn reads_are_served_from_the_cache_and_writes_refresh_it() {
    let app = TestApp::spawn().await;
    let movie = app.movie("Original").await;
    let id = movie["id"].as_str().unwrap();
    assert_eq!(app.get(id).await.data()["title"], "Original");
    assert_eq!(TestApp::titles(&app.list(&[]).await), ["Original"]);
    // A hit: the change behind the service's back is not seen.
    rename_in_mongo(&app, id, "Sneaky").await;
    assert_eq!(app.get(id).await.data()["title"], "Original");
    assert_eq!(TestApp::titles(&app.list(&[]).await), ["Original"]);
    // The service's own write: the very next reads are fresh, one movie and every list.
    app.update(id, json!({"description": "d"}))
        .await
        .assert_ok(200);
    let read = app.get(id).await;
    assert_eq!(read.data()["title"], "Sneaky");
    assert_eq!(read.data()["description"], "d");
    assert_eq!(TestApp::titles(&app.list(&[]).await), ["Sneaky"]);
    // A create and a delete show at once in the lists.
    let second = app.movie("Second").await;
    assert_eq!(TestApp::titles(&app.list(&[]).await), ["Second", "Sneaky"]);
    app.delete(second["id"].as_str().unwrap())
        .await
        .assert_ok(202);
    assert_eq!(TestApp::titles(&app.list(&[]).await), ["Sneaky"]);
    app.get(second["id"].as_str().unwrap())
        .await
        .assert_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn another_instance_never_reads_stale_data_after_a_write() {
    let app = TestApp::spawn().await;
    let other = app.second_instance().await;
    let movie = app.movie("One").await;
    let id = movie["id"].as_str().unwrap();
    // The other instance caches the movie and the list.
    assert_eq!(
        other.call(GET, on_movie("GET", id)).await.data()["title"],
        "One"
    );
    assert_eq!(TestApp::titles(&other.call(LIST, list(&[])).await), ["One"]);
    // This instance writes; the other one's next reads are fresh.
    app.update(id, json!({"title": "Two"})).await.assert_ok(200);
    assert_eq!(
        other.call(GET, on_movie("GET", id)).await.data()["title"],
        "Two"
    );
    assert_eq!(TestApp::titles(&other.call(LIST, list(&[])).await), ["Two"]);
    app.movie("Three").await;
    assert_eq!(
        TestApp::titles(&other.call(LIST, list(&[])).await),
        ["Three", "Two"]
    );
    // And the other way round.
    let update = on_movie("PUT", id).json(json!({"title": "Four"}));
    other
        .call_as(&app.admin, streamia_movies::adapters::http::UPDATE, update)
        .await
        .assert_ok(200);
    assert_eq!(app.get(id).await.data()["title"], "Four");
}

#[tokio::test]
async fn an_old_reader_cannot_put_back_what_a_write_replaced() {
    let app = TestApp::spawn().await;
    let movie = app.movie("Before").await;
    let id = movie["id"].as_str().unwrap();
    let old = streamia_movies::domain::MovieView {
        title: "Before".into(),
        ..serde_json::from_value(movie.clone()).unwrap()
    };
    app.update(id, json!({"title": "After"}))
        .await
        .assert_ok(200);
    // A reader that fetched version 1 before the write stores it late: refused.
    app.deps.cache.put_movie(id, 1, Some(&old), false).await;
    assert_eq!(app.get(id).await.data()["title"], "After");
}

#[tokio::test]
async fn etags_and_304() {
    let app = TestApp::spawn().await;
    let movie = app.movie("Tagged").await;
    let id = movie["id"].as_str().unwrap();
    let first = app.get(id).await;
    first.assert_ok(200);
    let tag = first.headers["etag"].to_str().unwrap().to_owned();
    assert!(tag.starts_with('"') && tag.ends_with('"'), "{tag}");
    assert_eq!(first.headers["cache-control"], "no-cache");
    let again = app
        .call(GET, on_movie("GET", id).header("if-none-match", &tag))
        .await;
    assert_eq!(again.status, 304);
    assert!(again.raw.is_empty());
    assert_eq!(again.headers["etag"].to_str().unwrap(), tag);
    assert_eq!(again.headers["cache-control"], "no-cache");
    // Weak comparison, lists of tags, `*`.
    for header in [
        format!("W/{tag}"),
        format!("\"other\", {tag}"),
        "*".to_owned(),
    ] {
        let res = app
            .call(GET, on_movie("GET", id).header("if-none-match", &header))
            .await;
        assert_eq!(res.status, 304, "{header}");
    }
    let stale = app
        .call(GET, on_movie("GET", id).header("if-none-match", "\"nope\""))
        .await;
    stale.assert_ok(200);
    // After a write, the old tag no longer matches.
    app.update(id, json!({"title": "Retagged"}))
        .await
        .assert_ok(200);
    let changed = app
        .call(GET, on_movie("GET", id).header("if-none-match", &tag))
        .await;
    changed.assert_ok(200);
    assert_ne!(changed.headers["etag"].to_str().unwrap(), tag);
    // Lists too.
    let page = app.list(&[]).await;
    let tag = page.headers["etag"].to_str().unwrap().to_owned();
    let res = app
        .call(LIST, list(&[]).header("if-none-match", &tag))
        .await;
    assert_eq!(res.status, 304);
    // Errors carry none.
    let missing = app.get(&bson::oid::ObjectId::new().to_hex()).await;
    assert!(missing.headers.get("etag").is_none());
}

#[tokio::test]
async fn an_evicted_generation_starts_past_every_old_one() {
    let app = TestApp::spawn().await;
    app.movie("Gen").await;
    app.list(&[]).await.assert_ok(200);
    let client = redis::Client::open(cache_url()).unwrap();
    let mut redis = client.get_multiplexed_async_connection().await.unwrap();
    let key = format!("{}{{movies}}:answers:g:lists", app.env.redis.key_prefix);
    let before: u64 = redis::cmd("GET")
        .arg(&key)
        .query_async(&mut redis)
        .await
        .unwrap();
    // Writes bump it.
    app.movie("Gen 2").await;
    let bumped: u64 = redis::cmd("GET")
        .arg(&key)
        .query_async(&mut redis)
        .await
        .unwrap();
    assert_eq!(bumped, before + 1);
    // Evicted: the next read starts it again from the clock, past every old value.
    redis::cmd("DEL")
        .arg(&key)
        .query_async::<()>(&mut redis)
        .await
        .unwrap();
    assert_eq!(TestApp::titles(&app.list(&[]).await), ["Gen 2", "Gen"]);
    let restarted: u64 = redis::cmd("GET")
        .arg(&key)
        .query_async(&mut redis)
        .await
        .unwrap();
    assert!(restarted > bumped, "{restarted} > {bumped}");
    // The same after an eviction followed by a write.
    redis::cmd("DEL")
        .arg(&key)
        .query_async::<()>(&mut redis)
        .await
        .unwrap();
    app.movie("Gen 3").await;
    let after_write: u64 = redis::cmd("GET")
        .arg(&key)
        .query_async(&mut redis)
        .await
        .unwrap();
    assert!(after_write > restarted);
    assert_eq!(
        TestApp::titles(&app.list(&[]).await),
        ["Gen 3", "Gen 2", "Gen"]
    );
}

/// Every catalog route, answered correctly and each within `budget`.
async fn the_catalog_answers(app: &TestApp, budget: Duration) {
    let timed = |started: Instant, what: &str| {
        let took = started.elapsed();
        assert!(took < budget, "{what} took {took:?}");
    };
    let started = Instant::now();
    let movie = app.movie("Despite the cache").await;
    timed(started, "create");
    let id = movie["id"].as_str().unwrap();
    for _ in 0..3 {
        let started = Instant::now();
        let read = app.get(id).await;
        timed(started, "get");
        read.assert_ok(200);
        assert_eq!(read.data()["title"], "Despite the cache");
        let started = Instant::now();
        let page = app.list(&[("search", "despite")]).await;
        timed(started, "list");
        assert_eq!(TestApp::titles(&page), ["Despite the cache"]);
    }
    let started = Instant::now();
    app.update(id, json!({"title": "Still fresh"}))
        .await
        .assert_ok(200);
    timed(started, "update");
    assert_eq!(app.get(id).await.data()["title"], "Still fresh");
    let fresh = app.list(&[("search", "still")]).await;
    assert_eq!(TestApp::titles(&fresh), ["Still fresh"]);
    app.delete(id).await.assert_ok(202);
    app.get(id).await.assert_error(404, "NOT_FOUND");
    assert_eq!(app.list(&[("search", "still")]).await.data()["total"], 0);
}

#[tokio::test]
async fn a_cache_at_a_dead_port_is_skipped() {
    // Nothing listens on port 9: every connection is refused at once.
    let app = TestApp::with(&[("CACHE_REDIS_URL", "redis://127.0.0.1:9/")]).await;
    the_catalog_answers(&app, Duration::from_secs(1)).await;
}

#[tokio::test]
async fn a_cache_that_stops_is_skipped_and_nothing_stale_is_served() {
    let server = RedisServer::start(&["--maxmemory", "16mb", "--maxmemory-policy", "allkeys-lru"]);
    let app = TestApp::with(&[("CACHE_REDIS_URL", &server.url())]).await;
    let movie = app.movie("Cached first").await;
    let id = movie["id"].as_str().unwrap().to_owned();
    assert_eq!(app.get(&id).await.data()["title"], "Cached first");
    app.list(&[]).await.assert_ok(200);
    drop(server);
    // Redis is gone: answers come from MongoDB, right and in time.
    for _ in 0..3 {
        let started = Instant::now();
        let read = app.get(&id).await;
        assert!(started.elapsed() < Duration::from_secs(1));
        assert_eq!(read.data()["title"], "Cached first");
    }
    the_catalog_answers(&app, Duration::from_secs(1)).await;
}

#[tokio::test]
async fn a_cache_that_never_answers_costs_a_read_its_short_timeout() {
    // Accepts connections and never answers: a hung or overloaded Redis.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    let url = format!("redis://127.0.0.1:{port}/");
    let app = TestApp::with(&[("CACHE_REDIS_URL", &url)]).await;
    the_catalog_answers(&app, Duration::from_secs(2)).await;
    held.abort();
}
