//! `GET /_local/mail`: the emails the local SMTP sink received, newest last.

use std::path::Path;

use serde_json::Value;

/// Reads the sink's outbox (one JSON object per line) as `[{to, subject, language, text, html,
/// sentAt}]` (`language`: the email's `Content-Language`; `html`: its HTML part, if any).
pub fn read_outbox(path: &Path) -> Vec<Value> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .map(|m| {
            serde_json::json!({
                "to": m["to"], "subject": m["subject"], "language": m["language"],
                "text": m["text"], "html": m["html"], "sentAt": m["sentAt"],
            })
        })
        .collect()
}
