//! Overlays on the minimal fixture: replace by id, add, disable, reroute,
//! and the errors an overlay can make.

// Test and measurement code: a failure to set up is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fs;
use std::path::Path;
use std::sync::Arc;

use common::copy_dir;
use fenliu::engine::Classifier;
use fenliu::rules::{load_rule_set, Route};

fn overlay(manifest: &str, rules: Option<&str>) -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(Path::new("tests/fixtures/minimal"), tmp.path());
    let dir = tmp.path().join("rules/overlays/city");
    fs::create_dir_all(dir.join("routes")).unwrap();
    fs::write(dir.join("fenliu.yaml"), manifest).unwrap();
    if let Some(r) = rules {
        fs::write(dir.join("routes/city.yaml"), r).unwrap();
    }
    (tmp, dir)
}

#[test]
fn an_overlay_replaces_adds_disables_and_reroutes() {
    let (_tmp, dir) = overlay(
        "version: city-1\nextends: ../..\ndisable: [non-police.noise]\nreroute:\n  - category: pets\n    route: police\n    handoff: 派出所\n",
        Some(
            "rules:\n  - id: emergency.fire\n    route: emergency\n    category: fire\n    handoff: \"119\"\n    priority: 90\n    description: fire, city words\n    when:\n      any: [起火]\n    examples:\n      match: [起火了]\n  - id: police.drunk\n    route: police\n    category: public-order\n    priority: 70\n    description: added\n    when:\n      any: [醉汉闹事]\n    examples:\n      match: [有醉汉闹事]\n",
        ),
    );
    let c = Classifier::new(Arc::new(load_rule_set(&dir).unwrap()));
    assert_eq!(c.rules().version, "city-1");
    // Replaced: the city's fire rule knows 起火 and no longer 着火.
    assert_eq!(c.classify_text("仓库起火了").route, Route::Emergency);
    assert_ne!(c.classify_text("仓库着火了").route, Route::Emergency);
    // Added.
    assert_eq!(c.classify_text("门口有醉汉闹事").route, Route::Police);
    // Disabled.
    assert!(c.rules().rule("non-police.noise").is_none());
    // Rerouted.
    let d = c.classify_text("邻居家狗叫一晚上");
    assert_eq!(
        (d.route, d.handoff.as_deref()),
        (Route::Police, Some("派出所"))
    );
}

#[test]
fn overlay_mistakes_are_reported() {
    let (_tmp, dir) = overlay(
        "version: city-2\nextends: ../..\ndisable: [no.such.rule]\nreroute:\n  - category: pets\n    route: polise\n",
        None,
    );
    let err = load_rule_set(&dir).unwrap_err().to_string();
    assert!(err.contains("`disable` names rule `no.such.rule`"), "{err}");
    assert!(
        err.contains("unknown route `polise` (did you mean `police`?)"),
        "{err}"
    );
}

#[test]
fn an_overlay_of_a_missing_base_is_an_error() {
    let (_tmp, dir) = overlay("version: city-3\nextends: ../nowhere\n", None);
    let err = load_rule_set(&dir).unwrap_err().to_string();
    assert!(err.contains("does not exist"), "{err}");
}

#[test]
fn a_repeat_in_a_base_rule_the_overlay_replaces_is_not_linted() {
    let (tmp, dir) = overlay(
        "version: city-3\nextends: ../..\n",
        Some("rules:\n  - id: emergency.fire\n    route: emergency\n    category: fire\n    handoff: \"119\"\n    priority: 90\n    description: fire, city words\n    when:\n      any: [起火]\n    examples:\n      match: [起火了]\n"),
    );
    let base = tmp.path().join("rules");
    let routes = fs::read_dir(base.join("routes"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            fs::read_to_string(p)
                .unwrap()
                .contains("id: emergency.fire")
        })
        .unwrap();
    let text = fs::read_to_string(&routes).unwrap();
    fs::write(
        &routes,
        text.replace("any: [着火, 冒烟]", "any: [着火, 冒烟, 着火]"),
    )
    .unwrap();
    let repeats = |dir: &Path| -> Vec<String> {
        let set = load_rule_set(dir).unwrap();
        fenliu::maintain::lint(&set, None)
            .findings
            .into_iter()
            .filter(|f| f.lint == "repeated-keyword")
            .map(|f| f.rule)
            .collect()
    };
    assert_eq!(repeats(&base), ["emergency.fire"]);
    // The overlay's own emergency.fire runs instead, and lists 起火 once.
    assert_eq!(repeats(&dir), Vec::<String>::new());
}
