//! Near-duplicate signatures: a bottom-k sketch of an appeal's content
//! words, so comparing two appeals costs at most k steps whatever their
//! length.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

/// How many hashes a signature keeps.
const K: usize = 64;

/// The k smallest hashes of an appeal's content words, sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature(pub Vec<u64>);

/// FNV-1a: stable across processes and versions, so stored signatures stay
/// comparable.
fn fnv1a(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

impl Signature {
    /// Builds a signature from tokens: words of two or more characters (and
    /// numbers) that are not in `ignore`.
    pub fn from_tokens<'a>(
        tokens: impl IntoIterator<Item = &'a str>,
        ignore: &HashSet<String>,
    ) -> Signature {
        let mut hashes: Vec<u64> = tokens
            .into_iter()
            .filter(|t| {
                let n = t.chars().count();
                (n >= 2 || t.chars().all(|c| c.is_ascii_digit()) && n >= 1)
                    && t.chars().any(char::is_alphanumeric)
                    && !ignore.contains(*t)
            })
            .map(fnv1a)
            .collect();
        hashes.sort_unstable();
        hashes.dedup();
        hashes.truncate(K);
        Signature(hashes)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// How much of the smaller appeal's content the other shares, in [0, 1]:
/// a reworded appeal keeps its place, problem and counterpart words, while
/// what it adds does not lower the score.
///
/// Fewer than `min_shared` common words is no similarity at all: two short
/// appeals that share one everyday word are not the same matter.
pub fn similarity(a: &Signature, b: &Signature, min_shared: usize) -> f64 {
    let (common, share) = overlap(a, b);
    if common < min_shared.max(1) {
        return 0.0;
    }
    share
}

/// The words two appeals share, and their share of the smaller appeal's
/// content words (within the range both sketches cover).
pub fn overlap(a: &Signature, b: &Signature) -> (usize, f64) {
    if a.is_empty() || b.is_empty() {
        return (0, 0.0);
    }
    // Compare within the range both sketches cover, as bottom-k requires.
    let limit = (*a.0.last().unwrap_or(&u64::MAX)).min(*b.0.last().unwrap_or(&u64::MAX));
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a.0.len() && j < b.0.len() {
        match a.0[i].cmp(&b.0[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let na = a.0.iter().filter(|&&h| h <= limit).count();
    let nb = b.0.iter().filter(|&&h| h <= limit).count();
    let denom = na.min(nb).max(1);
    (common, (common as f64 / denom as f64).min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(words: &[&str]) -> Signature {
        Signature::from_tokens(words.iter().copied(), &HashSet::new())
    }

    #[test]
    fn identical_is_one_disjoint_is_zero() {
        let a = sig(&["工地", "噪音", "半夜", "幸福小区"]);
        assert!((similarity(&a, &a, 2) - 1.0).abs() < 1e-9);
        let b = sig(&["路灯", "不亮", "人民路"]);
        assert_eq!(similarity(&a, &b, 1), 0.0);
    }

    #[test]
    fn single_characters_and_ignored_words_do_not_count() {
        let ignore: HashSet<String> = ["反映".to_string()].into_iter().collect();
        let s = Signature::from_tokens(["的", "了", "反映", "噪音"], &ignore);
        assert_eq!(s.0.len(), 1);
    }

    #[test]
    fn one_shared_word_is_not_enough() {
        let a = sig(&["晚上", "工地", "太吵"]);
        let b = sig(&["晚上", "狗叫"]);
        assert_eq!(similarity(&a, &b, 2), 0.0);
        assert!(similarity(&a, &b, 1) > 0.4);
    }

    #[test]
    fn overlap_counts_shared_words_whatever_the_threshold() {
        let a = sig(&["锦绣", "手机店", "音箱", "午睡", "城管"]);
        let b = sig(&["锦绣", "手机店", "老伴"]);
        let (common, share) = overlap(&a, &b);
        assert_eq!(common, 2);
        assert!((share - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(similarity(&a, &b, 3), 0.0);
    }

    #[test]
    fn empty_is_never_similar() {
        assert_eq!(similarity(&Signature::default(), &sig(&["噪音"]), 1), 0.0);
    }
}
