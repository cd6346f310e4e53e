//! Delete me: start the user-deletion saga.

use serde::{Deserialize, Serialize};
use streamia_shared::fields;

use super::{confirm_password, current_user, Caller, Ctx};
use crate::domain::UserStatus;
use crate::error::UsersError;
use crate::events::UserDeleted;
use crate::store::DeletionSaga;
use crate::{sessions, Deps};

/// The fields a client sends.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Required: the current password, to confirm.
    pub password: Option<String>,
}

/// A deletion request.
#[derive(Debug)]
pub struct Command {
    /// Whose account.
    pub caller: Caller,
    /// To confirm it is them.
    pub password: String,
}

/// What the client learns: the saga to follow.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletionStarted {
    /// The saga's id (generated here; its state is `deletion_sagas` in the users database),
    /// which every event of the saga carries beside the request's correlation id.
    pub saga_id: String,
}

/// Checks the field.
pub fn parse(caller: Caller, input: Input) -> Result<Command, UsersError> {
    let (password,) = fields::all((fields::required("password", input.password),))?;
    Ok(Command { caller, password })
}

/// Confirms the password (limited per user like login), then in ONE transaction marks the
/// account `deleting` (no more logins), records the saga (`deletion_sagas`: every step
/// pending, the deadline) and stages `user.deleted`, which starts the saga; ends
/// every session before the event is published. The answer is 202 even if SNS is down at that
/// moment: the event is committed with the mark and the relay publishes it, so there is nothing
/// to undo. If the revocation fails (Redis down: a 503), the event still goes out with the
/// relay, and a retry finishes the revocation (the branch above).
pub async fn execute(deps: &Deps, cmd: Command, ctx: &Ctx) -> Result<DeletionStarted, UsersError> {
    let user = current_user(deps, &cmd.caller).await?;
    confirm_password(deps, &user, &cmd.password).await?;
    if let (UserStatus::Deleting, Some(saga_id)) = (user.status, user.deletion_saga_id.clone()) {
        // A retry: the first answer was lost, or its session revocation failed (Redis down)
        // after the commit. The saga is under way; finish the revocation and say so again.
        sessions::revoke_all(deps, user.id, None).await?;
        return Ok(DeletionStarted { saga_id });
    }
    // The saga's id is ours, never the client's: saga state is keyed by it. The request's
    // correlation id rides along on every event of the saga as a label for logs. The event is
    // built from the account as this transaction marked it, so a profile change committed
    // since the read above cannot leave an older snapshot in the newest event.
    // Sessions end after the commit and BEFORE the event is published: by the time any
    // participant of the saga hears of the deletion, no token of the account works.
    let saga_id = uuid::Uuid::new_v4().to_string();
    let deadline = bson::DateTime::from_system_time(
        std::time::SystemTime::now() + deps.users_config.deletion_deadline,
    );
    deps.outbox
        .commit_then(
            &ctx.correlation_id,
            (deps, user.id, &saga_id),
            |mut tx, (deps, user_id, saga_id)| {
                Box::pin(async move {
                    let marked = deps
                        .users
                        .mark_deleting(tx.session(), *user_id, saga_id)
                        .await?
                        .ok_or(UsersError::AlreadyDeleting)?;
                    let saga = DeletionSaga::start(saga_id, &marked, tx.correlation_id(), deadline);
                    deps.sagas.insert(tx.session(), &saga).await?;
                    tx.stage(UserDeleted {
                        saga_id: saga_id.to_string(),
                        user_id: marked.id.to_hex(),
                        email: marked.email,
                        username: marked.username,
                        first_name: marked.first_name,
                        language: marked.language,
                    })
                    .await?;
                    Ok::<_, UsersError>(())
                })
            },
            |_| sessions::revoke_all(deps, user.id, None),
        )
        .await?;
    tracing::info!(user_id = %user.id, saga_id = %saga_id, correlation_id = %ctx.correlation_id, "user deletion started");
    Ok(DeletionStarted { saga_id })
}
