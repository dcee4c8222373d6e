//! Appeal history: what a caller said before, for the repeat and burst
//! policy.
//!
//! The engine sees history only through [`HistoryStore`]. This module ships
//! the in-memory store; durable stores implement the same trait.

mod memory;
mod signature;
mod time;

pub use memory::MemoryStore;
pub use signature::{similarity, Signature};
pub use time::{format_rfc3339, parse_rfc3339, TimeError};

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
}
