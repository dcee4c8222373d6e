//! Engine behaviour on the minimal fixture rule set: cue scopes, spans,
//! precedence, fallbacks, appeal types, and the repeat and burst policy.

// Test and measurement code: a failure to set up is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{at, minimal};
use fenliu::engine::{Appeal, Classifier, HistoryStatus};
use fenliu::history::{HistoryStore, MemoryStore};
use fenliu::rules::Route;

macro_rules! route {
    ($name:ident, $text:expr, $route:expr) => {
        #[test]
        fn $name() {
            let d = minimal().classify_text($text);
            assert_eq!(d.route, $route, "{}: {}", $text, d.explanation.decided_by);
        }
    };
}

route!(fire_counts, "楼下着火了，好大的烟", Route::Emergency);
route!(
    negated_fire_does_not_count,
    "不是着火，是邻居家在做饭",
    Route::NonPolice
);
route!(
    hypothetical_fire_does_not_count,
    "如果着火了该打什么电话",
    Route::NonPolice
);
route!(
    past_fire_does_not_count,
    "去年楼下着火过一次",
    Route::NonPolice
);
route!(
    terminator_ends_the_scope,
    "没有噪音，但是楼下着火了",
    Route::Emergency
);
route!(
    emergency_beats_noise,
    "工地太吵，刚才还冒烟了",
    Route::Emergency
);
route!(keywords_from_a_file, "我的电动车被偷了", Route::Police);
route!(noise_alone_is_non_police, "隔壁工地太吵", Route::NonPolice);
route!(traditional_characters_match, "樓下著火了", Route::Emergency);
route!(
    noise_between_characters_is_ignored,
    "楼下着~ 火了",
    Route::Emergency
);

#[test]
fn spans_point_into_the_original_text() {
    let text = "（急）樓下 著火 了！！";
    let d = minimal().classify_text(text);
    let hit = &d.explanation.hits[0];
    assert_eq!(hit.rule, "emergency.fire");
    let span = &hit.spans[0];
    assert_eq!(span.text, "著火");
    let chars: Vec<char> = text.chars().collect();
    assert_eq!(
        chars[span.start..span.end].iter().collect::<String>(),
        "著火"
    );
    assert!(
        d.explanation.decided_by.contains("emergency.fire"),
        "{}",
        d.explanation.decided_by
    );
    assert_eq!(d.ruleset.version, "test-1");
    assert_eq!(d.ruleset.digest.len(), 64);
}

#[test]
fn negated_hits_are_listed_but_not_counted() {
    let d = minimal().classify_text("没有着火，就是工地太吵");
    let fire = d
        .explanation
        .hits
        .iter()
        .find(|h| h.rule == "emergency.fire")
        .unwrap();
    assert!(fire.negated && !fire.counted);
    assert_eq!(d.route, Route::NonPolice);
    assert_eq!(d.category, "noise");
}

#[test]
fn nothing_fires_falls_back_with_review() {
    let d = minimal().classify_text("你好，我想反映个事情");
    assert_eq!(d.route, Route::NonPolice);
    assert!(d.review);
    assert!(d.explanation.hits.is_empty());
}

#[test]
fn danger_cues_lean_to_the_police() {
    let d = minimal().classify_text("救命啊快来人");
    assert_eq!(d.route, Route::Police);
    assert!(d.review);
    assert!(
        d.explanation.decided_by.contains("疑警从有"),
        "{}",
        d.explanation.decided_by
    );
}

#[test]
fn discounted_danger_cues_do_not_lean_to_the_police() {
    // (text, leans to the police): a danger cue under a negation,
    // hypothetical or past cue signals nothing now.
    let cases = [
        ("楼道里堆的东西有点危险", true),
        ("楼道里堆的东西没有危险，就是碍事", false),
        ("万一出人命了谁负责，先问问", false),
        ("昨天差点出人命，现在想问问滑梯谁来修", false),
    ];
    let c = minimal();
    check_danger_leans(&c, &cases);
}

