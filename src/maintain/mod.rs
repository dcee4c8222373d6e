//! What rule maintainers and QA run besides classification: per-rule
//! statistics of a corpus run (`analyze`), lints with stable codes
//! (`check`), the comparison of two rule sets as a release gate (`diff`),
//! the self-contained HTML evaluation report (`eval --html`) and the JSON
//! Schemas editors validate rule files with.

pub mod diff;
mod html;
pub mod lint;
mod revision;
mod schema;
mod stats;

pub use diff::{diff, metric_names, Change, DiffReport, GateResult, MaxDrop, MetricDelta, SetRef};
pub use html::render_html;
pub use lint::{lint, CorpusEvidence, Finding, Lint, LintReport, LINTS};
pub use revision::{resolve_base, BaseRules};
pub use schema::{schemas, SchemaFile};
pub use stats::{
    corpus_stats, keyword_records, CorpusStats, Decider, Overlap, RouteDeciders, RuleStats,
};
