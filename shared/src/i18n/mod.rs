//! Spanish and English for people: the one message catalogue, and the choice of language.
//!
//! Every sentence a person reads (the envelope's `message` and `details[].message`, a success
//! `message`, an email) is a [`Msg`] key of this catalogue, in every language
//! ([`Lang::ALL`]; a test fails on a missing translation). Code builds a [`Text`] (a key and its
//! arguments) where it knows what went wrong, and renders it where it knows for whom: the HTTP
//! layer with the request's `Accept-Language` ([`Lang::negotiate`], answered with
//! `Content-Language`), the notifications service with the user's `language`. Machine codes
//! (`error`) and log lines never change with the language.

mod catalogue;
mod en;
mod es;
mod lang;
mod msg;
mod text;

pub use lang::Lang;
pub use msg::Msg;
pub use text::{escape_html, Text};
