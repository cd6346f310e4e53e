//! The caller's ratings, most recently set first.

use streamia_shared::paging::{Page, PageRules, Paged};

use super::Caller;
use crate::domain::RatingView;
use crate::error::RatingsError;
use crate::Deps;

/// The contract's rule for lists: 20 by default, at most 100.
pub const RULES: PageRules = PageRules::DEFAULT;

/// A valid page request.
#[derive(Debug, Clone, Copy)]
pub struct Command {
    /// Which page.
    pub page: Page,
}

/// The page the route parsed (`?page&limit` under [`RULES`]).
pub fn parse(page: Page) -> Result<Command, RatingsError> {
    Ok(Command { page })
}

/// One page of the caller's ratings (only the caller's: the query is scoped to its id),
/// newest `updatedAt` first.
pub async fn execute(
    deps: &Deps,
    cmd: Command,
    caller: &Caller,
) -> Result<Paged<RatingView>, RatingsError> {
    let (ratings, total) = deps.ratings.of_user(caller.user_id, cmd.page).await?;
    Ok(Paged::new(cmd.page, ratings, total).map(|r| RatingView::from(&r)))
}
