//! The one crypto backend every binary links.
//!
//! rustls needs a process-wide crypto provider when a client (the redis driver, reqwest
//! without a built-in provider) asks for "the default". Every TLS client of the platform uses
//! ring (the AWS SDK's HTTPS client, MongoDB, SMTP), so ring is installed here too, and no
//! second backend is linked.

/// Installs ring as the process's rustls provider; idempotent and cheap.
pub fn install_crypto_provider() {
    // Err only means a provider is installed already, which is just as good.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
