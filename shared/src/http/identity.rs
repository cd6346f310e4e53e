//! Who is calling, as the API Gateway authorizer established it.
//!
//! Protected functions never look at the bearer token themselves: the authorizer verified it
//! and put the identity into the request context, which API Gateway alone can write.

use super::ApiError;
use crate::domain::Role;
use crate::i18n::Msg;
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};

/// The caller of a protected route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The user's id (ObjectId hex).
    pub user_id: String,
    /// The user's email when the token was issued.
    pub email: String,
    /// The user's role when the token was issued.
    pub role: Role,
    /// The access token's id, so logout can revoke exactly this token.
    pub token_id: String,
    /// The session (refresh-token family) the token belongs to.
    pub session_id: String,
    /// When the access token expires (Unix seconds).
    pub expires_at: i64,
}

impl Identity {
    /// Names of the authorizer context keys; the authorizer writes them, functions read them.
    pub const USER_ID: &'static str = "userId";
    /// See [`Identity::USER_ID`].
    pub const EMAIL: &'static str = "email";
    /// See [`Identity::USER_ID`].
    pub const ROLE: &'static str = "role";
    /// See [`Identity::USER_ID`].
    pub const TOKEN_ID: &'static str = "tokenId";
    /// See [`Identity::USER_ID`].
    pub const SESSION_ID: &'static str = "sessionId";
    /// See [`Identity::USER_ID`].
    pub const EXPIRES_AT: &'static str = "expiresAt";

    /// Reads the identity from the request's authorizer context; 401 when there is none, which
    /// only happens if a route was wired without the authorizer.
    pub fn from_request(req: &Request) -> Result<Self, ApiError> {
        let missing = || ApiError::unauthorized(Msg::AuthenticationRequired);
        let Some(RequestContext::ApiGatewayV1(ctx)) = req.request_context_ref() else {
            return Err(missing());
        };
        let fields = &ctx.authorizer.fields;
        let text = |key: &str| -> Option<String> {
            match fields.get(key)? {
                serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
                serde_json::Value::Number(n) => Some(n.to_string()),
                _ => None,
            }
        };
        Ok(Self {
            user_id: text(Self::USER_ID).ok_or_else(missing)?,
            email: text(Self::EMAIL).ok_or_else(missing)?,
            role: text(Self::ROLE)
                .and_then(|r| r.parse().ok())
                .ok_or_else(missing)?,
            token_id: text(Self::TOKEN_ID).ok_or_else(missing)?,
            session_id: text(Self::SESSION_ID).ok_or_else(missing)?,
            expires_at: text(Self::EXPIRES_AT)
                .and_then(|e| e.parse().ok())
                .ok_or_else(missing)?,
        })
    }

    /// The identity an access token proves.
    pub fn from_claims(claims: &crate::auth::AccessClaims) -> Self {
        Self {
            user_id: claims.sub.clone(),
            email: claims.email.clone(),
            role: claims.role,
            token_id: claims.jti.clone(),
            session_id: claims.sid.clone(),
            expires_at: claims.exp,
        }
    }

    /// The authorizer context API Gateway passes to functions (string values only, as API
    /// Gateway requires).
    pub fn to_context(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut map = serde_json::Map::new();
        let mut put = |k: &str, v: String| {
            map.insert(k.to_owned(), serde_json::Value::String(v));
        };
        put(Self::USER_ID, self.user_id.clone());
        put(Self::EMAIL, self.email.clone());
        put(Self::ROLE, self.role.as_str().to_owned());
        put(Self::TOKEN_ID, self.token_id.clone());
        put(Self::SESSION_ID, self.session_id.clone());
        put(Self::EXPIRES_AT, self.expires_at.to_string());
        map
    }
}
