//! Named keyword lists: a rule file's `lists:` and the `"@name"` items that
//! stand for them in `when.any`, in each `when.all` group and in
//! `unless.any` of that file's rules.
//!
//! Two rules that share a long list of words (a rule and its twin for long
//! calls, a now-word group used by many rules) name it once. The lists are
//! expanded on each rule's YAML value before the rule is read, so every
//! later stage (compile, examples, lints, diffs) sees plain keywords.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::error::did_you_mean;
use super::yaml::Value;

/// The keyword fields a list may be used in: a path into a rule, and the
/// field a problem names.
const FIELDS: [(&str, &str, &str); 3] = [
    ("when", "any", "any"),
    ("when", "all", "all"),
    ("unless", "any", "unless"),
];

/// A list name that cannot be used, or a list that cannot be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListProblem {
    pub name: String,
    pub reason: String,
}

/// A reference in a rule that could not be expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadReference {
    /// `any`, `all` or `unless`.
    pub field: &'static str,
    /// As written, with its `@`.
    pub written: String,
    pub reason: String,
}

/// Checks a file's lists: names of letters, digits, `-` and `_`; at least
/// one keyword; no list inside a list.
pub fn check(lists: &BTreeMap<String, Vec<String>>) -> Vec<ListProblem> {
    let mut problems = Vec::new();
    for (name, words) in lists {
        let problem = |reason: String| ListProblem {
            name: name.clone(),
            reason,
        };
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            problems.push(problem(format!(
                "list name `{name}` may hold only ASCII letters, digits, `-` and `_`"
            )));
        }
        if words.is_empty() {
            problems.push(problem(format!("list `{name}` is empty")));
        }
        for w in words.iter().filter(|w| w.starts_with('@')) {
            problems.push(problem(format!(
                "list `{name}` holds `{w}`: a list holds keywords, not other lists"
            )));
        }
    }
    problems
}

/// Replaces every `"@name"` item of a rule's keyword fields with the words of
/// list `name`, in place; a word already in the field is not added twice.
/// Unknown names are dropped from the field and reported; the names of the
/// lists used are added to `used`.
pub fn expand(
    rule: &mut Value,
    lists: &BTreeMap<String, Vec<String>>,
    used: &mut HashSet<String>,
) -> Vec<BadReference> {
    let mut bad = Vec::new();
    for (section, key, name) in FIELDS {
        let Some(field) = rule.get_mut(section).and_then(|s| s.get_mut(key)) else {
            continue;
        };
        let Some(items) = field.as_sequence_mut() else {
            continue;
        };
        if key == "all" {
            for group in items.iter_mut() {
                if let Some(group) = group.as_sequence_mut() {
                    expand_list(group, lists, name, used, &mut bad);
                }
            }
        } else {
            expand_list(items, lists, name, used, &mut bad);
        }
    }
    bad
}

/// A keyword that a rule's field holds twice once its lists are expanded:
/// written twice, or written beside a list that holds it. Words are compared
/// as normalization leaves them (帳戶 and 账户 are one keyword). Two lists
/// that share a word are no repeat: each list serves other rules too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repeat {
    /// `any`, `all group N` or `unless`.
    pub field: String,
    /// As written in the field: the second one when it is written twice.
    pub word: String,
    /// The other spelling: the first one written, or the list's.
    pub first: String,
    /// The list that holds it too, if it is one.
    pub list: Option<String>,
}

impl Repeat {
    /// `「帳戶」 in `any` (written twice, first as 「账户」)`.
    pub fn describe(&self) -> String {
        let whence = match &self.list {
            None => "written twice".to_string(),
            Some(l) => format!("written beside `@{l}`, which holds it"),
        };
        let spelling = if self.first == self.word {
            String::new()
        } else {
            format!(", first as 「{}」", self.first)
        };
        format!("「{}」 in `{}` ({whence}{spelling})", self.word, self.field)
    }
}

/// The keywords each of a rule's fields holds twice (see [`Repeat`]), read
/// before [`expand`] drops the repeats a list brings. A word a list holds
/// twice is reported once, with the list ([`repeats_in_lists`]), not with
/// every rule that names it.
pub fn repeats(rule: &Value, lists: &BTreeMap<String, Vec<String>>) -> Vec<Repeat> {
    let mut out = Vec::new();
    for (section, key, name) in FIELDS {
        let Some(items) = rule
            .get(section)
            .and_then(|s| s.get(key))
            .and_then(Value::as_sequence)
        else {
            continue;
        };
        if key == "all" {
            for (g, group) in items.iter().enumerate() {
                if let Some(group) = group.as_sequence() {
                    field_repeats(group, lists, &format!("all group {}", g + 1), &mut out);
                }
            }
        } else {
            field_repeats(items, lists, name, &mut out);
        }
    }
    out
}

