//! Integration-test support: each test gets its own database, Redis key space, SNS topic and
//! an SQS queue subscribed to it, on the real services the test command starts.
//!
//! Endpoints come from the variables the test command exports (`MONGODB_URI`, `REDIS_URL`,
//! `AWS_ENDPOINT_URL`), defaulting to the local ports the scripts use. The secrets among them
//! are stored in LocalStack's Secrets Manager per test and read back through
//! [`Environment::resolve`], the path a deployed function takes.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_config::{Region, SdkConfig};
use aws_sdk_sns::config::Credentials;

use crate::auth::keys::{KeySet, KeySource};
use crate::auth::{TokenSigner, TokenVerifier};
use crate::config::{
    ConfigError, HttpConfig, Load, MongoConfig, PublicKeysConfig, RedisConfig, TokenConfig, Topics,
};
use crate::events::Envelope;
use crate::init::ColdStart;
use crate::secrets::Environment;
use crate::service::Service;

pub mod api;
pub mod faults;
pub mod redis_server;
pub mod sqs;

/// A refresh-token pepper for tests only.
pub const TEST_REFRESH_PEPPER: &str = "streamia-test-pepper-0123456789abcdef0123456789";

/// The per-client limits ([`crate::limits::ClientLimits`]) a test environment sets loose.
const LOOSE_CLIENT_LIMITS: [&str; 4] = [
    "IP_LIMIT_LOGIN",
    "IP_LIMIT_REGISTER",
    "IP_LIMIT_FORGOT_PASSWORD",
    "IP_LIMIT_RESET_PASSWORD",
];

/// One test's isolated slice of the real services.
pub struct TestEnv {
    /// This test's settings, as a function reads them (secrets resolved from LocalStack).
    pub env: Environment,
    /// HTTP settings.
    pub http: HttpConfig,
    /// This test's database prefix.
    pub mongo: MongoConfig,
    /// This test's Redis key prefix.
    pub redis: RedisConfig,
    /// Token settings.
    pub tokens: TokenConfig,
    /// This test's signing key set (private keys), generated for it and stored in LocalStack
    /// as `JWT_SIGNING_KEYS`; its public half is `JWT_PUBLIC_KEYS`.
    pub keys: KeySet,
    /// The secret holding the public set (a test rotating keys writes it).
    pub public_keys_secret: String,
    /// The secret holding the signing set.
    pub signing_keys_secret: String,
    /// Every topic is this test's topic.
    pub topics: Topics,
    /// SDK config for LocalStack.
    pub aws: SdkConfig,
    /// The queue receiving everything published on this test's topic.
    pub queue_url: String,
    sqs: aws_sdk_sqs::Client,
    vars: Vec<(String, String)>,
}

fn env_or(key: &str, default: &str) -> String {
    std::env::var(key)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

/// SDK config for the LocalStack the test command started.
pub async fn localstack_config() -> SdkConfig {
    let endpoint = env_or("AWS_ENDPOINT_URL", "http://127.0.0.1:4566");
    test_credentials(crate::events::aws_defaults(), &endpoint).await
}

/// SDK config for an AWS endpoint of the test's choosing (e.g. one that is down), with the
/// functions' own call budget (`aws_config_loader`) and LocalStack's credentials.
pub async fn aws_config_at(endpoint: &str) -> SdkConfig {
    test_credentials(crate::events::aws_config_loader(), endpoint).await
}

async fn test_credentials(loader: aws_config::ConfigLoader, endpoint: &str) -> SdkConfig {
    loader
        .region(Region::new(env_or("AWS_DEFAULT_REGION", "us-east-1")))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(
            "test",
            "test",
            None,
            None,
            "streamia-tests",
        ))
        .load()
        .await
}

