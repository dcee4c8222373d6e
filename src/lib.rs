//! fenliu (分流) reads a Chinese citizen appeal and says where it must go:
//! `emergency`, `police`, `non-police`, `legal-process` or
//! `irrational-repeat`, with a category, an appeal type, a hand-off target
//! and an explanation.
//!
//! The data flows one way:
//!
//! 1. [`rules`]: YAML rule sets are loaded (with located errors) and
//!    compiled once into an immutable [`rules::RuleSet`].
//! 2. [`text`]: an appeal is normalized (offsets kept), segmented and split
//!    into clauses.
//! 3. [`engine`]: one keyword-automaton pass, cue scopes, rule conditions,
//!    history evidence from a [`history::HistoryStore`], and the decision.
//!    Where no rule (or only a weak one) decides, a [`route_model`]
//!    trained on the labelled corpus (and versioned with the rules) may.
//! 4. [`eval`]: labelled corpora replayed and scored.
//!
//! ```no_run
//! use std::sync::Arc;
//! let rules = fenliu::rules::load_rule_set(std::path::Path::new("rules")).unwrap();
//! let classifier = fenliu::engine::Classifier::new(Arc::new(rules));
//! let decision = classifier.classify_text("楼道里一股臭鸡蛋味，邻居家没人应门");
//! assert_eq!(decision.route, fenliu::rules::Route::Emergency);
//! ```

pub mod engine;
pub mod eval;
pub mod history;
pub mod knowledge;
pub mod maintain;
pub mod route_model;
pub mod rules;
pub mod server;
pub mod text;
