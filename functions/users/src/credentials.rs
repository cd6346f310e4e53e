//! A new password as one unit: the new hash, the retired reset links and the ended sessions
//! commit together or not at all.
//!
//! Why a transaction rather than a per-user credentials epoch: every durable piece of the
//! change (the hash, the links, the sessions and their refresh tokens) lives in the users
//! database, which runs multi-document transactions (Atlas; SecantusDB locally), so one
//! transaction makes it atomic without a new claim in every access token or a per-user read in
//! the authorizer on every request.
//!
//! The one piece outside MongoDB is the revocation of the ended sessions' access tokens, in
//! Redis, where the authorizer looks. It is written inside the transaction, after its writes
//! and before the commit: a change that committed has always revoked them (a stolen access
//! token never outlives a password change), and a function that dies before the commit leaves
//! the password, the links and the sessions as they were; at most the other sessions were
//! logged out, which refresh honours too ([`crate::ops::refresh`] checks the same mark), until
//! the client runs the change again.

use bson::oid::ObjectId;
use streamia_shared::auth::{PasswordHash, TokenHash};

use crate::error::UsersError;
use crate::Deps;

/// The steps of a credential change, in order, where a test may cut it ([`Deps::cuts`]).
pub const STEPS: [&str; 5] = [
    RESET_TOKEN_SPENT,
    PASSWORD_SET,
    LINKS_RETIRED,
    SESSIONS_ENDED,
    ACCESS_REVOKED,
];
/// The presented reset token is spent (resets only).
pub const RESET_TOKEN_SPENT: &str = "reset token spent";
/// The new hash is written.
pub const PASSWORD_SET: &str = "password set";
/// Outstanding reset links are retired.
pub const LINKS_RETIRED: &str = "reset links retired";
/// The other sessions are revoked in MongoDB (their refresh tokens stop working).
pub const SESSIONS_ENDED: &str = "sessions ended";
/// Their access tokens are revoked in Redis (the authorizer refuses them).
pub const ACCESS_REVOKED: &str = "access tokens revoked";

/// What replaces the password.
pub(crate) struct Change<'a> {
    /// Whose.
    pub user_id: ObjectId,
    /// The new hash.
    pub hash: &'a PasswordHash,
    /// The session that stays (a password change keeps the caller's own).
    pub keep: Option<&'a str>,
    /// The reset token that authorises it, spent in the same transaction.
    pub reset_token: Option<&'a TokenHash>,
}

/// Applies `change` in one transaction (see the module's doc). `InvalidResetToken` when the
/// token was spent meanwhile, `UserNotFound` when the account stopped being active: nothing is
/// changed then.
pub(crate) async fn replace_password(deps: &Deps, change: Change<'_>) -> Result<(), UsersError> {
    streamia_shared::db::transaction(&deps.mongo, (deps, change), |session, (deps, change)| {
        Box::pin(async move {
            if let Some(token) = change.reset_token {
                if !deps.resets.consume(session, token, change.user_id).await? {
                    return Err(UsersError::InvalidResetToken);
                }
                deps.cuts.check(RESET_TOKEN_SPENT)?;
            }
            if !deps
                .users
                .set_password(session, change.user_id, &change.hash.0)
                .await?
            {
                return Err(UsersError::UserNotFound);
            }
            deps.cuts.check(PASSWORD_SET)?;
            deps.resets.retire_all(session, change.user_id).await?;
            deps.cuts.check(LINKS_RETIRED)?;
            let ended = deps
                .sessions
                .end_all(session, change.user_id, change.keep)
                .await?;
            deps.cuts.check(SESSIONS_ENDED)?;
            deps.revocations.revoke_sessions(&ended).await?;
            deps.cuts.check(ACCESS_REVOKED)?;
            Ok(())
        })
    })
    .await
}
