//! The added cost of history per appeal, per store: the lookup of the
//! caller's window and the recording of the appeal, as `classify` does them.
//! PostgreSQL is measured when FENLIU_TEST_POSTGRES is set (scripts/test.sh
//! style server); SQLite is a file with WAL and synchronous commits.
//!
//!   cargo bench --bench history

// Test and measurement code: a failure to set up is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use fenliu::history::{
    Audit, CallerKey, HistoryStore, MemoryStore, PastAppeal, PostgresStore, Signature, SqliteStore,
};
use fenliu::rules::Route;

fn appeal(i: u64) -> PastAppeal {
    PastAppeal {
        id: format!("bench-{}-{i}", std::process::id()),
        caller: format!("138{:08}", i % 20_000),
        received_at: 1_772_330_400 + i as i64 * 60,
        signature: Signature((0..40).map(|k| k * 7919 + i).collect()),
        route: Route::NonPolice,
        category: "noise".into(),
        audit: Some(Audit {
            ruleset_version: "v".into(),
            ruleset_digest: "d".into(),
            rules: vec!["non-police.noise".into()],
            decided_by: "规则 non-police.noise 命中“太吵”".into(),
            confidence: 0.6,
            review: false,
        }),
    }
}

fn bench_store(c: &mut Criterion, name: &str, store: Arc<dyn HistoryStore>) {
    // A history to look into: 20,000 appeals of 20,000 callers, a few a day.
    for i in 0..20_000u64 {
        let _ = store.record(&appeal(i));
    }
    let mut i = 1_000_000u64;
    c.bench_function(&format!("history/{name}/lookup_and_record"), |b| {
        b.iter(|| {
            i += 1;
            let a = appeal(i);
            let window = store
                .recent(&a.caller, a.received_at - 30 * 86_400, a.received_at, 200)
                .map(|v| v.len())
                .unwrap_or(0);
            let _ = store.contains(&a.id);
            let _ = store.record(&a);
            window
        })
    });
}

fn bench(c: &mut Criterion) {
    let key = CallerKey::new(b"a bench secret, long enough").expect("key");
    bench_store(c, "memory", Arc::new(MemoryStore::new()));
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = SqliteStore::open(&dir.path().join("bench.sqlite3"), key.clone()).expect("sqlite");
    bench_store(c, "sqlite", Arc::new(sqlite));
    if let Ok(url) = std::env::var("FENLIU_TEST_POSTGRES") {
        let pg = PostgresStore::open(&url, key).expect("postgres");
        bench_store(c, "postgres", Arc::new(pg));
    } else {
        eprintln!("postgres: skipped (set FENLIU_TEST_POSTGRES)");
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(8));
    targets = bench
}
criterion_main!(benches);
