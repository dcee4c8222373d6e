//! Appeal history: what a caller said before, for the repeat and burst
//! policy.
//!
//! The engine sees history only through [`HistoryStore`]. This module ships
//! the in-memory store; durable stores implement the same trait.

mod caller_key;
mod memory;
mod postgres_store;
mod schema;
mod signature;
mod sqlite_store;
mod time;

pub use caller_key::CallerKey;
pub use memory::MemoryStore;
pub use postgres_store::PostgresStore;
pub use signature::{overlap, similarity, Signature};
pub use sqlite_store::SqliteStore;
pub use time::{format_rfc3339, now_secs, parse_rfc3339, TimeError};

use serde::{Deserialize, Serialize};

use crate::rules::Route;

/// An appeal as remembered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PastAppeal {
    /// The hotline's appeal id (or one fenliu made up when none was given).
    pub id: String,
    /// The caller, as given to the store (a durable store keys it by hash).
    pub caller: String,
    /// Unix seconds.
    pub received_at: i64,
    pub signature: Signature,
    pub route: Route,
    pub category: String,
    /// Who decided what: the audit trail durable stores keep.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit: Option<Audit>,
}

/// How an appeal was decided, kept with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Audit {
    pub ruleset_version: String,
    pub ruleset_digest: String,
    /// The rules whose evidence counted, strongest first.
    pub rules: Vec<String>,
    pub decided_by: String,
    pub confidence: f64,
    pub review: bool,
}

/// A history store failed; classification goes on without history.
#[derive(Debug, thiserror::Error)]
#[error("history store unavailable: {0}")]
pub struct HistoryError(pub String);

/// Where appeals are remembered.
pub trait HistoryStore: Send + Sync {
    /// The caller's appeals received in `[since, until]`, newest first, at
    /// most `limit`.
    fn recent(
        &self,
        caller: &str,
        since: i64,
        until: i64,
        limit: usize,
    ) -> Result<Vec<PastAppeal>, HistoryError>;

    /// Records an appeal; `false` when its id was already recorded (the
    /// record is then left as it was).
    fn record(&self, appeal: &PastAppeal) -> Result<bool, HistoryError>;

    /// Whether an appeal id is on record.
    fn contains(&self, id: &str) -> Result<bool, HistoryError>;

    /// Whether the store answers (for readiness checks).
    fn health(&self) -> Result<(), HistoryError> {
        Ok(())
    }

    /// What kind of store this is, for logs and `/readyz`.
    fn describe(&self) -> String {
        "memory".into()
    }

    /// Deletes appeals received before `before`; returns how many.
    fn purge_before(&self, before: i64) -> Result<usize, HistoryError> {
        let _ = before;
        Ok(0)
    }

    /// False for a store that records nothing on purpose (no secret).
    fn enabled(&self) -> bool {
        true
    }
}

/// History switched off: `serve` without a caller secret. Classification
/// says so in every decision (`status: disabled`).
#[derive(Debug, Default)]
pub struct DisabledStore;

impl HistoryStore for DisabledStore {
    fn recent(&self, _: &str, _: i64, _: i64, _: usize) -> Result<Vec<PastAppeal>, HistoryError> {
        Ok(Vec::new())
    }
    fn record(&self, _: &PastAppeal) -> Result<bool, HistoryError> {
        Ok(false)
    }
    fn contains(&self, _: &str) -> Result<bool, HistoryError> {
        Ok(false)
    }
    fn describe(&self) -> String {
        "disabled (no caller secret)".into()
    }
    fn enabled(&self) -> bool {
        false
    }
}

/// Opens the store a URL names: `memory:`, `sqlite:PATH` (or a path ending
/// in `.sqlite3` / `.db`), `postgres://…` / `postgresql://…`.
pub fn open_store(
    url: &str,
    key: CallerKey,
) -> Result<std::sync::Arc<dyn HistoryStore>, HistoryError> {
    if url == "memory:" {
        return Ok(std::sync::Arc::new(MemoryStore::new()));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(std::sync::Arc::new(PostgresStore::open(url, key)?));
    }
    let path = url.strip_prefix("sqlite:").unwrap_or(url);
    if url.starts_with("sqlite:") || path.ends_with(".sqlite3") || path.ends_with(".db") {
        return Ok(std::sync::Arc::new(SqliteStore::open(
            std::path::Path::new(path),
            key,
        )?));
    }
    Err(HistoryError(format!(
        "`{url}` is not a history store: use sqlite:PATH, postgres://… or memory:"
    )))
}