fn check_danger_leans(c: &Classifier, cases: &[(&str, bool)]) {
    for &(text, leans) in cases {
        let d = c.classify_text(text);
        assert_eq!(
            d.route == Route::Police,
            leans,
            "{text}: {}",
            d.explanation.decided_by
        );
    }
}

#[test]
fn danger_words_in_a_figure_of_speech_do_not_lean_to_the_police() {
    let (_tmp, c) = minimal_policy_after(
        "  danger_route: police\n",
        "  danger_pseudo: [救命稻草, 烦死人]\n",
    );
    check_danger_leans(
        &c,
        &[
            ("这笔补助是我们家的救命稻草，审批到哪一步了", false),
            ("门口天天堆垃圾，烦死人", false),
            // The same words outside the figure still count.
            ("快救命，门口有人", true),
            ("门口躺着个死人", true),
        ],
    );
}

#[test]
fn appeal_type_comes_from_cue_rules_over_the_rule_default() {
    let d = minimal().classify_text("请问工地太吵归谁管");
    assert_eq!(d.appeal_type, "咨询");
    let d = minimal().classify_text("工地太吵");
    assert_eq!(d.appeal_type, "投诉");
    // Emergencies are always calls for help.
    let d = minimal().classify_text("请问楼下着火了怎么办");
    assert_eq!(
        (d.route, d.appeal_type.as_str()),
        (Route::Emergency, "求助")
    );
}

#[test]
fn confidence_is_a_probability() {
    for text in ["楼下着火了", "工地太吵", "你好", "工地太吵，还冒烟"] {
        let d = minimal().classify_text(text);
        assert!(
            (0.0..=1.0).contains(&d.confidence),
            "{text}: {}",
            d.confidence
        );
    }
}

fn appeal(id: &str, caller: &str, minutes: i64, text: &str) -> Appeal {
    Appeal {
        id: Some(id.into()),
        text: text.into(),
        caller: Some(caller.into()),
        received_at: Some(at(minutes)),
    }
}

const DAY: i64 = 24 * 60;

#[test]
fn the_third_near_duplicate_is_a_repeat() {
    let c = minimal();
    let h = MemoryStore::new();
    let d1 = c.classify(&appeal("a1", "p1", 0, "幸福小区旁边工地晚上太吵"), &h, 0);
    let d2 = c.classify(
        &appeal("a2", "p1", 3 * DAY, "幸福小区工地又太吵了，晚上睡不着"),
        &h,
        0,
    );
    let d3 = c.classify(
        &appeal("a3", "p1", 6 * DAY, "还是幸福小区那个工地，太吵"),
        &h,
        0,
    );
    assert_eq!((d1.route, d2.route), (Route::NonPolice, Route::NonPolice));
    assert_eq!(
        d3.route,
        Route::IrrationalRepeat,
        "{}",
        d3.explanation.decided_by
    );
    assert_eq!(d3.category, "repeat");
    assert_eq!(d3.explanation.repeat.earlier.len(), 2);
    assert!(d3.explanation.repeat.recorded);
}

/// The repeat policy may name the appeal type of the repeats it decides
/// (a caller back about an answered matter complains); without it, the
/// route's default applies.
#[test]
fn a_repeat_the_history_decides_takes_the_policys_appeal_type() {
    let calls = [
        (0, "幸福小区旁边工地晚上太吵"),
        (3 * DAY, "幸福小区工地又太吵了，晚上睡不着"),
        (6 * DAY, "还是幸福小区那个工地，太吵"),
    ];
    for (extra, want) in [("", "求助"), ("  appeal_type: 投诉\n", "投诉")] {
        let (_tmp, c) = minimal_repeat_policy(extra);
        let h = MemoryStore::new();
        let mut last = None;
        for (i, (minutes, text)) in calls.iter().enumerate() {
            last = Some(c.classify(&appeal(&format!("t{i}"), "p1", *minutes, text), &h, 0));
        }
        let d3 = last.expect("three calls");
        assert_eq!(d3.route, Route::IrrationalRepeat, "{extra:?}");
        assert_eq!(d3.appeal_type, want, "{extra:?}");
    }
}

