//! Query parameters (`?page=2&limit=50&search=matrix`), read the same way by every route.
//!
//! API Gateway REST (v1) sends a query twice: `queryStringParameters` holds one value per name,
//! the **last** one when a name is repeated (`?limit=1&limit=2` gives `"2"`), and
//! `multiValueQueryStringParameters` holds them all. lambda_http keeps only the multi-value map
//! when present, and its `first()` would answer `"1"`; [`param`] takes the last value, so a
//! function reads what API Gateway itself calls the parameter's value, whichever map the event
//! had. Values arrive percent-decoded.
//!
//! The readers answer [`FieldErrors`], which `?` turns into the 400 VALIDATION_ERROR with the
//! fields in `details`.

use lambda_http::{Request, RequestExt};

use crate::fields::{self, FieldErrors};
use crate::paging::{Page, PageRules};
use crate::search::SearchTerm;

/// The query parameter holding a list's page number.
pub const PAGE: &str = "page";
/// The query parameter holding a list's page size.
pub const LIMIT: &str = "limit";
/// The query parameter holding a list's search text.
pub const SEARCH: &str = "search";

/// Query parameter `name` as API Gateway's single-value map has it: the last value when the
/// name is repeated; `None` when absent. `?name` and `?name=` are both `Some("")`.
pub fn param<'r>(req: &'r Request, name: &str) -> Option<&'r str> {
    req.query_string_parameters_ref()?
        .all(name)?
        .last()
        .copied()
}

/// `?page&limit` as a [`Page`] under `rules` (see [`Page::parse`]); both fields' problems at
/// once.
pub fn page(req: &Request, rules: PageRules) -> Result<Page, FieldErrors> {
    Page::parse(param(req, PAGE), param(req, LIMIT), rules)
}

/// `?search` as a [`SearchTerm`]: `None` when absent or blank.
pub fn search(req: &Request) -> Result<Option<SearchTerm>, FieldErrors> {
    let term = fields::optional(SEARCH, param(req, SEARCH), SearchTerm::parse)
        .map_err(|error| FieldErrors(vec![error]))?;
    Ok(term.flatten())
}

/// `?page&limit&search` of a searchable list, every field's problem at once.
pub fn page_and_search(
    req: &Request,
    rules: PageRules,
) -> Result<(Page, Option<SearchTerm>), FieldErrors> {
    match (page(req, rules), search(req)) {
        (Ok(page), Ok(term)) => Ok((page, term)),
        (page, term) => {
            let mut errors = page.err().map(|e| e.0).unwrap_or_default();
            errors.extend(term.err().map(|e| e.0).unwrap_or_default());
            Err(FieldErrors(errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::super::proxy_event::{request, request_single_only};
    use super::*;
    use crate::http::ApiError;
    use crate::i18n::Lang;

    fn query(pairs: &[(&str, &str)]) -> Request {
        request(Value::Null, pairs)
    }

    #[test]
    fn no_query_is_the_first_page_and_no_search() {
        let req = query(&[]);
        assert_eq!(param(&req, "page"), None);
        assert_eq!(
            page(&req, PageRules::DEFAULT).unwrap(),
            Page::first(PageRules::DEFAULT)
        );
        assert_eq!(search(&req).unwrap(), None);
    }

    #[test]
    fn page_and_limit_are_read() {
        let req = query(&[("page", "3"), ("limit", "500"), ("other", "x")]);
        let page = page(&req, PageRules::new(10, 50)).unwrap();
        assert_eq!((page.number(), page.size(), page.skip()), (3, 50, 100));
    }

    #[test]
    fn a_repeated_name_takes_the_last_value_like_api_gateway() {
        let req = query(&[("limit", "1"), ("limit", "2")]);
        assert_eq!(param(&req, "limit"), Some("2"));
        assert_eq!(page(&req, PageRules::DEFAULT).unwrap().size(), 2);
        // The last one decides even when an earlier one was invalid, and the other way round.
        let req = query(&[("page", "x"), ("page", "2")]);
        assert_eq!(page(&req, PageRules::DEFAULT).unwrap().number(), 2);
        let req = query(&[("page", "2"), ("page", "0")]);
        assert!(page(&req, PageRules::DEFAULT).is_err());
        // Same answer from an event carrying only the single-value map.
        let req = request_single_only(&[("limit", "1"), ("limit", "2")]);
        assert_eq!(param(&req, "limit"), Some("2"));
    }

    #[test]
    fn invalid_values_are_a_400_naming_the_fields() {
        let req = query(&[("page", "0"), ("limit", "-5"), ("search", "a\u{0}b")]);
        let err = page_and_search(&req, PageRules::DEFAULT).unwrap_err();
        let fields: Vec<&str> = err.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["page", "limit", "search"]);
        let api = ApiError::from(err);
        assert_eq!(api.status(), 400);
        assert_eq!(api.code(), "VALIDATION_ERROR");
        assert_eq!(api.body(Lang::En)["details"][2]["field"], "search");

        let empty = query(&[("limit", "")]);
        assert_eq!(
            ApiError::from(page(&empty, PageRules::DEFAULT).unwrap_err()).body(Lang::En)["details"]
                [0]["field"],
            "limit"
        );
    }

    #[test]
    fn search_is_trimmed_and_blank_is_none() {
        let req = query(&[("search", "  a.b ")]);
        assert_eq!(search(&req).unwrap().unwrap().as_str(), "a.b");
        assert_eq!(search(&query(&[("search", "   ")])).unwrap(), None);
        assert_eq!(search(&query(&[("search", "")])).unwrap(), None);
        let long = "x".repeat(101);
        let err = search(&query(&[("search", &long)])).unwrap_err();
        assert_eq!(err.0[0].field, "search");
        assert_eq!(
            err.0[0].message.render(Lang::En),
            "must be at most 100 characters"
        );
    }

    #[test]
    fn page_and_search_together() {
        let req = query(&[("search", "matrix"), ("page", "2")]);
        let (page, term) = page_and_search(&req, PageRules::DEFAULT).unwrap();
        assert_eq!((page.number(), page.size()), (2, 20));
        assert_eq!(term.unwrap().as_str(), "matrix");
        // One bad field alone is reported alone.
        let err = page_and_search(&query(&[("limit", "1.5")]), PageRules::DEFAULT).unwrap_err();
        assert_eq!(err.0.len(), 1);
        assert_eq!(err.0[0].field, "limit");
    }
}
