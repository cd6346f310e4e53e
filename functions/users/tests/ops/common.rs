//! The harness: `Deps` on this test's slice of the real services, and helpers that go through
//! the operations the way an adapter does.

use serde_json::Value;
use streamia_shared::auth::TokenVerifier;
use streamia_shared::testing::TestEnv;
use streamia_users::ops::{self, Caller, Ctx};
use streamia_users::sessions::AuthResponse;
use streamia_users::Deps;

pub const PASSWORD: &str = "Secret123";

pub struct Fixture {
    pub env: TestEnv,
    pub deps: Deps,
    /// The authorizer's verifier (public keys only).
    pub verifier: TokenVerifier,
}

pub fn ctx() -> Ctx {
    Ctx::new(uuid::Uuid::new_v4().to_string())
}

/// Another function instance on the same services: its own clients and connections.
pub async fn instance(env: &TestEnv) -> Deps {
    env.service().await
}

impl Fixture {
    pub async fn new() -> Self {
        Self::with(&[]).await
    }

    pub async fn with(overrides: &[(&str, &str)]) -> Self {
        let env = TestEnv::new(overrides).await;
        let deps = instance(&env).await;
        streamia_users::store::create_indexes(deps.db.clone())
            .await
            .expect("indexes (is MongoDB running?)");
        let verifier = env.verifier();
        Self {
            env,
            deps,
            verifier,
        }
    }

    /// The caller an access token proves, as the authorizer would establish it.
    pub async fn caller(&self, auth: &AuthResponse) -> Caller {
        let claims = self
            .verifier
            .verify(&auth.access_token)
            .await
            .expect("access token");
        Caller {
            user_id: bson::oid::ObjectId::parse_str(&claims.sub).expect("user id"),
            role: claims.role,
            session_id: claims.sid,
            token_id: claims.jti,
            expires_at: claims.exp,
        }
    }

    pub async fn register(&self, username: &str, email: &str) -> AuthResponse {
        let cmd = ops::register::parse(ops::register::Input {
            username: Some(username.into()),
            email: Some(email.into()),
            password: Some(PASSWORD.into()),
            ..Default::default()
        })
        .expect("valid registration");
        ops::register::execute(&self.deps, cmd, &ctx())
            .await
            .expect("registered")
    }

    /// A fresh user: its first token pair, caller and view.
    pub async fn user(&self) -> (AuthResponse, Caller, Value) {
        let n = &uuid::Uuid::new_v4().simple().to_string()[..10];
        let auth = self
            .register(&format!("user_{n}"), &format!("{n}@example.com"))
            .await;
        let caller = self.caller(&auth).await;
        let view = serde_json::to_value(&auth.user).unwrap();
        (auth, caller, view)
    }

    pub async fn login(
        &self,
        deps: &Deps,
        email: &str,
        password: &str,
    ) -> Result<AuthResponse, streamia_users::UsersError> {
        let cmd = ops::login::parse(ops::login::Input {
            email: Some(email.into()),
            password: Some(password.into()),
        })?;
        ops::login::execute(deps, cmd, &ctx()).await
    }

    pub async fn refresh(&self, token: &str) -> Result<AuthResponse, streamia_users::UsersError> {
        let cmd = ops::refresh::parse(ops::refresh::Input {
            refresh_token: Some(token.into()),
        })?;
        ops::refresh::execute(&self.deps, cmd, &ctx()).await
    }

    /// Whether the authorizer would let this access token through.
    pub async fn authorized(&self, access: &str) -> bool {
        streamia_shared::auth::authorize(
            &self.verifier,
            &self.deps.revocations,
            Some(&format!("Bearer {access}")),
        )
        .await
        .is_ok()
    }

    /// A collection of this test's database, to read or age what is stored.
    pub fn collection(&self, name: &str) -> mongodb::Collection<bson::Document> {
        self.deps.db.collection(name)
    }
}
