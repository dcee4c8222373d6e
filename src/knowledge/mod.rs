//! The knowledge base: who handles what, what to tell the caller, and
//! typical cases. Entries live under `rules/knowledge/` and are versioned
//! with the rule set; the index (tantivy, on disk under the data directory,
//! rebuilt only when its inputs change) uses the classifier's own
//! segmentation, so an appeal and an entry are cut into the same words.
//!
//! entries (YAML) -> `KnowledgeBase::open` (index) -> `search` (entries) /
//! `vote` (typical cases) -> evidence in the explanation.

mod entry;
mod index;

pub use entry::{load_entries, Entry};
pub use index::{KbError, KnowledgeBase, KnowledgeHit, Query, Vote};

use std::path::Path;

use crate::rules::{LoadError, Problem, RuleSet};

/// The knowledge base of a rule set: its entries, indexed under
/// `data_dir/kb/` (or in memory), segmented as the rule set segments.
/// `None` when the rule set has no entries.
pub fn open_for(
    rules: &RuleSet,
    data_dir: Option<&Path>,
) -> Result<Option<KnowledgeBase>, LoadError> {
    let (entries, _) = load_entries(&rules.knowledge_dirs)?;
    if entries.is_empty() {
        return Ok(None);
    }
    KnowledgeBase::open(entries, rules.segmenter().clone(), data_dir, &rules.digest)
        .map(Some)
        .map_err(|e| LoadError {
            problems: vec![Problem::new(
                data_dir.map(|d| d.join("kb")).unwrap_or_default(),
                e.0,
            )],
        })
}
