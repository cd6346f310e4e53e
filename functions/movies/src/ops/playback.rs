//! What viewers get instead of storage keys: short-lived signed URLs (the storage is private).
//! Movies are cached with their keys (stable); every answer signs them on its way out.

use streamia_shared::paging::Paged;

use crate::domain::{MovieView, SubtitleView};
use crate::error::MoviesError;
use crate::Deps;

/// `view` with its video and subtitle keys turned into signed playback URLs. A function
/// deployed without media settings shows neither (never a bare key).
pub async fn sign(deps: &Deps, mut view: MovieView) -> Result<MovieView, MoviesError> {
    let Some((storage, _)) = &deps.media else {
        if view.video_url.is_some() || !view.subtitles.is_empty() {
            tracing::error!(movie = %view.id, "no media settings: video and subtitles left out");
        }
        view.video_url = None;
        view.subtitles.clear();
        return Ok(view);
    };
    if let Some(key) = view.video_url.take() {
        view.video_url = Some(storage.playback_url(&key).await?);
    }
    for subtitle in &mut view.subtitles {
        subtitle.url = storage.playback_url(&subtitle.url).await?;
    }
    Ok(view)
}

/// Every movie of a page, signed.
pub async fn sign_page(
    deps: &Deps,
    page: Paged<MovieView>,
) -> Result<Paged<MovieView>, MoviesError> {
    let mut items = Vec::with_capacity(page.items.len());
    for view in page.items {
        items.push(sign(deps, view).await?);
    }
    Ok(Paged { items, ..page })
}

/// One subtitle track, signed.
pub async fn sign_subtitle(
    deps: &Deps,
    mut subtitle: SubtitleView,
) -> Result<SubtitleView, MoviesError> {
    let (storage, _) = deps.media()?;
    subtitle.url = storage.playback_url(&subtitle.url).await?;
    Ok(subtitle)
}
