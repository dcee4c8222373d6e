//! What the handlers share: the loaded classifier (swapped whole on
//! reload), the history store, metrics, the rate limiter and the settings.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use arc_swap::ArcSwap;

use super::config::Config;
use super::metrics::Metrics;
use crate::engine::{check_examples, Classifier};
use crate::history::{format_rfc3339, HistoryStore};
use crate::rules::{load_rule_set, LoadError};

/// A rule set in service.
pub struct Loaded {
    pub classifier: Classifier,
    /// The knowledge base of the rule set (searchable even when
    /// classification does not consult it).
    pub knowledge: Option<Arc<crate::knowledge::KnowledgeBase>>,
    pub loaded_at: String,
}

/// Shared by every request.
pub struct AppState {
    pub config: Config,
    pub current: ArcSwap<Loaded>,
    pub history: Arc<dyn HistoryStore>,
    pub metrics: Metrics,
    pub limiter: RateLimiter,
    /// One reload at a time; classification never waits for it.
    pub reload_lock: tokio::sync::Mutex<()>,
}

pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Loads, validates and runs every example of the rule set in `config.rules`.
/// Blocking: call it off the async workers.
pub fn load_checked(config: &Config) -> Result<Loaded, LoadError> {
    let set = load_rule_set(&config.rules)?;
    let failures = check_examples(&set);
    if !failures.is_empty() {
        return Err(LoadError { problems: failures });
    }
    // The knowledge base is part of the rule set: built (or reused) under
    // the data directory, swapped with the rules.
    let kb = crate::knowledge::open_for(&set, Some(&config.data_dir))?;
    let kb = kb.map(Arc::new);
    let mut classifier = Classifier::new(Arc::new(set));
    if let (Some(kb), true) = (&kb, config.knowledge) {
        classifier = classifier.with_knowledge(kb.clone());
    }
    Ok(Loaded {
        classifier,
        knowledge: kb,
        loaded_at: format_rfc3339(now_secs()),
    })
}

impl AppState {
    pub fn new(config: Config, loaded: Loaded, history: Arc<dyn HistoryStore>) -> AppState {
        let limiter = RateLimiter::new(config.rate_per_minute);
        AppState {
            config,
            current: ArcSwap::from_pointee(loaded),
            history,
            metrics: Metrics::default(),
            limiter,
            reload_lock: tokio::sync::Mutex::new(()),
        }
    }

    /// Reloads the rule set; swaps it in only if it loads and every example
    /// passes. Returns the set now in service and whether it changed.
    pub async fn reload(self: &Arc<Self>) -> Result<(Arc<Loaded>, bool), LoadError> {
        let _guard = self.reload_lock.lock().await;
        let config = self.config.clone();
        let result = tokio::task::spawn_blocking(move || load_checked(&config))
            .await
            .unwrap_or_else(|e| {
                Err(LoadError {
                    problems: vec![crate::rules::Problem::new(
                        &self.config.rules,
                        format!("the reload task failed: {e}"),
                    )],
                })
            });
        match result {
            Ok(loaded) => {
                let changed = loaded.classifier.rules().digest
                    != self.current.load().classifier.rules().digest;
                self.current.store(Arc::new(loaded));
                self.metrics.reload("success");
                Ok((self.current.load_full(), changed))
            }
            Err(e) => {
                self.metrics.reload("failure");
                Err(e)
            }
        }
    }
}

/// A token bucket per API key.
pub struct RateLimiter {
    per_minute: u32,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> RateLimiter {
        RateLimiter {
            per_minute,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `key`; false when the key is over its limit.
    pub fn allow(&self, key: &str) -> bool {
        if self.per_minute == 0 {
            return true;
        }
        let Ok(mut buckets) = self.buckets.lock() else {
            return true;
        };
        let cap = f64::from(self.per_minute);
        let now = Instant::now();
        let (tokens, at) = buckets.entry(key.to_string()).or_insert((cap, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * cap / 60.0).min(cap);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_empties_and_keys_are_apart() {
        let l = RateLimiter::new(3);
        assert!(l.allow("a") && l.allow("a") && l.allow("a"));
        assert!(!l.allow("a"));
        assert!(l.allow("b"));
        assert!(RateLimiter::new(0).allow("a"));
    }
}
