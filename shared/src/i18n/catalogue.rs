//! The message catalogue: one table per language (`en.rs`, `es.rs`), looked up by key.

use super::{en, es, Lang, Msg};

/// The table of `lang`.
fn table(lang: Lang) -> &'static [(Msg, &'static str)] {
    match lang {
        Lang::En => en::MESSAGES,
        Lang::Es => es::MESSAGES,
    }
}

/// `msg`'s template in `lang`, if the table has it (the tests below make sure it does).
pub(super) fn template(lang: Lang, msg: Msg) -> Option<&'static str> {
    table(lang)
        .iter()
        .find_map(|(key, text)| (*key == msg).then_some(*text))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::super::text::placeholders;
    use super::*;

    #[test]
    fn every_key_exists_in_every_language() {
        let mut missing = Vec::new();
        for lang in Lang::ALL {
            for msg in Msg::ALL {
                match template(lang, *msg) {
                    Some(text) if !text.trim().is_empty() => {}
                    _ => missing.push(format!("{lang}: {}", msg.key())),
                }
            }
        }
        assert!(missing.is_empty(), "missing translations: {missing:?}");
    }

    #[test]
    fn no_language_lists_a_key_twice() {
        for lang in Lang::ALL {
            let mut seen = HashSet::new();
            for (msg, _) in table(lang) {
                assert!(seen.insert(*msg), "{lang}: {} twice", msg.key());
            }
        }
    }

    #[test]
    fn translations_fill_the_same_placeholders() {
        for msg in Msg::ALL {
            let en = template(Lang::En, *msg).map(placeholders);
            for lang in Lang::ALL {
                assert_eq!(
                    template(lang, *msg).map(placeholders),
                    en,
                    "{lang}: {}",
                    msg.key()
                );
            }
        }
    }

    #[test]
    fn keys_are_unique_and_dotted() {
        let keys: HashSet<&str> = Msg::ALL.iter().map(|m| m.key()).collect();
        assert_eq!(keys.len(), Msg::ALL.len());
        assert!(keys.iter().all(|k| k.contains('.') && !k.contains(' ')));
    }
}
