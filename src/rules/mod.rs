//! Rule sets: the YAML maintainers write, loaded with located errors and
//! compiled once into the form that runs.
//!
//! load (files -> [`RawRuleSet`], overlays applied) -> compile (validation ->
//! [`RuleSet`]). Only [`yaml`] touches the YAML library.

mod compile;
pub mod error;
mod keywords;
mod lists;
mod literals;
mod load;
mod model;
pub mod raw;
pub mod yaml;

use std::path::Path;

pub use compile::compile;
pub use error::{LoadError, Problem};
pub use lists::Repeated;
pub(crate) use literals::word_list;
pub use load::{load, Located, RawRuleSet};
pub use model::{id_matches, ModelFallback, Policy, RepeatPolicy, ScareQuotes};
pub(crate) use model::{CueKind, CueRole, Use, UNLESS_REGEX};
pub use model::{Route, Rule, RuleSet, Target, APPEAL_TYPES, EMERGENCY_LINES};

/// Loads and compiles the rule set in `dir`.
pub fn load_rule_set(dir: &Path) -> Result<RuleSet, LoadError> {
    compile(&load(dir)?)
}
