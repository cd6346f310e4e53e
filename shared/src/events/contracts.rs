//! The event contracts: every event type of the platform, by name and version, with the check
//! its checked-in example must pass.
//!
//! Each event type has ONE typed definition here in the platform crate (`users.rs`, ...) and
//! one JSON example per version in `shared/events/examples/<eventName>.v<version>.json`, a
//! complete envelope. The platform's tests hold every example to its type (parses, and
//! serializes back to the same JSON: no field the type would drop); every consumer's tests
//! parse every example of every event its queue subscribes to. So a producer that changes a
//! payload must change the type, which breaks the example, whose fix breaks each consumer
//! that does not follow.

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::favorites::FavoriteMovieRemoved;
use super::movies::{
    MovieCreated, MovieDeleted, MovieDeletionCancelled, MovieDeletionCompleted, MovieUpdated,
    MovieVideoUploaded,
};
use super::ratings::RatingChanged;
use super::sagas::{
    MovieDeletionStepDone, MovieDeletionStepFailed, UserDeletionStepDone, UserDeletionStepFailed,
};
use super::users::{
    PasswordResetRequested, UserDeleted, UserDeletionCancelled, UserDeletionCompleted,
    UserRegistered, UserRoleChanged, UserUpdated,
};
use super::{Envelope, Event};

/// One event type at one version.
#[derive(Debug, Clone, Copy)]
pub struct Contract {
    /// `eventName`.
    pub name: &'static str,
    /// Payload version.
    pub version: u32,
    check: fn(&str) -> Result<(), String>,
}

impl Contract {
    /// Whether `json` (a whole envelope) is an instance of this contract: it parses into the
    /// typed envelope, carries this name and version, and serializes back to the same JSON.
    pub fn check(&self, json: &str) -> Result<(), String> {
        (self.check)(json)
    }

    /// `<eventName>.v<version>.json`, the example's file name.
    pub fn example_file_name(&self) -> String {
        format!("{}.v{}.json", self.name, self.version)
    }
}

const fn contract<P: Event + Serialize + DeserializeOwned>() -> Contract {
    Contract {
        name: P::NAME,
        version: P::VERSION,
        check: check::<P>,
    }
}

fn check<P: Event + Serialize + DeserializeOwned>(json: &str) -> Result<(), String> {
    let raw: serde_json::Value =
        serde_json::from_str(json).map_err(|e| format!("not JSON: {e}"))?;
    let typed: Envelope<P> =
        serde_json::from_value(raw.clone()).map_err(|e| format!("does not parse: {e}"))?;
    if typed.event_name != P::NAME || typed.version != P::VERSION {
        return Err(format!(
            "is {} v{}, expected {} v{}",
            typed.event_name,
            typed.version,
            P::NAME,
            P::VERSION
        ));
    }
    let back = serde_json::to_value(&typed).map_err(|e| e.to_string())?;
    if back != raw {
        return Err(format!(
            "does not round-trip (a field unknown to the type, or a missing optional one):\n  example {raw}\n  typed   {back}"
        ));
    }
    Ok(())
}

/// Every event contract of the platform. Adding an event type means adding it here and its
/// example file; the platform test checks both exist.
pub const ALL: &[Contract] = &[
    contract::<UserRegistered>(),
    contract::<UserUpdated>(),
    contract::<PasswordResetRequested>(),
    contract::<UserDeleted>(),
    contract::<UserDeletionCancelled>(),
    contract::<UserDeletionCompleted>(),
    contract::<UserRoleChanged>(),
    contract::<UserDeletionStepDone>(),
    contract::<UserDeletionStepFailed>(),
    contract::<MovieCreated>(),
    contract::<MovieUpdated>(),
    contract::<MovieDeleted>(),
    contract::<MovieVideoUploaded>(),
    contract::<MovieDeletionCancelled>(),
    contract::<MovieDeletionCompleted>(),
    contract::<MovieDeletionStepDone>(),
    contract::<MovieDeletionStepFailed>(),
    contract::<RatingChanged>(),
    contract::<FavoriteMovieRemoved>(),
];

/// The contract of an event name at a version, if the platform defines it.
pub fn find(name: &str, version: u32) -> Option<&'static Contract> {
    ALL.iter().find(|c| c.name == name && c.version == version)
}
