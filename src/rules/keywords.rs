//! The keyword automaton: every keyword of a rule set in one aho-corasick
//! automaton, run over the text in the rule set's own alphabet.
//!
//! An automaton takes one step per byte, and UTF-8 spends three bytes on an
//! ideograph. Here the characters that keywords use most take one byte, the
//! other keyword characters two, and every character that no keyword uses
//! one shared byte: a Chinese appeal costs a little over one step per
//! character instead of three. The code is prefix-free, so a match that
//! starts where a character's code starts is a keyword match; a match that
//! starts inside a character's code is a coincidence and is dropped.
//!
//! Matches come back in characters of the text, which the rest of the
//! engine works in anyway.

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::nfa::contiguous::NFA;
use aho_corasick::{Anchored, MatchKind};

/// The code of a character that no keyword contains.
const OTHER: u16 = 0;
/// Codes 1..SINGLE are one byte (the byte is the code).
const SINGLE: u16 = 0xC0;
/// Lead bytes 0xC0..=0xFE start a two-byte code.
const LEADS: u16 = 0xFF - 0xC0;
/// Lead byte 0xFF: the character's scalar value follows in three bytes
/// (characters past the plane the table covers, and an alphabet larger than
/// the one- and two-byte codes can hold).
const RAW: u16 = u16::MAX;
const RAW_LEAD: u8 = 0xFF;

/// Which code each character of the rule set's keywords gets.
#[derive(Debug, Clone)]
struct Alphabet {
    /// Per high byte of a BMP character: 1 + its page in `codes`, or 0.
    page_of: Vec<u16>,
    /// 256 codes per page, by low byte.
    codes: Vec<u16>,
}

impl Alphabet {
    /// Codes for the characters of `keywords`, the most used first.
    fn new<'a>(keywords: impl IntoIterator<Item = &'a str>) -> Alphabet {
        let mut uses: std::collections::HashMap<char, usize> = Default::default();
        for k in keywords {
            for c in k.chars() {
                *uses.entry(c).or_default() += 1;
            }
        }
        let mut chars: Vec<(char, usize)> = uses.into_iter().collect();
        // Most used first; ties by character, so the code does not depend on
        // hash order.
        chars.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut alphabet = Alphabet {
            page_of: vec![0; 256],
            codes: Vec::new(),
        };
        let mut next: u32 = 1;
        for (c, _) in chars {
            let code = if (c as u32) > 0xFFFF || next >= u32::from(SINGLE + LEADS * 256) {
                RAW
            } else {
                next += 1;
                (next - 1) as u16
            };
            alphabet.set(c, code);
        }
        alphabet
    }

    fn set(&mut self, c: char, code: u16) {
        let c = c as u32;
        if c > 0xFFFF {
            // Not in the table: looked up as RAW anyway (see `code`).
            return;
        }
        let hi = (c >> 8) as usize;
        if self.page_of[hi] == 0 {
            self.codes.extend(std::iter::repeat_n(OTHER, 256));
            self.page_of[hi] = (self.codes.len() / 256) as u16;
        }
        let page = usize::from(self.page_of[hi]) - 1;
        self.codes[page * 256 + (c & 0xFF) as usize] = code;
    }

    /// The code of `c`; characters past the BMP are written raw, so a
    /// keyword and a text agree on them without a table.
    #[inline]
    fn code(&self, c: char) -> u16 {
        let c = c as u32;
        if c > 0xFFFF {
            return RAW;
        }
        match self.page_of[(c >> 8) as usize] {
            0 => OTHER,
            page => self.codes[(usize::from(page) - 1) * 256 + (c & 0xFF) as usize],
        }
    }

    /// The code of `c`: its bytes and how many there are.
    #[inline(always)]
    fn bytes(&self, c: char) -> ([u8; 4], usize) {
        match self.code(c) {
            code if code < SINGLE => ([code as u8, 0, 0, 0], 1),
            RAW => {
                let v = c as u32;
                ([RAW_LEAD, (v >> 16) as u8, (v >> 8) as u8, v as u8], 4)
            }
            code => {
                let d = code - SINGLE;
                ([0xC0 + (d >> 8) as u8, d as u8, 0, 0], 2)
            }
        }
    }

    fn encode_str(&self, s: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(s.len());
        for c in s.chars() {
            let (b, n) = self.bytes(c);
            out.extend_from_slice(&b[..n]);
        }
        out
    }
}

/// Every keyword of a rule set, searched in one pass.
#[derive(Debug, Clone)]
pub(crate) struct Keywords {
    alphabet: Alphabet,
    automaton: NFA,
    start: StateID,
    /// Length of each pattern in characters.
    chars: Vec<u32>,
}

impl Keywords {
    /// Builds the automaton over `patterns` (normalized keywords; pattern
    /// `i` is reported as `i`).
    pub(crate) fn new(patterns: &[String]) -> Result<Keywords, String> {
        let alphabet = Alphabet::new(patterns.iter().map(String::as_str));
        let encoded: Vec<Vec<u8>> = patterns.iter().map(|p| alphabet.encode_str(p)).collect();
        let automaton = aho_corasick::nfa::contiguous::Builder::new()
            .match_kind(MatchKind::Standard)
            // The search below walks the automaton itself.
            .prefilter(false)
            // Only the start state dense: 0.8 MB instead of 3.8 MB (depth
            // 2), the same instructions per appeal and fewer cache misses.
            .dense_depth(1)
            .build(&encoded)
            .map_err(|e| e.to_string())?;
        let start = automaton
            .start_state(Anchored::No)
            .map_err(|e| e.to_string())?;
        Ok(Keywords {
            alphabet,
            automaton,
            start,
            chars: patterns.iter().map(|p| p.chars().count() as u32).collect(),
        })
    }

