//! Comparing two rule sets on one corpus: every record whose route,
//! category or hand-off changed, with both explanations; the metric deltas;
//! and a release gate on how much a metric may drop.

use std::fmt::Write;

use serde::Serialize;

use crate::engine::Decision;
use crate::eval::{round4, Evaluation, Record};
use crate::rules::Route;

/// `--max-drop METRIC=AMOUNT`: the gate fails when METRIC falls by more
/// than AMOUNT.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MaxDrop {
    pub metric: String,
    pub amount: f64,
}

impl std::str::FromStr for MaxDrop {
    type Err = String;

    fn from_str(s: &str) -> Result<MaxDrop, String> {
        let (metric, amount) = s
            .split_once('=')
            .ok_or_else(|| format!("`{s}`: expected METRIC=AMOUNT, e.g. macro_f1=0.01"))?;
        let metric = metric.trim();
        if !metric_names().iter().any(|m| m == metric) {
            return Err(format!(
                "`{metric}` is not a metric; the metrics are {}",
                metric_names().join(", ")
            ));
        }
        let amount: f64 = amount
            .trim()
            .parse()
            .map_err(|_| format!("`{amount}` in `{s}` is not a number"))?;
        if !(0.0..=1.0).contains(&amount) {
            return Err(format!("`{s}`: the drop must be between 0 and 1"));
        }
        Ok(MaxDrop {
            metric: metric.to_string(),
            amount,
        })
    }
}

/// The metrics a gate can name: overall ones, then `<route>.precision`,
/// `.recall` and `.f1`.
pub fn metric_names() -> Vec<String> {
    let mut names: Vec<String> = [
        "macro_f1",
        "accuracy",
        "appeal_type_accuracy",
        "handoff_accuracy",
        "category_accuracy",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for r in Route::ALL {
        for m in ["precision", "recall", "f1"] {
            names.push(format!("{r}.{m}"));
        }
    }
    names
}

fn metric(e: &Evaluation, name: &str) -> Option<f64> {
    match name {
        "macro_f1" => Some(e.macro_f1),
        "accuracy" => Some(e.accuracy),
        "appeal_type_accuracy" => e.appeal_type_accuracy,
        "handoff_accuracy" => e.handoff_accuracy,
        "category_accuracy" => e.category_accuracy,
        _ => {
            let (route, m) = name.split_once('.')?;
            let r = e.per_route.get(route)?;
            (r.support > 0 || m == "precision").then_some(match m {
                "precision" => r.precision,
                "recall" => r.recall,
                "f1" => r.f1,
                _ => return None,
            })
        }
    }
}

/// One side of a changed record.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Side {
    pub route: Route,
    pub category: String,
    pub handoff: Option<String>,
    pub deciding_rule: Option<String>,
    pub decided_by: String,
    /// Rules whose evidence counted.
    pub counted: Vec<String>,
}

impl Side {
    fn of(d: &Decision) -> Side {
        Side {
            route: d.route,
            category: d.category.clone(),
            handoff: d.handoff.clone(),
            deciding_rule: d.explanation.deciding_rule.clone(),
            decided_by: d.explanation.decided_by.clone(),
            counted: d.explanation.counted_rules(),
        }
    }
}

/// A record decided differently by the two rule sets.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Change {
    pub id: String,
    pub text: String,
    pub gold: Route,
    /// Which of `route`, `category`, `handoff` changed.
    pub changed: Vec<&'static str>,
    pub base: Side,
    pub new: Side,
}

impl Change {
    /// Right before, wrong now.
    pub fn regressed(&self) -> bool {
        self.base.route == self.gold && self.new.route != self.gold
    }

    /// Wrong before, right now.
    pub fn fixed(&self) -> bool {
        self.base.route != self.gold && self.new.route == self.gold
    }
}

/// A metric on both sides.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MetricDelta {
    pub metric: String,
    pub base: f64,
    pub new: f64,
    pub delta: f64,
}

/// A gate's outcome.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GateResult {
    pub metric: String,
    pub max_drop: f64,
    /// How much it fell (negative: it rose); `None` when the corpus does not
    /// measure it (the gate then fails).
    pub drop: Option<f64>,
    pub passed: bool,
}

/// Which rule set was which.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SetRef {
    pub version: String,
    pub digest: String,
    pub source: String,
}

/// The whole comparison.
#[derive(Debug, Clone, Serialize)]
pub struct DiffReport {
    pub base: SetRef,
    pub new: SetRef,
    pub records: usize,
    pub changes: Vec<Change>,
    pub metrics: Vec<MetricDelta>,
    pub gates: Vec<GateResult>,
    /// Every gate passed.
    pub passed: bool,
}

