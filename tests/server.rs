//! The HTTP service on a real loopback socket: every endpoint, every error,
//! reloads good and bad, reloads under load, watch, graceful shutdown.

// Test and measurement code: a failure to set up is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

mod common;

use common::{copy_dir, DownStore};
use fenliu::history::{HistoryStore, MemoryStore};
use fenliu::server::{load_checked, run, AppState, Config};
use serde_json::{json, Value};

const KEY: &str = "agent-key-1";
const ADMIN: &str = "admin-token-1";

struct Server {
    base: String,
    rules: PathBuf,
    state: Arc<AppState>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    done: tokio::task::JoinHandle<std::io::Result<()>>,
    _tmp: tempfile::TempDir,
}

impl Server {
    async fn start(tune: impl FnOnce(&mut Config), history: Arc<dyn HistoryStore>) -> Server {
        let tmp = tempfile::tempdir().unwrap();
        copy_dir(Path::new("tests/fixtures/minimal"), tmp.path());
        let rules = tmp.path().join("rules");
        let mut config = Config {
            rules: rules.clone(),
            data_dir: tmp.path().join("data"),
            api_keys: vec![KEY.into(), "agent-key-2".into()],
            admin_token: Some(ADMIN.into()),
            ..Config::default()
        };
        tune(&mut config);
        let loaded = load_checked(&config).unwrap();
        let state = Arc::new(AppState::new(config, loaded, history));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let done = tokio::spawn(run(listener, state.clone(), async move {
            let _ = rx.await;
        }));
        Server {
            base,
            rules,
            state,
            stop: Some(tx),
            done,
            _tmp: tmp,
        }
    }

