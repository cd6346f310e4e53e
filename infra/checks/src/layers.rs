//! Operations see no HTTP type.
//!
//! A service's operations (`src/ops/`), store (`src/store/`) and domain (`src/domain.rs`,
//! `src/domain/`) are called by the HTTP adapter and by SQS consumers alike, and tested
//! directly: an HTTP type there ties every caller to API Gateway. Only the adapters may name
//! `lambda_http` or the platform's `streamia_shared::http`.

use std::fmt;
use std::path::{Path, PathBuf};

use proc_macro2::{Delimiter, TokenStream, TokenTree};

/// One file of a service's core that names an HTTP crate or module.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Violation {
    /// The file, relative to the root that was checked.
    pub file: PathBuf,
    /// What it names (`lambda_http`, `streamia_shared::http`, ...), or why it could not be
    /// read: an unreadable file is a violation, never a silent pass.
    pub names: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file.display(), self.names)
    }
}

/// Every `.rs` file under `<root>/functions/*/src/{ops,store,domain}/` and every single-file
/// `<root>/functions/*/src/{ops,store,domain}.rs` that mentions `lambda_http` or `streamia_shared::http`
/// in code (a `use`, grouped or not, or a path; comments and strings do not count), sorted.
pub fn http_in_core(root: &Path) -> Vec<Violation> {
    let mut files = Vec::new();
    for service in sorted_entries(&root.join("functions")) {
        let src = service.join("src");
        for dir in ["ops", "store", "domain"] {
            rust_files(&src.join(dir), &mut files);
        }
        for file in ["ops.rs", "store.rs", "domain.rs"] {
            let single = src.join(file);
            if single.is_file() {
                files.push(single);
            }
        }
    }
    let mut violations: Vec<Violation> = files
        .into_iter()
        .flat_map(|path| {
            let file = path.strip_prefix(root).unwrap_or(&path).to_owned();
            let found = match std::fs::read_to_string(&path) {
                Err(e) => vec![format!("cannot be read: {e}")],
                Ok(text) => match text.parse::<TokenStream>() {
                    Err(e) => vec![format!("cannot be tokenized: {e}")],
                    Ok(tokens) => {
                        let mut found = Vec::new();
                        http_paths(tokens, &mut found);
                        found
                    }
                },
            };
            found.into_iter().map(move |names| Violation {
                file: file.clone(),
                names,
            })
        })
        .collect();
    violations.sort();
    violations.dedup();
    violations
}

/// The entries of `dir`, sorted; none when it does not exist.
fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    entries
}

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for path in sorted_entries(dir) {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Collects the HTTP names in `tokens`, descending into every group (blocks, `use` groups,
/// macro bodies).
fn http_paths(tokens: TokenStream, found: &mut Vec<String>) {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    for (i, token) in tokens.iter().enumerate() {
        match token {
            TokenTree::Ident(ident) if ident == "lambda_http" => {
                found.push("lambda_http".to_owned());
            }
            TokenTree::Ident(ident) if ident == "streamia_shared" => {
                if let (Some(a), Some(b), Some(next)) =
                    (tokens.get(i + 1), tokens.get(i + 2), tokens.get(i + 3))
                {
                    if let Some(names) = http_after_platform(a, b, next) {
                        found.push(names.to_owned());
                    }
                }
            }
            TokenTree::Group(group) => http_paths(group.stream(), found),
            _ => {}
        }
    }
}

/// What `streamia_shared` `a` `b` `next` names, when `a b` is `::` and `next` is `http` or a
/// `use` group holding it.
fn http_after_platform(a: &TokenTree, b: &TokenTree, next: &TokenTree) -> Option<&'static str> {
    if !is_colon(a) || !is_colon(b) {
        return None;
    }
    match next {
        TokenTree::Ident(module) if module == "http" => Some("streamia_shared::http"),
        TokenTree::Group(group)
            if group.delimiter() == Delimiter::Brace && group_names_http(group.stream()) =>
        {
            Some("streamia_shared::{http, ..}")
        }
        _ => None,
    }
}

/// Whether one item of a `use` group (`{events, http::Patch}`) starts with `http`.
fn group_names_http(tokens: TokenStream) -> bool {
    let mut item_start = true;
    for token in tokens {
        match &token {
            TokenTree::Ident(ident) if item_start && ident == "http" => return true,
            TokenTree::Punct(p) if p.as_char() == ',' => {
                item_start = true;
                continue;
            }
            _ => {}
        }
        item_start = false;
    }
    false
}

/// One `:` of a path separator (`::` is two `:` tokens).
fn is_colon(token: &TokenTree) -> bool {
    matches!(token, TokenTree::Punct(p) if p.as_char() == ':')
}
