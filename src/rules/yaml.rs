//! The one place that parses YAML. serde_yaml is archived upstream: a
//! maintained fork replaces it here and nowhere else.
//!
//! Besides parsing, it finds where things are in a file's text, since the
//! value tree carries no positions: the line of a rule's `id:` and of a field
//! inside that rule.

// A `Problem` (file, line, column, rule, field, reason) is built only when a
// rule file is wrong; boxing it would buy nothing on the path that succeeds.
#![allow(clippy::result_large_err)]

use std::ops::Range;
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

    /// The 1-based line and column of a field outside any rule, named by its
    /// key path (`repeat.similarity`): each key is looked for inside the
    /// block of the one before. When the reason names a value in backquotes
    /// (`unknown route `polise``), the first such value written inside the
    /// block is the place; otherwise the deepest key found. `None` when the
    /// first key is not written (the field took its default).
    pub fn key_pos(&self, path: &str, reason: &str) -> Option<(usize, usize)> {
        let mut keys = path.split('.');
        // The first key's block bounds the search for a named value: list
        // items after the deepest key found are still inside it.
        let (mut at, mut col, top_end) = self.find_key(keys.next()?, 0..self.lines.len(), None)?;
        let mut block = at..top_end;
        for key in keys {
            let Some((i, c, end)) = self.find_key(key, block.clone(), Some(col)) else {
                break;
            };
            (at, col, block) = (i, c, i..end);
        }
        let named = backquoted(reason).find_map(|value| {
            // On the key's own line, past the key's first letter.
            (at..top_end.max(at + 1))
                .find_map(|i| self.word_pos(i, if i == at { col + 1 } else { 0 }, value))
        });
        Some(named.unwrap_or((at + 1, col + 1)))
    }

    /// The first `key:` among `lines` indented past `parent`: its line
    /// index, 0-based column and the end of its block.
    fn find_key(
        &self,
        key: &str,
        lines: Range<usize>,
        parent: Option<usize>,
    ) -> Option<(usize, usize, usize)> {
        let to = lines.end;
        let (i, col) = lines.into_iter().find_map(|i| {
            let l = self.lines[i];
            let t = l.trim_start().trim_start_matches("- ");
            let col = l.len() - t.len();
            (parent.is_none_or(|p| col > p)
                && t.strip_prefix(key).is_some_and(|r| r.starts_with(':')))
            .then_some((i, col))
        })?;
        let indent = self.indent(i);
        let end = (i + 1..to)
            .find(|&j| !self.is_blank(j) && self.indent(j) <= indent)
            .unwrap_or(to);
        Some((i, col, end))
    }

    /// The 1-based line and column of `value` written as a whole word on
    /// line `i`, from byte `skip` on and outside a comment.
    fn word_pos(&self, i: usize, skip: usize, value: &str) -> Option<(usize, usize)> {
        let line = self.lines[i];
        let part = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-');
        let at = line.get(skip..)?.match_indices(value).find_map(|(b, _)| {
            let at = skip + b;
            let (before, after) = (&line[..at], &line[at + value.len()..]);
            (!part(before.chars().next_back()) && !part(after.chars().next())).then_some(at)
        })?;
        (!line[..at].contains('#')).then(|| (i + 1, line[..at].chars().count() + 1))
    }

    fn indent(&self, i: usize) -> usize {
        let l = self.lines[i];
        l.len() - l.trim_start().len()
    }

    fn is_blank(&self, i: usize) -> bool {
        let t = self.lines[i].trim();
        t.is_empty() || t.starts_with('#')
    }

    /// The first line (and column) at or after `from` where `word` is
    /// written as a whole word outside a comment (`@now` is not found in
    /// `@now-late`).
    pub fn word_from(&self, from: usize, word: &str) -> Option<(usize, usize)> {
        (from.saturating_sub(1)..self.lines.len()).find_map(|i| self.word_pos(i, 0, word))
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

/// Every backquoted word of a message, in order.
fn backquoted(msg: &str) -> impl Iterator<Item = &str> {
    msg.split('`').skip(1).step_by(2).filter(|w| !w.is_empty())
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

    const POLICY: &str = "precedence: [emergency, polise]\nrepeat:\n  # similarity: 2\n  similarity: 2\n  window_days: 30\ncues:\n  - kind: negated\n  - kind: negatd\nreview_below: 3\n";

    #[test]
    fn a_word_is_found_whole_and_outside_comments() {
        let loc = Locator::new("a: [\"@now-late\"] # @now\nb: [\"@now\"]\n");
        assert_eq!(loc.word_from(1, "@now"), Some((2, 6)));
        assert_eq!(loc.word_from(1, "@now-late"), Some((1, 6)));
        assert_eq!(loc.word_from(2, "@now-late"), None);
    }

    /// Each case: a key path, the reason, where the problem must point.
    #[test]
    fn finds_policy_fields_by_key_path_and_named_value() {
        let loc = Locator::new(POLICY);
        for (path, reason, want) in [
            // The value the reason names, not the first line of the block.
            ("precedence", "unknown route `polise`", Some((1, 25))),
            // A nested key, past a comment that mentions it.
            ("repeat.similarity", "`2` is not in (0, 1]", Some((4, 15))),
            ("repeat.similarity", "out of range", Some((4, 3))),
            // The second list item, found by the value.
            ("cues.kind", "unknown cue kind `negatd`", Some((8, 11))),
            // A key the file does not write: the deepest key that it does.
            ("repeat.appeal_type", "bad", Some((2, 1))),
            ("fallback.route", "bad", None),
            ("review_below", "`3` is not in [0, 1]", Some((9, 15))),
        ] {
            assert_eq!(loc.key_pos(path, reason), want, "{path}: {reason}");
        }
    }

    #[test]
    fn syntax_errors_have_a_location() {
        let err = parse::<Value>(Path::new("x.yaml"), "a: [1, 2\nb: 3\n")
            .err()
            .map(|p| p.line.is_some());
        assert_eq!(err, Some(true));
    }
}