impl TestEnv {
    /// Creates this test's topic and queue; `overrides` adjust settings (e.g. `FRONTEND_URL`).
    pub async fn new(overrides: &[(&str, &str)]) -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
        let aws = localstack_config().await;
        let sns = aws_sdk_sns::Client::new(&aws);
        let sqs = aws_sdk_sqs::Client::new(&aws);
        let topic_arn = sns
            .create_topic()
            .name(format!("test-events-{id}"))
            .send()
            .await
            .expect("LocalStack SNS: create topic (is LocalStack running?)")
            .topic_arn
            .expect("topic arn");
        let queue_url = sqs
            .create_queue()
            .queue_name(format!("test-events-{id}"))
            .send()
            .await
            .expect("create queue")
            .queue_url
            .expect("queue url");
        let queue_arn = sqs
            .get_queue_attributes()
            .queue_url(&queue_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .expect("queue attributes")
            .attributes
            .and_then(|a| {
                a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                    .cloned()
            })
            .expect("queue arn");
        sns.subscribe()
            .topic_arn(&topic_arn)
            .protocol("sqs")
            .endpoint(queue_arn)
            .attributes("RawMessageDelivery", "true")
            .send()
            .await
            .expect("subscribe");

        let secrets = aws_sdk_secretsmanager::Client::new(&aws);
        let mut vars: HashMap<String, String> = HashMap::new();
        let keys = KeySet::initial(chrono::Utc::now());
        for (name, value) in [
            ("JWT_SIGNING_KEYS", keys.to_json()),
            ("JWT_PUBLIC_KEYS", keys.public().to_json()),
            ("REFRESH_TOKEN_PEPPER", TEST_REFRESH_PEPPER.to_owned()),
            (
                "MONGODB_URI",
                env_or("MONGODB_URI", "mongodb://127.0.0.1:27017/"),
            ),
            ("REDIS_URL", env_or("REDIS_URL", "redis://127.0.0.1:6379/")),
            (
                "CACHE_REDIS_URL",
                env_or("CACHE_REDIS_URL", "redis://127.0.0.1:6380/"),
            ),
        ] {
            // An override of a secret setting (e.g. a Redis that is down) becomes the secret's
            // value: functions read secrets only from Secrets Manager.
            let value = overrides
                .iter()
                .find(|(k, _)| *k == name)
                .map_or(value, |(_, v)| (*v).to_owned());
            let arn = create_secret(&secrets, &format!("test-{id}/{name}"), &value).await;
            vars.insert(crate::config::secret_arn_var(name), arn);
        }
        vars.extend([
            ("MONGODB_DATABASE_PREFIX".into(), format!("test_{id}")),
            ("REDIS_KEY_PREFIX".into(), format!("test:{id}:")),
            ("FRONTEND_URL".into(), "https://app.streamia.test".into()),
        ]);
        // Every test calls from one address: limits per client stay out of the way unless a
        // test sets them low (the tests of those limits do).
        for var in LOOSE_CLIENT_LIMITS {
            vars.insert(var.to_owned(), "100000".to_owned());
        }
        // Every topic is this test's topic, so its queue sees everything the test publishes.
        for topic in crate::events::Topic::ALL {
            vars.insert(topic.env_var().to_owned(), topic_arn.clone());
        }
        for (k, v) in overrides {
            if !crate::config::SECRET_SETTINGS.contains(k) {
                vars.insert((*k).to_owned(), (*v).to_owned());
            }
        }
        let raw: Vec<(String, String)> = vars.clone().into_iter().collect();
        let secret_of = |name: &str| vars[&crate::config::secret_arn_var(name)].clone();
        let (signing_keys_secret, public_keys_secret) =
            (secret_of("JWT_SIGNING_KEYS"), secret_of("JWT_PUBLIC_KEYS"));
        // LocalStack's BatchGetSecretValue now and then fails with an InternalError while
        // another test creates secrets ("dictionary changed size during iteration", a race in
        // LocalStack itself): a test tries again rather than fail on it.
        let mut attempt = 1;
        let env = loop {
            match Environment::resolve(vars.clone(), &aws).await {
                Ok(env) => break env,
                Err(e) if attempt < 4 && e.to_string().contains("InternalError") => {
                    attempt += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
                }
                Err(e) => panic!("secrets from LocalStack: {e:?}"),
            }
        };
        let (http, mongo, redis, tokens, topics) = load(&env).expect("test config");
        Self {
            env,
            http,
            mongo,
            redis,
            tokens,
            keys,
            public_keys_secret,
            signing_keys_secret,
            topics,
            aws,
            queue_url,
            sqs,
            vars: raw,
        }
    }

    /// This test's settings as a function's process environment holds them: `*_SECRET_ARN`
    /// variables naming LocalStack secrets, not their values (for [`crate::init::Deferred`]).
    pub fn vars(&self) -> Vec<(String, String)> {
        self.vars.clone()
    }

