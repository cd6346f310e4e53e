//! Timestamps as the platform stores and shows them.
//!
//! Stored as BSON dates (MongoDB's native type, comparable in queries); shown as RFC 3339 UTC
//! with milliseconds, the contract's format. One place, so every service agrees.

use std::time::Duration;

use bson::DateTime;

/// RFC 3339 UTC with milliseconds (`2026-01-02T03:04:05.678Z`).
pub fn rfc3339(at: DateTime) -> String {
    at.to_chrono()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The moment `after` from now, e.g. a token's expiry.
pub fn from_now(after: Duration) -> DateTime {
    DateTime::from_millis(DateTime::now().timestamp_millis() + after.as_millis() as i64)
}

/// The moment `before` ago, e.g. the start of a grace window.
pub fn ago(before: Duration) -> DateTime {
    DateTime::from_millis(DateTime::now().timestamp_millis() - before.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_offsets() {
        assert_eq!(
            rfc3339(DateTime::from_millis(1_700_000_000_123)),
            "2023-11-14T22:13:20.123Z"
        );
        let now = DateTime::now().timestamp_millis();
        let later = from_now(Duration::from_secs(60)).timestamp_millis() - now;
        let earlier = now - ago(Duration::from_secs(60)).timestamp_millis();
        assert!((59_000..=61_000).contains(&later) && (59_000..=61_000).contains(&earlier));
    }
}
