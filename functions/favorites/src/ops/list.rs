//! List the caller's favorites: a page, newest first, each with its movie's current title and
//! cover.

use streamia_shared::paging::{Page, PageRules, Paged};

use super::Caller;
use crate::cache;
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

/// The cached answer while current (see `crate::cache`: one cache round trip); otherwise, and
/// whenever the cache does not answer, from MongoDB.
pub async fn execute(
    deps: &Deps,
    cmd: Command,
    caller: &Caller,
) -> Result<Paged<FavoriteView>, FavoritesError> {
    deps.answers
        .cached(&cache::list(caller.user_id, cmd.page), || {
            from_database(deps, cmd, caller)
        })
        .await
}

/// At most three queries, no transaction: the page (with one more favorite, to know whether
/// the list goes on), then the page's movie copies in one `$in`, beside a count only when the
/// list goes on past this page or the page is past its end (`Page::total_from`): a list of one
/// page, the commonest, takes two queries. A favorite whose copy is missing shows
/// `title: null`.
async fn from_database(
    deps: &Deps,
    cmd: Command,
    caller: &Caller,
) -> Result<Paged<FavoriteView>, FavoritesError> {
    let mut favorites = deps.favorites.page(caller.user_id, cmd.page).await?;
    let known_total = cmd.page.total_from(favorites.len());
    favorites.truncate(usize::try_from(cmd.page.limit()).unwrap_or(usize::MAX));
    let ids: Vec<_> = favorites.iter().map(|f| f.movie_id).collect();
    let copies = async {
        match ids.is_empty() {
            true => Ok(Default::default()),
            false => deps.copies.many(&ids).await.map_err(FavoritesError::from),
        }
    };
    let total = async {
        match known_total {
            Some(total) => Ok(total),
            None => deps.favorites.count(caller.user_id).await,
        }
    };
    let (copies, total) = tokio::try_join!(copies, total)?;
    Ok(Paged::new(cmd.page, favorites, total)
        .map(|f| FavoriteView::new(&f, copies.get(&f.movie_id))))
}
