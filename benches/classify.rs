//! Classification cost per appeal against jieba segmentation alone, on the
//! shipped corpus texts, one appeal per iteration on one core.
//!
//! cargo bench --bench classify

// Test and measurement code: a failure to set up is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};

mod common;
use common::corpus_texts;
use fenliu::engine::Classifier;
use fenliu::rules::load_rule_set;

fn bench(c: &mut Criterion) {
    let rules = Arc::new(load_rule_set(Path::new("rules")).expect("shipped rules"));
    let classifier = Classifier::new(rules.clone());
    let texts = corpus_texts();
    let mean_chars = texts.iter().map(|t| t.chars().count()).sum::<usize>() / texts.len().max(1);
    eprintln!(
        "{} appeals, {} characters on average",
        texts.len(),
        mean_chars
    );

    let mut group = c.benchmark_group("per_appeal");
    let mut i = 0;
    group.bench_function("segment_only", |b| {
        b.iter(|| {
            i = (i + 1) % texts.len();
            rules.segmenter().tokens(&texts[i]).len()
        })
    });
    let mut j = 0;
    group.bench_function("classify", |b| {
        b.iter(|| {
            j = (j + 1) % texts.len();
            classifier.classify_text(&texts[j]).confidence
        })
    });
    // With a caller: segmentation, the signature, the history window and
    // the record (in memory; the durable stores are in benches/history.rs).
    let history = fenliu::history::MemoryStore::new();
    let mut k = 0u64;
    group.bench_function("classify_with_history", |b| {
        b.iter(|| {
            k += 1;
            let i = k as usize % texts.len();
            let appeal = fenliu::engine::Appeal {
                id: Some(format!("b{k}")),
                text: texts[i].clone(),
                // 20,000 callers, a few appeals each in the window: a
                // hotline's history, not one caller's thousand calls.
                caller: Some(format!("c{}", k % 20_000)),
                received_at: Some(1_772_330_400 + k as i64 * 60),
            };
            classifier.classify(&appeal, &history, 0).confidence
        })
    });
    let kb = fenliu::knowledge::open_for(&rules, None)
        .expect("knowledge")
        .expect("entries");
    let with_kb = classifier.clone().with_knowledge(Arc::new(kb));
    let mut m = 0;
    group.bench_function("classify_with_knowledge", |b| {
        b.iter(|| {
            m = (m + 1) % texts.len();
            with_kb.classify_text(&texts[m]).confidence
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
