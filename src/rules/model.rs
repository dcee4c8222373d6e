//! The compiled rule set: what runs. Built only by `compile`, immutable
//! afterwards, shared behind an `Arc` and replaced whole on reload.

use std::fmt;
use std::path::PathBuf;

use regex::{Regex, RegexSet};
use serde::{Deserialize, Serialize};

use super::keywords::Keywords;
use super::raw::RawExamples;
use crate::text::Segmenter;

/// The five routes of the labelling standard.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Route {
    Emergency,
    Police,
    NonPolice,
    LegalProcess,
    IrrationalRepeat,
}

impl Route {
    /// Every route, in the standard's order of precedence.
    pub const ALL: [Route; 5] = [
        Route::Emergency,
        Route::Police,
        Route::LegalProcess,
        Route::IrrationalRepeat,
        Route::NonPolice,
    ];

    /// The route id as written in YAML, the API and the corpus.
    pub fn as_str(self) -> &'static str {
        match self {
            Route::Emergency => "emergency",
            Route::Police => "police",
            Route::NonPolice => "non-police",
            Route::LegalProcess => "legal-process",
            Route::IrrationalRepeat => "irrational-repeat",
        }
    }

    /// Parses a route id.
    pub fn parse(s: &str) -> Option<Route> {
        Route::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// A small index for per-route arrays.
    pub fn index(self) -> usize {
        self as usize
    }

    pub(crate) fn bit(self) -> u8 {
        1 << self.index()
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether `pattern` names rule `id`: the id itself, or a prefix ending
/// in `*` (`legal-process.discipline*`; `*` alone is every rule).
pub fn id_matches(pattern: &str, id: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => id.starts_with(prefix),
        None => pattern == id,
    }
}

/// The appeal types of the standard.
pub const APPEAL_TYPES: [&str; 5] = ["咨询", "求助", "投诉", "举报", "建议"];

/// The emergency lines an emergency rule may hand off to.
pub const EMERGENCY_LINES: [&str; 4] = ["110", "119", "120", "122"];

/// What a rule gives when it decides.
#[derive(Debug, Clone)]
pub enum Target {
    /// A route rule.
    Route {
        route: Route,
        category: String,
        handoff: Option<String>,
        appeal_type: Option<String>,
    },
    /// An appeal-type cue rule.
    AppealType(String),
}

/// A compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub target: Target,
    pub priority: u8,
    pub description: String,
    pub file: PathBuf,
    pub line: Option<usize>,
    pub examples: RawExamples,
    pub(crate) cond: Condition,
    pub(crate) unless: Unless,
    /// Rules whose evidence this one cancels.
    pub(crate) suppresses: Vec<usize>,
    /// Cue kinds that do not discount this rule.
    pub(crate) ignore: crate::engine::Flags,
}

impl Rule {
    /// The route of a route rule.
    pub fn route(&self) -> Option<Route> {
        match &self.target {
            Target::Route { route, .. } => Some(*route),
            Target::AppealType(_) => None,
        }
    }

