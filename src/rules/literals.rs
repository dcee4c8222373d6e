//! Literals that regexes must contain: the keyword automaton finds them, so
//! a regex runs only on appeals that hold every required part of it, and a
//! regex that is only a word list becomes keywords.

use regex_syntax::hir::{Class, Hir, HirKind};

/// At most this many strings make a finite literal set.
const MAX_LITERALS: usize = 64;
/// At most this many required parts gate one regex.
const MAX_FACTORS: usize = 4;

/// The finite list of non-empty strings `hir` matches, if it is one.
pub(crate) fn finite_literals(hir: &Hir) -> Option<Vec<String>> {
    expand(hir).filter(|out| out.iter().all(|w| !w.is_empty()))
}

/// The finite list of strings `hir` matches (the empty one included), if it
/// is one of at most `MAX_LITERALS`.
fn expand(hir: &Hir) -> Option<Vec<String>> {
    let mut out = match hir.kind() {
        HirKind::Empty => vec![String::new()],
        HirKind::Literal(l) => vec![String::from_utf8(l.0.to_vec()).ok()?],
        HirKind::Capture(c) => expand(&c.sub)?,
        HirKind::Class(Class::Unicode(c)) => {
            let mut chars = Vec::new();
            for r in c.iter() {
                for ch in r.start()..=r.end() {
                    chars.push(ch.to_string());
                    if chars.len() > 8 {
                        return None;
                    }
                }
            }
            chars
        }
        HirKind::Alternation(subs) => {
            let mut out = Vec::new();
            for s in subs {
                out.extend(expand(s)?);
            }
            out
        }
        HirKind::Concat(subs) => {
            let mut out = vec![String::new()];
            for s in subs {
                out = product(&out, &expand(s)?)?;
            }
            out
        }
        // `x?`, `x{1,2}`: a few copies of a finite list.
        HirKind::Repetition(r) if r.max.is_some_and(|m| m <= 3) => {
            let sub = expand(&r.sub)?;
            let mut out = Vec::new();
            let mut copies = vec![String::new()];
            let max = r.max.unwrap_or(0);
            for n in 0..=max {
                if n >= r.min {
                    out.extend(copies.iter().cloned());
                }
                // One more copy only if another round takes it.
                if n < max {
                    copies = product(&copies, &sub)?;
                }
            }
            out
        }
        _ => return None,
    };
    out.sort();
    out.dedup();
    (out.len() <= MAX_LITERALS).then_some(out)
}

/// Every string of `heads` followed by every string of `tails`, if there
/// are at most `MAX_LITERALS`.
fn product(heads: &[String], tails: &[String]) -> Option<Vec<String>> {
    if heads.len() * tails.len() > MAX_LITERALS {
        return None;
    }
    Some(
        heads
            .iter()
            .flat_map(|h| tails.iter().map(move |t| format!("{h}{t}")))
            .collect(),
    )
}

/// The word list a regex is, if every word is found as written in
/// normalized text.
pub(crate) fn word_list(pattern: &str) -> Option<Vec<String>> {
    let hir = regex_syntax::parse(pattern).ok()?;
    finite_literals(&hir).filter(|w| w.iter().all(|l| stable(l)))
}

/// A literal the automaton can find as the regex sees it: normalization
/// leaves it unchanged.
fn stable(l: &str) -> bool {
    crate::text::normalize(l).text == l
}

/// Parts every match of `pattern` contains, each a set of literals (one of
/// them is in the match): the pieces of its top-level concatenation that
/// are finite word lists, the most selective first (longest shortest word).
pub(crate) fn required_parts(pattern: &str) -> Vec<Vec<String>> {
    let Ok(hir) = regex_syntax::parse(pattern) else {
        return Vec::new();
    };
    let mut parts = Vec::new();
    collect(&hir, &mut parts);
    parts.retain(|p: &Vec<String>| p.iter().all(|l| stable(l)));
    let shortest = |p: &Vec<String>| p.iter().map(|l| l.chars().count()).min().unwrap_or(0);
    parts.sort_by_key(|p| std::cmp::Reverse(shortest(p)));
    // A part with a one-character alternative (我, 在, 人) is in nearly
    // every appeal: it gates nothing and costs a look at every occurrence.
    // Kept only when no part of longer words is there to gate instead.
    if parts.first().is_some_and(|p| shortest(p) > 1) {
        parts.retain(|p| shortest(p) > 1);
    }
    parts.truncate(MAX_FACTORS);
    parts
}

