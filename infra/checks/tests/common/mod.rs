//! What every check reads: the template through the local gateway's parser (so the gateway
//! and the checks see one and the same thing), the workspace's binaries, and the contract.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde_yaml::Value;
use streamia_local_gateway::template::{Context, Template};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

pub fn yaml(path: &str) -> Value {
    serde_yaml::from_str(&std::fs::read_to_string(root().join(path)).unwrap()).unwrap()
}

/// template.yaml as the local gateway reads it; the nested messaging stack's outputs are
/// stand-ins named after the outputs infra/messaging.yaml declares, so a `GetAtt` of an output
/// that does not exist fails here.
pub fn template() -> Template {
    let messaging = yaml("infra/messaging.yaml");
    let outputs: HashMap<String, String> = messaging["Outputs"]
        .as_mapping()
        .unwrap()
        .keys()
        .map(|k| {
            let name = k.as_str().unwrap();
            (
                format!("Messaging.Outputs.{name}"),
                format!("arn:aws:local:{name}"),
            )
        })
        .collect();
    let ctx = Context {
        outputs,
        region: "us-east-1".to_owned(),
        stack_name: "streamia-checks".to_owned(),
        ..Context::default()
    };
    let text = std::fs::read_to_string(root().join("template.yaml")).unwrap();
    Template::parse(&text, &ctx).expect("template.yaml parses as the local gateway reads it")
}

/// The resource `id` of the template.
pub fn resource<'a>(t: &'a Template, id: &str) -> &'a Value {
    &t.document["Resources"][id]
}

/// Every `src/bin/*.rs` under `functions/`.
pub fn workspace_binaries() -> BTreeSet<String> {
    binary_crates().into_keys().collect()
}

/// Every binary under `functions/` with the crate it is built from (`users-login` ->
/// `users`: `functions/users/src/bin/users-login.rs`). The template builds each function from
/// the workspace (`CodeUri: .`) by its binary (`Metadata.BuildProperties.Binary`), so this is
/// the function's service.
pub fn binary_crates() -> BTreeMap<String, String> {
    let mut bins = BTreeMap::new();
    for service in std::fs::read_dir(root().join("functions")).unwrap() {
        let service = service.unwrap().path();
        let crate_dir = service.file_name().unwrap().to_str().unwrap().to_owned();
        let Ok(entries) = std::fs::read_dir(service.join("src/bin")) else {
            continue;
        };
        for entry in entries {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if let Some(bin) = name.strip_suffix(".rs") {
                bins.insert(bin.to_owned(), crate_dir.clone());
            }
        }
    }
    bins
}

/// (METHOD, /api/v1 path, is public) rows of one section of the contract's tables
/// (`infra/api-contract.md`: the team's API contract, checked in so that the repository holds
/// what it is checked against).
pub fn contract_routes(section: &str) -> BTreeSet<(String, String, bool)> {
    let path = root().join("infra/api-contract.md");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("the API contract must sit at {}: {e}", path.display()));
    let start = text.find(&format!("## {section}")).expect("section");
    let body = &text[start + 3..];
    let body = &body[..body.find("\n## ").unwrap_or(body.len())];
    body.lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let (method, path) = cells.get(1)?.split_once(' ')?;
            if !["GET", "POST", "PUT", "DELETE"].contains(&method) {
                return None;
            }
            Some((
                method.to_owned(),
                format!("/api/v1{path}"),
                cells.get(2) == Some(&"-"),
            ))
        })
        .collect()
}

/// infra/openapi.yaml.
pub fn openapi() -> Value {
    yaml("infra/openapi.yaml")
}