    /// Drains the queue until `expected` events have arrived or `wait` has passed, returning
    /// each envelope with its message attributes.
    pub async fn events(&self, expected: usize, wait: Duration) -> Vec<ReceivedEvent> {
        let deadline = Instant::now() + wait;
        let mut out = Vec::new();
        while out.len() < expected && Instant::now() < deadline {
            let received = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .message_attribute_names("All")
                .send()
                .await
                .expect("receive");
            for message in received.messages.unwrap_or_default() {
                let body = message.body.clone().unwrap_or_default();
                let envelope: Envelope = serde_json::from_str(&body).expect("envelope JSON");
                let attributes = message
                    .message_attributes
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|(k, v)| Some((k, v.string_value?)))
                    .collect();
                if let Some(handle) = message.receipt_handle {
                    let _ = self
                        .sqs
                        .delete_message()
                        .queue_url(&self.queue_url)
                        .receipt_handle(handle)
                        .send()
                        .await;
                }
                out.push(ReceivedEvent {
                    envelope,
                    attributes,
                    raw: body,
                });
            }
        }
        out
    }

    /// Events named `name`, returned as soon as `expected` of them have arrived.
    ///
    /// SNS delivers to SQS asynchronously and a loaded machine (the whole suite in parallel,
    /// a fresh LocalStack) can take seconds, so the deadline is generous; it is only reached
    /// when fewer than `expected` come, i.e. by tests checking that no more than that were
    /// published.
    pub async fn events_named(&self, name: &str, expected: usize) -> Vec<ReceivedEvent> {
        let mut found = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        while found.len() < expected && Instant::now() < deadline {
            for event in self.events(1, Duration::from_secs(1)).await {
                if event.envelope.event_name == name {
                    found.push(event);
                }
            }
        }
        found
    }
}

type Pieces = (HttpConfig, MongoConfig, RedisConfig, TokenConfig, Topics);

fn load(env: &Environment) -> Result<Pieces, ConfigError> {
    Pieces::load(&env.lookup())
}

/// Stores `value` as a new secret in LocalStack and returns its ARN.
pub async fn create_secret(
    client: &aws_sdk_secretsmanager::Client,
    name: &str,
    value: &str,
) -> String {
    client
        .create_secret()
        .name(name)
        .secret_string(value)
        .send()
        .await
        .expect("LocalStack Secrets Manager: create secret")
        .arn
        .expect("secret arn")
}

impl TestEnv {
    /// A signer with this test's keys (as register, login and refresh hold it).
    pub fn signer(&self) -> TokenSigner {
        TokenSigner::new(&self.tokens, &self.keys, None).expect("the test's signing keys")
    }

    /// A verifier as the authorizer builds it: the public set read from this test's secret,
    /// read again from it on an unknown `kid`.
    pub fn verifier(&self) -> TokenVerifier {
        let public = PublicKeysConfig::load(&self.env.lookup()).expect("the test's public keys");
        let source = KeySource::secrets_manager(&self.aws, &self.public_keys_secret);
        TokenVerifier::new(&self.tokens, &public.keys.keys, Some(source))
            .expect("the test's public keys")
    }

    /// Writes a new value of one of this test's secrets (a rotation, as an operator's step
    /// writes it).
    pub async fn put_secret(&self, secret_id: &str, value: &str) {
        aws_sdk_secretsmanager::Client::new(&self.aws)
            .put_secret_value()
            .secret_id(secret_id)
            .secret_string(value)
            .send()
            .await
            .expect("LocalStack Secrets Manager: put secret value");
    }

    /// The lookup a service's own config loader takes (`UsersConfig::load(&env.lookup())`).
    pub fn lookup(&self) -> impl Fn(&str) -> Option<String> + '_ {
        self.env.lookup()
    }

    /// Service `D` on this test's slice, built as its functions build it at cold start
    /// (another call: another function instance, with its own clients).
    pub async fn service<D: Service>(&self) -> D {
        self.service_with(&self.aws).await
    }

    /// Like [`TestEnv::service`], its AWS clients on `aws` (e.g. an unreachable SNS endpoint).
    pub async fn service_with<D: Service>(&self, aws: &SdkConfig) -> D {
        let start = ColdStart::with(aws.clone(), self.env.clone());
        let (deps, ()) = start
            .service::<D, ()>()
            .await
            .unwrap_or_else(|e| panic!("building the service: {e}"));
        deps
    }
}

/// One message read back from the test queue.
#[derive(Debug)]
pub struct ReceivedEvent {
    /// The parsed envelope.
    pub envelope: Envelope,
    /// SNS message attributes (`eventName`, `correlationId`).
    pub attributes: HashMap<String, String>,
    /// The raw body, to check nothing secret leaked into it.
    pub raw: String,
}

/// API Gateway REST (v1) proxy events for handler tests, as API Gateway would send them.
pub mod apigw {
    use lambda_http::Request;
    use serde_json::{json, Value};

