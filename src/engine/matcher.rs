//! Matching: one automaton pass, cue scopes, rule conditions.
//!
//! The cost grows with the text and the number of keyword hits, not with the
//! number of rules: only rules that own a hit are looked at, and regexes run
//! only for rules whose keywords already hold (or, for regex-only rules,
//! behind one `RegexSet` pass).

use crate::rules::{CueKind, CueRole, RuleSet, Use};
use crate::text::{normalize, Clauses, Normalized, Token};

/// A span of the normalized text, in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CharSpan {
    pub start: usize,
    pub end: usize,
}

/// Where one cue entry of the policy discounts evidence: disjoint, sorted
/// character ranges, so a lookup is a binary search however long the text.
#[derive(Debug, Clone)]
struct Coverage {
    kind: CueKind,
    routes: u8,
    ranges: Vec<(usize, usize)>,
}

impl Coverage {
    fn covers(&self, at: usize) -> bool {
        let i = self.ranges.partition_point(|r| r.0 <= at);
        i > 0 && at < self.ranges[i - 1].1
    }
}

/// At most this many hits of one condition are paired with the others, so
/// a pathological text cannot make a rule quadratic.
const MAX_CANDIDATES: usize = 64;

/// Why a fired rule's evidence does not count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flags {
    pub negated: bool,
    pub hypothetical: bool,
    pub past: bool,
}

impl Flags {
    pub fn any(self) -> bool {
        self.negated || self.hypothetical || self.past
    }

    fn count(self) -> u8 {
        u8::from(self.negated) + u8::from(self.hypothetical) + u8::from(self.past)
    }

    fn or(self, o: Flags) -> Flags {
        Flags {
            negated: self.negated || o.negated,
            hypothetical: self.hypothetical || o.hypothetical,
            past: self.past || o.past,
        }
    }
}

/// A rule whose conditions held.
#[derive(Debug, Clone)]
pub struct Fired {
    pub rule: usize,
    pub spans: Vec<CharSpan>,
    pub flags: Flags,
    /// The rule that cancelled this one's evidence.
    pub suppressed_by: Option<usize>,
}

impl Fired {
    /// Whether this evidence counts toward a decision.
    pub fn counts(&self) -> bool {
        !self.flags.any() && self.suppressed_by.is_none()
    }
}

/// An appeal after normalization, segmentation and matching.
#[derive(Debug)]
pub struct Analysis {
    pub norm: Normalized,
    pub clauses: Clauses,
    /// Tokens of the normalized text (byte ranges of `norm.text`): cut
    /// when a rule matches on tokens, or later by [`Analysis::segment`] when
    /// history needs a signature; empty otherwise.
    pub tokens: Vec<Token>,
    segmented: bool,
    /// Route rules and appeal-type rules that fired, by rule index.
    pub fired: Vec<Fired>,
    /// Danger cues found (for the fallback).
    pub danger: Vec<CharSpan>,
    /// New-fact cues found (an appeal with one is not a repeat).
    pub new_fact: bool,
}

#[derive(Debug, Clone, Copy)]
struct Hit {
    rule: u32,
    /// 0: `any`; 1 + g: group g; u16::MAX: `unless`.
    slot: u16,
    span: CharSpan,
    on_tokens: bool,
}

const UNLESS: u16 = u16::MAX;

impl Analysis {
    /// Segments the text if matching did not need to.
    pub fn segment(&mut self, rules: &RuleSet) {
        if !self.segmented {
            self.tokens = rules.segmenter.tokens(&self.norm.text);
            self.segmented = true;
        }
    }

    /// The tokens as strings of the normalized text.
    pub fn token_strs(&self) -> impl Iterator<Item = &str> {
        self.tokens.iter().map(|t| &self.norm.text[t.start..t.end])
    }
}

