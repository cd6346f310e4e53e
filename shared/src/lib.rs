//! The platform every Streamia function is built on.
//!
//! Nothing here knows about any one service: services bring their own domain, store and
//! handlers, and lean on this crate for what must behave the same everywhere — configuration,
//! the HTTP envelope and error mapping, tokens and passwords, the Mongo/Redis/SNS clients,
//! the event envelope, and structured logs.

pub mod auth;
pub mod cache;
pub mod config;
pub mod db;
pub mod domain;
pub mod events;
pub mod faults;
pub mod fields;
pub mod http;
pub mod i18n;
pub mod init;
pub mod limits;
#[cfg(feature = "media")]
pub mod media;
pub mod metrics;
pub mod paging;
pub mod republish;
pub mod resilience;
pub mod runtime;
pub mod saga;
pub mod scheduled;
pub mod search;
pub mod secrets;
pub mod service;
#[cfg(feature = "setup")]
pub mod setup;
pub mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;
pub mod time;
pub mod tls;
