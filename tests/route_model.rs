//! The route model end to end: trained by the CLI from a corpus, named in
//! a rule set's manifest, loaded with located errors, and deciding only the
//! appeals no rule decides.

// Test code: a failure to set up is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use common::minimal_copy;
use fenliu::engine::{Classifier, Decision};
use fenliu::rules::{load_rule_set, Route};

const BIN: &str = env!("CARGO_BIN_EXE_fenliu");

/// A small labelled corpus in callers' words; no text holds a keyword of
/// the minimal fixture's rules.
const CORPUS: &[(&str, &str)] = &[
    ("emergency", "楼道里一股臭鸡蛋味，越来越浓，邻居家没人应门"),
    ("emergency", "厨房一股臭鸡蛋味，我老公头晕倒地叫不醒"),
    ("emergency", "闻到臭鸡蛋味，燃气表那边嘶嘶地响"),
    ("emergency", "老人倒在地上叫不醒，嘴唇都紫了"),
    ("emergency", "孩子掉进河里了，看不见人了"),
    ("police", "有人在我车门上划了一道，监控拍到了人"),
    ("police", "小区门口有人聚众赌钱，天天下注"),
    ("police", "身份证丢了要补办，要不要先挂失"),
    ("police", "停车场有人砸车窗拿东西，刚跑"),
    ("police", "有人冒充客服让我转账，钱已经转走了"),
    ("legal-process", "劳动仲裁已经立案了，想问开庭时间"),
    ("legal-process", "法院判决下来三个月了，对方一直不执行"),
    ("legal-process", "行政复议申请交上去了，问问进度"),
    ("legal-process", "案子在法院立案了，承办法官电话打不通"),
    ("legal-process", "仲裁裁决书下来了，对方不服又起诉了"),
    ("irrational-repeat", "让政府给我分配一个老婆"),
    ("irrational-repeat", "要求你们把我前夫的微信记录调出来给我"),
    ("irrational-repeat", "我要求市长亲自来我家吃饭"),
    ("irrational-repeat", "把我家门口的月亮关掉，晚上太亮睡不着"),
    ("irrational-repeat", "要求政府每个月给我发十万块零花钱"),
    ("non-police", "小区路灯坏了好几天了，晚上黑漆漆的"),
    ("non-police", "楼下垃圾桶满了没人清，味道大"),
    ("non-police", "公交站的站牌被风吹歪了"),
    ("non-police", "小区电梯老是停，物业不修"),
    ("non-police", "路面有个大坑，电动车骑过去差点摔"),
];

