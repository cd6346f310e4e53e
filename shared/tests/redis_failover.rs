//! A failover as ElastiCache runs one: the connection stays open to the old primary, now a
//! replica answering `READONLY` to every write. The platform's connection drops it and writes
//! on a new one, instead of answering 503 until the instance is recycled.
#![cfg(feature = "testing")]

use streamia_shared::cache;
use streamia_shared::config::RedisConfig;
use streamia_shared::testing::redis_server::RedisServer;

/// Connections the server has accepted so far.
async fn connections_received(server: &RedisServer) -> u64 {
    let mut admin = server.connection().await;
    let info: String = redis::cmd("INFO")
        .arg("stats")
        .query_async(&mut admin)
        .await
        .unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix("total_connections_received:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap()
}

#[tokio::test]
async fn a_write_answered_readonly_runs_again_on_a_new_connection() {
    let server = RedisServer::start(&[]);
    let config = RedisConfig {
        url: server.url(),
        key_prefix: "t:".to_owned(),
        ca_cert: None,
    };
    let mut redis = cache::connect(&config).await.unwrap();
    redis::cmd("SET")
        .arg("k")
        .arg("1")
        .query_async::<()>(&mut redis)
        .await
        .unwrap();

    // Demoted: a replica of a primary that is not there (writes refused, reads served).
    let mut admin = server.connection().await;
    redis::cmd("REPLICAOF")
        .arg("127.0.0.1")
        .arg("1")
        .query_async::<()>(&mut admin)
        .await
        .unwrap();
    let before = connections_received(&server).await;
    let err = redis::cmd("SET")
        .arg("k")
        .arg("2")
        .query_async::<()>(&mut redis)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("READONLY"), "{err}");
    let after = connections_received(&server).await;
    // One new connection for the retry (and one for each INFO of this test).
    assert_eq!(after - before, 2, "the refused write reconnected once");

    // The endpoint leads to a primary again (here: the same server, promoted): the next write
    // goes through, with no instance recycled.
    redis::cmd("REPLICAOF")
        .arg("NO")
        .arg("ONE")
        .query_async::<()>(&mut admin)
        .await
        .unwrap();
    redis::cmd("SET")
        .arg("k")
        .arg("3")
        .query_async::<()>(&mut redis)
        .await
        .unwrap();
    let value: String = redis::cmd("GET")
        .arg("k")
        .query_async(&mut redis)
        .await
        .unwrap();
    assert_eq!(value, "3");
}
