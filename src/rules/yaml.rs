//! The one place that parses YAML. serde_yaml is archived upstream: a
//! maintained fork replaces it here and nowhere else.
//!
//! Besides parsing, it finds where things are in a file's text, since the
//! value tree carries no positions: the line of a rule's `id:` and of a field
//! inside that rule.

use std::path::Path;

use serde::de::DeserializeOwned;

use super::error::Problem;

pub use serde_yaml::Value;

/// Parses a whole document into `T`, with the location of a syntax or shape
/// error.
pub fn parse<T: DeserializeOwned>(file: &Path, text: &str) -> Result<T, Problem> {
    serde_yaml::from_str::<T>(text).map_err(|e| {
        let (line, column) = e
            .location()
            .map_or((None, None), |l| (Some(l.line()), Some(l.column())));
        Problem::new(file, clean_message(&e.to_string())).at(line, column)
    })
}

/// Converts one value of a document (a rule) into `T`; the error names no
/// place, the caller locates it with [`Locator`].
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, String> {
    serde_yaml::from_value::<T>(value).map_err(|e| clean_message(&e.to_string()))
}

/// A mapping's string field, for reading a rule's id before its shape is
/// known to be right.
pub fn str_field<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

/// serde_yaml appends " at line L column C" to messages that have a
/// location; the location is reported separately.
fn clean_message(msg: &str) -> String {
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// Finds lines in a rule file's text.
pub struct Locator<'a> {
    lines: Vec<&'a str>,
}

impl<'a> Locator<'a> {
    pub fn new(text: &'a str) -> Locator<'a> {
        Locator {
            lines: text.lines().collect(),
        }
    }

    /// The 1-based line of the `id: <id>` entry.
    pub fn rule_line(&self, id: &str) -> Option<usize> {
        self.lines
            .iter()
            .position(|l| {
                let t = l.trim_start().trim_start_matches("- ").trim_start();
                t.strip_prefix("id:")
                    .map(|v| {
                        // `id: x # comment`: the comment is not the id.
                        let v = v.split(" #").next().unwrap_or(v);
                        v.trim().trim_matches(|c| c == '"' || c == '\'') == id
                    })
                    .unwrap_or(false)
            })
            .map(|i| i + 1)
    }

    /// The 1-based line and column of `field:` inside the rule whose id line
    /// is `rule_line`, searching until the next rule starts.
    pub fn field_pos(&self, rule_line: usize, field: &str) -> Option<(usize, usize)> {
        let key = format!("{field}:");
        let start_indent = self
            .lines
            .get(rule_line.checked_sub(1)?)
            .map(|l| l.len() - l.trim_start().len())?;
        for (i, l) in self.lines.iter().enumerate().skip(rule_line - 1) {
            let indent = l.len() - l.trim_start().len();
            let t = l.trim_start();
            if i + 1 > rule_line && t.starts_with("- ") && indent <= start_indent {
                break;
            }
            let t2 = t.trim_start_matches("- ");
            if t2.starts_with(&key) {
                let col = l.len() - t2.len() + 1;
                return Some((i + 1, col));
            }
        }
        None
    }

    /// The first line (and column) holding `needle` at or after `from`.
    pub fn find_from(&self, from: usize, needle: &str) -> Option<(usize, usize)> {
        self.lines
            .iter()
            .enumerate()
            .skip(from.saturating_sub(1))
            .find_map(|(i, l)| l.find(needle).map(|b| (i + 1, l[..b].chars().count() + 1)))
    }
}

/// The first backquoted word of a serde message (`unknown field `whn``).
pub fn quoted_field(msg: &str) -> Option<&str> {
    let start = msg.find('`')? + 1;
    let len = msg[start..].find('`')?;
    Some(&msg[start..start + len])
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "rules:\n  - id: a.one\n    route: police\n    when:\n      any: [x]\n  - id: a.two\n    route: nope\n";

    #[test]
    fn finds_rule_and_field_lines() {
        let loc = Locator::new(FILE);
        assert_eq!(loc.rule_line("a.two"), Some(6));
        assert_eq!(loc.field_pos(6, "route"), Some((7, 5)));
        assert_eq!(loc.field_pos(2, "route"), Some((3, 5)));
        assert_eq!(loc.rule_line("missing"), None);
    }

    #[test]
    fn syntax_errors_have_a_location() {
        let err = parse::<Value>(Path::new("x.yaml"), "a: [1, 2\nb: 3\n")
            .err()
            .map(|p| p.line.is_some());
        assert_eq!(err, Some(true));
    }
}
