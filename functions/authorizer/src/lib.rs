//! The API Gateway (REST) Lambda authorizer.
//!
//! API Gateway calls it with the `Authorization` header of every protected request (TOKEN
//! authorizer, never cached: `ReauthorizeEvery: 0` in template.yaml, so a token revoked by a
//! logout is refused on the very next request). It verifies the JWT against the public key
//! set (it holds no private key; a `kid` it does not know makes it read the set again, so a
//! rotation needs no restart) and checks Redis for
//! revocation, then answers an IAM policy allowing the whole API plus the caller's identity as
//! context, which API Gateway hands to the function. Functions never parse tokens themselves.

use serde::{Deserialize, Serialize};
use streamia_shared::auth::keys::KeySource;
use streamia_shared::auth::{authorize, AuthorizeError, Revocations, TokenVerifier};
use streamia_shared::config::{PublicKeysConfig, RedisConfig, TokenConfig};
use streamia_shared::init::InitError;
use streamia_shared::service::{SdkConfig, Service};

/// Clients built once per container.
pub struct State {
    verifier: TokenVerifier,
    revocations: Revocations,
}

/// The authorizer needs the public keys, token settings and Redis, nothing else (no private
/// key, no MongoDB, no topics).
impl Service for State {
    type Config = (TokenConfig, PublicKeysConfig, RedisConfig);

    async fn build(
        (tokens, public, redis): (TokenConfig, PublicKeysConfig, RedisConfig),
        aws: &SdkConfig,
    ) -> Result<Self, InitError> {
        let connection = streamia_shared::cache::connect(&redis).await?;
        // An unknown `kid` reads the set again from its secret (a key staged since start).
        let source = public
            .keys
            .secret_id
            .map(|id| KeySource::secrets_manager(aws, &id));
        let verifier = TokenVerifier::new(&tokens, &public.keys.keys, source)
            .map_err(|e| InitError::Keys(e.to_string()))?;
        Ok(Self {
            verifier,
            revocations: Revocations::new(
                connection,
                &redis.key_prefix,
                tokens.access_ttl.as_secs(),
            ),
        })
    }
}

/// The TOKEN authorizer event.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenAuthorizerEvent {
    /// `TOKEN`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// The `Authorization` header value.
    #[serde(default)]
    pub authorization_token: Option<String>,
    /// `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{method}/{path}`.
    #[serde(default)]
    pub method_arn: Option<String>,
}

/// What API Gateway expects back.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizerResponse {
    /// The user id.
    pub principal_id: String,
    /// Allow on the whole API: stays right for every route of this token should the result
    /// cache (off today, `ReauthorizeEvery: 0`) ever be turned on.
    pub policy_document: PolicyDocument,
    /// The identity, read by functions from `requestContext.authorizer`.
    pub context: serde_json::Map<String, serde_json::Value>,
}

/// An IAM policy document.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyDocument {
    /// `2012-10-17`.
    pub version: String,
    /// One statement.
    pub statement: Vec<Statement>,
}

/// One IAM statement.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Statement {
    /// `execute-api:Invoke`.
    pub action: String,
    /// `Allow`.
    pub effect: String,
    /// The API's ARN with `*/*` for stage-wide access.
    pub resource: String,
}

/// Why the request is not let through.
#[derive(Debug, thiserror::Error)]
pub enum AuthorizerError {
    /// API Gateway turns exactly this message into a 401.
    #[error("Unauthorized")]
    Unauthorized,
    /// Revocation could not be checked: fail closed (the gateway maps this to 503).
    #[error("authorizer dependency unavailable")]
    Unavailable,
}

/// The Lambda error API Gateway reads: the message `Unauthorized` means 401, anything else is
/// an authorizer failure.
impl From<AuthorizerError> for lambda_runtime::Diagnostic {
    fn from(err: AuthorizerError) -> Self {
        lambda_runtime::Diagnostic {
            error_type: match err {
                AuthorizerError::Unauthorized => "Unauthorized",
                AuthorizerError::Unavailable => "Unavailable",
            }
            .to_owned(),
            error_message: err.to_string(),
        }
    }
}

/// Decides one request.
pub async fn handle(
    state: &State,
    event: TokenAuthorizerEvent,
) -> Result<AuthorizerResponse, AuthorizerError> {
    let identity = match authorize(
        &state.verifier,
        &state.revocations,
        event.authorization_token.as_deref(),
    )
    .await
    {
        Ok(identity) => identity,
        Err(AuthorizeError::Unauthorized(reason)) => {
            tracing::info!(reason = %reason, "request denied");
            return Err(AuthorizerError::Unauthorized);
        }
        Err(AuthorizeError::Unavailable(err)) => {
            tracing::error!(error = %err, "revocation check failed");
            // Counted apart from Lambda's `Errors`, which every 401 adds to: this is the one
            // failure the authorizer's alarm is about.
            streamia_shared::metrics::count("authorizer", "AuthorizerUnavailable");
            return Err(AuthorizerError::Unavailable);
        }
    };
    Ok(AuthorizerResponse {
        principal_id: identity.user_id.clone(),
        policy_document: PolicyDocument {
            version: "2012-10-17".to_owned(),
            statement: vec![Statement {
                action: "execute-api:Invoke".to_owned(),
                effect: "Allow".to_owned(),
                resource: api_wide_arn(event.method_arn.as_deref().unwrap_or("*")),
            }],
        },
        context: identity.to_context(),
    })
}

/// `arn:...:{apiId}/{stage}/{method}/{path}` -> `arn:...:{apiId}/{stage}/*/*`.
fn api_wide_arn(method_arn: &str) -> String {
    let mut parts = method_arn.splitn(3, '/');
    match (parts.next(), parts.next()) {
        (Some(api), Some(stage)) => format!("{api}/{stage}/*/*"),
        _ => method_arn.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_covers_the_whole_stage() {
        assert_eq!(
            api_wide_arn("arn:aws:execute-api:us-east-1:123:abc/prod/GET/api/v1/users/me"),
            "arn:aws:execute-api:us-east-1:123:abc/prod/*/*"
        );
        assert_eq!(api_wide_arn("*"), "*");
    }
}