fn write_corpus(path: &Path) {
    let lines: Vec<String> = CORPUS
        .iter()
        .enumerate()
        .map(|(i, (route, text))| {
            serde_json::json!({"id": format!("m-{i:03}"), "text": text, "route": route}).to_string()
        })
        .collect();
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

fn fenliu(args: &[&str]) -> std::process::Output {
    Command::new(BIN).args(args).output().unwrap()
}

const POLICY_MODEL: &str = "  model:
    min_share: 0.9
    weak_rule_share: 0.999
    category: unclear
    handoff:
      emergency: \"110\"
      police: 110 接警员核实
      legal-process: 12345 人工复核
      irrational-repeat: 12345 人工复核
      non-police: 12345 人工复核
";

/// A copy of the minimal fixture whose manifest names a model trained by
/// `fenliu model train` on [`CORPUS`].
fn with_model() -> (tempfile::TempDir, PathBuf) {
    let (tmp, rules) = minimal_copy();
    let corpus = tmp.path().join("corpus.jsonl");
    write_corpus(&corpus);
    let out = fenliu(&[
        "model",
        "train",
        "--corpus",
        corpus.to_str().unwrap(),
        "--out",
        rules.join("route-model.tsv").to_str().unwrap(),
        "--min-records",
        "1",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let manifest = rules.join("fenliu.yaml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, format!("{text}route_model: route-model.tsv\n")).unwrap();
    let policy = rules.join("policy.yaml");
    let text = std::fs::read_to_string(&policy).unwrap();
    let text = text.replacen(
        "  handoff: 12345 人工复核\n",
        &format!("  handoff: 12345 人工复核\n{POLICY_MODEL}"),
        1,
    );
    assert!(text.contains("min_share"));
    std::fs::write(&policy, text).unwrap();
    // A weak rule: a generic word that decides only when nothing else does.
    let routes = rules.join("routes/base.yaml");
    let text = std::fs::read_to_string(&routes).unwrap();
    std::fs::write(&routes, format!("{text}{WEAK_RULE}")).unwrap();
    (tmp, rules)
}

const WEAK_RULE: &str = "  - id: non-police.complaint-word
    route: non-police
    category: consumer
    handoff: 市场监管
    priority: 30
    description: the word 投诉 alone
    when:
      any: [投诉]
    examples:
      match: [我要投诉]
";

#[test]
fn a_model_all_but_sure_of_another_route_outweighs_a_weak_rule() {
    let (_tmp, rules) = with_model();
    let d = classify(&rules, "我要投诉，厨房里一股臭鸡蛋味，老人说头晕");
    assert_eq!(d.route, Route::Emergency, "{}", d.explanation.decided_by);
    assert!(d
        .explanation
        .model
        .as_ref()
        .is_some_and(|m| m.decided && m.share >= 0.999));
    assert_eq!(d.explanation.deciding_rule, None);
    assert!(
        d.explanation
            .decided_by
            .starts_with("只有弱规则 non-police.complaint-word 命中（优先级 30，低于决定门槛 50），路由模型判为 emergency"),
        "{}",
        d.explanation.decided_by
    );
    // The model agrees with the weak rule: the rule decides.
    let d = classify(&rules, "我要投诉，小区路灯坏了好几天");
    assert_eq!(d.route, Route::NonPolice);
    assert_eq!(
        d.explanation.deciding_rule.as_deref(),
        Some("non-police.complaint-word")
    );
    // A decisive rule is never outweighed, though the model is as sure.
    let set = load_rule_set(&rules).unwrap();
    let text = "工地太吵，厨房里一股臭鸡蛋味，老人说头晕";
    let p = set.route_model.as_ref().unwrap().predict(text).unwrap();
    assert!(
        p.route == Route::Emergency && p.share >= 0.999,
        "precondition: {p:?}"
    );
    let d = classify(&rules, text);
    assert_eq!(
        d.explanation.deciding_rule.as_deref(),
        Some("non-police.noise")
    );
    assert_eq!(d.explanation.model, None);
}

#[test]
fn the_weak_rules_evidence_stays_in_the_explanation_and_the_threshold_is_the_policys() {
    let (_tmp, rules) = with_model();
    let text = "我要投诉，厨房里一股臭鸡蛋味，老人说头晕";
    let d = classify(&rules, text);
    assert!(d.review);
    let hit = d
        .explanation
        .hits
        .iter()
        .find(|h| h.rule == "non-police.complaint-word");
    assert!(hit.is_some_and(|h| h.counted), "{:?}", d.explanation.hits);
    // Without `weak_rule_share` the weak rule decides, and the model's view
    // is kept, not taken.
    let policy = rules.join("policy.yaml");
    let text_of_policy = std::fs::read_to_string(&policy).unwrap();
    std::fs::write(
        &policy,
        text_of_policy.replace("    weak_rule_share: 0.999\n", ""),
    )
    .unwrap();
    let d = classify(&rules, text);
    assert_eq!(d.route, Route::NonPolice, "{}", d.explanation.decided_by);
    assert_eq!(
        d.explanation.deciding_rule.as_deref(),
        Some("non-police.complaint-word")
    );
    let m = d.explanation.model.as_ref().unwrap();
    assert_eq!((m.route, m.decided), (Route::Emergency, false));
    // A share that is no probability.
    std::fs::write(
        &policy,
        text_of_policy.replace("weak_rule_share: 0.999", "weak_rule_share: 2"),
    )
    .unwrap();
    let got = problems(&rules);
    assert!(
        got.iter()
            .any(|p| p.contains("weak_rule_share") && p.contains("between 0 and 1")),
        "{got:?}"
    );
}

fn classify(rules: &Path, text: &str) -> Decision {
    Classifier::new(Arc::new(load_rule_set(rules).unwrap())).classify_text(text)
}

#[test]
fn the_model_decides_what_no_rule_decides_and_says_so() {
    let (_tmp, rules) = with_model();
    let d = classify(&rules, "厨房里一股臭鸡蛋味，老人说头晕");
    assert_eq!(d.route, Route::Emergency, "{}", d.explanation.decided_by);
    let m = d.explanation.model.as_ref().unwrap();
    assert!(m.decided && m.share >= 0.9, "{m:?}");
    assert!(m.ngrams.iter().any(|g| g.contains("臭鸡")), "{m:?}");
    assert_eq!(d.handoff.as_deref(), Some("110"));
    assert!(d.review);
    assert_eq!(d.explanation.deciding_rule, None);
    assert!(
        d.explanation.decided_by.contains("路由模型判为 emergency"),
        "{}",
        d.explanation.decided_by
    );
    // Without the model the same appeal is the plain fallback.
    let (_plain, plain) = minimal_copy();
    let d = classify(&plain, "厨房里一股臭鸡蛋味，老人说头晕");
    assert_eq!((d.route, d.explanation.model), (Route::NonPolice, None));
}

#[test]
fn a_rule_that_fires_decides_and_the_model_is_not_asked() {
    let (_tmp, rules) = with_model();
    let d = classify(&rules, "楼下路灯旁边着火了");
    assert_eq!(d.route, Route::Emergency);
    assert_eq!(
        d.explanation.deciding_rule.as_deref(),
        Some("emergency.fire")
    );
    assert_eq!(d.explanation.model, None);
}

#[test]
fn the_model_is_held_back_by_danger_cues_discounted_evidence_and_doubt() {
    let (_tmp, rules) = with_model();
    // 疑警从有: the model says non-police, a danger cue keeps it at police.
    let d = classify(&rules, "有个可疑的人在小区路灯底下转悠");
    let m = d.explanation.model.as_ref().unwrap();
    assert_eq!((m.route, m.decided), (Route::NonPolice, false), "{m:?}");
    assert_eq!(d.route, Route::Police, "{}", d.explanation.decided_by);
    assert!(d.explanation.decided_by.contains("未采用"));
    // The text supposes the fire: the model's emergency is not taken.
    let d = classify(&rules, "如果着火了，一股臭鸡蛋味的话该怎么办");
    let m = d.explanation.model.as_ref().unwrap();
    assert_eq!((m.route, m.decided), (Route::Emergency, false), "{m:?}");
    assert_eq!(d.route, Route::NonPolice);
    // Words every route shares: the model is unsure and the fallback stands.
    let set = load_rule_set(&rules).unwrap();
    let text = "小区里的事";
    let p = set.route_model.as_ref().unwrap().predict(text).unwrap();
    assert!(
        p.share < 0.9,
        "precondition: the model is unsure of {text}: {p:?}"
    );
    let d = classify(&rules, text);
    assert_eq!(d.explanation.model.as_ref().map(|m| m.decided), Some(false));
    assert_eq!(d.category, "unclear");
    assert!(d.explanation.decided_by.contains("低于采用门槛"));
}

#[test]
fn a_model_sure_enough_reads_a_danger_word_as_a_figure_of_speech() {
    let (_tmp, rules) = with_model();
    let text = "有个可疑的人在小区路灯底下转悠";
    let share = load_rule_set(&rules)
        .unwrap()
        .route_model
        .as_ref()
        .unwrap()
        .predict(text)
        .unwrap()
        .share;
    assert!(
        (0.9..1.0).contains(&share),
        "precondition: the model leans non-police, short of certainty: {share}"
    );
    let policy = rules.join("policy.yaml");
    let base = std::fs::read_to_string(&policy).unwrap();
    let with_danger_share = |t: f64| {
        std::fs::write(
            &policy,
            base.replace(
                "    weak_rule_share: 0.999\n",
                &format!("    weak_rule_share: 0.999\n    danger_share: {t}\n"),
            ),
        )
        .unwrap();
    };
    // At or under the model's share: its non-police stands, and the reason
    // names the danger word it overrode.
    with_danger_share((share * 1000.0).floor() / 1000.0);
    let d = classify(&rules, text);
    assert_eq!(d.route, Route::NonPolice, "{}", d.explanation.decided_by);
    assert!(d.explanation.model.as_ref().is_some_and(|m| m.decided));
    assert!(
        d.explanation
            .decided_by
            .contains("危险信号“可疑”按说法看待"),
        "{}",
        d.explanation.decided_by
    );
    // Over it: 疑警从有 holds.
    with_danger_share(1.0);
    let d = classify(&rules, text);
    assert_eq!(d.route, Route::Police, "{}", d.explanation.decided_by);
    // A share that is no probability.
    with_danger_share(1.5);
    let got = problems(&rules);
    assert!(
        got.iter()
            .any(|p| p.contains("danger_share") && p.contains("between 0 and 1")),
        "{got:?}"
    );
}

#[test]
fn the_policy_names_the_routes_the_model_may_give() {
    let (_tmp, rules) = with_model();
    let policy = rules.join("policy.yaml");
    let text = std::fs::read_to_string(&policy).unwrap();
    let limited = |routes: &str| {
        std::fs::write(
            &policy,
            text.replace(
                "    category: unclear\n",
                &format!("    category: unclear\n    routes: {routes}\n"),
            ),
        )
        .unwrap();
    };
    let court = "法院判决下来了，对方一直不执行";
    assert_eq!(classify(&rules, court).route, Route::LegalProcess);
    limited("[emergency, police, irrational-repeat, non-police]");
    // No rule fired: the plain fallback stands, the model's view is kept.
    let d = classify(&rules, court);
    let m = d.explanation.model.as_ref().unwrap();
    assert_eq!((m.route, m.decided), (Route::LegalProcess, false), "{m:?}");
    assert_eq!(d.route, Route::NonPolice);
    assert!(
        d.explanation
            .decided_by
            .contains("但 legal-process 不由路由模型判定，未采用"),
        "{}",
        d.explanation.decided_by
    );
    // A weak rule is not outweighed by a route outside the list either.
    let d = classify(&rules, "我要投诉，法院判决下来了，对方一直不执行");
    assert_eq!(
        d.explanation.deciding_rule.as_deref(),
        Some("non-police.complaint-word")
    );
    // A route named in the list still decides.
    assert_eq!(
        classify(&rules, "厨房里一股臭鸡蛋味，老人说头晕").route,
        Route::Emergency
    );
    // A list that names no route, or one that is none, is refused.
    for (routes, reason) in [
        ("[emergency, court]", "unknown route `court`"),
        ("[]", "names no route"),
    ] {
        limited(routes);
        let got = problems(&rules);
        assert!(
            got.iter()
                .any(|p| p.contains("fallback.model.routes") && p.contains(reason)),
            "{routes}: {got:?}"
        );
    }
}

#[test]
fn the_model_counts_in_the_digest() {
    let (_tmp, rules) = with_model();
    let before = load_rule_set(&rules).unwrap().digest;
    let path = rules.join("route-model.tsv");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replacen("alpha\t0.1", "alpha\t0.2", 1)).unwrap();
    assert_ne!(load_rule_set(&rules).unwrap().digest, before);
}

/// The problems of loading `rules`, one line each.
fn problems(rules: &Path) -> Vec<String> {
    load_rule_set(rules)
        .unwrap_err()
        .problems
        .iter()
        .map(|p| p.to_string())
        .collect()
}

#[test]
fn a_missing_or_broken_model_is_a_located_error() {
    let (_tmp, rules) = with_model();
    let path = rules.join("route-model.tsv");
    let good = std::fs::read_to_string(&path).unwrap();

    // A count that is no number, on the sixth n-gram line.
    let lines: Vec<&str> = good.lines().collect();
    let first = lines.iter().position(|l| l.starts_with("grams\t")).unwrap() + 1;
    let mut broken = lines.clone();
    let mut fields: Vec<&str> = broken[first + 5].split('\t').collect();
    fields[2] = "many";
    let bad = fields.join("\t");
    broken[first + 5] = &bad;
    std::fs::write(&path, broken.join("\n")).unwrap();
    let got = problems(&rules);
    let want = format!("route-model.tsv:{}: n-gram `", first + 6);
    assert!(
        got.iter()
            .any(|p| p.contains(&want) && p.contains("`many` is not a count")),
        "want {want}: {got:?}"
    );

    // Cut short at a line's end.
    let half: String = lines[..lines.len() / 2]
        .iter()
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&path, half).unwrap();
    let got = problems(&rules);
    assert!(got.iter().any(|p| p.contains("cut short")), "{got:?}");

    // Gone: the manifest's `route_model` field is the place to look.
    std::fs::remove_file(&path).unwrap();
    let got = problems(&rules);
    assert!(
        got.iter().any(|p| p.contains("fenliu.yaml")
            && p.contains("field `route_model`")
            && p.contains("route-model.tsv")),
        "{got:?}"
    );

    // A model, but no policy saying when it decides.
    std::fs::write(&path, &good).unwrap();
    let policy = rules.join("policy.yaml");
    let text = std::fs::read_to_string(&policy).unwrap();
    std::fs::write(&policy, text.replace(POLICY_MODEL, "")).unwrap();
    let got = problems(&rules);
    assert!(
        got.iter()
            .any(|p| p.contains("policy.yaml") && p.contains("fallback.model")),
        "{got:?}"
    );
    // A share that is no probability.
    std::fs::write(&policy, text.replace("min_share: 0.9", "min_share: 1.5")).unwrap();
    let got = problems(&rules);
    assert!(
        got.iter()
            .any(|p| p.contains("min_share") && p.contains("between 0 and 1")),
        "{got:?}"
    );
}

#[test]
fn train_check_and_a_broken_corpus() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("c.jsonl");
    write_corpus(&corpus);
    let out_path = tmp.path().join("m.tsv");
    let (c, o) = (corpus.to_str().unwrap(), out_path.to_str().unwrap());
    let out = fenliu(&["model", "train", "--corpus", c, "--out", o]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("from 25 records"));
    let out = fenliu(&["model", "train", "--check", "--corpus", c, "--out", o]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Another smoothing is another model: the check fails and writes nothing.
    let before = std::fs::read(&out_path).unwrap();
    let out = fenliu(&[
        "model", "train", "--check", "--alpha", "0.5", "--corpus", c, "--out", o,
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not what these 25 records train"));
    assert_eq!(std::fs::read(&out_path).unwrap(), before);

    // A broken line stops training before anything is written.
    let text = std::fs::read_to_string(&corpus).unwrap();
    std::fs::write(&corpus, format!("{text}{{\"id\": \"m-999\", \"text\": \n")).unwrap();
    let fresh = tmp.path().join("new.tsv");
    let out = fenliu(&[
        "model",
        "train",
        "--corpus",
        c,
        "--out",
        fresh.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("c.jsonl:26:") && err.contains("nothing was written"),
        "{err}"
    );
    assert!(!fresh.exists());
}

#[test]
fn the_shipped_model_is_what_the_shipped_corpus_trains() {
    let corpus: Vec<String> = common::corpus_files()
        .iter()
        .map(|p| p.to_str().unwrap().to_string())
        .collect();
    let mut args = vec![
        "model",
        "train",
        "--check",
        "--out",
        "rules/route-model.tsv",
        "--corpus",
    ];
    args.extend(corpus.iter().map(String::as_str));
    let out = fenliu(&args);
    assert!(
        out.status.success(),
        "retrain it: fenliu model train --corpus corpus/*.jsonl\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn analyze_counts_what_the_model_decided_apart_from_the_rules() {
    let (tmp, rules) = with_model();
    let corpus = tmp.path().join("corpus.jsonl");
    let (c, r) = (corpus.to_str().unwrap(), rules.to_str().unwrap());
    let out = fenliu(&["analyze", "--corpus", c, "--rules", r, "--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let routes = stats["routes"].as_array().unwrap();
    // No rule of the fixture knows these texts; the model learnt them.
    let emergency = routes.iter().find(|r| r["route"] == "emergency").unwrap();
    assert_eq!(emergency["by_model"], 5, "{emergency}");
    assert_eq!(emergency["by_model_wrong"], 0, "{emergency}");
    let by_model: u64 = routes.iter().map(|r| r["by_model"].as_u64().unwrap()).sum();
    let plain: u64 = routes
        .iter()
        .map(|r| r["without_rule"].as_u64().unwrap())
        .sum();
    assert!(
        by_model >= 20 && by_model + plain <= 25,
        "{by_model} {plain}"
    );
    let out = fenliu(&["analyze", "--corpus", c, "--rules", r]);
    let human = String::from_utf8_lossy(&out.stdout);
    assert!(
        human.contains("emergency: 5 records, 0 wrong; 5 by the route model (0 wrong)"),
        "{human}"
    );
}

#[test]
fn an_overlay_keeps_its_bases_model_or_switches_it_off() {
    let (_tmp, rules) = with_model();
    let overlay = rules.join("overlays/no-model");
    std::fs::create_dir_all(&overlay).unwrap();
    let manifest = overlay.join("fenliu.yaml");
    std::fs::write(&manifest, "version: \"test-1-overlay\"\nextends: ../..\n").unwrap();
    let text = "厨房里一股臭鸡蛋味，老人说头晕";
    let d = classify(&overlay, text);
    assert_eq!(d.route, Route::Emergency, "{}", d.explanation.decided_by);
    assert!(d.explanation.model.is_some_and(|m| m.decided));
    std::fs::write(
        &manifest,
        "version: \"test-1-overlay\"\nextends: ../..\nroute_model: none\n",
    )
    .unwrap();
    let set = load_rule_set(&overlay).unwrap();
    assert!(set.route_model.is_none());
    let d = classify(&overlay, text);
    assert_eq!((d.route, d.explanation.model), (Route::NonPolice, None));
}
