//! The transaction helper and the outbox against real SecantusDB and LocalStack: an event is
//! stored with its change, published after the commit, and when that publish fails the relay
//! publishes it later, once, with the same event id.
#![cfg(feature = "testing")]

use std::time::Duration;

use bson::{doc, Document};
use streamia_shared::db::{self, TransactionError};
use streamia_shared::events::users::UserRegistered;
use streamia_shared::events::{
    outbox, EventPublisher, Inbox, InboxError, Outbox, OutboxError, Topic,
};
use streamia_shared::testing::TestEnv;

struct Fixture {
    env: TestEnv,
    mongo: mongodb::Client,
    db: mongodb::Database,
    outbox: Outbox,
}

async fn fixture() -> Fixture {
    let env = TestEnv::new(&[]).await;
    let mongo = db::connect(&env.mongo.uri).await.unwrap();
    let db = mongo.database(&env.mongo.database_name("users"));
    let publisher = EventPublisher::new(&env.aws, env.topics.arn(Topic::UserEvents), "users");
    let outbox = Outbox::new(&mongo, &db, publisher);
    outbox::create_indexes(&db).await.unwrap();
    Fixture {
        env,
        mongo,
        db,
        outbox,
    }
}

fn registered(n: usize) -> UserRegistered {
    UserRegistered {
        user_id: format!("u{n}"),
        email: format!("user{n}@example.com"),
        username: format!("user{n}"),
        first_name: None,
        language: Default::default(),
    }
}

