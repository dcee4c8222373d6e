//! Reading a rule set from disk into its raw form, overlays applied.
//!
//! A rule set directory holds `fenliu.yaml` (manifest), `policy.yaml`,
//! `appeal-types.yaml` and rule files under `routes/`. An overlay has a
//! manifest with `extends:` and any of the others: its rules replace the
//! base's by id or are added, its policy replaces the base's whole, its
//! `reroute` moves categories to another route, its `disable` drops rules.
//! Every problem of every file is collected before giving up.

// A `Problem` (file, line, column, rule, field, reason) is built only when a
// rule file is wrong; boxing it would buy nothing on the path that succeeds.
#![allow(clippy::result_large_err)]

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::error::{LoadError, Problem};
use super::lists;
use super::raw::{RawManifest, RawPolicy, RawReroute, RawRule, RawRuleFile, RawTypeRule};
use super::yaml::{self, Locator};
use crate::route_model::{self, RouteModel};

/// A value with the place it came from.
#[derive(Debug, Clone)]
pub struct Located<T> {
    pub value: T,
    pub file: PathBuf,
    pub line: Option<usize>,
}

/// A rule set as read from disk, not yet validated.
#[derive(Debug, Clone)]
pub struct RawRuleSet {
    /// The directory it was loaded from (the overlay's, for an overlay).
    pub dir: PathBuf,
    pub manifest: RawManifest,
    pub policy: Located<RawPolicy>,
    pub rules: Vec<Located<RawRule>>,
    pub type_rules: Vec<Located<RawTypeRule>>,
    /// Categories moved by overlays, base first.
    pub reroutes: Vec<RawReroute>,
    /// Keyword files by the name rules use, with their lines.
    pub keyword_files: BTreeMap<String, Located<Vec<String>>>,
    /// Words for the segmenter from `user.dict` (word, frequency).
    pub user_words: Vec<(String, Option<usize>)>,
    /// Every file read, in order.
    pub files: Vec<PathBuf>,
    /// SHA-256 over the files' names and contents.
    pub digest: String,
    /// Lists of a rule file's `lists:` that none of its rules uses: the
    /// name, where it is defined (a lint, not an error).
    pub unused_lists: Vec<Located<String>>,
    /// Keywords a rule or a list holds twice (a lint).
    pub repeated: Vec<Located<lists::Repeated>>,
    /// Overlay `disable` entries that named no base rule (file, id).
    pub unknown_disables: Vec<(PathBuf, String)>,
    /// `knowledge/` directories, base first: entries of later ones replace
    /// earlier ones by id.
    pub knowledge_dirs: Vec<PathBuf>,
    /// The route model the manifest names (an overlay's replaces its
    /// base's).
    pub route_model: Option<Arc<RouteModel>>,
}

const MANIFEST: &str = "fenliu.yaml";
const POLICY: &str = "policy.yaml";
const TYPES: &str = "appeal-types.yaml";
const ROUTES_DIR: &str = "routes";
const USER_DICT: &str = "user.dict";
const KNOWLEDGE_DIR: &str = "knowledge";
const MAX_DEPTH: usize = 4;
/// `route_model: none`: an overlay without its base's model.
const NO_MODEL: &str = "none";

