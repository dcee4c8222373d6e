//! The maintainer and QA tools on the `lints` fixture (a shadowed rule, a
//! silent rule, a conflicting pair, an over-broad keyword, a regex that is
//! a keyword list, a rule without examples): `check` lints in both formats
//! and silenced both ways, `analyze`, `diff` between directories and
//! against a git revision with its release gate, `eval --html` opened in
//! headless Chromium, and the shipped JSON Schemas.

// Test and measurement code: a failure to set up is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_fenliu");
const RULES: &str = "tests/fixtures/lints/rules";
const CORPUS: &str = "tests/fixtures/lints/corpus.jsonl";

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(out: &str) -> Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

/// (code, rule) of every lint finding of a `check --format json` answer.
fn findings(v: &Value) -> BTreeSet<(String, String)> {
    v["lints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The message of the first finding whose `field` is `value`.
fn lint_message<'a>(v: &'a Value, field: &str, value: &str) -> &'a str {
    v["lints"]
        .as_array()
        .and_then(|l| l.iter().find(|f| f[field] == value))
        .and_then(|f| f["message"].as_str())
        .unwrap_or_else(|| panic!("no finding with {field} = {value}: {v}"))
}

fn set(pairs: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    pairs
        .iter()
        .map(|(c, r)| (c.to_string(), r.to_string()))
        .collect()
}

/// Replaces `from` (which must be there) with `to` in a fixture file.
fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} has no `{from}`", path.display());
    std::fs::write(path, text.replace(from, to)).unwrap();
}

/// A copy of the lints fixture: (keep-alive, rules dir, corpus).
fn fixture_copy() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    common::copy_dir(Path::new("tests/fixtures/lints"), tmp.path());
    let rules = tmp.path().join("rules");
    let corpus = tmp.path().join("corpus.jsonl");
    (tmp, rules, corpus)
}

const STATIC_LINTS: &[(&str, &str)] = &[
    ("FL001", "non-police.neighbour"),
    ("FL004", "non-police.generic"),
    ("FL006", "non-police.noise"),
    ("FL007", "non-police.noise"),
    ("FL008", "@bike"),
    ("FL009", "police.theft"),
    ("FL010", "police.theft"),
    ("FL010", "non-police.pothole"),
    ("FL010", "@bike"),
];

const CORPUS_LINTS: &[(&str, &str)] = &[
    ("FL002", "police.theft.bike"),
    ("FL002", "non-police.pets"),
    ("FL003", "non-police.pothole"),
    ("FL005", "non-police.generic"),
];

