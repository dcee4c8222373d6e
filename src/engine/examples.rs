//! Running every rule's `examples`: the texts it must fire on (and count)
//! and the texts it must not.

use super::matcher::analyze;
use crate::rules::{Problem, RuleSet};

/// Runs every rule's examples; one problem per failing example.
pub fn check_examples(rules: &RuleSet) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (i, rule) in rules.rules.iter().enumerate() {
        let fires = |text: &str| {
            analyze(rules, text)
                .fired
                .iter()
                .any(|f| f.rule == i && f.counts())
        };
        for text in &rule.examples.matches {
            if !fires(text) {
                problems.push(
                    Problem::new(&rule.file, format!("example does not match: `{text}`"))
                        .at(rule.line, None)
                        .rule(&rule.id)
                        .field("examples.match"),
                );
            }
        }
        for text in &rule.examples.no_match {
            if fires(text) {
                problems.push(
                    Problem::new(
                        &rule.file,
                        format!("example matches but must not: `{text}`"),
                    )
                    .at(rule.line, None)
                    .rule(&rule.id)
                    .field("examples.no_match"),
                );
            }
        }
    }
    problems
}