/// The error a service's transaction body returns (its own enum in a service).
#[derive(Debug, thiserror::Error)]
enum TestError {
    #[error(transparent)]
    Mongo(#[from] mongodb::error::Error),
    #[error(transparent)]
    Outbox(#[from] OutboxError),
    #[error(transparent)]
    Inbox(#[from] InboxError),
    #[error("the body refused")]
    Refused,
}

impl TransactionError for TestError {
    fn is_transient(&self) -> bool {
        match self {
            TestError::Mongo(e) => e.is_transient(),
            TestError::Outbox(e) => e.is_transient(),
            TestError::Inbox(e) => e.is_transient(),
            TestError::Refused => false,
        }
    }
}

/// Inserts a user and stages its event in one transaction.
async fn register(f: &Fixture, n: usize) -> streamia_shared::events::Staged {
    let users = f.db.collection::<Document>("users");
    db::transaction(&f.mongo, (&users, &f.outbox), |session, (users, outbox)| {
        Box::pin(async move {
            users
                .insert_one(doc! {"_id": format!("u{n}")})
                .session(&mut *session)
                .await?;
            Ok::<_, TestError>(outbox.stage(session, "corr-1", registered(n)).await?)
        })
    })
    .await
    .unwrap()
}

async fn outbox_rows(f: &Fixture) -> Vec<Document> {
    let mut cursor =
        f.db.collection::<Document>("outbox")
            .find(doc! {})
            .await
            .unwrap();
    let mut rows = Vec::new();
    while cursor.advance().await.unwrap() {
        rows.push(cursor.deserialize_current().unwrap());
    }
    rows
}

#[tokio::test]
async fn a_failed_body_commits_neither_the_change_nor_the_event() {
    let f = fixture().await;
    let users = f.db.collection::<Document>("users");
    let result = db::transaction(&f.mongo, (&users, &f.outbox), |session, (users, outbox)| {
        Box::pin(async move {
            users
                .insert_one(doc! {"_id": "u1"})
                .session(&mut *session)
                .await?;
            let _staged = outbox.stage(session, "c", registered(1)).await?;
            Err::<(), _>(TestError::Refused)
        })
    })
    .await;
    assert!(matches!(result, Err(TestError::Refused)));
    assert_eq!(users.count_documents(doc! {}).await.unwrap(), 0);
    assert!(outbox_rows(&f).await.is_empty());
    assert_eq!(
        f.outbox.relay(Duration::ZERO, 10).await.unwrap().published,
        0
    );
}

#[tokio::test]
async fn flush_after_commit_publishes_the_staged_envelope_and_marks_it_sent() {
    let f = fixture().await;
    let staged = register(&f, 1).await;
    let event_id = staged.event_id().to_owned();
    f.outbox.flush(staged).await;

    let events = f.env.events(1, Duration::from_secs(5)).await;
    assert_eq!(events.len(), 1);
    let envelope = &events[0].envelope;
    assert_eq!(envelope.event_id, event_id);
    assert_eq!(envelope.event_name, "user.registered");
    assert_eq!(envelope.source, "users");
    assert_eq!(envelope.correlation_id, "corr-1");
    assert_eq!(envelope.payload["userId"], "u1");
    assert_eq!(events[0].attributes["eventName"], "user.registered");

    let rows = outbox_rows(&f).await;
    assert_eq!(rows[0].get_str("status").unwrap(), "sent");
    // A sent row keeps no body: an event may carry a secret (a reset link).
    assert!(!rows[0].contains_key("body"), "{:?}", rows[0]);
    // Nothing is left for the relay.
    assert_eq!(
        f.outbox.relay(Duration::ZERO, 10).await.unwrap().published,
        0
    );
    assert!(f.env.events(1, Duration::from_secs(2)).await.is_empty());
}

#[tokio::test]
async fn when_sns_is_unreachable_after_the_commit_the_relay_publishes_the_event_once_and_the_consumer_acts_once(
) {
    let f = fixture().await;
    // The same outbox collection, but SNS "down": nothing listens on port 9.
    let unreachable = f
        .env
        .aws
        .to_builder()
        .endpoint_url("http://127.0.0.1:9")
        .build();
    let down = Outbox::new(
        &f.mongo,
        &f.db,
        EventPublisher::new(&unreachable, f.env.topics.arn(Topic::UserEvents), "users"),
    );
    let users = f.db.collection::<Document>("users");
    let staged = db::transaction(&f.mongo, (&users, &down), |session, (users, outbox)| {
        Box::pin(async move {
            users
                .insert_one(doc! {"_id": "u1"})
                .session(&mut *session)
                .await?;
            Ok::<_, TestError>(outbox.stage(session, "corr-1", registered(1)).await?)
        })
    })
    .await
    .unwrap();
    let event_id = staged.event_id().to_owned();
    // Does not fail the caller: the change is committed, the event stays pending.
    down.flush(staged).await;
    assert_eq!(users.count_documents(doc! {}).await.unwrap(), 1);
    let rows = outbox_rows(&f).await;
    assert_eq!(rows[0].get_str("status").unwrap(), "pending");
    assert!(rows[0].get_str("lastError").is_ok());
    assert!(f.env.events(1, Duration::from_secs(2)).await.is_empty());

    // Too young for a relay that waits a minute; the scheduled relay with its usual age
    // publishes it (min_age zero stands for "a few seconds later").
    assert_eq!(
        f.outbox.relay(Duration::from_secs(60), 10).await.unwrap(),
        Default::default()
    );
    let report = f.outbox.relay(Duration::ZERO, 10).await.unwrap();
    assert_eq!((report.published, report.failed), (1, 0));
    // A second run has nothing left.
    assert_eq!(
        f.outbox.relay(Duration::ZERO, 10).await.unwrap().published,
        0
    );

    let events = f.env.events(1, Duration::from_secs(5)).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].envelope.event_id, event_id);
    assert!(f.env.events(1, Duration::from_secs(2)).await.is_empty());

    // A consumer with an inbox: its effect happens once even if the event came twice.
    let consumer_db = f.mongo.database(&f.env.mongo.database_name("consumer"));
    let inbox = Inbox::new(&consumer_db, "consumer-on-user-event");
    let welcomed = consumer_db.collection::<Document>("welcomed");
    for delivery in [&events[0], &events[0]] {
        let id = delivery.envelope.event_id.clone();
        db::transaction(
            &f.mongo,
            (&inbox, &welcomed, id),
            |session, (inbox, welcomed, id)| {
                Box::pin(async move {
                    if inbox.record(&mut *session, id).await? {
                        welcomed
                            .update_one(doc! {"_id": "count"}, doc! {"$inc": {"n": 1}})
                            .upsert(true)
                            .session(&mut *session)
                            .await?;
                    }
                    Ok::<_, TestError>(())
                })
            },
        )
        .await
        .unwrap();
    }
    let count = welcomed.find_one(doc! {}).await.unwrap().unwrap();
    assert_eq!(count.get_i32("n").unwrap(), 1);
}

#[tokio::test]
async fn two_relays_running_at_once_publish_each_event_once() {
    let f = fixture().await;
    let mut ids = Vec::new();
    for n in 0..12 {
        ids.push(register(&f, n).await.event_id().to_owned()); // not flushed
    }
    let (a, b) = tokio::join!(
        f.outbox.relay(Duration::ZERO, 100),
        f.outbox.relay(Duration::ZERO, 100)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.published + b.published, 12, "{a:?} {b:?}");
    assert_eq!(a.failed + b.failed, 0);

    let events = f.env.events(12, Duration::from_secs(10)).await;
    let mut got: Vec<String> = events.iter().map(|e| e.envelope.event_id.clone()).collect();
    got.sort();
    ids.sort();
    assert_eq!(got, ids, "each event exactly once");
    assert!(f.env.events(1, Duration::from_secs(2)).await.is_empty());
    // Published oldest first within one run.
    let c = f.outbox.relay(Duration::ZERO, 100).await.unwrap();
    assert_eq!(c.published, 0);
}

#[tokio::test]
async fn the_relay_takes_the_oldest_first_and_at_most_its_limit() {
    let f = fixture().await;
    let first = register(&f, 1).await.event_id().to_owned();
    let second = register(&f, 2).await.event_id().to_owned();
    let _third = register(&f, 3).await;
    assert_eq!(
        f.outbox.relay(Duration::ZERO, 2).await.unwrap().published,
        2
    );
    let events = f.env.events(2, Duration::from_secs(5)).await;
    let got: Vec<&str> = events
        .iter()
        .map(|e| e.envelope.event_id.as_str())
        .collect();
    assert!(
        got.contains(&first.as_str()) && got.contains(&second.as_str()),
        "{got:?}"
    );
    assert_eq!(
        f.outbox.relay(Duration::ZERO, 2).await.unwrap().published,
        1
    );
}

/// Registers user `n` and updates it `updates` times through `commit`, each in its own
/// transaction, flushing after each.
async fn life(f: &Fixture, n: usize, updates: usize) {
    let users = f.db.collection::<Document>("users");
    for i in 0..=updates {
        f.outbox
            .commit("corr-life", &users, |mut tx, users| {
                Box::pin(async move {
                    users
                        .update_one(
                            doc! {"_id": format!("u{n}")},
                            doc! {"$set": {"i": i as i64}},
                        )
                        .upsert(true)
                        .session(tx.session())
                        .await?;
                    tx.stage(registered(n)).await?;
                    Ok::<_, TestError>(())
                })
            })
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn commit_numbers_each_aggregates_events_and_publishes_them_after_the_commit() {
    let f = fixture().await;
    life(&f, 1, 2).await;
    life(&f, 2, 0).await;
    let events = f.env.events(4, Duration::from_secs(10)).await;
    assert_eq!(events.len(), 4);
    let mut seen: Vec<(String, u64)> = events
        .iter()
        .map(|e| {
            (
                e.envelope.aggregate_id.clone(),
                e.envelope.aggregate_version,
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("u1".into(), 1),
            ("u1".into(), 2),
            ("u1".into(), 3),
            ("u2".into(), 1)
        ]
    );
    assert!(events
        .iter()
        .all(|e| e.envelope.correlation_id == "corr-life"));
    let rows = outbox_rows(&f).await;
    assert!(
        rows.iter().all(|r| r.get_str("status") == Ok("sent")),
        "{rows:?}"
    );
}

#[tokio::test]
async fn a_failed_commit_body_publishes_nothing_and_takes_no_version() {
    let f = fixture().await;
    let users = f.db.collection::<Document>("users");
    let failed = f
        .outbox
        .commit("c", &users, |mut tx, users| {
            Box::pin(async move {
                users
                    .insert_one(doc! {"_id": "u1"})
                    .session(tx.session())
                    .await?;
                tx.stage(registered(1)).await?;
                Err::<(), _>(TestError::Refused)
            })
        })
        .await;
    assert!(matches!(failed, Err(TestError::Refused)));
    assert!(outbox_rows(&f).await.is_empty());
    life(&f, 1, 0).await;
    let events = f.env.events(1, Duration::from_secs(5)).await;
    assert_eq!(events[0].envelope.aggregate_version, 1, "no gap");
}

#[tokio::test]
async fn concurrent_changes_of_one_aggregate_get_distinct_versions_in_commit_order() {
    let f = fixture().await;
    life(&f, 7, 0).await;
    tokio::join!(
        life(&f, 7, 0),
        life(&f, 7, 0),
        life(&f, 7, 0),
        life(&f, 7, 0)
    );
    let events = f.env.events(5, Duration::from_secs(10)).await;
    let mut versions: Vec<u64> = events
        .iter()
        .map(|e| e.envelope.aggregate_version)
        .collect();
    versions.sort();
    assert_eq!(versions, [1, 2, 3, 4, 5]);
}

#[tokio::test]
async fn flush_publishes_the_older_pending_events_of_its_aggregate_first() {
    let f = fixture().await;
    // Version 1 committed but not flushed (its flush failed, or the instance died).
    let first = register(&f, 1).await;
    assert_eq!(first.version(), 1);
    // Version 2's flush sends version 1 first, then itself.
    life(&f, 1, 0).await;
    let rows = outbox_rows(&f).await;
    assert!(
        rows.iter().all(|r| r.get_str("status") == Ok("sent")),
        "{rows:?}"
    );
    let sent_at = |version: i64| {
        rows.iter()
            .find(|r| r.get_i64("version") == Ok(version))
            .and_then(|r| r.get_datetime("sentAt").ok())
            .copied()
            .unwrap()
    };
    assert!(sent_at(1) <= sent_at(2));
    let events = f.env.events(2, Duration::from_secs(10)).await;
    let mut versions: Vec<u64> = events
        .iter()
        .map(|e| e.envelope.aggregate_version)
        .collect();
    versions.sort();
    assert_eq!(versions, [1, 2]);
}

#[tokio::test]
async fn a_hanging_sns_holds_a_commit_for_the_flush_budget_only_and_the_relay_publishes_later() {
    use streamia_shared::testing::faults::HangingListener;
    let f = fixture().await;
    // SNS accepts the connection and never answers (not a quick refusal).
    let hanging = HangingListener::start().await;
    let silent = f
        .env
        .aws
        .to_builder()
        .endpoint_url(format!("http://{}", hanging.addr()))
        .build();
    let stuck = Outbox::new(
        &f.mongo,
        &f.db,
        EventPublisher::new(&silent, f.env.topics.arn(Topic::UserEvents), "users"),
    );
    // An older event of the same user is pending too: the flush would try it first.
    let _pending = register(&f, 1).await;
    let users = f.db.collection::<Document>("users");
    let started = std::time::Instant::now();
    stuck
        .commit("corr-stuck", &users, |mut tx, users| {
            Box::pin(async move {
                users
                    .update_one(doc! {"_id": "u1"}, doc! {"$set": {"n": 2}})
                    .session(tx.session())
                    .await?;
                tx.stage(registered(1)).await?;
                Ok::<_, TestError>(())
            })
        })
        .await
        .unwrap();
    let took = started.elapsed();
    assert!(
        took < Duration::from_millis(4500),
        "the commit waited {took:?}"
    );
    // Both events are still there for the relay (leases lapse; min_age zero and a fresh
    // relay on a working SNS stand for the next scheduled runs).
    let rows = outbox_rows(&f).await;
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter().all(|r| r.get_str("status") == Ok("pending")),
        "{rows:?}"
    );
    // Given back, not leased: the next relay run publishes them at once (not a lease later).
    assert!(
        rows.iter()
            .all(|r| matches!(r.get("leaseUntil"), None | Some(bson::Bson::Null))),
        "{rows:?}"
    );
}

#[tokio::test]
async fn commit_then_runs_its_step_after_the_commit_and_before_the_publish() {
    let f = fixture().await;
    let users = f.db.collection::<Document>("users");
    let f = &f;
    // The step sees the change committed and its event not yet out.
    f.outbox
        .commit_then(
            "c",
            &users,
            |mut tx, users| {
                Box::pin(async move {
                    users
                        .insert_one(doc! {"_id": "u1"})
                        .session(tx.session())
                        .await?;
                    tx.stage(registered(1)).await?;
                    Ok::<_, TestError>(())
                })
            },
            |_| async {
                assert_eq!(users.count_documents(doc! {}).await.unwrap(), 1);
                let rows = outbox_rows(f).await;
                assert_eq!(rows[0].get_str("status").unwrap(), "pending");
                Ok(())
            },
        )
        .await
        .unwrap();
    assert_eq!(f.env.events(1, Duration::from_secs(10)).await.len(), 1);
    assert_eq!(outbox_rows(f).await[0].get_str("status").unwrap(), "sent");
}

#[tokio::test]
async fn a_failed_step_after_the_commit_leaves_the_event_to_the_relay() {
    let f = fixture().await;
    let users = f.db.collection::<Document>("users");
    let result = f
        .outbox
        .commit_then(
            "c",
            &users,
            |mut tx, users| {
                Box::pin(async move {
                    users
                        .insert_one(doc! {"_id": "u1"})
                        .session(tx.session())
                        .await?;
                    tx.stage(registered(1)).await?;
                    Ok::<_, TestError>(())
                })
            },
            |_| async { Err(TestError::Refused) },
        )
        .await;
    assert!(matches!(result, Err(TestError::Refused)));
    // Committed, not published: the relay publishes it.
    assert_eq!(users.count_documents(doc! {}).await.unwrap(), 1);
    assert_eq!(
        outbox_rows(&f).await[0].get_str("status").unwrap(),
        "pending"
    );
    assert_eq!(
        f.outbox.relay(Duration::ZERO, 10).await.unwrap().published,
        1
    );
    assert_eq!(f.env.events(1, Duration::from_secs(10)).await.len(), 1);
}

/// A row SNS refuses every time (here: an empty message, as a row whose body was lost would
/// be) heading the outbox.
async fn poison_row(f: &Fixture) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    let old = bson::DateTime::from_millis(bson::DateTime::now().timestamp_millis() - 60_000);
    f.db.collection::<Document>("outbox")
        .insert_one(doc! {
            "_id": &id, "eventName": "user.registered", "correlationId": "corr-poison",
            "aggregate": "user:poison", "version": 1_i64, "body": "", "status": "pending",
            "createdAt": old, "attempts": 0, "leaseUntil": null, "leaseOwner": null,
            "sentAt": null, "lastError": null,
        })
        .await
        .unwrap();
    id
}

#[tokio::test]
async fn a_poison_row_is_marked_failed_after_its_attempts_and_no_longer_blocks_the_rest() {
    let f = fixture().await;
    let poison = poison_row(&f).await;
    let first = register(&f, 1).await.event_id().to_owned();
    let rows = f.db.collection::<Document>("outbox");
    // It heads the queue and stops the run, as an SNS outage would; its backoff then lets the
    // next run past it, and the event behind it goes out: SNS works, this row is the problem.
    let report = f.outbox.relay(Duration::ZERO, 10).await.unwrap();
    assert_eq!((report.published, report.failed), (0, 1), "{report:?}");
    let report = f.outbox.relay(Duration::ZERO, 10).await.unwrap();
    assert_eq!((report.published, report.failed), (1, 0), "{report:?}");
    let second = register(&f, 2).await.event_id().to_owned();
    let mut claims = 1;
    loop {
        // Its backoff has passed (instead of waiting it out).
        rows.update_one(doc! {"_id": &poison}, doc! {"$set": {"leaseUntil": null}})
            .await
            .unwrap();
        claims += 1;
        assert!(claims <= outbox::MAX_ATTEMPTS, "never given up");
        let report = f.outbox.relay(Duration::ZERO, 10).await.unwrap();
        if report.given_up == 1 {
            // The same run went on to the row behind it.
            assert_eq!(report.published, 1, "{report:?}");
            break;
        }
        assert_eq!((report.published, report.failed), (0, 1), "{report:?}");
    }
    assert_eq!(claims, outbox::MAX_ATTEMPTS);
    let row = rows.find_one(doc! {"_id": &poison}).await.unwrap().unwrap();
    assert_eq!(row.get_str("status").unwrap(), "failed");
    assert!(!row.get_str("lastError").unwrap().is_empty());
    let events = f.env.events(2, Duration::from_secs(5)).await;
    let ids: Vec<_> = events.iter().map(|e| e.envelope.event_id.clone()).collect();
    assert_eq!(ids, vec![first, second]);
    // Never claimed again.
    assert_eq!(
        f.outbox.relay(Duration::ZERO, 10).await.unwrap(),
        Default::default()
    );
}

/// SNS refusing every event (here: a topic that does not exist, as after a deploy mistake)
/// for longer than a row's attempts gives nothing up: every row stays pending, retried, and
/// goes out once the cause is fixed.
#[tokio::test]
async fn an_outage_longer_than_the_attempts_gives_no_event_up() {
    let f = fixture().await;
    let missing = format!(
        "arn:aws:sns:us-east-1:000000000000:missing-{}",
        uuid::Uuid::new_v4().simple()
    );
    let down = Outbox::new(
        &f.mongo,
        &f.db,
        EventPublisher::new(&f.env.aws, Some(missing), "users"),
    );
    let staged = register(&f, 1).await.event_id().to_owned();
    let rows = f.db.collection::<Document>("outbox");
    for _ in 0..outbox::MAX_ATTEMPTS + 5 {
        let report = down.relay(Duration::ZERO, 10).await.unwrap();
        assert_eq!((report.published, report.given_up), (0, 0), "{report:?}");
        rows.update_one(doc! {"_id": &staged}, doc! {"$set": {"leaseUntil": null}})
            .await
            .unwrap();
    }
    let row = rows.find_one(doc! {"_id": &staged}).await.unwrap().unwrap();
    assert_eq!(row.get_str("status").unwrap(), "pending");
    assert!(row.get_i32("attempts").unwrap() > outbox::MAX_ATTEMPTS);
    // Fixed: the service's own publisher sends it.
    assert_eq!(
        f.outbox.relay(Duration::ZERO, 10).await.unwrap().published,
        1
    );
    let events = f.env.events(1, Duration::from_secs(5)).await;
    assert_eq!(events[0].envelope.event_id, staged);
}

/// After an outage longer than a day every row of the backlog is past its attempts. Once SNS
/// is back (events get through), one failed publish of such a row (throttled while the backlog
/// drains) does not give it up: only failures repeated while others get through do.
#[tokio::test]
async fn a_backlog_row_past_its_attempts_survives_one_failure_after_the_outage() {
    let f = fixture().await;
    let backlog = register(&f, 1).await.event_id().to_owned();
    let rows = f.db.collection::<Document>("outbox");
    rows.update_one(
        doc! {"_id": &backlog},
        doc! {"$set": {"attempts": outbox::MAX_ATTEMPTS + 100}},
    )
    .await
    .unwrap();
    // SNS is back: another event goes out.
    let fresh = register(&f, 2).await;
    assert!(f.outbox.flush(fresh).await);
    // The backlog row's next publish fails once (a publisher that cannot reach its topic).
    let missing = format!(
        "arn:aws:sns:us-east-1:000000000000:missing-{}",
        uuid::Uuid::new_v4().simple()
    );
    let throttled = Outbox::new(
        &f.mongo,
        &f.db,
        EventPublisher::new(&f.env.aws, Some(missing), "users"),
    );
    let report = throttled.relay(Duration::ZERO, 10).await.unwrap();
    assert_eq!((report.failed, report.given_up), (1, 0), "{report:?}");
    let row = rows
        .find_one(doc! {"_id": &backlog})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.get_str("status").unwrap(), "pending");
    assert_eq!(row.get_i32("healthyFailures").unwrap(), 1);
    // Its next try goes out.
    rows.update_one(doc! {"_id": &backlog}, doc! {"$set": {"leaseUntil": null}})
        .await
        .unwrap();
    assert_eq!(
        f.outbox.relay(Duration::ZERO, 10).await.unwrap().published,
        1
    );
    // Failing again and again while others get through, it is given up in the end.
    let poison = register(&f, 3).await.event_id().to_owned();
    rows.update_one(
        doc! {"_id": &poison},
        doc! {"$set": {"attempts": outbox::MAX_ATTEMPTS + 100}},
    )
    .await
    .unwrap();
    let mut tries = 0;
    loop {
        tries += 1;
        let report = throttled.relay(Duration::ZERO, 10).await.unwrap();
        if report.given_up == 1 {
            break;
        }
        assert!(tries < outbox::HEALTHY_FAILURES, "{report:?}");
        rows.update_one(doc! {"_id": &poison}, doc! {"$set": {"leaseUntil": null}})
            .await
            .unwrap();
    }
    assert_eq!(tries, outbox::HEALTHY_FAILURES);
}

#[tokio::test]
async fn the_relay_claims_nothing_once_its_time_budget_is_spent() {
    let f = fixture().await;
    let _staged = register(&f, 1).await;
    let almost_over = std::time::Instant::now() + outbox::RELAY_RESERVE / 2;
    let report = f
        .outbox
        .relay_until(Duration::ZERO, 10, Some(almost_over))
        .await
        .unwrap();
    assert_eq!(report, Default::default());
    let ample = std::time::Instant::now() + outbox::RELAY_RESERVE * 4;
    let report = f
        .outbox
        .relay_until(Duration::ZERO, 10, Some(ample))
        .await
        .unwrap();
    assert_eq!(report.published, 1);
}

#[tokio::test]
async fn sent_rows_and_handled_inbox_rows_are_purged_after_the_retention() {
    use futures_util::TryStreamExt;
    let f = fixture().await;
    streamia_shared::events::inbox::create_indexes(&f.db)
        .await
        .unwrap();
    for (collection, name) in [
        ("outbox", outbox::SENT_TTL_INDEX),
        ("inbox", streamia_shared::events::inbox::HANDLED_TTL_INDEX),
    ] {
        let indexes: Vec<mongodb::IndexModel> =
            f.db.collection::<Document>(collection)
                .list_indexes()
                .await
                .unwrap()
                .try_collect()
                .await
                .unwrap();
        let ttl = indexes
            .iter()
            .find(|i| i.options.as_ref().and_then(|o| o.name.as_deref()) == Some(name))
            .and_then(|i| i.options.as_ref()?.expire_after);
        assert_eq!(
            ttl,
            Some(streamia_shared::events::RETENTION),
            "{collection}"
        );
    }
}