fn field_repeats(
    items: &[Value],
    lists: &BTreeMap<String, Vec<String>>,
    field: &str,
    out: &mut Vec<Repeat>,
) {
    // Normalized word -> as first written, and the list it came from.
    let mut seen: HashMap<String, (&str, Option<&str>)> = HashMap::new();
    let written = items
        .iter()
        .filter_map(Value::as_str)
        .filter(|s| !s.starts_with('@'));
    let named = items
        .iter()
        .filter_map(|v| v.as_str()?.strip_prefix('@'))
        .filter_map(|name| Some((name, lists.get(name)?)));
    for w in written {
        let key = crate::text::normalize(w).text;
        match seen.get(&key) {
            Some(&(first, _)) => out.push(Repeat {
                field: field.to_string(),
                word: w.to_string(),
                first: first.to_string(),
                list: None,
            }),
            None => {
                seen.insert(key, (w, None));
            }
        }
    }
    for (name, words) in named {
        for w in words {
            let key = crate::text::normalize(w).text;
            // Only a word also written in the field: two lists may share one.
            if let Some(&(first, None)) = seen.get(&key) {
                out.push(Repeat {
                    field: field.to_string(),
                    word: first.to_string(),
                    first: w.to_string(),
                    list: Some(name.to_string()),
                });
                seen.insert(key, (first, Some(name)));
            }
        }
    }
}

/// The keywords a rule or a list holds twice, for the `repeated-keyword`
/// lint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repeated {
    /// The rule's id, or `@name` for a list.
    pub owner: String,
    /// Each repeat, described ([`Repeat::describe`], or the word for a list).
    pub words: Vec<String>,
}

/// The words each list of a file holds twice: (list name, word).
pub fn repeats_in_lists(lists: &BTreeMap<String, Vec<String>>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (name, words) in lists {
        let mut seen = HashSet::new();
        for w in words {
            if !seen.insert(crate::text::normalize(w).text) {
                out.push((name.clone(), w.clone()));
            }
        }
    }
    out
}

