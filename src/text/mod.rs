//! The text pipeline: what an appeal looks like to the matchers.
//!
//! It owns normalization (traditional to simplified, width folding, noise
//! removal) with the map back to the caller's original characters,
//! segmentation with jieba and the domain dictionaries, and clause splitting.
//! It knows nothing of rules: cue scopes are computed by the engine from the
//! clause boundaries given here.

mod clause;
mod normalize;
mod segment;

pub use clause::Clauses;
pub(crate) use normalize::is_cjk;
pub use normalize::{normalize, Normalized};
pub use segment::{Segmenter, Token};
