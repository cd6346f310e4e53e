//! What each email says. Plain text: it reads well in every client and in `/_local/mail`.

use streamia_shared::events::users::{PasswordResetRequested, UserRegistered};

/// An email ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
}

/// Sent when an account is created.
pub fn welcome(event: &UserRegistered) -> Email {
    let name = event.first_name.as_deref().unwrap_or(&event.username);
    Email {
        to: event.email.clone(),
        subject: "Welcome to Streamia!".to_owned(),
        text: format!(
            "Hi {name},\n\nWelcome to Streamia. Your account '{}' is ready: browse the catalog, \
             keep your favorites and rate what you watch.\n\nEnjoy the show,\nThe Streamia team\n",
            event.username
        ),
    }
}

/// Sent when a password reset is requested; carries the single-use link.
pub fn password_reset(event: &PasswordResetRequested) -> Email {
    Email {
        to: event.email.clone(),
        subject: "Reset your Streamia password".to_owned(),
        text: format!(
            "Hi {},\n\nSomeone (hopefully you) asked to reset the password of your Streamia \
             account. Open this link to choose a new one:\n\n{}\n\nThe link works once and \
             expires at {}. If you did not ask for this, ignore this email: your password stays \
             as it is.\n\nThe Streamia team\n",
            event.username, event.reset_url, event.expires_at
        ),
    }
}
