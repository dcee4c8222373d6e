//! The in-memory history store: for tests, `eval` and single-process use.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use super::{HistoryError, HistoryStore, PastAppeal};

/// Appeals kept in memory, per caller in time order.
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    by_caller: HashMap<String, Vec<PastAppeal>>,
    ids: HashSet<String>,
}

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Inner>, HistoryError> {
        self.inner
            .lock()
            .map_err(|_| HistoryError("the in-memory store was poisoned".into()))
    }
}

impl HistoryStore for MemoryStore {
    fn recent(
        &self,
        caller: &str,
        since: i64,
        until: i64,
        limit: usize,
    ) -> Result<Vec<PastAppeal>, HistoryError> {
        let inner = self.lock()?;
        let Some(list) = inner.by_caller.get(caller) else {
            return Ok(Vec::new());
        };
        Ok(list
            .iter()
            .rev()
            .filter(|a| a.received_at >= since && a.received_at <= until)
            .take(limit)
            .cloned()
            .collect())
    }

    fn record(&self, appeal: &PastAppeal) -> Result<bool, HistoryError> {
        let mut inner = self.lock()?;
        if !inner.ids.insert(appeal.id.clone()) {
            return Ok(false);
        }
        let list = inner.by_caller.entry(appeal.caller.clone()).or_default();
        let at = list.partition_point(|a| a.received_at <= appeal.received_at);
        list.insert(at, appeal.clone());
        Ok(true)
    }

    fn contains(&self, id: &str) -> Result<bool, HistoryError> {
        Ok(self.lock()?.ids.contains(id))
    }

    fn purge_before(&self, before: i64) -> Result<usize, HistoryError> {
        let mut inner = self.lock()?;
        let mut gone = Vec::new();
        for list in inner.by_caller.values_mut() {
            list.retain(|a| {
                let keep = a.received_at >= before;
                if !keep {
                    gone.push(a.id.clone());
                }
                keep
            });
        }
        for id in &gone {
            inner.ids.remove(id);
        }
        Ok(gone.len())
    }
}
