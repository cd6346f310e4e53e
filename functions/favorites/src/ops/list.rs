//! List the caller's favorites: a page, newest first, each with its movie's current title and
//! cover.

use streamia_shared::paging::{Page, PageRules, Paged};

use super::Caller;
use crate::domain::FavoriteView;
use crate::error::FavoritesError;
use crate::Deps;

/// The contract's rule for lists: 20 by default, at most 100.
pub const RULES: PageRules = PageRules::DEFAULT;

/// The raw query parameters (`None`: absent).
#[derive(Debug, Default, Clone)]
pub struct Input {
    /// `page`.
    pub page: Option<String>,
    /// `limit`.
    pub limit: Option<String>,
}

/// A valid list request.
#[derive(Debug, Clone, Copy)]
pub struct Command {
    /// Which page.
    pub page: Page,
}

/// The page parameters checked (each bad one named in `details`).
pub fn parse(input: Input) -> Result<Command, FavoritesError> {
    let page = Page::parse(input.page.as_deref(), input.limit.as_deref(), RULES)?;
    Ok(Command { page })
}

/// Three queries, no transaction, at most two at once: the count beside the page followed by
/// the page's movie copies in one `$in` (so the answer waits for the slower of the count and
/// page + copies, not for their sum). A favorite whose copy is missing shows `title: null`.
pub async fn execute(
    deps: &Deps,
    cmd: Command,
    caller: &Caller,
) -> Result<Paged<FavoriteView>, FavoritesError> {
    let page_with_copies = async {
        let favorites = deps.favorites.page(caller.user_id, cmd.page).await?;
        let ids: Vec<_> = favorites.iter().map(|f| f.movie_id).collect();
        let copies = match ids.is_empty() {
            true => Default::default(),
            false => deps.copies.many(&ids).await?,
        };
        Ok::<_, FavoritesError>((favorites, copies))
    };
    let (total, (favorites, copies)) =
        tokio::try_join!(deps.favorites.count(caller.user_id), page_with_copies)?;
    Ok(Paged::new(cmd.page, favorites, total)
        .map(|f| FavoriteView::new(&f, copies.get(&f.movie_id))))
}
