//! The same behaviour from every history store: memory, SQLite and
//! PostgreSQL (a real server: `scripts/test.sh` starts one and sets
//! FENLIU_TEST_POSTGRES; with FENLIU_REQUIRE_POSTGRES=1 a missing server is
//! a failure, not a skip).

// Test and measurement code: a failure to set up is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use common::{at, minimal};
use fenliu::engine::Appeal;
use fenliu::history::{
    Audit, CallerKey, HistoryStore, MemoryStore, PastAppeal, PostgresStore, Signature, SqliteStore,
};
use fenliu::rules::Route;

fn key() -> CallerKey {
    CallerKey::new(b"a test secret of some length").unwrap()
}

fn unique() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A PostgreSQL store in its own schema, or `None` when no server is
/// configured (and not required).
fn postgres() -> Option<(PostgresStore, String)> {
    let Ok(url) = std::env::var("FENLIU_TEST_POSTGRES") else {
        assert!(
            std::env::var_os("FENLIU_REQUIRE_POSTGRES").is_none(),
            "FENLIU_REQUIRE_POSTGRES is set but FENLIU_TEST_POSTGRES is not: run scripts/test.sh"
        );
        eprintln!("skipped: FENLIU_TEST_POSTGRES is not set (scripts/test.sh sets it)");
        return None;
    };
    let schema = format!("t_{}", unique().replace('-', "_"));
    let mut admin =
        postgres::Client::connect(&url, postgres::NoTls).expect("connect to the test PostgreSQL");
    admin
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .unwrap();
    let scoped = format!("{url}?options=-csearch_path%3D{schema}");
    Some((PostgresStore::open(&scoped, key()).unwrap(), scoped))
}

fn stores() -> Vec<(
    &'static str,
    Arc<dyn HistoryStore>,
    Option<tempfile::TempDir>,
)> {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::open(&dir.path().join("h.sqlite3"), key()).unwrap();
    let mut v: Vec<(
        &'static str,
        Arc<dyn HistoryStore>,
        Option<tempfile::TempDir>,
    )> = vec![
        ("memory", Arc::new(MemoryStore::new()), None),
        ("sqlite", Arc::new(sqlite), Some(dir)),
    ];
    if let Some((pg, _)) = postgres() {
        v.push(("postgres", Arc::new(pg), None));
    }
    v
}

fn past(id: &str, caller: &str, t: i64) -> PastAppeal {
    PastAppeal {
        id: id.into(),
        caller: caller.into(),
        received_at: t,
        signature: Signature(vec![1, 2, 3]),
        route: Route::NonPolice,
        category: "noise".into(),
        audit: Some(Audit {
            ruleset_version: "v1".into(),
            ruleset_digest: "d".into(),
            rules: vec!["r".into()],
            decided_by: "x".into(),
            confidence: 0.5,
            review: false,
        }),
    }
}

#[test]
fn record_is_idempotent_and_recent_is_bounded() {
    for (name, s, _dir) in stores() {
        let u = unique();
        let (a, b) = (format!("a-{u}"), format!("b-{u}"));
        assert!(
            s.record(&past(&format!("{a}-1"), &a, 100)).unwrap(),
            "{name}"
        );
        assert!(
            !s.record(&past(&format!("{a}-1"), &a, 100)).unwrap(),
            "{name}: the same id twice"
        );
        assert!(s.contains(&format!("{a}-1")).unwrap(), "{name}");
        assert!(!s.contains("nope").unwrap(), "{name}");
        s.record(&past(&format!("{a}-2"), &a, 200)).unwrap();
        s.record(&past(&format!("{a}-3"), &a, 300)).unwrap();
        s.record(&past(&format!("{b}-1"), &b, 250)).unwrap();
        let r = s.recent(&a, 150, 300, 10).unwrap();
        let ids: Vec<&str> = r.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(
            ids,
            [format!("{a}-3"), format!("{a}-2")],
            "{name}: newest first, inside the window, one caller"
        );
        assert_eq!(r[0].signature, Signature(vec![1, 2, 3]), "{name}");
        assert_eq!(r[0].route, Route::NonPolice, "{name}");
        assert_eq!(s.recent(&a, 0, 1000, 1).unwrap().len(), 1, "{name}: limit");
        assert!(s.health().is_ok(), "{name}");
    }
}

