//! Configuration, read once at init, one piece per dependency.
//!
//! A function reads only the pieces it uses (the authorizer: tokens and Redis; the
//! notifications consumer: Mongo and its mail settings), so `template.yaml` gives each function
//! only those variables, and a workspace test (`infra/checks`) holds the template to what the
//! loaders read. Every loader reads through a lookup closure: at cold start that is
//! [`crate::secrets::Environment`] (the process environment with its secrets fetched from
//! Secrets Manager), in tests a map. A function missing a setting fails its cold start with a
//! message naming every problem at once, not the first request that happens to need it.
//!
//! Secrets (`JWT_SIGNING_KEYS`, `JWT_PUBLIC_KEYS`, `REFRESH_TOKEN_PEPPER`, `MONGODB_URI`,
//! `REDIS_URL`, `CACHE_REDIS_URL`, `SMTP_PASSWORD`, `CLOUDINARY_API_SECRET`) never sit in the environment: it holds
//! `JWT_SIGNING_KEYS_SECRET_ARN`, `MONGODB_URI_SECRET_ARN`, ... ([`secret_arn_var`]), and the
//! value is fetched from Secrets Manager.

use std::fmt;
use std::time::Duration;

use crate::auth::keys::{KeySecrets, KeySet, KeyUse};
use crate::events::Topic;

/// How loaders read settings: a variable's name in, its value (if set) out.
pub type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Settings whose values are secrets: never set as plain environment variables (the template
/// sets `<NAME>_SECRET_ARN` instead); [`crate::secrets::Environment`] ignores them in the
/// process environment so a deployed function cannot fall back to a plain value.
pub const SECRET_SETTINGS: [&str; 8] = [
    "JWT_SIGNING_KEYS",
    "JWT_PUBLIC_KEYS",
    "REFRESH_TOKEN_PEPPER",
    "MONGODB_URI",
    "REDIS_URL",
    "CACHE_REDIS_URL",
    "SMTP_PASSWORD",
    "CLOUDINARY_API_SECRET",
];

/// Every variable holding a secret's ARN (or name) ends with this.
pub const SECRET_ARN_SUFFIX: &str = "_SECRET_ARN";

/// The variable holding the ARN of secret setting `name`: `SMTP_SECRET` -> `SMTP_SECRET_ARN`,
/// `MONGODB_URI` -> `MONGODB_URI_SECRET_ARN`.
pub fn secret_arn_var(name: &str) -> String {
    match name.ends_with("_SECRET") {
        true => format!("{name}_ARN"),
        false => format!("{name}{SECRET_ARN_SUFFIX}"),
    }
}

/// The secret setting whose ARN `var` holds (the inverse of [`secret_arn_var`]).
pub fn secret_name(var: &str) -> Option<String> {
    SECRET_SETTINGS
        .iter()
        .find(|s| secret_arn_var(s) == var)
        .map(|s| (*s).to_owned())
        .or_else(|| Some(var.strip_suffix(SECRET_ARN_SUFFIX)?.to_owned()))
}

/// A piece of configuration read through a lookup. Tuples of pieces load together and report
/// every problem of every piece at once:
/// `let (mongo, redis) = <(MongoConfig, RedisConfig)>::load(lookup)?;`
pub trait Load: Sized {
    /// Reads and validates this piece.
    fn load(lookup: Lookup<'_>) -> Result<Self, ConfigError>;
}

/// Nothing to load (an entry point that needs no piece of its own).
impl Load for () {
    fn load(_: Lookup<'_>) -> Result<Self, ConfigError> {
        Ok(())
    }
}

macro_rules! load_tuple {
    ($($name:ident),+) => {
        impl<$($name: Load),+> Load for ($($name,)+) {
            #[allow(non_snake_case)]
            fn load(lookup: Lookup<'_>) -> Result<Self, ConfigError> {
                let mut problems = Vec::new();
                $(let $name = $name::load(lookup).map_err(|e| problems.extend(e.problems));)+
                match ($($name,)+) {
                    ($(Ok($name),)+) => Ok(($($name,)+)),
                    _ => Err(ConfigError { problems }),
                }
            }
        }
    };
}
load_tuple!(A, B);
load_tuple!(A, B, C);
load_tuple!(A, B, C, D);
load_tuple!(A, B, C, D, E);
load_tuple!(A, B, C, D, E, F);
load_tuple!(A, B, C, D, E, F, G);

/// What every HTTP function reads besides its service's pieces (with [`crate::http::Cors`]):
/// how large a request body it parses.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Largest request body a function parses (`MAX_BODY_BYTES`, default 64 KiB).
    pub max_body_bytes: usize,
}

impl Load for HttpConfig {
    fn load(lookup: Lookup<'_>) -> Result<Self, ConfigError> {
        let mut env = Reader::new(lookup);
        let max_body_bytes = env.positive("MAX_BODY_BYTES", 64 * 1024) as usize;
        env.finish(Self { max_body_bytes })
    }
}

/// MongoDB: where the service's own database lives.
#[derive(Clone)]
pub struct MongoConfig {
    /// Connection string (secret `MONGODB_URI_SECRET_ARN`). Each service has its own secret
    /// (the template's `<Service>MongoDbUriSecretArn`): in Atlas, a database user whose only
    /// role is `readWrite` on [`MongoConfig::database_name`] of that service, so a function of
    /// one service cannot read another's data (`infra/checks` holds the template to that).
    pub uri: String,
    /// Prefix of every service database name: the users service uses `<prefix>_users`
    /// (`MONGODB_DATABASE_PREFIX`, default `streamia`). Tests give each test its own prefix.
    pub database_prefix: String,
}

impl Load for MongoConfig {
    fn load(lookup: Lookup<'_>) -> Result<Self, ConfigError> {
        let mut env = Reader::new(lookup);
        let uri = env.secret("MONGODB_URI");
        let database_prefix = env.or("MONGODB_DATABASE_PREFIX", "streamia");
        if !database_prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            env.problem("MONGODB_DATABASE_PREFIX may hold only letters, digits, '_' and '-'");
        }
        env.finish(Self {
            uri,
            database_prefix,
        })
    }
}

