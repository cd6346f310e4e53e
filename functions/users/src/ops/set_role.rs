//! Set role: an operator grants or takes a user's role. No client can: the function has no
//! route (`users-set-role`, invoked with `aws lambda invoke` / `sam remote invoke`, whose IAM
//! caller a CloudTrail trail with Lambda data events records: the template creates none), and
//! registration always gives `user`.
//!
//! The change, its audit record (who, why, when) and `user.role_changed` commit together; the
//! user's sessions are revoked before the event goes out, so the old role's tokens stop
//! working at once (a demoted admin's access token is refused on its next request) and the
//! next login carries the new role.

use bson::oid::ObjectId;
use bson::DateTime;
use serde::{Deserialize, Serialize};
use streamia_shared::domain::{parse_object_id, reject_invisible, Email, Invalid, Role};
use streamia_shared::fields::{self, Checked, FieldError};
use streamia_shared::i18n::{Msg, Text};
use streamia_shared::time::rfc3339;

use super::Ctx;
use crate::domain::User;
use crate::error::UsersError;
use crate::events::UserRoleChanged;
use crate::store::RoleChange;
use crate::{sessions, Deps};

/// The longest operator name kept.
const OPERATOR_MAX: usize = 100;
/// The longest reason kept.
const REASON_MAX: usize = 500;

/// The invocation's payload: the user (by id or by email, exactly one), the role, and who asks
/// and why.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Input {
    /// The user's id (24 hex), or give `email`.
    pub user_id: Option<String>,
    /// The user's email, or give `userId`.
    pub email: Option<String>,
    /// `admin` or `user`.
    pub role: Option<String>,
    /// The operator's name, recorded with the change.
    pub operator: Option<String>,
    /// Why, recorded with the change.
    pub reason: Option<String>,
}

/// Whose role changes.
#[derive(Debug, Clone)]
pub enum Target {
    /// By id.
    Id(ObjectId),
    /// By (normalised) email.
    Email(Email),
}

/// A valid request.
#[derive(Debug)]
pub struct Command {
    /// Whose role.
    pub target: Target,
    /// The role from now on.
    pub role: Role,
    /// Who asks (trimmed, 1-100 characters, nothing invisible).
    pub operator: String,
    /// Why (trimmed, 1-500 characters, nothing invisible).
    pub reason: String,
}

/// What the operator gets back (the invocation's result).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    /// The user.
    pub user_id: String,
    /// The user's email, so the operator sees whom they changed.
    pub email: String,
    /// The role now.
    pub role: Role,
    /// The role before.
    pub previous_role: Role,
    /// False when the user already had the role (nothing recorded or announced).
    pub changed: bool,
    /// How many live sessions were revoked.
    pub sessions_revoked: usize,
    /// When (RFC 3339).
    pub changed_at: String,
}

/// A recorded text: trimmed, 1 to `max` characters, no control or invisible characters.
fn recorded_text(raw: &str, max: usize) -> Result<String, Invalid> {
    let text = raw.trim();
    match text.chars().count() {
        0 => return Err(Msg::FieldRequired.into()),
        n if n > max => return Err(Text::new(Msg::FieldMaxChars).arg("max", max).into()),
        _ => {}
    }
    if text.chars().any(char::is_control) {
        return Err(Msg::FieldControlChars.into());
    }
    reject_invisible(text)?;
    Ok(text.to_owned())
}

/// The user, by id or by email: exactly one of them.
fn target(user_id: Option<String>, email: Option<String>) -> Checked<Target> {
    match (user_id, email) {
        (Some(id), None) => fields::check("userId", parse_object_id(&id)).map(Target::Id),
        (None, Some(email)) => fields::check("email", Email::parse(&email)).map(Target::Email),
        (Some(_), Some(_)) => Err(FieldError::new("userId", Msg::FieldUserIdOrEmailNotBoth)),
        (None, None) => Err(FieldError::new("userId", Msg::FieldUserIdOrEmailRequired)),
    }
}

/// Checks every field at once.
pub fn parse(input: Input) -> Result<Command, UsersError> {
    let (target, role, operator, reason) = fields::all((
        target(input.user_id, input.email),
        fields::parse("role", input.role, |r| {
            r.parse::<Role>()
                .map_err(|()| Invalid::from(Msg::FieldRole))
        }),
        fields::parse("operator", input.operator, |v| {
            recorded_text(v, OPERATOR_MAX)
        }),
        fields::parse("reason", input.reason, |v| recorded_text(v, REASON_MAX)),
    ))?;
    Ok(Command {
        target,
        role,
        operator,
        reason,
    })
}

async fn find(deps: &Deps, target: &Target) -> Result<User, UsersError> {
    match target {
        Target::Id(id) => deps.users.by_id(*id).await?,
        Target::Email(email) => deps.users.by_email(email.as_str()).await?,
    }
    .ok_or(UsersError::UserNotFound)
}

/// Gives the user the role, records who did it and why, and stages `user.role_changed`, in one
/// transaction; then revokes every session of the user before the event is published. When
/// the user already has the role nothing is recorded or announced, but the sessions are still
/// revoked: a retry of an invocation whose revocation failed (Redis down, after the commit)
/// finishes the job, as does running it again by hand.
pub async fn execute(deps: &Deps, cmd: Command, ctx: &Ctx) -> Result<Output, UsersError> {
    let user = find(deps, &cmd.target).await?;
    let changed_at = DateTime::now();
    let revoked = std::sync::atomic::AtomicUsize::new(0);
    let previous = deps
        .outbox
        .commit_then(
            &ctx.correlation_id,
            (deps, user.id, &cmd, changed_at, ctx),
            |mut tx, (deps, id, cmd, changed_at, ctx)| {
                Box::pin(async move {
                    let before = deps
                        .users
                        .set_role(tx.session(), *id, cmd.role)
                        .await?
                        .ok_or(UsersError::UserNotFound)?;
                    if before.role == cmd.role {
                        return Ok::<_, UsersError>(before.role);
                    }
                    let change = RoleChange {
                        id: ObjectId::new(),
                        user_id: *id,
                        role: cmd.role,
                        previous_role: before.role,
                        operator: cmd.operator.clone(),
                        reason: cmd.reason.clone(),
                        changed_at: *changed_at,
                        correlation_id: ctx.correlation_id.clone(),
                    };
                    deps.role_changes.record(tx.session(), &change).await?;
                    tx.stage(UserRoleChanged {
                        user_id: id.to_hex(),
                        role: cmd.role,
                        previous_role: before.role,
                    })
                    .await?;
                    Ok(before.role)
                })
            },
            |_| async {
                let ids = deps.sessions.live_sessions(user.id, None).await?;
                sessions::revoke(deps, &ids).await?;
                revoked.store(ids.len(), std::sync::atomic::Ordering::Relaxed);
                Ok(())
            },
        )
        .await?;
    let output = Output {
        user_id: user.id.to_hex(),
        email: user.email,
        role: cmd.role,
        previous_role: previous,
        changed: previous != cmd.role,
        sessions_revoked: revoked.into_inner(),
        changed_at: rfc3339(changed_at),
    };
    tracing::info!(
        user_id = %output.user_id,
        role = cmd.role.as_str(),
        previous_role = previous.as_str(),
        changed = output.changed,
        sessions_revoked = output.sessions_revoked,
        operator = %cmd.operator,
        reason = %cmd.reason,
        correlation_id = %ctx.correlation_id,
        "role set by an operator"
    );
    Ok(output)
}
