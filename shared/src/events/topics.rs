//! The SNS topics of the platform, one per publishing service (see infra/messaging.yaml).

/// A topic a service publishes to. Each function finds its ARN in `<NAME>_EVENTS_TOPIC_ARN`,
/// so the local stack can hand every topic to every function in one environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    /// `user.*` events, published by the users service.
    UserEvents,
    /// `movie.*` events, published by the movies service.
    MovieEvents,
    /// `rating.*` events (and the ratings service's saga replies), published by the ratings
    /// service.
    RatingEvents,
    /// The favorites service's saga replies (`user.deletion_step_*`).
    FavoriteEvents,
    /// The comments service's saga replies (`user.deletion_step_*`).
    CommentEvents,
}

impl Topic {
    /// Every topic.
    pub const ALL: [Topic; 5] = [
        Topic::UserEvents,
        Topic::MovieEvents,
        Topic::RatingEvents,
        Topic::FavoriteEvents,
        Topic::CommentEvents,
    ];

    /// The environment variable holding the topic's ARN; also the messaging stack's output
    /// name in SCREAMING_SNAKE_CASE (`UserEventsTopicArn`).
    pub fn env_var(self) -> &'static str {
        match self {
            Topic::UserEvents => "USER_EVENTS_TOPIC_ARN",
            Topic::MovieEvents => "MOVIE_EVENTS_TOPIC_ARN",
            Topic::RatingEvents => "RATING_EVENTS_TOPIC_ARN",
            Topic::FavoriteEvents => "FAVORITE_EVENTS_TOPIC_ARN",
            Topic::CommentEvents => "COMMENT_EVENTS_TOPIC_ARN",
        }
    }
}
