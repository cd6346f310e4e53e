//! The inbox against real SecantusDB: database effects recorded in the effect's transaction,
//! side effects claimed with a lease so concurrent deliveries act once.
#![cfg(feature = "testing")]

use std::time::Duration;

use bson::{doc, Document};
use streamia_shared::db::{self, TransactionError};
use streamia_shared::events::{Claim, Handled, Inbox, InboxError};
use streamia_shared::testing::TestEnv;

async fn inbox() -> (mongodb::Client, mongodb::Database, Inbox) {
    let env = TestEnv::new(&[]).await;
    let mongo = db::connect(&env.mongo.uri).await.unwrap();
    let db = mongo.database(&env.mongo.database_name("consumer"));
    let inbox = Inbox::new(&db, "consumer-on-user-event");
    (mongo, db, inbox)
}

#[derive(Debug, thiserror::Error)]
enum TestError {
    #[error(transparent)]
    Mongo(#[from] mongodb::error::Error),
    #[error(transparent)]
    Inbox(#[from] InboxError),
    #[error("the effect failed")]
    EffectFailed,
}

impl TransactionError for TestError {
    fn is_transient(&self) -> bool {
        match self {
            TestError::Mongo(e) => e.is_transient(),
            TestError::Inbox(e) => e.is_transient(),
            TestError::EffectFailed => false,
        }
    }
}

/// Handles an event whose effect is a counter increment, exactly once.
async fn handle(
    mongo: &mongodb::Client,
    db: &mongodb::Database,
    inbox: &Inbox,
    event_id: &str,
) -> bool {
    let counter = db.collection::<Document>("effects");
    db::transaction(
        mongo,
        (inbox, &counter, event_id.to_owned()),
        |session, (inbox, counter, id)| {
            Box::pin(async move {
                if !inbox.record(&mut *session, id).await? {
                    return Ok::<_, TestError>(false);
                }
                counter
                    .update_one(doc! {"_id": "n"}, doc! {"$inc": {"n": 1}})
                    .upsert(true)
                    .session(&mut *session)
                    .await?;
                Ok(true)
            })
        },
    )
    .await
    .unwrap()
}

async fn effects(db: &mongodb::Database) -> i32 {
    db.collection::<Document>("effects")
        .find_one(doc! {"_id": "n"})
        .await
        .unwrap()
        .map(|d| d.get_i32("n").unwrap())
        .unwrap_or(0)
}

#[tokio::test]
async fn record_makes_a_database_effect_happen_once_per_event() {
    let (mongo, db, inbox) = inbox().await;
    assert!(handle(&mongo, &db, &inbox, "e1").await);
    assert!(!handle(&mongo, &db, &inbox, "e1").await);
    assert!(handle(&mongo, &db, &inbox, "e2").await);
    assert_eq!(effects(&db).await, 2);
    assert!(inbox.is_handled("e1").await.unwrap());
    // Another consumer in the same database handles the same event on its own.
    let other = Inbox::new(&db, "other-consumer");
    assert!(!other.is_handled("e1").await.unwrap());
}

#[tokio::test]
async fn a_rolled_back_effect_leaves_the_event_unhandled() {
    let (mongo, db, inbox) = inbox().await;
    let result = db::transaction(&mongo, &inbox, |session, inbox| {
        Box::pin(async move {
            inbox.record(&mut *session, "e1").await?;
            Err::<(), TestError>(TestError::EffectFailed)
        })
    })
    .await;
    assert!(result.is_err());
    assert!(!inbox.is_handled("e1").await.unwrap());
    assert!(handle(&mongo, &db, &inbox, "e1").await);
}

#[tokio::test]
async fn concurrent_deliveries_of_one_event_record_one_effect() {
    let (mongo, db, inbox) = inbox().await;
    let (a, b, c, d) = tokio::join!(
        handle(&mongo, &db, &inbox, "e1"),
        handle(&mongo, &db, &inbox, "e1"),
        handle(&mongo, &db, &inbox, "e1"),
        handle(&mongo, &db, &inbox, "e1"),
    );
    let acted = [a, b, c, d];
    assert_eq!(acted.iter().filter(|a| **a).count(), 1, "{acted:?}");
    assert_eq!(effects(&db).await, 1);
}

/// Handles an event whose effect is a counter increment through `Inbox::apply`.
async fn apply(
    mongo: &mongodb::Client,
    db: &mongodb::Database,
    inbox: &Inbox,
    event_id: &str,
) -> Handled<i32> {
    let counter = db.collection::<Document>("effects");
    inbox
        .apply(mongo, event_id, &counter, |session, counter| {
            Box::pin(async move {
                counter
                    .update_one(doc! {"_id": "n"}, doc! {"$inc": {"n": 1}})
                    .upsert(true)
                    .session(&mut *session)
                    .await?;
                Ok::<_, TestError>(7)
            })
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn apply_makes_a_database_effect_happen_once_per_event() {
    let (mongo, db, inbox) = inbox().await;
    assert_eq!(apply(&mongo, &db, &inbox, "e1").await, Handled::Applied(7));
    assert_eq!(apply(&mongo, &db, &inbox, "e1").await, Handled::Duplicate);
    assert_eq!(apply(&mongo, &db, &inbox, "e2").await, Handled::Applied(7));
    assert_eq!(effects(&db).await, 2);
    assert!(inbox.is_handled("e1").await.unwrap());
}

#[tokio::test]
async fn apply_of_a_failed_effect_records_nothing() {
    let (mongo, db, inbox) = inbox().await;
    let counter = db.collection::<Document>("effects");
    let result = inbox
        .apply(&mongo, "e1", &counter, |session, counter| {
            Box::pin(async move {
                counter
                    .update_one(doc! {"_id": "n"}, doc! {"$inc": {"n": 1}})
                    .upsert(true)
                    .session(&mut *session)
                    .await?;
                Err::<(), TestError>(TestError::EffectFailed)
            })
        })
        .await;
    assert!(matches!(result, Err(TestError::EffectFailed)));
    // Neither the effect nor the record committed: the redelivery applies it.
    assert_eq!(effects(&db).await, 0);
    assert!(!inbox.is_handled("e1").await.unwrap());
    assert_eq!(apply(&mongo, &db, &inbox, "e1").await, Handled::Applied(7));
}

#[tokio::test]
async fn apply_of_concurrent_deliveries_of_one_event_changes_the_database_once() {
    let (mongo, db, inbox) = inbox().await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (mongo, db, inbox) = (mongo.clone(), db.clone(), inbox.clone());
        tasks.spawn(async move { apply(&mongo, &db, &inbox, "e1").await });
    }
    let outcomes = tasks.join_all().await;
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| **o == Handled::Applied(7))
            .count(),
        1,
        "{outcomes:?}"
    );
    assert!(outcomes
        .iter()
        .all(|o| matches!(o, Handled::Applied(7) | Handled::Duplicate)));
    assert_eq!(effects(&db).await, 1);
}

#[tokio::test]
async fn a_claim_is_exclusive_until_completed_or_released() {
    let (_mongo, _db, inbox) = inbox().await;
    let lease = Duration::from_secs(30);
    let Claim::Acquired(token) = inbox.claim("e1", lease).await.unwrap() else {
        panic!("first claim acquires")
    };
    let Claim::Busy { retry_after } = inbox.claim("e1", lease).await.unwrap() else {
        panic!("second claim is busy")
    };
    assert!(retry_after > Duration::from_secs(20) && retry_after <= lease);

    // The send failed: released, the next delivery acquires.
    inbox.release("e1", &token).await.unwrap();
    let Claim::Acquired(token) = inbox.claim("e1", lease).await.unwrap() else {
        panic!("a released claim can be acquired")
    };
    // A stale token cannot release someone else's claim.
    let Claim::Acquired(other) = inbox.claim("e2", lease).await.unwrap() else {
        panic!()
    };
    inbox.release("e1", &other).await.unwrap();
    assert!(matches!(
        inbox.claim("e1", lease).await.unwrap(),
        Claim::Busy { .. }
    ));

    inbox.complete("e1", &token).await.unwrap();
    assert_eq!(
        inbox.claim("e1", lease).await.unwrap(),
        Claim::AlreadyHandled
    );
    assert!(inbox.is_handled("e1").await.unwrap());
    // Releasing after completion changes nothing.
    inbox.release("e1", &token).await.unwrap();
    assert_eq!(
        inbox.claim("e1", lease).await.unwrap(),
        Claim::AlreadyHandled
    );
}

#[tokio::test]
async fn an_expired_claim_is_taken_over() {
    let (_mongo, _db, inbox) = inbox().await;
    // A consumer that died holding a lease (here: one that has already run out).
    let Claim::Acquired(_dead) = inbox.claim("e1", Duration::ZERO).await.unwrap() else {
        panic!()
    };
    assert!(matches!(
        inbox.claim("e1", Duration::from_secs(30)).await.unwrap(),
        Claim::Acquired(_)
    ));
}

#[tokio::test]
async fn of_many_concurrent_claims_exactly_one_acquires() {
    let (_mongo, _db, inbox) = inbox().await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let inbox = inbox.clone();
        tasks.spawn(async move { inbox.claim("e1", Duration::from_secs(30)).await });
    }
    let results = tasks.join_all().await;
    let acquired = results
        .iter()
        .filter(|r| matches!(r, Ok(Claim::Acquired(_))))
        .count();
    assert_eq!(acquired, 1, "{results:?}");
    assert!(results
        .iter()
        .all(|r| matches!(r, Ok(Claim::Acquired(_) | Claim::Busy { .. }))));
}
