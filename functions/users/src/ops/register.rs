//! Register: create an account and log it in.

use bson::oid::ObjectId;
use bson::DateTime;
use serde::Deserialize;
use streamia_shared::domain::Role;
use streamia_shared::domain::{Email, Password, Username};
use streamia_shared::fields;
use streamia_shared::i18n::Lang;
use streamia_shared::limits::ClientAction;

use super::{limit_client, Ctx};
use crate::domain::{parse_age, parse_name, User, UserStatus};
use crate::error::UsersError;
use crate::events;
use crate::sessions::{self, AuthResponse};
use crate::Deps;

/// The fields a client sends.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Input {
    /// Required.
    pub username: Option<String>,
    /// Required.
    pub email: Option<String>,
    /// Required; must meet the policy.
    pub password: Option<String>,
    /// Optional.
    pub first_name: Option<String>,
    /// Optional.
    pub last_name: Option<String>,
    /// Optional, 13-150.
    pub age: Option<i64>,
    /// Optional, `es` or `en`: the language of the user's emails. Absent: the language the
    /// request's `Accept-Language` chose.
    pub language: Option<String>,
}

/// A valid registration.
#[derive(Debug)]
pub struct Command {
    /// The handle.
    pub username: Username,
    /// The login.
    pub email: Email,
    /// The password, to hash.
    pub password: Password,
    /// Profile.
    pub first_name: Option<String>,
    /// Profile.
    pub last_name: Option<String>,
    /// Profile.
    pub age: Option<i32>,
    /// As given; `None`: the request's language (`Ctx::lang`).
    pub language: Option<Lang>,
}

/// Checks every field at once.
pub fn parse(input: Input) -> Result<Command, UsersError> {
    let (username, email, password, first_name, last_name, age, language) = fields::all((
        fields::parse("username", input.username, Username::parse),
        fields::parse("email", input.email, Email::parse),
        fields::parse("password", input.password, Password::parse),
        fields::optional("firstName", input.first_name, |v| parse_name(&v)),
        fields::optional("lastName", input.last_name, |v| parse_name(&v)),
        fields::optional("age", input.age, parse_age),
        fields::optional("language", input.language, |v| Lang::parse(&v)),
    ))?;
    Ok(Command {
        username,
        email,
        password,
        first_name,
        last_name,
        age,
        language,
    })
}

/// Creates the account, always with the role `user` (no email is verified, so none may earn a
/// role: an operator grants it with `users-set-role`) and the language the body names or else
/// the request's (`Accept-Language`, English by default), and stages `user.registered` in one
/// transaction, then starts its first session. A taken email or username is a conflict, even
/// when two registrations race (the unique indexes decide).
pub async fn execute(deps: &Deps, cmd: Command, ctx: &Ctx) -> Result<AuthResponse, UsersError> {
    limit_client(deps, ClientAction::Register, ctx).await?;
    if deps.users.by_email(cmd.email.as_str()).await?.is_some() {
        return Err(UsersError::EmailTaken);
    }
    if deps.users.username_taken(&cmd.username.canonical()).await? {
        return Err(UsersError::UsernameTaken);
    }
    let hash = deps.hasher.hash(&cmd.password).await?;
    let now = DateTime::now();
    let user = User {
        id: ObjectId::new(),
        username_lower: cmd.username.canonical(),
        username: cmd.username.as_str().to_owned(),
        email: cmd.email.as_str().to_owned(),
        password_hash: hash.0,
        first_name: cmd.first_name,
        last_name: cmd.last_name,
        age: cmd.age,
        avatar: None,
        role: Role::User,
        language: cmd.language.unwrap_or(ctx.lang),
        status: UserStatus::Active,
        deletion_saga_id: None,
        created_at: now,
        updated_at: now,
    };
    deps.outbox
        .commit(
            &ctx.correlation_id,
            (deps, &user),
            |mut tx, (deps, user)| {
                Box::pin(async move {
                    deps.users.insert(tx.session(), user).await?;
                    tx.stage(events::registered(user)).await?;
                    Ok::<_, UsersError>(())
                })
            },
        )
        .await?;
    tracing::info!(user_id = %user.id, "user registered");
    streamia_shared::metrics::count(crate::SERVICE, "UsersRegistered");
    sessions::start(deps, &user).await
}
