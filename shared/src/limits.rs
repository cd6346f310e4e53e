//! Limits per client (source address), beside the limits per account.
//!
//! The per-email and per-user guess limits stop one account from being guessed, but not one
//! client trying many emails (password spraying), locking out every email it knows, or burning
//! argon2 time on unknown emails and bogus reset tokens. So the public routes that lead to
//! argon2 work (login, register, forgot and reset password) first count the request against
//! its source address, atomically in Redis (one counter per action and address, shared by
//! every function instance), and refuse it past the limit before anything else runs.
//!
//! The address is API Gateway's `requestContext.identity.sourceIp` (the TCP peer, or the first
//! hop CloudFront saw; never a header the client writes). IPv6 clients are counted per /64:
//! one subscriber gets a whole /64, so counting single addresses would limit nothing.
//!
//! The limits are settings ([`ClientLimits`]): strict defaults when deployed (template
//! parameters), loose in the local stack, where every test suite and the fuzzer come from
//! 127.0.0.1.

use std::net::IpAddr;

use crate::cache::{Attempt, Redis, WindowCounter};
use crate::config::{ConfigError, Load, Lookup, Reader};

/// The actions limited per client, each with its own counter and limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAction {
    /// `POST /auth/login`: a password verification (argon2) per request.
    Login,
    /// `POST /auth/register`: a password hash per request, and an account.
    Register,
    /// `POST /auth/forgot-password`: an email per request.
    ForgotPassword,
    /// `POST /auth/reset-password`: a token lookup and a password hash per request.
    ResetPassword,
}

impl ClientAction {
    /// The counter's name in Redis keys.
    fn name(self) -> &'static str {
        match self {
            ClientAction::Login => "login",
            ClientAction::Register => "register",
            ClientAction::ForgotPassword => "forgot-password",
            ClientAction::ResetPassword => "reset-password",
        }
    }
}

/// Requests per client address and window for each [`ClientAction`], read at cold start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientLimits {
    /// The window every count lives in, from its first request (`IP_LIMIT_WINDOW_SECONDS`,
    /// default 600).
    pub window_secs: u64,
    /// Logins per address and window (`IP_LIMIT_LOGIN`, default 20).
    pub login: u64,
    /// Registrations per address and window (`IP_LIMIT_REGISTER`, default 5).
    pub register: u64,
    /// Reset requests per address and window (`IP_LIMIT_FORGOT_PASSWORD`, default 5).
    pub forgot_password: u64,
    /// Reset attempts per address and window (`IP_LIMIT_RESET_PASSWORD`, default 10).
    pub reset_password: u64,
}

impl ClientLimits {
    /// The deployed defaults: a person logs in a few times a month and registers once, so a
    /// window of ten minutes leaves room for a household or an office behind one address while
    /// an attacker gets a few attempts a minute instead of thousands.
    pub const STRICT: ClientLimits = ClientLimits {
        window_secs: 600,
        login: 20,
        register: 5,
        forgot_password: 5,
        reset_password: 10,
    };

    /// The limit of `action`.
    pub fn limit(&self, action: ClientAction) -> u64 {
        match action {
            ClientAction::Login => self.login,
            ClientAction::Register => self.register,
            ClientAction::ForgotPassword => self.forgot_password,
            ClientAction::ResetPassword => self.reset_password,
        }
    }
}

/// Every value is a positive integer with a strict default (see [`ClientLimits::STRICT`]).
impl Load for ClientLimits {
    fn load(lookup: Lookup<'_>) -> Result<Self, ConfigError> {
        let mut env = Reader::new(lookup);
        let d = Self::STRICT;
        let limits = Self {
            window_secs: env.positive("IP_LIMIT_WINDOW_SECONDS", d.window_secs),
            login: env.positive("IP_LIMIT_LOGIN", d.login),
            register: env.positive("IP_LIMIT_REGISTER", d.register),
            forgot_password: env.positive("IP_LIMIT_FORGOT_PASSWORD", d.forgot_password),
            reset_password: env.positive("IP_LIMIT_RESET_PASSWORD", d.reset_password),
        };
        env.finish(limits)
    }
}

/// Counts requests per client address and action in Redis; cheap to clone.
#[derive(Clone)]
pub struct ClientLimiter {
    counter: WindowCounter,
    limits: ClientLimits,
}

impl ClientLimiter {
    /// Counters under `<key_prefix>client-limit:` on the container's Redis connection.
    pub fn new(redis: Redis, key_prefix: &str, limits: ClientLimits) -> Self {
        Self {
            counter: WindowCounter::new(redis, key_prefix, "client-limit", limits.window_secs),
            limits,
        }
    }

    /// Counts one `action` from `client_ip`, then decides (counted first, so concurrent
    /// requests get distinct counts and at most the limit go ahead). Work with no client
    /// address (none is expected from API Gateway) shares one counter: it fails closed.
    pub async fn attempt(
        &self,
        action: ClientAction,
        client_ip: Option<&str>,
    ) -> Result<Attempt, redis::RedisError> {
        let subject = format!("{}:{}", action.name(), client_key(client_ip));
        self.counter
            .attempt(&subject, self.limits.limit(action))
            .await
    }
}

/// The address a client is counted under: an IPv4 address as it is, an IPv6 one by its /64
/// (what one subscriber is given), anything unparseable as written.
fn client_key(client_ip: Option<&str>) -> String {
    let Some(raw) = client_ip else {
        return "unknown".to_owned();
    };
    match raw.trim().parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Err(_) => raw.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn ipv6_clients_are_counted_per_64() {
        assert_eq!(client_key(Some("203.0.113.9")), "203.0.113.9");
        assert_eq!(
            client_key(Some("2001:db8:1:2:aaaa::1")),
            client_key(Some("2001:db8:1:2:bbbb::2"))
        );
        assert_ne!(
            client_key(Some("2001:db8:1:2::1")),
            client_key(Some("2001:db8:1:3::1"))
        );
        assert_eq!(client_key(Some("::ffff:203.0.113.9")), "203.0.113.9");
        assert_eq!(client_key(None), "unknown");
    }

    #[test]
    fn strict_by_default_and_every_bad_value_named() {
        let map: HashMap<&str, &str> = HashMap::new();
        let limits = ClientLimits::load(&|k| map.get(k).map(|v| v.to_string())).unwrap();
        assert_eq!(limits, ClientLimits::STRICT);
        let map: HashMap<&str, &str> = [("IP_LIMIT_LOGIN", "0"), ("IP_LIMIT_REGISTER", "many")]
            .into_iter()
            .collect();
        let err = ClientLimits::load(&|k| map.get(k).map(|v| v.to_string())).unwrap_err();
        assert_eq!(err.problems.len(), 2, "{err}");
    }
}
