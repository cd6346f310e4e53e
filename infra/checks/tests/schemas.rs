//! The OpenAPI file's input patterns against the code that enforces them: schemathesis sends
//! only what a pattern allows, so a character the code refuses and the pattern lets through
//! fails the fuzzing at random, one generated name in thousands.

mod common;

use std::collections::BTreeSet;

use common::openapi;
use streamia_shared::domain::is_invisible_or_bidi;

#[test]
fn the_person_name_pattern_excludes_exactly_the_characters_the_code_refuses() {
    let spec = openapi();
    let pattern = spec["components"]["schemas"]["PersonName"]["pattern"]
        .as_str()
        .expect("PersonName has a pattern");
    let mut excluded = excluded_class(pattern);
    // What the pattern cannot spell, the fuzzer's hook drops from generated names.
    excluded.extend(beyond_bmp_in_fuzz_hook());
    let refused: BTreeSet<char> = (0..=0x10FFFF_u32)
        .filter_map(char::from_u32)
        .filter(|c| c.is_control() || is_invisible_or_bidi(*c))
        .collect();
    let missing: Vec<String> = refused
        .difference(&excluded)
        .map(|c| format!("U+{:04X}", *c as u32))
        .collect();
    let extra: Vec<String> = excluded
        .difference(&refused)
        .map(|c| format!("U+{:04X}", *c as u32))
        .collect();
    assert!(
        missing.is_empty(),
        "refused, not in the pattern: {missing:?}"
    );
    assert!(extra.is_empty(), "in the pattern, not refused: {extra:?}");
}

/// The characters of infra/fuzz/hooks.py's `REFUSED_BEYOND_BMP = [(0x..., 0x...), ...]`.
fn beyond_bmp_in_fuzz_hook() -> BTreeSet<char> {
    let hooks = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/hooks.py"),
    )
    .expect("infra/fuzz/hooks.py");
    let line = hooks
        .lines()
        .find(|l| l.starts_with("REFUSED_BEYOND_BMP = "))
        .expect("REFUSED_BEYOND_BMP in hooks.py");
    let numbers: Vec<u32> = line
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter_map(|w| w.strip_prefix("0x"))
        .map(|hex| u32::from_str_radix(hex, 16).expect("hex"))
        .collect();
    assert!(
        !numbers.is_empty() && numbers.len().is_multiple_of(2),
        "{line}"
    );
    numbers
        .chunks(2)
        .flat_map(|r| (r[0]..=r[1]).filter_map(char::from_u32))
        .collect()
}

/// The characters of the pattern's `(?![\s\S]*[...])` class, written as `\xhh`, `\uhhhh`
/// and ranges of them.
fn excluded_class(pattern: &str) -> BTreeSet<char> {
    let start = pattern
        .find(r"(?![\s\S]*[")
        .map(|i| i + r"(?![\s\S]*[".len())
        .expect("a negative lookahead class");
    let class = &pattern[start..start + pattern[start..].find("])").expect("class end")];
    let mut chars = Vec::new();
    let mut rest = class;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('-') {
            chars.push(None);
            rest = r;
            continue;
        }
        let (width, r) = match rest.get(..2) {
            Some(r"\x") => (2, &rest[2..]),
            Some(r"\u") => (4, &rest[2..]),
            _ => panic!("unexpected class text at {rest:?}"),
        };
        let code = u32::from_str_radix(&r[..width], 16).expect("hex digits");
        chars.push(Some(char::from_u32(code).expect("a scalar value")));
        rest = &r[width..];
    }
    let mut set = BTreeSet::new();
    let mut i = 0;
    while i < chars.len() {
        let first = chars[i].expect("a range starts with a character");
        match chars.get(i + 1) {
            Some(None) => {
                let last = chars[i + 2].expect("a range ends with a character");
                set.extend(first..=last);
                i += 3;
            }
            _ => {
                set.insert(first);
                i += 1;
            }
        }
    }
    set
}
