//! List a movie's comments (public): its visible comments, newest first, with the authors'
//! current usernames. A deleted comment that has replies stays, shown as deleted.

use bson::oid::ObjectId;
use streamia_shared::paging::{Page, PageRules, Paged};

use super::{views, visible_movie, Ctx};
use crate::domain::CommentView;
use crate::error::CommentsError;
use crate::Deps;

/// The contract's rule for this list: 10 by default, at most 50.
pub const RULES: PageRules = PageRules::new(10, 50);

/// A valid list request.
#[derive(Debug, Clone)]
pub struct Command {
    /// The movie.
    pub movie_id: ObjectId,
    /// Which page.
    pub page: Page,
}

/// Nothing to check beyond what the route parsed (the id and the page).
pub fn parse(movie_id: ObjectId, page: Page) -> Result<Command, CommentsError> {
    Ok(Command { movie_id, page })
}

/// The page; `MovieNotFound` when the movie is unknown or being deleted.
pub async fn execute(
    deps: &Deps,
    cmd: Command,
    _ctx: &Ctx,
) -> Result<Paged<CommentView>, CommentsError> {
    visible_movie(deps, cmd.movie_id).await?;
    let (comments, total) = deps.comments.public_page(cmd.movie_id, cmd.page).await?;
    let items = views(deps, &comments).await?;
    Ok(Paged::new(cmd.page, items, total))
}
