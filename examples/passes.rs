//! Passes over the corpus texts for an instruction count: segmentation,
//! classification, or classification with the knowledge lookup, repeated
//! N times. It prints nothing; `benches/instructions.sh` runs it under
//! callgrind with 1 and with N passes and divides the difference, so that
//! loading the rule set and the index does not count.
//!
//! cargo run --release --example passes -- segment|classify|knowledge N

// Test and measurement code: a failure to set up is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::sync::Arc;

use fenliu::engine::Classifier;
use fenliu::rules::load_rule_set;

#[path = "../benches/common/mod.rs"]
mod common;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_default();
    let passes: usize = args.next().map_or(Ok(1), |n| n.parse())?;
    let rules = Arc::new(load_rule_set(Path::new("rules"))?);
    let plain = Classifier::new(rules.clone());
    let kb = fenliu::knowledge::open_for(&rules, None)?.ok_or("no knowledge entries")?;
    let with_kb = plain.clone().with_knowledge(Arc::new(kb));
    let texts = common::corpus_texts();
    // Warm-up outside the count: lazy regex caches and tables.
    for t in &texts {
        drop(std::hint::black_box(with_kb.classify_text(t)));
        drop(std::hint::black_box(rules.segmenter().tokens(t)));
    }
    for _ in 0..passes {
        for t in &texts {
            match mode.as_str() {
                "segment" => drop(std::hint::black_box(rules.segmenter().tokens(t))),
                "classify" => drop(std::hint::black_box(plain.classify_text(t))),
                "knowledge" => drop(std::hint::black_box(with_kb.classify_text(t))),
                other => {
                    return Err(
                        format!("unknown mode `{other}`: segment, classify, knowledge").into(),
                    )
                }
            }
        }
    }
    Ok(())
}