#[test]
fn a_different_matter_or_another_caller_is_no_repeat() {
    let c = minimal();
    let h = MemoryStore::new();
    c.classify(&appeal("b1", "p2", 0, "幸福小区旁边工地晚上太吵"), &h, 0);
    c.classify(&appeal("b2", "p2", DAY, "幸福小区工地又太吵了"), &h, 0);
    let other_caller = c.classify(&appeal("b3", "p3", 2 * DAY, "幸福小区工地太吵"), &h, 0);
    assert_eq!(other_caller.route, Route::NonPolice);
    let other_matter = c.classify(&appeal("b4", "p2", 2 * DAY, "邻居家狗叫一晚上"), &h, 0);
    assert_eq!(other_matter.route, Route::NonPolice);
}

#[test]
fn the_window_is_thirty_days() {
    let c = minimal();
    let h = MemoryStore::new();
    c.classify(&appeal("w1", "p4", 0, "幸福小区旁边工地晚上太吵"), &h, 0);
    c.classify(&appeal("w2", "p4", 5 * DAY, "幸福小区工地又太吵了"), &h, 0);
    let d = c.classify(
        &appeal("w3", "p4", 32 * DAY, "幸福小区那个工地，太吵"),
        &h,
        0,
    );
    assert_eq!(d.route, Route::NonPolice, "{:?}", d.explanation.repeat);
}

#[test]
fn the_same_id_is_counted_once() {
    let c = minimal();
    let h = MemoryStore::new();
    c.classify(&appeal("s1", "p5", 0, "幸福小区旁边工地晚上太吵"), &h, 0);
    let again = c.classify(&appeal("s1", "p5", 1, "幸福小区旁边工地晚上太吵"), &h, 0);
    assert!(!again.explanation.repeat.recorded);
    let d = c.classify(&appeal("s2", "p5", 2, "幸福小区工地太吵"), &h, 0);
    assert_eq!(
        d.route,
        Route::NonPolice,
        "a resent id must not count twice"
    );
    assert_eq!(d.explanation.repeat.earlier.len(), 1);
}

#[test]
fn the_fifth_appeal_in_a_day_is_a_burst_but_an_emergency_stays_one() {
    let c = minimal();
    let h = MemoryStore::new();
    let texts = ["工地太吵", "邻居家狗叫", "你好", "我的电动车被偷了"];
    for (i, t) in texts.iter().enumerate() {
        let d = c.classify(&appeal(&format!("u{i}"), "p6", i as i64 * 60, t), &h, 0);
        assert_ne!(
            d.route,
            Route::IrrationalRepeat,
            "appeal {i} is not yet a burst"
        );
    }
    let fifth = c.classify(&appeal("u4", "p6", 5 * 60, "遛狗不牵绳"), &h, 0);
    assert_eq!(
        (fifth.route, fifth.category.as_str()),
        (Route::IrrationalRepeat, "burst")
    );
    assert_eq!(fifth.explanation.repeat.burst_count, 5);
    let sixth = c.classify(&appeal("u5", "p6", 6 * 60, "楼下着火了"), &h, 0);
    assert_eq!(
        sixth.route,
        Route::Emergency,
        "precedence keeps an emergency"
    );
    assert!(sixth.explanation.repeat.burst);
}

#[test]
fn an_unreachable_store_still_classifies() {
    let d = minimal().classify(&appeal("x1", "p7", 0, "楼下着火了"), &common::DownStore, 0);
    assert_eq!(d.route, Route::Emergency);
    assert_eq!(d.explanation.repeat.status, HistoryStatus::Unavailable);
    assert!(!d.explanation.repeat.recorded);
}

