//! The knowledge base: index build and rebuild on change, search relevance
//! on the shipped entries, hand-off selection, the fallback vote, and bad
//! queries answered cleanly.

// Test and measurement code: a failure to set up is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::sync::Arc;

use fenliu::engine::Classifier;
use fenliu::knowledge::{load_entries, open_for, KnowledgeBase};
use fenliu::rules::{load_rule_set, Route};

/// A classifier of `set` with its knowledge base.
fn with_kb(set: fenliu::rules::RuleSet) -> Classifier {
    let kb = open_for(&set, None).unwrap().unwrap();
    Classifier::new(Arc::new(set)).with_knowledge(Arc::new(kb))
}

fn minimal_with_kb() -> Classifier {
    with_kb(load_rule_set(Path::new("tests/fixtures/minimal/rules")).unwrap())
}

fn shipped_kb() -> &'static KnowledgeBase {
    static KB: std::sync::OnceLock<KnowledgeBase> = std::sync::OnceLock::new();
    KB.get_or_init(|| {
        let set = load_rule_set(Path::new("rules")).unwrap();
        open_for(&set, None).unwrap().unwrap()
    })
}

#[test]
fn the_index_is_built_once_per_digest_and_rebuilt_on_change() {
    let data = tempfile::tempdir().unwrap();
    let set = load_rule_set(Path::new("tests/fixtures/minimal/rules")).unwrap();
    let (entries, _) = load_entries(&set.knowledge_dirs).unwrap();
    assert_eq!(entries.len(), 4);
    let seg = set.segmenter().clone();
    let first =
        KnowledgeBase::open(entries.clone(), seg.clone(), Some(data.path()), &set.digest).unwrap();
    assert!(first.built);
    let dir = first.dir.clone().unwrap();
    assert!(dir.join("READY").exists());
    drop(first);
    let again =
        KnowledgeBase::open(entries.clone(), seg.clone(), Some(data.path()), &set.digest).unwrap();
    assert!(!again.built, "an unchanged knowledge base is reused");
    assert_eq!(again.search("工地半夜打桩", 1)[0].id, "kb.urban.noise");
    drop(again);
    let mut changed = entries;
    changed[1].cases.push("广场舞音响太吵".into());
    let rebuilt = KnowledgeBase::open(changed, seg, Some(data.path()), &set.digest).unwrap();
    assert!(rebuilt.built);
    assert_ne!(rebuilt.dir.clone().unwrap(), dir);
    assert!(!dir.exists(), "the index of the old content is removed");
}

/// (query, an entry id that must be in the top 3)
const RELEVANCE: &[(&str, &str)] = &[
    (
        "公司三个月没发工资，老板说没钱",
        "kb.labour.wage-arrears-inspection",
    ),
    ("想申请政府信息公开，申请表怎么填", "kb.disclosure"),
    ("劳动仲裁裁决下来了公司还是不给钱", "kb.labour-arb"),
    ("孩子刚出生，怎么上户口", "kb.hukou"),
    ("出租车司机绕路多收钱", "kb.transport"),
    ("村干部把低保名额给了亲戚", "kb.discipline"),
    ("家里一股煤气味，头晕", "kb.emergency"),
    ("楼上邻居天天半夜跺脚吵得睡不着", "kb."),
];

#[test]
fn search_finds_the_right_entries() {
    let kb = shipped_kb();
    assert!(kb.len() >= 250, "{} entries", kb.len());
    let mut misses = Vec::new();
    for (q, want) in RELEVANCE {
        let hits = kb.search(q, 3);
        if !hits.iter().any(|h| h.id.starts_with(want)) {
            misses.push(format!(
                "{q}: want {want}*, got {:?}",
                hits.iter().map(|h| &h.id).collect::<Vec<_>>()
            ));
        }
        for h in &hits {
            assert!(!h.matched_terms.is_empty(), "{q}: {} matched nothing", h.id);
            assert!(h.score > 0.0);
        }
    }
    assert!(misses.is_empty(), "{}", misses.join("\n"));
}

#[test]
fn bad_queries_are_answered_cleanly() {
    let kb = shipped_kb();
    assert!(kb.search("", 3).is_empty());
    assert!(kb.search("。。。！！？？～～", 3).is_empty());
    assert!(kb.search("的", 3).is_empty());
    let long = "楼上装修噪音很大".repeat(1_250);
    assert!(long.chars().count() >= 10_000);
    assert!(kb.search(&long, 3).len() <= 3);
    assert!(kb.vote("", 10).is_none());
}

