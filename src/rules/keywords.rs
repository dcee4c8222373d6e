//! The keyword matcher: every keyword of a rule set in one trie of
//! reversed keywords, walked back from every character of the text.
//!
//! An appeal is short (a few hundred characters) and the keywords many
//! (some 18,000), so what a search costs is where in memory it steps, not
//! how many steps it takes. Walking back from each character, almost every
//! walk ends within a character or two; the trie's nodes are stored
//! breadth first, so the shallow nodes every walk visits sit together in a
//! few dozen kilobytes that stay in cache, while an Aho-Corasick automaton
//! of the same keywords spreads the states it visits over a megabyte.
//!
//! Characters are first mapped to codes (the characters keywords use most
//! get the smallest); a character no keyword contains stops every walk.
//! Matches come back in characters of the text, which the rest of the
//! engine works in anyway.

use std::collections::HashMap;

/// The code of a character that no keyword contains.
const OTHER: u16 = 0;
/// A node that ends no keyword.
const NO_PATTERN: u32 = u32::MAX;

/// Which code each character of the rule set's keywords gets.
#[derive(Debug, Clone)]
struct Alphabet {
    /// Per high byte of a BMP character: 1 + its page in `codes`, or 0.
    page_of: Vec<u16>,
    /// 256 codes per page, by low byte.
    codes: Vec<u16>,
    /// Characters past the BMP, sorted, with their codes.
    astral: Vec<(char, u16)>,
    /// Codes given: 1..=size.
    size: u16,
}

impl Alphabet {
    /// Codes for the characters of `keywords`, the most used first.
    fn new<'a>(keywords: impl IntoIterator<Item = &'a str>) -> Result<Alphabet, String> {
        let mut uses: HashMap<char, usize> = HashMap::new();
        for k in keywords {
            for c in k.chars() {
                *uses.entry(c).or_default() += 1;
            }
        }
        let mut chars: Vec<(char, usize)> = uses.into_iter().collect();
        // Most used first; ties by character, so the code does not depend on
        // hash order.
        chars.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        if chars.len() >= usize::from(u16::MAX) {
            return Err(format!(
                "the keywords use {} distinct characters; at most {} are supported",
                chars.len(),
                u16::MAX - 1
            ));
        }
        let mut alphabet = Alphabet {
            page_of: vec![0; 256],
            codes: Vec::new(),
            astral: Vec::new(),
            size: chars.len() as u16,
        };
        for (i, &(c, _)) in chars.iter().enumerate() {
            alphabet.set(c, i as u16 + 1);
        }
        alphabet.astral.sort_unstable();
        Ok(alphabet)
    }

    fn set(&mut self, c: char, code: u16) {
        let v = c as u32;
        if v > 0xFFFF {
            self.astral.push((c, code));
            return;
        }
        let hi = (v >> 8) as usize;
        if self.page_of[hi] == 0 {
            self.codes.extend(std::iter::repeat_n(OTHER, 256));
            self.page_of[hi] = (self.codes.len() / 256) as u16;
        }
        let page = usize::from(self.page_of[hi]) - 1;
        self.codes[page * 256 + (v & 0xFF) as usize] = code;
    }

    /// The code of `c`, or `OTHER`.
    #[inline]
    fn code(&self, c: char) -> u16 {
        let v = c as u32;
        if v > 0xFFFF {
            return self
                .astral
                .binary_search_by_key(&c, |&(a, _)| a)
                .map_or(OTHER, |i| self.astral[i].1);
        }
        match self.page_of[(v >> 8) as usize] {
            0 => OTHER,
            page => self.codes[(usize::from(page) - 1) * 256 + (v & 0xFF) as usize],
        }
    }
}

/// A trie node: its edges are `edge_code[first..first + count]`, sorted.
#[derive(Debug, Clone, Copy)]
struct Node {
    first: u32,
    count: u32,
    /// The keyword that ends here (read backwards), or `NO_PATTERN`.
    pattern: u32,
}

/// Every keyword of a rule set, searched in one pass.
#[derive(Debug, Clone)]
pub(crate) struct Keywords {
    alphabet: Alphabet,
    /// The node of each one-character keyword suffix, by code (0: none).
    /// Every walk starts here, so it is a plain table.
    root: Vec<u32>,
    /// Breadth first: the shallow nodes, which every walk visits, together.
    nodes: Vec<Node>,
    edge_code: Vec<u16>,
    edge_node: Vec<u32>,
}

