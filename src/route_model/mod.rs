//! The route model: a statistical second opinion for the appeals no rule
//! decides.
//!
//! It owns a naive Bayes over the five routes whose features are the
//! character 2- and 3-grams of the normalized appeal text (each counted once
//! per appeal). It is trained from labelled corpus records ([`train`],
//! `fenliu model train`), written as a text file versioned with the rules
//! (`route_model:` in `fenliu.yaml`, [`file`]), read back with located
//! errors, and scored by the engine only where no rule (or only a weak
//! one) fired and the caller's history says nothing. Keyword rules stay the
//! first and explainable word; the model replaces the plain fallback, which
//! could only say "non-police, review".

pub mod file;
pub mod train;

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use crate::rules::Route;

pub use file::{parse, write};
pub use train::{train, TrainError, TrainOptions};

/// A route's column in the model's per-route arrays: its place in
/// [`Route::ALL`], the order the file writes them in.
pub(crate) fn column(route: Route) -> usize {
    Route::ALL
        .iter()
        .position(|&r| r == route)
        .unwrap_or_default()
}

/// The orders of the n-grams the model reads.
const ORDERS: [usize; 2] = [2, 3];
/// How many n-grams an explanation names.
const EVIDENCE: usize = 5;
/// An n-gram an explanation names is in at least this many training
/// records (one in a thousand for a small model); it still counts in the
/// score when it is in fewer.
const EVIDENCE_RECORDS: u32 = 10;

/// A trained route model, ready to score.
#[derive(Debug, Clone)]
pub struct RouteModel {
    /// Training records per route, in [`Route::ALL`] order.
    records: [u32; 5],
    /// Additive smoothing of the n-gram counts.
    alpha: f64,
    /// N-grams found in fewer training records were dropped.
    min_records: u32,
    /// The n-grams, sorted, and per n-gram the training records of each
    /// route that contain it.
    grams: Vec<(Box<str>, [u32; 5])>,
    /// N-gram (as its [`gram_key`]) -> index into `grams` and `log_p`.
    index: GramMap<u32>,
    /// Per n-gram and route: ln P(n-gram | route), smoothed.
    log_p: Vec<[f64; 5]>,
    /// Per route: ln P(route).
    log_prior: [f64; 5],
}

/// What the model says about one appeal.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    pub route: Route,
    /// The posterior probability of `route`, in (0, 1].
    pub share: f64,
    /// The next most probable route.
    pub runner_up: Route,
    /// The appeal's n-grams that weigh most for `route` against
    /// `runner_up`, strongest first, with the weight (a log-likelihood
    /// ratio): readable ones only, without punctuation and seen in enough
    /// training records.
    pub evidence: Vec<(String, f64)>,
    /// How many of the appeal's n-grams the model knows.
    pub known: usize,
}

impl RouteModel {
    /// Builds a model from its counts. `grams` must be sorted and unique and
    /// every route must have records ([`file::parse`] and [`train`] see to
    /// it).
    fn from_counts(
        records: [u32; 5],
        alpha: f64,
        min_records: u32,
        grams: Vec<(Box<str>, [u32; 5])>,
    ) -> RouteModel {
        let total: f64 = records.iter().map(|&n| f64::from(n)).sum();
        let log_prior = records.map(|n| (f64::from(n) / total).ln());
        let vocabulary = grams.len() as f64;
        let mut mass = [0f64; 5];
        for (_, counts) in &grams {
            for (m, &c) in mass.iter_mut().zip(counts) {
                *m += f64::from(c);
            }
        }
        let denominators = mass.map(|m| m + alpha * vocabulary);
        let log_p = grams
            .iter()
            .map(|(_, counts)| {
                let mut row = [0f64; 5];
                for k in 0..5 {
                    row[k] = ((f64::from(counts[k]) + alpha) / denominators[k]).ln();
                }
                row
            })
            .collect();
        let index = grams
            .iter()
            .enumerate()
            .map(|(i, (g, _))| (gram_key(g), i as u32))
            .collect();
        RouteModel {
            records,
            alpha,
            min_records,
            grams,
            index,
            log_p,
            log_prior,
        }
    }

    /// Training records per route.
    pub fn records(&self, route: Route) -> u32 {
        self.records[column(route)]
    }

