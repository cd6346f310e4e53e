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
use streamia_shared::saga::{
    self, MovieDeletion, Participant, Saga, SagaData, SagaFault, Step, UserDeletion,
};
use streamia_shared::testing::TestEnv;

/// A participant's collection: documents of users, set aside with the platform's helpers.
struct Things(Collection<Document>);

fn transient(e: mongodb::error::Error) -> ConsumeError {
    ConsumeError::Transient(e.to_string())
}

impl SagaData<UserDeletion> for Things {
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

/// The same collection's effects for a movie-deletion saga (documents of a movie).
impl SagaData<MovieDeletion> for Things {
    async fn set_aside(&self, saga: Saga<'_>, movie: ObjectId) -> Result<(), ConsumeError> {
        self.0
            .update_many(doc! {"movieId": movie}, saga::set_aside_movie(saga.id))
            .await
            .map_err(transient)?;
        Ok(())
    }

    async fn restore(&self, saga: Saga<'_>, movie: ObjectId) -> Result<(), ConsumeError> {
        self.0
            .update_many(
                saga::set_aside_by_movie(doc! {"movieId": movie}, saga.id),
                saga::bring_back_movie(),
            )
            .await
            .map_err(transient)?;
        Ok(())
    }

    async fn purge(&self, _saga: Saga<'_>, movie: ObjectId) -> Result<(), ConsumeError> {
        self.0
            .delete_many(doc! {"movieId": movie})
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

    async fn stored_all(&self) -> u64 {
        self.things.0.count_documents(doc! {}).await.unwrap()
    }

    async fn deliver(&self, envelope: Envelope) -> Result<Step, ConsumeError> {
        self.participant
            .consume::<UserDeletion>(&self.things, envelope)
            .await
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

fn movie_envelope(name: &str, saga: &str, movie: &ObjectId, title: &str) -> Envelope {
    let payload = match name {
        "movie.deleted" => json!({
            "sagaId": saga, "movieId": movie.to_hex(), "title": title, "coverImage": null,
            "status": "deleting",
        }),
        "movie.deletion_cancelled" => json!({
            "sagaId": saga, "movieId": movie.to_hex(), "title": title, "coverImage": null,
            "status": "active", "reason": "deadline passed",
        }),
        _ => json!({"sagaId": saga, "movieId": movie.to_hex(), "title": title}),
    };
    serde_json::from_value(json!({
        "eventId": uuid::Uuid::new_v4().to_string(), "eventName": name,
        "occurredAt": "2030-01-01T00:00:00.000Z", "correlationId": "request-9",
        "source": "movies", "version": 1, "aggregateId": movie.to_hex(), "aggregateVersion": 4,
        "payload": payload,
    }))
    .unwrap()
}

impl Fixture {
    async fn deliver_movie(&self, envelope: Envelope) -> Result<Step, ConsumeError> {
        self.participant
            .consume::<MovieDeletion>(&self.things, envelope)
            .await
    }

    /// Which of `docs` (by `n`) every read still sees.
    async fn visible_ns(&self) -> Vec<i32> {
        use futures_util::TryStreamExt;
        let mut ns: Vec<i32> = self
            .things
            .0
            .find(saga::visible(doc! {}))
            .await
            .unwrap()
            .try_collect::<Vec<Document>>()
            .await
            .unwrap()
            .iter()
            .map(|d| d.get_i32("n").unwrap())
            .collect();
        ns.sort();
        ns
    }

    /// Three documents: 0 (user, movie), 1 (user, other movie), 2 (other user, movie).
    async fn crossing(&self) -> (ObjectId, ObjectId) {
        let (user, movie) = (ObjectId::new(), ObjectId::new());
        for (n, u, m) in [
            (0, user, movie),
            (1, user, ObjectId::new()),
            (2, ObjectId::new(), movie),
        ] {
            self.things
                .0
                .insert_one(doc! {"userId": u, "movieId": m, "n": n})
                .await
                .unwrap();
        }
        (user, movie)
    }
}

#[tokio::test]
async fn a_movies_saga_sets_aside_replies_for_the_movie_and_purges_on_completion() {
    let f = fixture(SagaFault::none()).await;
    let (_, movie) = f.crossing().await;
    let start = movie_envelope("movie.deleted", "m1", &movie, "Night");
    assert_eq!(
        f.deliver_movie(start.clone()).await.unwrap(),
        Step::SetAside
    );
    assert_eq!(f.deliver_movie(start).await.unwrap(), Step::SetAside);
    assert_eq!(f.visible_ns().await, [1]);
    assert_eq!(
        f.replies().await,
        [(
            "movie.deletion_step_done".to_owned(),
            "request-9".to_owned()
        )]
    );
    let done = movie_envelope("movie.deletion_completed", "m1", &movie, "Night");
    assert_eq!(f.deliver_movie(done).await.unwrap(), Step::Purged);
    assert_eq!(f.stored_all().await, 1);
    // The start redriven after the end changes nothing.
    let late = movie_envelope("movie.deleted", "m1", &movie, "Night");
    assert_eq!(
        f.deliver_movie(late).await.unwrap(),
        Step::Late(StepState::Purged)
    );
    assert_eq!(f.replies().await.len(), 1);
}

#[tokio::test]
async fn a_document_of_a_user_and_a_movie_both_being_deleted_ends_right_in_either_order() {
    // The user's saga is cancelled and the movie's completes: the user's other document is
    // back, the movie's documents are gone.
    let f = fixture(SagaFault::none()).await;
    let (user, movie) = f.crossing().await;
    f.deliver(envelope("user.deleted", "u1", &user, "ana"))
        .await
        .unwrap();
    f.deliver_movie(movie_envelope("movie.deleted", "m1", &movie, "Night"))
        .await
        .unwrap();
    assert_eq!(f.visible_ns().await, Vec::<i32>::new());
    f.deliver(envelope("user.deletion_cancelled", "u1", &user, "ana"))
        .await
        .unwrap();
    assert_eq!(
        f.visible_ns().await,
        [1],
        "0 stays aside by the movie's saga"
    );
    f.deliver_movie(movie_envelope(
        "movie.deletion_completed",
        "m1",
        &movie,
        "Night",
    ))
    .await
    .unwrap();
    assert_eq!(f.visible_ns().await, [1]);
    assert_eq!(f.stored_all().await, 1);

    // The movie's saga is cancelled and the user's completes: the movie's other document is
    // back, the user's are gone.
    let f = fixture(SagaFault::none()).await;
    let (user, movie) = f.crossing().await;
    f.deliver_movie(movie_envelope("movie.deleted", "m2", &movie, "Night"))
        .await
        .unwrap();
    f.deliver(envelope("user.deleted", "u2", &user, "ana"))
        .await
        .unwrap();
    f.deliver_movie(movie_envelope(
        "movie.deletion_cancelled",
        "m2",
        &movie,
        "Night",
    ))
    .await
    .unwrap();
    assert_eq!(
        f.visible_ns().await,
        [2],
        "0 stays aside by the user's saga"
    );
    f.deliver(envelope("user.deletion_completed", "u2", &user, "ana"))
        .await
        .unwrap();
    assert_eq!(f.visible_ns().await, [2]);
    assert_eq!(f.stored_all().await, 1);
}

#[tokio::test]
async fn the_injected_fault_matches_a_movies_title() {
    let f = fixture(SagaFault::failing("favorites", "sagafault")).await;
    let (_, movie) = f.crossing().await;
    let start = movie_envelope("movie.deleted", "m3", &movie, "sagafault: the movie");
    assert_eq!(f.deliver_movie(start).await.unwrap(), Step::Failed);
    assert_eq!(f.visible_ns().await, [0, 1, 2], "nothing set aside");
    assert_eq!(
        f.replies().await,
        [(
            "movie.deletion_step_failed".to_owned(),
            "request-9".to_owned()
        )]
    );
}