#[test]
fn no_caller_means_no_history() {
    let h = MemoryStore::new();
    let a = Appeal {
        id: Some("n1".into()),
        text: "工地太吵".into(),
        caller: None,
        received_at: None,
    };
    let d = minimal().classify(&a, &h, at(0));
    assert_eq!(d.explanation.repeat.status, HistoryStatus::NoCaller);
    assert!(!h.contains("n1").unwrap());
}

#[test]
fn regex_only_rules_run_behind_their_literal() {
    let d = minimal().classify_text("我的车牌瓊Ａ12345丢了要补办");
    assert_eq!(
        (d.route, d.category.as_str()),
        (Route::Police, "vehicle-admin"),
        "{}",
        d.explanation.decided_by
    );
    let span = &d.explanation.hits[0].spans[0];
    assert!(span.text.starts_with("瓊Ａ12345"), "{}", span.text);
    assert_eq!(minimal().classify_text("车牌补办").route, Route::NonPolice);
}

/// A regex runs only when the automaton found each part it requires; an
/// `unless` regex that is only words is searched as keywords. Both must
/// change nothing about what fires: (text, fires).
#[test]
fn gated_regexes_fire_exactly_as_the_regex_says() {
    let (_tmp, c) = minimal_with(
        "gated.yaml",
        r#"rules:
  - id: emergency.fell-in
    route: emergency
    category: drowning
    handoff: "119"
    priority: 91
    description: a person fell into water
    when:
      regex: ['(人|孩子|老人)[^，。]{0,6}(掉|落)(进|到)了?[^，。]{0,6}(河|水塘)']
    unless:
      regex: ['担心|手机|钥匙']
      scope: clause
    examples:
      match: [有个孩子掉进河里了]
      no_match: [孩子的手机掉进河里了]
"#,
    );
    let cases: &[(&str, bool)] = &[
        ("有个孩子掉进河里了，快来", true),
        ("老人刚才落到水塘里", true),
        ("一个人 掉~进 了河", true),
        ("有個孩子掉進河裡了", true),
        // Every part present, but not in the regex's order or reach.
        ("河边有人说东西掉进去了", false),
        ("孩子掉进沟里，不是河", false),
        ("掉进河里的是孩子", false),
        // The `unless` words, in the hit's clause or another one.
        ("孩子的手机掉进河里了", false),
        ("我担心孩子掉进河里", false),
        ("钥匙丢了。孩子掉进河里了", true),
    ];
    assert_fires(&c, "emergency.fell-in", cases);
}

/// A clause-scoped `unless` regex touches the rule's evidence in every
/// clause it runs through: one written across a comma ties the clauses it
/// joins, and still leaves a clause it does not reach alone. (text, fires)
#[test]
fn a_clause_scoped_unless_regex_reaches_every_clause_it_spans() {
    let (_tmp, c) = minimal_with(
        "spanning.yaml",
        r#"rules:
  - id: emergency.carried-off
    route: emergency
    category: kidnapping
    handoff: "110"
    priority: 92
    description: someone carried into a van
    when:
      regex: ['抱上[^，。]{0,4}面包车']
    unless:
      regex: ['把(它|狗)[^。]{0,12}抱上']
      scope: clause
    examples:
      match: [一个男的把孩子一把抱上面包车]
"#,
    );
    let cases: &[(&str, bool)] = &[
        ("一个男的把孩子一把抱上面包车", true),
        // The unless match starts a clause before the evidence.
        ("他拿火腿肠把它引过去，一把抱上面包车就跑了", false),
        ("他把狗一把抱上面包车", false),
        // A dog in another sentence: the regex does not reach it.
        ("我家狗在叫。一个男的一把抱上面包车就跑了", true),
    ];
    assert_fires(&c, "emergency.carried-off", cases);
}