impl MongoConfig {
    /// The database a service owns: one database per service, never shared.
    pub fn database_name(&self, service: &str) -> String {
        format!("{}_{}", self.database_prefix, service)
    }
}

/// Secrets never reach a log line, even through `{:?}`.
impl fmt::Debug for MongoConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MongoConfig")
            .field("uri", &"<redacted>")
            .field("database_prefix", &self.database_prefix)
            .finish()
    }
}

/// The auth Redis: revoked tokens and sessions, password-guess counters, limits per client.
/// State that must never disappear to make room (an evicted revocation is a logged-out token
/// working again), so the instance runs `maxmemory-policy noeviction` (README, deploy) and,
/// once full, refuses writes: the requests that need one answer 503. Caches that may be
/// evicted go to their own instance, [`CacheRedisConfig`].
#[derive(Clone)]
pub struct RedisConfig {
    /// Connection string (secret `REDIS_URL_SECRET_ARN`, the template's
    /// `AuthRedisUrlSecretArn`; `rediss://` for TLS).
    pub url: String,
    /// PEM file of the CA(s) a `rediss://` server's certificate is verified against instead of
    /// the system roots (`REDIS_CA_CERT`), for a Redis with a private CA.
    pub ca_cert: Option<std::path::PathBuf>,
    /// Prefix of every key (`REDIS_KEY_PREFIX`, default `streamia:`), so that several stacks
    /// or tests can share one Redis.
    pub key_prefix: String,
}

impl Load for RedisConfig {
    fn load(lookup: Lookup<'_>) -> Result<Self, ConfigError> {
        let mut env = Reader::new(lookup);
        let redis = Self::read(&mut env, "REDIS_URL");
        env.finish(redis)
    }
}

impl RedisConfig {
    /// The instance whose URL is secret `secret`, with the CA file and key prefix every
    /// instance shares.
    pub(crate) fn read(env: &mut Reader<'_>, secret: &str) -> Self {
        let url = env.secret(secret);
        let key_prefix = env.or("REDIS_KEY_PREFIX", "streamia:");
        let ca_cert = env.get("REDIS_CA_CERT").map(std::path::PathBuf::from);
        let tls = url.starts_with("rediss://") || url.starts_with("valkeys://");
        if ca_cert.is_some() && !url.is_empty() && !tls {
            env.problem(format!(
                "REDIS_CA_CERT is set but {secret} is not rediss://"
            ));
        }
        Self {
            url,
            ca_cert,
            key_prefix,
        }
    }
}