/// Loads the rule set in `dir`.
pub fn load(dir: &Path) -> Result<RawRuleSet, LoadError> {
    let mut hasher = Sha256::new();
    let mut problems = Vec::new();
    let set = load_layer(dir, 0, &mut hasher, &mut problems);
    match set {
        Some(mut set) if problems.is_empty() => {
            set.digest = hex(&hasher.finalize());
            Ok(set)
        }
        _ => Err(LoadError::from(problems)),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn read(path: &Path, hasher: &mut Sha256, files: &mut Vec<PathBuf>) -> Result<String, Problem> {
    let bytes =
        fs::read(path).map_err(|e| Problem::new(path, format!("cannot read the file: {e}")))?;
    hasher.update(
        path.file_name()
            .map(|n| n.as_encoded_bytes())
            .unwrap_or_default(),
    );
    hasher.update((bytes.len() as u64).to_le_bytes());
    hasher.update(&bytes);
    files.push(path.to_path_buf());
    String::from_utf8(bytes).map_err(|e| {
        Problem::new(
            path,
            format!(
                "the file is not valid UTF-8 (byte {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

fn load_layer(
    dir: &Path,
    depth: usize,
    hasher: &mut Sha256,
    problems: &mut Vec<Problem>,
) -> Option<RawRuleSet> {
    let mut files = Vec::new();
    let manifest_path = dir.join(MANIFEST);
    if !dir.is_dir() {
        problems.push(Problem::new(dir, "the rule-set directory does not exist"));
        return None;
    }
    let manifest: RawManifest = match read(&manifest_path, hasher, &mut files)
        .and_then(|t| yaml::parse(&manifest_path, &t))
    {
        Ok(m) => m,
        Err(p) => {
            problems.push(p);
            return None;
        }
    };

    let base = match &manifest.extends {
        Some(base) if depth >= MAX_DEPTH => {
            problems.push(
                Problem::new(
                    &manifest_path,
                    format!("overlays nest deeper than {MAX_DEPTH} levels at `{base}`"),
                )
                .field("extends"),
            );
            return None;
        }
        Some(base) => Some(load_layer(&dir.join(base), depth + 1, hasher, problems)?),
        None => None,
    };

    let dict_dir = match &manifest.dictionaries {
        Some(d) => dir.join(d),
        None if base.is_some() => PathBuf::new(),
        None => dir.join("../dictionaries"),
    };

    // Policy: required in a base, optional in an overlay.
    let policy_path = dir.join(POLICY);
    let policy = if policy_path.exists() || base.is_none() {
        match read(&policy_path, hasher, &mut files)
            .and_then(|t| yaml::parse::<RawPolicy>(&policy_path, &t))
        {
            Ok(p) => Some(Located {
                value: p,
                file: policy_path.clone(),
                line: None,
            }),
            Err(p) => {
                problems.push(p);
                None
            }
        }
    } else {
        None
    };

    let types_path = dir.join(TYPES);
    let mut type_rules = Vec::new();
    let mut unused_lists = Vec::new();
    let mut repeated = Vec::new();
    if types_path.exists() || base.is_none() {
        if let Ok(text) = read(&types_path, hasher, &mut files).map_err(|p| problems.push(p)) {
            type_rules = parse_rules::<RawTypeRule>(
                &types_path,
                &text,
                problems,
                (&mut unused_lists, &mut repeated),
            );
        }
    }

    let mut rules = Vec::new();
    let routes_dir = dir.join(ROUTES_DIR);
    if routes_dir.is_dir() {
        let mut paths: Vec<PathBuf> = match fs::read_dir(&routes_dir) {
            Ok(rd) => rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
                .collect(),
            Err(e) => {
                problems.push(Problem::new(
                    &routes_dir,
                    format!("cannot list the directory: {e}"),
                ));
                Vec::new()
            }
        };
        paths.sort();
        for path in paths {
            if let Ok(text) = read(&path, hasher, &mut files).map_err(|p| problems.push(p)) {
                rules.extend(parse_rules::<RawRule>(
                    &path,
                    &text,
                    problems,
                    (&mut unused_lists, &mut repeated),
                ));
            }
        }
    } else if base.is_none() {
        problems.push(Problem::new(
            &routes_dir,
            "a base rule set needs a `routes/` directory of rule files",
        ));
    }

    let mut user_words = Vec::new();
    let mut keyword_files = BTreeMap::new();
    if let Some(named) = manifest
        .dictionaries
        .as_ref()
        .filter(|_| !dict_dir.is_dir())
    {
        // Named but not there (a copied rules/ without its dictionaries):
        // segmentation would quietly change.
        problems.push(
            Problem::new(
                &manifest_path,
                format!("`{named}` (`{}`) is not a directory", dict_dir.display()),
            )
            .field("dictionaries"),
        );
    }
    if base.is_none() {
        let dict_path = dict_dir.join(USER_DICT);
        if dict_path.exists() {
            if let Ok(text) = read(&dict_path, hasher, &mut files).map_err(|p| problems.push(p)) {
                user_words = parse_user_dict(&text);
            }
        }
    }
    // Keyword files named by this layer's rules, read once each.
    for rule in &rules {
        for name in &rule.value.when.any_from {
            if keyword_files.contains_key(name) {
                continue;
            }
            let path = if base.is_some() && manifest.dictionaries.is_none() {
                // An overlay without its own dictionaries uses the base's.
                base.as_ref()
                    .map(|b| b.dict_dir().join(name))
                    .unwrap_or_default()
            } else {
                dict_dir.join(name)
            };
            match read(&path, hasher, &mut files) {
                Ok(text) => {
                    let words: Vec<String> = text
                        .lines()
                        .map(|l| l.split('#').next().unwrap_or("").trim().to_string())
                        .filter(|l| !l.is_empty())
                        .collect();
                    keyword_files.insert(
                        name.clone(),
                        Located {
                            value: words,
                            file: path,
                            line: None,
                        },
                    );
                }
                Err(_) => {
                    let line = Locator::new(&fs::read_to_string(&rule.file).unwrap_or_default())
                        .find_from(rule.line.unwrap_or(1), name.as_str());
                    problems.push(
                        Problem::new(
                            &rule.file,
                            format!("keyword file `{name}` not found at `{}`", path.display()),
                        )
                        .at(line.map(|l| l.0), line.map(|l| l.1))
                        .rule(&rule.value.id)
                        .field("any_from"),
                    );
                }
            }
        }
    }

    // Knowledge entries are versioned with the rules: they count in the
    // digest (knowledge::load_entries parses them).
    let knowledge_dir = dir.join(KNOWLEDGE_DIR);
    let knowledge_dir = if knowledge_dir.is_dir() {
        let mut paths: Vec<PathBuf> = fs::read_dir(&knowledge_dir)
            .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        paths.retain(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"));
        paths.sort();
        for p in paths {
            if let Err(e) = read(&p, hasher, &mut files) {
                problems.push(e);
            }
        }
        Some(knowledge_dir)
    } else {
        None
    };
    // The route model is versioned with the rules: it counts in the digest.
    let route_model = manifest
        .route_model
        .as_ref()
        .filter(|n| *n != NO_MODEL)
        .and_then(|name| {
            let path = dir.join(name);
            let text = read(&path, hasher, &mut files)
                .map_err(|p| {
                    let reason = format!("the route model `{}`: {}", path.display(), p.reason);
                    problems.push(Problem::new(&manifest_path, reason).field("route_model"))
                })
                .ok()?;
            route_model::parse(&path, &text)
                .map_err(|ps| problems.extend(ps))
                .ok()
                .map(Arc::new)
        });
    let layer = LayerParts {
        manifest,
        policy,
        rules,
        type_rules,
        keyword_files,
        user_words,
        files,
        knowledge_dir,
        unused_lists,
        repeated,
        route_model,
    };
    match base {
        None => {
            let policy = layer.policy?;
            Some(RawRuleSet {
                dir: dir.to_path_buf(),
                reroutes: layer.manifest.reroute.clone(),
                manifest: layer.manifest,
                policy,
                rules: layer.rules,
                type_rules: layer.type_rules,
                keyword_files: layer.keyword_files,
                user_words: layer.user_words,
                files: layer.files,
                digest: String::new(),
                unknown_disables: Vec::new(),
                unused_lists: layer.unused_lists,
                repeated: layer.repeated,
                knowledge_dirs: layer.knowledge_dir.into_iter().collect(),
                route_model: layer.route_model,
            })
        }
        Some(base) => Some(apply_overlay(base, layer, dir)),
    }
}

struct LayerParts {
    manifest: RawManifest,
    policy: Option<Located<RawPolicy>>,
    rules: Vec<Located<RawRule>>,
    type_rules: Vec<Located<RawTypeRule>>,
    keyword_files: BTreeMap<String, Located<Vec<String>>>,
    user_words: Vec<(String, Option<usize>)>,
    files: Vec<PathBuf>,
    knowledge_dir: Option<PathBuf>,
    unused_lists: Vec<Located<String>>,
    repeated: Vec<Located<lists::Repeated>>,
    route_model: Option<Arc<RouteModel>>,
}

impl RawRuleSet {
    fn dict_dir(&self) -> PathBuf {
        match &self.manifest.dictionaries {
            Some(d) => self.dir.join(d),
            None => self.dir.join("../dictionaries"),
        }
    }
}

fn apply_overlay(mut base: RawRuleSet, layer: LayerParts, dir: &Path) -> RawRuleSet {
    let manifest_file = dir.join(MANIFEST);
    for id in &layer.manifest.disable {
        let before = base.rules.len();
        base.rules.retain(|r| &r.value.id != id);
        if base.rules.len() == before {
            // Reported by compile, with the rest of the semantic problems.
            base.unknown_disables
                .push((manifest_file.clone(), id.clone()));
        }
    }
    for rule in layer.rules {
        match base.rules.iter_mut().find(|r| r.value.id == rule.value.id) {
            Some(existing) => *existing = rule,
            None => base.rules.push(rule),
        }
    }
    for rule in layer.type_rules {
        match base
            .type_rules
            .iter_mut()
            .find(|r| r.value.id == rule.value.id)
        {
            Some(existing) => *existing = rule,
            None => base.type_rules.push(rule),
        }
    }
    if let Some(policy) = layer.policy {
        base.policy = policy;
    }
    base.reroutes.extend(layer.manifest.reroute.iter().cloned());
    base.keyword_files.extend(layer.keyword_files);
    base.user_words.extend(layer.user_words);
    base.files.extend(layer.files);
    base.knowledge_dirs.extend(layer.knowledge_dir);
    base.unused_lists.extend(layer.unused_lists);
    base.repeated.extend(layer.repeated);
    // An overlay names its own model, switches the base's off with `none`,
    // or keeps it.
    if layer.route_model.is_some() || layer.manifest.route_model.as_deref() == Some(NO_MODEL) {
        base.route_model = layer.route_model;
    }
    base.manifest = RawManifest {
        version: layer.manifest.version.clone(),
        extends: layer.manifest.extends.clone(),
        dictionaries: base.manifest.dictionaries.clone(),
        changelog: layer.manifest.changelog.clone(),
        reroute: base.reroutes.clone(),
        disable: layer.manifest.disable.clone(),
        lints: layer
            .manifest
            .lints
            .clone()
            .or_else(|| base.manifest.lints.clone()),
        route_model: layer
            .manifest
            .route_model
            .clone()
            .or_else(|| base.manifest.route_model.clone()),
    };
    base.dir = dir.to_path_buf();
    base
}

/// Parses a `rules:` file rule by rule, so that one bad rule does not hide
/// the problems of the others. For the lints, the lists of the file that no
/// rule uses go to `unused_lists`, and the keywords a rule or a list holds
/// twice to `repeated`.
fn parse_rules<T: serde::de::DeserializeOwned>(
    path: &Path,
    text: &str,
    problems: &mut Vec<Problem>,
    (unused_lists, repeated): (
        &mut Vec<Located<String>>,
        &mut Vec<Located<lists::Repeated>>,
    ),
) -> Vec<Located<T>> {
    let file: RawRuleFile = match yaml::parse(path, text) {
        Ok(f) => f,
        Err(p) => {
            problems.push(p);
            return Vec::new();
        }
    };
    let locator = Locator::new(text);
    // Where list `name` is defined.
    let list_pos = |name: &str| locator.key_pos(&format!("lists.{name}"), "");
    for p in lists::check(&file.lists) {
        let pos = list_pos(&p.name);
        problems.push(
            Problem::new(path, p.reason)
                .at(pos.map(|p| p.0), pos.map(|p| p.1))
                .field("lists"),
        );
    }
    let mut out = Vec::new();
    let mut used = HashSet::new();
    for (i, mut value) in file.rules.into_iter().enumerate() {
        let id = yaml::str_field(&value, "id").map(str::to_string);
        let line = id.as_deref().and_then(|id| locator.rule_line(id));
        // A rule without a readable id is named by its place in the file.
        let rule = id.unwrap_or_else(|| format!("#{}", i + 1));
        let twice: Vec<String> = lists::repeats(&value, &file.lists)
            .iter()
            .map(lists::Repeat::describe)
            .collect();
        if !twice.is_empty() {
            repeated.push(Located {
                value: lists::Repeated {
                    owner: rule.clone(),
                    words: twice,
                },
                file: path.to_path_buf(),
                line,
            });
        }
        for bad in lists::expand(&mut value, &file.lists, &mut used) {
            let pos = locator.word_from(line.unwrap_or(1), &bad.written);
            problems.push(
                Problem::new(path, bad.reason)
                    .at(pos.map(|p| p.0), pos.map(|p| p.1))
                    .rule(&rule)
                    .field(bad.field),
            );
        }
        match yaml::from_value::<T>(value) {
            Ok(rule) => out.push(Located {
                value: rule,
                file: path.to_path_buf(),
                line,
            }),
            Err(mut msg) => {
                let field = yaml::quoted_field(&msg).map(str::to_string);
                if let (Some(f), Some(expected)) = (
                    &field,
                    msg.split_once("expected one of ").map(|x| x.1.to_string()),
                ) {
                    let names: Vec<&str> =
                        expected.split(", ").map(|n| n.trim_matches('`')).collect();
                    msg = format!("{msg}{}", super::error::did_you_mean(f, names));
                }
                let pos = match (line, &field) {
                    (Some(l), Some(f)) => locator.field_pos(l, f).or(Some((l, 1))),
                    (Some(l), None) => Some((l, 1)),
                    _ => None,
                };
                problems.push(
                    Problem::new(path, msg)
                        .at(pos.map(|p| p.0), pos.map(|p| p.1))
                        .rule(rule),
                );
            }
        }
    }
    let mut twice_in_lists: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, word) in lists::repeats_in_lists(&file.lists) {
        twice_in_lists.entry(name).or_default().push(word);
    }
    for (name, words) in twice_in_lists {
        repeated.push(Located {
            line: list_pos(&name).map(|p| p.0),
            value: lists::Repeated {
                owner: format!("@{name}"),
                words,
            },
            file: path.to_path_buf(),
        });
    }
    for name in file.lists.keys().filter(|n| !used.contains(*n)) {
        unused_lists.push(Located {
            value: name.clone(),
            file: path.to_path_buf(),
            line: list_pos(name).map(|p| p.0),
        });
    }
    out
}

/// `user.dict`: jieba's format, `word [freq] [tag]` a line.
fn parse_user_dict(text: &str) -> Vec<(String, Option<usize>)> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut parts = l.split_whitespace();
            let word = parts.next().unwrap_or("").to_string();
            let freq = parts.next().and_then(|f| f.parse().ok());
            (word, freq)
        })
        .collect()
}