/// A terminator ends a negation's scope unless it sits inside one of the
/// cue's pseudo-cues: with 的 a terminator and 真的 a pseudo-cue, "未清理的"
/// negates only its own attributive, while "不是真的" still negates what
/// follows. (text, the fire counts)
#[test]
fn a_terminator_inside_a_pseudo_cue_ends_no_scope() {
    let (_tmp, rules) = minimal_policy_edited(&[
        (
            "    terminators: [但是, 但, 可是, 不过,",
            "    terminators: [的, 但是, 但, 可是, 不过,",
        ),
        (
            "未婚, 没收, 淹没, 出没, 埋没, 没错, 没问题, 没关系]",
            "未婚, 没收, 淹没, 出没, 埋没, 没错, 没问题, 没关系, 真的]",
        ),
    ]);
    let c = classifier_of(&rules);
    let cases: &[(&str, bool)] = &[
        ("没有着火，是邻居家在做饭", false),
        ("楼道里没清理的纸箱着火了", true),
        ("不是真的着火，是邻居家在做饭", false),
    ];
    assert_fires(&c, "emergency.fire", cases);
}

/// A cue that crosses sentences takes back what came before it over full
/// stops and exclamation marks, to its window; the same cue without the flag
/// stays in its own clause. (text, the fire counts with the flag, without)
#[test]
fn a_cue_across_sentences_reaches_back_over_sentence_ends() {
    let cue = |across: &str| {
        format!("  - kind: negated\n    following: [哦，不是]\n    window: 20\n{across}")
    };
    let (_a, across) = minimal_policy_after("cues:\n", &cue("    across_sentences: true\n"));
    let (_b, within) = minimal_policy_after("cues:\n", &cue(""));
    let cases: &[(&str, bool, bool)] = &[
        ("着火了！哦，不是，是邻居在烧烤", false, true),
        ("楼下着火了。。。哦，不是，是在烧烤", false, true),
        // Twenty characters back from the cue do not reach the fire.
        (
            "着火了！我刚才在阳台上晾衣服看到楼下院子里一大片，哦，不是，是在烧烤",
            true,
            true,
        ),
        // A following cue takes back only what came before it.
        ("哦，不是，是楼下着火了", true, true),
        ("楼下着火了，快来", true, true),
    ];
    for &(text, with_flag, without) in cases {
        assert_fires(&across, "emergency.fire", &[(text, with_flag)]);
        assert_fires(&within, "emergency.fire", &[(text, without)]);
    }
}

/// A short quotation holding one of the policy's words is someone's word for
/// what happened: police evidence inside it (or starting at the 被 before
/// it) does not count, even for a rule that ignores hypothetical cues, and
/// the hit says `quoted`; a quotation after a shout, a longer one and one
/// without the words still count. (rule, text, the fire counts)
#[test]
fn a_scare_quote_discounts_the_evidence_inside_it() {
    let (_tmp, rules) = minimal_policy_edited(&[(
        "decisive_priority: 50\n",
        "decisive_priority: 50\nscare_quotes:\n  max_chars: 4\n  words: [偷, 敲诈, 勒索]\n  not_after: [喊]\n  routes: [police]\n",
    )]);
    std::fs::write(
        rules.join("routes").join("blackmail.yaml"),
        r#"rules:
  - id: police.blackmail
    route: police
    category: threat-harassment
    handoff: 派出所
    priority: 72
    description: extortion, a threat even when put as a condition
    ignore_cues: [hypothetical]
    when:
      any: [敲诈]
    examples:
      match: [他要是不给钱就敲诈我]
  - id: police.extortion-word
    route: police
    category: threat-harassment
    handoff: 派出所
    priority: 72
    description: extortion named, even in quotation marks
    ignore_cues: [quoted]
    when:
      any: [勒索]
    examples:
      match: [他说我“勒索”他]
"#,
    )
    .unwrap();
    let c = classifier_of(&rules);
    let cases: &[(&str, &str, bool)] = &[
        ("police.theft", "我的电动车被偷了", true),
        (
            "police.theft",
            "同事到处说我的电动车是被“偷”了，其实是他自己借走的",
            false,
        ),
        ("police.theft", "他说我“偷走”了他的笔", false),
        ("police.theft", "有人大喊“偷走了”，我的电动车没了", true),
        ("police.theft", "他说“我的电动车昨晚被偷走了”", true),
        ("police.theft", "“电动车”被偷了", true),
        // The shout's verb a colon away, and a quotation inside a quotation.
        ("police.theft", "有人大喊：“偷走了”，我的电动车没了", true),
        ("police.theft", "他说“我被‘偷’”是瞎说", false),
        // A rule that ignores `quoted` counts inside one.
        ("police.extortion-word", "他说我“勒索”他", true),
        ("police.blackmail", "店老板敲诈我三千块", true),
        (
            "police.blackmail",
            "碰倒一个花瓶老板要赔三千，来电人认为被“敲诈”",
            false,
        ),
    ];
    for (rule, text, counts) in cases {
        assert_fires(&c, rule, &[(text, *counts)]);
    }
    // The hit says why it does not count.
    for (rule, text) in [
        ("police.theft", "同事说我的电动车是被“偷”了"),
        ("police.blackmail", "来电人认为被“敲诈”"),
    ] {
        let d = c.classify_text(text);
        let hit = hit_of(&d, rule);
        assert!(
            hit.is_some_and(|h| h.quoted && !h.hypothetical && !h.counted),
            "{text}: {:?}",
            d.explanation.hits
        );
    }
}

