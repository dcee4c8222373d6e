//! Scoring: accuracy, per-route precision / recall / F1, macro-F1, the
//! confusion matrix, and the secondary labels.

use std::collections::BTreeMap;

use serde::Serialize;

use super::corpus::{Record, SkippedLine};
use crate::engine::{Appeal, Classifier, Decision};
use crate::history::MemoryStore;
use crate::rules::Route;

/// Precision, recall and F1 of one route.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct RouteMetrics {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: usize,
}

/// A record routed elsewhere than its label.
#[derive(Debug, Clone, Serialize)]
pub struct Misrouted {
    pub id: String,
    pub gold: Route,
    pub predicted: Route,
    #[serde(skip)]
    pub text: String,
    #[serde(skip)]
    pub decision: Decision,
}

/// The result of an evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    pub records: usize,
    pub accuracy: f64,
    pub macro_f1: f64,
    pub per_route: BTreeMap<String, RouteMetrics>,
    pub confusion: BTreeMap<String, BTreeMap<String, usize>>,
    pub misrouted: Vec<Misrouted>,
    pub appeal_type_accuracy: Option<f64>,
    pub handoff_accuracy: Option<f64>,
    pub category_accuracy: Option<f64>,
    pub review_rate: f64,
    pub skipped: Vec<SkippedLine>,
    pub ruleset_version: String,
    /// Every decision, in record order (for reports).
    #[serde(skip)]
    pub decisions: Vec<(String, Decision)>,
}

/// Replays records in order with a fresh in-memory history and scores them.
pub fn evaluate(
    classifier: &Classifier,
    records: &[Record],
    skipped: Vec<SkippedLine>,
    mut progress: impl FnMut(usize),
) -> Evaluation {
    let history = MemoryStore::new();
    let mut confusion: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    let mut misrouted = Vec::new();
    let mut decisions = Vec::with_capacity(records.len());
    let (
        mut types,
        mut types_ok,
        mut handoffs,
        mut handoffs_ok,
        mut cats,
        mut cats_ok,
        mut reviews,
    ) = (0, 0, 0, 0, 0, 0, 0);
    // Records without a time come one second apart, so a corpus without
    // times still replays deterministically.
    let mut clock: i64 = 1_767_225_600;
    for (i, r) in records.iter().enumerate() {
        clock = r.received_secs.unwrap_or(clock + 1).max(clock);
        let appeal = Appeal {
            id: Some(r.id.clone()),
            text: r.text.clone(),
            caller: r.caller.clone(),
            received_at: r.received_secs.or(Some(clock)),
        };
        let d = classifier.classify(&appeal, &history, clock);
        *confusion
            .entry(r.route.to_string())
            .or_default()
            .entry(d.route.to_string())
            .or_default() += 1;
        if d.route != r.route {
            misrouted.push(Misrouted {
                id: r.id.clone(),
                gold: r.route,
                predicted: d.route,
                text: r.text.clone(),
                decision: d.clone(),
            });
        } else {
            if let Some(c) = &r.category {
                cats += 1;
                cats_ok += usize::from(*c == d.category);
            }
        }
        if let Some(t) = &r.appeal_type {
            types += 1;
            types_ok += usize::from(*t == d.appeal_type);
        }
        if let Some(h) = &r.handoff {
            handoffs += 1;
            handoffs_ok += usize::from(Some(h) == d.handoff.as_ref());
        }
        reviews += usize::from(d.review);
        decisions.push((r.id.clone(), d));
        progress(i + 1);
    }

    let mut per_route = BTreeMap::new();
    for route in Route::ALL {
        let name = route.to_string();
        let tp = confusion
            .get(&name)
            .and_then(|m| m.get(&name))
            .copied()
            .unwrap_or(0);
        let support: usize = confusion.get(&name).map_or(0, |m| m.values().sum());
        let predicted: usize = confusion
            .values()
            .map(|m| m.get(&name).copied().unwrap_or(0))
            .sum();
        let precision = ratio(tp, predicted);
        let recall = ratio(tp, support);
        let f1 = if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        };
        per_route.insert(
            name,
            RouteMetrics {
                precision: round4(precision),
                recall: round4(recall),
                f1: round4(f1),
                support,
            },
        );
    }
    let present: Vec<&RouteMetrics> = per_route.values().filter(|m| m.support > 0).collect();
    let macro_f1 = if present.is_empty() {
        0.0
    } else {
        present.iter().map(|m| m.f1).sum::<f64>() / present.len() as f64
    };
    let n = records.len();
    Evaluation {
        records: n,
        accuracy: round4(ratio(n - misrouted.len(), n)),
        macro_f1: round4(macro_f1),
        per_route,
        confusion,
        misrouted,
        appeal_type_accuracy: (types > 0).then(|| round4(ratio(types_ok, types))),
        handoff_accuracy: (handoffs > 0).then(|| round4(ratio(handoffs_ok, handoffs))),
        category_accuracy: (cats > 0).then(|| round4(ratio(cats_ok, cats))),
        review_rate: round4(ratio(reviews, n)),
        skipped,
        ruleset_version: classifier.rules().version.clone(),
        decisions,
    }
}

/// `a / b`, 0 when `b` is 0.
pub(crate) fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Four decimals, as every report prints them.
pub(crate) fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}
