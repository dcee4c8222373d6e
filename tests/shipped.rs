//! The shipped rule set: every rule's examples, the labelling standard's
//! own examples, the example city overlay, and the corpus score.

// Test and measurement code: a failure to set up is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::sync::Arc;

use common::shipped;
use fenliu::engine::{check_examples, Classifier};
use fenliu::eval::{evaluate, read_corpus};
use fenliu::rules::{load_rule_set, Route};

#[test]
fn every_shipped_rule_example_holds() {
    let c = shipped();
    let problems = check_examples(c.rules());
    let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert!(list.is_empty(), "{}", list.join("\n"));
    // Every route rule has at least one example that must match.
    for rule in &c.rules().rules {
        if rule.route().is_some() {
            assert!(
                !rule.examples.matches.is_empty(),
                "rule `{}` has no `match` example",
                rule.id
            );
        }
    }
}

#[test]
fn every_route_and_category_of_the_standard_has_a_rule() {
    let c = shipped();
    let rules = &c.rules().rules;
    for route in Route::ALL {
        if route == Route::IrrationalRepeat {
            continue; // repeat and burst come from history; content rules are checked below
        }
        assert!(
            rules.iter().any(|r| r.route() == Some(route)),
            "no rule for {route}"
        );
    }
    let readme = std::fs::read_to_string("corpus/README.md").unwrap();
    // The section under "## Categories", up to the next heading.
    let section = readme.split("## Categories").nth(1).unwrap();
    let section = section.split_once('\n').unwrap().1;
    let section = section.split("\n## ").next().unwrap();
    for cat in section.split('`').skip(1).step_by(2) {
        if matches!(cat, "repeat" | "burst") {
            continue;
        }
        assert!(
            rules.iter().any(|r| r.category() == cat),
            "no rule gives category `{cat}`"
        );
    }
}

/// The labelling standard's own examples (shared/domain/routes.md).
const STANDARD: &[(&str, Route)] = &[
    ("警察不来我就杀了他", Route::Emergency),
    ("不管我我就跳楼", Route::Emergency),
    ("他昨天说再来就打断我的腿", Route::Police),
    (
        "不服处罚决定，要申请行政复议，材料交哪",
        Route::LegalProcess,
    ),
    ("想申请信息公开", Route::LegalProcess),
    ("押金不退能不能告他", Route::NonPolice),
    ("打官司要请律师吗", Route::NonPolice),
    ("让警察帮我要回赌债", Route::IrrationalRepeat),
    ("刚才说着火是我编的", Route::IrrationalRepeat),
    ("没有人受伤", Route::NonPolice),
    ("不是着火，是邻居在烧烤", Route::NonPolice),
    ("如果着火了该打什么电话", Route::NonPolice),
    ("去年被偷过一次，现在想问问怎么装监控", Route::NonPolice),
    ("一股臭鸡蛋味", Route::Emergency),
    ("我爸叫不醒", Route::Emergency),
];

#[test]
fn the_standards_examples_route_as_it_says() {
    let c = shipped();
    let wrong: Vec<String> = STANDARD
        .iter()
        .map(|(text, want)| (text, want, c.classify_text(text)))
        .filter(|(_, want, d)| d.route != **want)
        .map(|(text, want, d)| {
            format!(
                "{text}: want {want}, got {} ({})",
                d.route, d.explanation.decided_by
            )
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn emergencies_hand_off_to_the_right_line() {
    let c = shipped();
    for (text, line) in [
        ("厨房里一股煤气味", "119"),
        ("我爸倒在地上叫不醒", "120"),
        ("有人拿着刀在楼下追着砍人", "110"),
    ] {
        let d = c.classify_text(text);
        assert_eq!(
            (d.route, d.handoff.as_deref()),
            (Route::Emergency, Some(line)),
            "{text}"
        );
    }
}

#[test]
fn the_example_overlay_moves_dogs_to_the_police() {
    let base = shipped();
    let city = Classifier::new(Arc::new(
        load_rule_set(Path::new("rules/overlays/dog-police")).unwrap(),
    ));
    assert!(check_examples(city.rules()).is_empty());
    let text = "邻居家的狗天天叫，遛狗也不牵绳";
    assert_eq!(base.classify_text(text).route, Route::NonPolice);
    let d = city.classify_text(text);
    assert_eq!(
        (d.route, d.handoff.as_deref()),
        (Route::Police, Some("辖区派出所（养犬管理）"))
    );
    // A base rule replaced by id, and a rule added.
    let d = city.classify_text("小区里一群流浪狗追着人咬");
    assert_eq!(
        (d.route, d.category.as_str()),
        (Route::Police, "stray-dogs")
    );
    assert_eq!(
        city.classify_text("养犬证在哪里办理").category,
        "dog-licence"
    );
    assert!(base.rules().rule("police.dog-licence").is_none());
    assert_eq!(city.rules().version, "2026.11.1-dog-police");
    // Everything else is the base's.
    assert_eq!(
        city.classify_text("厨房里一股煤气味").route,
        Route::Emergency
    );
}

#[test]
fn the_shipped_corpus_reaches_macro_f1_090() {
    let (records, skipped) = read_corpus(&common::corpus_files()).unwrap();
    assert!(skipped.is_empty(), "{skipped:?}");
    assert!(
        records.len() >= 800,
        "the corpus has {} records",
        records.len()
    );
    let e = evaluate(&shipped(), &records, skipped, |_| {});
    for route in Route::ALL {
        assert!(
            e.per_route[route.as_str()].support > 0,
            "no record for {route}"
        );
    }
    assert!(
        e.macro_f1 >= 0.90,
        "macro-F1 {} (accuracy {})",
        e.macro_f1,
        e.accuracy
    );
}
