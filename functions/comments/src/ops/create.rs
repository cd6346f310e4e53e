//! Post a comment (signed in): on a movie the copies know, optionally as a reply to a visible
//! comment of the same movie, within the author's hourly limit.

use bson::oid::ObjectId;
use serde::Deserialize;
use streamia_shared::domain::parse_object_id;
use streamia_shared::fields;

use super::{view, visible_movie, Caller};
use crate::domain::{parse_text, Comment, CommentView};
use crate::error::CommentsError;
use crate::limits::Action;
use crate::Deps;

/// The fields a client sends.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Input {
    /// The movie's id.
    pub movie_id: Option<String>,
    /// 1-500 characters after trimming.
    pub text: Option<String>,
    /// The comment it answers.
    #[serde(default)]
    pub parent_id: Option<String>,
}

/// A valid new comment.
#[derive(Debug, Clone)]
pub struct Command {
    /// The movie.
    pub movie_id: ObjectId,
    /// Trimmed text.
    pub text: String,
    /// The comment it answers.
    pub parent_id: Option<ObjectId>,
}

/// Every field checked at once.
pub fn parse(input: Input) -> Result<Command, CommentsError> {
    let (movie_id, text, parent_id) = fields::all((
        fields::parse("movieId", input.movie_id, parse_object_id),
        fields::parse("text", input.text, parse_text),
        fields::optional("parentId", input.parent_id, |p| parse_object_id(&p)),
    ))?;
    Ok(Command {
        movie_id,
        text,
        parent_id,
    })
}

/// Checks the movie (404 `MOVIE_NOT_FOUND`, `Retry-After: 1` for a young id), counts the
/// comment against the caller's hourly limit (429 `RATE_LIMITED`), then inserts it. A reply is
/// first counted on its parent, which must be a visible, live comment of the same movie (404
/// `COMMENT_NOT_FOUND` otherwise), in one atomic update that also keeps the parent listed if
/// it is deleted later ([`crate::store::CommentStore::mark_replied`]).
///
/// No transaction: each step is one single-document write, and a transaction would make
/// concurrent replies to one popular comment conflict and retry on it. Should the insert fail
/// after the count, the parent counts one reply too many, whose only effect is that it stays
/// listed (shown as deleted) if deleted.
pub async fn execute(
    deps: &Deps,
    cmd: Command,
    caller: &Caller,
) -> Result<CommentView, CommentsError> {
    visible_movie(deps, cmd.movie_id).await?;
    // Counted once the movie is known: a client told to retry a young movie id (404 with
    // Retry-After: 1) does not spend its hourly budget on the retries.
    deps.limits()?
        .check(Action::Comment, &caller.user_id)
        .await?;
    let comment = Comment::new(cmd.movie_id, caller.user_id, cmd.text, cmd.parent_id);
    if let Some(parent) = comment.parent_id {
        if !deps.comments.mark_replied(parent, comment.movie_id).await? {
            return Err(CommentsError::CommentNotFound);
        }
    }
    deps.comments.insert(&comment).await?;
    streamia_shared::metrics::count(crate::SERVICE, "CommentsPosted");
    view(deps, &comment).await
}