    /// All training records.
    pub fn trained_on(&self) -> u32 {
        self.records.iter().sum()
    }

    /// How many n-grams the model knows.
    pub fn len(&self) -> usize {
        self.grams.len()
    }

    pub fn is_empty(&self) -> bool {
        self.grams.is_empty()
    }

    /// Per route, the training records that contain `gram`.
    pub fn counts(&self, gram: &str) -> Option<[u32; 5]> {
        if !ORDERS.contains(&gram.chars().count()) {
            return None;
        }
        self.index
            .get(&gram_key(gram))
            .map(|&i| self.grams[i as usize].1)
    }

    /// Scores a normalized appeal text. `None` when the model knows none of
    /// its n-grams (an empty or unreadable text): it has no opinion then.
    pub fn predict(&self, normalized: &str) -> Option<Prediction> {
        let rows: Vec<(&str, usize)> = keyed_grams(normalized)
            .into_iter()
            .filter_map(|(g, k)| self.index.get(&k).map(|&i| (g, i as usize)))
            .collect();
        if rows.is_empty() {
            return None;
        }
        let mut score = self.log_prior;
        for &(_, i) in &rows {
            for (s, p) in score.iter_mut().zip(&self.log_p[i]) {
                *s += p;
            }
        }
        // Routes by score, best first; ties go to the earlier route of
        // Route::ALL so that the answer does not depend on hashing.
        let mut order: Vec<usize> = (0..5).collect();
        order.sort_by(|&a, &b| score[b].total_cmp(&score[a]).then(a.cmp(&b)));
        let (best, second) = (order[0], order[1]);
        let top = score[best];
        let share = 1.0 / score.iter().map(|s| (s - top).exp()).sum::<f64>();
        if !share.is_finite() {
            // Scores beyond f64 (no file that parses gets here): no opinion
            // rather than a made-up one.
            return None;
        }
        // What an agent can read as a reason: words, not punctuation, seen in
        // enough records not to be one caller's name or slip.
        let support = (self.trained_on() / 1000).clamp(1, EVIDENCE_RECORDS);
        let readable = |g: &str, i: usize| {
            g.chars().all(char::is_alphanumeric) && self.grams[i].1.iter().sum::<u32>() >= support
        };
        let mut evidence: Vec<(String, f64)> = rows
            .iter()
            .filter(|&&(g, i)| readable(g, i))
            .map(|&(g, i)| (g.to_string(), self.log_p[i][best] - self.log_p[i][second]))
            .filter(|(_, w)| *w > 0.0)
            .collect();
        evidence.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        evidence.truncate(EVIDENCE);
        Some(Prediction {
            route: Route::ALL[best],
            share,
            runner_up: Route::ALL[second],
            evidence,
            known: rows.len(),
        })
    }
}

/// The distinct character 2- and 3-grams of a normalized text that span no
/// whitespace, in the order they first occur.
pub fn grams_of(normalized: &str) -> Vec<&str> {
    keyed_grams(normalized)
        .into_iter()
        .map(|(g, _)| g)
        .collect()
}

/// [`grams_of`], each n-gram with its [`gram_key`]: the model is consulted
/// on every appeal, and a key hashes and compares as one word.
fn keyed_grams(normalized: &str) -> Vec<(&str, u64)> {
    let chars: Vec<(usize, char)> = normalized.char_indices().collect();
    let mut seen: HashSet<u64, BuildHasherDefault<GramHasher>> =
        HashSet::with_capacity_and_hasher(2 * chars.len(), Default::default());
    let mut out = Vec::with_capacity(2 * chars.len());
    for n in ORDERS {
        for w in chars.windows(n) {
            // An n-gram does not span whitespace.
            if w.iter().any(|(_, c)| c.is_whitespace()) {
                continue;
            }
            let key = w.iter().fold(0, |k, &(_, c)| push_char(k, c));
            if seen.insert(key) {
                let (last, c) = w[n - 1];
                out.push((&normalized[w[0].0..last + c.len_utf8()], key));
            }
        }
    }
    out
}

/// An n-gram of two or three characters as one number: 21 bits a
/// character, each its scalar value plus one, so that a 2-gram and a
/// 3-gram never share a key.
fn gram_key(gram: &str) -> u64 {
    debug_assert!(ORDERS.contains(&gram.chars().count()));
    gram.chars().fold(0, push_char)
}

