//! Reading corpus files: JSON Lines records in the standard's format.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::history::parse_rfc3339;
use crate::rules::Route;

/// A labelled record. Unknown fields are ignored.
#[derive(Debug, Clone, Deserialize)]
pub struct Record {
    pub id: String,
    pub text: String,
    pub route: Route,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub appeal_type: Option<String>,
    #[serde(default)]
    pub handoff: Option<String>,
    #[serde(default)]
    pub caller: Option<String>,
    #[serde(default)]
    pub received_at: Option<String>,
    #[serde(default)]
    pub channel: Option<String>,
    /// Parsed `received_at`.
    #[serde(skip)]
    pub received_secs: Option<i64>,
}

/// A line that was not a valid record: reported, skipped and counted.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SkippedLine {
    pub file: PathBuf,
    pub line: usize,
    pub reason: String,
}

/// A corpus file could not be read at all.
#[derive(Debug, thiserror::Error)]
#[error("cannot read corpus `{}`: {source}", path.display())]
pub struct CorpusError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// Reads corpus files in order; malformed lines are returned apart.
pub fn read_corpus(paths: &[PathBuf]) -> Result<(Vec<Record>, Vec<SkippedLine>), CorpusError> {
    let mut records = Vec::new();
    let mut skipped = Vec::new();
    for path in paths {
        let bytes = std::fs::read(path).map_err(|source| CorpusError {
            path: path.clone(),
            source,
        })?;
        for (i, raw) in bytes.split(|&b| b == b'\n').enumerate() {
            let line = i + 1;
            let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
            if raw.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match parse_line(path, raw) {
                Ok(r) => records.push(r),
                Err(reason) => skipped.push(SkippedLine {
                    file: path.clone(),
                    line,
                    reason,
                }),
            }
        }
    }
    Ok((records, skipped))
}

fn parse_line(_path: &Path, raw: &[u8]) -> Result<Record, String> {
    let text = std::str::from_utf8(raw)
        .map_err(|e| format!("not valid UTF-8 at byte {}", e.valid_up_to()))?;
    let mut r: Record = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if r.text.trim().is_empty() {
        return Err("`text` is empty".into());
    }
    if let Some(at) = &r.received_at {
        r.received_secs = Some(parse_rfc3339(at).map_err(|e| e.to_string())?);
    }
    Ok(r)
}