/// The hit of `rule` in a decision's explanation.
fn hit_of<'a>(d: &'a fenliu::engine::Decision, rule: &str) -> Option<&'a fenliu::engine::Hit> {
    d.explanation.hits.iter().find(|h| h.rule == rule)
}

/// Keywords with `tokens: true` count only as whole tokens of the
/// segmentation; spans still point into the caller's text. (text, fires)
#[test]
fn token_keywords_match_whole_tokens_only() {
    let (_tmp, c) = minimal_with(
        "tokens.yaml",
        r#"rules:
  - id: police.whole-word
    route: police
    category: public-order
    priority: 70
    description: a whole word, not a part of a longer one
    when:
      any: [人民]
      tokens: true
    examples:
      match: [为人民服务]
"#,
    );
    let cases: &[(&str, bool)] = &[
        ("为人民服务", true),
        ("為 人~民 服務", true),
        ("ＡＢ为人民服务", true),
        ("中华人民共和国", false),
    ];
    for (text, fires) in cases {
        let d = c.classify_text(text);
        let hit = hit_of(&d, "police.whole-word");
        assert_eq!(
            hit.is_some(),
            *fires,
            "{text}: {}",
            d.explanation.decided_by
        );
        if let Some(h) = hit {
            let chars: Vec<char> = text.chars().collect();
            let s = &h.spans[0];
            let cut: String = chars[s.start..s.end].iter().collect();
            assert_eq!(cut, s.text, "{text}");
            assert!(
                s.text.starts_with('人') && s.text.ends_with('民'),
                "{text}: {}",
                s.text
            );
        }
    }
}

/// An `unless` regex that is more than words runs only when the automaton
/// found its required parts, and still stops the rule when it matches.
#[test]
fn gated_unless_regexes_stop_exactly_as_the_regex_says() {
    let (_tmp, c) = minimal_with(
        "gated-unless.yaml",
        r#"rules:
  - id: police.scam-paid
    route: police
    category: fraud
    priority: 80
    description: paid someone who then vanished
    when:
      any: [骗子, 被骗]
    unless:
      regex: ['(还没|没有)(付|给|转)(钱|款).{0,8}(拉黑|失联)']
    examples:
      match: [我被骗了，转了钱就把我拉黑了]
      no_match: [我还没转钱他就把我拉黑了，怕是骗子]
"#,
    );
    let cases: &[(&str, bool)] = &[
        ("我被骗了，转了钱就把我拉黑了", true),
        ("我还没转钱他就把我拉黑了，怕是骗子", false),
        ("我還沒轉錢他就把我拉黑了，怕是騙子", false),
        // Parts present but out of the regex's order: it does not match.
        ("拉黑我的骗子，我还没转钱", true),
        // Some parts missing: the regex cannot match and does not run.
        ("骗子把我拉黑了", true),
    ];
    assert_fires(&c, "police.scam-paid", cases);
}