impl Keywords {
    /// Builds the matcher over `patterns` (normalized keywords; pattern `i`
    /// is reported as `i`). An empty pattern matches nothing.
    pub(crate) fn new(patterns: &[String]) -> Result<Keywords, String> {
        let alphabet = Alphabet::new(patterns.iter().map(String::as_str))?;
        // The trie of reversed keywords, as built: edges in a map.
        let mut edges: HashMap<(u32, u16), u32> = HashMap::new();
        let mut ends: Vec<u32> = vec![NO_PATTERN];
        for (p, pattern) in patterns.iter().enumerate() {
            let mut node = 0u32;
            for c in pattern.chars().rev() {
                let next = ends.len() as u32;
                node = *edges.entry((node, alphabet.code(c))).or_insert(next);
                if node == next {
                    ends.push(NO_PATTERN);
                }
            }
            if node != 0 && ends[node as usize] == NO_PATTERN {
                ends[node as usize] = p as u32;
            }
        }
        let mut children: Vec<Vec<(u16, u32)>> = vec![Vec::new(); ends.len()];
        for (&(from, code), &to) in &edges {
            children[from as usize].push((code, to));
        }
        for c in &mut children {
            c.sort_unstable();
        }
        // Renumber breadth first.
        let mut order: Vec<u32> = vec![0];
        let mut id = vec![0u32; ends.len()];
        let mut i = 0;
        while i < order.len() {
            let old = order[i] as usize;
            id[old] = i as u32;
            order.extend(children[old].iter().map(|&(_, to)| to));
            i += 1;
        }
        let mut nodes = Vec::with_capacity(order.len());
        let mut edge_code = Vec::with_capacity(edges.len());
        let mut edge_node = Vec::with_capacity(edges.len());
        for &old in &order {
            let kids = &children[old as usize];
            nodes.push(Node {
                first: edge_code.len() as u32,
                count: kids.len() as u32,
                pattern: ends[old as usize],
            });
            for &(code, to) in kids {
                edge_code.push(code);
                edge_node.push(id[to as usize]);
            }
        }
        let mut root = vec![0u32; usize::from(alphabet.size) + 1];
        for &(code, to) in &children[0] {
            root[usize::from(code)] = id[to as usize];
        }
        Ok(Keywords {
            alphabet,
            root,
            nodes,
            edge_code,
            edge_node,
        })
    }

    /// The child of `node` on `code`.
    #[inline]
    fn step(&self, node: u32, code: u16) -> Option<u32> {
        let n = self.nodes[node as usize];
        let (from, to) = (n.first as usize, (n.first + n.count) as usize);
        let codes = &self.edge_code[from..to];
        let at = if codes.len() <= 8 {
            codes.iter().position(|&c| c == code)?
        } else {
            codes.binary_search(&code).ok()?
        };
        Some(self.edge_node[from + at])
    }

    /// Calls `each(pattern, start, end)` for every occurrence of every
    /// keyword in `text`, overlapping ones included, with `start..end` in
    /// characters of `text`, in order of end and, at one end, longest first.
    pub(crate) fn find(&self, text: &str, mut each: impl FnMut(usize, usize, usize)) {
        let codes: Vec<u16> = text.chars().map(|c| self.alphabet.code(c)).collect();
        // Keywords ending at one character, shortest first as found.
        let mut here: Vec<(u32, usize)> = Vec::new();
        for end in 1..=codes.len() {
            let code = codes[end - 1];
            if code == OTHER {
                continue;
            }
            let mut node = self.root[usize::from(code)];
            let mut len = 1;
            while node != 0 {
                let pattern = self.nodes[node as usize].pattern;
                if pattern != NO_PATTERN {
                    here.push((pattern, end - len));
                }
                if len == end {
                    break;
                }
                let code = codes[end - len - 1];
                if code == OTHER {
                    break;
                }
                node = self.step(node, code).unwrap_or(0);
                len += 1;
            }
            for (pattern, start) in here.drain(..).rev() {
                each(pattern as usize, start, end);
            }
        }
    }

    /// Bytes the matcher takes.
    pub(crate) fn memory_usage(&self) -> usize {
        2 * (self.alphabet.codes.len() + self.alphabet.page_of.len())
            + 6 * self.alphabet.astral.len()
            + 4 * self.root.len()
            + std::mem::size_of::<Node>() * self.nodes.len()
            + 6 * self.edge_code.len()
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
    fn keywords_sharing_suffixes_and_prefixes_match_as_a_plain_search() {
        // 300 keyword characters, doubled and single, so that many keywords
        // share their last character and walks branch at every depth.
        let doubled: Vec<String> = (0..200u32)
            .map(|i| {
                let c = char::from_u32(0x4E00 + i).unwrap_or('一');
                let d = char::from_u32(0x4E00 + (i * 7) % 200).unwrap_or('一');
                format!("{d}{c}{c}")
            })
            .collect();
        let single: Vec<String> = (0..100u32)
            .map(|i| char::from_u32(0x4E00 + i * 2).unwrap_or('一').to_string())
            .collect();
        let all: Vec<&str> = doubled.iter().chain(&single).map(String::as_str).collect();
        let text: String = single.concat() + &doubled[..40].concat() + &doubled[150..].concat();
        assert_eq!(found(&all, &text), naive(&all, &text));
    }

    #[test]
    fn a_large_alphabet_still_matches() {
        // More distinct characters than a byte holds many times over.
        let chars: Vec<String> = (0..17_000u32)
            .filter_map(|i| char::from_u32(0x4E00 + i))
            .map(|c| c.to_string())
            .collect();
        let keywords: Vec<&str> = chars.iter().map(String::as_str).collect();
        let text = "\u{4E00}\u{8E00}\u{9F00}abc";
        assert_eq!(found(&keywords, text), naive(&keywords, text));
    }

    #[test]
    fn matches_come_in_order_of_end_longest_first() {
        let patterns: Vec<String> = ["煤气味", "气味", "味", "煤气", "臭"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let k = Keywords::new(&patterns).expect("matcher");
        let mut out = Vec::new();
        k.find("臭煤气味", |p, s, e| {
            out.push((patterns[p].as_str(), s, e))
        });
        assert_eq!(
            out,
            [
                ("臭", 0, 1),
                ("煤气", 1, 3),
                ("煤气味", 1, 4),
                ("气味", 2, 4),
                ("味", 3, 4)
            ]
        );
    }

    #[test]
    fn an_empty_keyword_matches_nothing() {
        assert_eq!(found(&["", "火"], "着火"), [("火".to_string(), 1, 2)]);
    }
}
