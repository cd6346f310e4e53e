//! English: the default language, and the one log lines and operators read.

use super::Msg::{self, *};

/// Every message in English (`{name}` is a placeholder filled from the message's arguments).
pub(super) const MESSAGES: &[(Msg, &str)] = &[
    (Validation, "invalid request"),
    (BodyRequired, "a JSON request body is required"),
    (ContentTypeJson, "content-type must be application/json"),
    (
        MalformedJson,
        "malformed JSON at line {line}, column {column}",
    ),
    (BodyNotObject, "the request body must be a JSON object"),
    (InvalidBody, "invalid request body"),
    (InvalidPathParameter, "invalid path parameter {name}"),
    (PayloadTooLarge, "request body exceeds {limit} bytes"),
    (AuthenticationRequired, "authentication required"),
    (AdminRequired, "administrator role required"),
    (
        OwnerOrAdminOnly,
        "only its owner or an administrator may do this",
    ),
    (OwnerOnly, "only its owner may do this"),
    (NotFound, "not found"),
    (RateLimited, "too many requests, try again later"),
    (
        Unavailable,
        "a dependency is unavailable, try again shortly",
    ),
    (Internal, "an unexpected error occurred"),
    (FieldRequired, "is required"),
    (FieldUnknown, "is not a field of this request"),
    (FieldDuplicate, "appears more than once"),
    (FieldMustBeString, "must be a string"),
    (FieldMustBeInteger, "must be a whole number"),
    (FieldMustBeNumber, "must be a number"),
    (FieldMustBeBoolean, "must be true or false"),
    (FieldMustBeObject, "must be an object"),
    (FieldMustBeArray, "must be a list"),
    (FieldWrongType, "has the wrong type"),
    (FieldOneOf, "must be one of: {values}"),
    (FieldInvalid, "is not valid"),
    (FieldMaxChars, "must be at most {max} characters"),
    (FieldControlChars, "must not contain control characters"),
    (
        FieldInvisibleChars,
        "must not contain invisible or bidirectional-control characters",
    ),
    (FieldEmail, "must be a valid email address"),
    (FieldUsernameLength, "must be 3-30 characters"),
    (
        FieldUsernameChars,
        "may contain only letters, digits, '_', '.' and '-'",
    ),
    (FieldPasswordLength, "must be 8-128 characters"),
    (FieldPasswordLower, "must contain a lower-case letter"),
    (FieldPasswordUpper, "must contain an upper-case letter"),
    (FieldPasswordDigit, "must contain a digit"),
    (FieldObjectId, "must be a 24-character hex id"),
    (FieldWholeNumber, "must be a whole number of at least 1"),
    (FieldAtLeastOne, "must be at least 1"),
    (FieldNameEmpty, "must not be empty (send null to clear it)"),
    (FieldAgeRange, "must be between 13 and 150"),
    (FieldHttpsUrl, "must be an https URL"),
    (FieldCannotBeCleared, "cannot be cleared"),
    (
        FieldMustDifferFromCurrent,
        "must differ from the current password",
    ),
    (FieldLanguage, "must be \"es\" or \"en\""),
    (FieldRole, "must be \"admin\" or \"user\""),
    (FieldUserIdOrEmailNotBoth, "give userId or email, not both"),
    (FieldUserIdOrEmailRequired, "userId or email is required"),
    (FieldCategory, "must be 1-30 characters of a-z, 0-9 and '-'"),
    (
        FieldDurationSeconds,
        "must be a whole number of seconds, at least 1",
    ),
    (FieldYearRange, "must be a year between {min} and {max}"),
    (EmailTaken, "an account with this email already exists"),
    (UsernameTaken, "this username is already taken"),
    (InvalidCredentials, "invalid email or password"),
    (WrongCurrentPassword, "current password is incorrect"),
    (
        TooManyPasswordAttempts,
        "too many password attempts, try again later",
    ),
    (InvalidRefreshToken, "refresh token is invalid or expired"),
    (
        RefreshTokenReused,
        "refresh token was already used; the session has been revoked",
    ),
    (
        InvalidResetToken,
        "reset token is invalid, already used or expired",
    ),
    (UserNotFound, "user not found"),
    (
        NothingToUpdate,
        "the body must contain at least one field to update",
    ),
    (AlreadyDeleting, "the account is already being deleted"),
    (LoggedOut, "logged out"),
    (
        ResetLinkSent,
        "If an account exists for this email, a password reset link has been sent.",
    ),
    (
        PasswordReset,
        "password has been reset; please log in again",
    ),
    (
        PasswordChanged,
        "password changed; other sessions were logged out",
    ),
    (DeletionStarted, "account deletion started"),
    (MovieNotFound, "movie not found"),
    (MovieDeletionStarted, "movie deletion started"),
    (
        VideoNotUploaded,
        "nothing was uploaded under this key: upload the file first, or ask for a new upload URL",
    ),
    (
        VideoMismatch,
        "the uploaded file is not what the upload URL allowed (type or size), so it was deleted",
    ),
    (
        VideoChanged,
        "the upload changed while it was being confirmed: confirm it again",
    ),
    (SubtitleNotFound, "subtitle not found"),
    (FieldBytesRange, "must be between {min} and {max} bytes"),
    (
        FieldLanguageTag,
        "must be a language tag such as es or en-US",
    ),
    (SubtitleTooLarge, "must be at most {max} KB"),
    (
        SubtitleHeader,
        "line {line}: a WebVTT file must begin with WEBVTT",
    ),
    (SubtitleIndex, "line {line}: expected the cue's number"),
    (
        SubtitleTiming,
        "line {line}: expected a cue timing such as 00:00:01.000 --> 00:00:04.000",
    ),
    (
        SubtitleEndBeforeStart,
        "line {line}: the cue must end after it starts",
    ),
    (
        SubtitleOverlap,
        "line {line}: the cue starts before the previous one ends",
    ),
    (
        SubtitleMissingBlank,
        "line {line}: a blank line must separate one cue from the next",
    ),
    (SubtitleNoCues, "the file holds no cues"),
    (CommentNotFound, "comment not found"),
    (CannotReportOwnComment, "you cannot report your own comment"),
    (
        AlreadyReported,
        "you have already reported this version of the comment",
    ),
    (
        CommentUnderModeration,
        "the comment is under moderation and cannot be edited",
    ),
    // Ratings.
    (RatingNotFound, "you have not rated this movie"),
    (ScoreInvalid, "must be a whole number from 1 to 5"),
    (FavoriteNotFound, "favorite not found"),
    (
        AlreadyFavorite,
        "this movie is already among your favorites",
    ),
    (EmailGreeting, "Hi {name},"),
    (EmailSignature, "The Streamia team"),
    (EmailWelcomeSubject, "Welcome to Streamia!"),
    (
        EmailWelcomeBody,
        "Welcome to Streamia. Your account '{username}' is ready: browse the catalog, keep your \
         favorites and rate what you watch.",
    ),
    (EmailWelcomeClosing, "Enjoy the show!"),
    (EmailResetSubject, "Reset your Streamia password"),
    (
        EmailResetIntro,
        "Someone (hopefully you) asked to reset the password of your Streamia account. Open \
         this link to choose a new one:",
    ),
    (EmailResetAction, "Choose a new password"),
    (
        EmailResetExpiry,
        "The link works once and expires at {expiresAt}. If you did not ask for this, ignore \
         this email: your password stays as it is.",
    ),
    (EmailDeletedSubject, "Your Streamia account was deleted"),
    (
        EmailDeletedBody,
        "As you asked, your Streamia account '{username}' and everything in it (favorites, \
         ratings and comments) have been deleted.",
    ),
    (
        EmailDeletedClosing,
        "Thank you for watching with us. You are welcome back any time.",
    ),
    (
        EmailDeletionFailedSubject,
        "We could not delete your Streamia account",
    ),
    (
        EmailDeletionFailedBody,
        "We could not finish deleting your Streamia account '{username}', so nothing was \
         deleted: your account, favorites, ratings and comments are as they were.",
    ),
    (
        EmailDeletionFailedAction,
        "You can log in again. If you still want to delete your account, please ask again in a \
         few minutes.",
    ),
    (
        EmailFavoriteRemovedSubject,
        "A movie in your favorites left Streamia: {title}",
    ),
    (
        EmailFavoriteRemovedBody,
        "'{title}', one of your favorites, has been removed from the Streamia catalog, so it is \
         no longer in your favorites.",
    ),
    (
        EmailFavoriteRemovedClosing,
        "Your other favorites, ratings and comments are as they were.",
    ),
];
