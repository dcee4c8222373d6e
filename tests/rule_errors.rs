//! Golden files of broken rule sets: each `tests/golden/NAME.yaml` is added
//! to a copy of the minimal fixture as `routes/zz-broken.yaml`; loading must
//! fail with exactly the text in `tests/golden/NAME.out` (`$DIR` stands for
//! the rule-set directory). Error text is product output: a change to it is
//! a change a maintainer will see.

// Test and measurement code: a failure to set up is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::minimal_copy;
use fenliu::rules::load_rule_set;

#[test]
fn broken_rule_files_give_their_golden_errors() {
    let mut cases: Vec<PathBuf> = fs::read_dir("tests/golden")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 8, "golden cases missing");
    let bless = std::env::var_os("FENLIU_BLESS").is_some();
    let mut failures = Vec::new();
    for case in cases {
        let (_tmp, rules) = minimal_copy();
        fs::copy(&case, rules.join("routes/zz-broken.yaml")).unwrap();
        let err = match load_rule_set(&rules) {
            Ok(_) => panic!("{} loaded, but it is broken", case.display()),
            Err(e) => e.to_string().replace(&rules.display().to_string(), "$DIR"),
        };
        let out = case.with_extension("out");
        if bless {
            fs::write(&out, &err).unwrap();
            continue;
        }
        let want = fs::read_to_string(&out).unwrap_or_default();
        if want != err {
            failures.push(format!(
                "{}:\n--- want\n{want}--- got\n{err}",
                case.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_minimal_fixture_loads() {
    let (_tmp, rules) = minimal_copy();
    let set = load_rule_set(&rules).unwrap();
    assert_eq!(set.version, "test-1");
    assert_eq!(set.rules.len(), 6);
}

/// The problems of the minimal fixture with `from` replaced by `to` in its
/// policy.
fn policy_problems(from: &str, to: &str) -> fenliu::rules::LoadError {
    let (_tmp, rules) = minimal_copy();
    let policy = fs::read_to_string(rules.join("policy.yaml")).unwrap();
    assert!(policy.contains(from), "the minimal policy has no `{from}`");
    fs::write(rules.join("policy.yaml"), policy.replace(from, to)).unwrap();
    load_rule_set(&rules).unwrap_err()
}

#[test]
fn a_broken_policy_is_reported_with_its_line() {
    let err = policy_problems("decisive_priority: 50", "decisive_priority: fifty");
    assert_eq!(err.problems.len(), 1);
    let p = &err.problems[0];
    assert!(p.file.ends_with("policy.yaml"));
    assert!(p.line.is_some(), "{p}");
    assert!(
        p.reason.contains("decisive_priority") || p.reason.contains("invalid"),
        "{p}"
    );
}

/// The 1-based line of the minimal policy where `text` starts.
fn policy_line(text: &str) -> usize {
    let policy = fs::read_to_string("tests/fixtures/minimal/rules/policy.yaml").unwrap();
    let at = policy.find(text).unwrap();
    policy[..at].matches('\n').count() + 1
}

/// A policy problem is outside every rule, yet it points at the line that
/// is wrong: each case breaks one line of the minimal policy, and its one
/// problem names the field and sits on that line.
#[test]
fn a_policy_problem_points_at_its_line() {
    for (from, to, field) in [
        (
            "precedence: [emergency, police,",
            "precedence: [emergency, polise,",
            "precedence",
        ),
        ("review_below: 0.45", "review_below: 4.5", "review_below"),
        ("  similarity: 0.3", "  similarity: 3", "repeat.similarity"),
        (
            "  route: non-police\n",
            "  route: nonpolice\n",
            "fallback.route",
        ),
        (
            "  legal-process: 咨询",
            "  legal-process: 问问",
            "default_appeal_type",
        ),
        (
            "  - kind: hypothetical\n    # A general",
            "  - kind: hypothetica\n    # A general",
            "cues.kind",
        ),
    ] {
        let err = policy_problems(from, to);
        assert_eq!(err.problems.len(), 1, "{to:?}: {err}");
        let p = &err.problems[0];
        assert_eq!(p.field.as_deref(), Some(field), "{p}");
        assert_eq!(p.line, Some(policy_line(from)), "{to:?}: {p}");
        assert!(p.column.is_some(), "{p}");
    }
}

/// A scare-quotes section that could never apply is refused, each problem
/// naming its field.
#[test]
fn a_bad_scare_quotes_section_is_refused_naming_each_field() {
    let err = policy_problems(
        "decisive_priority: 50\n",
        "decisive_priority: 50\nscare_quotes:\n  max_chars: 0\n  words: []\n  routes: [polise]\n",
    );
    let fields: Vec<_> = err
        .problems
        .iter()
        .filter_map(|p| p.field.as_deref())
        .collect();
    assert_eq!(
        fields,
        [
            "scare_quotes.max_chars",
            "scare_quotes.words",
            "scare_quotes.routes"
        ],
        "{err}"
    );
    assert!(err.to_string().contains("polise"), "{err}");
}

/// A cue that crosses sentences needs a window: without one its scope
/// would be the whole text, and the load says so.
#[test]
fn a_cue_across_sentences_without_a_window_is_refused() {
    let err = policy_problems(
        "cues:\n",
        "cues:\n  - kind: negated\n    following: [哦，不是]\n    across_sentences: true\n",
    );
    assert_eq!(err.problems.len(), 1, "{err}");
    let p = &err.problems[0];
    assert_eq!(p.field.as_deref(), Some("cues"), "{p}");
    assert!(
        p.reason.contains("across_sentences") && p.reason.contains("window"),
        "{p}"
    );
}

/// Repeat-policy lines that are wrong in themselves, each added after
/// `min_shared_words`, with the words its one problem must name.
#[test]
fn a_bad_repeat_policy_is_refused_naming_what_is_wrong() {
    for (extra, named) in [
        // Fewer shared words than the minimum would make a "same matter".
        ("  shared_words_enough: 1\n", &["shared_words_enough"][..]),
        ("  appeal_type: 抱怨\n", &["repeat.appeal_type", "抱怨"][..]),
    ] {
        let err = policy_problems(
            "  min_shared_words: 2\n",
            &format!("  min_shared_words: 2\n{extra}"),
        );
        assert_eq!(err.problems.len(), 1, "{extra:?}: {err}");
        let p = &err.problems[0];
        assert!(p.file.ends_with("policy.yaml"), "{p}");
        // The added line, one after `min_shared_words`.
        assert_eq!(
            p.line,
            Some(policy_line("  min_shared_words: 2\n") + 1),
            "{p}"
        );
        let text = p.to_string();
        for word in named {
            assert!(text.contains(word), "{extra:?} should name {word}: {p}");
        }
    }
}

#[test]
fn a_missing_directory_is_a_clear_error() {
    let err = load_rule_set(Path::new("tests/fixtures/no-such-dir")).unwrap_err();
    assert!(err.to_string().contains("does not exist"), "{err}");
}

/// A manifest that names its dictionaries where there are none (rules/
/// copied without them) would segment differently without a word.
#[test]
fn named_dictionaries_that_are_not_there_are_an_error() {
    let (tmp, rules) = minimal_copy();
    let manifest = rules.join("fenliu.yaml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, format!("{text}dictionaries: ../dictionaries\n")).unwrap();
    assert!(load_rule_set(&rules).is_ok());
    std::fs::remove_dir_all(tmp.path().join("dictionaries")).unwrap();
    let err = load_rule_set(&rules).unwrap_err();
    // First the directory; then whatever the rules wanted from it.
    let p = &err.problems[0];
    assert!(p.file.ends_with("fenliu.yaml"), "{p}");
    assert!(
        p.to_string().contains("dictionaries") && p.to_string().contains("is not a directory"),
        "{p}"
    );
}

/// A file's named lists stand for their words wherever a rule uses them; a
/// reference to a list the file does not have stops the load at its line.
#[test]
fn keyword_lists_expand_where_rules_use_them() {
    let (_tmp, rules) = minimal_copy();
    fs::write(
        rules.join("routes/zz-lists.yaml"),
        r#"lists:
  collapse: [晕倒, 叫不醒]
  now: [现在, 刚刚]
rules:
  - id: emergency.collapse.late
    route: emergency
    category: medical
    handoff: "120"
    priority: 88
    description: collapse said now at the end of a long call
    when:
      any: ["@collapse", 倒地不起]
      all:
        - ["@now"]
      within: 10
    unless:
      any: ["@now-over", 没事了]
    examples:
      match: [物业的事先不说了，现在我爸叫不醒]
      no_match: [去年我爸晕倒过一次]
"#,
    )
    .unwrap();
    // `@now-over` is not a list of this file: nothing loads.
    let err = load_rule_set(&rules).unwrap_err().to_string();
    assert!(err.contains("zz-lists.yaml:17:14:"), "{err}");
    assert!(err.contains("unknown keyword list `@now-over`"), "{err}");

    let text = fs::read_to_string(rules.join("routes/zz-lists.yaml")).unwrap();
    let text = text.replace("now: [", "now-over: [已经醒了]\n  now: [");
    fs::write(rules.join("routes/zz-lists.yaml"), text).unwrap();
    let set = std::sync::Arc::new(load_rule_set(&rules).unwrap());
    let rule = set.rule("emergency.collapse.late").unwrap();
    assert_eq!(rule.line, Some(6), "the rule keeps its place");
    let classifier = fenliu::engine::Classifier::new(set.clone());
    // (text, whether the rule fires)
    let cases = [
        ("物业的事先不说了，现在我爸晕倒了", true),
        ("刚刚有人倒地不起", true),
        ("现在我爸叫不醒，哦已经醒了", false),
        ("我爸晕倒了", false),
    ];
    for (text, fires) in cases {
        let d = classifier.classify_text(text);
        let hit = d
            .explanation
            .hits
            .iter()
            .any(|h| h.rule == "emergency.collapse.late");
        assert_eq!(hit, fires, "{text}: {:?}", d.explanation.hits);
    }
}
