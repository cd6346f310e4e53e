//! Republish (operator only, no route: the `users-republish` function): every user's current
//! snapshot published again, so the copies other services keep (comments' usernames,
//! notifications' addresses) can be rebuilt: a service deployed after a user last changed has
//! never heard of them (a comment's `username` is null), and an event that ended in a DLQ
//! during an outage left a copy behind.
//!
//! Each user gets one event, staged through the outbox in its own transaction, so it carries
//! the user's next `aggregateVersion`: newer than anything a copy holds, so every copy applies
//! it. An active user gets `user.updated` with `changed: []` (nothing changed; the snapshot is
//! what a copy takes: no email goes out for it); a user being deleted gets `user.deleted`
//! again, with its saga's id, so copies keep the account marked as being deleted (today's
//! consumers only copy it; the saga's participants, when they come, handle a repeated
//! `user.deleted` like a redelivered one, by the saga id). The account itself is not written.
//!
//! The walk goes by `_id` and is bounded by the invocation's deadline (and an optional `limit`):
//! the answer says where it stopped (`after`) and whether anything is left (`done`), and the
//! operator invokes again with that `after`. Running it twice is harmless: copies take the
//! newer snapshot, which is the same.

use bson::oid::ObjectId;
use streamia_shared::events::{Outbox, Topic};
use streamia_shared::init::InitError;
use streamia_shared::service::{SdkConfig, Service};

use crate::domain::{User, UserStatus};
use crate::error::UsersError;
use crate::events::{self, UserDeleted};
use crate::store::UserStore;
use crate::SERVICE;

/// What the republishing needs: the accounts and the outbox. Not [`crate::Deps`]: no Redis, no
/// token settings, so the function is deployed with only its MongoDB secret and the topic.
#[derive(Clone)]
pub struct Republisher {
    /// The accounts (read only).
    pub users: UserStore,
    /// Where the snapshots go, numbered per user.
    pub outbox: Outbox,
}

impl Service for Republisher {
    /// The service's database and its events topic (required).
    type Config = streamia_shared::republish::Pieces;

    async fn build(config: Self::Config, aws: &SdkConfig) -> Result<Self, InitError> {
        let (db, outbox) =
            streamia_shared::republish::connect(config, aws, SERVICE, Topic::UserEvents).await?;
        Ok(Self {
            users: UserStore::new(&db),
            outbox,
        })
    }
}

pub use streamia_shared::republish::Output;

/// The operator function (its binary's and the template's name): `src/bin/users-republish.rs`
/// serves it with `streamia_shared::republish::serve`, which names it in its log lines.
pub const FUNCTION: &str = "users-republish";

impl streamia_shared::republish::Aggregates for Republisher {
    type Item = User;
    type Error = UsersError;

    fn id(item: &User) -> ObjectId {
        item.id
    }

    fn collection(&self) -> &mongodb::Collection<User> {
        self.users.collection()
    }

    async fn republish(&self, item: &User, correlation_id: &str) -> Result<bool, UsersError> {
        republish_one(self, item, correlation_id).await
    }
}

/// One user's snapshot, staged in its own transaction from the account as that transaction
/// reads it. False when there was nothing to republish (the account is gone, or is being
/// deleted with no saga id, which no deletion leaves).
async fn republish_one(r: &Republisher, user: &User, invocation: &str) -> Result<bool, UsersError> {
    // A deletion's repetition is labelled with its saga's id (its `sagaId` is in the payload);
    // every other event with the invocation's correlation id.
    let correlation_id = match (user.status, &user.deletion_saga_id) {
        (UserStatus::Deleting, Some(saga_id)) => saga_id.as_str(),
        _ => invocation,
    };
    r.outbox
        .commit(correlation_id, (r, user.id), |mut tx, (r, id)| {
            Box::pin(async move {
                let Some(user) = r.users.read_in(tx.session(), *id).await? else {
                    return Ok::<_, UsersError>(false);
                };
                match (user.status, &user.deletion_saga_id) {
                    (UserStatus::Active, _) => tx.stage(events::updated(&user, Vec::new())).await?,
                    (UserStatus::Deleting, Some(saga_id)) => {
                        tx.stage(UserDeleted {
                            saga_id: saga_id.clone(),
                            user_id: user.id.to_hex(),
                            email: user.email.clone(),
                            username: user.username.clone(),
                            first_name: user.first_name.clone(),
                            language: user.language,
                        })
                        .await?
                    }
                    (UserStatus::Deleting, None) => {
                        tracing::warn!(user_id = %user.id, "users-republish: a deleting account without a saga id, skipped");
                        return Ok(false);
                    }
                }
                Ok(true)
            })
        })
        .await
}
