//! The copy of each user (`notifications-on-user-change`) on real MongoDB: the events of a
//! user's life delivered in any order end in the state their in-order delivery gives, and a
//! redelivery changes nothing.

mod common;

use common::*;
use streamia_notifications::adapters::sqs;
use streamia_notifications::copies::{CopyStatus, UserCopy};
use streamia_notifications::deps::CopyDeps;
use streamia_notifications::events;
use streamia_notifications::ops::copy_user;
use streamia_shared::events::consumer::ConsumeError;
use streamia_shared::events::consumer::{process_batch, Budget};
use streamia_shared::events::users::{
    UserDeleted, UserDeletionCancelled, UserDeletionCompleted, UserRegistered, UserUpdated,
};
use streamia_shared::events::{Change, Envelope, Event, Handled, Projected, Replica};
use streamia_shared::i18n::Lang;

/// An event of `user`'s life at aggregate `version`, as the consumer receives it.
fn at<P: Event>(version: u64, payload: P) -> Envelope {
    let mut envelope = Envelope::new("users", "saga-1", payload);
    envelope.aggregate_version = version;
    untyped(&envelope)
}

fn new_user() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..24].to_owned()
}

/// The language of profile `n`: it changes with the profile, so every order below also
/// proves the copy ends in the newest language.
fn language(n: u32) -> Lang {
    match n % 2 {
        1 => Lang::Es,
        _ => Lang::En,
    }
}

fn copy(username: &str, email: &str, first_name: &str, n: u32, status: CopyStatus) -> UserCopy {
    UserCopy {
        username: username.into(),
        email: email.into(),
        first_name: Some(first_name.into()),
        language: language(n),
        status,
    }
}

fn registered(user: &str, version: u64) -> Envelope {
    at(
        version,
        UserRegistered {
            user_id: user.into(),
            email: "ana@example.com".into(),
            username: "ana".into(),
            first_name: Some("Ana".into()),
            language: Lang::Es,
        },
    )
}

/// `user.updated` to the profile `n` (1, 2, ...).
fn updated(user: &str, version: u64, n: u32) -> Envelope {
    at(
        version,
        UserUpdated {
            user_id: user.into(),
            username: format!("ana_{n}"),
            email: format!("ana{n}@example.com"),
            first_name: Some(format!("Ana {n}")),
            last_name: None,
            avatar: None,
            changed: vec!["username".into(), "email".into(), "firstName".into()],
            language: language(n),
        },
    )
}

/// The profile `updated(_, _, n)` leaves, with `status`.
fn profile(n: u32, status: CopyStatus) -> UserCopy {
    copy(
        &format!("ana_{n}"),
        &format!("ana{n}@example.com"),
        &format!("Ana {n}"),
        n,
        status,
    )
}

/// `user.deleted`, carrying the profile `n`.
fn deleted(user: &str, version: u64, n: u32) -> Envelope {
    at(
        version,
        UserDeleted {
            saga_id: "saga-1".into(),
            user_id: user.into(),
            email: format!("ana{n}@example.com"),
            username: format!("ana_{n}"),
            first_name: Some(format!("Ana {n}")),
            language: language(n),
        },
    )
}

fn deletion_cancelled(user: &str, version: u64, n: u32) -> Envelope {
    at(
        version,
        UserDeletionCancelled {
            saga_id: "saga-1".into(),
            user_id: user.into(),
            email: format!("ana{n}@example.com"),
            username: format!("ana_{n}"),
            first_name: Some(format!("Ana {n}")),
            language: language(n),
        },
    )
}

fn deletion_completed(user: &str, version: u64) -> Envelope {
    at(
        version,
        UserDeletionCompleted {
            saga_id: "saga-1".into(),
            user_id: user.into(),
        },
    )
}

/// Delivers one envelope to the consumer's op, as the SQS adapter does.
/// Delivers `envelope` as SQS does: a delivery that fails for a passing reason (a write
/// conflict that outlived the transaction's retries, on a machine running 600 transactions at
/// once) comes back; a poison one is a test failure.
///
/// `user.deletion_completed` is not the copies consumer's: the user-events consumer ends the
/// copy (a tombstone, through the same projection) after the "account deleted" email, as here.
async fn deliver(deps: &CopyDeps, envelope: &Envelope) -> Handled<Projected> {
    if envelope.event_name == UserDeletionCompleted::NAME {
        assert!(events::parse_change(envelope.clone()).unwrap().is_none());
        let incoming = events::parse(envelope.clone()).unwrap().unwrap();
        return deps
            .copies
            .project(&deps.mongo, &deps.inbox, &incoming, Change::Tombstone)
            .await
            .unwrap();
    }
    let incoming = events::parse_change(envelope.clone()).unwrap().unwrap();
    let mut redeliveries = 0;
    loop {
        match copy_user::execute(deps, &incoming)
            .await
            .map_err(ConsumeError::from)
        {
            Ok(handled) => return handled,
            Err(ConsumeError::Transient(_)) if redeliveries < 5 => redeliveries += 1,
            Err(e) => panic!("delivery failed: {e}"),
        }
    }
}

