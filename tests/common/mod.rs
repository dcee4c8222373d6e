//! Shared test helpers: the minimal fixture rule set and the shipped one.

#![allow(dead_code)]

use std::path::Path;
use std::sync::{Arc, OnceLock};

use fenliu::engine::Classifier;
use fenliu::rules::load_rule_set;

pub fn minimal() -> Classifier {
    static SET: OnceLock<Classifier> = OnceLock::new();
    SET.get_or_init(|| {
        Classifier::new(Arc::new(
            load_rule_set(Path::new("tests/fixtures/minimal/rules")).unwrap(),
        ))
    })
    .clone()
}

pub fn shipped() -> Classifier {
    static SET: OnceLock<Classifier> = OnceLock::new();
    SET.get_or_init(|| Classifier::new(Arc::new(load_rule_set(Path::new("rules")).unwrap())))
        .clone()
}

/// 2026-03-01T10:00:00+08:00 plus `minutes`.
pub fn at(minutes: i64) -> i64 {
    1_772_330_400 + minutes * 60
}
