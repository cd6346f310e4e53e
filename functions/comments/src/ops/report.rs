//! Report a comment (signed in, not its author): one report per user and version of its text,
//! ever (an edit makes a new version, which earlier reporters may report). At [`FLAG_AT`]
//! distinct reporters since its creation or last approval, a visible comment becomes `flagged`
//! and leaves the public list until an admin decides.
//!
//! Reports of an earlier text keep counting after an edit: they were valid reports of what
//! the author chose to write, and an author must not clear pending reports by editing. A user
//! who reported several versions in one round counts once, so the count stays the number of
//! distinct reporters since the last approval, and three distinct reporters of the current
//! text always flag it.
//!
//! Exact under concurrency: the report (unique per user, comment and text version), the count
//! on the comment and the flag are one transaction, which reads the comment's text version and
//! round in its snapshot. Concurrent reports of one comment, and an edit or approval during a
//! counted report, write the same document, so all but one conflict and run again on what is
//! then stored (the platform's transaction helper): each reporter is counted once per round,
//! and the conditional flag (only a `visible` comment with at least `FLAG_AT` reports) changes
//! the status once.

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
/// against the caller's hourly limit (429 `RATE_LIMITED`), a second report of the same text
/// version by the same user is 409 `ALREADY_REPORTED` (even after an approval), and otherwise
/// it is recorded and, if the caller is a new reporter in this round, counted, flagging the
/// comment at [`FLAG_AT`].
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
                let comment = deps
                    .comments
                    .live_in(session, cmd.id)
                    .await?
                    .filter(|c| c.status != CommentStatus::Hidden)
                    .ok_or(CommentsError::CommentNotFound)?;
                deps.reports
                    .insert(session, &comment, *user, cmd.reason.clone())
                    .await?;
                if deps
                    .reports
                    .counted_in_round(session, &comment, *user)
                    .await?
                {
                    return Ok(false);
                }
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