#[test]
fn explanations_list_the_top_entries() {
    let c = minimal_with_kb();
    let d = c.classify_text("工地太吵，半夜还在打桩施工");
    assert_eq!(d.route, Route::NonPolice);
    assert!(!d.explanation.knowledge.is_empty());
    assert_eq!(d.explanation.knowledge[0].id, "kb.urban.noise");
    assert!(d.explanation.knowledge.len() <= 3);
}

#[test]
fn no_rule_fires_so_the_typical_cases_vote() {
    let c = minimal_with_kb();
    // No rule of the fixture knows 会员卡 or 跑路.
    let d = c.classify_text("健身房老板跑路了，我的会员卡还有两千块");
    assert!(d.explanation.hits.iter().all(|h| !h.counted));
    let vote = d.explanation.vote.clone().unwrap();
    assert_eq!(vote.route, Route::NonPolice);
    assert_eq!(vote.entries[0], "kb.market.refund");
    assert_eq!(d.category, "consumer");
    assert_eq!(d.handoff.as_deref(), Some("市场监督管理局（12315）"));
    assert!(d.review);
    assert!(
        d.explanation.decided_by.contains("知识库"),
        "{}",
        d.explanation.decided_by
    );
    // A vote can propose an emergency too; 疑警从有 still comes first.
    let d = c.classify_text("仓库那边起火了烟很大");
    assert_eq!(
        d.explanation.vote.as_ref().map(|v| v.route),
        Some(Route::Emergency)
    );
    assert_eq!(d.route, Route::Emergency);
    assert!(d.review);
}

#[test]
fn a_vote_does_not_revive_evidence_the_text_discounted() {
    let c = minimal_with_kb();
    // The same words as the fire the vote sends to 119, asked about: the
    // fire rule's hit is hypothetical, and the cases like it do not count
    // in its place.
    let d = c.classify_text("如果仓库那边着火了烟很大，该打哪个电话");
    let fire = d
        .explanation
        .hits
        .iter()
        .find(|h| h.rule == "emergency.fire")
        .expect("the fire rule fires");
    assert!(fire.hypothetical && !fire.counted, "{fire:?}");
    assert_ne!(d.route, Route::Emergency, "{}", d.explanation.decided_by);
    // Without the question, the rule decides.
    let d = c.classify_text("仓库那边着火了烟很大");
    assert_eq!(d.route, Route::Emergency);
}

/// The shipped rules with the route model switched off: the vote is what
/// decides an appeal no rule decides in a rule set without one.
fn without_route_model() -> fenliu::rules::RuleSet {
    let mut set = load_rule_set(Path::new("rules")).unwrap();
    assert!(set.route_model.is_some(), "the shipped rules name a model");
    set.route_model = None;
    set
}

#[test]
fn a_vote_never_makes_a_repeat_out_of_words() {
    let c = with_kb(without_route_model());
    // A second call in the caller's words: the entries that explain the
    // repeat policy are the most alike, and only history may call it one.
    let second = "喂，我上个礼拜打过的，巷子口那个下水井还是冒臭水，你们到底派人来了没有？";
    let d = c.classify_text(second);
    let vote = d
        .explanation
        .vote
        .clone()
        .expect("no rule fired: the cases vote");
    assert_eq!(vote.route, Route::IrrationalRepeat, "{vote:?}");
    assert_ne!(
        d.route,
        Route::IrrationalRepeat,
        "{}",
        d.explanation.decided_by
    );
    assert!(!matches!(d.category.as_str(), "repeat" | "burst"));
    // With as many earlier appeals on record as a repeat needs (two today,
    // worded too differently for the similarity), the same words may say
    // what the similarity missed.
    let store = fenliu::history::MemoryStore::new();
    let t0 = 1_780_000_000;
    let calls = [
        "市民来电反映：其居住的巷子口下水井长期外溢污水，气味难闻，要求市政部门疏通。",
        "那个井盖边上一直往外冒黑水，臭死了，到现在没人来",
        second,
    ];
    let mut last = None;
    for (i, text) in calls.iter().enumerate() {
        let a = fenliu::engine::Appeal {
            id: Some(format!("drain-{i}")),
            text: (*text).into(),
            caller: Some("13900000000".into()),
            received_at: Some(t0 + i as i64 * 3_600),
        };
        last = Some(c.classify(&a, &store, t0 + 10_000));
    }
    let d = last.unwrap();
    assert_eq!(
        d.explanation.repeat.burst_count, 3,
        "{:?}",
        d.explanation.repeat
    );
    assert!(
        !d.explanation.repeat.repeat,
        "the similarity found it: no vote needed"
    );
    assert_eq!(
        d.route,
        Route::IrrationalRepeat,
        "{}",
        d.explanation.decided_by
    );
}

