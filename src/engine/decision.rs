//! The decision and its explanation: one type that the CLI prints, the
//! service returns, `eval` scores and the history records.

use serde::{Deserialize, Serialize};

use crate::rules::Route;

/// Where an appeal goes, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Decision {
    /// The appeal's id, when it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub route: Route,
    pub category: String,
    pub appeal_type: String,
    pub handoff: Option<String>,
    /// In [0, 1].
    pub confidence: f64,
    /// A person should look at it: weak evidence, close routes, a fallback.
    pub review: bool,
    pub ruleset: RulesetRef,
    pub explanation: Explanation,
}

/// Which rule set decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RulesetRef {
    pub version: String,
    pub digest: String,
}

/// Why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Explanation {
    /// Every route rule that fired, counted or not, strongest first.
    pub hits: Vec<Hit>,
    /// The appeal-type cue rule that gave `appeal_type`, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appeal_type_rule: Option<String>,
    /// What the caller's history showed.
    pub repeat: RepeatEvidence,
    /// The knowledge entries most like the appeal (when a knowledge base is
    /// loaded), best first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub knowledge: Vec<crate::knowledge::KnowledgeHit>,
    /// When no rule fired: what the most similar typical cases proposed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vote: Option<crate::knowledge::Vote>,
    /// When no rule, or only a weak one, decided and the rule set has a
    /// route model: what it
    /// said, and whether its route was taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelEvidence>,
    /// The id of the rule that gave the route, when a rule did (not
    /// history, the fallback or a vote).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deciding_rule: Option<String>,
    /// One readable sentence.
    pub decided_by: String,
}

impl Explanation {
    /// The ids of the rules whose evidence counted.
    pub fn counted_rules(&self) -> Vec<String> {
        self.hits
            .iter()
            .filter(|h| h.counted)
            .map(|h| h.rule.clone())
            .collect()
    }
}

/// The route model's opinion of an appeal that no rule, or only a weak one,
/// decided.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ModelEvidence {
    /// The most probable route.
    pub route: Route,
    /// Its posterior probability, in (0, 1].
    pub share: f64,
    /// The next most probable route.
    pub runner_up: Route,
    /// The appeal's character n-grams that weighed most for `route` against
    /// `runner_up`, strongest first.
    pub ngrams: Vec<String>,
    /// Whether the model gave the decision's route. Not when it was unsure
    /// (below the policy's `min_share`), when danger cues ask for a higher
    /// route, or when the text itself discounted that route's evidence; nor
    /// when a weak rule decided because the model agreed with it or was not
    /// sure enough (`weak_rule_share`) to outweigh it.
    pub decided: bool,
}

/// A rule that fired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Hit {
    pub rule: String,
    pub route: Route,
    pub category: String,
    pub priority: u8,
    pub spans: Vec<Span>,
    pub negated: bool,
    pub hypothetical: bool,
    /// In the harmless past ("去年……").
    pub past: bool,
    /// Inside a scare quote: someone's word for what happened (被“骗”了).
    #[serde(default)]
    pub quoted: bool,
    /// The rule whose evidence cancelled this one's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressed_by: Option<String>,
    /// Whether this hit counted toward the decision.
    pub counted: bool,
}

/// A span of the caller's original text, in characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

/// History evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RepeatEvidence {
    /// `checked`, `no-caller` (nothing to look up), `unavailable` (the
    /// store failed; nothing counted) or `disabled` (no caller secret).
    pub status: HistoryStatus,
    /// Earlier near-duplicates in the repeat window that counted.
    pub earlier: Vec<EarlierAppeal>,
    /// Appeals from the caller in the burst window, this one included.
    pub burst_count: usize,
    pub repeat: bool,
    pub burst: bool,
    /// Whether this appeal was recorded in the history (false when the store
    /// failed, the id was already recorded, or there was no caller).
    pub recorded: bool,
}

/// Whether history could be consulted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum HistoryStatus {
    Checked,
    NoCaller,
    /// The store failed: nothing counted and the appeal was not recorded.
    Unavailable,
    /// The service runs without history (no caller secret configured).
    Disabled,
}

/// An earlier appeal that counted as the same matter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EarlierAppeal {
    pub id: String,
    pub received_at: String,
    pub similarity: f64,
    /// The caller referred to this appeal (还是那件事): it counts whatever
    /// its similarity.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub referred: bool,
}