    async fn plain() -> Server {
        Server::start(|_| {}, Arc::new(MemoryStore::new())).await
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

async fn post(s: &Server, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
    let mut req = client().post(s.url(path)).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn get(s: &Server, path: &str, token: Option<&str>) -> (u16, String) {
    let mut req = client().get(s.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("")
}

#[tokio::test]
async fn classify_answers_the_decision() {
    let s = Server::plain().await;
    let (st, v) = post(
        &s,
        "/v1/classify",
        Some(KEY),
        json!({"text": "樓下著火了", "id": "A-1", "channel": "phone"}),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["route"], "emergency");
    assert_eq!(v["handoff"], "119");
    assert_eq!(v["id"], "A-1");
    assert_eq!(v["ruleset"]["version"], "test-1");
    assert_eq!(v["explanation"]["hits"][0]["spans"][0]["text"], "著火");
    assert!(v["explanation"]["decided_by"]
        .as_str()
        .unwrap()
        .contains("emergency.fire"));
}

#[tokio::test]
async fn repeat_callers_are_recognised_over_http() {
    let s = Server::plain().await;
    let mut last = Value::Null;
    for (i, t) in [
        "幸福小区旁边工地晚上太吵",
        "幸福小区工地又太吵了",
        "还是幸福小区那个工地，太吵",
    ]
    .iter()
    .enumerate()
    {
        let body = json!({"text": t, "id": format!("R-{i}"), "caller": "13800000000", "received_at": format!("2026-03-0{}T22:00:00+08:00", i + 1)});
        let (st, v) = post(&s, "/v1/classify", Some(KEY), body).await;
        assert_eq!(st, 200);
        last = v;
    }
    assert_eq!(last["route"], "irrational-repeat", "{last}");
    assert_eq!(last["explanation"]["repeat"]["recorded"], true);
}

#[tokio::test]
async fn authentication_and_authorisation() {
    let s = Server::plain().await;
    let body = json!({"text": "工地太吵"});
    assert_eq!(post(&s, "/v1/classify", None, body.clone()).await.0, 401);
    let (st, v) = post(&s, "/v1/classify", Some("wrong"), body.clone()).await;
    assert_eq!((st, code(&v)), (401, "unauthorized"));
    assert_eq!(post(&s, "/v1/classify", Some(ADMIN), body).await.0, 200);
    let (st, v) = post(&s, "/v1/ruleset/reload", Some(KEY), json!({})).await;
    assert_eq!((st, code(&v)), (403, "forbidden"));
    assert_eq!(post(&s, "/v1/ruleset/reload", None, json!({})).await.0, 401);
    assert_eq!(
        post(&s, "/v1/ruleset/reload", Some(ADMIN), json!({}))
            .await
            .0,
        200
    );
    assert_eq!(get(&s, "/v1/ruleset", None).await.0, 401);
}

#[tokio::test]
async fn every_error_has_its_status_and_shape() {
    let s = Server::plain().await;
    let send = |body: Vec<u8>, ctype: &'static str| {
        client()
            .post(s.url("/v1/classify"))
            .bearer_auth(KEY)
            .header("content-type", ctype)
            .body(body)
            .send()
    };
    let r = send(b"{\"text\": ".to_vec(), "application/json")
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let v: Value = r.json().await.unwrap();
    assert_eq!(code(&v), "bad_request");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not valid JSON"),
        "{v}"
    );

    let r = send(b"{\"id\": \"x\"}".to_vec(), "application/json")
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let v: Value = r.json().await.unwrap();
    assert!(
        v["error"]["message"].as_str().unwrap().contains("text"),
        "{v}"
    );

    let r = send(b"{\"text\": \"\xff\xfe\"}".to_vec(), "application/json")
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);

    let r = send(b"text=hi".to_vec(), "text/plain").await.unwrap();
    assert_eq!(r.status().as_u16(), 415);
    assert_eq!(
        code(&r.json::<Value>().await.unwrap()),
        "unsupported_media_type"
    );

    let big = json!({"text": "吵".repeat(30_000)})
        .to_string()
        .into_bytes();
    let r = send(big, "application/json").await.unwrap();
    assert_eq!(r.status().as_u16(), 413);
    let v: Value = r.json().await.unwrap();
    assert!(
        v["error"]["message"].as_str().unwrap().contains("65536"),
        "{v}"
    );

    let (st, v) = post(
        &s,
        "/v1/classify",
        Some(KEY),
        json!({"text": "吵".repeat(10_001)}),
    )
    .await;
    assert_eq!((st, code(&v)), (422, "text_too_long"));
    assert!(
        v["error"]["message"].as_str().unwrap().contains("10000"),
        "{v}"
    );

    let (st, v) = post(&s, "/v1/classify", Some(KEY), json!({"text": "   "})).await;
    assert_eq!((st, code(&v)), (422, "empty_text"));

    let (st, v) = post(
        &s,
        "/v1/classify",
        Some(KEY),
        json!({"text": "工地太吵", "received_at": "昨天"}),
    )
    .await;
    assert_eq!((st, code(&v)), (422, "bad_received_at"));

    let (st, body) = get(&s, "/v2/nothing", Some(KEY)).await;
    assert_eq!(st, 404);
    assert!(body.contains("not_found"));
}

#[tokio::test]
async fn a_key_over_its_rate_gets_429() {
    let s = Server::start(|c| c.rate_per_minute = 3, Arc::new(MemoryStore::new())).await;
    for _ in 0..3 {
        assert_eq!(
            post(&s, "/v1/classify", Some(KEY), json!({"text": "工地太吵"}))
                .await
                .0,
            200
        );
    }
    let (st, v) = post(&s, "/v1/classify", Some(KEY), json!({"text": "工地太吵"})).await;
    assert_eq!((st, code(&v)), (429, "rate_limited"));
    // Another key has its own budget.
    assert_eq!(
        post(
            &s,
            "/v1/classify",
            Some("agent-key-2"),
            json!({"text": "工地太吵"})
        )
        .await
        .0,
        200
    );
}

#[tokio::test]
async fn batch_keeps_order_and_isolates_bad_items() {
    let s = Server::plain().await;
    let body = json!({"appeals": [
        {"text": "工地太吵", "id": "b1"},
        {"id": "b2"},
        {"text": "", "id": "b3"},
        {"text": "楼下着火了", "id": "b4"}
    ]});
    let (st, v) = post(&s, "/v1/classify/batch", Some(KEY), body).await;
    assert_eq!(st, 200, "{v}");
    let r = v["results"].as_array().unwrap();
    assert_eq!(r.len(), 4);
    assert_eq!(r[0]["route"], "non-police");
    assert!(
        r[1]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("appeal 1"),
        "{v}"
    );
    assert_eq!(code(&r[2]), "empty_text");
    assert_eq!(r[3]["route"], "emergency");

    let many: Vec<Value> = (0..101)
        .map(|i| json!({"text": "工地太吵", "id": format!("m{i}")}))
        .collect();
    let (st, v) = post(
        &s,
        "/v1/classify/batch",
        Some(KEY),
        json!({"appeals": many}),
    )
    .await;
    assert_eq!((st, code(&v)), (422, "batch_too_large"));
}

#[tokio::test]
async fn ruleset_health_metrics_and_openapi() {
    let s = Server::plain().await;
    let (st, body) = get(&s, "/v1/ruleset", Some(KEY)).await;
    assert_eq!(st, 200);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["version"], "test-1");
    assert_eq!(v["rules_per_route"]["emergency"], 1);
    assert_eq!(v["appeal_type_rules"], 1);
    assert!(v["files"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f.as_str().unwrap().ends_with("base.yaml")));

