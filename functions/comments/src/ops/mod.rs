//! The comments service's operations, one file each, callable from any adapter (an HTTP route,
//! an SQS consumer) and from tests without HTTP types.
//!
//! Every operation has the same shape:
//! - `Input`: the raw fields as a client sends them (plain data, `deny_unknown_fields`);
//! - `parse(..) -> Result<Command, CommentsError>`: every field checked at once into a
//!   `Command` whose fields are domain values, so it cannot be invalid;
//! - `execute(&Deps, Command, &Ctx/&Caller) -> Result<Output, CommentsError>`: the work,
//!   against the service's own store and copies.

pub mod copy_user;
pub mod create;
pub mod delete;
pub mod list;
pub mod moderate;
pub mod moderation_list;
pub mod movie_deletion;
pub mod report;
pub mod update;
pub mod user_deletion;

use bson::oid::ObjectId;
use streamia_shared::events::movie_copies::MovieCopy;
pub use streamia_shared::service::{Caller, Ctx};

use crate::domain::{Comment, CommentView};
use crate::error::CommentsError;
use crate::Deps;

/// The movie `id` as the copies know it: `MovieNotFound` (with `just_created` for a young
/// id) when it is unknown or being deleted.
pub(crate) async fn visible_movie(deps: &Deps, id: ObjectId) -> Result<MovieCopy, CommentsError> {
    Ok(deps.movies.visible(&id).await??)
}

/// The views of `comments`, each with its author's current username: one query for all of
/// them (a join on the copies of users).
pub(crate) async fn views(
    deps: &Deps,
    comments: &[Comment],
) -> Result<Vec<CommentView>, CommentsError> {
    let authors: Vec<ObjectId> = comments.iter().map(|c| c.user_id).collect();
    let names = deps.users.active(&authors).await?;
    Ok(comments
        .iter()
        .map(|c| CommentView::new(c, names.get(&c.user_id).cloned()))
        .collect())
}

/// The view of one comment.
pub(crate) async fn view(deps: &Deps, comment: &Comment) -> Result<CommentView, CommentsError> {
    let mut one = views(deps, std::slice::from_ref(comment)).await?;
    one.pop().ok_or(CommentsError::CommentNotFound)
}
