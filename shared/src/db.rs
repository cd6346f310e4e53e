//! The MongoDB client, created once per container.

use std::time::Duration;

use mongodb::options::ClientOptions;
use mongodb::Client;

/// Finding a usable server (cold start: DNS, TCP, TLS, handshake); past it an operation fails
/// with a server-selection error (503).
const SERVER_SELECTION_TIMEOUT: Duration = Duration::from_secs(4);
/// One TCP + TLS connect.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Connects lazily with short timeouts: a database outage answers 503 within seconds instead of
/// holding the function until its timeout.
///
/// The 3.x driver has no client-side timeout for an operation on an established connection
/// (no `socketTimeoutMS`, no `timeoutMS`; `maxTimeMS` is enforced by the server, so useless
/// when the server hangs). Operations are bounded by the request's deadline instead
/// (`http::respond` answers 503 when it passes), which covers every call a handler makes.
pub async fn connect(uri: &str) -> Result<Client, mongodb::error::Error> {
    let mut options = ClientOptions::parse(uri).await?;
    options
        .app_name
        .get_or_insert_with(|| "streamia".to_owned());
    options.server_selection_timeout = Some(SERVER_SELECTION_TIMEOUT);
    options.connect_timeout = Some(CONNECT_TIMEOUT);
    // Lambda runs one request per container at a time: a small pool is enough.
    options.max_pool_size = Some(options.max_pool_size.unwrap_or(10));
    Client::with_options(options)
}

/// Whether a write failed on a unique index, and on which one (by index name).
pub fn duplicate_key_index(err: &mongodb::error::Error) -> Option<String> {
    use mongodb::error::{ErrorKind, WriteFailure};
    let (code, message) = match err.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(e)) => (e.code, e.message.clone()),
        ErrorKind::Command(e) => (e.code, e.message.clone()),
        ErrorKind::InsertMany(e) => {
            let first = e.write_errors.as_ref()?.first()?;
            (first.code, first.message.clone())
        }
        _ => return None,
    };
    if code != 11000 {
        return None;
    }
    // "E11000 duplicate key error collection: db.users index: email_unique dup key: ..."
    let index = message
        .split("index: ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or("")
        .to_owned();
    Some(index)
}