fn push_char(key: u64, c: char) -> u64 {
    (key << 21) | (u64::from(c) + 1)
}

/// A map keyed by [`gram_key`].
type GramMap<V> = HashMap<u64, V, BuildHasherDefault<GramHasher>>;

/// Hashes a [`gram_key`] with the splitmix64 finalizer: cheaper than the
/// standard library's SipHash (which guards against keys chosen to collide;
/// the model's keys come from its own file), and it spreads keys that share
/// their last character, which a bare multiplication would leave in the
/// same low bits, the ones a table's bucket is taken from.
#[derive(Default)]
struct GramHasher(u64);

impl Hasher for GramHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, key: u64) {
        self.0 ^= key;
    }

    fn finish(&self) -> u64 {
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> RouteModel {
        // Route::ALL order: emergency, police, legal-process,
        // irrational-repeat, non-police.
        RouteModel::from_counts(
            [10, 10, 10, 10, 10],
            0.1,
            1,
            vec![
                ("臭鸡".into(), [8, 0, 0, 0, 1]),
                ("鸡蛋".into(), [8, 0, 0, 0, 3]),
                ("路灯".into(), [0, 0, 0, 0, 9]),
                ("开庭".into(), [0, 0, 9, 0, 0]),
                ("我们".into(), [5, 5, 5, 5, 5]),
                ("警察".into(), [0, 9, 0, 0, 0]),
                ("老婆".into(), [0, 0, 0, 9, 0]),
            ],
        )
    }

    #[test]
    fn grams_are_distinct_two_and_three_character_runs() {
        assert_eq!(
            grams_of("臭鸡蛋臭鸡"),
            vec!["臭鸡", "鸡蛋", "蛋臭", "臭鸡蛋", "鸡蛋臭", "蛋臭鸡"]
        );
        // Whitespace is no character of an n-gram and breaks none.
        assert_eq!(grams_of("路 灯"), Vec::<&str>::new());
        assert_eq!(grams_of("路灯 "), vec!["路灯"]);
        assert!(grams_of("").is_empty());
    }

    #[test]
    fn the_route_whose_ngrams_the_text_holds_wins() {
        let m = model();
        let p = m.predict("楼道里一股臭鸡蛋味").unwrap();
        assert_eq!(p.route, Route::Emergency);
        assert!(p.share > 0.9, "{p:?}");
        assert_eq!(p.known, 2);
        assert_eq!(p.evidence[0].0, "臭鸡");
        let p = m.predict("小区路灯不亮").unwrap();
        assert_eq!(p.route, Route::NonPolice);
        assert_eq!(p.evidence, vec![("路灯".to_string(), p.evidence[0].1)]);
    }

    #[test]
    fn gram_keys_tell_every_gram_apart_and_spread_over_a_table() {
        let text = "楼道里一股臭鸡蛋味的 的的 路灯不亮了的";
        let keyed = keyed_grams(text);
        let keys: HashSet<u64> = keyed.iter().map(|&(_, k)| k).collect();
        assert_eq!(keys.len(), keyed.len());
        for (g, k) in keyed {
            assert_eq!(gram_key(g), k, "{g}");
        }
        // A 3-gram whose first character is U+0000 is still no 2-gram.
        assert_ne!(gram_key("的的"), gram_key("\u{0}的的"));
        // 4,096 grams that end in the same character land in nearly as many
        // slots of a 65,536-slot table (a bare multiplication: one slot).
        let ending_in_de: HashSet<u64> = ('\u{4e00}'..='\u{5dff}')
            .map(|c| {
                let mut h = GramHasher::default();
                h.write_u64(gram_key(&format!("{c}的")));
                h.finish() & 0xFFFF
            })
            .collect();
        assert!(ending_in_de.len() > 3_800, "{}", ending_in_de.len());
    }

    #[test]
    fn counts_of_a_longer_string_are_none() {
        assert_eq!(model().counts("臭鸡蛋味"), None);
        assert_eq!(model().counts("臭鸡"), Some([8, 0, 0, 0, 1]));
    }

    #[test]
    fn no_known_ngram_is_no_opinion() {
        assert_eq!(model().predict("今天天气不错"), None);
        assert_eq!(model().predict(""), None);
    }
}
