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
    let out = match hir.kind() {
        HirKind::Literal(l) => vec![String::from_utf8(l.0.to_vec()).ok()?],
        HirKind::Capture(c) => finite_literals(&c.sub)?,
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
                out.extend(finite_literals(s)?);
            }
            out
        }
        HirKind::Concat(subs) => {
            let mut out = vec![String::new()];
            for s in subs {
                let tails = finite_literals(s)?;
                out = out
                    .iter()
                    .flat_map(|h| tails.iter().map(move |t| format!("{h}{t}")))
                    .collect();
                if out.len() > MAX_LITERALS {
                    return None;
                }
            }
            out
        }
        _ => return None,
    };
    (out.len() <= MAX_LITERALS && out.iter().all(|w| !w.is_empty())).then_some(out)
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
        HirKind::Concat(subs) => subs.iter().for_each(|s| collect(s, out)),
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
        assert_eq!(
            parts,
            vec![
                vec!["人".to_string(), "孩子".into()],
                vec!["掉".to_string(), "落".into()],
                vec!["到".to_string(), "进".into()],
                vec!["河".to_string(), "水塘".into()],
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
    }
}
