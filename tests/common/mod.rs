//! Shared test helpers: the minimal fixture rule set and the shipped one.

// Helpers for tests: a failure to set up is a failed test.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
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

/// The shipped corpus files, sorted.
pub fn corpus_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir("corpus")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    files
}

/// 2026-03-01T10:00:00+08:00 plus `minutes`.
pub fn at(minutes: i64) -> i64 {
    1_772_330_400 + minutes * 60
}

/// Copies a fixture directory (rule sets are edited in copies, never in
/// place).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A copy of the minimal fixture in a temporary directory; returns the
/// directory (keep it alive) and its `rules/`.
pub fn minimal_copy() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(Path::new("tests/fixtures/minimal"), tmp.path());
    let rules = tmp.path().join("rules");
    (tmp, rules)
}

/// A history store that is down: every call fails.
pub struct DownStore;

impl fenliu::history::HistoryStore for DownStore {
    fn recent(
        &self,
        _: &str,
        _: i64,
        _: i64,
        _: usize,
    ) -> Result<Vec<fenliu::history::PastAppeal>, fenliu::history::HistoryError> {
        Err(down())
    }
    fn record(
        &self,
        _: &fenliu::history::PastAppeal,
    ) -> Result<bool, fenliu::history::HistoryError> {
        Err(down())
    }
    fn contains(&self, _: &str) -> Result<bool, fenliu::history::HistoryError> {
        Err(down())
    }
    fn health(&self) -> Result<(), fenliu::history::HistoryError> {
        Err(down())
    }
}

fn down() -> fenliu::history::HistoryError {
    fenliu::history::HistoryError("connection refused".into())
}
