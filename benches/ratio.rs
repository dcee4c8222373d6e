//! The cost targets as ratios, measured interleaved: one pass of the corpus
//! texts through jieba segmentation, then through classification, then
//! through classification with the knowledge lookup, repeated; the median
//! of each. On a shared machine whose speed drifts between runs, ratios of
//! passes taken side by side are steadier than ratios of separate
//! criterion benches.
//!
//! cargo bench --bench ratio [-- ROUNDS]

// Test and measurement code: a failure to set up is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use fenliu::engine::Classifier;
use fenliu::rules::load_rule_set;

mod common;

fn main() {
    let rules = Arc::new(load_rule_set(Path::new("rules")).expect("shipped rules"));
    let kb = fenliu::knowledge::open_for(&rules, None)
        .expect("knowledge")
        .expect("entries");
    let plain = Classifier::new(rules.clone());
    let with_kb = plain.clone().with_knowledge(Arc::new(kb));
    let texts = common::corpus_texts();
    let rounds: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(15);
    let per_text = |f: &dyn Fn(&str)| {
        let t = Instant::now();
        for x in &texts {
            f(x);
        }
        t.elapsed().as_nanos() as f64 / texts.len() as f64 / 1e3
    };
    // Warm-up: lazy regex caches, the allocator, the branch predictors.
    per_text(&|x| drop(std::hint::black_box(with_kb.classify_text(x))));
    let (mut seg, mut cls, mut kbs) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        seg.push(per_text(&|x| {
            drop(std::hint::black_box(rules.segmenter().tokens(x)))
        }));
        cls.push(per_text(&|x| {
            drop(std::hint::black_box(plain.classify_text(x)))
        }));
        kbs.push(per_text(&|x| {
            drop(std::hint::black_box(with_kb.classify_text(x)))
        }));
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (s, c, k) = (median(&mut seg), median(&mut cls), median(&mut kbs));
    println!(
        "{} texts, {rounds} interleaved rounds, median per appeal:",
        texts.len()
    );
    println!("  segmentation alone             {s:7.2} us");
    println!(
        "  classification                 {c:7.2} us  ({:.2}x segmentation; target 2x)",
        c / s
    );
    println!(
        "  classification with knowledge  {k:7.2} us  ({:.2}x segmentation; target 8x)",
        k / s
    );
}
