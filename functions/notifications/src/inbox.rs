//! Which events were already handled: a redelivered event must not send a second email.

use bson::{doc, DateTime};
use mongodb::{Collection, Database};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Handled {
    #[serde(rename = "_id")]
    event_id: String,
    event_name: String,
    handled_at: DateTime,
}

/// The `handled_events` collection of the notifications database.
#[derive(Clone)]
pub struct Inbox {
    handled: Collection<Handled>,
}

impl Inbox {
    /// Opens the collection.
    pub fn new(db: &Database) -> Self {
        Self {
            handled: db.collection("handled_events"),
        }
    }

    /// Whether this event was handled before.
    pub async fn seen(&self, event_id: &str) -> Result<bool, mongodb::error::Error> {
        Ok(self
            .handled
            .find_one(doc! {"_id": event_id})
            .await?
            .is_some())
    }

    /// Records a handled event (a duplicate insert means a concurrent twin got there first).
    pub async fn record(
        &self,
        event_id: &str,
        event_name: &str,
    ) -> Result<(), mongodb::error::Error> {
        let result = self
            .handled
            .insert_one(Handled {
                event_id: event_id.to_owned(),
                event_name: event_name.to_owned(),
                handled_at: DateTime::now(),
            })
            .await;
        match result {
            Err(e) if streamia_shared::db::duplicate_key_index(&e).is_some() => Ok(()),
            other => other.map(|_| ()),
        }
    }
}
