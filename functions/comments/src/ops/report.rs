//! Report a comment (signed in, not its author): one report per user and comment, ever. At
//! [`FLAG_AT`] distinct reporters since its creation or last approval, a visible comment
//! becomes `flagged` and leaves the public list until an admin decides.
//!
//! Exact under concurrency: the report (unique per user and comment), the count on the
//! comment and the flag are one transaction. Concurrent reports of one comment write the same
//! document, so all but one conflict and run again on what is then stored (the platform's
//! transaction helper): each report is counted once, and the conditional flag (only a
//! `visible` comment with at least `FLAG_AT` reports) changes the status once.

use bson::oid::ObjectId;
use serde::{Deserialize, Serialize};
use streamia_shared::fields;

use super::Caller;
use crate::domain::{parse_reason, CommentStatus};
use crate::error::CommentsError;
use crate::limits::Action;
use crate::Deps;

/// Distinct reporters (since the last approval) that flag a comment.
pub const FLAG_AT: i64 = 3;

/// The fields a client sends (the body is optional).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Input {
    /// At most 200 characters; blank is none.
    #[serde(default)]
    pub reason: Option<String>,
}

/// A valid report.
#[derive(Debug, Clone)]
pub struct Command {
    /// The comment.
    pub id: ObjectId,
    /// Why, if said.
    pub reason: Option<String>,
}

/// Every field checked at once.
pub fn parse(id: ObjectId, input: Input) -> Result<Command, CommentsError> {
    let (reason,) = fields::all((fields::optional("reason", input.reason, |r| {
        parse_reason(&r)
    }),))?;
    Ok(Command {
        id,
        reason: reason.flatten(),
    })
}

/// What a report answers (202): which comment was reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reported {
    /// The comment's id.
    pub comment_id: String,
}

/// 404 for an unknown, deleted or hidden comment, 403 for its author; then the report counts
/// against the caller's hourly limit (429 `RATE_LIMITED`), a second report by the same user is
/// 409 `ALREADY_REPORTED` (even after an approval), and otherwise it is recorded and counted,
/// flagging the comment at [`FLAG_AT`].
pub async fn execute(
    deps: &Deps,
    cmd: Command,
    caller: &Caller,
) -> Result<Reported, CommentsError> {
    let comment = deps
        .comments
        .live(cmd.id)
        .await?
        .filter(|c| c.status != CommentStatus::Hidden)
        .ok_or(CommentsError::CommentNotFound)?;
    if comment.user_id == caller.user_id {
        return Err(CommentsError::OwnComment);
    }
    deps.limits()?
        .check(Action::Report, &caller.user_id)
        .await?;
    let flagged = streamia_shared::db::transaction(
        &deps.mongo,
        (deps, &cmd, caller.user_id),
        |session, (deps, cmd, user)| {
            Box::pin(async move {
                deps.reports
                    .insert(session, cmd.id, *user, cmd.reason.clone())
                    .await?;
                let counted = deps
                    .comments
                    .count_report(session, cmd.id)
                    .await?
                    .ok_or(CommentsError::CommentNotFound)?;
                if counted.status == CommentStatus::Visible && counted.report_count >= FLAG_AT {
                    return Ok(deps
                        .comments
                        .flag(session, cmd.id, FLAG_AT)
                        .await?
                        .is_some());
                }
                Ok::<_, CommentsError>(false)
            })
        },
    )
    .await?;
    if flagged {
        tracing::info!(comment_id = %cmd.id, "comment flagged by reports");
    }
    Ok(Reported {
        comment_id: cmd.id.to_hex(),
    })
}
