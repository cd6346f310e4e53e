//! A participant of the user-deletion saga (`streamia_shared::saga`) against real SecantusDB
//! and LocalStack: the data is set aside, restored or purged; each start replies once through
//! the outbox whatever the redeliveries; a start that arrives after its saga ended (a redrive,
//! a late duplicate) changes nothing; a newer saga's marks survive an older saga's end; the
//! injected fault replies a failure.
#![cfg(feature = "testing")]

use bson::oid::ObjectId;
use bson::{doc, Document};
use mongodb::{Collection, Database};
use serde_json::json;
use streamia_shared::db;
use streamia_shared::events::consumer::ConsumeError;
use streamia_shared::events::{Envelope, EventPublisher, Outbox, Topic};
use streamia_shared::saga::ledger::StepState;
use streamia_shared::saga::{self, Participant, Saga, SagaFault, Step, UserData};
use streamia_shared::testing::TestEnv;

/// A participant's collection: documents of users, set aside with the platform's helpers.
struct Things(Collection<Document>);

fn transient(e: mongodb::error::Error) -> ConsumeError {
    ConsumeError::Transient(e.to_string())
}

impl UserData for Things {
    async fn set_aside(&self, saga: Saga<'_>, user: ObjectId) -> Result<(), ConsumeError> {
        self.0
            .update_many(doc! {"userId": user}, saga::set_aside(saga.id))
            .await
            .map_err(transient)?;
        Ok(())
    }

    async fn restore(&self, saga: Saga<'_>, user: ObjectId) -> Result<(), ConsumeError> {
        self.0
            .update_many(
                saga::set_aside_by(doc! {"userId": user}, saga.id),
                saga::bring_back(),
            )
            .await
            .map_err(transient)?;
        Ok(())
    }

    async fn purge(&self, _saga: Saga<'_>, user: ObjectId) -> Result<(), ConsumeError> {
        self.0
            .delete_many(doc! {"userId": user})
            .await
            .map_err(transient)?;
        Ok(())
    }
}

struct Fixture {
    db: Database,
    things: Things,
    participant: Participant,
}

async fn fixture(fault: SagaFault) -> Fixture {
    let env = TestEnv::new(&[]).await;
    let mongo = db::connect(&env.mongo.uri).await.unwrap();
    let db = mongo.database(&env.mongo.database_name("favorites"));
    let outbox = Outbox::new(
        &mongo,
        &db,
        EventPublisher::new(&env.aws, env.topics.arn(Topic::FavoriteEvents), "favorites"),
    );
    saga::ledger::create_indexes(&db).await.unwrap();
    Fixture {
        things: Things(db.collection("things")),
        participant: Participant::new(
            &db,
            "favorites",
            "favorites-on-user-deletion",
            outbox,
            fault,
        ),
        db,
    }
}

fn envelope(name: &str, saga: &str, user: &ObjectId, username: &str) -> Envelope {
    let payload = match name {
        "user.deletion_completed" => json!({"sagaId": saga, "userId": user.to_hex()}),
        _ => json!({
            "sagaId": saga, "userId": user.to_hex(), "email": "ana@example.com",
            "username": username, "firstName": null, "language": "en",
        }),
    };
    serde_json::from_value(json!({
        "eventId": uuid::Uuid::new_v4().to_string(), "eventName": name,
        "occurredAt": "2030-01-01T00:00:00.000Z", "correlationId": "request-7",
        "source": "users", "version": 1, "aggregateId": user.to_hex(), "aggregateVersion": 4,
        "payload": payload,
    }))
    .unwrap()
}

impl Fixture {
    async fn seed(&self, user: &ObjectId, n: usize) {
        for i in 0..n {
            self.things
                .0
                .insert_one(doc! {"userId": user, "n": i as i32})
                .await
                .unwrap();
        }
    }

    async fn visible(&self, user: &ObjectId) -> u64 {
        self.things
            .0
            .count_documents(saga::visible(doc! {"userId": user}))
            .await
            .unwrap()
    }

    async fn stored(&self, user: &ObjectId) -> u64 {
        self.things
            .0
            .count_documents(doc! {"userId": user})
            .await
            .unwrap()
    }

    async fn deliver(&self, envelope: Envelope) -> Result<Step, ConsumeError> {
        self.participant.consume(&self.things, envelope).await
    }

    /// The replies committed to the outbox: (eventName, correlationId).
    async fn replies(&self) -> Vec<(String, String)> {
        use futures_util::TryStreamExt;
        let rows: Vec<Document> = self
            .db
            .collection::<Document>("outbox")
            .find(doc! {})
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        rows.iter()
            .map(|r| {
                (
                    r.get_str("eventName").unwrap().to_owned(),
                    r.get_str("correlationId").unwrap().to_owned(),
                )
            })
            .collect()
    }
}

