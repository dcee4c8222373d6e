//! The rule set as maintainers write it: plain serde structs, one per YAML
//! document shape. Nothing here is validated beyond its shape; `compile`
//! turns these into the form that runs.

use std::collections::BTreeMap;

use serde::Deserialize;

/// `fenliu.yaml`: the manifest at the root of a rule set.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawManifest {
    /// The rule-set version, e.g. `2026.11.1`; shown in every decision.
    pub version: String,
    /// A base rule set this one overlays (a directory relative to this one).
    #[serde(default)]
    pub extends: Option<String>,
    /// Where keyword files and the segmentation dictionary live, relative to
    /// this directory. Defaults to `../dictionaries`.
    #[serde(default)]
    pub dictionaries: Option<String>,
    /// What changed, newest first.
    #[serde(default)]
    pub changelog: Vec<RawChange>,
    /// Overlay only: categories moved to another route.
    #[serde(default)]
    pub reroute: Vec<RawReroute>,
    /// Overlay only: base rules switched off by id.
    #[serde(default)]
    pub disable: Vec<String>,
    /// `fenliu check` lint settings: lints switched off, thresholds.
    #[serde(default)]
    pub lints: Option<RawLints>,
    /// The route model file (`fenliu model train` writes it), relative to
    /// this directory: it decides the appeals no rule decides. An overlay
    /// without one keeps its base's; `none` switches the base's off.
    #[serde(default)]
    pub route_model: Option<String>,
}

/// Lint settings in the manifest. `fenliu check` validates them.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawLints {
    /// Lints switched off, for the whole rule set or for some rules.
    #[serde(default)]
    pub allow: Vec<RawAllow>,
    /// `broad-keyword` warns about a keyword found in more than this share
    /// of the corpus records (default 0.1).
    #[serde(default)]
    pub broad_share: Option<f64>,
}

/// One lint switched off.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAllow {
    /// A lint code (`FL003`) or name (`silent-rule`).
    pub lint: String,
    /// Rule ids, or prefixes ending in `*`; every rule when absent.
    #[serde(default)]
    pub rules: Option<Vec<String>>,
    /// Why it is switched off, for the next maintainer.
    #[serde(default)]
    pub reason: Option<String>,
}

/// One changelog entry.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawChange {
    pub version: String,
    #[serde(default)]
    pub date: Option<String>,
    pub changes: Vec<String>,
}

/// An overlay's move of a category to another route.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawReroute {
    /// The category as the base rules give it.
    pub category: String,
    /// The route it goes to in this jurisdiction.
    #[schemars(with = "crate::rules::Route")]
    pub route: String,
    /// The hand-off target there, replacing the rules' own.
    #[serde(default)]
    pub handoff: Option<String>,
}

/// `policy.yaml`: precedence, thresholds and cue lists.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPolicy {
    /// Routes from the one that wins to the one that loses.
    #[schemars(with = "Vec<crate::rules::Route>")]
    pub precedence: Vec<String>,
    /// Rules at or above this priority decide by precedence; weaker ones only
    /// decide when nothing decisive fired.
    pub decisive_priority: u8,
    /// `review: true` below this confidence.
    pub review_below: f64,
    /// Two routes whose best priorities are within this many points are
    /// "close": the decision is flagged for review.
    pub close_margin: u8,
    /// Repeat and burst policy.
    pub repeat: RawRepeat,
    /// What to do when no rule fires.
    pub fallback: RawFallback,
    /// Negation, hypothetical and past cues.
    pub cues: Vec<RawCue>,
    /// The appeal type a route gets when no appeal-type cue decides.
    pub default_appeal_type: BTreeMap<String, String>,
    /// Priority of a route rule's own `appeal_type` against the cue rules of
    /// `appeal-types.yaml`.
    pub rule_appeal_type_priority: u8,
    /// Routes whose appeal type is fixed whatever the cues say (every
    /// emergency is a call for help).
    #[serde(default)]
    pub fixed_appeal_type: BTreeMap<String, String>,
    /// Scare quotes: a short quotation holding one of `words` is someone's
    /// word for what happened, not the fact (家长觉得被“骗”了).
    #[serde(default)]
    pub scare_quotes: Option<RawScareQuotes>,
}

/// Scare quotes (`scare_quotes` in `policy.yaml`).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawScareQuotes {
    /// A quotation of at most this many characters can be a scare quote;
    /// a longer one reports what someone said.
    #[schemars(range(min = 1))]
    pub max_chars: usize,
    /// The quotation must hold one of these words (骗, 偷, 抢 …): a term
    /// quoted as a term (“安全账户”, “特殊服务”) stays evidence.
    pub words: Vec<String>,
    /// A quotation right after one of these is a shout (大喊“抓小偷”) and
    /// stays evidence.
    #[serde(default)]
    pub not_after: Vec<String>,
    /// Routes whose evidence inside the quotation does not count.
    #[schemars(extend("items" = {"enum": ["emergency", "police", "legal-process", "irrational-repeat", "non-police"]}))]
    pub routes: Vec<String>,
}

