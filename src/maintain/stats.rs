//! Per-rule and per-route statistics of one corpus run: how often each rule
//! fires, decides, agrees with the gold label, and which rules it fires
//! with. `analyze`, the corpus lints and the HTML report read these.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use serde::Serialize;

use crate::eval::{ratio, round4, Evaluation, Record};
use crate::rules::{Route, RuleSet};
use crate::text::normalize;

/// How many overlapping rules a rule's statistics list.
const MAX_OVERLAPS: usize = 5;

/// What one route rule did on a corpus.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RuleStats {
    pub id: String,
    pub route: Route,
    pub category: String,
    pub priority: u8,
    pub file: PathBuf,
    pub line: Option<usize>,
    /// Records on which the rule fired and its evidence counted.
    pub fired: usize,
    /// Records on which it fired but did not count (negated, hypothetical,
    /// past, or suppressed by another rule).
    pub discounted: usize,
    /// Share of the corpus on which it fired and counted.
    pub coverage: f64,
    /// Records whose route this rule gave.
    pub decided: usize,
    /// Of the records it fired on (counted), those whose gold route is the
    /// rule's route, and the others.
    pub correct: usize,
    pub incorrect: usize,
    /// `correct / fired`: the rule's empirical accuracy; `None` when it never fired.
    pub accuracy: Option<f64>,
    /// Of the records it decided, those routed against the gold label.
    pub decided_wrong: usize,
    /// The rules it fires together with most often (both counted).
    pub overlaps: Vec<Overlap>,
    /// The rules that decided the records it fired on but did not decide,
    /// most records first (`wrong`: those decisions were wrong).
    pub lost_to: Vec<Decider>,
}

/// Another rule fired on the same records.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Overlap {
    pub rule: String,
    /// Records on which both fired and counted.
    pub records: usize,
    /// The two rules name different routes.
    pub conflict: bool,
}

/// Who decided one route's records.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RouteDeciders {
    pub route: Route,
    /// Records given this route.
    pub decided: usize,
    /// Of those, routed against the gold label.
    pub wrong: usize,
    /// Rules that gave this route, most records first: (rule, records, wrong).
    pub rules: Vec<Decider>,
    /// Records the route model gave this route, and of them wrong.
    pub by_model: usize,
    pub by_model_wrong: usize,
    /// Records given this route with neither a deciding rule nor the route
    /// model (history, fallback, knowledge vote).
    pub without_rule: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Decider {
    pub rule: String,
    pub records: usize,
    pub wrong: usize,
}

/// Statistics of a whole run.
#[derive(Debug, Clone, Serialize)]
pub struct CorpusStats {
    pub records: usize,
    /// Route rules, worst first: most records misrouted by their decision,
    /// then most incorrect firings, then lowest accuracy, then id.
    pub rules: Vec<RuleStats>,
    pub routes: Vec<RouteDeciders>,
}

impl CorpusStats {
    /// The statistics of a rule by id.
    pub fn rule(&self, id: &str) -> Option<&RuleStats> {
        self.rules.iter().find(|r| r.id == id)
    }
}

/// What one route's records were decided by, while counting.
#[derive(Default)]
struct RouteTally {
    decided: usize,
    wrong: usize,
    /// Rule index -> (records it decided, of them wrong).
    by_rule: BTreeMap<usize, (usize, usize)>,
    /// (records the route model decided, of them wrong).
    by_model: (usize, usize),
    without_rule: usize,
}

