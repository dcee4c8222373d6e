//! Classification cost per appeal against jieba segmentation alone, on the
//! shipped corpus texts, one appeal per iteration on one core.
//!
//! cargo bench --bench classify

use std::path::{Path, PathBuf};
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use fenliu::engine::Classifier;
use fenliu::eval::read_corpus;
use fenliu::rules::load_rule_set;

fn corpus_texts() -> Vec<String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir("corpus")
        .expect("corpus directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    let (records, _) = read_corpus(&files).expect("corpus");
    records.into_iter().map(|r| r.text).collect()
}

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
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
