//! A message to be read, not yet in any language: a key and its arguments, rendered once the
//! reader's language is known (the request's, when the answer is written; the user's, when an
//! email is). Errors are built deep in domain code that knows no request, so they carry a
//! [`Text`] and the HTTP layer renders it last.

use std::fmt;

use super::{catalogue, Lang, Msg};

/// A catalogue message with its arguments (`{max}` -> `50`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    msg: Msg,
    args: Vec<(&'static str, String)>,
}

impl Text {
    /// The message `msg` without arguments.
    pub fn new(msg: Msg) -> Self {
        Self {
            msg,
            args: Vec::new(),
        }
    }

    /// Fills the placeholder `{name}` with `value` (a number, a field name, user data: used as
    /// is in every language).
    pub fn arg(mut self, name: &'static str, value: impl fmt::Display) -> Self {
        self.args.push((name, value.to_string()));
        self
    }

    /// The key.
    pub fn msg(&self) -> Msg {
        self.msg
    }

    /// The message in `lang`, its placeholders filled (English where `lang` lacks the key,
    /// which the catalogue's tests do not let happen).
    pub fn render(&self, lang: Lang) -> String {
        let template = catalogue::template(lang, self.msg)
            .or_else(|| catalogue::template(Lang::En, self.msg))
            .unwrap_or(self.msg.key());
        fill(template, &self.args)
    }

    /// [`Text::render`], escaped for HTML text and attribute values: user data in an argument
    /// (a name, a link) cannot become markup.
    pub fn render_html(&self, lang: Lang) -> String {
        escape_html(&self.render(lang))
    }
}

impl From<Msg> for Text {
    fn from(msg: Msg) -> Self {
        Self::new(msg)
    }
}

/// English, for log lines and `Display` of errors (logs stay English).
impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Lang::En))
    }
}

/// `{name}` -> its value; a brace that opens no known placeholder stays as it is.
fn fill(template: &str, args: &[(&'static str, String)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            let name = &after[..close];
            let value = args.iter().find(|(n, _)| *n == name)?;
            Some((&value.1, close))
        });
        match value {
            Some((value, close)) => {
                out.push_str(value);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The placeholders a template names (`{max}` -> `max`), for the catalogue's tests.
#[cfg(test)]
pub(super) fn placeholders(template: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                names.push(&after[..close]);
                rest = &after[close + 1..];
            }
            None => break,
        }
    }
    names.sort_unstable();
    names
}

/// Escapes `&`, `<`, `>`, `"` and `'` for HTML text and quoted attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_and_unknown_braces_kept() {
        assert_eq!(
            fill("at most {max} chars", &[("max", "50".into())]),
            "at most 50 chars"
        );
        assert_eq!(
            fill("{a}{b}", &[("a", "1".into()), ("b", "2".into())]),
            "12"
        );
        assert_eq!(fill("{x} and {", &[]), "{x} and {");
        assert_eq!(
            fill("{v}", &[("v", "{v}".into())]),
            "{v}",
            "values are not filled again"
        );
        assert_eq!(placeholders("{b} {a} {b"), ["a", "b"]);
    }

    #[test]
    fn rendered_per_language_and_escaped_for_html() {
        let text = Text::new(Msg::FieldMaxChars).arg("max", 50);
        assert_eq!(text.render(Lang::En), "must be at most 50 characters");
        assert_eq!(
            text.render(Lang::Es),
            "debe tener como máximo 50 caracteres"
        );
        assert_eq!(text.to_string(), text.render(Lang::En));
        let greeting = Text::new(Msg::EmailGreeting).arg("name", "<b>Ana</b> & \"Bo\"'s");
        assert_eq!(
            greeting.render_html(Lang::En),
            "Hi &lt;b&gt;Ana&lt;/b&gt; &amp; &quot;Bo&quot;&#39;s,"
        );
    }
}