/// Runs the whole matching stage.
pub fn analyze(rules: &RuleSet, text: &str) -> Analysis {
    let norm = normalize(text);
    let clauses = Clauses::split(&norm.text);
    // Token boundaries matter only to rules that match on tokens; jieba is
    // the largest single cost of an appeal, so it runs only when needed.
    let segmented = rules.needs_tokens;
    let toks = if segmented {
        rules.segmenter.tokens(&norm.text)
    } else {
        Vec::new()
    };
    let mut boundary = vec![false; if segmented { norm.text.len() + 1 } else { 0 }];
    for t in &toks {
        boundary[t.start] = true;
        boundary[t.end] = true;
    }

    let mut hits: Vec<Hit> = Vec::new();
    let mut cue_hits: Vec<(u16, CueRole, CharSpan)> = Vec::new();
    let mut danger = Vec::new();
    let mut new_fact = false;
    let mut gated: Vec<usize> = Vec::new();
    for m in rules.automaton.find_overlapping_iter(&norm.text) {
        let span = CharSpan {
            start: norm.char_at_byte(m.start()),
            end: norm.char_at_byte(m.end()),
        };
        let on_tokens = segmented && boundary[m.start()] && boundary[m.end()];
        for u in &rules.uses[m.pattern().as_usize()] {
            match *u {
                Use::Any(r) => hits.push(Hit {
                    rule: r,
                    slot: 0,
                    span,
                    on_tokens,
                }),
                Use::Group(r, g) => hits.push(Hit {
                    rule: r,
                    slot: g + 1,
                    span,
                    on_tokens,
                }),
                Use::Unless(r) => hits.push(Hit {
                    rule: r,
                    slot: UNLESS,
                    span,
                    on_tokens,
                }),
                Use::Cue(c, role) => cue_hits.push((c, role, span)),
                Use::Danger => danger.push(span),
                Use::NewFact => new_fact = true,
                Use::RegexGate(r) => gated.push(r as usize),
            }
        }
    }
    let scopes = cue_scopes(rules, &cue_hits, &clauses);

    hits.sort_by_key(|h| (h.rule, h.slot, h.span.start));
    let mut fired = Vec::new();
    let mut i = 0;
    while i < hits.len() {
        let rule = hits[i].rule;
        let j = hits[i..]
            .iter()
            .position(|h| h.rule != rule)
            .map_or(hits.len(), |p| i + p);
        if !rules.rules[rule as usize].cond.is_regex_only() {
            if let Some(f) = evaluate(rules, rule as usize, &hits[i..j], &norm, &clauses, &scopes) {
                fired.push(f);
            }
        }
        i = j;
    }
    // Regex-only rules: those whose gate literal was found, and the ungated
    // ones the set says match.
    gated.sort_unstable();
    gated.dedup();
    if !rules.regex_only.is_empty() {
        gated.extend(
            rules
                .regex_only_set
                .matches(&norm.text)
                .iter()
                .map(|k| rules.regex_only[k]),
        );
    }
    for rule in gated {
        // Unless-hits of a regex-only rule are in `hits` too.
        let from = hits.partition_point(|h| (h.rule as usize) < rule);
        let to = hits.partition_point(|h| (h.rule as usize) <= rule);
        if let Some(f) = evaluate(rules, rule, &hits[from..to], &norm, &clauses, &scopes) {
            fired.push(f);
        }
    }
    apply_suppression(rules, &mut fired);
    Analysis {
        norm,
        clauses,
        tokens: toks,
        segmented,
        fired,
        danger,
        new_fact,
    }
}

