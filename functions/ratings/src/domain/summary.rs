//! A movie's summary of its ratings: how many of each score, their count and mean.

use serde::{Deserialize, Serialize};

use super::Score;

/// How many ratings gave each score. Shown as `{"1": n, ..., "5": n}`, every key present.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Distribution {
    /// Ratings of 1.
    #[serde(rename = "1", default)]
    pub one: u64,
    /// Ratings of 2.
    #[serde(rename = "2", default)]
    pub two: u64,
    /// Ratings of 3.
    #[serde(rename = "3", default)]
    pub three: u64,
    /// Ratings of 4.
    #[serde(rename = "4", default)]
    pub four: u64,
    /// Ratings of 5.
    #[serde(rename = "5", default)]
    pub five: u64,
}

impl Distribution {
    /// The counter of `score`.
    pub fn of_mut(&mut self, score: Score) -> &mut u64 {
        match score.value() {
            1 => &mut self.one,
            2 => &mut self.two,
            3 => &mut self.three,
            4 => &mut self.four,
            _ => &mut self.five,
        }
    }

    /// `(score, how many)` for 1 to 5.
    pub fn counts(&self) -> [(u64, u64); 5] {
        [
            (1, self.one),
            (2, self.two),
            (3, self.three),
            (4, self.four),
            (5, self.five),
        ]
    }
}

/// A movie's ratings summed up: derived from the ratings themselves (`ops::summarize`), never
/// from deltas, so recomputing it is always safe.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Summary {
    /// How many of each score.
    pub distribution: Distribution,
}

impl Summary {
    /// How many ratings.
    pub fn count(&self) -> u64 {
        self.distribution.counts().iter().map(|(_, n)| n).sum()
    }

    /// The sum of the scores.
    pub fn sum(&self) -> u64 {
        self.distribution.counts().iter().map(|(s, n)| s * n).sum()
    }

    /// The mean score rounded to 2 decimals (half away from zero), 0 when there is none: what
    /// the contract shows and `rating.changed` carries.
    pub fn average(&self) -> f64 {
        let count = self.count();
        if count == 0 {
            return 0.0;
        }
        // Exact in integers: round(100 * sum / count) / 100.
        let hundredths = (200 * self.sum() + count) / (2 * count);
        hundredths as f64 / 100.0
    }
}

/// `GET /ratings/movies/{movieId}`'s answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SummaryView {
    /// The movie's id (hex).
    pub movie_id: String,
    /// Mean score, 2 decimals, 0 when none.
    pub average: f64,
    /// How many ratings.
    pub count: u64,
    /// How many of each score.
    pub distribution: Distribution,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(counts: [u64; 5]) -> Summary {
        let [one, two, three, four, five] = counts;
        Summary {
            distribution: Distribution {
                one,
                two,
                three,
                four,
                five,
            },
        }
    }

    #[test]
    fn averages_round_to_two_decimals() {
        assert_eq!(summary([0; 5]).average(), 0.0);
        assert_eq!(summary([0, 0, 1, 0, 2]).average(), 4.33);
        assert_eq!(summary([0, 0, 0, 2, 1]).average(), 4.33);
        assert_eq!(summary([1, 0, 0, 0, 2]).average(), 3.67);
        assert_eq!(summary([0, 0, 1, 1, 0]).average(), 3.5);
        // 1/8 = 0.125 -> 0.13 (half away from zero): 1 + 0.125.
        assert_eq!(summary([7, 1, 0, 0, 0]).average(), 1.13);
        assert_eq!(summary([0, 0, 0, 0, 9]).average(), 5.0);
        assert_eq!(summary([1, 2, 3, 4, 5]).count(), 15);
        assert_eq!(summary([1, 2, 3, 4, 5]).sum(), 1 + 4 + 9 + 16 + 25);
    }

    #[test]
    fn every_key_is_shown() {
        let json = serde_json::to_value(Distribution::default()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"1": 0, "2": 0, "3": 0, "4": 0, "5": 0})
        );
    }
}
