//! SMTP delivery with lettre, configured from the environment once per container.

use std::time::Duration;

use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use streamia_shared::config::{ConfigError, Load, Lookup, Reader};
use streamia_shared::i18n::Lang;
use streamia_shared::resilience::{Breaker, Fault, Policy, Refused, Tripped};

use crate::emails::Email;

/// SMTP settings: `SMTP_HOST`, `SMTP_PORT` (default 587), `SMTP_TLS` (`starttls` default,
/// `tls`, or `none` for a local sink), `SMTP_USERNAME`/`SMTP_PASSWORD_SECRET_ARN` (optional), `MAIL_FROM`.
#[derive(Clone)]
pub struct MailConfig {
    /// Server host.
    pub host: String,
    /// Server port.
    pub port: u16,
    /// Transport security.
    pub tls: TlsMode,
    /// Login, if the server wants one.
    pub credentials: Option<(String, String)>,
    /// Sender.
    pub from: String,
    /// Longest one send may take, connection included ([`SEND_TIMEOUT`]): a server that hangs
    /// fails that record, not the whole batch.
    pub timeout: Duration,
}

/// See [`MailConfig::timeout`].
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain text (local sinks only).
    None,
    /// Upgrade with STARTTLS (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
}

/// Reads the settings, naming every problem at once.
impl Load for MailConfig {
    fn load(lookup: Lookup<'_>) -> Result<Self, ConfigError> {
        let mut env = Reader::new(lookup);
        let host = env.required("SMTP_HOST");
        let port = match env.get("SMTP_PORT") {
            None => 587,
            Some(p) => p.parse().unwrap_or_else(|_| {
                env.problem(format!("SMTP_PORT {p:?} is not a port"));
                587
            }),
        };
        let tls = match env.or("SMTP_TLS", "starttls").as_str() {
            "none" => TlsMode::None,
            "starttls" => TlsMode::StartTls,
            "tls" => TlsMode::Tls,
            other => {
                env.problem(format!(
                    "SMTP_TLS must be none, starttls or tls, got {other:?}"
                ));
                TlsMode::StartTls
            }
        };
        // The password is a secret (`SMTP_PASSWORD_SECRET_ARN`), read like every other one.
        let password = env.optional_secret("SMTP_PASSWORD");
        let credentials = match (env.get("SMTP_USERNAME"), password) {
            (Some(u), Some(p)) => Some((u, p)),
            (None, None) => None,
            _ => {
                env.problem("set both SMTP_USERNAME and SMTP_PASSWORD_SECRET_ARN, or neither");
                None
            }
        };
        let from = env.or("MAIL_FROM", "Streamia <no-reply@streamia.local>");
        if let Err(e) = from.parse::<Mailbox>() {
            env.problem(format!("MAIL_FROM {from:?}: {e}"));
        }
        env.finish(Self {
            host,
            port,
            tls,
            credentials,
            from,
            timeout: SEND_TIMEOUT,
        })
    }
}

/// Delivery failed.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The recipient or message is malformed: retrying cannot help.
    #[error("cannot build email: {0}")]
    Build(String),
    /// The server refused or could not be reached.
    #[error("smtp: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    /// The server did not finish within the send timeout.
    #[error("smtp: no answer within {0:?}")]
    Timeout(Duration),
    /// Not tried: the SMTP circuit is open (the server failed again and again, on any
    /// instance), so the email waits in its queue for the cool-down.
    #[error(transparent)]
    Unavailable(#[from] Refused),
}

/// What counts against the mail server (and may open the `smtp` circuit): it could not be
/// reached or timed out, the connection or TLS failed, or it answered with a code about the
/// server or the sending account rather than about this email: 421 (closing), 454 (TLS or
/// authentication temporarily unavailable, a provider's throttling), 530/535 (authentication
/// required or refused), 554 (transaction failed: a provider's "sending paused"). A code
/// about the recipient (450/451/452 greylisting or mailbox busy, 550-553 no such mailbox) is
/// about that one email; so is an email the client refuses to send (an address the server
/// cannot take, e.g. non-ASCII without SMTPUTF8) and one that cannot be built. So a
/// client's own input never opens the circuit for everyone.
impl Fault for SendError {
    fn is_fault(&self) -> bool {
        match self {
            SendError::Build(_) | SendError::Unavailable(_) => false,
            SendError::Smtp(e) => smtp_fault(e),
            SendError::Timeout(_) => true,
        }
    }
}