#[test]
fn a_non_police_decision_without_a_handoff_takes_the_best_department() {
    let c = minimal_with_kb();
    // The fixture's noise rule names 城管; with the vote path, the handoff comes
    // from the knowledge base: the lift entry for a lift complaint.
    let d = c.classify_text("我们小区电梯又坏了，物业一直拖着不修");
    assert_eq!(d.route, Route::NonPolice);
    assert_eq!(
        d.handoff.as_deref(),
        Some("住房和城乡建设局（物业监管）"),
        "{:?}",
        d.explanation
    );
}

#[test]
fn broken_knowledge_files_are_reported_with_their_place() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.yaml"),
        "entries:\n  - id: kb.a\n    title: t\n    body: b\n    handoff: h\n    route: polise\n    category: c\n    keywords: [k]\n    cases: [c]\n  - id: kb.a\n    title: t\n    body: b\n    handoff: h\n    route: police\n    category: c\n    keywords: []\n    cases: [c]\n",
    )
    .unwrap();
    let err = load_entries(&[dir.path().to_path_buf()])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("bad.yaml:2: rule `kb.a`") && err.contains("polise"),
        "{err}"
    );
    assert!(err.contains("`keywords` is an empty list"), "{err}");
}

#[test]
fn without_a_majority_of_cases_the_closest_entry_proposes() {
    let c = with_kb(without_route_model());
    // No rule covers a maths homework request; the similar cases split.
    let d = c.classify_text("有道数学题不会 你们能讲讲不");
    assert!(
        d.explanation.hits.iter().all(|h| !h.counted),
        "a rule fired: {:?}",
        d.explanation.hits
    );
    assert!(d.explanation.vote.as_ref().is_some_and(|v| v.share < 0.5));
    let closest = d.explanation.knowledge.first().expect("a closest entry");
    assert_eq!(d.route, closest.route, "{}", d.explanation.decided_by);
    assert_eq!(
        d.route,
        Route::IrrationalRepeat,
        "{}",
        d.explanation.decided_by
    );
    assert!(d.review);
    assert!(
        d.explanation.decided_by.contains("最相近的知识条目"),
        "{}",
        d.explanation.decided_by
    );
}

#[test]
fn a_model_decision_takes_category_and_department_from_the_closest_entry_of_its_route() {
    let c = with_kb(load_rule_set(Path::new("rules")).unwrap());
    // No rule covers a maths homework request; the route model does.
    let d = c.classify_text("有道数学题不会 你们能讲讲不");
    let m = d
        .explanation
        .model
        .as_ref()
        .expect("no rule decides: the model is asked");
    assert!(m.decided, "{m:?}");
    assert_eq!(d.route, m.route);
    assert!(d.explanation.vote.is_none(), "the model decided: no vote");
    let id = d.explanation.decided_by.rsplit("知识条目 ").next().unwrap();
    let entry = c
        .knowledge()
        .unwrap()
        .entry(id)
        .unwrap_or_else(|| panic!("{}", d.explanation.decided_by));
    assert_eq!(entry.route, d.route);
    assert_eq!(d.category, entry.category);
    assert_eq!(d.handoff.as_deref(), Some(entry.handoff.as_str()));
}

#[test]
fn the_model_never_makes_a_repeat_out_of_words_either() {
    let c = with_kb(load_rule_set(Path::new("rules")).unwrap());
    // A follow-up in a repeat caller's words, with no history on record.
    let d = c.classify_text("喂，还是我，昨天那个事你们到底管不管");
    assert!(
        d.explanation.model.as_ref().is_some_and(|m| m.decided),
        "no rule decides: the model does ({})",
        d.explanation.decided_by
    );
    assert!(
        !matches!(d.category.as_str(), "repeat" | "burst"),
        "{}: {}",
        d.category,
        d.explanation.decided_by
    );
    let repeat_handoff = c.rules().policy.repeat.handoff.clone();
    assert_ne!(d.handoff, repeat_handoff, "{}", d.explanation.decided_by);
}
