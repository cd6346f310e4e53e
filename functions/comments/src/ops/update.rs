//! Edit a comment (its author only, not even an admin): new text, marked edited.

use bson::oid::ObjectId;
use serde::Deserialize;
use streamia_shared::fields;

use super::{view, Caller};
use crate::domain::{parse_text, CommentView};
use crate::error::CommentsError;
use crate::Deps;

/// The fields a client sends.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Input {
    /// 1-500 characters after trimming.
    pub text: Option<String>,
}

/// A valid edit.
#[derive(Debug, Clone)]
pub struct Command {
    /// The comment.
    pub id: ObjectId,
    /// Trimmed text.
    pub text: String,
}

/// Every field checked at once.
pub fn parse(id: ObjectId, input: Input) -> Result<Command, CommentsError> {
    let (text,) = fields::all((fields::parse("text", input.text, parse_text),))?;
    Ok(Command { id, text })
}

/// 404 for an unknown or deleted comment, 403 for anyone but its author, else the edit.
pub async fn execute(
    deps: &Deps,
    cmd: Command,
    caller: &Caller,
) -> Result<CommentView, CommentsError> {
    let comment = deps
        .comments
        .live(cmd.id)
        .await?
        .ok_or(CommentsError::CommentNotFound)?;
    caller.require_owner(comment.user_id)?;
    let edited = deps
        .comments
        .edit(cmd.id, &cmd.text)
        .await?
        .ok_or(CommentsError::CommentNotFound)?;
    view(deps, &edited).await
}
