//! Delete a comment (its author or an admin). Its replies stay: the comment keeps its document
//! with `deleted: true` and no text, and stays in the public list (`listed`), shown as
//! deleted, when it has had replies (`store::CommentStore::soft_delete`).

use bson::oid::ObjectId;

use super::Caller;
use crate::error::CommentsError;
use crate::Deps;

/// Which comment.
#[derive(Debug, Clone)]
pub struct Command {
    /// Its id.
    pub id: ObjectId,
}

/// Nothing to check beyond the id the route parsed.
pub fn parse(id: ObjectId) -> Result<Command, CommentsError> {
    Ok(Command { id })
}

/// 404 for an unknown or already deleted comment, 403 for anyone but its author or an admin.
pub async fn execute(deps: &Deps, cmd: Command, caller: &Caller) -> Result<(), CommentsError> {
    let comment = deps
        .comments
        .live(cmd.id)
        .await?
        .ok_or(CommentsError::CommentNotFound)?;
    caller.require_owner_or_admin(comment.user_id)?;
    deps.comments
        .soft_delete(cmd.id)
        .await?
        .ok_or(CommentsError::CommentNotFound)?;
    tracing::info!(comment_id = %cmd.id, by_admin = caller.user_id != comment.user_id, "comment deleted");
    Ok(())
}