async fn stored(deps: &CopyDeps, user: &str) -> Option<Replica<UserCopy>> {
    deps.copies.get(user).await.unwrap()
}

/// Every order of `0..n`: each order of `0..n-1` with `n-1` inserted at every place.
fn permutations(n: usize) -> Vec<Vec<usize>> {
    let Some(last) = n.checked_sub(1) else {
        return vec![Vec::new()];
    };
    let mut out = Vec::new();
    for shorter in permutations(last) {
        for place in 0..=shorter.len() {
            let mut order = shorter.clone();
            order.insert(place, last);
            out.push(order);
        }
    }
    out
}

/// A life: `events(user)` is the user's events in version order.
async fn deliver_in_every_order(
    deps: &'static CopyDeps,
    events: fn(&str) -> Vec<Envelope>,
) -> Vec<(Vec<usize>, Option<Replica<UserCopy>>)> {
    let orders = permutations(events("probe").len());
    let mut tasks = tokio::task::JoinSet::new();
    for order in orders {
        tasks.spawn(async move {
            let user = new_user();
            let life = events(&user);
            for &i in &order {
                deliver(deps, &life[i]).await;
            }
            (order, stored(deps, &user).await)
        });
    }
    tasks.join_all().await
}

fn life_ending_in_deletion(user: &str) -> Vec<Envelope> {
    vec![
        registered(user, 1),
        updated(user, 2, 2),
        updated(user, 3, 3),
        deleted(user, 4, 3),
        deletion_completed(user, 5),
    ]
}

#[tokio::test]
async fn a_life_ending_in_deletion_delivered_in_reverse_ends_in_a_tombstone() {
    let deps = copy_deps().await;
    let user = new_user();
    let mut life = life_ending_in_deletion(&user);
    life.reverse();
    let mut outcomes = Vec::new();
    for event in &life {
        outcomes.push(deliver(deps, event).await);
    }
    // The completion arrived first: a tombstone at once, which nothing after it undoes.
    assert_eq!(
        outcomes,
        [
            Handled::Applied(Projected::Applied),
            Handled::Applied(Projected::AfterTombstone),
            Handled::Applied(Projected::AfterTombstone),
            Handled::Applied(Projected::AfterTombstone),
            Handled::Applied(Projected::AfterTombstone),
        ]
    );
    assert_eq!(
        stored(deps, &user).await,
        Some(Replica::Tombstone { version: 5 })
    );
}

#[tokio::test]
async fn a_life_ending_in_deletion_in_every_order_ends_in_a_tombstone() {
    let deps = copy_deps().await;
    let results = deliver_in_every_order(deps, life_ending_in_deletion).await;
    assert_eq!(results.len(), 120);
    for (order, copy) in results {
        assert_eq!(
            copy,
            Some(Replica::Tombstone { version: 5 }),
            "order {order:?}"
        );
    }
}

#[tokio::test]
async fn a_life_without_deletion_in_every_order_ends_at_the_newest_state() {
    let deps = copy_deps().await;
    fn life(user: &str) -> Vec<Envelope> {
        vec![
            registered(user, 1),
            updated(user, 2, 2),
            updated(user, 3, 3),
        ]
    }
    let results = deliver_in_every_order(deps, life).await;
    assert_eq!(results.len(), 6);
    assert!(
        results.iter().any(|(order, _)| *order == [2, 1, 0]),
        "reverse"
    );
    for (order, copy) in results {
        assert_eq!(
            copy,
            Some(Replica::Live {
                version: 3,
                state: profile(3, CopyStatus::Active)
            }),
            "order {order:?}"
        );
    }
}

#[tokio::test]
async fn a_cancelled_deletion_in_every_order_ends_active_at_the_newest_state() {
    let deps = copy_deps().await;
    fn life(user: &str) -> Vec<Envelope> {
        vec![
            registered(user, 1),
            updated(user, 2, 2),
            updated(user, 3, 3),
            deleted(user, 4, 3),
            deletion_cancelled(user, 5, 3),
        ]
    }
    let results = deliver_in_every_order(deps, life).await;
    assert_eq!(results.len(), 120);
    for (order, copy) in results {
        assert_eq!(
            copy,
            Some(Replica::Live {
                version: 5,
                state: profile(3, CopyStatus::Active)
            }),
            "order {order:?}"
        );
    }
}