    /// The category of a route rule, or the appeal type of a cue rule.
    pub fn category(&self) -> &str {
        match &self.target {
            Target::Route { category, .. } => category,
            Target::AppealType(t) => t,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Condition {
    /// The rule has an `any` list (inline or from files).
    pub has_any: bool,
    /// Number of `all` groups.
    pub groups: usize,
    pub within: Option<usize>,
    pub same_clause: bool,
    pub regex: Vec<Regex>,
    /// Per regex: how many required parts the automaton must find before it
    /// runs (0: it runs whenever the rule's keywords hold).
    pub regex_parts: Vec<u8>,
    pub tokens: bool,
}

impl Condition {
    /// Only regexes: no keyword to find the rule by.
    pub fn is_regex_only(&self) -> bool {
        !self.has_any && self.groups == 0 && !self.regex.is_empty()
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Unless {
    pub regex: Vec<Regex>,
    /// Per regex, as `Condition::regex_parts`: an `unless` regex whose
    /// parts the automaton did not all find cannot match.
    pub regex_parts: Vec<u8>,
    pub clause_scope: bool,
}

/// `gated_regexes` and the open list number a rule's `unless` regexes from
/// here, after its condition regexes.
pub(crate) const UNLESS_REGEX: u16 = 0x8000;

/// What a keyword of the automaton is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Use {
    Any(u32),
    Group(u32, u16),
    Unless(u32),
    Cue(u16, CueRole),
    Danger,
    /// A phrase holding a danger word that signals no danger (救命稻草).
    DangerPseudo,
    NewFact,
    /// A caller's reference back to an earlier appeal (还是那件事).
    SameMatter,
    /// One of the literals of required part `1` of gated regex `0` (an
    /// index into `RuleSet::gated_regexes`).
    RegexPart(u32, u8),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum CueRole {
    Preceding,
    Following,
    Pseudo,
    Terminator,
}

/// Why evidence does not count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CueKind {
    Negated,
    Hypothetical,
    Past,
    /// A scare quote (`scare_quotes` in the policy), not a NegEx cue.
    Quoted,
}

impl CueKind {
    /// The kinds a rule's `ignore_cues` can name: the NegEx kinds and the
    /// policy's scare quotes.
    pub const IGNORABLE: [&'static str; 4] = ["negated", "hypothetical", "past", "quoted"];

    /// The kinds a NegEx cue of `cues` can have.
    pub fn parse(s: &str) -> Option<CueKind> {
        match s {
            "negated" => Some(CueKind::Negated),
            "hypothetical" => Some(CueKind::Hypothetical),
            "past" => Some(CueKind::Past),
            _ => None,
        }
    }

    /// A kind named in `ignore_cues` (one of [`CueKind::IGNORABLE`]).
    pub fn parse_ignored(s: &str) -> Option<CueKind> {
        match s {
            "quoted" => Some(CueKind::Quoted),
            _ => CueKind::parse(s),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Cue {
    pub kind: CueKind,
    pub window: Option<usize>,
    /// The scope crosses clause and sentence ends (bounded by `window`).
    pub across_sentences: bool,
    /// Bit per route whose evidence it discounts (all bits for every route);
    /// cue rules for appeal types are discounted only by all-route cues.
    pub routes: u8,
}

/// Repeat and burst policy, compiled.
#[derive(Debug, Clone)]
pub struct RepeatPolicy {
    pub earlier_duplicates: usize,
    pub window_secs: i64,
    pub burst_count: usize,
    pub burst_window_secs: i64,
    pub similarity: f64,
    /// At least 1: appeals that share no word are never the same matter,
    /// whatever the policy file says.
    pub min_shared_words: usize,
    /// `usize::MAX` when the policy sets none.
    pub shared_words_enough: usize,
    pub max_compared: usize,
    pub priority: u8,
    pub handoff: Option<String>,
    /// The appeal type of a repeat or burst the history decides.
    pub appeal_type: Option<String>,
    pub ignore_words: std::collections::HashSet<String>,
}

/// The decision policy, compiled.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Rank per route index: 0 wins.
    pub rank: [u8; 5],
    pub precedence: Vec<Route>,
    pub decisive_priority: u8,
    pub review_below: f64,
    pub close_margin: u8,
    pub repeat: RepeatPolicy,
    pub fallback_route: Route,
    pub fallback_category: String,
    pub fallback_handoff: Option<String>,
    pub danger_route: Route,
    pub danger_category: String,
    pub danger_handoff: Option<String>,
    /// How the route model decides where no rule does; `None`: it does not.
    pub model: Option<ModelFallback>,
    pub default_appeal_type: [Option<String>; 5],
    pub fixed_appeal_type: [Option<String>; 5],
    pub rule_appeal_type_priority: u8,
    pub scare_quotes: Option<ScareQuotes>,
}

/// Scare quotes, compiled: the words normalized like appeal text.
#[derive(Debug, Clone)]
pub struct ScareQuotes {
    pub max_chars: usize,
    pub words: Vec<String>,
    pub not_after: Vec<String>,
    /// Route bits whose evidence a scare quote discounts.
    pub routes: u8,
}

/// The route model's part of the fallback, compiled.
#[derive(Debug, Clone)]
pub struct ModelFallback {
    pub min_share: f64,
    pub category: String,
    /// Per route index.
    pub handoff: [Option<String>; 5],
    /// When the model replaces a weak rule's route.
    pub weak_rule_share: Option<f64>,
    /// When the model's route stands against danger cues.
    pub danger_share: Option<f64>,
    /// Per route index: whether the model may give that route.
    pub routes: [bool; 5],
}

/// A compiled, validated rule set.
#[derive(Debug)]
pub struct RuleSet {
    pub version: String,
    pub digest: String,
    pub dir: PathBuf,
    pub files: Vec<PathBuf>,
    /// Where the knowledge entries of this rule set are, base first.
    pub knowledge_dirs: Vec<PathBuf>,
    pub rules: Vec<Rule>,
    pub policy: Policy,
    pub(crate) segmenter: Segmenter,
    pub(crate) keywords: Keywords,
    /// Uses of each automaton pattern.
    pub(crate) uses: PatternUses,
    /// The pattern strings, for lints and explanations.
    pub(crate) patterns: Vec<String>,
    pub(crate) cues: Vec<Cue>,
    /// Rules with regexes and no keywords whose regexes have no literal to
    /// gate them: checked on every appeal, behind one `RegexSet` pass.
    pub(crate) regex_only: Vec<usize>,
    pub(crate) regex_only_set: RegexSet,
    /// Some rule matches on token boundaries.
    pub(crate) needs_tokens: bool,
    /// Regexes behind required parts: (rule, regex index, bit mask of all
    /// its parts). `Use::RegexPart` points here.
    pub(crate) gated_regexes: Vec<(u32, u16, u8)>,
    /// Lint settings of the manifest, as written (`fenliu check` reads them).
    pub lints: super::raw::RawLints,
    /// Keyword lists that no rule of their file uses (a lint).
    pub unused_lists: Vec<super::load::Located<String>>,
    /// Keywords a rule or a list holds twice (a lint).
    pub repeated: Vec<super::load::Located<super::lists::Repeated>>,
    /// The route model the manifest names, if it names one.
    pub route_model: Option<std::sync::Arc<crate::route_model::RouteModel>>,
}

impl RuleSet {
    /// The segmenter, with the rule set's dictionary.
    pub fn segmenter(&self) -> &Segmenter {
        &self.segmenter
    }

    /// A rule by id.
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// Rule counts per route (route rules only).
    pub fn counts_per_route(&self) -> Vec<(Route, usize)> {
        Route::ALL
            .iter()
            .map(|&r| {
                (
                    r,
                    self.rules.iter().filter(|x| x.route() == Some(r)).count(),
                )
            })
            .collect()
    }

    /// Bytes the keyword automaton takes (for reports).
    pub fn automaton_bytes(&self) -> usize {
        self.keywords.memory_usage()
    }

    /// The keywords of a rule, for lints.
    pub fn keywords_of(&self, rule: usize) -> Vec<&str> {
        let r = rule as u32;
        self.uses
            .iter()
            .enumerate()
            .filter(|(_, uses)| {
                uses.iter()
                    .any(|u| matches!(u, Use::Any(x) | Use::Group(x, _) if *x == r))
            })
            .map(|(p, _)| self.patterns[p].as_str())
            .collect()
    }
}

/// The uses of every automaton pattern in one array: pattern `p`'s are
/// `uses[start[p]..start[p + 1]]`. A match costs two reads of dense arrays
/// rather than a vector header and its heap block, which matters when the
/// matches of an appeal land on cold cache lines.
#[derive(Debug, Clone, Default)]
pub(crate) struct PatternUses {
    start: Vec<u32>,
    uses: Vec<Use>,
}

impl PatternUses {
    pub(crate) fn new(per_pattern: Vec<Vec<Use>>) -> PatternUses {
        let mut start = Vec::with_capacity(per_pattern.len() + 1);
        let mut uses = Vec::with_capacity(per_pattern.iter().map(Vec::len).sum());
        start.push(0);
        for u in per_pattern {
            uses.extend(u);
            start.push(uses.len() as u32);
        }
        PatternUses { start, uses }
    }

    /// The uses of each pattern, in pattern order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &[Use]> {
        self.start
            .windows(2)
            .map(|w| &self.uses[w[0] as usize..w[1] as usize])
    }
}

impl std::ops::Index<usize> for PatternUses {
    type Output = [Use];

    fn index(&self, pattern: usize) -> &[Use] {
        &self.uses[self.start[pattern] as usize..self.start[pattern + 1] as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_uses_keep_each_patterns_list_and_order() {
        let per = vec![
            vec![Use::Any(3), Use::Danger],
            vec![],
            vec![Use::Group(1, 2)],
            vec![Use::NewFact, Use::Unless(0), Use::RegexPart(4, 1)],
        ];
        let flat = PatternUses::new(per.clone());
        for (p, uses) in per.iter().enumerate() {
            assert_eq!(&flat[p], uses.as_slice(), "pattern {p}");
        }
        let listed: Vec<Vec<Use>> = flat.iter().map(<[Use]>::to_vec).collect();
        assert_eq!(listed, per);
        assert_eq!(PatternUses::new(Vec::new()).iter().count(), 0);
    }
}
