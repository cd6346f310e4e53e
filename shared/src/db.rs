//! The MongoDB client, created once per container.

use std::time::Duration;

use mongodb::options::ClientOptions;
use mongodb::Client;

/// Connects lazily with short timeouts: a database outage answers 503 within seconds instead of
/// holding the function until its timeout.
pub async fn connect(uri: &str) -> Result<Client, mongodb::error::Error> {
    let mut options = ClientOptions::parse(uri).await?;
    options
        .app_name
        .get_or_insert_with(|| "streamia".to_owned());
    options.server_selection_timeout = Some(Duration::from_secs(5));
    options.connect_timeout = Some(Duration::from_secs(3));
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
