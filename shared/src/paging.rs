//! Lists a page at a time, the way the contract asks every list route to: `?page=1&limit=20`
//! in, `{items, total, page, limit, totalPages}` out.
//!
//! A [`Page`] is parsed once from the raw query values and is valid afterwards: page and limit
//! are at least 1 and the limit is already clamped to the route's maximum, so an operation
//! only asks it for [`Page::skip`] and [`Page::limit`] and never checks it again. The answer,
//! [`Paged`], is built from the same `Page`, so what a client is told (`page`, `limit`) is
//! what was queried.
//!
//! ```
//! use streamia_shared::paging::{Page, PageRules, Paged};
//!
//! let page = Page::parse(Some("3"), Some("500"), PageRules::DEFAULT).unwrap();
//! assert_eq!((page.number(), page.size(), page.skip()), (3, 100, 200));
//! let answer = Paged::new(page, vec!["a", "b"], 202);
//! assert_eq!(answer.total_pages, 3);
//! ```

use serde::{Deserialize, Serialize};

use crate::domain::Invalid;
use crate::fields::{self, FieldErrors};
use crate::i18n::Msg;

/// The largest page number kept as asked: 2^53 - 1, the largest integer a JavaScript client
/// reads exactly. A bigger number is still a number (a page past the end, a 200 with no items),
/// so it is lowered to this, not refused.
pub const MAX_PAGE: u64 = (1 << 53) - 1;

/// The largest number of documents [`Page::skip`] asks MongoDB to skip. No collection comes
/// near it, so a capped skip lands past the end exactly like the real one would, and
/// `skip + limit` can never overflow the server's 64-bit arithmetic.
pub const MAX_SKIP: u64 = (1 << 53) - 1;

/// A list route's limits: the page size when the client names none, and the most it may ask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRules {
    /// The page size when `limit` is absent.
    pub default_limit: u32,
    /// The largest page size; a bigger `limit` is clamped to it.
    pub max_limit: u32,
}

impl PageRules {
    /// The contract's rule for every list unless stated: 20 by default, at most 100.
    pub const DEFAULT: PageRules = PageRules::new(20, 100);

    /// A route's own rule (the comments of a movie: `PageRules::new(10, 50)`).
    ///
    /// # Panics
    /// When `1 <= default_limit <= max_limit` does not hold: a programming error, caught at
    /// compile time when the rule is a `const`.
    pub const fn new(default_limit: u32, max_limit: u32) -> Self {
        assert!(
            default_limit >= 1 && default_limit <= max_limit,
            "page rules need 1 <= default_limit <= max_limit"
        );
        Self {
            default_limit,
            max_limit,
        }
    }
}

impl Default for PageRules {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Which slice of a list to answer: page number and page size, both at least 1, the size
/// within the route's maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    number: u64,
    size: u32,
}

impl Page {
    /// Parses the raw `page` and `limit` query values, reporting both at once.
    ///
    /// Absent means page 1 and the route's default limit. Present, each must be a whole number
    /// written with ASCII digits only: `""`, `"0"`, `"-1"`, `"+3"`, `" 3"`, `"1.5"`, `"1e3"`
    /// are refused with the field named. A limit over the maximum is clamped to it; a page
    /// number over [`MAX_PAGE`] is lowered to it (either way the answer says what was used).
    pub fn parse(
        page: Option<&str>,
        limit: Option<&str>,
        rules: PageRules,
    ) -> Result<Self, FieldErrors> {
        let (number, size) = fields::all((
            fields::optional("page", page, |raw| parse_count(raw, MAX_PAGE)),
            fields::optional("limit", limit, |raw| {
                parse_count(raw, u64::from(rules.max_limit))
            }),
        ))?;
        Ok(Self {
            number: number.unwrap_or(1),
            size: size.map_or(rules.default_limit, |size| {
                // parse_count capped it at max_limit, a u32.
                u32::try_from(size).unwrap_or(rules.max_limit)
            }),
        })
    }

    /// The first page of `rules`' default size: what a list with no query answers.
    pub fn first(rules: PageRules) -> Self {
        Self {
            number: 1,
            size: rules.default_limit,
        }
    }

    /// The page number, from 1.
    pub fn number(&self) -> u64 {
        self.number
    }

    /// The page size (already clamped), as the answer's `limit` reports it.
    pub fn size(&self) -> u32 {
        self.size
    }

    /// How many items come before this page, for MongoDB's `skip`: never more than
    /// [`MAX_SKIP`], so it fits an `i64` (`$skip` in a pipeline) and a huge page number is
    /// simply past the end.
    pub fn skip(&self) -> u64 {
        (self.number - 1)
            .saturating_mul(u64::from(self.size))
            .min(MAX_SKIP)
    }

    /// The page size as MongoDB's `limit` takes it.
    pub fn limit(&self) -> i64 {
        i64::from(self.size)
    }

