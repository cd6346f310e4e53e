//! Each service's database is its own, credentials included.
//!
//! Every service with a database has its own MongoDB secret, the template parameter
//! `<Service>MongoDbUriSecretArn` (`UsersMongoDbUriSecretArn`): in Atlas the connection
//! string of a database user whose only role is `readWrite` on that service's database
//! (`<prefix>_<service>`). A function may read its own service's secret and no other, neither
//! through its environment (`MONGODB_URI_SECRET_ARN`, or any variable naming such a secret)
//! nor through its IAM policies (`secretsmanager:GetSecretValue` on it). Otherwise the
//! notifications consumer, say, could read password hashes and pending reset links.
//!
//! A function's service is the crate it is built from: the template builds every function from
//! the workspace (`CodeUri: .`) by its binary (`Metadata.BuildProperties.Binary`), and a binary
//! is `functions/<service>/src/bin/<binary>.rs`; the caller passes that table.

use std::collections::BTreeMap;

use serde_yaml::Value;
use streamia_local_gateway::template::Template;

use crate::intrinsics::ref_target;

/// Every MongoDB secret parameter ends with this; what comes before names its service.
pub const MONGO_SECRET_SUFFIX: &str = "MongoDbUriSecretArn";

/// The variable a function's `MongoConfig` reads its secret's ARN from.
const MONGO_SECRET_VAR: &str = "MONGODB_URI_SECRET_ARN";

/// The template parameter holding `service`'s MongoDB secret: `users` ->
/// `UsersMongoDbUriSecretArn`, `movie-catalog` -> `MovieCatalogMongoDbUriSecretArn`.
pub fn mongo_secret_parameter(service: &str) -> String {
    let pascal: String = service
        .split(['-', '_'])
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect();
    format!("{pascal}{MONGO_SECRET_SUFFIX}")
}

/// Every way a function of `template` can read a MongoDB secret other than its own service's,
/// as one message per problem naming the function; empty when each reads only its own.
///
/// `crates` maps each binary to the crate (service) it is built from; a function whose binary
/// is not in it is a problem too, so a new function cannot slip past the rule. A function
/// given a MongoDB secret must name it with `!Ref` (anything else cannot be checked), and its
/// service must have its own parameter. A policy granting `GetSecretValue` on a resource that
/// is not one `!Ref` (`"*"`, an ARN pattern) may read every secret, so it is a problem as well.
pub fn mongo_secret_violations(
    template: &Template,
    crates: &BTreeMap<String, String>,
) -> Vec<String> {
    let doc = &template.document;
    let mut problems = Vec::new();
    for function in &template.functions {
        let name = format!("{} ({})", function.logical_id, function.binary);
        let Some(service) = crates.get(&function.binary) else {
            problems.push(format!(
                "{name}: no crate under functions/ builds this binary, so its service is unknown"
            ));
            continue;
        };
        let own = mongo_secret_parameter(service);

        // The environment: Globals, then the function's own (which wins).
        let mut variables: BTreeMap<String, Value> = BTreeMap::new();
        for scope in [
            &doc["Globals"]["Function"],
            &doc["Resources"][function.logical_id.as_str()]["Properties"],
        ] {
            for (key, value) in scope["Environment"]["Variables"]
                .as_mapping()
                .into_iter()
                .flatten()
            {
                if let Some(key) = key.as_str() {
                    variables.insert(key.to_owned(), value.clone());
                }
            }
        }
        for (variable, value) in &variables {
            let target = ref_target(value);
            if variable == MONGO_SECRET_VAR {
                if target.as_deref() != Some(own.as_str()) {
                    problems.push(format!(
                        "{name}: {MONGO_SECRET_VAR} must be `!Ref {own}` (service {service}'s own \
                         MongoDB secret), got {value:?}"
                    ));
                } else if doc["Parameters"][own.as_str()].is_null() {
                    problems.push(format!(
                        "{name}: service {service} has no MongoDB secret of its own: add the \
                         parameter {own}"
                    ));
                }
                continue;
            }
            if let Some(target) = target.filter(|t| is_foreign(t, &own)) {
                problems.push(format!(
                    "{name}: {variable} names {target}, which is not service {service}'s \
                     MongoDB secret ({own})"
                ));
            }
        }

        // The IAM policies.
        for policy in &function.policies {
            for grant in secret_reads(doc, policy) {
                match grant {
                    Grant::Secret(target) if is_foreign(&target, &own) => problems.push(format!(
                        "{name}: a policy lets it read {target}, which is not service \
                         {service}'s MongoDB secret ({own})"
                    )),
                    Grant::Secret(_) => {}
                    Grant::Unknown(what) => problems.push(format!(
                        "{name}: a policy lets it read {what}, which may be another service's \
                         MongoDB secret: grant secretsmanager:GetSecretValue on `!Ref` secrets only"
                    )),
                }
            }
        }
    }
    problems
}

