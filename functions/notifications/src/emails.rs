//! What each email says, in the user's language: every sentence is a message of the platform's
//! catalogue (`streamia_shared::i18n`, `email.*` keys), laid out twice, as plain text (it reads
//! well in every client and in `/_local/mail`) and as HTML, where every piece of user data (a
//! name, a username, the link) is escaped so none can become markup.

use streamia_shared::events::favorites::FavoriteMovieRemoved;
use streamia_shared::events::users::{
    PasswordResetRequested, UserDeletionCancelled, UserRegistered,
};
use streamia_shared::i18n::{escape_html, Lang, Msg, Text};

use crate::copies::UserCopy;

/// An email ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// Recipient address.
    pub to: String,
    /// The language it is written in (`Content-Language`, `<html lang>`).
    pub language: Lang,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body, the same content.
    pub html: String,
}

/// One block of an email's body.
enum Block {
    /// A paragraph of text.
    Paragraph(Text),
    /// A link on a line of its own (in HTML, labelled by `label`).
    Link { url: String, label: Text },
}

/// Lays out `blocks` in `lang` under `subject`, with the greeting to `name` and the signature.
fn compose(to: &str, lang: Lang, subject: impl Into<Text>, name: &str, blocks: &[Block]) -> Email {
    let subject = subject.into().render(lang);
    let greeting = Text::new(Msg::EmailGreeting).arg("name", name);
    let signature = Text::new(Msg::EmailSignature);
    let mut text = format!("{}\n\n", greeting.render(lang));
    let mut html = format!(
        "<!doctype html>\n<html lang=\"{lang}\">\n<head><meta charset=\"utf-8\"><title>{}</title></head>\n\
         <body style=\"font-family: sans-serif; line-height: 1.5\">\n<p>{}</p>\n",
        escape_html(&subject),
        greeting.render_html(lang)
    );
    for block in blocks {
        match block {
            Block::Paragraph(p) => {
                text.push_str(&format!("{}\n\n", p.render(lang)));
                html.push_str(&format!("<p>{}</p>\n", p.render_html(lang)));
            }
            Block::Link { url, label } => {
                text.push_str(&format!("{url}\n\n"));
                html.push_str(&format!(
                    "<p><a href=\"{}\">{}</a></p>\n<p style=\"font-size: small\">{}</p>\n",
                    escape_html(url),
                    label.render_html(lang),
                    escape_html(url)
                ));
            }
        }
    }
    text.push_str(&format!("{}\n", signature.render(lang)));
    html.push_str(&format!(
        "<p>{}</p>\n</body>\n</html>\n",
        signature.render_html(lang)
    ));
    Email {
        to: to.to_owned(),
        language: lang,
        subject,
        text,
        html,
    }
}

/// Sent when an account is created, in the language it chose.
pub fn welcome(event: &UserRegistered) -> Email {
    let name = event.first_name.as_deref().unwrap_or(&event.username);
    compose(
        &event.email,
        event.language,
        Msg::EmailWelcomeSubject,
        name,
        &[
            Block::Paragraph(Text::new(Msg::EmailWelcomeBody).arg("username", &event.username)),
            Block::Paragraph(Msg::EmailWelcomeClosing.into()),
        ],
    )
}

/// Sent when a password reset is requested; carries the single-use link.
pub fn password_reset(event: &PasswordResetRequested) -> Email {
    compose(
        &event.email,
        event.language,
        Msg::EmailResetSubject,
        &event.username,
        &[
            Block::Paragraph(Msg::EmailResetIntro.into()),
            Block::Link {
                url: event.reset_url.clone(),
                label: Msg::EmailResetAction.into(),
            },
            Block::Paragraph(
                Text::new(Msg::EmailResetExpiry).arg("expiresAt", readable_time(&event.expires_at)),
            ),
        ],
    )
}

/// Sent when the deletion saga completed: the account and its data are gone. Written from the
/// service's own copy of the user (`user.deletion_completed` carries no personal data), the
/// last use of that copy before it becomes a tombstone.
pub fn account_deleted(copy: &UserCopy) -> Email {
    let name = copy.first_name.as_deref().unwrap_or(&copy.username);
    compose(
        &copy.email,
        copy.language,
        Msg::EmailDeletedSubject,
        name,
        &[
            Block::Paragraph(Text::new(Msg::EmailDeletedBody).arg("username", &copy.username)),
            Block::Paragraph(Msg::EmailDeletedClosing.into()),
        ],
    )
}

/// Sent when the deletion saga was compensated: nothing was deleted, the account works again.
pub fn deletion_failed(event: &UserDeletionCancelled) -> Email {
    let name = event.first_name.as_deref().unwrap_or(&event.username);
    compose(
        &event.email,
        event.language,
        Msg::EmailDeletionFailedSubject,
        name,
        &[
            Block::Paragraph(
                Text::new(Msg::EmailDeletionFailedBody).arg("username", &event.username),
            ),
            Block::Paragraph(Msg::EmailDeletionFailedAction.into()),
        ],
    )
}

