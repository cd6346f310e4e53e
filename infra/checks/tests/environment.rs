//! Each function gets only the environment and the permissions it uses.
//!
//! The environment side: every variable the template gives a function (Globals included) must
//! be read by one of that function's config loaders. What the loaders read is recorded by
//! running them through a recording lookup, so this cannot drift from the code. The table
//! below says which loaders each function's `main` runs: a new function or loader is one line.
//!
//! The IAM side: a function may read exactly the secrets named in its environment, and may
//! publish exactly to the topics named in it; any other kind of policy fails here until a rule
//! for it is added.

mod common;

use std::cell::RefCell;
use std::collections::BTreeSet;

use common::{resource, template};
use serde_yaml::Value;
use streamia_checks::intrinsics::{get_att_target, ref_target};
use streamia_shared::auth::keys::KeySet;
use streamia_shared::config::{secret_name, Load, Lookup, SECRET_ARN_SUFFIX, SECRET_SETTINGS};
use streamia_shared::http::HttpPieces;
use streamia_shared::service::Service;

/// A config loader as a function's `main` runs it; `Err` names what stops the cold start.
type Loader = fn(Lookup<'_>) -> Result<(), String>;

fn load<T: Load>(lookup: Lookup<'_>) -> Result<(), String> {
    T::load(lookup).map(|_| ()).map_err(|e| e.to_string())
}

/// `telemetry::init` reads `RUST_LOG` (tracing's `EnvFilter::from_default_env`); the metrics
/// (`shared::metrics`) read `METRICS_LOG_GROUP`; a consumer (`events::consumer`) reads
/// `MAX_RECEIVE_COUNT` (which functions get it: `each_consumer_knows_its_queues_max_receive_count`).
fn telemetry(lookup: Lookup<'_>) -> Result<(), String> {
    let _ = lookup("RUST_LOG");
    let _ = lookup("METRICS_LOG_GROUP");
    let _ = lookup("MAX_RECEIVE_COUNT");
    Ok(())
}

/// Every SQS consumer, and only they, is told its queue's `maxReceiveCount` (to count a record
/// failed on its last delivery as a DLQ arrival): the template's `MaxReceiveCount`, which the
/// messaging stack gives every event queue, or the favorite alerts' own 10.
#[test]
fn each_consumer_knows_its_queues_max_receive_count() {
    let t = template();
    let alerts = common::yaml("infra/messaging.yaml")["Resources"]
        ["NotificationsFavoriteAlertsQueue"]["Properties"]["RedrivePolicy"]["maxReceiveCount"]
        .clone();
    assert!(
        alerts.as_u64().is_some(),
        "the favorite alerts' maxReceiveCount: {alerts:?}"
    );
    for f in &t.functions {
        let given = f.environment.iter().any(|v| v == "MAX_RECEIVE_COUNT");
        assert_eq!(
            given,
            !f.queues.is_empty(),
            "{}: MAX_RECEIVE_COUNT",
            f.logical_id
        );
        if !given {
            continue;
        }
        let value = env_value(&t, &f.logical_id, "MAX_RECEIVE_COUNT");
        let favorite_alerts = f
            .queues
            .iter()
            .any(|q| q.queue_arn.contains("NotificationsFavoriteAlertsQueue"));
        match favorite_alerts {
            true => assert_eq!(
                value.as_str().and_then(|v| v.parse::<u64>().ok()),
                alerts.as_u64(),
                "{}",
                f.logical_id
            ),
            false => assert_eq!(
                ref_target(value),
                Some("MaxReceiveCount".to_owned()),
                "{}",
                f.logical_id
            ),
        }
    }
}

/// The pieces service `D`'s functions load (`Service::Config`), as the service declares them.
type Of<D> = <D as Service>::Config;

/// What each function's `main` loads: the service's own pieces as the service exports them,
/// plus what the platform's entry point adds (HTTP: body limit and CORS; the setup step and the
/// relay: their own pieces).
fn loaders(binary: &str) -> Vec<Loader> {
    let mut loaders: Vec<Loader> = vec![telemetry];
    loaders.push(match binary {
        "authorizer" => load::<Of<streamia_authorizer::State>>,
        "notifications-on-user-event" | "notifications-on-favorite-alert" => {
            load::<Of<streamia_notifications::Deps>>
        }
        "notifications-on-user-change" => load::<Of<streamia_notifications::deps::CopyDeps>>,
        // The setup step of the service that signs: its database and the key secrets it fills.
        "users-setup" => load::<streamia_shared::setup::SigningPieces>,
        setup if setup.ends_with("-setup") => load::<streamia_shared::setup::Pieces>,
        relay if relay.ends_with("-outbox-relay") => load::<streamia_shared::events::relay::Pieces>,
        // Invoked by an operator, no route: the service's pieces without the HTTP ones.
        "users-set-role" => load::<Of<streamia_users::Deps>>,
        "users-rotate-keys" => load::<streamia_users::adapters::invoke::RotateKeysPieces>,
        "users-saga-status" => {
            load::<Of<streamia_shared::saga::owner::Tracker<streamia_users::store::DeletionSaga>>>
        }
        "movies-saga-status" => load::<Of<streamia_movies::store::SagaStore>>,
        "users-republish" => load::<Of<streamia_users::ops::republish::Republisher>>,
        "movies-republish" => load::<Of<streamia_movies::ops::republish::Republisher>>,
        // The CORS preflight: the allowed origins, nothing else.
        "api-preflight" => load::<streamia_shared::http::Cors>,
        // The user-deletion saga's owner: MongoDB and the user-events topic.
        "users-on-deletion-step" | "users-saga-deadline" => {
            load::<Of<streamia_users::deps::SagaDeps>>
        }
        users if users.starts_with("users-") => load::<(HttpPieces, Of<streamia_users::Deps>)>,
        "movies-on-rating-change" | "movies-on-deletion-step" | "movies-saga-deadline" => {
            load::<Of<streamia_movies::Deps>>
        }
        movies if movies.starts_with("movies-") => load::<(HttpPieces, Of<streamia_movies::Deps>)>,
        "comments-on-movie-change" | "comments-on-user-change" => {
            load::<Of<streamia_comments::CopyDeps>>
        }
        "comments-on-user-deletion" | "comments-on-movie-deletion" => {
            load::<Of<streamia_comments::deps::SagaDeps>>
        }
        comments if comments.starts_with("comments-") => {
            load::<(HttpPieces, Of<streamia_comments::Deps>)>
        }
        // The ratings consumer and sweeper: the service's pieces without the HTTP ones.
        "ratings-on-movie-change"
        | "ratings-summary-sweeper"
        | "ratings-on-user-deletion"
        | "ratings-on-movie-deletion" => load::<Of<streamia_ratings::Deps>>,
        ratings if ratings.starts_with("ratings-") => {
            load::<(HttpPieces, Of<streamia_ratings::Deps>)>
        }
        "favorites-on-movie-change"
        | "favorites-on-user-deletion"
        | "favorites-on-movie-deletion" => load::<Of<streamia_favorites::Deps>>,
        favorites if favorites.starts_with("favorites-") => {
            load::<(HttpPieces, Of<streamia_favorites::Deps>)>
        }
        other => panic!("{other}: add the loaders its main runs to this table"),
    });
    loaders
}

/// Every variable the loaders ask for, with nothing set and with everything set (so settings
/// read only when another is present are seen too).
fn read_by(binary: &str) -> BTreeSet<String> {
    let seen = RefCell::new(BTreeSet::new());
    for value in [None, Some("1".to_owned())] {
        let record = |key: &str| {
            seen.borrow_mut().insert(key.to_owned());
            value.clone()
        };
        for loader in loaders(binary) {
            let _ = loader(&record);
        }
    }
    seen.into_inner()
}

#[test]
fn every_variable_a_function_is_given_is_read_by_its_config() {
    let t = template();
    let mut problems = Vec::new();
    for f in &t.functions {
        let read = read_by(&f.binary);
        for name in &f.environment {
            if !read.contains(name) {
                problems.push(format!("{}: {name} is set but never read", f.logical_id));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// A valid value for a variable, as a deployed function would see it (a `*_SECRET_ARN`'s
/// setting answered as Secrets Manager would).
fn plausible(name: &str) -> String {
    let keys = KeySet::initial(chrono::Utc::now());
    match name {
        "JWT_SIGNING_KEYS" => return keys.to_json(),
        "JWT_PUBLIC_KEYS" => return keys.public().to_json(),
        _ => {}
    }
    let value = match name {
        "REFRESH_TOKEN_PEPPER" => "0123456789abcdef0123456789abcdef-plausible",
        "MONGODB_URI" => "mongodb://db.example:27017/",
        "REDIS_URL" => "rediss://cache.example:6379/",
        "SMTP_PASSWORD" => "smtp-password",
        "SMTP_HOST" => "smtp.example",
        "SMTP_PORT" => "587",
        "SMTP_TLS" => "starttls",
        "SMTP_USERNAME" => "smtp-user",
        "MAIL_FROM" => "Streamia <no-reply@streamia.example>",
        "FRONTEND_URL" | "CORS_ALLOWED_ORIGINS" => "https://app.streamia.example",
        "MONGODB_DATABASE_PREFIX" => "streamia",
        "MEDIA_BUCKET" => "streamia-media",
        "MEDIA_PROVIDER" => "s3",
        "CLOUDINARY_CLOUD_NAME" => "streamia",
        "CLOUDINARY_API_KEY" => "123456789012345",
        "RUST_LOG" => "info",
        n if n.ends_with(SECRET_ARN_SUFFIX) => "arn:aws:secretsmanager:us-east-1:1:secret:s-AbCdEf",
        n if n.ends_with("_TOPIC_ARN") => "arn:aws:sns:us-east-1:1:topic",
        n if n.ends_with("_SECONDS") => "900",
        _ => "1",
    };
    value.to_owned()
}

/// The other direction: a function given ONLY its template environment (plus the secrets it
/// names) starts. The local stack hands every function the union of all variables, so a
/// variable missing from one function's template entry would otherwise show up first as a
/// failed cold start in AWS.
#[test]
fn every_function_starts_with_only_its_template_environment() {
    let t = template();
    let mut problems = Vec::new();
    for f in &t.functions {
        let given: BTreeSet<String> = f
            .environment
            .iter()
            .flat_map(|name| {
                let setting = secret_name(name);
                [Some(name.clone()), setting].into_iter().flatten()
            })
            .collect();
        // A media function starts with either provider (the template's MediaProvider).
        let providers: &[&str] = match given.contains("MEDIA_PROVIDER") {
            true => &["s3", "cloudinary"],
            false => &["s3"],
        };
        for provider in providers {
            let lookup = |key: &str| match key {
                "MEDIA_PROVIDER" => given.contains(key).then(|| provider.to_string()),
                _ => given.contains(key).then(|| plausible(key)),
            };
            for loader in loaders(&f.binary) {
                if let Err(e) = loader(&lookup) {
                    problems.push(format!("{} ({provider}): {e}", f.logical_id));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn the_check_catches_a_variable_nobody_reads() {
    // The notifications consumer signs no token: a key there must fail the check.
    let read = read_by("notifications-on-user-event");
    assert!(!read.contains("JWT_SIGNING_KEYS_SECRET_ARN"));
    assert!(!read.contains("JWT_PUBLIC_KEYS_SECRET_ARN"));
    assert!(read.contains("SMTP_PASSWORD_SECRET_ARN"));
    let read = read_by("authorizer");
    assert!(
        !read.contains("MONGODB_URI_SECRET_ARN"),
        "the authorizer has no MongoDB"
    );
    assert!(
        !read.contains("JWT_SIGNING_KEYS_SECRET_ARN"),
        "the authorizer has no private key"
    );
}

#[test]
fn no_secret_value_sits_in_the_environment() {
    let t = template();
    for f in &t.functions {
        for name in &f.environment {
            assert!(
                !SECRET_SETTINGS.contains(&name.as_str()),
                "{}: {name} must come from Secrets Manager ({name}{SECRET_ARN_SUFFIX})",
                f.logical_id
            );
        }
    }
    for (name, p) in t.document["Parameters"].as_mapping().unwrap() {
        let name = name.as_str().unwrap();
        assert!(
            p["NoEcho"].as_bool() != Some(true),
            "{name}: secrets are Secrets Manager ARNs, not NoEcho parameters"
        );
    }
    // Generated, never typed: the pepper by CloudFormation, the key sets (which CloudFormation
    // cannot make) by the setup step from an empty set.
    let pepper = resource(&t, "RefreshTokenPepper");
    assert_eq!(pepper["Type"], "AWS::SecretsManager::Secret");
    assert!(pepper["Properties"]["GenerateSecretString"].is_mapping());
    for id in ["JwtSigningKeys", "JwtPublicKeys"] {
        let keys = resource(&t, id);
        assert_eq!(keys["Type"], "AWS::SecretsManager::Secret");
        assert_eq!(keys["Properties"]["SecretString"], "{}", "{id}");
    }
}

/// The environment value of `var` in function `id`, as written.
fn env_value<'a>(
    t: &'a streamia_local_gateway::template::Template,
    id: &str,
    var: &str,
) -> &'a Value {
    &resource(t, id)["Properties"]["Environment"]["Variables"][var]
}

/// What one `Policies` entry grants: secrets read (by reference) and topics published to.
#[derive(Default)]
struct Grants {
    secrets: BTreeSet<String>,
    /// Secrets it may also write (`secretsmanager:PutSecretValue`).
    writes: BTreeSet<String>,
    topics: BTreeSet<String>,
    /// Queues it may poll and delay records of (`SQSPollerPolicy`: `ChangeMessageVisibility`
    /// among them, which the SQS event source's own managed policy lacks).
    queues: BTreeSet<String>,
    /// Queues it may send to (`SQSSendMessagePolicy`): only its own, to defer a record
    /// while a dependency's circuit is open (`events::consumer::Requeue::defer`).
    sends: BTreeSet<String>,
    /// `secretsmanager:BatchGetSecretValue` (resource `*`: the action has no resource type;
    /// each secret it returns still needs `GetSecretValue` on that secret).
    batch: bool,
}

fn grants(t: &streamia_local_gateway::template::Template, policy: &Value, into: &mut Grants) {
    if let Some(id) = ref_target(policy) {
        let managed = resource(t, &id);
        assert_eq!(managed["Type"], "AWS::IAM::ManagedPolicy", "{id}");
        for statement in managed["Properties"]["PolicyDocument"]["Statement"]
            .as_sequence()
            .unwrap()
        {
            assert_eq!(statement["Effect"], "Allow", "{id}");
            if statement["Action"] == "secretsmanager:BatchGetSecretValue" {
                assert_eq!(statement["Resource"], "*", "{id}");
                into.batch = true;
                continue;
            }
            let actions: Vec<&str> = match &statement["Action"] {
                Value::Sequence(list) => list.iter().filter_map(Value::as_str).collect(),
                one => one.as_str().into_iter().collect(),
            };
            let secret = ref_target(&statement["Resource"])
                .unwrap_or_else(|| panic!("{id}: Resource must be one !Ref"));
            for action in actions {
                match action {
                    "secretsmanager:GetSecretValue" => into.secrets.insert(secret.clone()),
                    "secretsmanager:PutSecretValue" => into.writes.insert(secret.clone()),
                    other => panic!("{id}: no rule for {other}"),
                };
            }
        }
        return;
    }
    if let Some(p) = policy.get("AWSSecretsManagerGetSecretValuePolicy") {
        into.secrets
            .insert(ref_target(&p["SecretArn"]).expect("SecretArn: !Ref"));
        return;
    }
    if let Some(p) = policy.get("SQSPollerPolicy") {
        let name = get_att_target(&p["QueueName"]).expect("QueueName: !GetAtt");
        into.queues.insert(
            name.trim_start_matches("Messaging.Outputs.")
                .trim_end_matches("Name")
                .to_owned(),
        );
        return;
    }
    if let Some(p) = policy.get("SQSSendMessagePolicy") {
        let name = get_att_target(&p["QueueName"]).expect("QueueName: !GetAtt");
        into.sends.insert(
            name.trim_start_matches("Messaging.Outputs.")
                .trim_end_matches("Name")
                .to_owned(),
        );
        return;
    }
    if let Some(p) = policy.get("SNSPublishMessagePolicy") {
        let name = get_att_target(&p["TopicName"]).expect("TopicName: !GetAtt");
        into.topics.insert(name.trim_end_matches("Name").to_owned());
        return;
    }
    // `!If [Condition, !Ref Policy, !Ref AWS::NoValue]`: granted when the condition holds
    // (the variables naming what it grants are empty otherwise).
    if let Value::Tagged(tagged) = policy {
        if tagged.tag == "If" {
            let branches = tagged
                .value
                .as_sequence()
                .expect("!If [condition, then, else]");
            assert_eq!(branches.len(), 3, "{policy:?}");
            assert_eq!(
                ref_target(&branches[2]).as_deref(),
                Some("AWS::NoValue"),
                "{policy:?}"
            );
            grants(t, &branches[1], into);
            return;
        }
    }
    if let Some(statements) = policy.get("Statement") {
        for statement in statements.as_sequence().expect("Statement: a list") {
            media_statement(statement);
        }
        return;
    }
    panic!("no rule for policy {policy:?}: add one to infra/checks/tests/environment.rs");
}

/// The one kind of inline statement the template may hold: S3 object actions on the media
/// bucket's movie keys (`!Sub "${Messaging.Outputs.MediaBucketArn}/movies/..."`), or
/// `s3:ListBucket` on the (media-only) bucket itself. Grants nothing of secrets or
/// topics; anything else fails here.
fn media_statement(statement: &Value) {
    assert_eq!(statement["Effect"], "Allow", "{statement:?}");
    let actions: Vec<&str> = match &statement["Action"] {
        Value::Sequence(list) => list.iter().filter_map(Value::as_str).collect(),
        one => one.as_str().into_iter().collect(),
    };
    const OBJECT_ACTIONS: [&str; 4] = [
        "s3:GetObject",
        "s3:PutObject",
        "s3:AbortMultipartUpload",
        "s3:DeleteObject",
    ];
    let resource = &statement["Resource"];
    if actions == ["s3:ListBucket"] {
        assert_eq!(
            get_att_target(resource).as_deref(),
            Some("Messaging.Outputs.MediaBucketArn"),
            "{statement:?}"
        );
        // No s3:prefix condition: a HEAD of a missing key carries none, so S3 would answer
        // 403 instead of 404 anyway. The bucket holds movie media only.
        return;
    }
    assert!(
        !actions.is_empty() && actions.iter().all(|a| OBJECT_ACTIONS.contains(a)),
        "no rule for {actions:?}"
    );
    // One resource, or a list of them (a function granted two kinds of keys only).
    let resources: Vec<&Value> = match resource {
        Value::Sequence(list) => list.iter().collect(),
        one => vec![one],
    };
    assert!(!resources.is_empty(), "{statement:?}");
    for resource in resources {
        let sub = match resource {
            Value::Tagged(t) if t.tag == "Sub" => t.value.as_str(),
            _ => None,
        }
        .unwrap_or_else(|| panic!("Resource must be !Sub on the media bucket: {resource:?}"));
        // Movie media, and the upload prefix browser forms write (the lifecycle rule expires
        // it).
        assert!(
            sub.starts_with("${Messaging.Outputs.MediaBucketArn}/movies/")
                || sub.starts_with("${Messaging.Outputs.MediaBucketArn}/uploads/movies/"),
            "{sub}: only the media bucket's movie keys"
        );
    }
}

#[test]
fn each_function_may_read_only_its_secrets_and_publish_only_to_its_topics() {
    let t = template();
    for f in &t.functions {
        let mut granted = Grants::default();
        for policy in &f.policies {
            grants(&t, policy, &mut granted);
        }
        let mut secrets = BTreeSet::new();
        let mut topics = BTreeSet::new();
        for name in &f.environment {
            let value = env_value(&t, &f.logical_id, name);
            if name.ends_with(SECRET_ARN_SUFFIX) {
                secrets.insert(ref_target(value).expect("secret ARN: !Ref"));
            }
            if name.ends_with("_EVENTS_TOPIC_ARN") {
                let arn = get_att_target(value).expect("topic ARN: !GetAtt");
                topics.insert(arn.trim_end_matches("Arn").to_owned());
            }
        }
        assert_eq!(granted.secrets, secrets, "{}: secrets", f.logical_id);
        // A function's secrets come in one BatchGetSecretValue call (streamia_shared::secrets);
        // LocalStack does not enforce IAM, so only this check sees a missing grant.
        assert!(
            secrets.is_empty() || granted.batch,
            "{}: reads secrets without secretsmanager:BatchGetSecretValue",
            f.logical_id
        );
        assert_eq!(granted.topics, topics, "{}: topics", f.logical_id);
        // A consumer delays a record that failed for a transient reason
        // (`events::consumer::Requeue`): it needs ChangeMessageVisibility on its own queue,
        // which only SQSPollerPolicy grants; LocalStack does not enforce IAM.
        let queues: BTreeSet<String> = f
            .queues
            .iter()
            .map(|q| {
                q.queue_arn
                    .trim_start_matches("arn:aws:local:")
                    .trim_end_matches("Arn")
                    .to_owned()
            })
            .collect();
        assert_eq!(granted.queues, queues, "{}: queues", f.logical_id);
        // A sender of email defers its records while the SMTP circuit is open: without the
        // grant (LocalStack does not enforce IAM) it would fail them instead, unseen here.
        if f.environment.iter().any(|v| v == "SMTP_HOST") && !queues.is_empty() {
            assert_eq!(
                granted.sends, queues,
                "{}: SQSSendMessagePolicy on its own queue",
                f.logical_id
            );
        }
        assert!(
            granted.sends.is_subset(&queues),
            "{}: may send only to its own queues (deferrals), not {:?}",
            f.logical_id,
            granted.sends.difference(&queues).collect::<Vec<_>>()
        );
    }
}

/// The media functions that call the provider (the rest only sign URLs and forms): they share
/// its circuit (`shared::media`) through the auth Redis.
const MEDIA_CALLERS: [&str; 5] = [
    "movies-confirm-video",
    "movies-add-subtitle",
    "movies-delete-subtitle",
    "movies-media-sweeper",
    "movies-on-deletion-step",
];

/// Each function that calls the media provider holds the auth Redis, where the provider's
/// circuit is shared (without it each instance would keep its own, unseen here); a function
/// that only signs holds no key to the store of revocations.
#[test]
fn only_the_media_functions_that_call_the_provider_hold_the_auth_redis() {
    let t = template();
    let mut callers = BTreeSet::new();
    for f in &t.functions {
        if !f.environment.iter().any(|v| v == "MEDIA_PROVIDER") {
            continue;
        }
        let holds = f.environment.iter().any(|v| v == "REDIS_URL_SECRET_ARN");
        let calls = MEDIA_CALLERS.contains(&f.binary.as_str());
        assert_eq!(holds, calls, "{}: REDIS_URL_SECRET_ARN", f.logical_id);
        callers.insert(f.binary.as_str());
    }
    let callers: Vec<&str> = MEDIA_CALLERS
        .into_iter()
        .filter(|c| !callers.contains(c))
        .collect();
    assert!(callers.is_empty(), "not media functions: {callers:?}");
}

/// The functions that sign access tokens: the only ones that may hold the private keys
/// (besides the two that write them), and each of them must.
const SIGNERS: [&str; 3] = ["users-register", "users-login", "users-refresh"];
/// The functions that write the key sets: the setup step (first pair) and the rotation.
const KEY_WRITERS: [&str; 2] = ["users-setup", "users-rotate-keys"];

/// Who may hold which key, as problems (none for a right template).
fn key_problems(t: &streamia_local_gateway::template::Template) -> Vec<String> {
    let mut problems = Vec::new();
    for f in &t.functions {
        let mut granted = Grants::default();
        for policy in &f.policies {
            grants(t, policy, &mut granted);
        }
        let binary = f.binary.as_str();
        let reads = |secret: &str| granted.secrets.contains(secret);
        let may_hold_private = SIGNERS.contains(&binary) || KEY_WRITERS.contains(&binary);
        if reads("JwtSigningKeys") != may_hold_private {
            problems.push(format!(
                "{}: reads the private keys: {}, should: {may_hold_private}",
                f.logical_id,
                reads("JwtSigningKeys")
            ));
        }
        if reads("RefreshTokenPepper") != (binary == "users-refresh") {
            problems.push(format!(
                "{}: the refresh pepper is refresh's alone",
                f.logical_id
            ));
        }
        if binary == "authorizer" && !reads("JwtPublicKeys") {
            problems.push("the authorizer must read the public keys".to_owned());
        }
        let writes_ok = match KEY_WRITERS.contains(&binary) {
            true => {
                granted.writes == BTreeSet::from(["JwtPublicKeys".into(), "JwtSigningKeys".into()])
            }
            false => granted.writes.is_empty(),
        };
        if !writes_ok {
            problems.push(format!("{}: writes {:?}", f.logical_id, granted.writes));
        }
    }
    problems
}

#[test]
fn only_the_signers_hold_the_private_keys_and_only_refresh_the_pepper() {
    let t = template();
    let problems = key_problems(&t);
    assert!(problems.is_empty(), "{problems:#?}");
    // The rule sees a mistake: get-me given the private keys or the pepper.
    for (secret, policy) in [
        ("JwtSigningKeys", "ReadJwtSigningKeys"),
        ("RefreshTokenPepper", "ReadRefreshTokenPepper"),
    ] {
        let mut wrong = t.clone();
        let get_me = wrong
            .functions
            .iter_mut()
            .find(|f| f.binary == "users-get-me")
            .unwrap();
        get_me
            .policies
            .push(serde_yaml::from_str(&format!("!Ref {policy}")).unwrap());
        let problems = key_problems(&wrong);
        assert!(
            problems.iter().any(|p| p.starts_with("UsersGetMeFunction")),
            "{secret}: {problems:#?}"
        );
    }
    // Only the template keeps them from get-me: they are optional pieces of every users
    // function's config.
    assert!(read_by("users-get-me").contains("JWT_SIGNING_KEYS_SECRET_ARN"));
}
