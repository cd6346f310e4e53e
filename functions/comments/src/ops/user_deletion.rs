//! The comments' step of the user-deletion saga (`comments-on-user-deletion`): the user's
//! comments set aside when the deletion starts (out of the public list, moderation and every
//! route), back when it is cancelled, gone when it completes. The platform's participant
//! (`streamia_shared::saga`) does the rest.

use bson::oid::ObjectId;
use streamia_shared::events::consumer::ConsumeError;
use streamia_shared::saga::{Saga, SagaData, UserDeletion};

use crate::store::{CommentStore, ReportStore};

/// The comments' effects (the reports the user wrote go with the purge).
pub struct Comments<'a>(pub &'a CommentStore, pub &'a ReportStore);

fn transient(e: crate::CommentsError) -> ConsumeError {
    ConsumeError::Transient(e.to_string())
}

impl SagaData<UserDeletion> for Comments<'_> {
    async fn set_aside(&self, saga: Saga<'_>, user: ObjectId) -> Result<(), ConsumeError> {
        self.0
            .set_aside_user(saga.id, user)
            .await
            .map_err(transient)
    }

    async fn restore(&self, saga: Saga<'_>, user: ObjectId) -> Result<(), ConsumeError> {
        self.0.restore_user(saga.id, user).await.map_err(transient)
    }

    async fn purge(&self, _saga: Saga<'_>, user: ObjectId) -> Result<(), ConsumeError> {
        self.0.purge_user(user).await.map_err(transient)?;
        self.1.purge_user(user).await.map_err(transient)
    }
}
