//! The human-readable evaluation report.

use std::fmt::Write;

use super::metrics::Evaluation;
use crate::rules::Route;

/// Renders the report `fenliu eval` prints.
pub fn render_text(e: &Evaluation) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "rule set {}: {} records", e.ruleset_version, e.records);
    if !e.skipped.is_empty() {
        let _ = writeln!(s, "skipped {} malformed line(s):", e.skipped.len());
        for k in &e.skipped {
            let _ = writeln!(s, "  {}:{}: {}", k.file.display(), k.line, k.reason);
        }
    }
    let _ = writeln!(s, "accuracy  {:.4}", e.accuracy);
    let _ = writeln!(s, "macro-F1  {:.4}", e.macro_f1);
    if let Some(a) = e.appeal_type_accuracy {
        let _ = writeln!(s, "appeal type accuracy  {a:.4}");
    }
    if let Some(a) = e.handoff_accuracy {
        let _ = writeln!(s, "handoff accuracy      {a:.4}");
    }
    if let Some(a) = e.category_accuracy {
        let _ = writeln!(s, "category accuracy (correctly routed)  {a:.4}");
    }
    let _ = writeln!(s, "review rate  {:.4}\n", e.review_rate);
    let _ = writeln!(
        s,
        "{:<18} {:>9} {:>9} {:>9} {:>8}",
        "route", "precision", "recall", "f1", "support"
    );
    for (route, m) in &e.per_route {
        let _ = writeln!(
            s,
            "{route:<18} {:>9.4} {:>9.4} {:>9.4} {:>8}",
            m.precision, m.recall, m.f1, m.support
        );
    }
    let _ = writeln!(s, "\nconfusion (rows gold, columns predicted)");
    let short = |r: Route| match r {
        Route::Emergency => "emerg",
        Route::Police => "police",
        Route::NonPolice => "non-pol",
        Route::LegalProcess => "legal",
        Route::IrrationalRepeat => "irrat",
    };
    let _ = write!(s, "{:<18}", "");
    for r in Route::ALL {
        let _ = write!(s, " {:>8}", short(r));
    }
    let _ = writeln!(s);
    for g in Route::ALL {
        let _ = write!(s, "{:<18}", g.as_str());
        for p in Route::ALL {
            let n = e
                .confusion
                .get(g.as_str())
                .and_then(|m| m.get(p.as_str()))
                .copied()
                .unwrap_or(0);
            let _ = write!(s, " {n:>8}");
        }
        let _ = writeln!(s);
    }
    if !e.misrouted.is_empty() {
        let _ = writeln!(s, "\nmisrouted ({})", e.misrouted.len());
        for m in &e.misrouted {
            let _ = writeln!(
                s,
                "- {} gold {} predicted {} ({})",
                m.id, m.gold, m.predicted, m.decision.category
            );
            let text: String = m.text.chars().take(120).collect();
            let _ = writeln!(s, "  text: {text}");
            let _ = writeln!(s, "  why:  {}", m.decision.explanation.decided_by);
        }
    }
    s
}