    /// Builds the proxy event for `method path` with an optional JSON body and authorizer
    /// context, then turns it into the `Request` the function sees.
    pub struct EventBuilder {
        event: Value,
    }

    impl EventBuilder {
        /// A request to `resource` (the template's route, e.g. `/api/v1/users/me`) at `path`.
        pub fn new(method: &str, resource: &str, path: &str) -> Self {
            Self {
                event: json!({
                    "resource": resource,
                    "path": path,
                    "httpMethod": method,
                    "headers": {"content-type": "application/json"},
                    "multiValueHeaders": {"content-type": ["application/json"]},
                    "queryStringParameters": null,
                    "multiValueQueryStringParameters": null,
                    "pathParameters": null,
                    "stageVariables": null,
                    "requestContext": {
                        "accountId": "000000000000",
                        "resourceId": "abc123",
                        "stage": "local",
                        "requestId": uuid::Uuid::new_v4().to_string(),
                        "identity": {"sourceIp": "127.0.0.1", "userAgent": "streamia-tests"},
                        "resourcePath": resource,
                        "httpMethod": method,
                        "apiId": "local",
                        "path": format!("/local{path}"),
                        "protocol": "HTTP/1.1",
                        "requestTimeEpoch": 0
                    },
                    "body": null,
                    "isBase64Encoded": false
                }),
            }
        }

        /// Sets a header (lower-case name).
        pub fn header(mut self, name: &str, value: &str) -> Self {
            self.event["headers"][name] = json!(value);
            self.event["multiValueHeaders"][name] = json!([value]);
            self
        }

        /// Sets the client's address (`requestContext.identity.sourceIp`, 127.0.0.1 unless set).
        pub fn source_ip(mut self, ip: &str) -> Self {
            self.event["requestContext"]["identity"]["sourceIp"] = json!(ip);
            self
        }

        /// Sets the raw body.
        pub fn body(mut self, body: &str) -> Self {
            self.event["body"] = json!(body);
            self
        }

        /// Sets a JSON body.
        pub fn json(self, body: Value) -> Self {
            let text = body.to_string();
            self.body(&text)
        }

        /// Sets the authorizer context, as the authorizer function returns it.
        pub fn authorizer(mut self, context: Value) -> Self {
            self.event["requestContext"]["authorizer"] = context;
            self
        }

        /// Sets the query string, as API Gateway REST passes it: every value in
        /// `multiValueQueryStringParameters`, the last one of each name in
        /// `queryStringParameters`. Values are given decoded (API Gateway decodes them).
        pub fn query(mut self, pairs: &[(&str, &str)]) -> Self {
            let mut single = serde_json::Map::new();
            let mut multi = serde_json::Map::new();
            for (name, value) in pairs {
                single.insert((*name).to_owned(), json!(value));
                if let Some(values) = multi
                    .entry((*name).to_owned())
                    .or_insert_with(|| json!([]))
                    .as_array_mut()
                {
                    values.push(json!(value));
                }
            }
            self.event["queryStringParameters"] = Value::Object(single);
            self.event["multiValueQueryStringParameters"] = Value::Object(multi);
            self
        }

        /// Sets path parameters.
        pub fn path_params(mut self, params: Value) -> Self {
            self.event["pathParameters"] = params;
            self
        }

        /// The event JSON.
        pub fn to_json(&self) -> String {
            self.event.to_string()
        }

        /// The `Request` lambda_http builds from this event.
        pub fn build(self) -> Request {
            lambda_http::request::from_str(&self.to_json()).expect("valid API Gateway event")
        }
    }
}

/// The checked-in event examples and the subscriptions of infra/messaging.yaml, for the
/// contract tests of the platform and of every consumer.
pub mod contracts {
    use std::path::{Path, PathBuf};

    use crate::events::Envelope;

    /// One example file of `shared/events/examples`.
    #[derive(Debug, Clone)]
    pub struct Example {
        /// `eventName` taken from the file name (`<eventName>.v<version>.json`).
        pub name: String,
        /// Version taken from the file name.
        pub version: u32,
        /// The file, for messages.
        pub path: PathBuf,
        /// Its text.
        pub json: String,
    }

    impl Example {
        /// The example as a consumer receives it (untyped envelope).
        pub fn envelope(&self) -> Envelope {
            serde_json::from_str(&self.json)
                .unwrap_or_else(|e| panic!("{}: not an envelope: {e}", self.path.display()))
        }
    }

