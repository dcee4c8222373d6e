//! Clause boundaries: the scope of cues and of "same clause" conditions.

/// Characters that end a clause.
pub fn is_clause_break(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '；' | '，' | '\n' | '…')
}

/// The clauses of a normalized text.
#[derive(Debug, Clone)]
pub struct Clauses {
    /// `[start, end)` character range per clause, in order, covering the
    /// text.
    ranges: Vec<(usize, usize)>,
    /// Number of characters.
    chars: usize,
}

impl Clauses {
    /// Splits a normalized text.
    pub fn split(text: &str) -> Clauses {
        let mut ranges = Vec::with_capacity(8);
        let mut start = 0;
        let mut chars = 0;
        for c in text.chars() {
            chars += 1;
            if is_clause_break(c) {
                ranges.push((start, chars));
                start = chars;
            }
        }
        if start < chars || ranges.is_empty() {
            ranges.push((start, chars));
        }
        Clauses { ranges, chars }
    }

    /// The clauses of a normalized appeal, from the clause punctuation its
    /// normalization noted (the same clauses as [`Clauses::split`] of its
    /// text).
    pub fn of_normalized(norm: &super::Normalized) -> Clauses {
        let chars = norm.char_len();
        let mut ranges = Vec::with_capacity(norm.clause_breaks().len() + 1);
        let mut start = 0;
        for &b in norm.clause_breaks() {
            let end = b as usize + 1;
            ranges.push((start, end));
            start = end;
        }
        if start < chars || ranges.is_empty() {
            ranges.push((start, chars));
        }
        Clauses { ranges, chars }
    }

    /// The clause index of a character (the last clause past the end).
    pub fn of(&self, char_index: usize) -> usize {
        // Clauses are few: a binary search over their ends.
        self.ranges
            .partition_point(|r| r.1 <= char_index)
            .min(self.ranges.len().saturating_sub(1))
    }

    /// The character range of a clause.
    pub fn range(&self, clause: usize) -> (usize, usize) {
        self.ranges.get(clause).copied().unwrap_or((0, 0))
    }

    /// Number of clauses.
    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    /// Number of characters of the text.
    pub fn len_chars(&self) -> usize {
        self.chars
    }

    /// Whether the text had no characters.
    pub fn is_empty(&self) -> bool {
        self.chars == 0
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
    fn normalization_notes_the_same_clauses() {
        for text in [
            "没有人受伤，就是车坏了。快来",
            "",
            "，，",
            "第一行\n\n第二行…完了",
            "救命!! 着火了;快, 来?",
            "没有标点",
        ] {
            let norm = crate::text::normalize(text);
            let a = Clauses::split(&norm.text);
            let b = Clauses::of_normalized(&norm);
            assert_eq!((a.ranges, a.chars), (b.ranges, b.chars), "text {text:?}");
        }
    }

    #[test]
    fn empty_text_has_one_empty_clause() {
        let c = Clauses::split("");
        assert!(c.is_empty());
        assert_eq!(c.len(), 1);
        assert_eq!(c.range(0), (0, 0));
    }
}