#[tokio::test]
async fn an_older_update_after_a_newer_one_changes_nothing() {
    let deps = copy_deps().await;
    let user = new_user();
    deliver(deps, &registered(&user, 1)).await;
    deliver(deps, &updated(&user, 3, 3)).await;
    assert_eq!(
        deliver(deps, &updated(&user, 2, 2)).await,
        Handled::Applied(Projected::Stale)
    );
    assert_eq!(
        stored(deps, &user).await,
        Some(Replica::Live {
            version: 3,
            state: profile(3, CopyStatus::Active)
        })
    );
}

#[tokio::test]
async fn a_deletion_then_its_cancellation_leaves_the_copy_active() {
    let deps = copy_deps().await;
    let user = new_user();
    deliver(deps, &registered(&user, 1)).await;
    deliver(deps, &updated(&user, 2, 2)).await;
    deliver(deps, &deleted(&user, 3, 2)).await;
    // Being deleted: the copy is kept (the saga may still be undone), marked.
    assert_eq!(
        stored(deps, &user).await,
        Some(Replica::Live {
            version: 3,
            state: profile(2, CopyStatus::Deleting)
        })
    );
    deliver(deps, &deletion_cancelled(&user, 4, 2)).await;
    assert_eq!(
        stored(deps, &user).await,
        Some(Replica::Live {
            version: 4,
            state: profile(2, CopyStatus::Active)
        })
    );
}

#[tokio::test]
async fn after_a_completed_deletion_no_event_brings_the_user_back() {
    let deps = copy_deps().await;
    let user = new_user();
    deliver(deps, &registered(&user, 1)).await;
    deliver(deps, &deletion_completed(&user, 3)).await;
    // Late, older events, and even one numbered after the completion: nothing comes back.
    for late in [
        deleted(&user, 2, 1),
        updated(&user, 2, 2),
        registered(&user, 0),
        deletion_cancelled(&user, 9, 1),
    ] {
        assert_eq!(
            deliver(deps, &late).await,
            Handled::Applied(Projected::AfterTombstone)
        );
    }
    assert_eq!(
        stored(deps, &user).await,
        Some(Replica::Tombstone { version: 3 })
    );
}

#[tokio::test]
async fn a_redelivery_of_each_event_changes_nothing() {
    let deps = copy_deps().await;
    let user = new_user();
    let life = [
        registered(&user, 1),
        updated(&user, 2, 2),
        deleted(&user, 3, 2),
        deletion_cancelled(&user, 4, 2),
        updated(&user, 5, 5),
    ];
    for event in &life {
        assert_eq!(
            deliver(deps, event).await,
            Handled::Applied(Projected::Applied)
        );
    }
    let newest = stored(deps, &user).await;
    for event in &life {
        assert_eq!(deliver(deps, event).await, Handled::Duplicate);
    }
    assert_eq!(stored(deps, &user).await, newest);
    // The same event delivered four times at once: one applies it.
    let other = new_user();
    let event = registered(&other, 1);
    let (a, b, c, d) = tokio::join!(
        deliver(deps, &event),
        deliver(deps, &event),
        deliver(deps, &event),
        deliver(deps, &event),
    );
    let outcomes = [a, b, c, d];
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| **o == Handled::Applied(Projected::Applied))
            .count(),
        1,
        "{outcomes:?}"
    );
    assert!(outcomes
        .iter()
        .all(|o| matches!(o, Handled::Applied(Projected::Applied) | Handled::Duplicate)));
}

#[tokio::test]
async fn the_sqs_adapter_applies_the_batch_and_reports_only_the_unreadable_records() {
    let deps = copy_deps().await;
    let user = new_user();
    let mut future = serde_json::to_value(deleted(&user, 4, 3)).unwrap();
    future["version"] = serde_json::json!(2);
    let not_subscribed = untyped(&reset(&unique_email()));
    let body = |e: &Envelope| serde_json::to_string(e).unwrap();
    let event = sqs_event(&[
        ("m1", body(&updated(&user, 3, 3))),
        ("m2", body(&registered(&user, 1))),
        ("v2", future.to_string()),
        ("reset", body(&not_subscribed)),
        ("m3", "not an envelope".into()),
    ]);
    let response =
        process_batch(event, Budget::unlimited(), |e| sqs::on_user_change(deps, e)).await;
    assert_eq!(failed(&response), ["v2", "m3"]);
    assert_eq!(
        stored(deps, &user).await,
        Some(Replica::Live {
            version: 3,
            state: profile(3, CopyStatus::Active)
        })
    );
}