    /// The page size plus one, for MongoDB's `limit` when the list is read before it is
    /// counted: the extra item, if it comes, says the list goes on past this page (and is
    /// dropped from the answer); if it does not, [`Page::total_from`] knows the total without a
    /// count.
    pub fn limit_with_next(&self) -> i64 {
        i64::from(self.size) + 1
    }

    /// The whole list's length when this page, read with [`Page::limit_with_next`], already
    /// tells it: `fetched` items came back, no more than the page size (this is the last page)
    /// and at least one, or this is the first page (an empty list). `None`: the list goes on
    /// past this page, or the page is past the end, and only a count knows the total. A list
    /// of one page, the commonest, is then answered with one query instead of two.
    pub fn total_from(&self, fetched: usize) -> Option<u64> {
        let fetched = u64::try_from(fetched).ok()?;
        let last_page = fetched <= u64::from(self.size) && (fetched > 0 || self.number == 1);
        last_page.then(|| self.skip() + fetched)
    }

    /// Whether this page starts after the last of `total` items: an operation that counted
    /// first may answer an empty page without asking the server to walk past the end.
    pub fn is_past_end(&self, total: u64) -> bool {
        self.skip() >= total
    }
}

/// Accepts `[0-9]+` with a value of at least 1; values above `max` become `max`.
fn parse_count(raw: &str, max: u64) -> Result<u64, Invalid> {
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Msg::FieldWholeNumber.into());
    }
    // Saturating: a number of any length is read without overflow, then capped.
    let value = raw.bytes().fold(0u64, |value, digit| {
        value
            .saturating_mul(10)
            .saturating_add(u64::from(digit - b'0'))
    });
    if value == 0 {
        return Err(Msg::FieldAtLeastOne.into());
    }
    Ok(value.min(max))
}

/// One page of a list, as every list route answers it:
/// `{items, total, page, limit, totalPages}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Paged<T> {
    /// This page's items, at most `limit` of them; none past the end.
    pub items: Vec<T>,
    /// How many items the whole list has.
    pub total: u64,
    /// The page number answered.
    pub page: u64,
    /// The page size used: the client's, or the maximum it was clamped to, or the default.
    pub limit: u32,
    /// `ceil(total / limit)`; 0 for an empty list.
    pub total_pages: u64,
}

impl<T> Paged<T> {
    /// The answer for `page` of a list of `total` items.
    pub fn new(page: Page, items: Vec<T>, total: u64) -> Self {
        Self {
            items,
            total,
            page: page.number(),
            limit: page.size(),
            total_pages: total.div_ceil(u64::from(page.size())),
        }
    }

