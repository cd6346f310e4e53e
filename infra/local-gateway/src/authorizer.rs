//! Running the REST API's Lambda (TOKEN) authorizer, with API Gateway's policy cache.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use serde_json::{json, Value};

use crate::invoke::Invoker;
use crate::invoke_error::InvokeError;
use crate::template::AuthorizerSpec;

/// What the authorizer decided for one request.
#[derive(Debug, Clone)]
pub enum Decision {
    /// Let through; the value becomes `requestContext.authorizer`.
    Allow(Value),
    /// The function said `Unauthorized`: 401.
    Unauthorized,
    /// A policy that does not allow this method: 403.
    Denied,
    /// The function failed, timed out or answered garbage: API Gateway's
    /// AUTHORIZER_CONFIGURATION_ERROR.
    Failure(String),
}

/// The authorizer and its cache of policies by token.
pub struct Authorizer {
    spec: AuthorizerSpec,
    invoker: Invoker,
    cache: Mutex<HashMap<String, (Instant, Value)>>,
}

/// `*` and `?` glob match, as IAM resource patterns use.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

fn as_list(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether the policy document allows invoking `method_arn` (an explicit Deny wins).
fn allows(policy: &Value, method_arn: &str) -> bool {
    let mut allowed = false;
    let statements = match &policy["Statement"] {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    };
    for s in statements {
        let actions = as_list(&s["Action"]);
        if !actions.iter().any(|a| glob(a, "execute-api:Invoke")) {
            continue;
        }
        if !as_list(&s["Resource"]).iter().any(|r| glob(r, method_arn)) {
            continue;
        }
        match s["Effect"].as_str() {
            Some("Deny") => return false,
            Some("Allow") => allowed = true,
            _ => {}
        }
    }
    allowed
}

impl Authorizer {
    /// Wraps the template's authorizer.
    pub fn new(spec: AuthorizerSpec, invoker: Invoker) -> Self {
        Self {
            spec,
            invoker,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The identity header's name.
    pub fn header(&self) -> &str {
        &self.spec.header
    }

    /// Decides a request carrying `token` for `method_arn`.
    pub async fn decide(&self, token: &str, method_arn: &str) -> Decision {
        let cached = self.spec.ttl.as_secs() > 0;
        let hit = cached
            .then(|| {
                let cache = self.cache.lock().ok()?;
                let (at, answer) = cache.get(token)?;
                (at.elapsed() < self.spec.ttl).then(|| answer.clone())
            })
            .flatten();
        let answer = match hit {
            Some(answer) => answer,
            None => {
                let event =
                    json!({"type": "TOKEN", "authorizationToken": token, "methodArn": method_arn});
                match self
                    .invoker
                    .invoke(&self.spec.binary, &event, self.spec.timeout)
                    .await
                {
                    Ok(answer) => {
                        if cached {
                            if let Ok(mut cache) = self.cache.lock() {
                                cache.retain(|_, (at, _)| at.elapsed() < self.spec.ttl);
                                cache.insert(token.to_owned(), (Instant::now(), answer.clone()));
                            }
                        }
                        answer
                    }
                    Err(e @ InvokeError::Function(_))
                        if e.error_message() == Some("Unauthorized") =>
                    {
                        return Decision::Unauthorized
                    }
                    Err(e) => return Decision::Failure(e.to_string()),
                }
            }
        };
        if answer["principalId"].is_null() || !answer["policyDocument"].is_object() {
            return Decision::Failure(
                "authorizer answered without principalId or policyDocument".to_owned(),
            );
        }
        if !allows(&answer["policyDocument"], method_arn) {
            return Decision::Denied;
        }
        let mut context = match &answer["context"] {
            Value::Object(map) => map.clone(),
            _ => serde_json::Map::new(),
        };
        context.insert("principalId".to_owned(), answer["principalId"].clone());
        Decision::Allow(Value::Object(context))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies() {
        let arn = "arn:aws:execute-api:us-east-1:000000000000:local/v1/GET/api/v1/users/me";
        let allow = |r: &str| json!({"Version": "2012-10-17", "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": r}]});
        assert!(allows(
            &allow("arn:aws:execute-api:us-east-1:000000000000:local/v1/*/*"),
            arn
        ));
        assert!(!allows(
            &allow("arn:aws:execute-api:us-east-1:000000000000:local/v1/POST/*"),
            arn
        ));
        let deny = json!({"Statement": [
            {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "*"},
            {"Action": ["execute-api:*"], "Effect": "Deny", "Resource": [arn]}]});
        assert!(!allows(&deny, arn));
    }
}
