//! What every service's operations share, whichever adapter calls them: the context of the
//! work ([`Ctx`]), who asks ([`Caller`]), and how a service's dependencies are built once per
//! container ([`Service`]). No HTTP or SQS type appears here, so an operation written against
//! these runs the same from a route, a consumer or a test.

use std::future::Future;

pub use aws_config::SdkConfig;
use bson::oid::ObjectId;

use crate::config::Load;
use crate::domain::Role;
use crate::i18n::{Lang, Msg, Text};
use crate::init::InitError;

/// What an operation knows about the request or event that caused it.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// Follows the request into every event it causes, and every log line.
    pub correlation_id: String,
    /// The client's address as API Gateway saw it (`requestContext.identity.sourceIp`, which a
    /// client cannot forge with a header), for limits per client; `None` for work no client
    /// asked for directly (an event, a test calling an operation).
    pub client_ip: Option<String>,
    /// The language the client reads (its `Accept-Language`; English for work no client asked
    /// for): the answer's, and a new account's when the body names none.
    pub lang: Lang,
}

impl Ctx {
    /// The context of work correlated by `correlation_id`.
    pub fn new(correlation_id: impl Into<String>) -> Self {
        Self {
            correlation_id: correlation_id.into(),
            client_ip: None,
            lang: Lang::default(),
        }
    }

    /// The same context, for a client reading `lang`.
    pub fn in_lang(mut self, lang: Lang) -> Self {
        self.lang = lang;
        self
    }

    /// The same context, for a request from `ip`.
    pub fn from_client(mut self, ip: impl Into<String>) -> Self {
        self.client_ip = Some(ip.into());
        self
    }
}

/// The signed-in user an operation acts for, as the authorizer established it: the platform
/// builds it (and refuses the request when it cannot) before a `user` or `admin` route runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The account.
    pub user_id: ObjectId,
    /// The role the access token carried when it was issued (the authorizer checks the token and
    /// its session against revocations, not the role: a role change must revoke the sessions).
    pub role: Role,
    /// The session the access token belongs to.
    pub session_id: String,
    /// The access token's id.
    pub token_id: String,
    /// When the access token expires (Unix seconds).
    pub expires_at: i64,
}

/// The caller may not do this (403): not an admin, or not the owner of what it touches. The
/// message is a catalogue key, rendered in the reader's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forbidden(pub Msg);

impl std::error::Error for Forbidden {}

/// English, for logs.
impl std::fmt::Display for Forbidden {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        Text::new(self.0).fmt(f)
    }
}

/// An unknown resource (a 404): an operation says it in one line, `found.ok_or(MOVIE)?` with
/// `const MOVIE: NotFound = NotFound::new("MOVIE_NOT_FOUND", Msg::MovieNotFound)`. A deleted
/// (or being deleted) resource answers the same as one that never existed. It holds the machine
/// code the client gets (`NOT_FOUND` unless the contract names a specific one, such as
/// `MOVIE_NOT_FOUND`) and the catalogue message that says what was not found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotFound {
    /// The envelope's `error` code.
    pub code: &'static str,
    /// What the reader is told (`Msg::UserNotFound`: "user not found").
    pub message: Msg,
}

impl std::error::Error for NotFound {}

/// English, for logs.
impl std::fmt::Display for NotFound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        Text::new(self.message).fmt(f)
    }
}

impl NotFound {
    /// The contract's generic code for a 404.
    pub const CODE: &'static str = "NOT_FOUND";

    /// An unknown thing, told with `message`, answered with the contract's specific `code`.
    pub const fn new(code: &'static str, message: Msg) -> Self {
        Self { code, message }
    }

    /// An unknown thing, told with `message`, answered with the generic `NOT_FOUND`.
    pub const fn of(message: Msg) -> Self {
        Self::new(Self::CODE, message)
    }
}

impl Caller {
    /// Whether the caller is an administrator.
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// For "owner or admin" routes (deleting a comment): the caller owns the thing (`owner` is
    /// its author's id) or is an admin. Checked by the operation, which alone knows the owner.
    pub fn require_owner_or_admin(&self, owner: ObjectId) -> Result<(), Forbidden> {
        match self.user_id == owner || self.is_admin() {
            true => Ok(()),
            false => Err(Forbidden(Msg::OwnerOrAdminOnly)),
        }
    }

    /// For "owner only" routes (editing a comment): even an admin may not speak for a user.
    pub fn require_owner(&self, owner: ObjectId) -> Result<(), Forbidden> {
        match self.user_id == owner {
            true => Ok(()),
            false => Err(Forbidden(Msg::OwnerOnly)),
        }
    }
}

/// A service's dependencies (clients, stores, settings), built once per container and shared
/// by every invocation. The platform's entry points (`http::serve`, `events::consumer::serve`)
/// build it through one cold-start prelude, so a service writes only what it holds.
///
/// Building opens no connection: MongoDB and Redis connect on first use, so a dependency that
/// is down at cold start makes requests answer 503 instead of failing the init.
pub trait Service: Sized + Send + Sync + 'static {
    /// The configuration pieces its functions load (a tuple of [`Load`] pieces, loaded together
    /// so one failed cold start names every problem). `infra/checks` reads the same type to
    /// hold `template.yaml` to what the functions read.
    type Config: Load;

    /// Builds the dependencies from loaded settings; `aws` is the SDK configuration (region,
    /// endpoint, credentials) for its AWS clients.
    fn build(
        config: Self::Config,
        aws: &SdkConfig,
    ) -> impl Future<Output = Result<Self, InitError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(role: Role) -> Caller {
        Caller {
            user_id: ObjectId::new(),
            role,
            session_id: "s".into(),
            token_id: "t".into(),
            expires_at: 0,
        }
    }

    #[test]
    fn says_what_was_not_found() {
        let err = NotFound::new("USER_NOT_FOUND", Msg::UserNotFound);
        assert_eq!(err.to_string(), "user not found");
        assert_eq!(NotFound::of(Msg::NotFound).code, "NOT_FOUND");
    }

    #[test]
    fn owner_checks() {
        let user = caller(Role::User);
        let admin = caller(Role::Admin);
        let other = ObjectId::new();
        assert!(user.require_owner_or_admin(user.user_id).is_ok());
        assert!(user.require_owner_or_admin(other).is_err());
        assert!(admin.require_owner_or_admin(other).is_ok());
        assert!(admin.require_owner(other).is_err());
        assert!(user.require_owner(user.user_id).is_ok());
    }
}
