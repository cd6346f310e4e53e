//! The favorites' step of the user-deletion saga (`favorites-on-user-deletion`): the user's
//! favorites set aside when the deletion starts, back when it is cancelled, gone when it
//! completes. The platform's participant (`streamia_shared::saga`) does the rest: the ledger,
//! the reply through the outbox, the order of racing events.

use bson::oid::ObjectId;
use streamia_shared::events::consumer::ConsumeError;
use streamia_shared::saga::{Saga, SagaData, UserDeletion};

use crate::{cache, Deps};

/// The favorites' effects; each makes the user's cached list pages stale (the bump is also
/// tried when the write failed: it may have been applied).
pub struct Favorites<'a>(pub &'a Deps);

fn transient(e: crate::FavoritesError) -> ConsumeError {
    ConsumeError::Transient(e.to_string())
}

impl SagaData<UserDeletion> for Favorites<'_> {
    async fn set_aside(&self, saga: Saga<'_>, user: ObjectId) -> Result<(), ConsumeError> {
        let marked = self.0.favorites.set_aside_user(saga.id, user).await;
        self.0.answers.bump(&cache::user(user)).await;
        marked.map(|_| ()).map_err(transient)
    }

    async fn restore(&self, saga: Saga<'_>, user: ObjectId) -> Result<(), ConsumeError> {
        let back = self.0.favorites.restore_user(saga.id, user).await;
        self.0.answers.bump(&cache::user(user)).await;
        back.map(|_| ()).map_err(transient)
    }

    async fn purge(&self, _saga: Saga<'_>, user: ObjectId) -> Result<(), ConsumeError> {
        let gone = self.0.favorites.purge_user(user).await;
        self.0.answers.bump(&cache::user(user)).await;
        gone.map(|_| ()).map_err(transient)
    }
}
