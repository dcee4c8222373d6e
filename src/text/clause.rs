//! Clause boundaries: the scope of cues and of "same clause" conditions.

/// Characters that end a clause.
pub fn is_clause_break(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '；' | '，' | '\n' | '…')
}

/// The clause of every character of a normalized text.
#[derive(Debug, Clone)]
pub struct Clauses {
    /// Clause index per character.
    of_char: Vec<u32>,
    /// `[start, end)` character range per clause.
    ranges: Vec<(usize, usize)>,
}

impl Clauses {
    /// Splits a normalized text.
    pub fn split(text: &str) -> Clauses {
        let mut of_char = Vec::with_capacity(text.len() / 3 + 1);
        let mut ranges = Vec::new();
        let mut start = 0;
        for (i, c) in text.chars().enumerate() {
            of_char.push(ranges.len() as u32);
            if is_clause_break(c) {
                ranges.push((start, i + 1));
                start = i + 1;
            }
        }
        if start < of_char.len() || ranges.is_empty() {
            ranges.push((start, of_char.len()));
        }
        Clauses { of_char, ranges }
    }

    /// The clause index of a character (the last clause past the end).
    pub fn of(&self, char_index: usize) -> usize {
        self.of_char
            .get(char_index)
            .map_or(self.ranges.len().saturating_sub(1), |&c| c as usize)
    }

    /// The character range of a clause.
    pub fn range(&self, clause: usize) -> (usize, usize) {
        self.ranges.get(clause).copied().unwrap_or((0, 0))
    }

    /// Number of clauses.
    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    /// Whether the text had no characters.
    pub fn is_empty(&self) -> bool {
        self.of_char.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_clause_punctuation() {
        let c = Clauses::split("没有人受伤，就是车坏了。快来");
        assert_eq!(c.len(), 3);
        assert_eq!(c.range(0), (0, 6));
        assert_eq!(c.of(2), 0);
        assert_eq!(c.of(7), 1);
        assert_eq!(c.range(2), (12, 14));
        assert_eq!(c.of(100), 2);
    }

    #[test]
    fn empty_text_has_one_empty_clause() {
        let c = Clauses::split("");
        assert!(c.is_empty());
        assert_eq!(c.len(), 1);
        assert_eq!(c.range(0), (0, 0));
    }
}
