//! The route model's file: tab-separated text, one n-gram a line, so that a
//! retrained model shows in review as the counts that changed.
//!
//! ```text
//! # comments
//! format  fenliu-route-model 1
//! alpha  0.1
//! min_records  3
//! routes  emergency  police  legal-process  irrational-repeat  non-police
//! records  2113  2402  1480  1872  7179
//! grams  93306
//! 一股  12  30  1  4  60
//! ```
//!
//! Fields are separated by one tab. After `grams` come exactly that many
//! lines: an n-gram and, per route of the `routes` line, how many training
//! records contain it. Every problem is reported with its line.

// A `Problem` is built only when the file is broken; boxing it would buy
// nothing on the path that succeeds.
#![allow(clippy::result_large_err)]

use std::fmt::Write as _;
use std::path::Path;

use super::{column, RouteModel};
use crate::rules::{Problem, Route};

const FORMAT: &str = "fenliu-route-model 1";
const HEADER: [&str; 6] = [
    "format",
    "alpha",
    "min_records",
    "routes",
    "records",
    "grams",
];
/// A file this broken is reported by its first problems only.
const MAX_PROBLEMS: usize = 20;
/// Smoothing beyond this drowns every count (and overflows to NaN scores
/// far above it).
pub(crate) const MAX_ALPHA: f64 = 1000.0;
/// Quoted input is cut to this many characters in a message.
const QUOTE: usize = 40;

/// Reads a model file's text; `path` names it in the problems.
pub fn parse(path: &Path, text: &str) -> Result<RouteModel, Vec<Problem>> {
    let mut problems = Vec::new();
    let at = |line: usize, reason: String| Problem::new(path, reason).at(Some(line), None);
    // An editor may have saved it with a byte-order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.starts_with('#') && !l.trim().is_empty());

    // The header: six keys, in order.
    let mut values: Vec<(usize, Vec<&str>)> = Vec::new();
    for key in HEADER {
        match lines.next() {
            Some((n, line)) => {
                let mut fields = line.split('\t');
                let found = fields.next().unwrap_or_default();
                if found != key {
                    return Err(vec![at(
                        n,
                        format!("expected the header line `{key}`, found `{}` (a model file starts with {})", quote(found), HEADER.join(", ")),
                    )]);
                }
                values.push((n, fields.collect()));
            }
            None => {
                return Err(vec![Problem::new(
                    path,
                    format!("the file ends before the header line `{key}`"),
                )])
            }
        }
    }
    let one = |i: usize| -> Result<(usize, &str), Problem> {
        let (n, v) = &values[i];
        match v.as_slice() {
            [x] => Ok((*n, *x)),
            _ => Err(at(
                *n,
                format!("`{}` takes one value, found {}", HEADER[i], v.len()),
            )),
        }
    };
    let header = (|| -> Result<_, Problem> {
        let (n, format) = one(0)?;
        if format != FORMAT {
            return Err(at(
                n,
                format!(
                    "unknown format `{}`; this fenliu reads `{FORMAT}`",
                    quote(format)
                ),
            ));
        }
        let (n, alpha) = one(1)?;
        let alpha: f64 = alpha
            .parse()
            .ok()
            .filter(|a: &f64| *a > 0.0 && *a <= MAX_ALPHA)
            .ok_or_else(|| {
                at(
                    n,
                    format!(
                        "`alpha` must be a number above 0 and at most {MAX_ALPHA}, found `{}`",
                        quote(alpha)
                    ),
                )
            })?;
        let (n, min) = one(2)?;
        let min_records: u32 = min.parse().map_err(|_| {
            at(
                n,
                format!(
                    "`min_records` must be a whole number, found `{}`",
                    quote(min)
                ),
            )
        })?;
        let (n, routes) = (&values[3].0, &values[3].1);
        let mut columns = Vec::new();
        for name in routes {
            let route = Route::parse(name).ok_or_else(|| {
                at(
                    *n,
                    format!(
                        "unknown route `{}` (routes are {})",
                        quote(name),
                        route_names()
                    ),
                )
            })?;
            if columns.contains(&route) {
                return Err(at(*n, format!("route `{name}` is listed twice")));
            }
            columns.push(route);
        }
        if columns.len() != 5 {
            return Err(at(
                *n,
                format!(
                    "`routes` must list all five routes, found {}",
                    columns.len()
                ),
            ));
        }
        let (n, counts) = (&values[4].0, &values[4].1);
        let counts = parse_counts(counts, 5).map_err(|r| at(*n, format!("`records`: {r}")))?;
        let mut records = [0u32; 5];
        for (route, c) in columns.iter().zip(counts) {
            if c == 0 {
                return Err(at(
                    *n,
                    format!("`records`: route `{route}` has no training records"),
                ));
            }
            records[column(*route)] = c;
        }
        let (n, grams) = one(5)?;
        let grams: usize = grams.parse().map_err(|_| {
            at(
                n,
                format!("`grams` must be a whole number, found `{}`", quote(grams)),
            )
        })?;
        Ok((alpha, min_records, columns, records, grams))
    })();
    let (alpha, min_records, columns, records, expected) = header.map_err(|p| vec![p])?;

    let mut grams: Vec<(Box<str>, [u32; 5])> = Vec::with_capacity(expected.min(1 << 20));
    let mut last_line = values[5].0;
    for (n, line) in lines {
        last_line = n;
        if problems.len() >= MAX_PROBLEMS {
            break;
        }
        let mut fields = line.split('\t');
        let gram = fields.next().unwrap_or_default();
        let chars = gram.chars().count();
        if !(2..=3).contains(&chars) || gram.chars().any(char::is_whitespace) {
            problems.push(at(
                n,
                format!(
                    "`{}` is no n-gram of 2 or 3 characters without spaces",
                    quote(gram)
                ),
            ));
            continue;
        }
        let counts = match parse_counts(&fields.collect::<Vec<_>>(), 5) {
            Ok(c) => c,
            Err(r) => {
                problems.push(at(n, format!("n-gram `{gram}`: {r}")));
                continue;
            }
        };
        let mut row = [0u32; 5];
        for (route, c) in columns.iter().zip(counts) {
            if c > records[column(*route)] {
                problems.push(at(
                    n,
                    format!("n-gram `{gram}`: {c} records of `{route}`, but the model was trained on {}", records[column(*route)]),
                ));
            }
            row[column(*route)] = c;
        }
        if let Some((previous, _)) = grams.last() {
            if **previous >= *gram {
                problems.push(at(
                    n,
                    format!("n-gram `{gram}` is out of order or repeated (after `{previous}`): n-grams are sorted and unique"),
                ));
                continue;
            }
        }
        grams.push((gram.into(), row));
    }
    if problems.is_empty() && grams.len() != expected {
        problems.push(at(
            last_line,
            format!(
                "`grams` announces {expected} n-grams, the file has {} (cut short or appended to?)",
                grams.len()
            ),
        ));
    }
    if problems.len() >= MAX_PROBLEMS {
        problems.push(Problem::new(
            path,
            format!("stopped after the first {MAX_PROBLEMS} problems"),
        ));
    }
    if problems.is_empty() {
        Ok(RouteModel::from_counts(records, alpha, min_records, grams))
    } else {
        Err(problems)
    }
}