/// Computes the statistics of `eval`, the run of `set` over `records` (in
/// the same order).
pub fn corpus_stats(set: &RuleSet, records: &[Record], eval: &Evaluation) -> CorpusStats {
    let index: HashMap<&str, usize> = set
        .rules
        .iter()
        .enumerate()
        .filter(|(_, r)| r.route().is_some())
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let n = set.rules.len();
    let mut fired = vec![0usize; n];
    let mut discounted = vec![0usize; n];
    let mut correct = vec![0usize; n];
    let mut decided = vec![0usize; n];
    let mut decided_wrong = vec![0usize; n];
    let mut pairs: HashMap<(usize, usize), usize> = HashMap::new();
    let mut lost: HashMap<(usize, usize), (usize, usize)> = HashMap::new();
    let mut per_route: BTreeMap<Route, RouteTally> = BTreeMap::new();

    for (record, (_, d)) in records.iter().zip(&eval.decisions) {
        let wrong = d.route != record.route;
        let mut counted: Vec<usize> = Vec::new();
        for h in &d.explanation.hits {
            let Some(&i) = index.get(h.rule.as_str()) else {
                continue;
            };
            if h.counted {
                if !counted.contains(&i) {
                    counted.push(i);
                    fired[i] += 1;
                    correct[i] += usize::from(h.route == record.route);
                }
            } else {
                discounted[i] += 1;
            }
        }
        counted.sort_unstable();
        for (a, &x) in counted.iter().enumerate() {
            for &y in &counted[a + 1..] {
                *pairs.entry((x, y)).or_default() += 1;
            }
        }
        let entry = per_route.entry(d.route).or_default();
        entry.decided += 1;
        entry.wrong += usize::from(wrong);
        match d
            .explanation
            .deciding_rule
            .as_deref()
            .and_then(|id| index.get(id))
        {
            Some(&i) => {
                for &loser in counted.iter().filter(|&&x| x != i) {
                    let e = lost.entry((loser, i)).or_default();
                    e.0 += 1;
                    e.1 += usize::from(wrong);
                }
                decided[i] += 1;
                decided_wrong[i] += usize::from(wrong);
                let e = entry.by_rule.entry(i).or_default();
                e.0 += 1;
                e.1 += usize::from(wrong);
            }
            None if d.explanation.model.as_ref().is_some_and(|m| m.decided) => {
                entry.by_model.0 += 1;
                entry.by_model.1 += usize::from(wrong);
            }
            None => entry.without_rule += 1,
        }
    }

    let mut overlaps: Vec<Vec<Overlap>> = vec![Vec::new(); n];
    for (&(x, y), &count) in &pairs {
        let conflict = set.rules[x].route() != set.rules[y].route();
        for (a, b) in [(x, y), (y, x)] {
            overlaps[a].push(Overlap {
                rule: set.rules[b].id.clone(),
                records: count,
                conflict,
            });
        }
    }
    let mut lost_to: Vec<Vec<Decider>> = vec![Vec::new(); n];
    for (&(loser, winner), &(records, wrong)) in &lost {
        lost_to[loser].push(Decider {
            rule: set.rules[winner].id.clone(),
            records,
            wrong,
        });
    }
    let total = records.len();
    let mut rules: Vec<RuleStats> = set
        .rules
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let route = r.route()?;
            let mut o = std::mem::take(&mut overlaps[i]);
            // Conflicts first, then the most shared records.
            o.sort_by(|a, b| {
                (b.conflict, b.records, &a.rule).cmp(&(a.conflict, a.records, &b.rule))
            });
            o.truncate(MAX_OVERLAPS);
            let mut l = std::mem::take(&mut lost_to[i]);
            l.sort_by(|a, b| b.records.cmp(&a.records).then_with(|| a.rule.cmp(&b.rule)));
            l.truncate(MAX_OVERLAPS);
            Some(RuleStats {
                id: r.id.clone(),
                route,
                category: r.category().to_string(),
                priority: r.priority,
                file: r.file.clone(),
                line: r.line,
                fired: fired[i],
                discounted: discounted[i],
                coverage: round4(ratio(fired[i], total)),
                decided: decided[i],
                correct: correct[i],
                incorrect: fired[i] - correct[i],
                accuracy: (fired[i] > 0).then(|| round4(ratio(correct[i], fired[i]))),
                decided_wrong: decided_wrong[i],
                overlaps: o,
                lost_to: l,
            })
        })
        .collect();
    rules.sort_by(|a, b| {
        b.decided_wrong
            .cmp(&a.decided_wrong)
            .then(b.incorrect.cmp(&a.incorrect))
            .then(
                a.accuracy
                    .unwrap_or(1.0)
                    .total_cmp(&b.accuracy.unwrap_or(1.0)),
            )
            .then_with(|| a.id.cmp(&b.id))
    });
    let routes = Route::ALL
        .into_iter()
        .map(|route| {
            let RouteTally {
                decided,
                wrong,
                by_rule,
                by_model,
                without_rule,
            } = per_route.remove(&route).unwrap_or_default();
            let mut deciders: Vec<Decider> = by_rule
                .into_iter()
                .map(|(i, (records, wrong))| Decider {
                    rule: set.rules[i].id.clone(),
                    records,
                    wrong,
                })
                .collect();
            deciders.sort_by(|a, b| b.records.cmp(&a.records).then_with(|| a.rule.cmp(&b.rule)));
            RouteDeciders {
                route,
                decided,
                wrong,
                rules: deciders,
                by_model: by_model.0,
                by_model_wrong: by_model.1,
                without_rule,
            }
        })
        .collect();
    CorpusStats {
        records: total,
        rules,
        routes,
    }
}

/// For each keyword of a route rule's `any` or `all` lists: on how many
/// records it occurs (normalized text, anywhere, whatever the scope).
pub fn keyword_records(set: &RuleSet, records: &[Record]) -> BTreeMap<String, usize> {
    let keyword: Vec<bool> = set
        .uses
        .iter()
        .map(|uses| {
            uses.iter().any(|u| match u {
                crate::rules::Use::Any(r) | crate::rules::Use::Group(r, _) => {
                    set.rules[*r as usize].route().is_some()
                }
                _ => false,
            })
        })
        .collect();
    let mut counts = vec![0usize; keyword.len()];
    let mut seen = vec![false; keyword.len()];
    for r in records {
        let norm = normalize(&r.text);
        seen.iter_mut().for_each(|s| *s = false);
        set.keywords.find(&norm.text, |p, _, _| {
            if keyword[p] && !seen[p] {
                seen[p] = true;
                counts[p] += 1;
            }
        });
    }
    counts
        .into_iter()
        .enumerate()
        .filter(|&(p, c)| keyword[p] && c > 0)
        .map(|(p, c)| (set.patterns[p].clone(), c))
        .collect()
}
