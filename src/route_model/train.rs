//! Training: counting, per route, the labelled records that contain each
//! n-gram of the normalized text.

use std::collections::HashMap;

use super::file::MAX_ALPHA;
use super::{column, grams_of, RouteModel};
use crate::rules::Route;
use crate::text::normalize;

/// How to train.
#[derive(Debug, Clone, Copy)]
pub struct TrainOptions {
    /// N-grams found in fewer records (all routes together) are dropped:
    /// they are mostly names, numbers and typos, and make the file large.
    pub min_records: u32,
    /// Additive smoothing of the counts.
    pub alpha: f64,
}

impl Default for TrainOptions {
    /// The settings the shipped model was measured with (README, Corpus).
    fn default() -> TrainOptions {
        TrainOptions {
            min_records: 3,
            alpha: 0.1,
        }
    }
}

/// Why a model could not be trained.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrainError {
    #[error("alpha must be above 0 and at most {MAX_ALPHA}, not {0}")]
    Alpha(f64),
    /// The model could never say such a route, and its prior would be zero.
    #[error("no training record for route {}: every route needs some", .0.join(", "))]
    EmptyRoutes(Vec<&'static str>),
}

/// Trains a model on labelled appeal texts.
pub fn train<'a>(
    records: impl IntoIterator<Item = (&'a str, Route)>,
    options: TrainOptions,
) -> Result<RouteModel, TrainError> {
    if !(options.alpha > 0.0 && options.alpha <= MAX_ALPHA) {
        return Err(TrainError::Alpha(options.alpha));
    }
    let mut per_route = [0u32; 5];
    let mut counts: HashMap<Box<str>, [u32; 5]> = HashMap::new();
    for (text, route) in records {
        let k = column(route);
        per_route[k] += 1;
        let norm = normalize(text);
        for g in grams_of(&norm.text) {
            match counts.get_mut(g) {
                Some(c) => c[k] += 1,
                None => {
                    let mut c = [0u32; 5];
                    c[k] = 1;
                    counts.insert(g.into(), c);
                }
            }
        }
    }
    let missing: Vec<&'static str> = Route::ALL
        .into_iter()
        .filter(|r| per_route[column(*r)] == 0)
        .map(|r| r.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(TrainError::EmptyRoutes(missing));
    }
    let mut grams: Vec<(Box<str>, [u32; 5])> = counts
        .into_iter()
        .filter(|(_, c)| c.iter().sum::<u32>() >= options.min_records)
        .collect();
    grams.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Ok(RouteModel::from_counts(
        per_route,
        options.alpha,
        options.min_records,
        grams,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORDS: [(&str, Route); 6] = [
        ("楼道里一股臭鸡蛋味", Route::Emergency),
        ("厨房有臭鸡蛋的味道，头晕", Route::Emergency),
        ("我的电动车在楼下被偷了", Route::Police),
        ("小区路灯坏了好几天", Route::NonPolice),
        ("案子下周开庭，想问进度", Route::LegalProcess),
        ("让政府给我发个老婆", Route::IrrationalRepeat),
    ];

    #[test]
    fn counts_each_ngram_once_per_record_and_prunes_rare_ones() {
        let all = train(
            RECORDS,
            TrainOptions {
                min_records: 1,
                alpha: 0.1,
            },
        )
        .unwrap();
        // Route::ALL order: emergency, police, legal-process,
        // irrational-repeat, non-police.
        assert_eq!(all.counts("臭鸡蛋"), Some([2, 0, 0, 0, 0]));
        assert_eq!(all.records(Route::Emergency), 2);
        assert_eq!(all.trained_on(), 6);
        let pruned = train(
            RECORDS,
            TrainOptions {
                min_records: 2,
                alpha: 0.1,
            },
        )
        .unwrap();
        assert_eq!(pruned.counts("臭鸡蛋"), Some([2, 0, 0, 0, 0]));
        assert_eq!(pruned.counts("路灯"), None);
        assert!(pruned.len() < all.len());
        // Traditional characters count as their simplified forms.
        let trad = train(
            RECORDS.iter().map(|&(t, r)| {
                (
                    if r == Route::NonPolice {
                        "小區路燈壞了"
                    } else {
                        t
                    },
                    r,
                )
            }),
            TrainOptions {
                min_records: 1,
                alpha: 0.1,
            },
        )
        .unwrap();
        assert_eq!(trad.counts("路灯"), Some([0, 0, 0, 0, 1]));
    }

    #[test]
    fn every_route_needs_records() {
        let err = train(RECORDS[..4].iter().copied(), TrainOptions::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "no training record for route legal-process, irrational-repeat: every route needs some"
        );
        let err = train(
            RECORDS,
            TrainOptions {
                min_records: 1,
                alpha: 0.0,
            },
        )
        .unwrap_err();
        assert_eq!(err, TrainError::Alpha(0.0));
        // Smoothing that would drown the counts and overflow the scores.
        let huge = TrainOptions {
            min_records: 1,
            alpha: 1e308,
        };
        assert_eq!(train(RECORDS, huge).unwrap_err(), TrainError::Alpha(1e308));
    }

    #[test]
    fn the_same_records_train_the_same_file() {
        let options = TrainOptions {
            min_records: 1,
            alpha: 0.1,
        };
        // Two trainings hash their n-grams with different seeds.
        let a = super::super::write(&train(RECORDS, options).unwrap(), &[]);
        let b = super::super::write(&train(RECORDS, options).unwrap(), &[]);
        assert!(a.lines().count() > 30, "{a}");
        assert_eq!(a, b);
    }
}
