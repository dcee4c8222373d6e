//! `serve --watch`: reloads the rule set when its files change on disk, by
//! the same path as `POST /v1/ruleset/reload` (validate, test, swap or keep).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::state::AppState;

/// Names, sizes and modification times of every file under the rule and
/// dictionary directories: cheap to take every second.
fn fingerprint(dirs: &[&Path]) -> Vec<(String, u64, Option<SystemTime>)> {
    let mut out = Vec::new();
    let mut stack: Vec<std::path::PathBuf> = dirs.iter().map(|d| d.to_path_buf()).collect();
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            let Ok(meta) = e.metadata() else { continue };
            if meta.is_dir() {
                stack.push(path);
            } else {
                out.push((path.display().to_string(), meta.len(), meta.modified().ok()));
            }
        }
    }
    out.sort();
    out
}

pub async fn watch_rules(state: Arc<AppState>) {
    let rules = state.config.rules.clone();
    let dicts = rules.join("../dictionaries");
    let mut last = fingerprint(&[&rules, &dicts]);
    let mut tick = tokio::time::interval(Duration::from_millis(
        state.config.watch_interval_ms.max(100),
    ));
    loop {
        tick.tick().await;
        let now = fingerprint(&[&rules, &dicts]);
        if now == last {
            continue;
        }
        last = now;
        match state.reload().await {
            Ok((loaded, changed)) => {
                tracing::info!(version = %loaded.classifier.rules().version, changed, "rule files changed: reloaded")
            }
            Err(e) => tracing::warn!(
                "rule files changed but do not load; the old set stays in service:\n{e}"
            ),
        }
    }
}
