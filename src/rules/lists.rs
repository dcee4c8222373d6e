//! Named keyword lists: a rule file's `lists:` and the `"@name"` items that
//! stand for them in `when.any`, in each `when.all` group and in
//! `unless.any` of that file's rules.
//!
//! Two rules that share a long list of words (a rule and its twin for long
//! calls, a now-word group used by many rules) name it once. The lists are
//! expanded on each rule's YAML value before the rule is read, so every
//! later stage (compile, examples, lints, diffs) sees plain keywords.

use std::collections::{BTreeMap, HashSet};

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
