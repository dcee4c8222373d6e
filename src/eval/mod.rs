//! Evaluation: labelled corpora replayed in file order with a fresh
//! history, scored per route, with every misrouted record explained.

mod corpus;
mod metrics;
mod report;

pub use corpus::{read_corpus, CorpusError, Record, SkippedLine};
pub use metrics::{evaluate, Evaluation, Misrouted, RouteMetrics};
pub(crate) use metrics::{ratio, round4};
pub use report::render_text;
