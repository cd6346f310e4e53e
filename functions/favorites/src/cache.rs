//! The favorites' cached answers (the platform's `cache::answers`): a user's list pages, each
//! valid while neither that user's favorites nor any movie copy changed since.
//!
//! - `user:<id>` is bumped after every add, note change and removal of that user (tried even
//!   when the write failed: a write that committed and then timed out bumps too);
//! - `copies` is bumped after every movie event `favorites-on-movie-change` handles (a title,
//!   cover or status any list may show).
//!
//! A list read is then one cache round trip as long as the user changed nothing and no movie
//! changed; a lost bump leaves a list stale for at most the cache's TTL (60 s).

use bson::oid::ObjectId;
use streamia_shared::cache::answers::Key;
use streamia_shared::paging::Page;

/// The generation every movie copy change bumps.
pub const COPIES: &str = "copies";

/// The generation of `user`'s favorites.
pub fn user(user: ObjectId) -> String {
    format!("user:{user}")
}

/// `user`'s list page `page`.
pub fn list(user_id: ObjectId, page: Page) -> Key {
    Key::new(format!("list:{user_id}:{}:{}", page.number(), page.size()))
        .depends_on(user(user_id))
        .depends_on(COPIES)
}
