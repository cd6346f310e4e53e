//! A score: a whole number from 1 to 5, parsed once from the request body.

use serde::{Deserialize, Serialize};
use streamia_shared::domain::Invalid;
use streamia_shared::i18n::Msg;

/// A user's score of a movie, 1 to 5. Only [`Score::parse`] (and stored ratings, written from
/// one) make it, so a command holding a `Score` never checks it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i32", into = "i32")]
pub struct Score(u8);

impl Score {
    /// The lowest score.
    pub const MIN: u8 = 1;
    /// The highest score.
    pub const MAX: u8 = 5;

    /// Accepts a JSON integer from 1 to 5 and nothing else: `0`, `6`, `3.5`, `5.0`, `"4"`,
    /// `true` and `null` are all "must be a whole number from 1 to 5". The body is taken as a
    /// JSON value (not `i64`) so that every wrong value gets the same field message.
    pub fn parse(raw: &serde_json::Value) -> Result<Self, Invalid> {
        let number = match raw {
            // `5.0` is a float in JSON text; serde_json keeps it as one, so it is refused too.
            serde_json::Value::Number(n) => n.as_i64(),
            _ => None,
        };
        number
            .and_then(|n| u8::try_from(n).ok())
            .and_then(Self::new)
            .ok_or_else(|| Invalid::from(Msg::ScoreInvalid))
    }

    /// `value` as a score, if it is 1 to 5.
    pub fn new(value: u8) -> Option<Self> {
        (Self::MIN..=Self::MAX)
            .contains(&value)
            .then_some(Self(value))
    }

    /// The number.
    pub fn value(self) -> u8 {
        self.0
    }
}

impl TryFrom<i32> for Score {
    type Error = String;
    fn try_from(value: i32) -> Result<Self, Self::Error> {
        u8::try_from(value)
            .ok()
            .and_then(Self::new)
            .ok_or_else(|| format!("stored score {value} is not 1-5"))
    }
}

impl From<Score> for i32 {
    fn from(score: Score) -> Self {
        i32::from(score.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_whole_numbers_from_one_to_five() {
        for ok in 1..=5 {
            assert_eq!(Score::parse(&json!(ok)).unwrap().value(), ok);
        }
        for bad in [
            json!(0),
            json!(6),
            json!(-1),
            json!(3.5),
            json!(5.0),
            json!("4"),
            json!(true),
            json!(null),
            json!([4]),
            json!(256 + 3),
        ] {
            assert!(Score::parse(&bad).is_err(), "{bad}");
        }
    }
}
