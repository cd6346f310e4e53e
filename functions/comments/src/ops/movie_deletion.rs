//! The comments' step of the movie-deletion saga (`comments-on-movie-deletion`): the movie's
//! comments set aside when the deletion starts, back when it is cancelled, gone (with their
//! reports) when it completes. The platform's participant (`streamia_shared::saga`) does the
//! rest.

use bson::oid::ObjectId;
use streamia_shared::events::consumer::ConsumeError;
use streamia_shared::saga::{MovieDeletion, Saga, SagaData};

use crate::store::{CommentStore, ReportStore};

/// Comments purged per round (their reports first, then them), so a movie with many comments
/// is a few bounded writes.
const PURGE_CHUNK: i64 = 500;

/// The comments' effects on one movie's comments.
pub struct MovieComments<'a>(pub &'a CommentStore, pub &'a ReportStore);

fn transient(e: crate::CommentsError) -> ConsumeError {
    ConsumeError::Transient(e.to_string())
}

impl SagaData<MovieDeletion> for MovieComments<'_> {
    async fn set_aside(&self, saga: Saga<'_>, movie: ObjectId) -> Result<(), ConsumeError> {
        self.0
            .set_aside_movie(saga.id, movie)
            .await
            .map_err(transient)
    }

    async fn restore(&self, saga: Saga<'_>, movie: ObjectId) -> Result<(), ConsumeError> {
        self.0
            .restore_movie(saga.id, movie)
            .await
            .map_err(transient)
    }

    /// Reports before their comments: a purge cut between the two finds the comments again on
    /// the redelivery, and their reports gone already.
    async fn purge(&self, _saga: Saga<'_>, movie: ObjectId) -> Result<(), ConsumeError> {
        loop {
            let ids = self
                .0
                .ids_of_movie(movie, PURGE_CHUNK)
                .await
                .map_err(transient)?;
            if ids.is_empty() {
                return Ok(());
            }
            self.1.purge_comments(&ids).await.map_err(transient)?;
            self.0.delete_ids(&ids).await.map_err(transient)?;
        }
    }
}