#[test]
fn retention_purges_old_appeals() {
    for (name, s, _dir) in stores() {
        let c = format!("r-{}", unique());
        s.record(&past(&format!("{c}-old"), &c, 10)).unwrap();
        s.record(&past(&format!("{c}-new"), &c, 1_000)).unwrap();
        assert!(s.purge_before(500).unwrap() >= 1, "{name}");
        assert!(!s.contains(&format!("{c}-old")).unwrap(), "{name}");
        assert!(s.contains(&format!("{c}-new")).unwrap(), "{name}");
    }
}

#[test]
fn the_third_near_duplicate_is_a_repeat_in_every_store() {
    for (name, s, _dir) in stores() {
        let caller = format!("p-{}", unique());
        let c = minimal();
        let texts = [
            "幸福小区旁边工地晚上太吵",
            "幸福小区工地又太吵了",
            "还是幸福小区那个工地，太吵",
        ];
        let mut last = None;
        for (i, t) in texts.iter().enumerate() {
            let a = Appeal {
                id: Some(format!("{caller}-{i}")),
                text: (*t).into(),
                caller: Some(caller.clone()),
                received_at: Some(at(i as i64 * 1440)),
            };
            last = Some(c.classify(&a, s.as_ref(), 0));
        }
        let d = last.unwrap();
        assert_eq!(
            d.route,
            Route::IrrationalRepeat,
            "{name}: {}",
            d.explanation.decided_by
        );
        assert!(d.explanation.repeat.recorded, "{name}");
    }
}

#[test]
fn sqlite_keeps_history_across_reopening_and_never_stores_callers_in_clear() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.sqlite3");
    {
        let s = SqliteStore::open(&path, key()).unwrap();
        let c = minimal();
        let a = Appeal {
            id: Some("k1".into()),
            text: "楼下着火了".into(),
            caller: Some("13912345678".into()),
            received_at: Some(at(0)),
        };
        let d = c.classify(&a, &s, 0);
        assert!(d.explanation.repeat.recorded);
        let (hash, audit) = s.audit("k1").unwrap().unwrap();
        assert_eq!(hash, key().hash("13912345678"));
        assert_eq!(audit.rules, ["emergency.fire"]);
        assert_eq!(audit.ruleset_version, "test-1");
        assert!(audit.decided_by.contains("emergency.fire"));
    }
    let s = SqliteStore::open(&path, key()).unwrap();
    assert!(s.contains("k1").unwrap());
    assert_eq!(s.recent("13912345678", 0, i64::MAX, 10).unwrap().len(), 1);
    assert_eq!(s.schema_version().unwrap(), 2);
    drop(s);
    let mut raw = Vec::new();
    for f in std::fs::read_dir(dir.path()).unwrap() {
        raw.extend(std::fs::read(f.unwrap().path()).unwrap());
    }
    assert!(
        !raw.windows(11).any(|w| w == b"13912345678"),
        "the caller is in the database file in clear"
    );
    // Another secret does not recognise the caller.
    let other = SqliteStore::open(&path, CallerKey::new(b"a different secret!!").unwrap()).unwrap();
    assert!(other
        .recent("13912345678", 0, i64::MAX, 10)
        .unwrap()
        .is_empty());
}

#[test]
fn postgres_instances_share_callers() {
    let Some((first, url)) = postgres() else {
        return;
    };
    let second = PostgresStore::open(&url, key()).unwrap();
    let c = minimal();
    let caller = format!("p-{}", unique());
    let texts = [
        "幸福小区旁边工地晚上太吵",
        "幸福小区工地又太吵了",
        "还是幸福小区那个工地，太吵",
    ];
    let stores: [&dyn HistoryStore; 3] = [&first, &second, &first];
    let mut last = None;
    for (i, (t, s)) in texts.iter().zip(stores).enumerate() {
        let a = Appeal {
            id: Some(format!("{caller}-{i}")),
            text: (*t).into(),
            caller: Some(caller.clone()),
            received_at: Some(at(i as i64 * 60)),
        };
        last = Some(c.classify(&a, s, 0));
    }
    assert_eq!(last.unwrap().route, Route::IrrationalRepeat);
}

#[test]
fn an_unreachable_postgres_fails_fast_with_a_clear_error() {
    let started = std::time::Instant::now();
    let err = PostgresStore::open(
        "postgres://nobody@127.0.0.1:1/none?connect_timeout=2",
        key(),
    )
    .err()
    .unwrap();
    assert!(err.0.starts_with("postgres:"), "{}", err.0);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let err = fenliu::history::open_store("mysql://x", key())
        .err()
        .unwrap();
    assert!(err.0.contains("not a history store"), "{}", err.0);
}