/// See [`SendError`]'s [`Fault`].
fn smtp_fault(e: &lettre::transport::smtp::Error) -> bool {
    // The client's own refusal (retried like any failure, never counted): this email's
    // address, or a setting of ours the server does not take.
    if e.is_client() {
        return false;
    }
    match e.status().map(u16::from) {
        Some(code) => SERVER_CODES.contains(&code),
        // No code: the connection, TLS, the network, a timeout, a reply that did not parse.
        None => true,
    }
}

/// SMTP reply codes about the server or the account, not one email (see [`SendError`]).
const SERVER_CODES: [u16; 5] = [421, 454, 530, 535, 554];

/// Sends emails through one pooled SMTP transport, behind the circuit every instance shares.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    timeout: Duration,
    /// The `smtp` circuit: while open, no send is tried and the email waits in its queue.
    circuit: Breaker,
}

/// The circuit's name (the Redis key `<prefix>breaker:smtp`): one for every sender.
pub const CIRCUIT: &str = "smtp";

/// The seed's numbers, with a trial slot held only as long as a send can take
/// ([`SEND_TIMEOUT`] and 5 s): the emails waiting behind a trial are told to come back then,
/// not 30 s later.
pub const CIRCUIT_POLICY: Policy = Policy {
    trial_timeout: Duration::from_secs(15),
    ..Policy::DEFAULT
};

impl Mailer {
    /// Builds the transport (connections are opened on first send); sends go through
    /// `circuit`.
    pub fn new(config: &MailConfig, circuit: Breaker) -> Result<Self, ConfigError> {
        let tls_params = || {
            TlsParameters::new(config.host.clone()).map_err(|e| ConfigError {
                problems: vec![format!("SMTP_HOST {:?}: {e}", config.host)],
            })
        };
        let tls = match config.tls {
            TlsMode::None => Tls::None,
            TlsMode::StartTls => Tls::Required(tls_params()?),
            TlsMode::Tls => Tls::Wrapper(tls_params()?),
        };
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(config.host.clone())
                .port(config.port)
                .tls(tls)
                .timeout(Some(config.timeout));
        if let Some((user, pass)) = &config.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), pass.clone()));
        }
        let from = config.from.parse().map_err(|e| ConfigError {
            problems: vec![format!("MAIL_FROM: {e}")],
        })?;
        Ok(Self {
            transport: builder.build(),
            from,
            timeout: config.timeout,
            circuit,
        })
    }

    /// Longest one [`Mailer::send`] takes.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// How long an event is claimed before its email is sent: longer than a send can take,
    /// so a twin delivery never sends while this one still may.
    pub fn claim_lease(&self) -> Duration {
        self.timeout * 2 + Duration::from_secs(30)
    }

    /// Sends one email: its plain text and HTML as alternatives, labelled with its language.
    pub async fn send(&self, email: &Email) -> Result<(), SendError> {
        let to: Mailbox = email
            .to
            .parse()
            .map_err(|e| SendError::Build(format!("recipient: {e}")))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.clone())
            .header(ContentLanguage(email.language))
            .multipart(MultiPart::alternative_plain_html(
                email.text.clone(),
                email.html.clone(),
            ))
            .map_err(|e| SendError::Build(e.to_string()))?;
        let send = async {
            tokio::time::timeout(self.timeout, self.transport.send(message))
                .await
                .map_err(|_| SendError::Timeout(self.timeout))??;
            Ok::<(), SendError>(())
        };
        self.circuit.call(send).await.map_err(|e| match e {
            Tripped::Open(refused) => SendError::Unavailable(refused),
            Tripped::Failed(e) => e,
        })
    }
}

/// `Content-Language` (RFC 3282) on an email: mail clients and screen readers pick the
/// language's spelling and voice from it.
#[derive(Debug, Clone, Copy)]
struct ContentLanguage(Lang);

impl Header for ContentLanguage {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Content-Language")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(Lang::parse(s.trim()).map_err(|e| e.to_string())?))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.as_str().to_owned())
    }
}