    fn repo_root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("the shared crate sits in the workspace root")
            .to_path_buf()
    }

    /// Every example file; a file not named `<eventName>.v<N>.json` fails the caller's test.
    pub fn examples() -> Vec<Example> {
        let dir = repo_root().join("shared/events/examples");
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&dir).expect("shared/events/examples") {
            let path = entry.expect("dir entry").path();
            let file = path
                .file_name()
                .and_then(|f| f.to_str())
                .expect("UTF-8 file name")
                .to_owned();
            let stem = file
                .strip_suffix(".json")
                .unwrap_or_else(|| panic!("{file}: examples are .json files"));
            let (name, version) = stem
                .rsplit_once(".v")
                .and_then(|(n, v)| Some((n.to_owned(), v.parse().ok()?)))
                .unwrap_or_else(|| panic!("{file}: name it <eventName>.v<version>.json"));
            let json = std::fs::read_to_string(&path).expect("read example");
            out.push(Example {
                name,
                version,
                path,
                json,
            });
        }
        out.sort_by(|a, b| (&a.name, a.version).cmp(&(&b.name, b.version)));
        out
    }

    /// The contract test of a consumer: every example of every event its queue's filter
    /// (infra/messaging.yaml) lets through must be handled. `handle` is the consumer's parse
    /// step (or more), telling for each example envelope `Ok(Some(_))` handled, `Ok(None)`
    /// ignored, `Err(_)` unreadable; an ignored or unreadable example, or a subscribed event
    /// without an example, fails naming the file. Returns what `handle` produced, in example
    /// order, for further checks.
    ///
    /// Why: a producer that changes a payload must change its example, which then breaks
    /// every consumer that does not follow; a subscription added without handling it fails
    /// here too, before it fills a dead-letter queue.
    ///
    /// ```ignore
    /// #[test]
    /// fn every_subscribed_event_is_handled() {
    ///     assert_consumer_handles("NotificationsUserEventsQueue", events::parse);
    /// }
    /// ```
    pub fn assert_consumer_handles<T, E: std::fmt::Display>(
        queue_logical_id: &str,
        mut handle: impl FnMut(Envelope) -> Result<Option<T>, E>,
    ) -> Vec<T> {
        let subscribed = subscribed_events(queue_logical_id);
        assert!(
            !subscribed.is_empty(),
            "{queue_logical_id} subscribes to nothing"
        );
        let examples = examples();
        let mut handled = Vec::new();
        for name in &subscribed {
            let of_event: Vec<&Example> = examples.iter().filter(|e| &e.name == name).collect();
            assert!(
                !of_event.is_empty(),
                "{queue_logical_id} subscribes to {name}, which has no example in shared/events/examples"
            );
            for example in of_event {
                match handle(example.envelope()) {
                    Ok(Some(out)) => handled.push(out),
                    Ok(None) => panic!(
                        "{queue_logical_id} subscribes to {name} but its consumer ignores {}",
                        example.path.display()
                    ),
                    Err(e) => panic!(
                        "{}: the consumer of {queue_logical_id} cannot read it: {e}",
                        example.path.display()
                    ),
                }
            }
        }
        handled
    }

    /// The event names the queue `queue_logical_id` of infra/messaging.yaml receives: the
    /// `eventName` filter policies of the subscriptions delivering to it.
    pub fn subscribed_events(queue_logical_id: &str) -> Vec<String> {
        let path = repo_root().join("infra/messaging.yaml");
        let text = std::fs::read_to_string(&path).expect("infra/messaging.yaml");
        let doc: serde_yaml::Value = serde_yaml::from_str(&text).expect("messaging.yaml is YAML");
        let resources = doc["Resources"].as_mapping().expect("Resources");
        let target = format!("{queue_logical_id}.Arn");
        let mut names = Vec::new();
        let mut found = false;
        for (_, resource) in resources {
            if resource["Type"].as_str() != Some("AWS::SNS::Subscription") {
                continue;
            }
            let endpoint = match &resource["Properties"]["Endpoint"] {
                serde_yaml::Value::Tagged(tagged) if tagged.tag == "!GetAtt" => {
                    tagged.value.as_str().unwrap_or_default().to_owned()
                }
                _ => continue,
            };
            if endpoint != target {
                continue;
            }
            found = true;
            let policy = &resource["Properties"]["FilterPolicy"]["eventName"];
            let listed = policy.as_sequence().unwrap_or_else(|| {
                panic!("subscription to {queue_logical_id}: filter on eventName with a list")
            });
            names.extend(listed.iter().filter_map(|n| n.as_str().map(str::to_owned)));
        }
        assert!(found, "no subscription delivers to {queue_logical_id}");
        names.sort();
        names.dedup();
        names
    }
}
