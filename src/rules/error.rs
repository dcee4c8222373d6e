//! Rule-set errors: every problem carries where it is and what would fix it.

use std::fmt;
use std::path::PathBuf;

/// One problem in a rule set.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// The file, as given (relative to the rule-set directory's parent when
    /// it can be).
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// The rule id, when the problem is inside a rule.
    pub rule: Option<String>,
    /// The field, when the problem is one field's.
    pub field: Option<String>,
    /// What is wrong, and what would fix it where that is clear.
    pub reason: String,
}

impl Problem {
    pub fn new(file: impl Into<PathBuf>, reason: impl Into<String>) -> Problem {
        Problem {
            file: file.into(),
            line: None,
            column: None,
            rule: None,
            field: None,
            reason: reason.into(),
        }
    }

    pub fn at(mut self, line: Option<usize>, column: Option<usize>) -> Problem {
        self.line = line;
        self.column = column;
        self
    }

    pub fn rule(mut self, rule: impl Into<String>) -> Problem {
        self.rule = Some(rule.into());
        self
    }

    pub fn field(mut self, field: impl Into<String>) -> Problem {
        self.field = Some(field.into());
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        write!(f, ":")?;
        if let Some(rule) = &self.rule {
            write!(f, " rule `{rule}`:")?;
        }
        if let Some(field) = &self.field {
            write!(f, " field `{field}`:")?;
        }
        write!(f, " {}", self.reason)
    }
}

/// A rule set that could not be loaded: every problem found in one pass.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct LoadError {
    pub problems: Vec<Problem>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        writeln!(
            f,
            "the rule set has {n} problem{}:",
            if n == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            writeln!(f, "  {p}")?;
        }
        Ok(())
    }
}

impl From<Vec<Problem>> for LoadError {
    fn from(problems: Vec<Problem>) -> Self {
        LoadError { problems }
    }
}

/// The closest candidate to `word` by edit distance, for "did you mean".
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    let best = candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .min_by_key(|(d, _)| *d);
    match best {
        Some((d, c)) if d <= word.chars().count().max(2) / 2 + 1 => {
            format!(" (did you mean `{c}`?)")
        }
        _ => String::new(),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_names_only() {
        assert_eq!(
            did_you_mean("polce", ["police", "emergency"]),
            " (did you mean `police`?)"
        );
        assert_eq!(did_you_mean("zzzzzzzz", ["police", "emergency"]), "");
    }

    #[test]
    fn display_names_file_line_rule_field() {
        let p = Problem::new("rules/routes/police.yaml", "unknown route `polce`")
            .at(Some(12), Some(5))
            .rule("police.theft")
            .field("route");
        assert_eq!(
            p.to_string(),
            "rules/routes/police.yaml:12:5: rule `police.theft`: field `route`: unknown route `polce`"
        );
    }
}