    assert_eq!(get(&s, "/healthz", None).await.0, 200);
    let (st, body) = get(&s, "/readyz", None).await;
    assert_eq!(st, 200);
    assert!(body.contains("ready"));

    post(&s, "/v1/classify", Some(KEY), json!({"text": "楼下着火了"})).await;
    post(
        &s,
        "/v1/classify",
        Some("nope"),
        json!({"text": "楼下着火了"}),
    )
    .await;
    let (st, m) = get(&s, "/metrics", None).await;
    assert_eq!(st, 200);
    assert!(
        m.contains("fenliu_http_requests_total{endpoint=\"/v1/classify\",status=\"200\"} 1"),
        "{m}"
    );
    assert!(
        m.contains("fenliu_http_requests_total{endpoint=\"/v1/classify\",status=\"401\"} 1"),
        "{m}"
    );
    assert!(m.contains("fenliu_http_request_duration_seconds_bucket{endpoint=\"/v1/classify\",status=\"200\",le=\"+Inf\"} 1"), "{m}");
    assert!(
        m.contains("fenliu_decisions_total{route=\"emergency\"} 1"),
        "{m}"
    );
    assert!(m.contains("fenliu_ruleset_info{version=\"test-1\""), "{m}");

    let (st, body) = get(&s, "/openapi.json", None).await;
    assert_eq!(st, 200);
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for path in [
        "/v1/classify",
        "/v1/classify/batch",
        "/v1/ruleset",
        "/v1/ruleset/reload",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        assert!(doc["paths"][path].is_object(), "missing {path}");
    }
    let schema = doc["paths"]["/v1/classify"]["post"]["requestBody"]["content"]["application/json"]
        ["schema"]
        .to_string();
    assert!(schema.contains("ClassifyRequest"), "{schema}");
    assert!(
        doc["components"]["schemas"]["Decision"]["properties"]["route"].is_object(),
        "{}",
        doc["components"]
    );
}

