//! Settings only the movies service reads (the platform's pieces are in
//! `streamia_shared::config`).

use streamia_shared::config::{ConfigError, Load, Lookup, Reader};

/// `MOVIE_DELETION_DEADLINE_SECONDS`'s default.
const DEFAULT_DELETION_DEADLINE_SECS: u64 = 2400;

/// The movies service's own settings, validated once at cold start.
#[derive(Debug, Clone)]
pub struct MoviesConfig {
    /// How long a movie-deletion saga may wait for its participants before
    /// `movies-saga-deadline` cancels it (`MOVIE_DELETION_DEADLINE_SECONDS`, default 40
    /// minutes: past every SQS redelivery of a step whose dependency is down, 3 + 6 + 12 + 15
    /// minutes with the deployed retry delays (`SQS_RETRY_BASE_SECONDS`), so a saga is
    /// cancelled only once a step is in its dead-letter queue or its consumer is gone, never
    /// because a participant had a bad quarter of an hour).
    pub deletion_deadline: std::time::Duration,
}

impl Load for MoviesConfig {
    fn load(lookup: Lookup<'_>) -> Result<Self, ConfigError> {
        let mut env = Reader::new(lookup);
        let deletion_deadline = std::time::Duration::from_secs(env.positive(
            "MOVIE_DELETION_DEADLINE_SECONDS",
            DEFAULT_DELETION_DEADLINE_SECS,
        ));
        env.finish(Self { deletion_deadline })
    }
}
