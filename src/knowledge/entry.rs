//! Knowledge entries as maintainers write them, validated with located
//! errors like rule files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::rules::yaml::{self, Locator};
use crate::rules::{LoadError, Problem, Route};

/// One entry.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub id: String,
    pub title: String,
    /// What the unit handles, what to tell the caller.
    pub body: String,
    /// The department, mediation body, court, commission or emergency line.
    pub handoff: String,
    pub route: Route,
    pub category: String,
    pub keywords: Vec<String>,
    /// Short typical appeals.
    pub cases: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default, rename = "$schema")]
    _schema: Option<String>,
    entries: Vec<yaml::Value>,
}

/// A file read, with its bytes (for the digest).
pub type FileRead = (PathBuf, Vec<u8>);

/// Reads every `*.yaml` of the given knowledge directories, later
/// directories replacing earlier entries by id. Returns the entries and the
/// files read (for the digest).
pub fn load_entries(dirs: &[PathBuf]) -> Result<(Vec<Entry>, Vec<FileRead>), LoadError> {
    let mut problems = Vec::new();
    let mut entries: Vec<Entry> = Vec::new();
    let mut files = Vec::new();
    for dir in dirs {
        let mut paths: Vec<PathBuf> = match std::fs::read_dir(dir) {
            Ok(rd) => rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
                .collect(),
            Err(_) => continue,
        };
        paths.sort();
        let mut seen: HashMap<String, (PathBuf, usize)> = HashMap::new();
        for path in paths {
            let bytes = match std::fs::read(&path) {
                Ok(b) => b,
                Err(e) => {
                    problems.push(Problem::new(&path, format!("cannot read the file: {e}")));
                    continue;
                }
            };
            let text = String::from_utf8_lossy(&bytes).into_owned();
            files.push((path.clone(), bytes));
            parse_file(&path, &text, &mut seen, &mut entries, &mut problems);
        }
    }
    if problems.is_empty() {
        Ok((entries, files))
    } else {
        Err(LoadError { problems })
    }
}

fn parse_file(
    path: &Path,
    text: &str,
    seen: &mut HashMap<String, (PathBuf, usize)>,
    entries: &mut Vec<Entry>,
    problems: &mut Vec<Problem>,
) {
    let file: RawFile = match yaml::parse(path, text) {
        Ok(f) => f,
        Err(p) => {
            problems.push(p);
            return;
        }
    };
    let loc = Locator::new(text);
    for (i, value) in file.entries.into_iter().enumerate() {
        let id = yaml::str_field(&value, "id")
            .map(str::to_string)
            .unwrap_or_else(|| format!("#{}", i + 1));
        let line = loc.rule_line(&id);
        let entry: Entry = match yaml::from_value(value) {
            Ok(e) => e,
            Err(msg) => {
                problems.push(Problem::new(path, msg).at(line, None).rule(&id));
                continue;
            }
        };
        let mut bad = |field: &str, reason: &str| {
            problems.push(
                Problem::new(path, reason)
                    .at(line, None)
                    .rule(&id)
                    .field(field),
            )
        };
        if entry.title.trim().is_empty() {
            bad("title", "the title is empty");
        }
        if entry.body.trim().is_empty() {
            bad("body", "the body is empty");
        }
        if entry.handoff.trim().is_empty() {
            bad("handoff", "the handoff is empty");
        }
        if entry.keywords.is_empty() {
            bad("keywords", "`keywords` is an empty list");
        }
        if entry.cases.is_empty() {
            bad("cases", "`cases` is an empty list");
        }
        if let Some((first, _)) = seen.get(&entry.id) {
            let reason = format!(
                "duplicate id `{}`, first defined in {}",
                entry.id,
                first.display()
            );
            problems.push(
                Problem::new(path, reason)
                    .at(line, None)
                    .rule(&id)
                    .field("id"),
            );
            continue;
        }
        seen.insert(entry.id.clone(), (path.to_path_buf(), i));
        match entries.iter_mut().find(|e| e.id == entry.id) {
            Some(existing) => *existing = entry,
            None => entries.push(entry),
        }
    }
}