#[tokio::test]
async fn a_dead_history_store_is_not_ready_but_still_classifies() {
    let s = Server::start(|_| {}, Arc::new(DownStore)).await;
    let (st, body) = get(&s, "/readyz", None).await;
    assert_eq!(st, 503);
    assert!(body.contains("connection refused"));
    let (st, v) = post(
        &s,
        "/v1/classify",
        Some(KEY),
        json!({"text": "楼下着火了", "caller": "139"}),
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(v["route"], "emergency");
    assert_eq!(v["explanation"]["repeat"]["status"], "unavailable");
    assert_eq!(v["explanation"]["repeat"]["recorded"], false);
    let (_, m) = get(&s, "/metrics", None).await;
    assert!(m.contains("fenliu_history_unavailable_total 1"), "{m}");
    assert!(m.contains("fenliu_history_up 0"), "{m}");
}

const NEW_RULE: &str = "rules:\n  - id: police.drunk\n    route: police\n    category: public-order\n    priority: 70\n    description: added by a reload\n    when:\n      any: [醉汉闹事]\n    examples:\n      match: [有醉汉闹事]\n";

#[tokio::test]
async fn a_bad_reload_keeps_the_old_rules_and_a_good_one_swaps() {
    let s = Server::plain().await;
    // Broken: a regex that does not compile, and a failing example.
    std::fs::write(
        s.rules.join("routes/zz.yaml"),
        "rules:\n  - id: police.bad\n    route: police\n    category: x\n    priority: 70\n    description: broken\n    when:\n      regex: ['(']\n    examples:\n      match: [x]\n",
    )
    .unwrap();
    let (st, v) = post(&s, "/v1/ruleset/reload", Some(ADMIN), json!({})).await;
    assert_eq!((st, code(&v)), (422, "invalid_rules"), "{v}");
    let p = &v["error"]["problems"][0];
    assert_eq!(p["rule"], "police.bad");
    assert_eq!(p["line"], 8);
    assert!(p["file"].as_str().unwrap().ends_with("zz.yaml"));
    assert!(
        p["reason"].as_str().unwrap().contains("does not compile"),
        "{p}"
    );
    let (_, d) = post(&s, "/v1/classify", Some(KEY), json!({"text": "有醉汉闹事"})).await;
    assert_eq!(d["ruleset"]["version"], "test-1");

    // A rule whose example fails is refused too.
    std::fs::write(
        s.rules.join("routes/zz.yaml"),
        NEW_RULE.replace("match: [有醉汉闹事]", "match: [天气很好]"),
    )
    .unwrap();
    let (st, v) = post(&s, "/v1/ruleset/reload", Some(ADMIN), json!({})).await;
    assert_eq!(st, 422);
    assert!(
        v["error"]["problems"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("example does not match"),
        "{v}"
    );

    // Good.
    std::fs::write(s.rules.join("routes/zz.yaml"), NEW_RULE).unwrap();
    std::fs::write(s.rules.join("fenliu.yaml"), "version: \"test-2\"\n").unwrap();
    let (st, v) = post(&s, "/v1/ruleset/reload", Some(ADMIN), json!({})).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        (v["version"].as_str(), v["changed"].as_bool()),
        (Some("test-2"), Some(true))
    );
    let (_, d) = post(&s, "/v1/classify", Some(KEY), json!({"text": "有醉汉闹事"})).await;
    assert_eq!(
        (d["route"].as_str(), d["ruleset"]["version"].as_str()),
        (Some("police"), Some("test-2"))
    );
    let (_, m) = get(&s, "/metrics", None).await;
    assert!(
        m.contains("fenliu_ruleset_reloads_total{outcome=\"failure\"} 2"),
        "{m}"
    );
    assert!(
        m.contains("fenliu_ruleset_reloads_total{outcome=\"success\"} 1"),
        "{m}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn classification_runs_through_twenty_reloads_without_a_failure() {
    let s = Server::plain().await;
    let base = s.base.clone();
    let workers: Vec<_> = (0..8)
        .map(|w| {
            let url = format!("{base}/v1/classify");
            tokio::spawn(async move {
                let c = client();
                let mut ok = 0;
                for i in 0..60 {
                    let text = if i % 2 == 0 {
                        "楼下着火了"
                    } else {
                        "工地太吵"
                    };
                    let r = c
                        .post(&url)
                        .bearer_auth(KEY)
                        .json(&json!({"text": text, "id": format!("w{w}-{i}")}))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status().as_u16(), 200);
                    let v: Value = r.json().await.unwrap();
                    assert!(v["route"] == "emergency" || v["route"] == "non-police");
                    ok += 1;
                }
                ok
            })
        })
        .collect();
    for i in 0..20 {
        std::fs::write(
            s.rules.join("fenliu.yaml"),
            format!("version: \"load-{i}\"\n"),
        )
        .unwrap();
        let (st, v) = post(&s, "/v1/ruleset/reload", Some(ADMIN), json!({})).await;
        assert_eq!(st, 200, "{v}");
    }
    let mut total = 0;
    for w in workers {
        total += w.await.unwrap();
    }
    assert_eq!(total, 480);
    assert_eq!(s.state.current.load().classifier.rules().version, "load-19");
}

#[tokio::test]
async fn watch_reloads_changed_files_and_ignores_broken_ones() {
    let s = Server::start(
        |c| {
            c.watch = true;
            c.watch_interval_ms = 100;
        },
        Arc::new(MemoryStore::new()),
    )
    .await;
    std::fs::write(s.rules.join("routes/zz.yaml"), "rules: [").unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(s.state.current.load().classifier.rules().version, "test-1");
    std::fs::write(s.rules.join("routes/zz.yaml"), NEW_RULE).unwrap();
    std::fs::write(s.rules.join("fenliu.yaml"), "version: \"watched\"\n").unwrap();
    let mut version = String::new();
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        version = s.state.current.load().classifier.rules().version.clone();
        if version == "watched" {
            break;
        }
    }
    assert_eq!(version, "watched");
    let (_, d) = post(&s, "/v1/classify", Some(KEY), json!({"text": "有醉汉闹事"})).await;
    assert_eq!(d["route"], "police");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_requests_in_flight() {
    let mut s = Server::plain().await;
    let url = s.url("/v1/classify/batch");
    let appeals: Vec<Value> = (0..100).map(|i| json!({"text": "楼下着火了，工地也太吵，电动车被偷了".repeat(20), "id": format!("s{i}")})).collect();
    let in_flight: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            let body = json!({"appeals": appeals.clone()});
            tokio::spawn(async move {
                client()
                    .post(&url)
                    .bearer_auth(KEY)
                    .json(&body)
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(30)).await;
    s.stop.take().unwrap().send(()).unwrap();
    for r in in_flight {
        // Every request that reached the server completes.
        if let Ok(status) = r.await.unwrap() {
            assert_eq!(status, 200);
        }
    }
    let done = tokio::time::timeout(Duration::from_secs(10), s.done)
        .await
        .unwrap()
        .unwrap();
    assert!(done.is_ok());
    assert!(
        client()
            .get(format!("{}/healthz", s.base))
            .send()
            .await
            .is_err(),
        "the server still accepts"
    );
}

#[tokio::test]
async fn knowledge_search_over_http() {
    let s = Server::start(|c| c.max_text_chars = 100, Arc::new(MemoryStore::new())).await;
    let (st, body) = get(
        &s,
        "/v1/kb/search?q=%E5%B7%A5%E5%9C%B0%E5%8D%8A%E5%A4%9C%E6%89%93%E6%A1%A9&limit=2",
        Some(KEY),
    )
    .await;
    assert_eq!(st, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["hits"][0]["id"], "kb.urban.noise");
    assert_eq!(v["hits"][0]["handoff"], "城市管理局");
    assert!(v["hits"].as_array().unwrap().len() <= 2);
    assert_eq!(get(&s, "/v1/kb/search?q=x", None).await.0, 401);
    let (st, body) = get(&s, "/v1/kb/search?q=", Some(KEY)).await;
    assert_eq!(st, 422, "{body}");
    assert!(body.contains("empty_query"));
    let long = "吵".repeat(101);
    let (st, body) = get(&s, &format!("/v1/kb/search?q={long}"), Some(KEY)).await;
    assert_eq!(st, 422, "{body}");
    let (st, body) = get(&s, "/v1/kb/search?q=%E3%80%82%E3%80%82%EF%BC%81", Some(KEY)).await;
    assert_eq!((st, body.as_str()), (200, "{\"hits\":[]}"));
    let (st, _) = get(&s, "/v1/kb/search?q=x&limit=abc", Some(KEY)).await;
    assert_eq!(st, 400);
    // The classify explanation carries the entries too.
    let (_, d) = post(
        &s,
        "/v1/classify",
        Some(KEY),
        json!({"text": "工地太吵，半夜还在打桩"}),
    )
    .await;
    assert_eq!(d["explanation"]["knowledge"][0]["id"], "kb.urban.noise");
    // The index lives under the data directory.
    assert!(s.state.config.data_dir.join("kb").is_dir());
}

#[tokio::test]
async fn metrics_count_the_decisions_of_the_route_model() {
    let shipped = std::fs::canonicalize("rules").unwrap();
    let s = Server::start(|c| c.rules = shipped, Arc::new(MemoryStore::new())).await;
    // A rule decides the first; no rule knows the second, the model does.
    let (st, fire) = post(&s, "/v1/classify", Some(KEY), json!({"text": "楼下着火了"})).await;
    assert_eq!((st, fire["explanation"].get("model")), (200, None));
    let text = "有道数学题不会 你们能讲讲不";
    let (st, d) = post(&s, "/v1/classify", Some(KEY), json!({"text": text})).await;
    assert_eq!(st, 200);
    assert_eq!(d["explanation"]["model"]["decided"], true, "{d}");
    let (_, m) = get(&s, "/metrics", None).await;
    assert!(m.contains("fenliu_route_model_decisions_total 1\n"), "{m}");
}
