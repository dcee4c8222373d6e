//! The HTML evaluation report: one self-contained file (inline style and
//! script, no network) rendered in the browser from a JSON blob of the
//! evaluation, the per-rule statistics and the misrouted records.

use serde_json::{json, Value};

use super::stats::CorpusStats;
use crate::eval::Evaluation;
use crate::rules::Route;

const TEMPLATE: &str = include_str!("report.html");
const PLACEHOLDER: &str = "/*FENLIU_DATA*/null";

/// Renders the report of `eval` with its per-rule statistics.
pub fn render_html(eval: &Evaluation, stats: &CorpusStats, digest: &str) -> String {
    let data = data(eval, stats, digest);
    // JSON inside <script>: `<` escaped so no text can close the element
    // or open a comment; U+2028/2029 for old parsers.
    let blob = serde_json::to_string(&data)
        .unwrap_or_else(|_| "null".into())
        .replace('<', "\\u003c")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029");
    TEMPLATE.replacen(PLACEHOLDER, &blob, 1)
}

fn data(eval: &Evaluation, stats: &CorpusStats, digest: &str) -> Value {
    let misrouted: Vec<Value> = eval
        .misrouted
        .iter()
        .map(|m| {
            let spans: Vec<Value> = m
                .decision
                .explanation
                .hits
                .iter()
                .flat_map(|h| {
                    h.spans.iter().map(move |s| {
                        json!({
                            "start": s.start,
                            "end": s.end,
                            "rule": h.rule,
                            "route": h.route,
                            "counted": h.counted,
                        })
                    })
                })
                .collect();
            json!({
                "id": m.id,
                "gold": m.gold,
                "predicted": m.predicted,
                "category": m.decision.category,
                "text": m.text,
                "decided_by": m.decision.explanation.decided_by,
                "spans": spans,
            })
        })
        .collect();
    let rules: Vec<Value> = stats
        .rules
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "route": r.route,
                "category": r.category,
                "priority": r.priority,
                "file": r.file.display().to_string(),
                "line": r.line,
                "fired": r.fired,
                "decided": r.decided,
                "correct": r.correct,
                "incorrect": r.incorrect,
                "accuracy": r.accuracy,
                "overlaps": r.overlaps,
            })
        })
        .collect();
    json!({
        "title": "fenliu evaluation",
        "ruleset": {"version": eval.ruleset_version, "digest": digest},
        "records": eval.records,
        "summary": {
            "accuracy": eval.accuracy,
            "macro_f1": eval.macro_f1,
            "appeal_type_accuracy": eval.appeal_type_accuracy,
            "handoff_accuracy": eval.handoff_accuracy,
            "category_accuracy": eval.category_accuracy,
            "review_rate": eval.review_rate,
        },
        "routes": Route::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        "per_route": eval.per_route,
        "confusion": eval.confusion,
        "rules": rules,
        "misrouted": misrouted,
        "skipped": eval.skipped,
    })
}
