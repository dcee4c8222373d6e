//! The real `fenliu serve` binary with durable history: kill -9 during a
//! burst loses no answered appeal, a restart keeps history, two processes
//! share one PostgreSQL, and no secret means no recording.

// Test and measurement code: a failure to set up is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::BufRead;
use std::process::{Child, Command, Stdio};

use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_fenliu");
const RULES: &str = "tests/fixtures/minimal/rules";
const KEY: &str = "agent-key";
const SECRET: &str = "a history secret for the tests";

struct Proc {
    child: Child,
    base: String,
}

fn start(data: &std::path::Path, extra: &[&str], env: &[(&str, &str)]) -> Proc {
    let mut cmd = Command::new(BIN);
    cmd.args([
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--rules",
        RULES,
        "--data-dir",
    ])
    .arg(data)
    .args(extra)
    .env("FENLIU_API_KEYS", KEY)
    .env_remove("FENLIU_HISTORY_SECRET")
    .env_remove("FENLIU_HISTORY")
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .split_whitespace()
        .next()
        .unwrap();
    Proc {
        base: format!("http://{addr}"),
        child,
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn classify(base: &str, body: Value) -> Result<Value, String> {
    let r = reqwest::Client::new()
        .post(format!("{base}/v1/classify"))
        .bearer_auth(KEY)
        .json(&body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if r.status() != 200 {
        return Err(format!("status {}", r.status()));
    }
    r.json().await.map_err(|e| e.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_a_burst_loses_no_answered_appeal() {
    let data = tempfile::tempdir().unwrap();
    let db = data.path().join("h.sqlite3");
    let history = format!("sqlite:{}", db.display());
    let mut p = start(
        data.path(),
        &["--history", &history],
        &[("FENLIU_HISTORY_SECRET", SECRET)],
    );
    let base = p.base.clone();
    // Each answer is reported as it arrives; the kill comes once a few have
    // been answered, not after a fixed pause that a slow machine may not
    // fill (CI once killed the server before its first answer).
    let (answers, mut answered_so_far) = tokio::sync::mpsc::unbounded_channel();
    let tasks: Vec<_> = (0..400)
        .map(|i| {
            let base = base.clone();
            let answers = answers.clone();
            tokio::spawn(async move {
                let body = json!({"text": "工地太吵", "id": format!("crash-{i}"), "caller": format!("c{}", i % 7)});
                let answer = classify(&base, body).await.ok().map(|v| (i, v));
                if answer.is_some() {
                    let _ = answers.send(());
                }
                answer
            })
        })
        .collect();
    drop(answers);
    let before_kill = 10;
    for n in 0..before_kill {
        let got =
            tokio::time::timeout(std::time::Duration::from_secs(60), answered_so_far.recv()).await;
        assert!(
            matches!(got, Ok(Some(()))),
            "only {n} of 400 appeals were answered within a minute"
        );
    }
    p.child.kill().unwrap(); // SIGKILL
    p.child.wait().unwrap();
    let mut answered = Vec::new();
    for t in tasks {
        if let Some((i, v)) = t.await.unwrap() {
            assert_eq!(v["explanation"]["repeat"]["recorded"], true, "{v}");
            answered.push(i);
        }
    }
    assert!(answered.len() >= before_kill, "{} answered", answered.len());
    assert!(
        answered.len() < 400,
        "every appeal was answered before the kill; the burst was not interrupted"
    );
    let store = fenliu::history::SqliteStore::open(
        &db,
        fenliu::history::CallerKey::new(SECRET.as_bytes()).unwrap(),
    )
    .unwrap();
    let lost: Vec<usize> = answered
        .iter()
        .copied()
        .filter(|i| {
            !fenliu::history::HistoryStore::contains(&store, &format!("crash-{i}")).unwrap()
        })
        .collect();
    assert!(
        lost.is_empty(),
        "answered but not in the store after kill -9: {lost:?} of {}",
        answered.len()
    );
}

#[tokio::test]
async fn a_restart_keeps_history_with_the_dev_secret() {
    let data = tempfile::tempdir().unwrap();
    let texts = [
        "幸福小区旁边工地晚上太吵",
        "幸福小区工地又太吵了",
        "还是幸福小区那个工地，太吵",
    ];
    {
        let p = start(data.path(), &["--dev"], &[]);
        for (i, t) in texts[..2].iter().enumerate() {
            let v = classify(
                &p.base,
                json!({"text": t, "id": format!("rs-{i}"), "caller": "13800001111"}),
            )
            .await
            .unwrap();
            assert_eq!(v["route"], "non-police");
        }
    }
    assert!(data.path().join("history.secret").exists());
    assert!(data.path().join("history.sqlite3").exists());
    let p = start(data.path(), &["--dev"], &[]);
    let v = classify(
        &p.base,
        json!({"text": texts[2], "id": "rs-2", "caller": "13800001111"}),
    )
    .await
    .unwrap();
    assert_eq!(v["route"], "irrational-repeat", "{v}");
    assert_eq!(
        v["explanation"]["repeat"]["earlier"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn without_a_secret_nothing_is_recorded_and_decisions_say_so() {
    let data = tempfile::tempdir().unwrap();
    let p = start(data.path(), &[], &[]);
    let v = classify(
        &p.base,
        json!({"text": "工地太吵", "id": "n1", "caller": "139"}),
    )
    .await
    .unwrap();
    assert_eq!(v["explanation"]["repeat"]["status"], "disabled");
    assert_eq!(v["explanation"]["repeat"]["recorded"], false);
    assert!(!data.path().join("history.sqlite3").exists());
}

#[test]
fn two_processes_share_one_postgres() {
    let Ok(url) = std::env::var("FENLIU_TEST_POSTGRES") else {
        assert!(
            std::env::var_os("FENLIU_REQUIRE_POSTGRES").is_none(),
            "FENLIU_TEST_POSTGRES missing: run scripts/test.sh"
        );
        eprintln!("skipped: FENLIU_TEST_POSTGRES is not set");
        return;
    };
    let schema = format!("two_{}", std::process::id());
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .unwrap();
    let scoped = format!("{url}?options=-csearch_path%3D{schema}");
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let env = [
        ("FENLIU_HISTORY_SECRET", SECRET),
        ("FENLIU_HISTORY", scoped.as_str()),
    ];
    let a = start(da.path(), &[], &env);
    let b = start(db.path(), &[], &env);
    let texts = [
        "幸福小区旁边工地晚上太吵",
        "幸福小区工地又太吵了",
        "还是幸福小区那个工地，太吵",
    ];
    let bases = [&a.base, &b.base, &a.base];
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut last = Value::Null;
    for (i, (t, base)) in texts.iter().zip(bases).enumerate() {
        last = rt
            .block_on(classify(
                base,
                json!({"text": t, "id": format!("pg-{i}"), "caller": "13700002222"}),
            ))
            .unwrap();
    }
    assert_eq!(last["route"], "irrational-repeat", "{last}");
    let n: i64 = admin
        .query_one(&format!("SELECT count(*) FROM {schema}.appeals"), &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 3);
    let clear: i64 = admin
        .query_one(
            &format!(
                "SELECT count(*) FROM {schema}.appeals WHERE caller_hash LIKE '%13700002222%'"
            ),
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(clear, 0);
}
