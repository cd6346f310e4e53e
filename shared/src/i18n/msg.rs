//! The catalogue's keys: one per message a person may read, named by a stable string (the
//! key in `en.rs` and `es.rs`, and what a translator searches for). Services name a key, never
//! a sentence; adding a message is a variant here and a line in each language's file (a test
//! fails while one is missing).

macro_rules! messages {
    ($($(#[$doc:meta])* $name:ident = $key:literal,)+) => {
        /// A message of the catalogue, by its key (see the module's notes).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Msg {
            $($(#[$doc])* $name,)+
        }

        impl Msg {
            /// Every key, for the catalogue's completeness tests.
            pub const ALL: &'static [Msg] = &[$(Msg::$name,)+];

            /// The stable key (`error.validation`).
            pub fn key(self) -> &'static str {
                match self {
                    $(Msg::$name => $key,)+
                }
            }
        }
    };
}

messages! {
    // The error envelope's `message`, platform-wide.
    /// 400: one or more fields were refused (`details` names them).
    Validation = "error.validation",
    /// 400: no body where one is required.
    BodyRequired = "error.body_required",
    /// 400: a body that is not JSON by its content type.
    ContentTypeJson = "error.content_type_json",
    /// 400: the body is not well-formed JSON (`{line}`, `{column}`).
    MalformedJson = "error.malformed_json",
    /// 400: well-formed JSON, but not an object.
    BodyNotObject = "error.body_not_object",
    /// 400: a body refused for a reason no field carries.
    InvalidBody = "error.invalid_body",
    /// 400: a path parameter does not parse (`{name}`).
    InvalidPathParameter = "error.invalid_path_parameter",
    /// 413 (`{limit}` bytes).
    PayloadTooLarge = "error.payload_too_large",
    /// 401: no caller where one is needed.
    AuthenticationRequired = "error.authentication_required",
    /// 403 on an admin route.
    AdminRequired = "error.admin_required",
    /// 403: only the owner or an admin.
    OwnerOrAdminOnly = "error.owner_or_admin_only",
    /// 403: only the owner.
    OwnerOnly = "error.owner_only",
    /// 404 of a thing with no message of its own.
    NotFound = "error.not_found",
    /// 429 per client or route.
    RateLimited = "error.rate_limited",
    /// 503.
    Unavailable = "error.unavailable",
    /// 500.
    Internal = "error.internal",

    // `details[].message`: why one field was refused.
    /// Absent or empty.
    FieldRequired = "field.required",
    /// Not a field of this request.
    FieldUnknown = "field.unknown",
    /// Named twice in one object.
    FieldDuplicate = "field.duplicate",
    /// JSON type: text expected.
    FieldMustBeString = "field.must_be_string",
    /// JSON type: an integer expected.
    FieldMustBeInteger = "field.must_be_integer",
    /// JSON type: a number expected.
    FieldMustBeNumber = "field.must_be_number",
    /// JSON type: true or false expected.
    FieldMustBeBoolean = "field.must_be_boolean",
    /// JSON type: an object expected.
    FieldMustBeObject = "field.must_be_object",
    /// JSON type: a list expected.
    FieldMustBeArray = "field.must_be_array",
    /// JSON type: another type expected.
    FieldWrongType = "field.wrong_type",
    /// One of fixed values (`{values}`).
    FieldOneOf = "field.one_of",
    /// Refused, no more specific reason.
    FieldInvalid = "field.invalid",
    /// Too long (`{max}` characters).
    FieldMaxChars = "field.max_chars",
    /// Control characters.
    FieldControlChars = "field.control_chars",
    /// Invisible or bidirectional-control characters.
    FieldInvisibleChars = "field.invisible_chars",
    /// Not an email address.
    FieldEmail = "field.email",
    /// Username length.
    FieldUsernameLength = "field.username_length",
    /// Username characters.
    FieldUsernameChars = "field.username_chars",
    /// Password length.
    FieldPasswordLength = "field.password_length",
    /// Password: no lower-case letter.
    FieldPasswordLower = "field.password_lower",
    /// Password: no upper-case letter.
    FieldPasswordUpper = "field.password_upper",
    /// Password: no digit.
    FieldPasswordDigit = "field.password_digit",
    /// Not a 24-hex ObjectId.
    FieldObjectId = "field.object_id",
    /// A page or limit that is not a positive whole number.
    FieldWholeNumber = "field.whole_number",
    /// A page or limit of 0.
    FieldAtLeastOne = "field.at_least_one",
    /// A first or last name that is blank.
    FieldNameEmpty = "field.name_empty",
    /// Age out of range.
    FieldAgeRange = "field.age_range",
    /// Not an https URL.
    FieldHttpsUrl = "field.https_url",
    /// `null` for a field that cannot be cleared.
    FieldCannotBeCleared = "field.cannot_be_cleared",
    /// The new password equals the current one.
    FieldMustDifferFromCurrent = "field.must_differ_from_current",
    /// A `language` other than `es` and `en`.
    FieldLanguage = "field.language",
    /// An operator's role other than `admin` and `user`.
    FieldRole = "field.role",
    /// An operator gave both `userId` and `email`.
    FieldUserIdOrEmailNotBoth = "field.user_id_or_email_not_both",
    /// An operator gave neither `userId` nor `email`.
    FieldUserIdOrEmailRequired = "field.user_id_or_email_required",
    /// A movie category that is not 1-30 of `a-z`, `0-9`, `-`.
    FieldCategory = "field.category",
    /// A movie duration under one second.
    FieldDurationSeconds = "field.duration_seconds",
    /// A year outside `{min}`..=`{max}`.
    FieldYearRange = "field.year_range",

    // The users service's answers.
    /// 409 EMAIL_TAKEN.
    EmailTaken = "users.email_taken",
    /// 409 USERNAME_TAKEN.
    UsernameTaken = "users.username_taken",
    /// 401 INVALID_CREDENTIALS at login.
    InvalidCredentials = "users.invalid_credentials",
    /// 401 INVALID_CREDENTIALS for a wrong current password.
    WrongCurrentPassword = "users.wrong_current_password",
    /// 429 after too many password guesses.
    TooManyPasswordAttempts = "users.too_many_password_attempts",
    /// 401 INVALID_REFRESH_TOKEN.
    InvalidRefreshToken = "users.invalid_refresh_token",
    /// 401 INVALID_REFRESH_TOKEN for a reused token.
    RefreshTokenReused = "users.refresh_token_reused",
    /// 400 INVALID_TOKEN (reset).
    InvalidResetToken = "users.invalid_reset_token",
    /// 404 for the caller's own account.
    UserNotFound = "users.user_not_found",
    /// 400: an update with nothing in it.
    NothingToUpdate = "users.nothing_to_update",
    /// 409: a deletion under way.
    AlreadyDeleting = "users.already_deleting",
    /// Success: logout.
    LoggedOut = "users.logged_out",
    /// Success: forgot-password (the same whether or not the account exists).
    ResetLinkSent = "users.reset_link_sent",
    /// Success: reset-password.
    PasswordReset = "users.password_reset",
    /// Success: password change.
    PasswordChanged = "users.password_changed",
    /// Success: deletion started.
    DeletionStarted = "users.deletion_started",

    // The movies service's answers.
    /// 404 for a movie that does not exist or is being deleted.
    MovieNotFound = "movies.movie_not_found",
    /// Success: a movie's deletion started.
    MovieDeletionStarted = "movies.deletion_started",
    /// 400 field `key`: nothing was uploaded under the key being confirmed.
    VideoNotUploaded = "movies.video_not_uploaded",
    /// 400 field `key`: the uploaded object is not what the upload allowed (deleted).
    VideoMismatch = "movies.video_mismatch",
    /// 409 UPLOAD_CHANGED: the upload was posted again while it was being confirmed.
    VideoChanged = "movies.video_changed",
    /// 404: no subtitle track in that language.
    SubtitleNotFound = "movies.subtitle_not_found",
    /// 400 field: a size outside `{min}`..`{max}` bytes.
    FieldBytesRange = "field.bytes_range",
    /// 400 field: not a language tag.
    FieldLanguageTag = "field.language_tag",
    /// 400 field: a subtitle file over the size limit (`{max}` KB).
    SubtitleTooLarge = "subtitles.too_large",
    /// 400 field: a WebVTT file without its `WEBVTT` first line (`{line}`).
    SubtitleHeader = "subtitles.header",
    /// 400 field: an SRT cue without its number (`{line}`).
    SubtitleIndex = "subtitles.index",
    /// 400 field: a cue timing line that is missing or malformed (`{line}`).
    SubtitleTiming = "subtitles.timing",
    /// 400 field: a cue that does not end after it starts (`{line}`).
    SubtitleEndBeforeStart = "subtitles.end_before_start",
    /// 400 field: a cue that starts before the previous one ends (`{line}`).
    SubtitleOverlap = "subtitles.overlap",
    /// 400 field: a timing line inside a cue's text: the blank line between cues is missing
    /// (`{line}`).
    SubtitleMissingBlank = "subtitles.missing_blank",
    /// 400 field: a file without a single cue.
    SubtitleNoCues = "subtitles.no_cues",

    // The favorites service's answers.
    /// 404 for a favorite the caller does not have.
    FavoriteNotFound = "favorites.favorite_not_found",
    /// 409 ALREADY_FAVORITE: the movie is already among the caller's favorites.
    AlreadyFavorite = "favorites.already_favorite",

    // Ratings (the ratings service).
    /// 404: the caller has not rated that movie.
    RatingNotFound = "ratings.rating_not_found",
    /// 400 field: a score that is not a whole number from 1 to 5.
    ScoreInvalid = "ratings.score_invalid",

    // The comments service's answers.
    /// 404 for a comment that does not exist or was deleted (or a reply's parent that is not
    /// a visible comment of the same movie).
    CommentNotFound = "comments.comment_not_found",
    /// 403: an author reporting their own comment.
    CannotReportOwnComment = "comments.cannot_report_own",
    /// 409: a second report of one comment by one user.
    AlreadyReported = "comments.already_reported",
    /// 409: an edit of a comment that is flagged or hidden (moderators decide on the text
    /// they were shown).
    CommentUnderModeration = "comments.under_moderation",

    // Emails (the notifications service lays them out as text and HTML).
    /// The greeting (`{name}`).
    EmailGreeting = "email.greeting",
    /// The signature.
    EmailSignature = "email.signature",
    /// Welcome: subject.
    EmailWelcomeSubject = "email.welcome.subject",
    /// Welcome: body (`{username}`).
    EmailWelcomeBody = "email.welcome.body",
    /// Welcome: closing line.
    EmailWelcomeClosing = "email.welcome.closing",
    /// Reset: subject.
    EmailResetSubject = "email.reset.subject",
    /// Reset: why the email came.
    EmailResetIntro = "email.reset.intro",
    /// Reset: the link's label in HTML.
    EmailResetAction = "email.reset.action",
    /// Reset: how long the link works (`{expiresAt}`).
    EmailResetExpiry = "email.reset.expiry",
    /// Account deleted (the deletion saga completed): subject.
    EmailDeletedSubject = "email.deleted.subject",
    /// Account deleted: body (`{username}`).
    EmailDeletedBody = "email.deleted.body",
    /// Account deleted: the door left open.
    EmailDeletedClosing = "email.deleted.closing",
    /// Deletion failed (the saga was compensated): subject.
    EmailDeletionFailedSubject = "email.deletion_failed.subject",
    /// Deletion failed: body (`{username}`).
    EmailDeletionFailedBody = "email.deletion_failed.body",
    /// Deletion failed: what to do.
    EmailDeletionFailedAction = "email.deletion_failed.action",
    /// A favorite movie removed from the catalog: subject (`{title}`).
    EmailFavoriteRemovedSubject = "email.favorite_removed.subject",
    /// A favorite movie removed: body (`{title}`).
    EmailFavoriteRemovedBody = "email.favorite_removed.body",
    /// A favorite movie removed: what is left.
    EmailFavoriteRemovedClosing = "email.favorite_removed.closing",
}
