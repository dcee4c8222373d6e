//! Lints: rule-set smells with stable codes. Some need only the rule set
//! (short keywords, a regex that is a keyword list, a rule without
//! examples, one keyword in two routes at one priority); some need a corpus
//! run (silent rules, shadowed rules, keywords found nearly everywhere).
//!
//! A maintainer silences a lint for the whole rule set or some rules in
//! `fenliu.yaml` (`lints: allow: [{lint, rules, reason}]`), or on one rule
//! with a comment inside or just above it: `# fenliu: allow(silent-rule)`.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::stats::CorpusStats;
use crate::rules::{id_matches, Problem, Rule, RuleSet, Use};

/// A lint: its stable code, its name and what fixes it.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct Lint {
    pub code: &'static str,
    pub name: &'static str,
    /// It reads a corpus run (`fenliu check --corpus`).
    pub needs_corpus: bool,
    pub summary: &'static str,
    pub fix: &'static str,
}

pub const CROSS_ROUTE_KEYWORD: Lint = Lint {
    code: "FL001",
    name: "cross-route-keyword",
    needs_corpus: false,
    summary: "the same keyword alone makes rules of different routes fire at the same priority",
    fix: "drop the keyword from the rule whose route it does not mean, or narrow one rule with `unless` or `all` + `within`; as it is, route precedence alone decides",
};
pub const SHADOWED_RULE: Lint = Lint {
    code: "FL002",
    name: "shadowed-rule",
    needs_corpus: true,
    summary: "a rule that fires on the corpus but never decides: a stronger rule always wins",
    fix: "raise its priority if it should win, merge its keywords into the rule that wins, or delete it",
};
pub const SILENT_RULE: Lint = Lint {
    code: "FL003",
    name: "silent-rule",
    needs_corpus: true,
    summary: "a rule that fires on no record of the corpus",
    fix: "add corpus records for what it covers, or widen its keywords to how callers word it; delete it if nothing needs it",
};
pub const SHORT_KEYWORD: Lint = Lint {
    code: "FL004",
    name: "short-keyword",
    needs_corpus: false,
    summary: "a one-character keyword: it matches inside many unrelated words",
    fix: "use a word of two characters or more, or keep the character in an `all` group with `within` or `same_clause`",
};
pub const BROAD_KEYWORD: Lint = Lint {
    code: "FL005",
    name: "broad-keyword",
    needs_corpus: true,
    summary: "a keyword that alone makes a rule fire, found in more than the allowed share of corpus records",
    fix: "replace it with longer, more specific words, or require a second keyword with `all`",
};
pub const REGEX_AS_KEYWORDS: Lint = Lint {
    code: "FL006",
    name: "regex-as-keywords",
    needs_corpus: false,
    summary: "a regex that matches only a fixed list of words",
    fix: "write the words as an `any` list: keywords share one automaton pass and get scopes and token matching, a regex runs on its own",
};
pub const NO_EXAMPLES: Lint = Lint {
    code: "FL007",
    name: "no-examples",
    needs_corpus: false,
    summary: "a rule without `examples.match` texts",
    fix: "add texts it must fire on (and `no_match` texts it must not): `fenliu check` runs them on every change",
};

pub const UNUSED_LIST: Lint = Lint {
    code: "FL008",
    name: "unused-list",
    needs_corpus: false,
    summary: "a keyword list in a rule file's `lists:` that no rule of that file uses",
    fix: "use it as `\"@name\"` in a rule's `any`, an `all` group or `unless.any`, or delete it: a list is read only by the rules of its own file",
};

pub const REGEX_UNREACHABLE_TEXT: Lint = Lint {
    code: "FL009",
    name: "regex-unreachable-text",
    needs_corpus: false,
    summary: "a regex that asks for text normalization never leaves (a quotation mark or bracket, a traditional or upper-case character, a variant such as 帐户, ASCII punctuation that becomes full-width)",
    fix: "write the regex against the normalized text: simplified, lower-case, full-width `，？！：；`, no quotation marks or brackets (they are dropped); as it is, that part of the regex can never match",
};