    /// The same page with each item turned into another shape (a stored document into the
    /// contract's view of it).
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Paged<U> {
        Paged {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            page: self.page,
            limit: self.limit,
            total_pages: self.total_pages,
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_last_page_read_with_one_more_tells_the_total() {
        let rules = PageRules::DEFAULT;
        let page = |n: &str, l: &str| Page::parse(Some(n), Some(l), rules).unwrap();
        // Read with limit + 1: 21 for a page of 20.
        assert_eq!(page("1", "20").limit_with_next(), 21);
        // 20 of a page of 20, no 21st: the whole list is 20.
        assert_eq!(page("1", "20").total_from(20), Some(20));
        assert_eq!(page("3", "10").total_from(4), Some(24));
        // An empty first page: an empty list.
        assert_eq!(page("1", "20").total_from(0), Some(0));
        // A 21st item: the list goes on, count it.
        assert_eq!(page("1", "20").total_from(21), None);
        // Past the end: how far the list goes is unknown.
        assert_eq!(page("5", "20").total_from(0), None);
    }

    use serde_json::json;

    use super::*;
    use crate::http::ApiError;

    const COMMENTS: PageRules = PageRules::new(10, 50);

    fn parse(page: Option<&str>, limit: Option<&str>) -> Result<Page, FieldErrors> {
        Page::parse(page, limit, PageRules::DEFAULT)
    }

    fn fields_of(err: &FieldErrors) -> Vec<&str> {
        err.0.iter().map(|f| f.field.as_str()).collect()
    }

    #[test]
    fn absent_means_first_page_of_the_default_size() {
        let page = parse(None, None).unwrap();
        assert_eq!((page.number(), page.size()), (1, 20));
        assert_eq!(page, Page::first(PageRules::DEFAULT));
        let comments = Page::parse(None, None, COMMENTS).unwrap();
        assert_eq!(comments.size(), 10);
    }

    #[test]
    fn values_are_taken_as_given() {
        let page = parse(Some("3"), Some("25")).unwrap();
        assert_eq!((page.number(), page.size()), (3, 25));
        assert_eq!((page.skip(), page.limit()), (50, 25));
        // Leading zeros are still digits.
        assert_eq!(parse(Some("007"), None).unwrap().number(), 7);
    }

    #[test]
    fn a_limit_over_the_maximum_is_clamped() {
        assert_eq!(parse(None, Some("101")).unwrap().size(), 100);
        assert_eq!(parse(None, Some("100")).unwrap().size(), 100);
        assert_eq!(Page::parse(None, Some("51"), COMMENTS).unwrap().size(), 50);
        let huge = "9".repeat(40);
        assert_eq!(parse(None, Some(&huge)).unwrap().size(), 100);
    }

    #[test]
    fn zero_negative_and_non_numbers_are_refused_naming_the_field() {
        for bad in [
            "0", "00", "-1", "+3", " 3", "3 ", "1.5", "1e3", "", "abc", "0x10", "٣", "１",
        ] {
            let err = parse(Some(bad), None).unwrap_err();
            assert_eq!(fields_of(&err), ["page"], "page {bad:?}");
            let err = parse(None, Some(bad)).unwrap_err();
            assert_eq!(fields_of(&err), ["limit"], "limit {bad:?}");
        }
        assert_eq!(
            parse(Some("0"), None).unwrap_err().0[0].message.msg(),
            Msg::FieldAtLeastOne
        );
        assert_eq!(
            parse(Some("-1"), None).unwrap_err().0[0].message.msg(),
            Msg::FieldWholeNumber
        );
    }

    #[test]
    fn both_fields_are_reported_at_once_as_a_400() {
        let err = parse(Some("0"), Some("x")).unwrap_err();
        assert_eq!(fields_of(&err), ["page", "limit"]);
        let api = ApiError::from(err);
        assert_eq!(api.status(), 400);
        assert_eq!(api.code(), "VALIDATION_ERROR");
        assert_eq!(
            api.body(crate::i18n::Lang::Es)["details"][1]["field"],
            "limit"
        );
    }

    #[test]
    fn a_huge_page_is_past_the_end_without_overflow() {
        let huge = "9".repeat(400);
        let page = parse(Some(&huge), Some("100")).unwrap();
        assert_eq!(page.number(), MAX_PAGE);
        assert_eq!(page.skip(), MAX_SKIP);
        assert!(i64::try_from(page.skip()).is_ok());
        assert!(i64::try_from(page.skip())
            .unwrap()
            .checked_add(page.limit())
            .is_some());
        assert!(page.is_past_end(1_000_000_000));

        let just_below = parse(Some(&MAX_PAGE.to_string()), Some("1")).unwrap();
        assert_eq!(just_below.skip(), MAX_PAGE - 1);
        let u64_max = parse(Some(&u64::MAX.to_string()), None).unwrap();
        assert_eq!(u64_max.number(), MAX_PAGE);

        let answer = Paged::<()>::new(page, vec![], 3);
        assert_eq!(answer.page, MAX_PAGE);
        assert_eq!(answer.total_pages, 1);
    }

    #[test]
    fn past_end_is_measured_from_the_skip() {
        let page = parse(Some("3"), Some("10")).unwrap();
        assert!(!page.is_past_end(21));
        assert!(page.is_past_end(20));
        assert!(!Page::first(PageRules::DEFAULT).is_past_end(1));
        assert!(Page::first(PageRules::DEFAULT).is_past_end(0));
    }

    #[test]
    fn total_pages_rounds_up_and_is_zero_for_nothing() {
        let page = |limit: &str| parse(None, Some(limit)).unwrap();
        assert_eq!(Paged::<u8>::new(page("10"), vec![], 0).total_pages, 0);
        assert_eq!(Paged::<u8>::new(page("10"), vec![], 1).total_pages, 1);
        assert_eq!(Paged::<u8>::new(page("10"), vec![], 10).total_pages, 1);
        assert_eq!(Paged::<u8>::new(page("10"), vec![], 11).total_pages, 2);
        assert_eq!(
            Paged::<u8>::new(page("1"), vec![], u64::MAX).total_pages,
            u64::MAX
        );
    }

    #[test]
    fn the_answer_is_camel_case_and_says_the_clamped_limit() {
        let page = parse(Some("2"), Some("1000")).unwrap();
        let answer = Paged::new(page, vec![json!({"id": 1})], 101).map(|item| item["id"].clone());
        assert_eq!(
            serde_json::to_value(&answer).unwrap(),
            json!({"items": [1], "total": 101, "page": 2, "limit": 100, "totalPages": 2})
        );
        let back: Paged<serde_json::Value> =
            serde_json::from_value(serde_json::to_value(&answer).unwrap()).unwrap();
        assert_eq!(back, answer);
    }

    #[test]
    #[should_panic(expected = "page rules")]
    fn rules_must_be_coherent() {
        let max = std::hint::black_box(5);
        let _ = PageRules::new(10, max);
    }
}
