//! What the benches share: the texts they measure on.

use std::path::PathBuf;

use fenliu::eval::read_corpus;

// The allocator `fenliu serve` runs with (src/main.rs): a bench measures
// what production runs.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The texts of every record under `corpus/`, in file order.
pub fn corpus_texts() -> Vec<String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir("corpus")
        .expect("corpus directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    let (records, _) = read_corpus(&files).expect("corpus");
    records.into_iter().map(|r| r.text).collect()
}