/// The cache Redis: data that can be rebuilt from its source (the movie catalog's cache, the
/// favorites' list pages, the ratings' summaries). Its own instance, apart from
/// the auth one ([`RedisConfig`]), so that a cache filling memory can never push a revocation
/// out: it runs `maxmemory-policy allkeys-lru` and evicts its least used keys instead of
/// refusing writes (README, deploy). The URL is secret `CACHE_REDIS_URL_SECRET_ARN` (the
/// template's `CacheRedisUrlSecretArn`); `REDIS_CA_CERT` and `REDIS_KEY_PREFIX` are shared with
/// the auth instance. Only the movies, favorites and ratings functions load it (the template
/// gives only them the variable; `infra/checks` holds the two together).
#[derive(Debug, Clone)]
pub struct CacheRedisConfig {
    /// The instance, for [`crate::cache::connect`].
    pub redis: RedisConfig,
}

impl Load for CacheRedisConfig {
    fn load(lookup: Lookup<'_>) -> Result<Self, ConfigError> {
        let mut env = Reader::new(lookup);
        let redis = RedisConfig::read(&mut env, "CACHE_REDIS_URL");
        env.finish(Self { redis })
    }
}

impl fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisConfig")
            .field("url", &"<redacted>")
            .field("key_prefix", &self.key_prefix)
            .finish()
    }
}

/// How long tokens live and who issues them: no key here (see [`SigningKeysConfig`],
/// [`PublicKeysConfig`]), so every function that needs a lifetime can have this piece.
#[derive(Debug, Clone)]
pub struct TokenConfig {
    /// `iss` claim (`JWT_ISSUER`, default `streamia`).
    pub issuer: String,
    /// Access token lifetime (`ACCESS_TOKEN_TTL_SECONDS`, default 900).
    pub access_ttl: Duration,
    /// Refresh token and session lifetime (`REFRESH_TOKEN_TTL_SECONDS`, default 30 days);
    /// only functions that open sessions are given it.
    pub refresh_ttl: Duration,
}

impl Load for TokenConfig {
    fn load(lookup: Lookup<'_>) -> Result<Self, ConfigError> {
        let mut env = Reader::new(lookup);
        let issuer = env.or("JWT_ISSUER", "streamia");
        let access_ttl = Duration::from_secs(env.positive("ACCESS_TOKEN_TTL_SECONDS", 900));
        let refresh_ttl =
            Duration::from_secs(env.positive("REFRESH_TOKEN_TTL_SECONDS", 30 * 24 * 3600));
        env.finish(Self {
            issuer,
            access_ttl,
            refresh_ttl,
        })
    }
}

/// A key set read from a secret, with the secret's id to read it again.
#[derive(Clone)]
pub struct KeysFrom {
    /// The set.
    pub keys: KeySet,
    /// The secret's ARN or name (`None`: given as a value, by a test).
    pub secret_id: Option<String>,
}

impl Reader<'_> {
    /// The key set in secret `name`, checked for `key_use`; `None` (and a problem) when it is
    /// unusable.
    fn key_set(&mut self, name: &str, raw: String, key_use: KeyUse) -> Option<KeysFrom> {
        let secret_id = self.get(&secret_arn_var(name));
        match KeySet::parse(&raw).and_then(|keys| key_use.check(&keys).map(|()| keys)) {
            Ok(keys) => Some(KeysFrom { keys, secret_id }),
            Err(e) => {
                self.problem(format!("{name}: {e}"));
                None
            }
        }
    }
}

/// The private key set of access tokens (`JWT_SIGNING_KEYS_SECRET_ARN`): only the functions
/// that sign are given it (register, login, refresh; `infra/checks` holds the template to
/// that), so every other function of a service has `None`.
#[derive(Clone, Default)]
pub struct SigningKeysConfig {
    /// The set with its private keys, when this function signs.
    pub keys: Option<KeysFrom>,
}

impl Load for SigningKeysConfig {
    fn load(lookup: Lookup<'_>) -> Result<Self, ConfigError> {
        let mut env = Reader::new(lookup);
        let keys = env
            .optional_secret("JWT_SIGNING_KEYS")
            .and_then(|raw| env.key_set("JWT_SIGNING_KEYS", raw, KeyUse::Sign));
        env.finish(Self { keys })
    }
}