/// Compares two runs over the same `records` (in order).
pub fn diff(
    base: (&Evaluation, SetRef),
    new: (&Evaluation, SetRef),
    records: &[Record],
    gates: &[MaxDrop],
) -> DiffReport {
    let (b, n) = (base.0, new.0);
    let mut changes = Vec::new();
    for ((r, (_, bd)), (_, nd)) in records.iter().zip(&b.decisions).zip(&n.decisions) {
        let mut changed = Vec::new();
        if bd.route != nd.route {
            changed.push("route");
        }
        if bd.category != nd.category {
            changed.push("category");
        }
        if bd.handoff != nd.handoff {
            changed.push("handoff");
        }
        if !changed.is_empty() {
            changes.push(Change {
                id: r.id.clone(),
                text: r.text.clone(),
                gold: r.route,
                changed,
                base: Side::of(bd),
                new: Side::of(nd),
            });
        }
    }
    let metrics: Vec<MetricDelta> = metric_names()
        .into_iter()
        .filter_map(|m| {
            let (x, y) = (metric(b, &m)?, metric(n, &m)?);
            Some(MetricDelta {
                delta: round4(y - x),
                base: x,
                new: y,
                metric: m,
            })
        })
        .collect();
    let gates: Vec<GateResult> = gates
        .iter()
        .map(|g| {
            let drop = metrics
                .iter()
                .find(|m| m.metric == g.metric)
                .map(|m| round4(m.base - m.new));
            GateResult {
                metric: g.metric.clone(),
                max_drop: g.amount,
                drop,
                // A tolerance of a rounding step: 0.01 allows a drop of 0.01.
                // A metric the corpus cannot measure fails: the gate was
                // asked to guard it.
                passed: drop.is_some_and(|d| d <= g.amount + 1e-9),
            }
        })
        .collect();
    DiffReport {
        passed: gates.iter().all(|g| g.passed),
        base: base.1,
        new: new.1,
        records: records.len(),
        changes,
        metrics,
        gates,
    }
}

/// The report `fenliu diff` prints.
pub fn render_human(d: &DiffReport) -> String {
    let mut s = String::new();
    let short = |x: &str| x.chars().take(12).collect::<String>();
    let _ = writeln!(
        s,
        "base {} ({}, {}) -> new {} ({}, {}) on {} records",
        d.base.version,
        short(&d.base.digest),
        d.base.source,
        d.new.version,
        short(&d.new.digest),
        d.new.source,
        d.records
    );
    if d.changes.is_empty() {
        let _ = writeln!(s, "no record changed route, category or hand-off");
    } else {
        let count = |f: &str| d.changes.iter().filter(|c| c.changed.contains(&f)).count();
        let _ = writeln!(
            s,
            "{} record(s) changed: route {}, category {}, handoff {}; {} fixed, {} regressed",
            d.changes.len(),
            count("route"),
            count("category"),
            count("handoff"),
            d.changes.iter().filter(|c| c.fixed()).count(),
            d.changes.iter().filter(|c| c.regressed()).count(),
        );
    }
    for c in &d.changes {
        let mark = if c.regressed() {
            "REGRESSED"
        } else if c.fixed() {
            "fixed"
        } else {
            "changed"
        };
        let _ = writeln!(s, "\n{mark} {} (gold {})", c.id, c.gold);
        let text: String = c.text.chars().take(100).collect();
        let _ = writeln!(s, "  text:     {text}");
        if c.changed.contains(&"route") {
            let _ = writeln!(s, "  route:    {} -> {}", c.base.route, c.new.route);
        }
        if c.changed.contains(&"category") {
            let _ = writeln!(s, "  category: {} -> {}", c.base.category, c.new.category);
        }
        if c.changed.contains(&"handoff") {
            let h = |x: &Option<String>| x.clone().unwrap_or_else(|| "-".into());
            let _ = writeln!(
                s,
                "  handoff:  {} -> {}",
                h(&c.base.handoff),
                h(&c.new.handoff)
            );
        }
        let _ = writeln!(s, "  base: {}", c.base.decided_by);
        let _ = writeln!(s, "  new:  {}", c.new.decided_by);
    }
    let _ = writeln!(
        s,
        "\n{:<28} {:>8} {:>8} {:>8}",
        "metric", "base", "new", "delta"
    );
    for m in &d.metrics {
        let _ = writeln!(
            s,
            "{:<28} {:>8.4} {:>8.4} {:>+8.4}",
            m.metric, m.base, m.new, m.delta
        );
    }
    for g in &d.gates {
        let _ = match g.drop {
            Some(drop) => writeln!(
                s,
                "gate {}: may drop at most {:.4}, {} {:.4}: {}",
                g.metric,
                g.max_drop,
                if drop >= 0.0 { "dropped" } else { "rose" },
                drop.abs(),
                if g.passed { "ok" } else { "FAILED" }
            ),
            None => writeln!(
                s,
                "gate {}: not measured on this corpus (no labels for it): FAILED",
                g.metric
            ),
        };
    }
    s
}
