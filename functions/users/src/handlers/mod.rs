//! One file per route. Each exposes `handle(state, request, ctx)`; the binaries in `src/bin`
//! serve exactly one of them.

pub mod change_password;
pub mod delete_me;
pub mod forgot_password;
pub mod get_me;
pub mod health;
pub mod login;
pub mod logout;
pub mod refresh;
pub mod register;
pub mod reset_password;
pub mod update_me;

use bson::oid::ObjectId;
use streamia_shared::domain::parse_object_id;
use streamia_shared::http::{ApiError, Identity};

use crate::domain::User;
use crate::error::UsersError;
use crate::AppState;

/// The caller's account, from the identity the authorizer established.
pub(crate) async fn current_user(state: &AppState, identity: &Identity) -> Result<User, ApiError> {
    let id: ObjectId = parse_object_id(&identity.user_id)
        .map_err(|_| ApiError::unauthorized("invalid identity"))?;
    state
        .users
        .by_id(id)
        .await?
        .ok_or_else(|| UsersError::UserNotFound.into())
}