/// The public key set of access tokens (`JWT_PUBLIC_KEYS_SECRET_ARN`): what verifiers (the
/// authorizer) hold. A private key in it fails the load.
#[derive(Clone)]
pub struct PublicKeysConfig {
    /// The set.
    pub keys: KeysFrom,
}

impl Load for PublicKeysConfig {
    fn load(lookup: Lookup<'_>) -> Result<Self, ConfigError> {
        let mut env = Reader::new(lookup);
        let raw = env.secret("JWT_PUBLIC_KEYS");
        let keys = match raw.is_empty() {
            true => None,
            false => env.key_set("JWT_PUBLIC_KEYS", raw, KeyUse::Verify),
        };
        let keys = keys.unwrap_or(KeysFrom {
            keys: KeySet::default(),
            secret_id: None,
        });
        env.finish(Self { keys })
    }
}

/// Where the key sets are stored, for the functions that write them (the setup step and the
/// rotation): the two secrets' ARNs, not their values.
#[derive(Debug, Clone)]
pub struct KeySecretsConfig {
    /// Both secrets.
    pub secrets: KeySecrets,
}

impl Load for KeySecretsConfig {
    fn load(lookup: Lookup<'_>) -> Result<Self, ConfigError> {
        let mut env = Reader::new(lookup);
        let signing = env.required(&secret_arn_var("JWT_SIGNING_KEYS"));
        let public = env.required(&secret_arn_var("JWT_PUBLIC_KEYS"));
        env.finish(Self {
            secrets: KeySecrets { signing, public },
        })
    }
}

/// The server secret that seals a spent refresh token's successor
/// (`REFRESH_TOKEN_PEPPER_SECRET_ARN`, at least 32 bytes): its own secret, only in the
/// function that refreshes; `None` elsewhere.
#[derive(Clone, Default)]
pub struct RefreshPepperConfig {
    /// The pepper, when this function refreshes.
    pub pepper: Option<String>,
}

impl Load for RefreshPepperConfig {
    fn load(lookup: Lookup<'_>) -> Result<Self, ConfigError> {
        let mut env = Reader::new(lookup);
        let pepper = env.optional_secret("REFRESH_TOKEN_PEPPER");
        if pepper.as_ref().is_some_and(|p| p.len() < 32) {
            env.problem("REFRESH_TOKEN_PEPPER must be at least 32 bytes long");
        }
        env.finish(Self { pepper })
    }
}

/// Secrets never reach a log line, even through `{:?}`.
impl fmt::Debug for SigningKeysConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKeysConfig")
            .field("keys", &self.keys.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl fmt::Debug for PublicKeysConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kids: Vec<&str> = self.keys.keys.keys().map(|k| k.kid()).collect();
        f.debug_struct("PublicKeysConfig")
            .field("kids", &kids)
            .finish()
    }
}

impl fmt::Debug for RefreshPepperConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshPepperConfig")
            .field("pepper", &self.pepper.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// The SNS topics a function may publish to (`<NAME>_EVENTS_TOPIC_ARN`); functions that
/// publish nothing have none.
#[derive(Debug, Clone, Default)]
pub struct Topics {
    arns: Vec<(Topic, String)>,
}

impl Load for Topics {
    fn load(lookup: Lookup<'_>) -> Result<Self, ConfigError> {
        let env = Reader::new(lookup);
        let arns = Topic::ALL
            .into_iter()
            .filter_map(|t| Some((t, env.get(t.env_var())?)))
            .collect();
        env.finish(Self { arns })
    }
}

impl Topics {
    /// The ARN of a topic, when this function was given one.
    pub fn arn(&self, topic: Topic) -> Option<String> {
        self.arns
            .iter()
            .find(|(t, _)| *t == topic)
            .map(|(_, arn)| arn.clone())
    }
}

/// Every problem found in the environment, so one failed cold start names them all.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {}", .problems.join("; "))]
pub struct ConfigError {
    /// One line per bad or missing variable.
    pub problems: Vec<String>,
}

/// Reads variables through a lookup, collecting problems instead of stopping at the first.
/// Every piece's [`Load`] uses it, the platform's and the services' own
/// (`let mut env = Reader::new(lookup);` ... `env.finish(value)`).
pub struct Reader<'a> {
    lookup: Lookup<'a>,
    problems: Vec<String>,
}

