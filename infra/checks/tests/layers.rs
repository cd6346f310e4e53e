//! Operations see no HTTP type (`streamia_checks::layers`): a service's ops, store and domain
//! never name `lambda_http` or `streamia_shared::http`, so an SQS consumer and the tests call
//! the same code as the HTTP adapter.

mod common;

use std::path::{Path, PathBuf};

use streamia_checks::layers::{http_in_core, Violation};

#[test]
fn operations_stores_and_domain_name_no_http_type() {
    let violations = http_in_core(&common::root());
    let listing: Vec<String> = violations.iter().map(Violation::to_string).collect();
    assert!(
        violations.is_empty(),
        "HTTP types in a service's core (move them to the adapter or the platform's domain):\n{}",
        listing.join("\n")
    );
}

/// A scratch directory, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!(
            "streamia-layers-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn write(&self, path: &str, text: &str) {
        let path = self.0.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn violation(file: &str, names: &str) -> Violation {
    Violation {
        file: Path::new(file).to_owned(),
        names: names.to_owned(),
    }
}

#[test]
fn an_http_type_in_an_operation_store_or_domain_is_caught() {
    let tree = Scratch::new();
    // The deliberately broken example.
    tree.write(
        "functions/x/src/ops/a.rs",
        "use streamia_shared::http::Patch;\n",
    );
    // A grouped import, a nested store module, a domain module, a path in a body.
    tree.write(
        "functions/x/src/store/items/b.rs",
        "use streamia_shared::{events::Envelope, http::{fields, Role}};\n",
    );
    tree.write(
        "functions/x/src/domain/c.rs",
        "fn f() -> lambda_http::Body { todo!() }\n",
    );
    tree.write(
        "functions/y/src/domain.rs",
        "pub fn role() { let _ = ::streamia_shared :: http::Role::User; }\n",
    );
    // Clean: other platform modules, words in comments and strings, and the adapters.
    tree.write(
        "functions/x/src/ops/clean.rs",
        "//! Not `streamia_shared::http`, not lambda_http.\n\
         use streamia_shared::events::Envelope;\n\
         /// lambda_http is for adapters.\n\
         const S: &str = \"streamia_shared::http\";\n",
    );
    tree.write(
        "functions/x/src/adapters/http.rs",
        "use lambda_http::Body;\nuse streamia_shared::http::respond;\n",
    );
    tree.write("functions/x/src/ops/notes.txt", "use lambda_http;\n");

    assert_eq!(
        http_in_core(&tree.0),
        vec![
            violation("functions/x/src/domain/c.rs", "lambda_http"),
            violation("functions/x/src/ops/a.rs", "streamia_shared::http"),
            violation(
                "functions/x/src/store/items/b.rs",
                "streamia_shared::{http, ..}"
            ),
            violation("functions/y/src/domain.rs", "streamia_shared::http"),
        ]
    );
}

#[test]
fn a_file_that_cannot_be_tokenized_is_a_violation_not_a_pass() {
    let tree = Scratch::new();
    tree.write("functions/x/src/ops/broken.rs", "fn f() { \"unclosed\n");
    let violations = http_in_core(&tree.0);
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert!(
        violations[0].names.starts_with("cannot be tokenized"),
        "{}",
        violations[0]
    );
}