    /// Calls `each(pattern, start, end)` for every occurrence of every
    /// keyword in `text`, overlapping ones included, with `start..end` in
    /// characters of `text`, in order of end.
    pub(crate) fn find(&self, text: &str, mut each: impl FnMut(usize, usize, usize)) {
        let nfa = &self.automaton;
        // Where each character's code starts: a match is a keyword match
        // when it starts where a character does.
        let mut starts: Vec<u32> = Vec::with_capacity(text.len() / 2 + 1);
        let mut at = 0u32;
        let mut sid = self.start;
        for (i, c) in text.chars().enumerate() {
            starts.push(at);
            if self.alphabet.code(c) == OTHER {
                // No keyword has it: whatever the state, the automaton is
                // back at its start, with no match.
                at += 1;
                sid = self.start;
                continue;
            }
            let (bytes, n) = self.alphabet.bytes(c);
            for &b in &bytes[..n] {
                sid = nfa.next_state(Anchored::No, sid, b);
            }
            at += n as u32;
            // A keyword match ends where a character's code ends, so match
            // states need a look only here.
            if nfa.is_match(sid) {
                let end = i + 1;
                for k in 0..nfa.match_len(sid) {
                    let p = nfa.match_pattern(sid, k);
                    let from = at - nfa.pattern_len(p) as u32;
                    let Some(start) = end.checked_sub(self.chars[p] as usize) else {
                        continue;
                    };
                    if starts[start] == from {
                        each(p.as_usize(), start, end);
                    }
                }
            }
        }
    }

    /// Bytes the automaton and the alphabet take.
    pub(crate) fn memory_usage(&self) -> usize {
        self.automaton.memory_usage()
            + 2 * (self.alphabet.codes.len() + self.alphabet.page_of.len())
            + 4 * self.chars.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(keywords: &[&str], text: &str) -> Vec<(String, usize, usize)> {
        let patterns: Vec<String> = keywords.iter().map(|s| s.to_string()).collect();
        let k = Keywords::new(&patterns).expect("automaton");
        let mut out = Vec::new();
        k.find(text, |p, s, e| out.push((patterns[p].clone(), s, e)));
        out.sort();
        out
    }

    /// The same occurrences, in characters, as a plain search would find.
    fn naive(keywords: &[&str], text: &str) -> Vec<(String, usize, usize)> {
        let chars: Vec<char> = text.chars().collect();
        let mut out = Vec::new();
        for k in keywords {
            let kc: Vec<char> = k.chars().collect();
            if kc.is_empty() {
                continue;
            }
            for s in 0..chars.len() {
                if chars[s..].starts_with(&kc) {
                    out.push((k.to_string(), s, s + kc.len()));
                }
            }
        }
        out.sort();
        out
    }

    #[test]
    fn finds_what_a_plain_search_finds() {
        let keywords = [
            "着火",
            "火",
            "冒烟",
            "烟味",
            "煤气味",
            "110",
            "ktv",
            "𠮷野家",
            "野",
        ];
        for text in [
            "楼下着火了，一股烟味，像是煤气味",
            "打110说ktv太吵",
            "𠮷野家门口冒烟了",
            "",
            "没有一个关键词",
            "火火火",
        ] {
            assert_eq!(
                found(&keywords, text),
                naive(&keywords, text),
                "text {text:?}"
            );
        }
    }

    #[test]
    fn no_keywords_find_nothing() {
        assert!(found(&[], "楼下着火了").is_empty());
    }

    #[test]
    fn a_match_inside_a_two_byte_code_is_dropped() {
        // 300 keyword characters: the rarest get two-byte codes, whose
        // second byte equals some one-byte code.
        let common: Vec<String> = (0..200u32)
            .map(|i| {
                let c = char::from_u32(0x4E00 + i).unwrap_or('一');
                format!("{c}{c}")
            })
            .collect();
        let rare: Vec<String> = (0..100u32)
            .map(|i| char::from_u32(0x6000 + i).unwrap_or('一').to_string())
            .collect();
        let all: Vec<&str> = common.iter().chain(&rare).map(String::as_str).collect();
        let text: String = rare.concat() + &common[..20].concat();
        assert_eq!(found(&all, &text), naive(&all, &text));
    }

    #[test]
    fn an_alphabet_past_the_two_byte_codes_still_matches() {
        // More distinct characters than one- and two-byte codes hold.
        let chars: Vec<String> = (0..17_000u32)
            .filter_map(|i| char::from_u32(0x4E00 + i))
            .map(|c| c.to_string())
            .collect();
        let keywords: Vec<&str> = chars.iter().map(String::as_str).collect();
        let text = "\u{4E00}\u{8E00}\u{9F00}abc";
        assert_eq!(found(&keywords, text), naive(&keywords, text));
    }
}
