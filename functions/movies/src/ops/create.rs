//! Create a movie (admin): the movie and its `movie.created` in one transaction.

use bson::oid::ObjectId;
use bson::DateTime;
use serde::Deserialize;
use streamia_shared::domain::parse_https_url;
use streamia_shared::fields;

use super::{after_write, Ctx};
use crate::domain::{
    parse_category, parse_description, parse_duration, parse_release_year, parse_title, Movie,
    MovieStatus, MovieView,
};
use crate::error::MoviesError;
use crate::events;
use crate::Deps;

/// The fields a client sends.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Input {
    /// 1-100 characters.
    pub title: Option<String>,
    /// At most 500 characters.
    #[serde(default)]
    pub description: Option<String>,
    /// 1-30 of `a-z`, `0-9`, `-` (upper-case letters are lower-cased).
    pub category: Option<String>,
    /// Seconds, at least 1.
    pub duration: Option<i64>,
    /// An https URL.
    #[serde(default)]
    pub cover_image: Option<String>,
    /// A year.
    #[serde(default)]
    pub release_year: Option<i64>,
}

/// A valid new movie.
#[derive(Debug, Clone)]
pub struct Command {
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// Category, lower-case.
    pub category: String,
    /// Seconds.
    pub duration: i64,
    /// Cover.
    pub cover_image: Option<String>,
    /// Year.
    pub release_year: Option<i32>,
}

/// Every field checked at once.
pub fn parse(input: Input) -> Result<Command, MoviesError> {
    let (title, description, category, duration, cover_image, release_year) = fields::all((
        fields::parse("title", input.title, parse_title),
        fields::optional("description", input.description, |d| parse_description(&d)),
        fields::parse("category", input.category, parse_category),
        fields::required("duration", input.duration)
            .and_then(|d| fields::check("duration", parse_duration(d))),
        fields::optional("coverImage", input.cover_image, |c| parse_https_url(&c)),
        fields::optional("releaseYear", input.release_year, parse_release_year),
    ))?;
    Ok(Command {
        title,
        description: description.flatten(),
        category,
        duration,
        cover_image,
        release_year,
    })
}

/// Inserts the movie and stages `movie.created` in one transaction; then the cache learns of
/// it (lists are invalidated).
pub async fn execute(deps: &Deps, cmd: Command, ctx: &Ctx) -> Result<MovieView, MoviesError> {
    let now = DateTime::now();
    let movie = Movie {
        id: ObjectId::new(),
        title_sort: cmd.title.to_lowercase(),
        title: cmd.title,
        description: cmd.description,
        category: cmd.category,
        duration: cmd.duration,
        release_year: cmd.release_year,
        cover_image: cmd.cover_image,
        video: None,
        subtitles: Vec::new(),
        rating_average: 0.0,
        rating_count: 0,
        rating_version: 0,
        status: MovieStatus::Active,
        deletion_saga_id: None,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    deps.outbox
        .commit(
            &ctx.correlation_id,
            (deps, &movie),
            |mut tx, (deps, movie)| {
                Box::pin(async move {
                    deps.movies.insert(tx.session(), movie).await?;
                    tx.stage(events::created(movie)).await?;
                    Ok::<_, MoviesError>(())
                })
            },
        )
        .await?;
    after_write(deps, &movie).await;
    Ok(MovieView::from(&movie))
}