pub const REPEATED_KEYWORD: Lint = Lint {
    code: "FL010",
    name: "repeated-keyword",
    needs_corpus: false,
    summary: "a keyword a rule's field or a list holds twice (the same once normalized): written twice, or written beside a `@list` that holds it",
    fix: "delete the repeat (beside a `@list`, the word written in the field): a keyword matches once however often it is listed, and normalization already makes a traditional or full-width spelling the same keyword",
};

/// Every lint, by code.
pub const LINTS: [Lint; 10] = [
    CROSS_ROUTE_KEYWORD,
    SHADOWED_RULE,
    SILENT_RULE,
    SHORT_KEYWORD,
    BROAD_KEYWORD,
    REGEX_AS_KEYWORDS,
    NO_EXAMPLES,
    UNUSED_LIST,
    REGEX_UNREACHABLE_TEXT,
    REPEATED_KEYWORD,
];

/// The share of records above which a keyword is broad, unless the
/// manifest says otherwise.
pub const DEFAULT_BROAD_SHARE: f64 = 0.1;

/// A lint by code or name.
pub fn lint_named(s: &str) -> Option<Lint> {
    LINTS
        .into_iter()
        .find(|l| l.code.eq_ignore_ascii_case(s) || l.name == s)
}

/// One warning.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Finding {
    pub code: &'static str,
    pub lint: &'static str,
    pub rule: String,
    pub file: PathBuf,
    pub line: Option<usize>,
    pub message: String,
    pub fix: &'static str,
    /// The other rule of a pair (`cross-route-keyword`): allowing the lint
    /// on either rule silences the finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other_rule: Option<String>,
}

/// What a corpus run contributes to the lints.
pub struct CorpusEvidence<'a> {
    pub stats: &'a CorpusStats,
    /// Records per keyword (see [`super::keyword_records`]).
    pub keyword_records: &'a BTreeMap<String, usize>,
}

/// The lints of a rule set.
#[derive(Debug, Clone, Serialize)]
pub struct LintReport {
    /// Warnings not silenced, by file and line.
    pub findings: Vec<Finding>,
    /// Warnings silenced by the manifest or a comment.
    pub silenced: usize,
    /// Records of the corpus the corpus lints ran on; `None`: they did not run.
    pub corpus_records: Option<usize>,
    /// Lint settings that are wrong (an unknown lint name): errors.
    pub problems: Vec<Problem>,
}