#[tokio::test]
async fn a_start_sets_aside_and_replies_once_whatever_the_redeliveries() {
    let f = fixture(SagaFault::none()).await;
    let (user, other) = (ObjectId::new(), ObjectId::new());
    f.seed(&user, 3).await;
    f.seed(&other, 2).await;
    let start = envelope("user.deleted", "s1", &user, "ana");
    assert_eq!(f.deliver(start.clone()).await.unwrap(), Step::SetAside);
    assert_eq!((f.visible(&user).await, f.stored(&user).await), (0, 3));
    assert_eq!(
        f.visible(&other).await,
        2,
        "another user's data is untouched"
    );
    assert_eq!(f.deliver(start).await.unwrap(), Step::SetAside);
    assert_eq!(
        f.replies().await,
        [("user.deletion_step_done".to_owned(), "request-7".to_owned())],
        "one reply, with the request's correlation id"
    );
    // The cancellation brings everything back; a start redriven after it changes nothing.
    let cancel = envelope("user.deletion_cancelled", "s1", &user, "ana");
    assert_eq!(f.deliver(cancel.clone()).await.unwrap(), Step::Restored);
    assert_eq!(f.visible(&user).await, 3);
    assert_eq!(f.deliver(cancel).await.unwrap(), Step::Restored);
    let redriven = envelope("user.deleted", "s1", &user, "ana");
    assert_eq!(
        f.deliver(redriven).await.unwrap(),
        Step::Late(StepState::Restored)
    );
    assert_eq!(f.visible(&user).await, 3);
    assert_eq!(f.replies().await.len(), 1);
}

#[tokio::test]
async fn a_completion_purges_and_a_start_after_it_changes_nothing() {
    let f = fixture(SagaFault::none()).await;
    let user = ObjectId::new();
    f.seed(&user, 2).await;
    f.deliver(envelope("user.deleted", "s2", &user, "ana"))
        .await
        .unwrap();
    let done = envelope("user.deletion_completed", "s2", &user, "ana");
    assert_eq!(f.deliver(done.clone()).await.unwrap(), Step::Purged);
    assert_eq!(f.stored(&user).await, 0);
    assert_eq!(f.deliver(done).await.unwrap(), Step::Purged);
    assert_eq!(
        f.deliver(envelope("user.deleted", "s2", &user, "ana"))
            .await
            .unwrap(),
        Step::Late(StepState::Purged)
    );
    assert_eq!(
        f.participant.ledger().state("s2").await.unwrap(),
        Some(StepState::Purged)
    );
}

#[tokio::test]
async fn an_end_that_arrives_before_its_start_wins() {
    let f = fixture(SagaFault::none()).await;
    let user = ObjectId::new();
    f.seed(&user, 2).await;
    // The deadline cancelled the saga while its start was still queued here.
    f.deliver(envelope("user.deletion_cancelled", "s3", &user, "ana"))
        .await
        .unwrap();
    assert_eq!(
        f.deliver(envelope("user.deleted", "s3", &user, "ana"))
            .await
            .unwrap(),
        Step::Late(StepState::Restored)
    );
    assert_eq!(f.visible(&user).await, 2);
    assert!(f.replies().await.is_empty(), "no reply to an ended saga");
}

#[tokio::test]
async fn an_older_sagas_end_leaves_a_newer_sagas_marks() {
    let f = fixture(SagaFault::none()).await;
    let user = ObjectId::new();
    f.seed(&user, 2).await;
    f.deliver(envelope("user.deleted", "old", &user, "ana"))
        .await
        .unwrap();
    // A newer deletion of the same account (the older one's cancellation still on its way).
    f.deliver(envelope("user.deleted", "new", &user, "ana"))
        .await
        .unwrap();
    f.deliver(envelope("user.deletion_cancelled", "old", &user, "ana"))
        .await
        .unwrap();
    assert_eq!(
        f.visible(&user).await,
        0,
        "still set aside by the newer saga"
    );
    f.deliver(envelope("user.deletion_cancelled", "new", &user, "ana"))
        .await
        .unwrap();
    assert_eq!(f.visible(&user).await, 2);
}

#[tokio::test]
async fn the_injected_fault_replies_a_failure_and_sets_nothing_aside() {
    let f = fixture(SagaFault::failing("favorites", "sagafault")).await;
    let (user, fine) = (ObjectId::new(), ObjectId::new());
    f.seed(&user, 2).await;
    f.seed(&fine, 1).await;
    let start = envelope("user.deleted", "s4", &user, "sagafault-ana");
    assert_eq!(f.deliver(start.clone()).await.unwrap(), Step::Failed);
    assert_eq!(f.deliver(start).await.unwrap(), Step::Failed);
    assert_eq!(f.visible(&user).await, 2);
    assert_eq!(
        f.deliver(envelope("user.deleted", "s5", &fine, "ana"))
            .await
            .unwrap(),
        Step::SetAside
    );
    let names: Vec<String> = f.replies().await.into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names
            .iter()
            .filter(|n| *n == "user.deletion_step_failed")
            .count(),
        1
    );
    assert_eq!(
        names
            .iter()
            .filter(|n| *n == "user.deletion_step_done")
            .count(),
        1
    );
}

#[tokio::test]
async fn an_unreadable_start_is_poison() {
    let f = fixture(SagaFault::none()).await;
    let mut bad = envelope("user.deleted", "s6", &ObjectId::new(), "ana");
    bad.payload["userId"] = json!("not-an-id");
    bad.aggregate_id = "not-an-id".to_owned();
    assert!(matches!(f.deliver(bad).await, Err(ConsumeError::Poison(_))));
    let mut missing = envelope("user.deleted", "s6", &ObjectId::new(), "ana");
    missing.payload.as_object_mut().unwrap().remove("sagaId");
    assert!(matches!(
        f.deliver(missing).await,
        Err(ConsumeError::Poison(_))
    ));
}