/// Sent to each user who had a movie among their favorites when its deletion saga completed
/// (never for a deletion that was cancelled): the title from the event, the rest from the
/// service's copy of the user.
pub fn favorite_removed(event: &FavoriteMovieRemoved, copy: &UserCopy) -> Email {
    let name = copy.first_name.as_deref().unwrap_or(&copy.username);
    compose(
        &copy.email,
        copy.language,
        Text::new(Msg::EmailFavoriteRemovedSubject).arg("title", &event.title),
        name,
        &[
            Block::Paragraph(Text::new(Msg::EmailFavoriteRemovedBody).arg("title", &event.title)),
            Block::Paragraph(Msg::EmailFavoriteRemovedClosing.into()),
        ],
    )
}

/// `2030-01-01T00:00:00.000Z` -> `2030-01-01 00:00 UTC`; anything else as it came.
fn readable_time(rfc3339: &str) -> String {
    bson::DateTime::parse_rfc3339_str(rfc3339)
        .map(|t| t.to_chrono().format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|_| rfc3339.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registered(language: Lang, first_name: Option<&str>) -> UserRegistered {
        UserRegistered {
            user_id: "u1".into(),
            email: "ana@example.com".into(),
            username: "ana_b".into(),
            first_name: first_name.map(str::to_owned),
            language,
        }
    }

    fn reset(language: Lang) -> PasswordResetRequested {
        PasswordResetRequested {
            user_id: "u1".into(),
            email: "ana@example.com".into(),
            username: "ana_b".into(),
            reset_url: "https://app.example.com/reset-password/tok?a=1&b=2".into(),
            expires_at: "2030-01-02T03:04:05.000Z".into(),
            language,
        }
    }

    #[test]
    fn the_welcome_email_in_each_language() {
        let en = welcome(&registered(Lang::En, Some("Ana")));
        assert_eq!(en.subject, "Welcome to Streamia!");
        assert!(en
            .text
            .starts_with("Hi Ana,\n\nWelcome to Streamia. Your account 'ana_b'"));
        assert!(en.text.ends_with("The Streamia team\n"));
        let es = welcome(&registered(Lang::Es, Some("Ana")));
        assert_eq!(es.language, Lang::Es);
        assert_eq!(es.subject, "¡Te damos la bienvenida a Streamia!");
        assert!(es
            .text
            .starts_with("Hola, Ana:\n\nTe damos la bienvenida a Streamia."));
        assert!(es.text.contains("Tu cuenta 'ana_b' está lista"));
        assert!(es.text.ends_with("El equipo de Streamia\n"));
        assert!(es.html.contains("<html lang=\"es\">"));
        assert!(es.html.contains("<p>Hola, Ana:</p>"));
        // No first name: the username greets.
        assert!(welcome(&registered(Lang::Es, None))
            .text
            .starts_with("Hola, ana_b:"));
    }

    #[test]
    fn the_reset_email_in_each_language_with_its_link() {
        let en = password_reset(&reset(Lang::En));
        assert_eq!(en.subject, "Reset your Streamia password");
        assert!(en
            .text
            .contains("\n\nhttps://app.example.com/reset-password/tok?a=1&b=2\n\n"));
        assert!(en.text.contains("expires at 2030-01-02 03:04 UTC"));
        let es = password_reset(&reset(Lang::Es));
        assert_eq!(es.subject, "Restablece tu contraseña de Streamia");
        assert!(es
            .text
            .contains("https://app.example.com/reset-password/tok?a=1&b=2"));
        assert!(es.text.contains("caduca el 2030-01-02 03:04 UTC"));
        assert!(es.html.contains(
            "<a href=\"https://app.example.com/reset-password/tok?a=1&amp;b=2\">Elegir una nueva contraseña</a>"
        ));
    }

    #[test]
    fn user_data_is_escaped_in_html_and_left_alone_in_text() {
        let mut event = registered(Lang::Es, Some("<img src=x onerror=alert(1)> & \"Ana\""));
        event.username = "a'b<c".into();
        let email = welcome(&event);
        assert!(email
            .text
            .contains("Hola, <img src=x onerror=alert(1)> & \"Ana\":"));
        assert!(!email.html.contains("<img"));
        assert!(email
            .html
            .contains("Hola, &lt;img src=x onerror=alert(1)&gt; &amp; &quot;Ana&quot;:"));
        assert!(email
            .html
            .contains("Tu cuenta &#39;a&#39;b&lt;c&#39; está lista"));
        let mut reset = reset(Lang::En);
        reset.reset_url = "https://x.example/\"><script>".into();
        let email = password_reset(&reset);
        assert!(!email.html.contains("<script>"));
        assert!(email
            .html
            .contains("href=\"https://x.example/&quot;&gt;&lt;script&gt;\""));
    }
}