/// The minimal fixture plus one more rule file; keep the directory alive.
fn minimal_with(file: &str, yaml: &str) -> (tempfile::TempDir, Classifier) {
    let (tmp, rules) = common::minimal_copy();
    std::fs::write(rules.join("routes").join(file), yaml).unwrap();
    (tmp, classifier_of(&rules))
}

/// For each (text, fires): whether `rule` fired on the text and counted.
fn assert_fires(c: &Classifier, rule: &str, cases: &[(&str, bool)]) {
    for (text, fires) in cases {
        let d = c.classify_text(text);
        let counted = d
            .explanation
            .hits
            .iter()
            .any(|h| h.rule == rule && h.counted);
        assert_eq!(counted, *fires, "{text}: {}", d.explanation.decided_by);
    }
}

/// The minimal rule set with `extra` added to its repeat policy.
fn minimal_repeat_policy(extra: &str) -> (tempfile::TempDir, Classifier) {
    minimal_policy_after("  min_shared_words: 2\n", extra)
}

/// The minimal rule set with `extra` inserted in its policy after the line
/// `after`.
fn minimal_policy_after(after: &str, extra: &str) -> (tempfile::TempDir, Classifier) {
    let (tmp, rules) = minimal_policy_edited(&[(after, &format!("{after}{extra}"))]);
    (tmp, classifier_of(&rules))
}

/// A copy of the minimal rule set whose policy has each `(from, to)` edit
/// made once (`from` must be there); keep the directory alive.
fn minimal_policy_edited(edits: &[(&str, &str)]) -> (tempfile::TempDir, std::path::PathBuf) {
    let (tmp, rules) = common::minimal_copy();
    let path = rules.join("policy.yaml");
    let mut policy = std::fs::read_to_string(&path).unwrap();
    for (from, to) in edits {
        assert!(policy.contains(from), "the minimal policy has no `{from}`");
        policy = policy.replacen(from, to, 1);
    }
    std::fs::write(&path, policy).unwrap();
    (tmp, rules)
}

fn classifier_of(rules: &std::path::Path) -> Classifier {
    Classifier::new(std::sync::Arc::new(
        fenliu::rules::load_rule_set(rules).unwrap(),
    ))
}

#[test]
fn a_caller_who_refers_back_points_at_the_matter() {
    let (_tmp, c) = minimal_repeat_policy("  same_matter_cues: [又是我, 还是那件事, 上次那件事]\n");
    // Two calls about one shop's loudspeaker, then a third that shares no
    // word with them: by words alone it is another matter.
    let run = |caller: &str, third: &str| {
        let h = MemoryStore::new();
        c.classify(
            &appeal(
                &format!("{caller}-1"),
                caller,
                0,
                "锦绣苑门口手机店的大音箱从早喊到晚，太吵",
            ),
            &h,
            0,
        );
        c.classify(
            &appeal(
                &format!("{caller}-2"),
                caller,
                2 * DAY,
                "锦绣苑那家手机店音箱还在喊，太吵了",
            ),
            &h,
            0,
        );
        c.classify(
            &appeal(&format!("{caller}-3"), caller, 5 * DAY, third),
            &h,
            0,
        )
    };
    let plain = run("q1", "那个大喇叭又响了，烦得很");
    assert_eq!(
        plain.route,
        Route::NonPolice,
        "{:?}",
        plain.explanation.repeat
    );
    let referred = run("q2", "又是我！那个大喇叭又响了，烦得很");
    assert_eq!(
        referred.route,
        Route::IrrationalRepeat,
        "{:?}",
        referred.explanation.repeat
    );
    let earlier = &referred.explanation.repeat.earlier;
    assert_eq!(earlier.len(), 2);
    assert_eq!(
        earlier.iter().filter(|e| e.referred).count(),
        1,
        "{earlier:?}"
    );
    assert!(referred
        .explanation
        .decided_by
        .contains("自称仍是此前所诉之事"));
    // A negated reference refers to nothing.
    let denied = run("q3", "不是上次那件事，那个大喇叭又响了，烦得很");
    assert_eq!(
        denied.route,
        Route::NonPolice,
        "{:?}",
        denied.explanation.repeat
    );
}