/// Repeat and burst thresholds.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRepeat {
    /// The current appeal is a repeat when at least this many earlier
    /// near-duplicates are on record in the window (2: the third call).
    pub earlier_duplicates: usize,
    pub window_days: u32,
    /// A burst: at least this many appeals (the current one included) in
    /// `burst_window_hours`.
    pub burst_count: usize,
    pub burst_window_hours: u32,
    /// Similarity in [0, 1] at or above which two appeals are the same matter.
    pub similarity: f64,
    /// Two appeals sharing fewer content words than this are never the same
    /// matter, whatever the ratio.
    #[serde(default = "default_min_shared")]
    pub min_shared_words: usize,
    /// Two appeals sharing at least this many content words are the same
    /// matter whatever the share (a long work order and a short call about
    /// one shop share its place, name and problem, and little else).
    #[serde(default)]
    pub shared_words_enough: Option<usize>,
    /// At most this many earlier appeals are compared (newest first).
    pub max_compared: usize,
    /// Priority of repeat and burst evidence.
    pub priority: u8,
    /// Words that announce a new fact: such an appeal is not a repeat.
    #[serde(default)]
    pub new_fact_cues: Vec<String>,
    /// Words with which the caller says this is the matter raised before
    /// (还是那件事, 又是我): the closest earlier appeal counts as the same
    /// matter even when the two share too few words.
    #[serde(default)]
    pub same_matter_cues: Vec<String>,
    /// Words left out of the similarity (filler of every appeal).
    #[serde(default)]
    pub ignore_words: Vec<String>,
    /// Where a repeat or burst goes.
    #[serde(default)]
    pub handoff: Option<String>,
    /// The appeal type of a repeat or burst that the history decides (a
    /// caller back about a matter already answered mostly complains), as
    /// strong as a route rule's own `appeal_type`; absent: the route's
    /// default.
    #[serde(default)]
    pub appeal_type: Option<String>,
}

fn default_min_shared() -> usize {
    2
}

/// The fallback when no rule fires.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawFallback {
    /// Words that signal danger in an unclear appeal (疑警从有).
    pub danger_cues: Vec<String>,
    /// Phrases that contain a danger word and signal none (救命稻草,
    /// 吓死我了): a danger word inside one does not count.
    #[serde(default)]
    pub danger_pseudo: Vec<String>,
    /// Route and hand-off for an unclear appeal with danger cues.
    pub danger_route: String,
    #[serde(default)]
    pub danger_handoff: Option<String>,
    pub danger_category: String,
    /// Route and category for everything else.
    pub route: String,
    pub category: String,
    #[serde(default)]
    pub handoff: Option<String>,
    /// How the route model decides where no rule does (when the manifest
    /// names one).
    #[serde(default)]
    pub model: Option<RawModelFallback>,
}

/// The route model's part of the fallback.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawModelFallback {
    /// The model decides only when its route has at least this posterior
    /// probability (0 to 1); below it the plain fallback stands.
    pub min_share: f64,
    /// The category of a model decision (the knowledge base's closest entry
    /// of the same route refines it when one is loaded).
    pub category: String,
    /// The hand-off per route of a model decision.
    #[serde(default)]
    pub handoff: BTreeMap<String, String>,
    /// The model also replaces the route of a weak rule (below
    /// `decisive_priority`) when it gives another route at least this
    /// probability; absent, it never does.
    #[serde(default)]
    pub weak_rule_share: Option<f64>,
    /// The model's route also stands against danger cues (疑警从有) when it
    /// gives it at least this probability: a danger word in a text the
    /// model is that sure of is a figure of speech (救命啊，水费三百多).
    /// Absent, danger cues always keep the route at or above `danger_route`.
    #[serde(default)]
    pub danger_share: Option<f64>,
    /// The routes the model may give; absent, all five. A route it gives
    /// outside them is its opinion only, and the plain fallback (or the weak
    /// rule) stands.
    #[serde(default)]
    pub routes: Option<Vec<String>>,
}