fn collect(hir: &Hir, out: &mut Vec<Vec<String>>) {
    if let Some(l) = finite_literals(hir) {
        out.push(l);
        return;
    }
    match hir.kind() {
        HirKind::Capture(c) => collect(&c.sub, out),
        HirKind::Concat(subs) => {
            // Neighbouring finite pieces are one longer, rarer part while
            // their product stays small: (免费|无偿)(送|给)我 is four words,
            // not three parts of which 我 and 给 are in every other appeal.
            let mut run = vec![String::new()];
            let flush = |run: &mut Vec<String>, out: &mut Vec<Vec<String>>| {
                if run.iter().all(|w| !w.is_empty()) {
                    out.push(std::mem::take(run));
                }
                *run = vec![String::new()];
            };
            for s in subs {
                match expand(s) {
                    Some(words) => match product(&run, &words) {
                        Some(longer) => run = longer,
                        None => {
                            flush(&mut run, out);
                            run = words;
                        }
                    },
                    None => {
                        flush(&mut run, out);
                        collect(s, out);
                    }
                }
            }
            flush(&mut run, out);
        }
        HirKind::Repetition(r) if r.min >= 1 => collect(&r.sub, out),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finite_regexes_are_word_lists() {
        let cases: &[(&str, Option<&[&str]>)] = &[
            ("着火", Some(&["着火"])),
            ("(着火|起火)了", Some(&["着火了", "起火了"])),
            ("[着起]火", Some(&["着火", "起火"])),
            ("着.{0,3}火", None),
            (r"1\d{10}", None),
            ("^报警", None),
            ("(着火)?", None),
            // Upper case never survives normalization.
            ("ABC", None),
        ];
        for (re, want) in cases {
            let want = want.map(|w| w.iter().map(|s| s.to_string()).collect::<Vec<_>>());
            assert_eq!(word_list(re), want, "{re}");
        }
    }

    #[test]
    fn required_parts_of_a_concatenation() {
        let parts =
            required_parts("(人|孩子)[^，。]{0,6}(掉|落)(咗)?(进|到)了?[^，。]{0,6}(河|水塘)");
        // Neighbouring finite pieces make one part: 掉进, 落咗到了, ...
        // (人|孩子) and (河|水塘) are required too, but 人 and 河 are in
        // nearly every appeal: the part of longer words gates alone.
        assert_eq!(parts.len(), 1, "{parts:?}");
        assert_eq!(parts[0].len(), 16);
        for w in ["掉进", "落到", "掉咗进", "落咗到了"] {
            assert!(parts[0].contains(&w.to_string()), "{w} in {:?}", parts[0]);
        }
        // With no part of longer words, the one-character parts gate.
        assert_eq!(
            required_parts("(人|孩子)[^，。]{0,6}(掉|落)[^，。]{0,6}(河|水塘)"),
            vec![
                vec!["人".to_string(), "孩子".into()],
                vec!["掉".to_string(), "落".into()],
                vec!["水塘".to_string(), "河".into()]
            ]
        );
        assert!(required_parts("a|b.c").is_empty());
        assert_eq!(
            required_parts("投诉.{0,8}(民警|警察)"),
            vec![
                vec!["投诉".to_string()],
                vec!["民警".to_string(), "警察".into()]
            ]
        );
        // An optional tail is a finite piece too.
        assert_eq!(
            required_parts("(冒充|自称是?)[^，。]{0,8}警察"),
            vec![
                vec!["冒充".to_string(), "自称".into(), "自称是".into()],
                vec!["警察".to_string()]
            ]
        );
        // A piece that may be empty is no part.
        assert!(required_parts("(着火)?.{0,3}").is_empty());
    }

    #[test]
    fn a_bounded_repetition_of_a_word_list_is_finite() {
        // 1 + 8 + 64 words would be too many, 1 + 5 + 25 are not.
        let words = word_list("[一二三四五]{0,2}号").unwrap_or_default();
        assert_eq!(words.len(), 31, "{words:?}");
        assert!(words.contains(&"号".to_string()) && words.contains(&"五一号".to_string()));
        assert_eq!(word_list("[一二三四五六七八]{0,2}号"), None);
    }

    #[test]
    fn merging_stops_before_the_word_list_grows_too_long() {
        // 4 x 5 x 2 words, then a class of 8 would make 320: it starts a
        // part of its own (of one-character words, so it gates nothing
        // the first part does not).
        let parts = required_parts("(免费|无偿|白白?)(批|送|分|划|给)给?我[一个块套盖建栋辆]");
        assert_eq!(parts.len(), 1, "{parts:?}");
        assert_eq!(parts[0].len(), 40);
        assert!(parts[0].contains(&"白白送给我".to_string()));
        let parts = required_parts("[批送分划给]我[一个块套盖建栋辆]");
        assert_eq!(parts.len(), 1, "{parts:?}");
        assert_eq!(parts[0].len(), 40);
    }
}
