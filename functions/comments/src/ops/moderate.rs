//! An admin's decision on a comment: `approve` (visible again, its count of reports since
//! approval back to 0; the reports stay, so their authors cannot report the same text again,
//! and three new reporters, or earlier ones reporting an edited text, flag it again) or `hide`
//! (out of the public list; its author can no longer edit it).

use bson::oid::ObjectId;
use serde::Deserialize;
use streamia_shared::fields;

use super::{view, Caller};
use crate::domain::{CommentView, ModerationAction};
use crate::error::CommentsError;
use crate::Deps;

/// The fields a client sends.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Input {
    /// `approve` or `hide`.
    pub action: Option<String>,
}

/// A valid decision.
#[derive(Debug, Clone)]
pub struct Command {
    /// The comment.
    pub id: ObjectId,
    /// What to do.
    pub action: ModerationAction,
}

/// Every field checked at once.
pub fn parse(id: ObjectId, input: Input) -> Result<Command, CommentsError> {
    let (action,) = fields::all((fields::parse(
        "action",
        input.action,
        ModerationAction::parse,
    ),))?;
    Ok(Command { id, action })
}

/// The comment after the decision; 404 for an unknown or deleted comment.
pub async fn execute(
    deps: &Deps,
    cmd: Command,
    caller: &Caller,
) -> Result<CommentView, CommentsError> {
    let changed = match cmd.action {
        ModerationAction::Approve => deps.comments.approve(cmd.id).await?,
        ModerationAction::Hide => deps.comments.hide(cmd.id).await?,
    }
    .ok_or(CommentsError::CommentNotFound)?;
    tracing::info!(comment_id = %cmd.id, admin = %caller.user_id, action = ?cmd.action, "comment moderated");
    view(deps, &changed).await
}