impl<'a> Reader<'a> {
    /// Starts reading through `lookup`.
    pub fn new(lookup: Lookup<'a>) -> Self {
        Self {
            lookup,
            problems: Vec::new(),
        }
    }

    /// A non-blank value.
    pub fn get(&self, key: &str) -> Option<String> {
        (self.lookup)(key).filter(|v| !v.trim().is_empty())
    }

    /// Records a problem.
    pub fn problem(&mut self, message: impl Into<String>) {
        self.problems.push(message.into());
    }

    /// A value that must be set.
    pub fn required(&mut self, key: &str) -> String {
        self.get(key).unwrap_or_else(|| {
            self.problems.push(format!("{key} is required"));
            String::new()
        })
    }

    /// A value with a default.
    pub fn or(&self, key: &str, default: &str) -> String {
        self.get(key).unwrap_or_else(|| default.to_owned())
    }

    /// A value parsed by `parse` (which names what it expects), with a default when unset.
    pub fn parsed<T>(
        &mut self,
        key: &str,
        default: T,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> T {
        match self.get(key) {
            None => default,
            Some(raw) => parse(raw.trim()).unwrap_or_else(|why| {
                self.problems.push(format!("{key}: {why}, got {raw:?}"));
                default
            }),
        }
    }

    /// A positive integer with a default.
    pub fn positive(&mut self, key: &str, default: u64) -> u64 {
        match self.get(key) {
            None => default,
            Some(raw) => match raw.trim().parse::<u64>() {
                Ok(n) if n > 0 => n,
                _ => {
                    self.problems
                        .push(format!("{key} must be a positive integer, got {raw:?}"));
                    default
                }
            },
        }
    }

    /// A secret that must be set: [`secret_arn_var`] (`REDIS_URL_SECRET_ARN`) names it, and the lookup answers `NAME`
    /// with the value fetched from Secrets Manager ([`crate::secrets::Environment`]). Without
    /// an ARN, `NAME` itself is accepted: only a test's map can hold it, since the
    /// environment drops plain secret values.
    pub fn secret(&mut self, name: &str) -> String {
        let arn_var = secret_arn_var(name);
        let named = self.get(&arn_var).is_some();
        self.optional_secret(name).unwrap_or_else(|| {
            if !named {
                self.problems.push(format!("{arn_var} is required"));
            }
            String::new()
        })
    }

    /// A secret that may be absent (e.g. `SMTP_PASSWORD` for a server without login).
    pub fn optional_secret(&mut self, name: &str) -> Option<String> {
        let arn_var = secret_arn_var(name);
        let arn = self.get(&arn_var);
        let value = self.get(name);
        if let (Some(arn), None) = (&arn, &value) {
            self.problems
                .push(format!("{arn_var}: secret {arn} was not loaded"));
        }
        value
    }

    /// The value, or every problem found.
    pub fn finish<T>(self, value: T) -> Result<T, ConfigError> {
        match self.problems.is_empty() {
            true => Ok(value),
            false => Err(ConfigError {
                problems: self.problems,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load<T: Load>(vars: &[(&str, &str)]) -> Result<T, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        T::load(&|k| map.get(k).cloned())
    }

    #[test]
    fn names_every_missing_variable_of_every_piece_at_once() {
        let err = load::<(MongoConfig, RedisConfig, PublicKeysConfig, CacheRedisConfig)>(&[])
            .unwrap_err();
        let all = err.to_string();
        assert!(all.contains("MONGODB_URI_SECRET_ARN is required"), "{all}");
        assert!(all.contains("REDIS_URL_SECRET_ARN is required"), "{all}");
        assert!(
            all.contains("CACHE_REDIS_URL_SECRET_ARN is required"),
            "{all}"
        );
        assert!(
            all.contains("JWT_PUBLIC_KEYS_SECRET_ARN is required"),
            "{all}"
        );
    }

    #[test]
    fn key_sets_are_checked_for_their_use() {
        let keys = KeySet::initial(chrono::Utc::now());
        let (private, public) = (keys.to_json(), keys.public().to_json());
        assert!(load::<PublicKeysConfig>(&[("JWT_PUBLIC_KEYS", &public)]).is_ok());
        let err = load::<PublicKeysConfig>(&[("JWT_PUBLIC_KEYS", &private)]).unwrap_err();
        assert!(err.to_string().contains("private"), "{err}");
        let err = load::<SigningKeysConfig>(&[("JWT_SIGNING_KEYS", &public)]).unwrap_err();
        assert!(err.to_string().contains("no private part"), "{err}");
        let err = load::<SigningKeysConfig>(&[("JWT_SIGNING_KEYS", "{}")]).unwrap_err();
        assert!(err.to_string().contains("setup step"), "{err}");
    }

    #[test]
    fn own_variables_name_their_setting_both_ways() {
        for name in SECRET_SETTINGS.into_iter().chain(["SOME_API_KEY"]) {
            assert_eq!(secret_name(&secret_arn_var(name)).as_deref(), Some(name));
        }
        assert_eq!(secret_arn_var("SOME_SECRET"), "SOME_SECRET_ARN");
        assert_eq!(
            secret_arn_var("JWT_SIGNING_KEYS"),
            "JWT_SIGNING_KEYS_SECRET_ARN"
        );
        assert_eq!(secret_arn_var("REDIS_URL"), "REDIS_URL_SECRET_ARN");
        assert_eq!(
            secret_arn_var("CACHE_REDIS_URL"),
            "CACHE_REDIS_URL_SECRET_ARN"
        );
    }

    #[test]
    fn the_auth_and_the_cache_redis_are_two_instances() {
        let (auth, cache) = load::<(RedisConfig, CacheRedisConfig)>(&[
            ("REDIS_URL", "rediss://auth.example:6379/"),
            ("CACHE_REDIS_URL", "rediss://cache.example:6379/"),
            ("REDIS_KEY_PREFIX", "s:"),
        ])
        .unwrap();
        assert_eq!(auth.url, "rediss://auth.example:6379/");
        assert_eq!(cache.redis.url, "rediss://cache.example:6379/");
        assert_eq!(cache.redis.key_prefix, "s:");
        assert!(!format!("{cache:?}").contains("cache.example"));
        let err = load::<CacheRedisConfig>(&[
            ("CACHE_REDIS_URL", "redis://cache.example:6379/"),
            ("REDIS_CA_CERT", "/ca.pem"),
        ])
        .unwrap_err();
        assert!(
            err.to_string().contains("CACHE_REDIS_URL is not rediss://"),
            "{err}"
        );
    }

    #[test]
    fn rejects_short_secret_bad_numbers_and_unloaded_secrets() {
        let err = load::<(TokenConfig, HttpConfig, RedisConfig, RefreshPepperConfig)>(&[
            ("REFRESH_TOKEN_PEPPER", "short"),
            ("ACCESS_TOKEN_TTL_SECONDS", "ten"),
            ("MAX_BODY_BYTES", "0"),
            ("REDIS_URL_SECRET_ARN", "arn:aws:secretsmanager:x"),
        ])
        .unwrap_err();
        assert_eq!(err.problems.len(), 4, "{err}");
        assert!(err.to_string().contains("was not loaded"), "{err}");
    }

    #[test]
    fn defaults_and_debug_hides_secrets() {
        let keys = KeySet::initial(chrono::Utc::now()).to_json();
        let (mongo, tokens, topics, signing, pepper) = load::<(
            MongoConfig,
            TokenConfig,
            Topics,
            SigningKeysConfig,
            RefreshPepperConfig,
        )>(&[
            ("MONGODB_URI", "mongodb://user:pw@x"),
            ("JWT_SIGNING_KEYS", &keys),
            (
                "REFRESH_TOKEN_PEPPER",
                "0123456789abcdef0123456789abcdef-secret",
            ),
        ])
        .unwrap();
        assert_eq!(mongo.database_name("users"), "streamia_users");
        assert_eq!(tokens.access_ttl, Duration::from_secs(900));
        assert_eq!(topics.arn(Topic::UserEvents), None);
        assert!(signing.keys.is_some());
        assert!(!format!("{signing:?}").contains("\"d\""));
        assert!(!format!("{pepper:?}").contains("0123456789abcdef"));
        assert!(!format!("{mongo:?}").contains("pw"));
        // Functions that do not sign or refresh have neither.
        let (signing, pepper) = load::<(SigningKeysConfig, RefreshPepperConfig)>(&[]).unwrap();
        assert!(signing.keys.is_none() && pepper.pepper.is_none());
    }
}
