//! The movie copies favorites, ratings and comments keep, against real SecantusDB: built from
//! real envelopes, newest version wins in any arrival order, `movie.deleted` hides the movie
//! from writes, a page's copies come in one query, and an unreadable event is poison.
#![cfg(feature = "testing")]

use bson::oid::ObjectId;
use serde_json::json;
use streamia_shared::db;
use streamia_shared::events::consumer::ConsumeError;
use streamia_shared::events::movie_copies::{MovieCopies, MovieCopy, UnknownMovie};
use streamia_shared::events::movies::MovieStatus;
use streamia_shared::events::{Envelope, Inbox};
use streamia_shared::testing::TestEnv;

struct Fixture {
    mongo: mongodb::Client,
    inbox: Inbox,
    copies: MovieCopies,
}

async fn fixture() -> Fixture {
    let env = TestEnv::new(&[]).await;
    let mongo = db::connect(&env.mongo.uri).await.unwrap();
    let db = mongo.database(&env.mongo.database_name("favorites"));
    Fixture {
        inbox: Inbox::new(&db, "favorites-on-movie-change"),
        copies: MovieCopies::new(&db),
        mongo,
    }
}

/// An envelope as the movies outbox publishes it.
fn envelope(name: &str, id: &ObjectId, version: u64, title: &str) -> Envelope {
    let mut payload = json!({
        "movieId": id.to_hex(), "title": title, "coverImage": null, "status": "active",
    });
    match name {
        "movie.updated" => payload["changed"] = json!(["title"]),
        "movie.deleted" => {
            payload["sagaId"] = json!("saga-1");
            payload["status"] = json!("deleting");
        }
        _ => {}
    }
    serde_json::from_value(json!({
        "eventId": uuid::Uuid::new_v4().to_string(), "eventName": name,
        "occurredAt": "2030-01-01T00:00:00.000Z", "correlationId": "c1", "source": "movies",
        "version": 1, "aggregateId": id.to_hex(), "aggregateVersion": version, "payload": payload,
    }))
    .unwrap()
}

impl Fixture {
    async fn deliver(&self, envelope: Envelope) -> Result<Option<ObjectId>, ConsumeError> {
        self.copies
            .consume(&self.mongo, &self.inbox, envelope)
            .await
    }

    async fn title(&self, id: &ObjectId) -> Result<String, UnknownMovie> {
        self.copies
            .visible(id)
            .await
            .unwrap()
            .map(|copy| copy.title)
    }
}

#[tokio::test]
async fn the_newest_title_wins_whatever_the_order_and_redeliveries() {
    let f = fixture().await;
    let id = ObjectId::new();
    let updated = envelope("movie.updated", &id, 3, "Third");
    // Each delivery names its movie (what the caller's cache drops), applied or not.
    assert_eq!(f.deliver(updated.clone()).await.unwrap(), Some(id));
    f.deliver(envelope("movie.created", &id, 1, "First"))
        .await
        .unwrap();
    f.deliver(envelope("movie.updated", &id, 2, "Second"))
        .await
        .unwrap();
    // The same delivery twice: the inbox drops it (and still names the movie).
    assert_eq!(f.deliver(updated).await.unwrap(), Some(id));
    assert_eq!(f.title(&id).await, Ok("Third".to_owned()));
}

#[tokio::test]
async fn a_deleted_movie_stays_hidden_after_a_late_update() {
    let f = fixture().await;
    let id = ObjectId::new();
    f.deliver(envelope("movie.created", &id, 1, "Gone"))
        .await
        .unwrap();
    f.deliver(envelope("movie.deleted", &id, 3, "Gone"))
        .await
        .unwrap();
    f.deliver(envelope("movie.updated", &id, 2, "Late"))
        .await
        .unwrap();
    assert_eq!(f.title(&id).await, Err(UnknownMovie::not_visible()));
    // A page still shows what it was (a favorite of it keeps its title until the saga).
    let page = f.copies.many(&[id]).await.unwrap();
    assert_eq!(
        page.get(&id),
        Some(&MovieCopy {
            title: "Gone".into(),
            cover_image: None,
            status: MovieStatus::Deleting
        })
    );
}

#[tokio::test]
async fn an_unknown_id_is_not_found_with_a_hint_only_when_young() {
    let f = fixture().await;
    assert_eq!(
        f.title(&ObjectId::new()).await,
        Err(UnknownMovie { just_created: true })
    );
    let old = ObjectId::parse_str("5f1d7f0a0000000000000000").unwrap();
    assert_eq!(
        f.title(&old).await,
        Err(UnknownMovie {
            just_created: false
        })
    );
}

#[tokio::test]
async fn a_page_of_copies_comes_in_one_query() {
    let f = fixture().await;
    let ids: Vec<ObjectId> = (0..3).map(|_| ObjectId::new()).collect();
    for (i, id) in ids.iter().enumerate() {
        f.deliver(envelope("movie.created", id, 1, &format!("Movie {i}")))
            .await
            .unwrap();
    }
    let unknown = ObjectId::new();
    let page = f
        .copies
        .many(&[ids[2], unknown, ids[0], ids[1]])
        .await
        .unwrap();
    assert_eq!(page.len(), 3);
    assert_eq!(page[&ids[0]].title, "Movie 0");
    assert_eq!(page[&ids[2]].title, "Movie 2");
    assert!(!page.contains_key(&unknown));
}

#[tokio::test]
async fn an_unreadable_event_is_poison_and_another_event_is_acknowledged() {
    let f = fixture().await;
    let id = ObjectId::new();
    let mut broken = envelope("movie.created", &id, 1, "x");
    broken.payload = json!({"movieId": id.to_hex()});
    assert!(matches!(
        f.deliver(broken).await,
        Err(ConsumeError::Poison(_))
    ));
    let mut other = envelope("movie.created", &id, 1, "x");
    other.event_name = "movie.something_else".into();
    assert_eq!(f.deliver(other).await.unwrap(), None);
    assert_eq!(f.title(&id).await, Err(UnknownMovie { just_created: true }));
}
