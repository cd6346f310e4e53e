//! What a comment is, the values a client may set on one (parsed once, at the edge), and the
//! service's copy of each author's username.

mod comment;
mod user_name;

pub use comment::{
    parse_reason, parse_text, Comment, CommentStatus, CommentView, ModerationAction,
    MAX_REASON_CHARS, MAX_TEXT_CHARS,
};
pub use user_name::{UserName, UserNameStatus, UserNames, USER_COPIES};