#[test]
fn enough_shared_words_make_the_same_matter_whatever_the_share() {
    // Three long appeals about one shop, each sharing its estate, shop and
    // loudspeaker words with the others and little else (about a fifth of
    // their words).
    let texts = [
        "锦绣苑小区东门那个手机店的音箱天天放促销广告，一遍又一遍循环播放，老人孩子午睡都被吵醒，周边商户也意见很大，希望城管上门查一查",
        "我家就住锦绣苑小区，楼下手机店的音箱每天早上九点开始响，一直响到晚上十点，隔着双层玻璃都能听见，心脏不好的老伴听得发慌，请派人管一管",
        "锦绣苑小区对面手机店又把音箱搬到人行道上对着马路喊，路过的学生家长都捂耳朵，店员说是总部规定必须放，这种做法合理吗，麻烦督促整改",
    ];
    let run = |policy: &str| {
        let (_tmp, c) = minimal_repeat_policy(policy);
        let h = MemoryStore::new();
        let mut last = None;
        for (i, t) in texts.iter().enumerate() {
            last = Some(c.classify(&appeal(&format!("e{i}"), "p-e", i as i64 * DAY, t), &h, 0));
        }
        last.unwrap()
    };
    let by_share = run("");
    assert!(
        by_share.explanation.repeat.earlier.is_empty(),
        "the shares are below the threshold: {:?}",
        by_share.explanation.repeat
    );
    let by_count = run("  shared_words_enough: 3\n");
    assert_eq!(
        by_count.explanation.repeat.earlier.len(),
        2,
        "{:?}",
        by_count.explanation.repeat
    );
    assert!(by_count.explanation.repeat.repeat);
}

#[test]
fn a_referred_appeal_brings_the_appeals_it_shares_enough_words_with() {
    let (_tmp, c) = minimal_repeat_policy("  same_matter_cues: [又是我, 我说的那个]\n");
    let h = MemoryStore::new();
    // A long work order and a short call about one dam: two shared words,
    // too few of the order's words to be the same matter by themselves.
    let first = "市民来电反映：其住在杏花乡蒋家冲村，村后山塘连下三天雨后，坝脚有两处往外渗水，村里用沙袋压着，担心以后再下大雨，请水利部门查看加固";
    let second = "喂 上个礼拜打过的 蒋家冲那个塘坝渗水 到今天没人来看";
    c.classify(&appeal("d1", "p-dam", 0, first), &h, 0);
    let d2 = c.classify(&appeal("d2", "p-dam", 7 * DAY, second), &h, 0);
    assert!(
        d2.explanation.repeat.earlier.is_empty(),
        "{:?}",
        d2.explanation.repeat
    );
    let d3 = c.classify(
        &appeal("d3", "p-dam", 10 * DAY, "我说的那个坝！！你们到底管不管"),
        &h,
        0,
    );
    assert_eq!(
        d3.route,
        Route::IrrationalRepeat,
        "{:?}",
        d3.explanation.repeat
    );
    let ids: Vec<&str> = d3
        .explanation
        .repeat
        .earlier
        .iter()
        .map(|e| e.id.as_str())
        .collect();
    assert_eq!(ids, ["d1", "d2"]);
}