#[test]
fn check_lints_the_rule_set_alone_and_with_a_corpus() {
    let (code, out, err) = run(&["check", "--rules", RULES, "--format", "json"]);
    assert_eq!(code, 0, "warnings alone do not fail: {err}");
    let v = json(&out);
    assert_eq!(v["ok"], true);
    assert_eq!(findings(&v), set(STATIC_LINTS));
    // `non-police.pets` has no examples either, but a comment allows it.
    assert_eq!(v["silenced"], 1);
    assert_eq!(v["corpus_records"], Value::Null);

    let (code, out, err) = run(&[
        "check", "--rules", RULES, "--corpus", CORPUS, "--format", "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v = json(&out);
    let want: BTreeSet<_> = set(STATIC_LINTS)
        .union(&set(CORPUS_LINTS))
        .cloned()
        .collect();
    assert_eq!(findings(&v), want);
    assert_eq!(v["corpus_records"], 12);
    let broad = lint_message(&v, "code", "FL005");
    assert!(broad.contains("「问题」 in 7 of 12 records"), "{broad}");
    let shadowed = lint_message(&v, "rule", "police.theft.bike");
    assert!(
        shadowed.contains("`police.theft` (2 records) decided instead"),
        "{shadowed}"
    );
    // Every finding says where and how to fix it.
    for f in v["lints"].as_array().unwrap() {
        assert!(f["line"].as_u64().is_some_and(|l| l > 1), "{f}");
        assert!(
            f["file"].as_str().unwrap().ends_with("routes/base.yaml"),
            "{f}"
        );
        assert!(!f["fix"].as_str().unwrap().is_empty(), "{f}");
    }
}

#[test]
fn human_output_shows_file_line_and_fix_and_strict_fails_on_warnings() {
    let (code, out, err) = run(&["check", "--rules", RULES, "--corpus", CORPUS]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(
            "10 rules, 9 examples, all pass; 13 warning(s), 1 silenced, corpus lints on 12 records"
        ),
        "{out}"
    );
    assert!(
        err.contains(
            "warning[FL003 silent-rule]: tests/fixtures/lints/rules/routes/base.yaml:42: rule `non-police.pothole` fires on none of the 12 corpus records"
        ),
        "{err}"
    );
    assert!(err.contains("  fix: add corpus records"), "{err}");
    // A list no rule uses is named as a list, where it is defined.
    assert!(
        err.contains(
            "warning[FL008 unused-list]: tests/fixtures/lints/rules/routes/base.yaml:114: list `@bike` is used by no rule of base.yaml"
        ),
        "{err}"
    );
    // A keyword listed twice names the field, and the list it is also in.
    assert!(
        err.contains(
            "warning[FL010 repeated-keyword]: tests/fixtures/lints/rules/routes/base.yaml:15: rule `police.theft` holds a keyword twice: 「偷走」 in `any` (written beside `@stolen`, which holds it)"
        ),
        "{err}"
    );
    assert!(err.contains("list `@bike` holds 「電動車」 twice"), "{err}");
    assert!(err.contains("# fenliu: allow(silent-rule)"), "{err}");

    let (code, _, _) = run(&["check", "--rules", RULES, "--strict"]);
    assert_eq!(code, 1, "--strict fails on warnings");
}

#[test]
fn lints_are_silenced_in_the_manifest_or_by_a_comment_and_bad_names_are_errors() {
    let (_tmp, rules, corpus) = fixture_copy();
    edit(
        &rules.join("fenliu.yaml"),
        "lints:\n",
        "lints:\n  allow:\n    - lint: silent-rule\n      rules: [non-police.pot*]\n      reason: roads are new\n    - lint: FL006\n    - lint: unused-list\n",
    );
    let routes = rules.join("routes/base.yaml");
    // Kept for the misspelt-name case below, which starts from it again.
    let text = std::fs::read_to_string(&routes).unwrap();
    edit(
        &routes,
        "  - id: police.theft.bike\n",
        "  - id: police.theft.bike # fenliu: allow(shadowed-rule)\n",
    );
    // FL001 is reported on non-police.neighbour; allowing it on the other
    // rule of the pair, police.quarrel, silences it too.
    edit(
        &routes,
        "  - id: police.quarrel\n",
        "  - id: police.quarrel\n    # fenliu: allow(cross-route-keyword)\n",
    );
    edit(
        &routes,
        "  - id: police.theft\n",
        "  - id: police.theft # fenliu: allow(repeated-keyword)\n",
    );
    let (code, out, err) = run(&[
        "check",
        "--rules",
        rules.to_str().unwrap(),
        "--corpus",
        corpus.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v = json(&out);
    let got = findings(&v);
    for gone in [
        ("FL003", "non-police.pothole"),
        ("FL006", "non-police.noise"),
        ("FL002", "police.theft.bike"),
        ("FL001", "non-police.neighbour"),
        ("FL008", "@bike"),
        ("FL010", "police.theft"),
    ] {
        assert!(
            !got.contains(&(gone.0.into(), gone.1.into())),
            "{gone:?} in {got:?}"
        );
    }
    assert!(got.contains(&("FL002".into(), "non-police.pets".into())));
    assert_eq!(v["silenced"], 7);

    // A misspelt lint name is an error that names the known ones.
    std::fs::write(
        &routes,
        text.replace(
            "  - id: police.theft.bike\n",
            "  # fenliu: allow(shadowed-rules)\n  - id: police.theft.bike\n",
        ),
    )
    .unwrap();
    let (code, _, err) = run(&["check", "--rules", rules.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("base.yaml:30: rule `police.theft.bike`: unknown lint `shadowed-rules`; the lints are FL001 cross-route-keyword"), "{err}");
}

#[test]
fn analyze_reports_rules_worst_first_with_overlaps_and_route_deciders() {
    let (code, out, err) = run(&[
        "analyze", "--rules", RULES, "--corpus", CORPUS, "--format", "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v = json(&out);
    assert_eq!(v["records"], 12);
    let rules = v["rules"].as_array().unwrap();
    let rule = |id: &str| rules.iter().find(|r| r["id"] == id).unwrap().clone();
    // The conflicting pair: police.quarrel wins lt-04 by precedence and is
    // wrong there, so it is the worst rule.
    assert_eq!(rules[0]["id"], "police.quarrel");
    let quarrel = rule("police.quarrel");
    assert_eq!(
        (
            quarrel["fired"].as_u64(),
            quarrel["correct"].as_u64(),
            quarrel["incorrect"].as_u64()
        ),
        (Some(2), Some(1), Some(1))
    );
    assert_eq!(quarrel["accuracy"], 0.5);
    assert!(quarrel["overlaps"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["rule"] == "non-police.neighbour" && o["conflict"] == true));
    let bike = rule("police.theft.bike");
    assert_eq!(
        (bike["fired"].as_u64(), bike["decided"].as_u64()),
        (Some(2), Some(0))
    );
    assert_eq!(bike["lost_to"][0]["rule"], "police.theft");
    let pothole = rule("non-police.pothole");
    assert_eq!(
        (pothole["fired"].as_u64(), pothole["coverage"].as_f64()),
        (Some(0), Some(0.0))
    );
    let generic = rule("non-police.generic");
    assert_eq!(generic["coverage"], 0.5);

    let police = v["routes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["route"] == "police")
        .unwrap();
    assert_eq!(police["decided"], 4);
    assert_eq!(police["wrong"], 1);
    let deciders: Vec<&str> = police["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap())
        .collect();
    assert_eq!(deciders, ["police.quarrel", "police.theft"]);

    let (code, out, _) = run(&[
        "analyze", "--rules", RULES, "--corpus", CORPUS, "--top", "2",
    ]);
    assert_eq!(code, 0);
    let table: Vec<&str> = out.lines().skip(3).take(3).collect();
    assert!(table[0].starts_with("police.quarrel"), "{out}");
    assert!(table[1].starts_with("non-police.generic"), "{out}");
    assert!(table[2].is_empty(), "--top 2 lists two rules: {out}");
    assert!(out.contains("!non-police.neighbour×1"), "{out}");
}

#[test]
fn diff_with_itself_reports_nothing_and_passes_the_gate() {
    let (code, out, err) = run(&[
        "diff",
        "--base",
        RULES,
        "--rules",
        RULES,
        "--corpus",
        CORPUS,
        "--max-drop",
        "macro_f1=0",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("no record changed route, category or hand-off"),
        "{out}"
    );
    assert!(
        out.contains("gate macro_f1: may drop at most 0.0000, dropped 0.0000: ok"),
        "{out}"
    );
}

#[test]
fn diff_lists_changed_records_with_both_explanations_and_gates_a_release() {
    let (_tmp, rules, _) = fixture_copy();
    // The fix for the conflicting pair: a quarrel alone is no police matter.
    edit(
        &rules.join("routes/base.yaml"),
        "any: [吵架, 打架]",
        "any: [打架]",
    );
    let (code, out, err) = run(&[
        "diff",
        "--base",
        RULES,
        "--rules",
        rules.to_str().unwrap(),
        "--corpus",
        CORPUS,
        "--format",
        "json",
        "--max-drop",
        "macro_f1=0.01",
    ]);
    assert_eq!(code, 0, "an improvement passes: {err}");
    let v = json(&out);
    let changes = v["changes"].as_array().unwrap();
    let lt04 = changes.iter().find(|c| c["id"] == "lt-04").unwrap();
    assert_eq!(lt04["base"]["route"], "police");
    assert_eq!(lt04["new"]["route"], "non-police");
    assert_eq!(lt04["base"]["deciding_rule"], "police.quarrel");
    assert_eq!(lt04["new"]["deciding_rule"], "non-police.neighbour");
    assert!(lt04["base"]["decided_by"]
        .as_str()
        .unwrap()
        .contains("police.quarrel"));
    let macro_f1 = v["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == "macro_f1")
        .unwrap();
    assert!(macro_f1["delta"].as_f64().unwrap() > 0.0, "{macro_f1}");

    // The other way round, the same change is a regression the gate stops.
    let (code, out, err) = run(&[
        "diff",
        "--base",
        rules.to_str().unwrap(),
        "--rules",
        RULES,
        "--corpus",
        CORPUS,
        "--max-drop",
        "macro_f1=0.01",
        "--max-drop",
        "emergency.recall=0",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("REGRESSED lt-04 (gold non-police)"), "{out}");
    assert!(out.contains("route:    non-police -> police"), "{out}");
    assert!(
        out.contains("gate macro_f1: may drop at most 0.0100, dropped"),
        "{out}"
    );
    assert!(out.contains(": FAILED"), "{out}");
    assert!(
        out.contains("gate emergency.recall: may drop at most 0.0000, dropped 0.0000: ok"),
        "{out}"
    );
    assert!(err.contains("release gate FAILED"), "{err}");
}

#[test]
fn diff_against_a_git_revision_and_clear_errors_for_bad_arguments() {
    let (tmp, rules, corpus) = fixture_copy();
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .arg("-C")
            .arg(tmp.path())
            .args(["-c", "user.name=t", "-c", "user.email=t@example.org"])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "lints-1"]);
    git(&["tag", "v1"]);
    let routes = rules.join("routes/base.yaml");
    edit(&routes, "any: [着火, 冒烟]", "any: [冒烟]");
    // The revision is exported into a private temporary directory, removed
    // afterwards.
    let scratch = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args([
            "diff",
            "--base",
            "v1",
            "--rules",
            rules.to_str().unwrap(),
            "--corpus",
            corpus.to_str().unwrap(),
            "--max-drop",
            "emergency.recall=0.1",
        ])
        .env("TMPDIR", scratch.path())
        .output()
        .unwrap();
    let (code, out, err) = (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(
        std::fs::read_dir(scratch.path()).unwrap().count(),
        0,
        "the export is removed"
    );
    assert!(out.contains("v1 ("), "the base names the revision: {out}");
    assert!(out.contains("REGRESSED lt-01 (gold emergency)"), "{out}");
    assert!(out.contains("REGRESSED lt-12 (gold emergency)"), "{out}");
    assert!(
        out.contains("gate emergency.recall: may drop at most 0.1000, dropped 1.0000: FAILED"),
        "{out}"
    );
    // The work tree was not touched.
    assert!(std::fs::read_to_string(&routes)
        .unwrap()
        .contains("any: [冒烟]"));

    let (code, _, err) = run(&[
        "diff",
        "--base",
        "no-such-tag",
        "--rules",
        rules.to_str().unwrap(),
        "--corpus",
        corpus.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("`--base no-such-tag` is neither a directory nor a git revision"),
        "{err}"
    );

    let (code, _, err) = run(&[
        "diff",
        "--base",
        RULES,
        "--corpus",
        CORPUS,
        "--max-drop",
        "macro_f2=0.1",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("`macro_f2` is not a metric; the metrics are macro_f1, accuracy"),
        "{err}"
    );
}

/// Headless Chromium: `FENLIU_CHROMIUM`, else /usr/bin/chromium. The test
/// script installs it; without it this test fails when
/// FENLIU_REQUIRE_CHROMIUM=1 and is skipped otherwise.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("FENLIU_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var("FENLIU_REQUIRE_CHROMIUM").as_deref() != Ok("1"),
        "FENLIU_REQUIRE_CHROMIUM=1 but no Chromium at {}",
        path.display()
    );
    eprintln!(
        "skipped: no Chromium at {} (set FENLIU_CHROMIUM)",
        path.display()
    );
    None
}

fn headless(chromium: &Path, profile: &Path, args: &[&str]) -> std::process::Output {
    Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn eval_html_is_self_contained_and_renders_in_headless_chromium() {
    let tmp = tempfile::tempdir().unwrap();
    let html = tmp.path().join("report.html");
    // A misrouted record whose text tries to close the script element.
    let corpus = tmp.path().join("corpus.jsonl");
    let mut text = std::fs::read_to_string(CORPUS).unwrap();
    text.push_str("{\"id\":\"lt-13\",\"text\":\"</script><b>x</b> 两个人在门口打架\",\"route\":\"non-police\"}\n");
    std::fs::write(&corpus, text).unwrap();
    let (code, out, err) = run(&[
        "eval",
        "--rules",
        RULES,
        "--corpus",
        corpus.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("macro-F1"),
        "the text report still prints: {out}"
    );
    let page = std::fs::read_to_string(&html).unwrap();
    assert_eq!(
        page.matches("</script>").count(),
        1,
        "the data cannot close the script"
    );
    for remote in ["http://", "https://", "src=\"//", "@import"] {
        assert!(
            !page.contains(remote),
            "the report loads nothing: found {remote}"
        );
    }
    assert!(page.contains("lt-13") && page.contains("police.quarrel"));

    let Some(chromium) = chromium() else { return };
    let profile = tmp.path().join("profile");
    let dom = headless(&chromium, &profile, &["--dump-dom", html.to_str().unwrap()]);
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(!dom.contains("data-errors"), "script errors: {dom}");
    assert!(
        dom.contains("data-rendered=\"ok\""),
        "the script did not finish: {dom}"
    );
    // What it rendered: the heat map's diagonal cell, a rule row, and the
    // misrouted record's span highlighted.
    assert!(dom.contains("police.theft.bike"), "per-rule table");
    assert!(dom.contains("<mark"), "highlighted spans");
    assert!(
        dom.contains("&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;"),
        "the text is shown as text"
    );

    let png = tmp.path().join("report.png");
    let shot = headless(
        &chromium,
        &profile,
        &[
            &format!("--screenshot={}", png.display()),
            "--window-size=1280,2000",
            html.to_str().unwrap(),
        ],
    );
    let bytes = std::fs::read(&png)
        .unwrap_or_else(|_| panic!("no screenshot: {}", String::from_utf8_lossy(&shot.stderr)));
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 10_000,
        "a real PNG"
    );
}

#[test]
fn shipped_schemas_are_generated_from_the_rule_types_and_referenced_by_rule_files() {
    let (code, out, err) = run(&["schema", "--check", "--out", "schemas"]);
    assert_eq!(
        code, 0,
        "schemas/ is stale; run `fenliu schema --out schemas`: {out}{err}"
    );
    let route = json(&std::fs::read_to_string("schemas/route-rules.schema.json").unwrap());
    // Generated from the raw types: what the loader accepts, no more.
    assert_eq!(route["properties"]["rules"]["type"], "array");
    let rule = &route["$defs"]["RawRule"];
    assert_eq!(rule["additionalProperties"], false);
    let required: BTreeSet<&str> = rule["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(
        required,
        BTreeSet::from([
            "id",
            "route",
            "category",
            "priority",
            "description",
            "when",
            "examples"
        ])
    );
    assert!(
        route.to_string().contains("\"legal-process\""),
        "routes are an enum"
    );

    // Every YAML file of the shipped rule set names the schema for its kind.
    let mut checked = 0;
    let mut stack = vec![PathBuf::from("rules")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            if p.extension().is_none_or(|x| x != "yaml") {
                continue;
            }
            let parent = p.parent().unwrap().file_name().unwrap().to_str().unwrap();
            let name = p.file_name().unwrap().to_str().unwrap();
            let want = match (parent, name) {
                (_, "fenliu.yaml") => "manifest.schema.json",
                (_, "policy.yaml") => "policy.schema.json",
                (_, "appeal-types.yaml") => "appeal-type-rules.schema.json",
                ("routes", _) => "route-rules.schema.json",
                ("knowledge", _) => "knowledge.schema.json",
                _ => panic!("a YAML file of no known kind: {}", p.display()),
            };
            let text = std::fs::read_to_string(&p).unwrap();
            let line = text
                .lines()
                .find_map(|l| l.strip_prefix("# yaml-language-server: $schema="))
                .unwrap_or_else(|| panic!("{} names no schema", p.display()));
            assert!(line.ends_with(want), "{}: {line}", p.display());
            let target = p.parent().unwrap().join(line);
            assert!(
                target.exists(),
                "{}: {} does not exist",
                p.display(),
                target.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 10, "{checked}");
}

/// Expands `dir/*.ext` the way a shell would (sorted); other words stay.
fn expand(word: &str) -> Vec<String> {
    let Some((dir, ext)) = word.split_once("/*.") else {
        return vec![word.to_string()];
    };
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .map(|p| p.display().to_string())
        .collect();
    files.sort();
    files
}

#[test]
fn the_readme_walk_through_runs_as_written() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let section = &readme[readme.find("### Maintaining rules").expect("the section")..];
    let block = section.split("```sh\n").nth(1).expect("a sh block");
    let block = &block[..block.find("```").unwrap()];
    let commands: Vec<&str> = block.lines().filter(|l| l.starts_with("fenliu ")).collect();
    let names: Vec<&str> = commands
        .iter()
        .map(|c| c.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(names, ["check", "analyze", "diff", "eval"], "{block}");
    let html = std::path::Path::new("/tmp/fenliu-report.html");
    let _ = std::fs::remove_file(html);
    for command in commands {
        let args: Vec<String> = command
            .split_whitespace()
            .skip(1)
            .flat_map(expand)
            .collect();
        let out = Command::new(BIN).args(&args).output().unwrap();
        assert!(
            out.status.success(),
            "`{command}` failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(std::fs::metadata(html).unwrap().len() > 10_000);
}

#[test]
fn check_json_reports_a_broken_rule_set_with_its_place() {
    let (_tmp, rules, _) = fixture_copy();
    edit(
        &rules.join("routes/base.yaml"),
        "priority: 75",
        "priority: 75\n    colour: red",
    );
    let (code, out, _) = run(&[
        "check",
        "--rules",
        rules.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code, 1);
    let v = json(&out);
    assert_eq!(v["ok"], false);
    let e = &v["errors"][0];
    assert!(
        e["file"].as_str().unwrap().ends_with("routes/base.yaml"),
        "{e}"
    );
    assert_eq!(e["rule"], "police.theft");
    assert!(e["line"].as_u64().is_some(), "{e}");
    assert!(e["reason"].as_str().unwrap().contains("colour"), "{e}");
}

#[test]
fn an_empty_corpus_and_an_unmeasured_gate_are_errors_not_passes() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("empty.jsonl");
    std::fs::write(&empty, "not json\n\n").unwrap();
    for args in [
        vec!["check", "--rules", RULES, "--corpus"],
        vec!["analyze", "--rules", RULES, "--corpus"],
        vec!["diff", "--base", RULES, "--rules", RULES, "--corpus"],
    ] {
        let mut args = args.clone();
        args.push(empty.to_str().unwrap());
        let (code, _, err) = run(&args);
        assert_eq!(code, 2, "{args:?}");
        assert!(
            err.contains("no labelled record in") && err.contains("(1 malformed line(s) skipped)"),
            "{args:?}: {err}"
        );
    }
    // `check --format json` answers in JSON even then.
    let (code, out, _) = run(&[
        "check",
        "--rules",
        RULES,
        "--format",
        "json",
        "--corpus",
        empty.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    let v = json(&out);
    assert_eq!(v["ok"], false);
    assert!(
        v["errors"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("no labelled record"),
        "{v}"
    );
    // The fixture corpus has no hand-off labels: a gate on them cannot pass.
    let (code, out, _) = run(&[
        "diff",
        "--base",
        RULES,
        "--rules",
        RULES,
        "--corpus",
        CORPUS,
        "--max-drop",
        "handoff_accuracy=0.01",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "gate handoff_accuracy: not measured on this corpus (no labels for it): FAILED"
        ),
        "{out}"
    );
}

#[test]
fn manifest_allowances_must_name_rules_that_exist() {
    let (_tmp, rules, _) = fixture_copy();
    edit(
        &rules.join("fenliu.yaml"),
        "lints:\n",
        "lints:\n  allow:\n    - lint: silent-rule\n      rules: [non-police.pothloe]\n    - lint: no-examples\n      rules: []\n",
    );
    let (code, _, err) = run(&["check", "--rules", rules.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("field `lints.allow.rules`: `silent-rule`: `non-police.pothloe` names no rule of this rule set"), "{err}");
    assert!(
        err.contains("`no-examples`: an empty `rules` list allows nothing"),
        "{err}"
    );
}
