//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use coupon_model::Violations;

/// Raw bytes of a fixture under tests/fixtures.
pub fn fixture_bytes(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// A fixture as a JSON value.
pub fn fixture_value(name: &str) -> serde_json::Value {
    serde_json::from_slice(&fixture_bytes(name)).unwrap()
}

/// A fixture parsed as `T`.
pub fn fixture<T: serde::de::DeserializeOwned>(name: &str) -> T {
    serde_json::from_slice(&fixture_bytes(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The (rule id, path) pairs of a validation result.
pub fn pairs(result: Result<(), Violations>) -> BTreeSet<(String, String)> {
    match result {
        Ok(()) => BTreeSet::new(),
        Err(violations) => violations
            .iter()
            .map(|v| (v.rule.as_str().to_owned(), v.path.clone()))
            .collect(),
    }
}

/// Builds an expected set from `(rule, path)` literals.
pub fn set(items: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    items
        .iter()
        .map(|(r, p)| ((*r).to_owned(), (*p).to_owned()))
        .collect()
}