/// Runs every lint over `set` (the corpus lints only with a corpus run).
pub fn lint(set: &RuleSet, corpus: Option<&CorpusEvidence<'_>>) -> LintReport {
    let mut problems = Vec::new();
    let allow = Allowances::read(set, &mut problems);
    let mut all = Vec::new();
    cross_route_keywords(set, &mut all);
    for (i, rule) in set.rules.iter().enumerate() {
        short_keywords(set, i, rule, &mut all);
        regex_as_keywords(rule, &mut all);
        regex_unreachable_text(rule, &mut all);
        if rule.examples.matches.is_empty() {
            all.push(finding(
                NO_EXAMPLES,
                rule,
                "has no `examples.match`: nothing shows what it is meant to catch".into(),
            ));
        }
    }
    for list in &set.unused_lists {
        all.push(Finding {
            code: UNUSED_LIST.code,
            lint: UNUSED_LIST.name,
            rule: format!("@{}", list.value),
            file: list.file.clone(),
            line: list.line,
            message: format!("is used by no rule of {}", file_name(&list.file)),
            fix: UNUSED_LIST.fix,
            other_rule: None,
        });
    }
    repeated_keywords(set, &mut all);
    if let Some(c) = corpus {
        corpus_lints(set, c, &mut all);
    }
    let before = all.len();
    // A finding about a pair is silenced by either rule of it.
    all.retain(|f| {
        !allow.allows(f.code, &f.rule)
            && !f
                .other_rule
                .as_deref()
                .is_some_and(|o| allow.allows(f.code, o))
    });
    let silenced = before - all.len();
    all.sort_by(|a, b| {
        (&a.file, a.line, a.code, &a.rule, &a.message)
            .cmp(&(&b.file, b.line, b.code, &b.rule, &b.message))
    });
    LintReport {
        findings: all,
        silenced,
        corpus_records: corpus.map(|c| c.stats.records),
        problems,
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

fn finding(lint: Lint, rule: &Rule, message: String) -> Finding {
    Finding {
        code: lint.code,
        lint: lint.name,
        rule: rule.id.clone(),
        file: rule.file.clone(),
        line: rule.line,
        message,
        fix: lint.fix,
        other_rule: None,
    }
}

fn quoted(words: &[&str]) -> String {
    words
        .iter()
        .map(|w| format!("「{w}」"))
        .collect::<Vec<_>>()
        .join("")
}

/// The keywords that alone make rule `i` fire: its `any` list when it has
/// no other condition, or its one `all` group when that is all it has.
/// (Conditions are ANDed: a keyword beside other conditions is not enough.)
fn sufficient_keywords(set: &RuleSet, i: usize) -> Vec<&str> {
    let c = &set.rules[i].cond;
    if !c.regex.is_empty() || c.groups > 1 || (c.has_any && c.groups > 0) {
        return Vec::new();
    }
    set.uses
        .iter()
        .enumerate()
        .filter(|(_, uses)| {
            uses.iter().any(|u| match *u {
                Use::Any(r) | Use::Group(r, _) => r as usize == i,
                _ => false,
            })
        })
        .map(|(p, _)| set.patterns[p].as_str())
        .collect()
}

fn cross_route_keywords(set: &RuleSet, out: &mut Vec<Finding>) {
    let mut by_keyword: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, rule) in set.rules.iter().enumerate() {
        if rule.route().is_none() {
            continue;
        }
        for kw in sufficient_keywords(set, i) {
            by_keyword.entry(kw).or_default().push(i);
        }
    }
    let mut pairs: BTreeMap<(usize, usize), Vec<&str>> = BTreeMap::new();
    for (kw, rules) in &by_keyword {
        for (n, &a) in rules.iter().enumerate() {
            for &b in &rules[n + 1..] {
                let (ra, rb) = (&set.rules[a], &set.rules[b]);
                if ra.route() != rb.route() && ra.priority == rb.priority {
                    pairs.entry((a.min(b), a.max(b))).or_default().push(kw);
                }
            }
        }
    }
    for ((a, b), words) in pairs {
        let (ra, rb) = (&set.rules[a], &set.rules[b]);
        let mut f = finding(
            CROSS_ROUTE_KEYWORD,
            rb,
            format!(
                "shares {} with `{}` ({}, priority {}): both give a different route at the same priority",
                quoted(&words),
                ra.id,
                ra.route().map_or("", |r| r.as_str()),
                ra.priority
            ),
        );
        f.other_rule = Some(ra.id.clone());
        out.push(f);
    }
}

fn repeated_keywords(set: &RuleSet, out: &mut Vec<Finding>) {
    for r in &set.repeated {
        let is_list = r.value.owner.starts_with('@');
        // A rule an overlay replaced or disabled is not the one that runs.
        if !is_list && set.rule(&r.value.owner).is_none_or(|x| x.file != r.file) {
            continue;
        }
        let message = if is_list {
            format!(
                "holds {} twice",
                quoted(&r.value.words.iter().map(String::as_str).collect::<Vec<_>>())
            )
        } else {
            format!("holds a keyword twice: {}", r.value.words.join("; "))
        };
        out.push(Finding {
            code: REPEATED_KEYWORD.code,
            lint: REPEATED_KEYWORD.name,
            rule: r.value.owner.clone(),
            file: r.file.clone(),
            line: r.line,
            message,
            fix: REPEATED_KEYWORD.fix,
            other_rule: None,
        });
    }
}

fn short_keywords(set: &RuleSet, i: usize, rule: &Rule, out: &mut Vec<Finding>) {
    // A character in an `all` group held close to the others is the fix,
    // not the smell.
    let near = rule.cond.within.is_some() || rule.cond.same_clause;
    let short: Vec<&str> = set
        .uses
        .iter()
        .enumerate()
        .filter(|(p, uses)| {
            set.patterns[*p].chars().count() == 1
                && uses.iter().any(|u| match *u {
                    Use::Any(r) => r as usize == i,
                    Use::Group(r, _) => r as usize == i && !near,
                    _ => false,
                })
        })
        .map(|(p, _)| set.patterns[p].as_str())
        .collect();
    if !short.is_empty() {
        out.push(finding(
            SHORT_KEYWORD,
            rule,
            format!("one-character keyword(s) {}", quoted(&short)),
        ));
    }
}

fn regex_as_keywords(rule: &Rule, out: &mut Vec<Finding>) {
    // Only when every regex of the rule is a word list: the regexes are
    // alternatives, so one literal regex beside a real one cannot move to a
    // keyword list (conditions are ANDed) without splitting the rule.
    let mut words = Vec::new();
    for re in &rule.cond.regex {
        // Words as the normalized text holds them: a regex with upper case
        // or traditional characters is no word list (keywords are
        // normalized, the text a regex sees is too).
        match crate::rules::word_list(re.as_str()) {
            Some(w) => words.extend(w),
            None => return,
        }
    }
    if words.is_empty() {
        return;
    }
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let as_list = if rule.cond.has_any || rule.cond.groups > 0 {
        "an `all` group"
    } else {
        "an `any` list"
    };
    out.push(finding(
        REGEX_AS_KEYWORDS,
        rule,
        format!(
            "its regexes match only the words {}: write them as {as_list}",
            quoted(&words)
        ),
    ));
}

/// Regexes (conditions and `unless`) that ask for a character the
/// normalized text never holds: a literal one, or a class all of whose
/// characters are such (`[“"]`).
fn regex_unreachable_text(rule: &Rule, out: &mut Vec<Finding>) {
    for re in rule.cond.regex.iter().chain(&rule.unless.regex) {
        let Ok(hir) = regex_syntax::parse(re.as_str()) else {
            continue;
        };
        let mut bad = Vec::new();
        unreachable_chars(&hir, &mut bad);
        if bad.is_empty() {
            continue;
        }
        bad.sort_unstable();
        bad.dedup();
        let shown: Vec<String> = bad.iter().map(|c| format!("「{c}」")).collect();
        out.push(finding(
            REGEX_UNREACHABLE_TEXT,
            rule,
            format!(
                "regex `{}` asks for {} that normalization never leaves in the text",
                re.as_str(),
                shown.join("")
            ),
        ));
    }
}

/// Whether normalization keeps `c` as it is.
fn survives(c: char) -> bool {
    let mut buf = [0u8; 4];
    crate::text::normalize(c.encode_utf8(&mut buf))
        .text
        .starts_with(c)
}

fn unreachable_chars(hir: &regex_syntax::hir::Hir, bad: &mut Vec<char>) {
    use regex_syntax::hir::{Class, HirKind};
    match hir.kind() {
        // A literal run is normalized whole: some characters change only by
        // their neighbours (著名 stays, 帐户 becomes 账户).
        HirKind::Literal(l) => {
            if let Ok(text) = std::str::from_utf8(&l.0) {
                let text = text.trim();
                if !text.is_empty() && crate::text::normalize(text).text != text {
                    let odd: Vec<char> = text.chars().filter(|&c| !survives(c)).collect();
                    if odd.is_empty() {
                        bad.extend(text.chars());
                    } else {
                        bad.extend(odd);
                    }
                }
            }
        }
        // A class is unreachable only when none of its characters is left;
        // large classes (`[^，。]`) always hold some.
        HirKind::Class(Class::Unicode(c)) => {
            let mut chars = Vec::new();
            for r in c.iter() {
                if (r.end() as u32) - (r.start() as u32) > 64 {
                    return;
                }
                chars.extend(r.start()..=r.end());
                if chars.len() > 64 {
                    return;
                }
            }
            if !chars.is_empty() && chars.iter().all(|&c| !survives(c)) {
                bad.extend(chars);
            }
        }
        HirKind::Capture(c) => unreachable_chars(&c.sub, bad),
        // An optional part (`[“"]?`) costs the regex nothing.
        HirKind::Repetition(r) if r.min > 0 => unreachable_chars(&r.sub, bad),
        HirKind::Concat(subs) | HirKind::Alternation(subs) => {
            for s in subs {
                unreachable_chars(s, bad);
            }
        }
        _ => {}
    }
}

fn corpus_lints(set: &RuleSet, c: &CorpusEvidence<'_>, out: &mut Vec<Finding>) {
    let records = c.stats.records;
    for (i, rule) in set.rules.iter().enumerate() {
        let Some(s) = c.stats.rule(&rule.id) else {
            continue;
        };
        if s.fired == 0 && s.discounted == 0 {
            out.push(finding(
                SILENT_RULE,
                rule,
                format!("fires on none of the {records} corpus records"),
            ));
        } else if s.fired > 0 && s.decided == 0 {
            let winners: Vec<String> = s
                .lost_to
                .iter()
                .map(|d| format!("`{}` ({} records)", d.rule, d.records))
                .collect();
            let winners = if winners.is_empty() {
                "history or the knowledge base".to_string()
            } else {
                winners.join(", ")
            };
            out.push(finding(
                SHADOWED_RULE,
                rule,
                format!(
                    "fires on {} corpus record(s) but decides none of them: {winners} decided instead",
                    s.fired
                ),
            ));
        }
        if rule.route().is_none() || records == 0 {
            continue;
        }
        let share = set.lints.broad_share.unwrap_or(DEFAULT_BROAD_SHARE);
        let broad: Vec<String> = sufficient_keywords(set, i)
            .into_iter()
            .filter_map(|k| {
                let n = c.keyword_records.get(k).copied()?;
                (n as f64 / records as f64 > share)
                    .then(|| format!("「{k}」 in {n} of {records} records"))
            })
            .collect();
        if !broad.is_empty() {
            out.push(finding(
                BROAD_KEYWORD,
                rule,
                format!(
                    "keyword(s) found in more than {:.0}% of the corpus: {}",
                    share * 100.0,
                    broad.join(", ")
                ),
            ));
        }
    }
}

/// The lints switched off by the manifest and by comments.
struct Allowances {
    /// (code, rule pattern); pattern `*` is every rule.
    manifest: Vec<(&'static str, String)>,
    /// Rule id -> codes allowed by a comment on it.
    comments: HashMap<String, Vec<&'static str>>,
}

impl Allowances {
    fn read(set: &RuleSet, problems: &mut Vec<Problem>) -> Allowances {
        let manifest_file = set.dir.join("fenliu.yaml");
        let mut manifest = Vec::new();
        for a in &set.lints.allow {
            let Some(l) = lint_named(&a.lint) else {
                problems
                    .push(Problem::new(&manifest_file, unknown_lint(&a.lint)).field("lints.allow"));
                continue;
            };
            match &a.rules {
                None => manifest.push((l.code, "*".to_string())),
                Some(rules) if rules.is_empty() => problems.push(
                    Problem::new(
                        &manifest_file,
                        format!("`{}`: an empty `rules` list allows nothing; leave `rules` out to allow it for every rule", a.lint),
                    )
                    .field("lints.allow.rules"),
                ),
                Some(rules) => {
                    for pat in rules {
                        if !set.rules.iter().any(|r| id_matches(pat, &r.id)) {
                            problems.push(
                                Problem::new(
                                    &manifest_file,
                                    format!("`{}`: `{pat}` names no rule of this rule set", a.lint),
                                )
                                .field("lints.allow.rules"),
                            );
                        }
                        manifest.push((l.code, pat.clone()));
                    }
                }
            }
        }
        if let Some(s) = set.lints.broad_share {
            if !(0.0..=1.0).contains(&s) || s.is_nan() {
                problems.push(
                    Problem::new(
                        &manifest_file,
                        format!("`broad_share` must be a share between 0 and 1, not {s}"),
                    )
                    .field("lints.broad_share"),
                );
            }
        }
        let mut comments: HashMap<String, Vec<&'static str>> = HashMap::new();
        let mut files: HashMap<&Path, Option<Vec<String>>> = HashMap::new();
        for rule in &set.rules {
            let Some(line) = rule.line else { continue };
            let lines = files.entry(rule.file.as_path()).or_insert_with(|| {
                std::fs::read_to_string(&rule.file)
                    .ok()
                    .map(|t| t.lines().map(str::to_string).collect())
            });
            let Some(lines) = lines else { continue };
            for (n, text) in rule_block(lines, line) {
                let names = match allowed_in_comment(text) {
                    Ok(names) => names,
                    Err(reason) => {
                        problems.push(
                            Problem::new(&rule.file, reason)
                                .at(Some(n), None)
                                .rule(&rule.id),
                        );
                        continue;
                    }
                };
                for name in names {
                    match lint_named(name) {
                        Some(l) => comments.entry(rule.id.clone()).or_default().push(l.code),
                        None => problems.push(
                            Problem::new(&rule.file, unknown_lint(name))
                                .at(Some(n), None)
                                .rule(&rule.id),
                        ),
                    }
                }
            }
        }
        Allowances { manifest, comments }
    }

    fn allows(&self, code: &str, rule: &str) -> bool {
        self.comments
            .get(rule)
            .is_some_and(|codes| codes.contains(&code))
            || self
                .manifest
                .iter()
                .any(|(c, pat)| *c == code && id_matches(pat, rule))
    }
}

fn unknown_lint(name: &str) -> String {
    let known: Vec<String> = LINTS
        .iter()
        .map(|l| format!("{} {}", l.code, l.name))
        .collect();
    format!("unknown lint `{name}`; the lints are {}", known.join(", "))
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

fn is_comment(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

/// The lines of a rule (1-based numbers): its list item from the `- ` line
/// (which may hold another key than `id:`) to the next item at the same
/// indentation, plus the comments right above the item at the item's
/// indentation or less. Comments right above the next item at that
/// indentation are the next rule's; deeper ones are this rule's.
fn rule_block(lines: &[String], id_line: usize) -> Vec<(usize, &str)> {
    let id_at = id_line.saturating_sub(1);
    if id_at >= lines.len() {
        return Vec::new();
    }
    // The item's `- ` line: the id line itself, or the nearest line above
    // that starts an item less indented than the `id:` key.
    let key_indent = indent(&lines[id_at]);
    let start = (0..=id_at)
        .rev()
        .find(|&n| {
            let t = lines[n].trim_start();
            t.starts_with("- ") && (n == id_at || indent(&lines[n]) < key_indent)
        })
        .unwrap_or(id_at);
    let item = indent(&lines[start]);
    let mut above = start;
    while above > 0 && is_comment(&lines[above - 1]) && indent(&lines[above - 1]) <= item {
        above -= 1;
    }
    let next = (start + 1..lines.len())
        .find(|&n| {
            let l = &lines[n];
            !is_comment(l) && !l.trim().is_empty() && indent(l) <= item
        })
        .unwrap_or(lines.len());
    let mut end = next;
    while end > start + 1 && is_comment(&lines[end - 1]) && indent(&lines[end - 1]) <= item {
        end -= 1;
    }
    (above..end).map(|n| (n + 1, lines[n].as_str())).collect()
}

/// What a `# fenliu: …` comment of a line says: nothing (no such comment),
/// the lint names it allows, or why it cannot be read.
fn allowed_in_comment(line: &str) -> Result<Vec<&str>, String> {
    // A comment starts at a `#` at the line's start or after a space
    // (`3#楼` and `"#1"` are no comments).
    let hash = line
        .char_indices()
        .find(|&(i, c)| c == '#' && (i == 0 || line[..i].ends_with([' ', '\t'])))
        .map(|(i, _)| i);
    let Some(hash) = hash else {
        return Ok(Vec::new());
    };
    let comment = line[hash + 1..].trim();
    let Some(after) = comment
        .get(..6)
        .filter(|p| p.eq_ignore_ascii_case("fenliu"))
        .map(|_| comment[6..].trim_start())
    else {
        return Ok(Vec::new());
    };
    let bad = || {
        format!(
            "cannot read `# {comment}`: write `# fenliu: allow(LINT, …)` with lint names or codes"
        )
    };
    let rest = after
        .strip_prefix(':')
        .map(str::trim_start)
        .and_then(|r| r.strip_prefix("allow"))
        .filter(|r| r.is_empty() || r.starts_with(['(', ' ', '\t']))
        .ok_or_else(bad)?
        .trim();
    let list = match rest.strip_prefix('(') {
        Some(r) => r.strip_suffix(')').ok_or_else(bad)?,
        None if rest.is_empty() || rest.starts_with(char::is_alphanumeric) => rest,
        None => return Err(bad()),
    };
    let names: Vec<&str> = list
        .split([',', ' ', '\t'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if names.is_empty() {
        return Err(bad());
    }
    Ok(names)
}

/// The report `fenliu check` prints: one block per warning with its place
/// and its fix.
pub fn render_human(report: &LintReport) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    for f in &report.findings {
        let place = match f.line {
            Some(l) => format!("{}:{l}", f.file.display()),
            None => f.file.display().to_string(),
        };
        // A list (unused, or holding a word twice) is no rule: it is named
        // as a list, and only the manifest can silence it.
        let (subject, silence) = if f.rule.starts_with('@') {
            (
                "list",
                format!("`lints: allow: [{{lint: {}}}]` in fenliu.yaml", f.lint),
            )
        } else {
            (
                "rule",
                format!(
                    "`# fenliu: allow({})` on the rule, or `lints: allow:` in fenliu.yaml",
                    f.lint
                ),
            )
        };
        let _ = writeln!(
            s,
            "warning[{} {}]: {place}: {subject} `{}` {}",
            f.code, f.lint, f.rule, f.message
        );
        let _ = writeln!(s, "  fix: {}", f.fix);
        let _ = writeln!(s, "  silence: {silence}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (regex, the characters FL009 names; empty: none)
    const UNREACHABLE: &[(&str, &str)] = &[
        ("【法院】[^。]{0,20}链接", "【】"),
        ("[“\"]偷[”\"]", "\"“”"),
        // Optional marks cost the regex nothing.
        ("[“\"]?偷", ""),
        // Whole runs: 著名 survives, 帐户 becomes 账户.
        ("著名", ""),
        ("转到安全帐户", "转到安全帐户"),
        ("身份證", "證"),
        ("ABC|abc", "ABC"),
        ("(?i)abc", ""),
        ("怎么办\\?", "?"),
        ("[^，。]{0,8}偷", ""),
    ];

    #[test]
    fn unreachable_text_names_what_normalization_removes() {
        for (re, want) in UNREACHABLE {
            let hir = regex_syntax::parse(re).unwrap();
            let mut bad = Vec::new();
            unreachable_chars(&hir, &mut bad);
            bad.sort_unstable();
            bad.dedup();
            let mut want: Vec<char> = want.chars().collect();
            want.sort_unstable();
            want.dedup();
            assert_eq!(bad, want, "{re}");
        }
    }

    #[test]
    fn allow_comments_name_lints() {
        let ok: &[(&str, &[&str])] = &[
            (
                "  # fenliu: allow(silent-rule, FL004)",
                &["silent-rule", "FL004"],
            ),
            ("any: [x] # fenliu: allow short-keyword", &["short-keyword"]),
            (
                "# fenliu: allow silent-rule, FL004",
                &["silent-rule", "FL004"],
            ),
            ("#FENLIU : allow ( no-examples )", &["no-examples"]),
            ("# allow silent-rule", &[]),
            ("description: 3#楼 fenliu: allow(x)", &[]),
            ("any: [\"#1\"]", &[]),
            ("id: x", &[]),
        ];
        for (line, want) in ok {
            assert_eq!(allowed_in_comment(line).as_deref(), Ok(*want), "{line}");
        }
        for bad in [
            "# fenliu: allowed(x)",
            "# fenliu: allow()",
            "# fenliu allow x",
            "# fenliu: allow(x",
        ] {
            assert!(allowed_in_comment(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_rule_block_ends_at_the_next_rule() {
        let lines: Vec<String> = [
            "rules:",                             // 1
            "  # fenliu: allow(no-examples)",     // 2: a's
            "  - id: a",                          // 3
            "    route: police",                  // 4
            "    # fenliu: allow(short-keyword)", // 5: still a's
            "  # fenliu: allow(silent-rule)",     // 6: b's
            "  - route: police",                  // 7: b starts here
            "    id: b",                          // 8
            "",                                   // 9
            "  - id: c",                          // 10
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let block =
            |line| -> Vec<usize> { rule_block(&lines, line).iter().map(|(n, _)| *n).collect() };
        assert_eq!(block(3), vec![2, 3, 4, 5]);
        assert_eq!(block(8), vec![6, 7, 8, 9]);
        assert_eq!(block(10), vec![10]);
    }
}