/// A MongoDB secret, but not `own`: the shared `MongoDbUriSecretArn` of old is nobody's own.
fn is_foreign(target: &str, own: &str) -> bool {
    target.ends_with(MONGO_SECRET_SUFFIX) && target != own
}

/// What one `Policies` entry lets a function read from Secrets Manager.
enum Grant {
    /// `GetSecretValue` on the secret a `!Ref` names (a parameter or a resource).
    Secret(String),
    /// `GetSecretValue` on something that is not one `!Ref`: any secret, for all we know.
    Unknown(String),
}

/// SAM policy templates that grant nothing in Secrets Manager (the ones this template uses, and
/// their kin); any other template is read as unknown.
const SAM_TEMPLATES_WITHOUT_SECRETS: [&str; 6] = [
    "SNSPublishMessagePolicy",
    "SQSPollerPolicy",
    "SQSSendMessagePolicy",
    "LambdaInvokePolicy",
    "S3ReadPolicy",
    "S3CrudPolicy",
];

/// AWS managed policies, by name or ARN, that grant nothing in Secrets Manager; any other
/// (`AdministratorAccess`, `PowerUserAccess`, ...) is read as unknown.
const MANAGED_POLICIES_WITHOUT_SECRETS: [&str; 3] = [
    "AWSLambdaBasicExecutionRole",
    "AWSXRayDaemonWriteAccess",
    "AWSLambdaSQSQueueExecutionRole",
];

/// The reads one `Policies` entry grants: a managed policy of the template (`!Ref X`), SAM's
/// `AWSSecretsManagerGetSecretValuePolicy`, an inline document (`Statement: [...]`), any of
/// them under `!If [Condition, it, !Ref AWS::NoValue]`. Whatever
/// cannot be read here (a `!Ref` to anything but a managed policy of the template, another
/// intrinsic, a policy template or an AWS managed policy not known to grant no secret) is
/// unknown: the rule fails closed.
fn secret_reads(doc: &Value, policy: &Value) -> Vec<Grant> {
    // `!If [Condition, policy, !Ref AWS::NoValue]`: what the policy grants when it applies.
    if let Value::Tagged(tagged) = policy {
        let branches = tagged.value.as_sequence();
        if let (true, Some([_, then, otherwise])) =
            (tagged.tag == "If", branches.map(Vec::as_slice))
        {
            if ref_target(otherwise).as_deref() == Some("AWS::NoValue") {
                return secret_reads(doc, then);
            }
        }
    }
    if let Some(id) = ref_target(policy) {
        let resource = &doc["Resources"][id.as_str()];
        if resource["Type"] == "AWS::IAM::ManagedPolicy" {
            return statement_reads(&resource["Properties"]["PolicyDocument"]["Statement"]);
        }
        return vec![Grant::Unknown(format!(
            "every secret the policy {id} allows"
        ))];
    }
    if let Some(p) = policy.get("AWSSecretsManagerGetSecretValuePolicy") {
        return vec![resource_grant(&p["SecretArn"])];
    }
    if let Some(statements) = policy.get("Statement") {
        return statement_reads(statements);
    }
    if let Some(named) = policy.as_str() {
        let name = named.rsplit('/').next().unwrap_or(named);
        return match MANAGED_POLICIES_WITHOUT_SECRETS.contains(&name) {
            true => Vec::new(),
            false => vec![Grant::Unknown(format!(
                "every secret policy {named} allows"
            ))],
        };
    }
    match policy.as_mapping() {
        Some(map)
            if map.len() == 1
                && map.keys().all(|k| {
                    k.as_str()
                        .is_some_and(|k| SAM_TEMPLATES_WITHOUT_SECRETS.contains(&k))
                }) =>
        {
            Vec::new()
        }
        _ => vec![Grant::Unknown(format!(
            "every secret the policy {policy:?} allows"
        ))],
    }
}