/// Turns cue hits into coverage, NegEx style: a preceding cue reaches
/// forward to the end of its clause, a terminator or its window; a following
/// cue reaches back the same way. A cue inside a pseudo-cue is no cue.
fn cue_scopes(
    rules: &RuleSet,
    cue_hits: &[(u16, CueRole, CharSpan)],
    clauses: &Clauses,
) -> Vec<Coverage> {
    let mut out = Vec::new();
    for (c, cue) in rules.cues.iter().enumerate() {
        let of = |role: CueRole| -> Vec<CharSpan> {
            let mut v: Vec<CharSpan> = cue_hits
                .iter()
                .filter(|&&(c2, r2, _)| c2 as usize == c && r2 == role)
                .map(|&(_, _, s)| s)
                .collect();
            v.sort_by_key(|s| (s.start, s.end));
            v
        };
        let pseudo = of(CueRole::Pseudo);
        let terminators = of(CueRole::Terminator);
        let inside_pseudo = |span: CharSpan| {
            // Pseudo-cues are short: look back from the last one starting at
            // or before this cue.
            let i = pseudo.partition_point(|p| p.start <= span.start);
            pseudo[..i].iter().rev().take(8).any(|p| p.end >= span.end)
        };
        let mut ranges = Vec::new();
        for (role, spans) in [
            (CueRole::Preceding, of(CueRole::Preceding)),
            (CueRole::Following, of(CueRole::Following)),
        ] {
            for span in spans {
                if inside_pseudo(span) {
                    continue;
                }
                let (cs, ce) = clauses.range(clauses.of(span.start));
                let (start, end) = if role == CueRole::Preceding {
                    let i = terminators.partition_point(|t| t.start < span.end);
                    let mut end = terminators.get(i).map_or(ce, |t| t.start.min(ce));
                    if let Some(w) = cue.window {
                        end = end.min(span.end + w);
                    }
                    (span.end, end)
                } else {
                    let i = terminators.partition_point(|t| t.end <= span.start);
                    let mut start = cs;
                    if let Some(t) = i.checked_sub(1).and_then(|i| terminators.get(i)) {
                        start = start.max(t.end);
                    }
                    if let Some(w) = cue.window {
                        start = start.max(span.start.saturating_sub(w));
                    }
                    (start, span.start)
                };
                if start < end {
                    ranges.push((start, end));
                }
            }
        }
        if ranges.is_empty() {
            continue;
        }
        ranges.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(ranges.len());
        for (s, e) in ranges {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        out.push(Coverage {
            kind: cue.kind,
            routes: cue.routes,
            ranges: merged,
        });
    }
    out
}

/// `routes` is the bit of the rule's route, or 0 for an appeal-type rule:
/// those are discounted only by cues that apply to every route.
fn flags_of(span: CharSpan, routes: u8, scopes: &[Coverage]) -> Flags {
    let mut f = Flags::default();
    for s in scopes {
        let applies = if routes == 0 {
            s.routes == u8::MAX
        } else {
            s.routes & routes != 0
        };
        if !applies || !s.covers(span.start) {
            continue;
        }
        match s.kind {
            CueKind::Negated => f.negated = true,
            CueKind::Hypothetical => f.hypothetical = true,
            CueKind::Past => f.past = true,
        }
    }
    f
}

fn evaluate(
    rules: &RuleSet,
    idx: usize,
    hits: &[Hit],
    norm: &Normalized,
    clauses: &Clauses,
    scopes: &[Coverage],
) -> Option<Fired> {
    let rule = &rules.rules[idx];
    let cond = &rule.cond;
    // Appeal-type rules are discounted only by cues that apply to every route.
    let routes = rule.route().map_or(0, |r| r.bit());
    let usable = |h: &&Hit| !cond.tokens || h.on_tokens;
    let unless: Vec<CharSpan> = hits
        .iter()
        .filter(|h| h.slot == UNLESS)
        .map(|h| h.span)
        .collect();
    if !unless.is_empty() && !rule.unless.clause_scope {
        return None;
    }
    let mut any: Vec<CharSpan> = hits
        .iter()
        .filter(|h| h.slot == 0)
        .filter(usable)
        .map(|h| h.span)
        .collect();
    let mut groups: Vec<Vec<CharSpan>> = vec![Vec::new(); cond.groups];
    for h in hits
        .iter()
        .filter(|h| h.slot != 0 && h.slot != UNLESS)
        .filter(usable)
    {
        if let Some(g) = groups.get_mut(h.slot as usize - 1) {
            g.push(h.span);
        }
    }
    if (cond.has_any && any.is_empty()) || groups.iter().any(Vec::is_empty) {
        return None;
    }

    // Candidate instances: one span per condition, anchored on `any` (or the
    // first group), the nearest hit of each other group within the limits.
    any.truncate(MAX_CANDIDATES);
    for g in &mut groups {
        g.truncate(MAX_CANDIDATES);
    }
    let anchors: &[CharSpan] = if cond.has_any {
        &any
    } else {
        groups.first().map_or(&[], Vec::as_slice)
    };
    let rest: &[Vec<CharSpan>] = if cond.has_any {
        &groups
    } else {
        groups.get(1..).unwrap_or(&[])
    };
    let mut best: Option<(Vec<CharSpan>, Flags)> = None;
    for &anchor in anchors {
        let mut spans = vec![anchor];
        let mut ok = true;
        for group in rest {
            let near = group
                .iter()
                .filter(|s| !cond.same_clause || clauses.of(s.start) == clauses.of(anchor.start))
                .filter(|s| cond.within.is_none_or(|w| distance(**s, anchor) <= w))
                .min_by_key(|s| (flags_of(**s, routes, scopes).count(), distance(**s, anchor)));
            match near {
                Some(s) => spans.push(*s),
                None => {
                    ok = false;
                    break;
                }
            }
        }
        if !ok {
            continue;
        }
        let flags = spans
            .iter()
            .fold(Flags::default(), |f, s| f.or(flags_of(*s, routes, scopes)));
        let better = match &best {
            None => true,
            Some((_, bf)) => flags.count() < bf.count(),
        };
        if better {
            best = Some((spans, flags));
        }
        if !flags.any() {
            break;
        }
    }
    // Regex-only rules have no keyword instance.
    let (mut spans, mut flags) = match best {
        Some(b) => b,
        None if anchors.is_empty() && !cond.regex.is_empty() => (Vec::new(), Flags::default()),
        None => return None,
    };
    if !cond.regex.is_empty() {
        let m = cond.regex.iter().find_map(|re| re.find(&norm.text))?;
        let span = CharSpan {
            start: norm.char_at_byte(m.start()),
            end: norm.char_at_byte(m.end()),
        };
        flags = flags.or(flags_of(span, routes, scopes));
        spans.push(span);
    }
    if rule.unless.clause_scope {
        let touched = |u: &CharSpan| {
            spans
                .iter()
                .any(|s| clauses.of(s.start) == clauses.of(u.start))
        };
        if unless.iter().any(touched) {
            return None;
        }
    }
    if rule.unless.regex.iter().any(|re| {
        re.find_iter(&norm.text).any(|m| {
            let u = CharSpan {
                start: norm.char_at_byte(m.start()),
                end: norm.char_at_byte(m.end()),
            };
            !rule.unless.clause_scope
                || spans
                    .iter()
                    .any(|s| clauses.of(s.start) == clauses.of(u.start))
        })
    }) {
        return None;
    }
    spans.sort_by_key(|s| s.start);
    spans.dedup();
    let flags = Flags {
        negated: flags.negated && !rule.ignore.negated,
        hypothetical: flags.hypothetical && !rule.ignore.hypothetical,
        past: flags.past && !rule.ignore.past,
    };
    Some(Fired {
        rule: idx,
        spans,
        flags,
        suppressed_by: None,
    })
}

fn distance(a: CharSpan, b: CharSpan) -> usize {
    if a.end <= b.start {
        b.start - a.end
    } else if b.end <= a.start {
        a.start - b.end
    } else {
        0
    }
}

/// A counted rule cancels the evidence of the rules it names.
fn apply_suppression(rules: &RuleSet, fired: &mut [Fired]) {
    let mut cancel: Vec<(usize, usize)> = Vec::new();
    for f in fired.iter().filter(|f| f.counts()) {
        for &target in &rules.rules[f.rule].suppresses {
            cancel.push((target, f.rule));
        }
    }
    for (target, by) in cancel {
        for f in fired.iter_mut().filter(|f| f.rule == target) {
            f.suppressed_by = Some(by);
        }
    }
}
