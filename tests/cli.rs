//! The `fenliu` binary: eval's JSON report, classify in both modes, check's
//! exit codes, and clear errors for bad input.

// Test and measurement code: a failure to set up is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_fenliu");
const MINIMAL: &str = "tests/fixtures/minimal/rules";

fn run(args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn eval_json_has_the_agreed_keys_and_counts_bad_lines() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("c.jsonl");
    std::fs::write(
        &corpus,
        concat!(
            "{\"id\":\"r1\",\"text\":\"楼下着火了\",\"route\":\"emergency\",\"appeal_type\":\"求助\",\"handoff\":\"119\",\"extra\":1}\n",
            "{\"id\":\"r2\",\"text\":\"工地太吵\",\"route\":\"non-police\",\"appeal_type\":\"投诉\"}\n",
            "{\"id\":\"r3\",\"text\":\"电动车被偷了\",\"route\":\"police\"}\n",
            "this is not json\n",
            "\n",
            "{\"id\":\"r4\",\"text\":\"工地太吵\",\"route\":\"police\"}\n",
            "{\"id\":\"r5\",\"text\":\"x\",\"route\":\"polise\"}\n",
        ),
    )
    .unwrap();
    let (code, out, err) = run(
        &[
            "eval",
            "--json",
            "--rules",
            MINIMAL,
            "--corpus",
            corpus.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    for key in [
        "records",
        "accuracy",
        "macro_f1",
        "per_route",
        "confusion",
        "misrouted",
        "appeal_type_accuracy",
        "handoff_accuracy",
    ] {
        assert!(v.get(key).is_some(), "missing `{key}` in {out}");
    }
    assert_eq!(v["records"], 4);
    assert_eq!(v["accuracy"], 0.75);
    assert_eq!(v["misrouted"][0]["id"], "r4");
    assert_eq!(v["misrouted"][0]["gold"], "police");
    assert_eq!(v["misrouted"][0]["predicted"], "non-police");
    assert_eq!(v["confusion"]["police"]["non-police"], 1);
    assert_eq!(v["per_route"]["emergency"]["support"], 1);
    assert_eq!(v["per_route"]["police"]["recall"], 0.5);
    assert_eq!(v["handoff_accuracy"], 1.0);
    assert_eq!(v["appeal_type_accuracy"], 1.0);
    let skipped = v["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 2);
    assert_eq!(skipped[0]["line"], 4);
    assert_eq!(skipped[1]["line"], 7);
    assert!(skipped[1]["reason"].as_str().unwrap().contains("polise"));
}

#[test]
fn eval_text_report_names_misrouted_records() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("c.jsonl");
    std::fs::write(
        &corpus,
        "{\"id\":\"q1\",\"text\":\"工地太吵\",\"route\":\"police\"}\n",
    )
    .unwrap();
    let (code, out, _) = run(
        &[
            "eval",
            "--rules",
            MINIMAL,
            "--corpus",
            corpus.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(code, 0);
    assert!(out.contains("macro-F1"), "{out}");
    assert!(out.contains("q1 gold police predicted non-police"), "{out}");
    assert!(out.contains("non-police.noise"), "{out}");
}

#[test]
fn classify_reads_stdin_and_prints_a_decision() {
    let (code, out, _) = run(&["classify", "--rules", MINIMAL], "樓下著火了".as_bytes());
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["route"], "emergency");
    assert_eq!(v["handoff"], "119");
    assert_eq!(v["explanation"]["hits"][0]["spans"][0]["text"], "著火");
}

#[test]
fn classify_input_streams_one_decision_per_record_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    std::fs::write(
        &input,
        "{\"id\":\"a\",\"text\":\"工地太吵\"}\n{\"id\":\"b\",\"text\":\"楼下着火了\"}\nnot json\n{\"id\":\"c\",\"text\":\"电动车被偷了\"}\n",
    )
    .unwrap();
    let (code, out, err) = run(
        &[
            "classify",
            "--rules",
            MINIMAL,
            "--input",
            input.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(code, 1, "a skipped record makes the exit code 1");
    assert!(err.contains(":3: skipped"), "{err}");
    let ids: Vec<String> = out
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(ids, ["a", "b", "c"]);
}

#[test]
fn bad_input_gets_clear_errors() {
    let (code, _, err) = run(&["classify", "--rules", MINIMAL], b"   ");
    assert_eq!(code, 2);
    assert!(err.contains("empty"), "{err}");
    let (code, _, err) = run(&["classify", "--rules", MINIMAL], b"\xff\xfe\xfd");
    assert_eq!(code, 2);
    assert!(err.contains("not valid UTF-8"), "{err}");
    let (code, _, err) = run(&["classify", "--rules", "tests/fixtures/nowhere", "x"], b"");
    assert_eq!(code, 2);
    assert!(err.contains("does not exist"), "{err}");
}

#[test]
fn check_passes_on_good_rules_and_fails_on_a_failing_example() {
    let (code, out, _) = run(&["check", "--rules", MINIMAL], b"");
    assert_eq!(code, 0);
    assert!(out.contains("all pass"), "{out}");

    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(rules.join("routes")).unwrap();
    for f in ["fenliu.yaml", "policy.yaml", "appeal-types.yaml"] {
        std::fs::copy(format!("{MINIMAL}/{f}"), rules.join(f)).unwrap();
    }
    std::fs::write(
        rules.join("routes/r.yaml"),
        "rules:\n  - id: non-police.noise\n    route: non-police\n    category: noise\n    priority: 60\n    description: noise\n    when:\n      any: [太吵]\n    examples:\n      match: [狗叫得厉害]\n      no_match: [工地太吵]\n",
    )
    .unwrap();
    let (code, _, err) = run(&["check", "--rules", rules.to_str().unwrap()], b"");
    assert_eq!(code, 1);
    assert!(
        err.contains(
            "rule `non-police.noise`: field `examples.match`: example does not match: `狗叫得厉害`"
        ),
        "{err}"
    );
    assert!(
        err.contains("example matches but must not: `工地太吵`"),
        "{err}"
    );
    assert!(err.contains("2 of 2 examples fail"), "{err}");
}

#[test]
fn serve_runs_the_real_binary_and_stops_cleanly_on_sigterm() {
    use std::io::BufRead;
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--dev",
            "--addr",
            "127.0.0.1:0",
            "--rules",
            MINIMAL,
            "--data-dir",
        ])
        .arg(data.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let v: serde_json::Value = rt.block_on(async {
        reqwest::Client::new()
            .post(format!("http://{addr}/v1/classify"))
            .json(&serde_json::json!({"text": "楼下着火了"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    assert_eq!(v["route"], "emergency");
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("NO API KEYS ARE CHECKED"), "{stderr}");
    assert!(
        !stderr.contains("楼下着火了"),
        "appeal text must not be logged at info level"
    );
}

#[test]
fn serve_refuses_to_start_without_keys_or_with_bad_rules() {
    let data = tempfile::tempdir().unwrap();
    let d = data.path().to_str().unwrap();
    let (code, _, err) = run(
        &[
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--rules",
            MINIMAL,
            "--data-dir",
            d,
        ],
        b"",
    );
    assert_eq!(code, 2);
    assert!(err.contains("no API keys"), "{err}");
    let (code, _, err) = run(
        &[
            "serve",
            "--dev",
            "--addr",
            "127.0.0.1:0",
            "--rules",
            "tests/golden",
            "--data-dir",
            d,
        ],
        b"",
    );
    assert_eq!(code, 2);
    assert!(err.contains("not valid"), "{err}");
}