/// The reads of a policy document's statements (one statement or a list).
fn statement_reads(statements: &Value) -> Vec<Grant> {
    let statements = match statements {
        Value::Sequence(list) => list.iter().collect(),
        one => vec![one],
    };
    let mut grants = Vec::new();
    for statement in statements {
        if statement["Effect"] != "Allow" {
            continue;
        }
        // Everything but some actions, or on everything but some resources: possibly any
        // secret's value.
        if !statement["NotAction"].is_null() || !statement["NotResource"].is_null() {
            grants.push(Grant::Unknown(format!("{statement:?}")));
            continue;
        }
        if !reads_secret_values(&statement["Action"]) {
            continue;
        }
        match &statement["Resource"] {
            Value::Sequence(resources) => grants.extend(resources.iter().map(resource_grant)),
            one => grants.push(resource_grant(one)),
        }
    }
    grants
}

/// Whether an `Action` (one or a list, wildcards allowed) includes
/// `secretsmanager:GetSecretValue`.
fn reads_secret_values(action: &Value) -> bool {
    let actions: Vec<&str> = match action {
        Value::Sequence(list) => list.iter().filter_map(Value::as_str).collect(),
        one => one.as_str().into_iter().collect(),
    };
    actions
        .iter()
        .any(|a| glob_matches(&a.to_lowercase(), "secretsmanager:getsecretvalue"))
}

fn resource_grant(resource: &Value) -> Grant {
    match ref_target(resource) {
        Some(target) => Grant::Secret(target),
        None => Grant::Unknown(format!("{resource:?}")),
    }
}

/// IAM's wildcard match: `*` is any run of characters, `?` any one.
fn glob_matches(pattern: &str, text: &str) -> bool {
    let mut p = pattern.chars();
    match p.next() {
        None => text.is_empty(),
        Some('*') => {
            let rest = p.as_str();
            text.char_indices()
                .map(|(i, _)| i)
                .chain(std::iter::once(text.len()))
                .any(|i| glob_matches(rest, &text[i..]))
        }
        Some(c) => {
            let mut t = text.chars();
            match t.next() {
                Some(first) if c == '?' || c == first => glob_matches(p.as_str(), t.as_str()),
                _ => false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_wildcards() {
        assert_eq!(mongo_secret_parameter("users"), "UsersMongoDbUriSecretArn");
        assert_eq!(
            mongo_secret_parameter("movie-catalog"),
            "MovieCatalogMongoDbUriSecretArn"
        );
        let read = "secretsmanager:getsecretvalue";
        for pattern in ["*", "secretsmanager:*", "secretsmanager:get*", read] {
            assert!(glob_matches(pattern, read), "{pattern}");
        }
        for pattern in ["secretsmanager:put*", "sns:*", "secretsmanager:getsecret"] {
            assert!(!glob_matches(pattern, read), "{pattern}");
        }
        assert!(is_foreign(
            "MongoDbUriSecretArn",
            "UsersMongoDbUriSecretArn"
        ));
        assert!(!is_foreign(
            "UsersMongoDbUriSecretArn",
            "UsersMongoDbUriSecretArn"
        ));
        assert!(!is_foreign(
            "AuthRedisUrlSecretArn",
            "UsersMongoDbUriSecretArn"
        ));
    }
}