/// A family of cues (NegEx / ConText style).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCue {
    /// `negated`, `hypothetical` or `past`.
    #[schemars(extend("enum" = ["negated", "hypothetical", "past"]))]
    pub kind: String,
    /// Cues whose scope runs forward from the cue.
    #[serde(default)]
    pub preceding: Vec<String>,
    /// Cues whose scope runs backward from the cue.
    #[serde(default)]
    pub following: Vec<String>,
    /// Phrases that contain a cue or a terminator but are neither (不仅,
    /// 没想到; 真的 against the terminator 的).
    #[serde(default)]
    pub pseudo: Vec<String>,
    /// Phrases that end a scope before the clause does (但是, 现在).
    #[serde(default)]
    pub terminators: Vec<String>,
    /// How many characters the scope reaches; the clause end otherwise.
    #[serde(default)]
    pub window: Option<usize>,
    /// The scope runs over clause and sentence ends, to the window, a
    /// terminator or the text's edge: a caller who takes an alarm back
    /// (有人掉河里了！哎，不是，是在冬泳) takes back what came sentences
    /// before. Needs `window`.
    #[serde(default)]
    pub across_sentences: bool,
    /// Routes whose evidence this cue discounts; every route if empty.
    #[serde(default)]
    pub routes: Vec<String>,
}

/// A rule file under `routes/`, or `appeal-types.yaml`. Rules stay YAML
/// values until each is located and read on its own (`schema` describes
/// the two shapes for editors).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRuleFile {
    /// Rule files reference the generated JSON Schema for editors; ignored.
    #[serde(default, rename = "$schema")]
    pub schema: Option<String>,
    /// Named keyword lists, used in this file's rules as `"@name"` items of
    /// `any`, an `all` group or `unless.any` (see `lists`).
    #[serde(default)]
    pub lists: BTreeMap<String, Vec<String>>,
    pub rules: Vec<serde_yaml::Value>,
}

/// One route rule.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    /// Unique id, `route.topic.detail` by convention.
    pub id: String,
    /// One of the five route ids.
    #[schemars(with = "crate::rules::Route")]
    pub route: String,
    pub category: String,
    /// The appeal type this rule suggests (咨询 / 求助 / 投诉 / 举报 / 建议).
    #[serde(default)]
    pub appeal_type: Option<String>,
    /// Where the appeal goes (110, 119, a department, a mediation body).
    #[serde(default)]
    pub handoff: Option<String>,
    /// 1..=100; higher wins inside a route and decides across routes.
    #[schemars(range(min = 1, max = 100))]
    pub priority: u8,
    pub description: String,
    /// What must be present.
    pub when: RawCondition,
    /// What stops the rule from firing when present anywhere in the appeal.
    #[serde(default)]
    pub unless: Option<RawUnless>,
    /// Rules (ids, or prefixes ending in `*`) whose evidence this rule
    /// cancels when it fires: the standard's refinements, such as an
    /// unlawful demand that only names the police.
    #[serde(default)]
    pub suppresses: Vec<String>,
    /// Cue kinds that do not discount this rule: a threat to jump "if
    /// nobody comes" is made now, so `hypothetical` does not apply to it
    /// (`quoted`: the policy's scare quotes).
    #[serde(default)]
    pub ignore_cues: Vec<String>,
    pub examples: RawExamples,
}

/// One appeal-type cue rule (`appeal-types.yaml`).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawTypeRule {
    pub id: String,
    pub appeal_type: String,
    #[schemars(range(min = 1, max = 100))]
    pub priority: u8,
    #[serde(default)]
    pub description: Option<String>,
    pub when: RawCondition,
    #[serde(default)]
    pub unless: Option<RawUnless>,
    #[serde(default)]
    pub examples: Option<RawExamples>,
}

/// Conditions: every one that is given must hold.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCondition {
    /// At least one of these keywords.
    #[serde(default)]
    pub any: Option<Vec<String>>,
    /// Keyword files (one keyword a line, `#` comments) under
    /// `dictionaries/`, added to `any`.
    #[serde(default)]
    pub any_from: Vec<String>,
    /// One keyword of every group.
    #[serde(default)]
    pub all: Vec<Vec<String>>,
    /// With `all` (and `any`): the hits must lie within this many characters
    /// of the first group's hit.
    #[serde(default)]
    pub within: Option<usize>,
    /// With `all` (and `any`): the hits must share a clause.
    #[serde(default)]
    pub same_clause: bool,
    /// At least one of these regular expressions (on the normalized text).
    #[serde(default)]
    pub regex: Vec<String>,
    /// Keywords must be whole tokens of the segmentation, not parts of
    /// longer words.
    #[serde(default)]
    pub tokens: bool,
}

/// Conditions that stop a rule.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawUnless {
    #[serde(default)]
    pub any: Vec<String>,
    #[serde(default)]
    pub regex: Vec<String>,
    /// `text` (default): anywhere in the appeal; `clause`: in a clause that
    /// holds one of the rule's hits (a regex match counts in every clause it
    /// runs through).
    #[serde(default)]
    pub scope: Option<String>,
}

/// Texts a rule must and must not fire on; `check` runs them.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawExamples {
    #[serde(default, rename = "match")]
    pub matches: Vec<String>,
    #[serde(default)]
    pub no_match: Vec<String>,
}