/// Input as a message quotes it: cut to [`QUOTE`] characters.
fn quote(s: &str) -> String {
    match s.char_indices().nth(QUOTE) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

fn route_names() -> String {
    Route::ALL.map(|r| r.as_str()).join(", ")
}

/// `want` whole numbers, one a field.
fn parse_counts(fields: &[&str], want: usize) -> Result<Vec<u32>, String> {
    if fields.len() != want {
        return Err(format!("expected {want} counts, found {}", fields.len()));
    }
    fields
        .iter()
        .map(|f| {
            f.parse::<u32>()
                .map_err(|_| format!("`{}` is not a count", quote(f)))
        })
        .collect()
}

/// The model as file text (what [`parse`] reads back). `comments` go on top,
/// one `#` line each.
pub fn write(model: &RouteModel, comments: &[String]) -> String {
    let mut out = String::new();
    for c in comments {
        let _ = writeln!(out, "# {c}");
    }
    let _ = writeln!(out, "format\t{FORMAT}");
    let _ = writeln!(out, "alpha\t{}", model.alpha);
    let _ = writeln!(out, "min_records\t{}", model.min_records);
    let _ = writeln!(out, "routes\t{}", Route::ALL.map(|r| r.as_str()).join("\t"));
    let _ = writeln!(out, "records\t{}", join(&model.records));
    let _ = writeln!(out, "grams\t{}", model.grams.len());
    for (g, counts) in &model.grams {
        let _ = writeln!(out, "{g}\t{}", join(counts));
    }
    out
}

fn join(counts: &[u32; 5]) -> String {
    counts.map(|c| c.to_string()).join("\t")
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "# a model\nformat\tfenliu-route-model 1\nalpha\t0.1\nmin_records\t1\n\
        routes\tnon-police\temergency\tpolice\tlegal-process\tirrational-repeat\n\
        records\t5\t4\t3\t2\t1\ngrams\t2\n开庭\t0\t0\t0\t2\t0\n臭鸡\t1\t4\t0\t0\t0\n";

    fn problems(text: &str) -> Vec<String> {
        parse(Path::new("m.tsv"), text)
            .err()
            .unwrap_or_default()
            .iter()
            .map(|p| p.to_string())
            .collect()
    }

    #[test]
    fn reads_columns_in_the_order_the_file_names_them() {
        let m = parse(Path::new("m.tsv"), GOOD).unwrap();
        assert_eq!(m.records(Route::NonPolice), 5);
        assert_eq!(m.records(Route::IrrationalRepeat), 1);
        assert_eq!(m.counts("臭鸡"), Some([4, 0, 0, 0, 1]));
        assert_eq!(m.len(), 2);
        // Written back in Route::ALL order, it reads the same.
        let again = parse(Path::new("m.tsv"), &write(&m, &[])).unwrap();
        assert_eq!(again.grams, m.grams);
        assert_eq!(again.records, m.records);
        assert_eq!(write(&again, &[]), write(&m, &[]));
    }

    #[test]
    fn broken_files_name_the_line_and_the_reason() {
        let cases: &[(&str, &str, &str)] = &[
            ("format\tfenliu-route-model 1", "format\tsomething 2", "m.tsv:2: unknown format `something 2`"),
            ("alpha\t0.1", "alpha\t-1", "m.tsv:3: `alpha` must be a number above 0 and at most 1000, found `-1`"),
            ("records\t5\t4\t3\t2\t1", "records\t5\t4\t3\t2", "m.tsv:6: `records`: expected 5 counts, found 4"),
            ("records\t5\t4\t3\t2\t1", "records\t5\t4\t0\t2\t1", "m.tsv:6: `records`: route `police` has no training records"),
            ("\tirrational-repeat", "\tirrational", "m.tsv:5: unknown route `irrational`"),
            ("开庭\t0\t0\t0\t2\t0", "开庭\t0\t0\tx\t2\t0", "m.tsv:8: n-gram `开庭`: `x` is not a count"),
            ("开庭\t0\t0\t0\t2\t0", "开庭审理\t0\t0\t0\t2\t0", "m.tsv:8: `开庭审理` is no n-gram"),
            ("开庭\t0\t0\t0\t2\t0", "开庭\t0\t0\t0\t3\t0", "m.tsv:8: n-gram `开庭`: 3 records of `legal-process`, but the model was trained on 2"),
            ("开庭\t0\t0\t0\t2\t0", "臭鸡\t0\t0\t0\t2\t0", "m.tsv:9: n-gram `臭鸡` is out of order or repeated"),
            ("grams\t2", "grams\t3", "m.tsv:9: `grams` announces 3 n-grams, the file has 2"),
            ("alpha\t0.1\n", "", "m.tsv:3: expected the header line `alpha`, found `min_records`"),
        ];
        for (from, to, want) in cases {
            assert!(GOOD.contains(from), "{from}");
            let got = problems(&GOOD.replacen(from, to, 1));
            assert!(
                got.iter().any(|p| p.starts_with(want)),
                "replacing {from:?} by {to:?}: want {want:?}, got {got:?}"
            );
        }
        // A file cut short in its header.
        assert_eq!(
            problems("format\tfenliu-route-model 1\n"),
            vec!["m.tsv: the file ends before the header line `alpha`"]
        );
    }

    #[test]
    fn what_editors_do_to_a_file_is_read_or_named_briefly() {
        // A byte-order mark and Windows line ends.
        let m = parse(
            Path::new("m.tsv"),
            &format!("\u{feff}{}", GOOD.replace('\n', "\r\n")),
        );
        assert_eq!(m.map(|m| m.len()).ok(), Some(2));
        // A pasted paragraph is quoted by its start only.
        let long = "长".repeat(5000);
        let got = problems(&GOOD.replacen("开庭", &long, 1));
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].len() < 250, "{}", got[0]);
        assert!(
            got[0].contains(&format!("`{}…` is no n-gram", "长".repeat(QUOTE))),
            "{}",
            got[0]
        );
        // Smoothing that would overflow every score to NaN.
        let got = problems(&GOOD.replacen("alpha\t0.1", "alpha\t1e308", 1));
        assert!(got[0].contains("at most 1000"), "{got:?}");
    }

    #[test]
    fn a_file_broken_everywhere_reports_its_first_problems() {
        let mut text = GOOD.replace("grams\t2", "grams\t100");
        for i in 0..100 {
            text.push_str(&format!("坏{i}\tx\n"));
        }
        let got = problems(&text);
        assert_eq!(got.len(), MAX_PROBLEMS + 1);
        assert!(got[MAX_PROBLEMS].contains("stopped after the first 20 problems"));
    }
}
