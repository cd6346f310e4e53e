//! Successful answers in the contract's envelope.

use http::{HeaderValue, StatusCode};
use serde::Serialize;

use crate::i18n::{Lang, Text};

/// A successful answer: `{success: true, data, message?}`, or an empty 204. The `message` is a
/// catalogue [`Text`], rendered in the request's language when the answer is written.
#[derive(Debug)]
pub struct ApiResponse {
    status: StatusCode,
    body: Option<serde_json::Value>,
    message: Option<Text>,
    /// `Cache-Control`, when the answer says how it may be cached.
    cache_control: Option<HeaderValue>,
    /// Whether the answer carries an `ETag` (and honours `If-None-Match` with a 304).
    revalidate: bool,
}

impl ApiResponse {
    fn with(status: StatusCode, data: impl Serialize) -> Self {
        // Serializing our own response types cannot fail (no maps with non-string keys);
        // should it ever, the client still gets a well-formed envelope.
        let data = serde_json::to_value(data).unwrap_or(serde_json::Value::Null);
        Self {
            status,
            body: Some(serde_json::json!({ "success": true, "data": data })),
            message: None,
            cache_control: None,
            revalidate: false,
        }
    }

    /// 200 with data.
    pub fn ok(data: impl Serialize) -> Self {
        Self::with(StatusCode::OK, data)
    }

    /// 201 with the created resource.
    pub fn created(data: impl Serialize) -> Self {
        Self::with(StatusCode::CREATED, data)
    }

    /// 202: accepted, the work goes on asynchronously.
    pub fn accepted(data: impl Serialize) -> Self {
        Self::with(StatusCode::ACCEPTED, data)
    }

    /// 204 without a body.
    pub fn no_content() -> Self {
        Self {
            status: StatusCode::NO_CONTENT,
            body: None,
            message: None,
            cache_control: None,
            revalidate: false,
        }
    }

    /// Adds the envelope's optional human `message` (a catalogue message: `Msg::LoggedOut`).
    pub fn message(mut self, message: impl Into<Text>) -> Self {
        if self.body.is_some() {
            self.message = Some(message.into());
        }
        self
    }

    /// Status, body in `lang` (`None`: a 204), `Cache-Control` and whether it carries an
    /// `ETag`, as the answer is written.
    pub(crate) fn into_parts(
        self,
        lang: Lang,
    ) -> (
        StatusCode,
        Option<serde_json::Value>,
        Option<HeaderValue>,
        bool,
    ) {
        let body = self.body.map(|mut body| {
            if let Some(message) = &self.message {
                body["message"] = serde_json::Value::String(message.render(lang));
            }
            body
        });
        (self.status, body, self.cache_control, self.revalidate)
    }

    /// `Cache-Control: no-store`: for an answer that carries a credential (an access or
    /// refresh token), which no browser, proxy or CDN may keep (RFC 6749 section 5.1).
    pub fn no_store(mut self) -> Self {
        self.cache_control = Some(HeaderValue::from_static("no-store"));
        self
    }

    /// `ETag` (a hash of the body as sent) and `Cache-Control: no-cache`: for a public read
    /// that clients may keep but must revalidate each time (the catalog). A request whose
    /// `If-None-Match` names the current tag (or `*`) gets a 304 without a body instead
    /// (RFC 9110 section 13.1.2, weak comparison); the tag changes with the body, the
    /// language of its messages included.
    pub fn revalidate(mut self) -> Self {
        self.cache_control = Some(HeaderValue::from_static("no-cache"));
        self.revalidate = self.body.is_some();
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}
