//! List movies: a page of the visible catalog, searched, filtered and sorted, from the cache
//! when it holds the page.

use streamia_shared::fields;
use streamia_shared::paging::{Page, PageRules, Paged};
use streamia_shared::search::SearchTerm;

use super::Ctx;
use crate::domain::{parse_category, MovieView, Sort};
use crate::error::MoviesError;
use crate::store::ListQuery;
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
    /// `search`: blank is no search.
    pub search: Option<String>,
    /// `category`: blank is no filter; upper-case letters are lower-cased like a stored
    /// category.
    pub category: Option<String>,
    /// `sort`: `newest` (default), `title` or `rating`.
    pub sort: Option<String>,
}

/// A valid list request.
#[derive(Debug, Clone)]
pub struct Command {
    /// Which page.
    pub page: Page,
    /// Filters and order.
    pub query: ListQuery,
}

/// Every parameter checked at once (each bad one named in `details`).
pub fn parse(input: Input) -> Result<Command, MoviesError> {
    let page = Page::parse(input.page.as_deref(), input.limit.as_deref(), RULES);
    let rest = fields::all((
        fields::optional("search", input.search.as_deref(), SearchTerm::parse),
        fields::optional(
            "category",
            input.category.as_deref().filter(|c| !c.trim().is_empty()),
            parse_category,
        ),
        fields::optional("sort", input.sort.as_deref(), Sort::parse),
    ));
    match (page, rest) {
        (Ok(page), Ok((search, category, sort))) => Ok(Command {
            page,
            query: ListQuery {
                search: search.flatten(),
                category,
                sort: sort.unwrap_or_default(),
            },
        }),
        (page, rest) => {
            let mut errors = page.err().map(|e| e.0).unwrap_or_default();
            errors.extend(rest.err().map(|e| e.0).unwrap_or_default());
            Err(fields::FieldErrors(errors).into())
        }
    }
}

/// The page; cached while no catalog write happened since (see `crate::cache`).
pub async fn execute(
    deps: &Deps,
    cmd: Command,
    _ctx: &Ctx,
) -> Result<Paged<MovieView>, MoviesError> {
    let page = cached_or_stored(deps, cmd).await?;
    super::playback::sign_page(deps, page).await
}

/// The page with storage keys (what the cache keeps); the caller signs them.
async fn cached_or_stored(deps: &Deps, cmd: Command) -> Result<Paged<MovieView>, MoviesError> {
    let key = cmd.query.cache_key(cmd.page);
    deps.cache
        .page(&key, || async {
            let (movies, total) = deps.movies.list(&cmd.query, cmd.page).await?;
            Ok(Paged::new(cmd.page, movies, total).map(|m| MovieView::from(&m)))
        })
        .await
}
