//! `rediss://` against a real Redis speaking TLS: this test makes a CA and a server certificate
//! (openssl), starts its own `redis-server --tls-port` on a free port, and the platform's client
//! must verify the server against that CA (`REDIS_CA_CERT`), as it would ElastiCache's or
//! Upstash's certificate against the system roots.
#![cfg(feature = "testing")]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use streamia_shared::auth::keys::KeySet;
use streamia_shared::auth::{authorize, AuthorizeError, Revocations, TokenSigner, TokenVerifier};
use streamia_shared::cache::{self, WindowCounter};
use streamia_shared::config::{Load, RedisConfig, TokenConfig};
use streamia_shared::domain::Role;
use streamia_shared::testing::redis_server::RedisServer;

/// A redis-server with only a TLS port, stopped and cleaned up on drop.
struct TlsRedis {
    /// Kept for its life: stopped on drop.
    _server: RedisServer,
    port: u16,
    dir: PathBuf,
}

impl TlsRedis {
    fn start() -> Self {
        let dir = std::env::temp_dir().join(format!(
            "streamia-redis-tls-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        make_certificates(&dir);
        let file = |name: &str| dir.join(name).to_string_lossy().into_owned();
        let server = RedisServer::listening(|port| {
            vec![
                "--port".into(),
                "0".into(),
                "--tls-port".into(),
                port.to_string(),
                "--tls-cert-file".into(),
                file("server.pem"),
                "--tls-key-file".into(),
                file("server.key"),
                "--tls-ca-cert-file".into(),
                file("ca.pem"),
                "--tls-auth-clients".into(),
                "no".into(),
            ]
        });
        let port = server.port();
        Self {
            _server: server,
            port,
            dir,
        }
    }

    fn ca_cert(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }
}

impl Drop for TlsRedis {
    fn drop(&mut self) {
        // The server stops when `server` drops, right after this.
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A CA, and a server certificate it signed for `localhost` and `127.0.0.1`.
fn make_certificates(dir: &Path) {
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .current_dir(dir)
            .args(args)
            .output()
            .expect("openssl");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    openssl(
        &[
            &[
                "req",
                "-x509",
                "-days",
                "1",
                "-subj",
                "/CN=Streamia test CA",
            ],
            &ec[..],
            &["-keyout", "ca.key", "-out", "ca.pem"],
        ]
        .concat(),
    );
    std::fs::write(
        dir.join("server.ext"),
        "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n\
         subjectAltName=DNS:localhost,IP:127.0.0.1\n",
    )
    .unwrap();
    openssl(
        &[
            &["req"],
            &ec[..],
            &[
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/CN=localhost",
            ],
        ]
        .concat(),
    );
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        "server.ext",
        "-out",
        "server.pem",
    ]);
}

fn config(redis_url: &str, ca_cert: Option<&Path>) -> RedisConfig {
    let mut vars = HashMap::from([
        ("MONGODB_URI", "mongodb://127.0.0.1:1/".to_owned()),
        ("REDIS_URL", redis_url.to_owned()),
        (
            "REDIS_KEY_PREFIX",
            format!("tls:{}:", uuid::Uuid::new_v4().simple()),
        ),
    ]);
    if let Some(ca) = ca_cert {
        vars.insert("REDIS_CA_CERT", ca.display().to_string());
    }
    RedisConfig::load(&|k: &str| vars.get(k).cloned()).unwrap()
}

fn tokens() -> TokenConfig {
    TokenConfig::load(&|_: &str| None).unwrap()
}

#[tokio::test]
async fn the_platform_cache_works_over_rediss_with_a_verified_certificate() {
    let redis = TlsRedis::start();
    let config = config(
        &format!("rediss://localhost:{}/", redis.port),
        Some(&redis.ca_cert()),
    );
    let conn = cache::connect(&config).await.expect("rediss:// connects");

    // A rate-limit counter: counts, and its window has started.
    let counter = WindowCounter::new(conn.clone(), &config.key_prefix, "logins", 600);
    assert_eq!(counter.hit("ana@example.com").await.unwrap(), 1);
    assert_eq!(counter.hit("ana@example.com").await.unwrap(), 2);
    let (count, ttl) = counter.get("ana@example.com").await.unwrap();
    assert_eq!(count, 2);
    assert!((1..=600).contains(&ttl), "window not started: ttl {ttl}");

    // A revoked session is refused by the authorizer's decision, read over TLS.
    let keys = KeySet::initial(chrono::Utc::now());
    let signer = TokenSigner::new(&tokens(), &keys, None).unwrap();
    let verifier = TokenVerifier::new(&tokens(), &keys.public(), None).unwrap();
    let revocations = Revocations::new(conn, &config.key_prefix, 900);
    let kept = signer
        .issue("u1", "ana@example.com", Role::User, "kept")
        .await
        .unwrap();
    let gone = signer
        .issue("u1", "ana@example.com", Role::User, "gone")
        .await
        .unwrap();
    revocations
        .revoke_sessions(&["gone".to_owned()])
        .await
        .unwrap();
    let bearer = |t: &str| format!("Bearer {t}");
    assert!(
        authorize(&verifier, &revocations, Some(&bearer(&kept.token)))
            .await
            .is_ok()
    );
    assert!(matches!(
        authorize(&verifier, &revocations, Some(&bearer(&gone.token))).await,
        Err(AuthorizeError::Unauthorized(_))
    ));
}

#[tokio::test]
async fn a_certificate_from_an_untrusted_ca_is_refused() {
    let redis = TlsRedis::start();
    // The system roots do not know the test CA: the handshake must fail, not fall back.
    let untrusted = config(&format!("rediss://localhost:{}/", redis.port), None);
    let err = cache::connect(&untrusted)
        .await
        .expect("the client is prepared; the handshake happens on first use")
        .ping()
        .await
        .expect_err("an unverified server must be refused");
    assert!(
        err.to_string().to_lowercase().contains("certificate"),
        "not a certificate error: {err}"
    );

    // Trusting the CA, the same server is accepted: the refusal was the certificate's.
    let trusted = config(
        &format!("rediss://localhost:{}/", redis.port),
        Some(&redis.ca_cert()),
    );
    let conn = cache::connect(&trusted).await.expect("client");
    assert!(conn.ping().await.is_ok());
}

#[test]
fn a_ca_certificate_without_tls_is_a_configuration_error() {
    let vars = HashMap::from([
        ("MONGODB_URI", "mongodb://127.0.0.1:1/"),
        ("REDIS_URL", "redis://127.0.0.1:6379/"),
        ("REDIS_CA_CERT", "/etc/ssl/ca.pem"),
    ]);
    let err = RedisConfig::load(&|k: &str| vars.get(k).map(|v| v.to_string())).unwrap_err();
    assert!(err.to_string().contains("REDIS_CA_CERT"), "{err}");
}
