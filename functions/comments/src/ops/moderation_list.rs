//! The moderation queue (admin): live comments in one moderation state (`flagged` by
//! default), most recently changed first, with their authors' usernames.

use streamia_shared::fields;
use streamia_shared::i18n::{Msg, Text};
use streamia_shared::paging::{Page, PageRules, Paged};

use super::{views, Ctx};
use crate::domain::{CommentStatus, CommentView};
use crate::error::CommentsError;
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
    /// `status`: `flagged` (default) or `hidden`.
    pub status: Option<String>,
}

/// A valid moderation list request.
#[derive(Debug, Clone)]
pub struct Command {
    /// Which state.
    pub status: CommentStatus,
    /// Which page.
    pub page: Page,
}

fn parse_status(raw: &str) -> Result<CommentStatus, streamia_shared::domain::Invalid> {
    match raw {
        "flagged" => Ok(CommentStatus::Flagged),
        "hidden" => Ok(CommentStatus::Hidden),
        _ => Err(Text::new(Msg::FieldOneOf)
            .arg("values", "flagged, hidden")
            .into()),
    }
}

/// Every parameter checked at once (each bad one named in `details`).
pub fn parse(input: Input) -> Result<Command, CommentsError> {
    let page = Page::parse(input.page.as_deref(), input.limit.as_deref(), RULES);
    let status = fields::all((fields::optional(
        "status",
        input.status.as_deref(),
        parse_status,
    ),));
    match (page, status) {
        (Ok(page), Ok((status,))) => Ok(Command {
            status: status.unwrap_or(CommentStatus::Flagged),
            page,
        }),
        (page, status) => {
            let mut errors = page.err().map(|e| e.0).unwrap_or_default();
            errors.extend(status.err().map(|e| e.0).unwrap_or_default());
            Err(fields::FieldErrors(errors).into())
        }
    }
}

/// The page.
pub async fn execute(
    deps: &Deps,
    cmd: Command,
    _ctx: &Ctx,
) -> Result<Paged<CommentView>, CommentsError> {
    let (comments, total) = deps.comments.moderation_page(cmd.status, cmd.page).await?;
    let items = views(deps, &comments).await?;
    Ok(Paged::new(cmd.page, items, total))
}
