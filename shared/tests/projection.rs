//! "Apply only if newer" against real SecantusDB: a copy keeps the newest version whatever
//! order the events arrive in, version 0 is older than everything, a tombstone is final, and
//! concurrent deliveries for one aggregate end at the newest.
#![cfg(feature = "testing")]

use serde::{Deserialize, Serialize};
use streamia_shared::db;
use streamia_shared::events::{
    Change, Handled, Inbox, Incoming, Projected, Projection, ProjectionError, Replica,
};
use streamia_shared::testing::TestEnv;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Named {
    name: String,
}

struct Fixture {
    mongo: mongodb::Client,
    inbox: Inbox,
    copies: Projection<Named>,
}

async fn fixture() -> Fixture {
    let env = TestEnv::new(&[]).await;
    let mongo = db::connect(&env.mongo.uri).await.unwrap();
    let db = mongo.database(&env.mongo.database_name("consumer"));
    Fixture {
        inbox: Inbox::new(&db, "consumer-on-thing-change"),
        copies: Projection::new(&db, "thing_copies"),
        mongo,
    }
}

fn set(name: &str) -> Change<Named> {
    Change::Set(Named { name: name.into() })
}

fn live(version: u64, name: &str) -> Option<Replica<Named>> {
    Some(Replica::Live {
        version,
        state: Named { name: name.into() },
    })
}

impl Fixture {
    /// Delivers a fresh event (its own id) about `id` at `version`.
    async fn deliver(&self, id: &str, version: u64, change: Change<Named>) -> Projected {
        let event_id = uuid::Uuid::new_v4().to_string();
        match self.deliver_as(&event_id, id, version, change).await {
            Handled::Applied(projected) => projected,
            Handled::Duplicate => panic!("a fresh event id is no duplicate"),
        }
    }

    async fn deliver_as(
        &self,
        event_id: &str,
        id: &str,
        version: u64,
        change: Change<Named>,
    ) -> Handled<Projected> {
        let incoming = Incoming {
            event_id: event_id.to_owned(),
            correlation_id: "c".into(),
            aggregate_id: id.to_owned(),
            aggregate_version: version,
            event: (),
        };
        self.copies
            .project(&self.mongo, &self.inbox, &incoming, change)
            .await
            .unwrap()
    }

    async fn get(&self, id: &str) -> Option<Replica<Named>> {
        self.copies.get(id).await.unwrap()
    }
}

#[tokio::test]
async fn only_a_newer_version_changes_the_copy() {
    let f = fixture().await;
    assert_eq!(f.deliver("a", 2, set("two")).await, Projected::Applied);
    assert_eq!(f.deliver("a", 1, set("one")).await, Projected::Stale);
    assert_eq!(f.deliver("a", 2, set("two again")).await, Projected::Stale);
    assert_eq!(f.get("a").await, live(2, "two"));
    assert_eq!(f.deliver("a", 5, set("five")).await, Projected::Applied);
    assert_eq!(f.get("a").await, live(5, "five"));
    // Another aggregate has its own copy.
    assert_eq!(f.get("b").await, None);
}

#[tokio::test]
async fn a_redelivered_event_is_a_duplicate() {
    let f = fixture().await;
    assert_eq!(
        f.deliver_as("e1", "a", 1, set("one")).await,
        Handled::Applied(Projected::Applied)
    );
    assert_eq!(
        f.deliver_as("e1", "a", 1, set("one")).await,
        Handled::Duplicate
    );
}

#[tokio::test]
async fn a_tombstone_is_final_whenever_it_arrives() {
    let f = fixture().await;
    f.deliver("a", 1, set("one")).await;
    assert_eq!(
        f.deliver("a", 3, Change::Tombstone).await,
        Projected::Applied
    );
    assert_eq!(f.get("a").await, Some(Replica::Tombstone { version: 3 }));
    for (version, change) in [(2, set("late")), (9, set("later")), (0, set("old"))] {
        assert_eq!(
            f.deliver("a", version, change).await,
            Projected::AfterTombstone
        );
    }
    assert_eq!(
        f.deliver("a", 4, Change::Tombstone).await,
        Projected::AfterTombstone
    );
    assert_eq!(f.get("a").await, Some(Replica::Tombstone { version: 3 }));

    // First to arrive: nothing is ever created from the events before it.
    assert_eq!(
        f.deliver("b", 5, Change::Tombstone).await,
        Projected::Applied
    );
    assert_eq!(
        f.deliver("b", 1, set("one")).await,
        Projected::AfterTombstone
    );
    assert_eq!(f.get("b").await, Some(Replica::Tombstone { version: 5 }));

    // Older than the copy (cannot happen, nothing follows a completed deletion): still final,
    // keeping the highest version seen.
    f.deliver("c", 7, set("seven")).await;
    assert_eq!(
        f.deliver("c", 6, Change::Tombstone).await,
        Projected::Applied
    );
    assert_eq!(f.get("c").await, Some(Replica::Tombstone { version: 7 }));
}

#[tokio::test]
async fn version_0_is_older_than_every_numbered_version() {
    let f = fixture().await;
    // Only unnumbered events: they apply, the last to arrive wins (as before versions).
    assert_eq!(f.deliver("a", 0, set("old")).await, Projected::Applied);
    assert_eq!(f.deliver("a", 0, set("old 2")).await, Projected::Applied);
    assert_eq!(f.get("a").await, live(0, "old 2"));
    // A numbered event overrides them; an unnumbered one never overrides it.
    assert_eq!(f.deliver("a", 1, set("one")).await, Projected::Applied);
    assert_eq!(f.deliver("a", 0, set("old 3")).await, Projected::Stale);
    assert_eq!(f.get("a").await, live(1, "one"));
    // An unnumbered completion is still final.
    assert_eq!(
        f.deliver("a", 0, Change::Tombstone).await,
        Projected::Applied
    );
    assert_eq!(f.get("a").await, Some(Replica::Tombstone { version: 1 }));
}

#[tokio::test]
async fn concurrent_events_of_one_aggregate_end_at_the_newest() {
    let f = std::sync::Arc::new(fixture().await);
    let mut tasks = tokio::task::JoinSet::new();
    for version in [3u64, 8, 1, 6, 2, 7, 4, 5] {
        let f = f.clone();
        tasks.spawn(async move { f.deliver("a", version, set(&format!("v{version}"))).await });
    }
    let outcomes = tasks.join_all().await;
    assert!(outcomes.contains(&Projected::Applied), "{outcomes:?}");
    assert_eq!(f.get("a").await, live(8, "v8"));
}

#[test]
fn a_conflict_runs_the_transaction_again() {
    use streamia_shared::db::TransactionError;
    assert!(ProjectionError::Conflict("a".into()).is_transient());
    assert!(!ProjectionError::State {
        id: "a".into(),
        problem: "x".into()
    }
    .is_transient());
}