fn expand_list(
    items: &mut Vec<Value>,
    lists: &BTreeMap<String, Vec<String>>,
    field: &'static str,
    used: &mut HashSet<String>,
    bad: &mut Vec<BadReference>,
) {
    if !items
        .iter()
        .any(|v| v.as_str().is_some_and(|s| s.starts_with('@')))
    {
        return;
    }
    // The words written in the field itself.
    let mut seen: HashSet<String> = items
        .iter()
        .filter_map(|v| v.as_str().filter(|s| !s.starts_with('@')))
        .map(str::to_string)
        .collect();
    let mut out = Vec::with_capacity(items.len());
    for item in items.drain(..) {
        let Some(name) = item.as_str().and_then(|s| s.strip_prefix('@')) else {
            out.push(item);
            continue;
        };
        match lists.get(name) {
            Some(words) => {
                used.insert(name.to_string());
                for w in words {
                    if seen.insert(w.clone()) {
                        out.push(Value::String(w.clone()));
                    }
                }
            }
            None => bad.push(BadReference {
                field,
                written: format!("@{name}"),
                reason: if lists.is_empty() {
                    format!("unknown keyword list `@{name}`: this file has no `lists:`")
                } else {
                    format!(
                        "unknown keyword list `@{name}`{}; this file's lists: {}",
                        did_you_mean(name, lists.keys().map(String::as_str)),
                        lists.keys().cloned().collect::<Vec<_>>().join(", ")
                    )
                },
            }),
        }
    }
    *items = out;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lists() -> BTreeMap<String, Vec<String>> {
        BTreeMap::from([
            (
                "now".to_string(),
                vec!["现在".to_string(), "正在".to_string()],
            ),
            (
                "over".to_string(),
                vec!["没事了".to_string(), "走了".to_string()],
            ),
        ])
    }

    fn rule(yaml: &str) -> Value {
        super::super::yaml::parse(std::path::Path::new("t.yaml"), yaml).unwrap()
    }

    fn words(v: &Value) -> Vec<&str> {
        v.as_sequence()
            .unwrap()
            .iter()
            .map(|w| w.as_str().unwrap())
            .collect()
    }

    #[test]
    fn references_expand_in_every_keyword_field_and_nowhere_else() {
        let mut r = rule(
            "when:\n  any: [晕倒, \"@now\"]\n  all:\n    - [电梯]\n    - [\"@now\", 还在]\n  regex: ['@now']\n\
             unless:\n  any: [\"@over\", 走了, 演练]\nexamples:\n  match: ['@now']\n",
        );
        let mut used = HashSet::new();
        assert_eq!(expand(&mut r, &lists(), &mut used), vec![]);
        assert_eq!(used, HashSet::from(["now".to_string(), "over".to_string()]));
        assert_eq!(words(&r["when"]["any"]), ["晕倒", "现在", "正在"]);
        assert_eq!(words(&r["when"]["all"][1]), ["现在", "正在", "还在"]);
        // A word written beside the reference is not added twice.
        assert_eq!(words(&r["unless"]["any"]), ["没事了", "走了", "演练"]);
        // Regexes and examples are text, not keyword lists.
        assert_eq!(words(&r["when"]["regex"]), ["@now"]);
        assert_eq!(words(&r["examples"]["match"]), ["@now"]);
    }

    #[test]
    fn an_unknown_reference_is_reported_with_its_field_and_a_suggestion() {
        let mut r = rule("when:\n  any: [晕倒]\n  all:\n    - [\"@nwo\"]\n");
        let mut used = HashSet::new();
        let bad = expand(&mut r, &lists(), &mut used);
        assert_eq!(bad.len(), 1);
        // An unknown name uses no list.
        assert!(used.is_empty(), "{used:?}");
        assert_eq!(bad[0].field, "all");
        assert_eq!(bad[0].written, "@nwo");
        assert!(
            bad[0].reason.contains("did you mean `now`"),
            "{}",
            bad[0].reason
        );
        assert!(bad[0].reason.contains("now, over"), "{}", bad[0].reason);
        let mut r = rule("unless:\n  any: [\"@now\"]\n");
        let bad = expand(&mut r, &BTreeMap::new(), &mut used);
        assert_eq!(bad[0].field, "unless");
        assert!(bad[0].reason.contains("no `lists:`"), "{}", bad[0].reason);
    }

    #[test]
    fn repeats_are_words_written_twice_or_beside_a_list_that_holds_them() {
        // (rule, the repeats described)
        let cases: [(&str, &[&str]); 6] = [
            (
                "when:\n  any: [晕倒, 昏迷, 晕倒]\n",
                &["「晕倒」 in `any` (written twice)"],
            ),
            // Normalization makes a traditional or full-width spelling the same word.
            (
                "when:\n  all:\n    - [电梯]\n    - [帳戶, 账户, \"建议:\", \"建议：\"]\n",
                &[
                    "「账户」 in `all group 2` (written twice, first as 「帳戶」)",
                    "「建议：」 in `all group 2` (written twice, first as 「建议:」)",
                ],
            ),
            (
                "unless:\n  any: [\"@over\", 演练, 走了]\n",
                &["「走了」 in `unless` (written beside `@over`, which holds it)"],
            ),
            // Two lists may share a word: each serves other rules too.
            ("unless:\n  any: [\"@over\", \"@over2\"]\n", &[]),
            // The same word in two fields is no repeat.
            ("when:\n  any: [现在]\nunless:\n  any: [现在]\n", &[]),
            // An unknown list is the expansion's problem, not a repeat.
            ("when:\n  any: [\"@nwo\", 现在]\n", &[]),
        ];
        let mut lists = lists();
        lists.insert("over2".into(), vec!["走了".into(), "散了".into()]);
        for (yaml, want) in cases {
            let got: Vec<String> = repeats(&rule(yaml), &lists)
                .iter()
                .map(Repeat::describe)
                .collect();
            assert_eq!(got, want, "{yaml}");
        }
        // A list's own repeats are named once, with the list.
        lists.insert(
            "twice".into(),
            vec!["现在".into(), "正在".into(), "現在".into()],
        );
        assert_eq!(
            repeats_in_lists(&lists),
            [("twice".to_string(), "現在".to_string())]
        );
        let r = rule("when:\n  any: [\"@twice\"]\n");
        assert_eq!(repeats(&r, &lists), []);
    }

    #[test]
    fn bad_lists_are_named() {
        let cases = [
            ("now words", vec!["现在"], "may hold only"),
            ("empty", vec![], "is empty"),
            ("nested", vec!["现在", "@now"], "not other lists"),
        ];
        for (name, words, expected) in cases {
            let lists = BTreeMap::from([(
                name.to_string(),
                words.iter().map(|w| w.to_string()).collect(),
            )]);
            let problems = check(&lists);
            assert_eq!(problems.len(), 1, "{name}: {problems:?}");
            assert_eq!(problems[0].name, name);
            assert!(
                problems[0].reason.contains(expected),
                "{name}: {problems:?}"
            );
        }
        assert_eq!(check(&lists()), vec![]);
    }
}
