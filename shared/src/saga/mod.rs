//! The participants' side of the choreographed sagas: what favorites, ratings and comments do
//! with a user's or a movie's data when its deletion starts, is cancelled or completes, the
//! same way in each service and for both sagas ([`Deletion`]: [`UserDeletion`],
//! [`MovieDeletion`]).
//!
//! A participant *sets aside* (reversibly: out of every read, still stored) the data of the
//! saga's subject when the saga starts and replies on its own topic, through its outbox
//! (`user.deletion_step_done`, or `..._failed` when it cannot for good); it *restores* it when
//! the saga is cancelled and *purges* it when the saga completes. Its ledger
//! ([`ledger::Ledger`], `saga_steps` in its own database) remembers, per saga id, that the saga
//! ended and how, so a start redelivered after the end (a redrive from a dead-letter queue, a
//! late duplicate) changes nothing.
//!
//! The service brings only the three effects on its own collections ([`SagaData`]);
//! [`Participant::consume`] does the rest: parsing, the ledger, the reply, the order in which
//! a start and an end racing each other still end right.

pub mod fault;
pub mod ledger;
pub mod owner;
mod participant;
pub mod status;

pub use fault::SagaFault;
pub use participant::{
    Deletion, MovieDeletion, Participant, Phase, Saga, SagaData, Step, UserDeletion,
};

/// The field a participant marks a document with (the saga's id) while a user-deletion saga
/// has set it aside: a document with it is out of every read until the saga is cancelled
/// (the field is removed) or completes (the document is deleted).
pub const ASIDE_BY_USER: &str = "asideByUser";

/// The field a participant marks a document with while a movie-deletion saga has set it
/// aside (see [`ASIDE_BY_USER`]). A document may carry both marks (a user's favorite of a
/// movie, both being deleted): each saga removes only its own, and it stays out of the reads
/// until neither is left.
pub const ASIDE_BY_MOVIE: &str = "asideByMovie";

/// `filter` narrowed to the documents no saga has set aside: every read of a participant's
/// collections goes through it (`{..., asideByUser: null}` also matches a missing field).
pub fn visible(mut filter: bson::Document) -> bson::Document {
    filter.insert(ASIDE_BY_USER, bson::Bson::Null);
    filter.insert(ASIDE_BY_MOVIE, bson::Bson::Null);
    filter
}

/// [`set_aside`] for a movie-deletion saga.
pub fn set_aside_movie(saga: &str) -> bson::Document {
    bson::doc! {"$set": {ASIDE_BY_MOVIE: saga}}
}

/// [`bring_back`] for a movie-deletion saga.
pub fn bring_back_movie() -> bson::Document {
    bson::doc! {"$unset": {ASIDE_BY_MOVIE: ""}}
}

/// [`set_aside_by`] for a movie-deletion saga.
pub fn set_aside_by_movie(mut filter: bson::Document, saga: &str) -> bson::Document {
    filter.insert(ASIDE_BY_MOVIE, saga);
    filter
}

/// The update that sets aside a user's documents for `saga`, and the one that brings back
/// those `saga` set aside (for `updateMany`, with the user's filter and, for the restore,
/// [`set_aside_by`]'s).
pub fn set_aside(saga: &str) -> bson::Document {
    bson::doc! {"$set": {ASIDE_BY_USER: saga}}
}

/// The update that brings a document back (see [`set_aside`]).
pub fn bring_back() -> bson::Document {
    bson::doc! {"$unset": {ASIDE_BY_USER: ""}}
}

/// `filter` narrowed to the documents `saga` set aside (a newer saga's marks stay).
pub fn set_aside_by(mut filter: bson::Document, saga: &str) -> bson::Document {
    filter.insert(ASIDE_BY_USER, saga);
    filter
}
