//! Edit a comment (its author only, not even an admin): new text, marked edited, a new text
//! version (which earlier reporters may report). Refused while the comment is flagged or
//! hidden: moderators decide on the text that was reported, and a hidden comment must not come
//! back changed by its author.

use bson::oid::ObjectId;
use serde::Deserialize;
use streamia_shared::fields;

use super::{view, Caller};
use crate::domain::{parse_text, CommentStatus, CommentView};
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

/// 404 for an unknown or deleted comment, 403 for anyone but its author, 409
/// `COMMENT_UNDER_MODERATION` while it is flagged or hidden, else the edit.
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
    if comment.status != CommentStatus::Visible {
        return Err(CommentsError::UnderModeration);
    }
    match deps.comments.edit(cmd.id, &cmd.text).await? {
        Some(edited) => view(deps, &edited).await,
        // Flagged, hidden or deleted since the read above: say which.
        None => match deps.comments.live(cmd.id).await? {
            Some(_) => Err(CommentsError::UnderModeration),
            None => Err(CommentsError::CommentNotFound),
        },
    }
}
