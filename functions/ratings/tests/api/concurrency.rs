//! Stats stay exact when many users rate one movie at once: 50 concurrent first ratings, then
//! 50 concurrent changes, each through the put operation as the function runs it. Each writer
//! tries to run the summary itself; whatever the interleaving, once the writers are done (and
//! the sweeper has run, for a writer whose pass budget ran out) the summary counts every
//! rating exactly, and the published `rating.changed` events carry versions 1..n, the last
//! one the final summary.

use std::collections::BTreeSet;

use bson::oid::ObjectId;
use serde_json::json;
use streamia_ratings::ops::{self, Ctx};
use streamia_ratings::Deps;

use crate::common::*;

const RATERS: usize = 50;

/// Function instances rating at once, each with its own clients, as Lambda scales out.
const INSTANCES: usize = 5;

/// Runs `scores[i]` for user `i`, all at once, spread over `instances`; every call succeeds.
async fn rate_all(
    instances: &[&'static Deps],
    users: &[User],
    movie: ObjectId,
    scores: &[u8],
) -> Vec<bool> {
    let tasks: Vec<_> = users
        .iter()
        .zip(scores)
        .enumerate()
        .map(|(i, (user, &score))| {
            let (deps, caller) = (instances[i % instances.len()], user.caller.clone());
            tokio::spawn(async move {
                let input = ops::put::Input {
                    score: Some(json!(score)),
                };
                let cmd = ops::put::parse(movie, input).unwrap();
                let ctx = Ctx::new(format!("corr-{i}"));
                ops::put::execute(deps, cmd, &caller, &ctx)
                    .await
                    .unwrap()
                    .created
            })
        })
        .collect();
    let mut created = Vec::new();
    for task in tasks {
        created.push(task.await.unwrap());
    }
    created
}

/// Until `done == wanted` (the sweeper runs what a writer left), bounded.
async fn settle(app: &TestApp, movie: ObjectId) {
    for _ in 0..10 {
        let (done, wanted) = app.deps.summaries.progress(movie).await.unwrap();
        if done == wanted {
            return;
        }
        ops::sweep_summaries::execute(app.deps, None).await.unwrap();
    }
    panic!(
        "the summary did not settle: {:?}",
        app.deps.summaries.progress(movie).await
    );
}

/// The expected `(count, average, distribution)` of `scores`.
fn expected(scores: &[u8]) -> (u64, f64, serde_json::Value) {
    let mut counts = [0u64; 5];
    for s in scores {
        counts[usize::from(*s) - 1] += 1;
    }
    let sum: u64 = scores.iter().map(|s| u64::from(*s)).sum();
    let n = scores.len() as u64;
    let average = ((200 * sum + n) / (2 * n)) as f64 / 100.0;
    (n, average, distribution(counts))
}

async fn assert_stats(app: &TestApp, movie: ObjectId, scores: &[u8]) {
    let (count, average, distribution) = expected(scores);
    let stats = app.stats(&movie.to_hex()).await;
    stats.assert_ok(200);
    assert_eq!(stats.data()["count"], count, "{}", stats.raw);
    assert_eq!(stats.data()["average"], average, "{}", stats.raw);
    assert_eq!(stats.data()["distribution"], distribution, "{}", stats.raw);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_ratings_then_fifty_concurrent_changes_give_exact_stats() {
    let app = TestApp::spawn().await;
    let movie: ObjectId = app.movie("Blockbuster").await.parse().unwrap();
    let mut users = Vec::new();
    for _ in 0..RATERS {
        users.push(app.user().await);
    }
    let mut instances = vec![app.deps];
    for _ in 1..INSTANCES {
        let deps: Deps = app.env.service().await;
        instances.push(Box::leak(Box::new(deps)));
    }

    let first: Vec<u8> = (0..RATERS).map(|i| [5, 4, 5, 3, 1, 4, 5][i % 7]).collect();
    let created = rate_all(&instances, &users, movie, &first).await;
    assert!(created.iter().all(|c| *c), "50 first ratings");
    settle(&app, movie).await;
    assert_stats(&app, movie, &first).await;

    let changed: Vec<u8> = (0..RATERS).map(|i| [2, 3, 1, 5][i % 4]).collect();
    let created = rate_all(&instances, &users, movie, &changed).await;
    assert!(created.iter().all(|c| !*c), "50 changes");
    settle(&app, movie).await;
    assert_stats(&app, movie, &changed).await;

    // One rating.changed per pass, numbered 1..n for the movie; the newest is the final
    // summary (what the movies service keeps).
    let passes = app
        .deps
        .db
        .collection::<bson::Document>("outbox")
        .count_documents(bson::doc! {"eventName": "rating.changed"})
        .await
        .unwrap();
    assert!((2..=2 * RATERS as u64).contains(&passes), "{passes} passes");
    eprintln!("{} rating writes, {passes} summary passes", 2 * RATERS);
    let events = app
        .env
        .events_named("rating.changed", passes as usize)
        .await;
    let versions: BTreeSet<u64> = events
        .iter()
        .map(|e| e.envelope.aggregate_version)
        .collect();
    assert_eq!(versions, (1..=passes).collect::<BTreeSet<u64>>());
    let last = events
        .iter()
        .max_by_key(|e| e.envelope.aggregate_version)
        .unwrap();
    let (count, average, _) = expected(&changed);
    assert_eq!(last.envelope.payload["count"], count);
    assert_eq!(last.envelope.payload["average"], average);
}
