//! Matching: one automaton pass, cue scopes, rule conditions.
//!
//! The cost grows with the text and the number of keyword hits, not with the
//! number of rules: only rules that own a hit are looked at, and regexes run
//! only for rules whose keywords already hold (or, for regex-only rules,
//! behind one `RegexSet` pass).

use crate::rules::{CueKind, CueRole, RuleSet, Use, UNLESS_REGEX};
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
    /// A coverage of `ranges`, sorted and with overlapping or touching
    /// ranges merged (`covers` reads one range per position).
    fn merged(kind: CueKind, routes: u8, mut ranges: Vec<(usize, usize)>) -> Coverage {
        ranges.sort_unstable();
        ranges.dedup_by(|next, kept| {
            let joins = next.0 <= kept.1;
            if joins {
                kept.1 = kept.1.max(next.1);
            }
            joins
        });
        Coverage {
            kind,
            routes,
            ranges,
        }
    }

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
    /// Inside a scare quote: someone's word for it (被“骗”了).
    pub quoted: bool,
}

impl Flags {
    pub fn any(self) -> bool {
        self.negated || self.hypothetical || self.past || self.quoted
    }

    fn count(self) -> u8 {
        u8::from(self.negated)
            + u8::from(self.hypothetical)
            + u8::from(self.past)
            + u8::from(self.quoted)
    }

    /// These flags less the cue kinds a rule ignores.
    fn without(self, ignore: Flags) -> Flags {
        Flags {
            negated: self.negated && !ignore.negated,
            hypothetical: self.hypothetical && !ignore.hypothetical,
            past: self.past && !ignore.past,
            quoted: self.quoted && !ignore.quoted,
        }
    }

    fn or(self, o: Flags) -> Flags {
        Flags {
            negated: self.negated || o.negated,
            hypothetical: self.hypothetical || o.hypothetical,
            past: self.past || o.past,
            quoted: self.quoted || o.quoted,
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
    /// The caller refers back to a matter raised before (还是那件事), and
    /// no negation or hypothetical scope covers the reference.
    pub same_matter: bool,
}

#[derive(Debug, Clone, Copy)]
struct Hit {
    rule: u32,
    /// 0: `any`; 1 + g: group g; u16::MAX: `unless`.
    slot: u16,
    on_tokens: bool,
    /// The span, in characters: 16 bytes a hit, since they are sorted (a
    /// text is far shorter than 4G characters).
    start: u32,
    end: u32,
}

impl Hit {
    fn span(&self) -> CharSpan {
        CharSpan {
            start: self.start as usize,
            end: self.end as usize,
        }
    }
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
    let clauses = Clauses::of_normalized(&norm);
    // Token boundaries matter only to rules that match on tokens; jieba is
    // the largest single cost of an appeal, so it runs only when needed.
    let segmented = rules.needs_tokens;
    let toks = if segmented {
        rules.segmenter.tokens(&norm.text)
    } else {
        Vec::new()
    };
    // Token boundaries, in characters.
    let mut boundary = vec![false; if segmented { norm.char_len() + 1 } else { 0 }];
    for t in &toks {
        boundary[norm.char_at_byte(t.start)] = true;
        boundary[norm.char_at_byte(t.end)] = true;
    }

    // Sized for a typical appeal: growing them showed in profiles.
    let mut hits: Vec<Hit> = Vec::with_capacity(64);
    let mut cue_hits: Vec<(u16, CueRole, CharSpan)> = Vec::with_capacity(32);
    let mut danger = Vec::new();
    let mut not_danger: Vec<CharSpan> = Vec::new();
    let mut new_fact = false;
    let mut same_matter = Vec::new();
    // Required parts of gated regexes found, as a bit mask per regex.
    let mut parts = vec![0u8; rules.gated_regexes.len()];
    let mut touched: Vec<u32> = Vec::with_capacity(32);
    rules.keywords.find(&norm.text, |pattern, start, end| {
        let span = CharSpan { start, end };
        let on_tokens = segmented && boundary[start] && boundary[end];
        for u in &rules.uses[pattern] {
            let hit = |rule, slot| Hit {
                rule,
                slot,
                on_tokens,
                start: start as u32,
                end: end as u32,
            };
            match *u {
                Use::Any(r) => hits.push(hit(r, 0)),
                Use::Group(r, g) => hits.push(hit(r, g + 1)),
                Use::Unless(r) => hits.push(hit(r, UNLESS)),
                Use::Cue(c, role) => cue_hits.push((c, role, span)),
                Use::Danger => danger.push(span),
                Use::DangerPseudo => not_danger.push(span),
                Use::NewFact => new_fact = true,
                Use::SameMatter => same_matter.push(span),
                Use::RegexPart(g, f) => {
                    let seen = &mut parts[g as usize];
                    if *seen == 0 {
                        touched.push(g);
                    }
                    *seen |= 1 << f;
                }
            }
        }
    });
    let mut scopes = cue_scopes(rules, &mut cue_hits, &clauses);
    if let Some(sq) = &rules.policy.scare_quotes {
        if let Some(c) = scare_quotes(sq, &norm) {
            scopes.push(c);
        }
    }
    // Danger cues are evidence too: "没有危险", "万一出人命", "昨天差点出人命"
    // signal nothing now. They stand for an emergency or the danger route.
    let danger_routes = crate::rules::Route::Emergency.bit() | rules.policy.danger_route.bit();
    // Nor does a danger word inside a figure of speech: 救命稻草, 吓死我了.
    danger.retain(|&span| {
        !flags_of(span, danger_routes, &scopes).any()
            && !not_danger
                .iter()
                .any(|p| p.start <= span.start && span.end <= p.end)
    });
    // "不是上次那件事" refers to nothing.
    let repeat_route = crate::rules::Route::IrrationalRepeat.bit();
    let same_matter = same_matter.into_iter().any(|span| {
        let f = flags_of(span, repeat_route, &scopes);
        !(f.negated || f.hypothetical)
    });

    // Regexes whose every required part the automaton found.
    let mut open: Vec<(u32, u16)> = touched
        .iter()
        .map(|&g| rules.gated_regexes[g as usize])
        .zip(touched.iter().map(|&g| parts[g as usize]))
        .filter(|&((_, _, all), seen)| seen == all)
        .map(|((r, k, _), _)| (r, k))
        .collect();
    open.sort_unstable();

    hits.sort_unstable_by_key(|h| (h.rule, h.slot, h.start, h.end));
    let ctx = Context {
        norm: &norm,
        clauses: &clauses,
        scopes: &scopes,
        open: &open,
    };
    let mut fired = Vec::with_capacity(16);
    let mut i = 0;
    while i < hits.len() {
        let rule = hits[i].rule;
        let j = hits[i..]
            .iter()
            .position(|h| h.rule != rule)
            .map_or(hits.len(), |p| i + p);
        if !rules.rules[rule as usize].cond.is_regex_only() {
            if let Some(f) = evaluate(rules, rule as usize, &hits[i..j], &ctx) {
                fired.push(f);
            }
        }
        i = j;
    }
    // Regex-only rules: those with an open condition regex, and those the
    // set of ungated ones says match.
    let mut regex_rules: Vec<usize> = open
        .iter()
        .filter(|&&(_, k)| k < UNLESS_REGEX)
        .map(|&(r, _)| r as usize)
        .filter(|&r| rules.rules[r].cond.is_regex_only())
        .collect();
    if !rules.regex_only.is_empty() {
        regex_rules.extend(
            rules
                .regex_only_set
                .matches(&norm.text)
                .iter()
                .map(|k| rules.regex_only[k]),
        );
    }
    regex_rules.sort_unstable();
    regex_rules.dedup();
    for rule in regex_rules {
        // Unless-hits of a regex-only rule are in `hits` too.
        let from = hits.partition_point(|h| (h.rule as usize) < rule);
        let to = hits.partition_point(|h| (h.rule as usize) <= rule);
        if let Some(f) = evaluate(rules, rule, &hits[from..to], &ctx) {
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
        same_matter,
    }
}

/// Turns cue hits into coverage, NegEx style: a preceding cue reaches
/// forward to the end of its clause (of the text, for a cue that crosses
/// sentences), a terminator or its window; a following cue reaches back the
/// same way. A cue or a terminator inside a pseudo-cue is none ("真的" holds
/// the terminator 的 of a negation).
fn cue_scopes(
    rules: &RuleSet,
    cue_hits: &mut [(u16, CueRole, CharSpan)],
    clauses: &Clauses,
) -> Vec<Coverage> {
    let mut out = Vec::new();
    cue_hits.sort_unstable_by_key(|&(c, role, s)| (c, role, s.start, s.end));
    let sorted = &*cue_hits;
    let mut ranges = Vec::new();
    let mut terminators: Vec<CharSpan> = Vec::new();
    for (c, cue) in rules.cues.iter().enumerate() {
        let c = c as u16;
        // The hits of one role of this cue, by position.
        let of = |role: CueRole| {
            let from = sorted.partition_point(|&(c2, r2, _)| (c2, r2) < (c, role));
            let to = sorted.partition_point(|&(c2, r2, _)| (c2, r2) <= (c, role));
            &sorted[from..to]
        };
        let pseudo = of(CueRole::Pseudo);
        let inside_pseudo = |span: CharSpan| {
            // Pseudo-cues are short: look back from the last one starting at
            // or before this cue.
            let i = pseudo.partition_point(|p| p.2.start <= span.start);
            pseudo[..i]
                .iter()
                .rev()
                .take(8)
                .any(|p| p.2.end >= span.end)
        };
        terminators.clear();
        terminators.extend(
            of(CueRole::Terminator)
                .iter()
                .map(|t| t.2)
                .filter(|&t| !inside_pseudo(t)),
        );
        ranges.clear();
        for (role, spans) in [
            (CueRole::Preceding, of(CueRole::Preceding)),
            (CueRole::Following, of(CueRole::Following)),
        ] {
            for &(_, _, span) in spans {
                if inside_pseudo(span) {
                    continue;
                }
                let (cs, ce) = if cue.across_sentences {
                    (0, clauses.len_chars())
                } else {
                    clauses.range(clauses.of(span.start))
                };
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
        out.push(Coverage::merged(
            cue.kind,
            cue.routes,
            std::mem::take(&mut ranges),
        ));
    }
    out
}

/// The short quotations that hold one of the policy's words and follow no
/// shout: someone's word for what happened (被“骗”了, 说我“偷”了), counted
/// as quoted (not counted) evidence for the policy's routes. A passive marker right
/// before the quotation (被, 遭) belongs to it: the keyword 被骗 starts there.
fn scare_quotes(sq: &crate::rules::ScareQuotes, norm: &Normalized) -> Option<Coverage> {
    let ranges: Vec<(usize, usize)> = norm
        .quotes()
        .iter()
        .map(|&(s, e)| (s as usize, e as usize))
        .filter(|&(s, e)| e - s <= sq.max_chars)
        .filter_map(|(s, e)| {
            let (from, to) = (norm.byte_of(s), norm.byte_of(e));
            let inside = &norm.text[from..to];
            let before = &norm.text[..from];
            // A shout's verb may stand a few characters off: 大喊：“抓小偷”,
            // 喊道“抢劫”, 大叫着“抢”.
            let lead = before.trim_end_matches(['：', '，', ' ']);
            let tail_from = lead.char_indices().rev().nth(2).map_or(0, |(i, _)| i);
            let shout = sq
                .not_after
                .iter()
                .any(|w| lead[tail_from..].contains(w.as_str()));
            let scare = !shout && sq.words.iter().any(|w| inside.contains(w.as_str()));
            let passive = before.ends_with('被') || before.ends_with('遭');
            scare.then_some((s - usize::from(passive), e))
        })
        .collect();
    // Quotations nest (“他说‘偷’了”): one range for those that overlap.
    (!ranges.is_empty()).then(|| Coverage::merged(CueKind::Quoted, sq.routes, ranges))
}

/// What a rule's conditions are checked against.
struct Context<'a> {
    norm: &'a Normalized,
    clauses: &'a Clauses,
    scopes: &'a [Coverage],
    /// (rule, regex) pairs whose required parts were all found, sorted.
    open: &'a [(u32, u16)],
}

impl Context<'_> {
    /// Whether regex `k` of rule `idx` can match at all.
    fn may_match(&self, rules: &RuleSet, idx: usize, k: usize) -> bool {
        rules.rules[idx].cond.regex_parts[k] == 0
            || self.open.binary_search(&(idx as u32, k as u16)).is_ok()
    }

    /// Whether `unless` regex `j` of rule `idx` can match at all.
    fn may_match_unless(&self, rules: &RuleSet, idx: usize, j: usize) -> bool {
        rules.rules[idx].unless.regex_parts[j] == 0
            || self
                .open
                .binary_search(&(idx as u32, UNLESS_REGEX + j as u16))
                .is_ok()
    }
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
            CueKind::Quoted => f.quoted = true,
        }
    }
    f
}

/// Checks rule `idx` against its hits (sorted by slot, then position: the
/// `any` hits first, then each `all` group, then the `unless` hits). Works
/// on slices of `hits`; the only allocation is the fired rule's spans.
fn evaluate(rules: &RuleSet, idx: usize, hits: &[Hit], ctx: &Context<'_>) -> Option<Fired> {
    let (norm, clauses, scopes) = (ctx.norm, ctx.clauses, ctx.scopes);
    let rule = &rules.rules[idx];
    let cond = &rule.cond;
    // Appeal-type rules are discounted only by cues that apply to every route.
    let routes = rule.route().map_or(0, |r| r.bit());
    let usable = |h: &&Hit| !cond.tokens || h.on_tokens;
    let slot = |s: u16| {
        let from = hits.partition_point(|h| h.slot < s);
        let to = hits.partition_point(|h| h.slot <= s);
        &hits[from..to]
    };
    let unless = slot(UNLESS);
    if !unless.is_empty() && !rule.unless.clause_scope {
        return None;
    }
    let candidates = |s: u16| slot(s).iter().filter(usable).take(MAX_CANDIDATES);
    if cond.has_any && candidates(0).next().is_none() {
        return None;
    }
    if (1..=cond.groups as u16).any(|g| candidates(g).next().is_none()) {
        return None;
    }

    // Candidate instances: one span per condition, anchored on `any` (or the
    // first group), the nearest hit of each other group within the limits.
    let (anchor_slot, rest) = if cond.has_any {
        (0u16, 1..=cond.groups as u16)
    } else {
        (1u16, 2..=cond.groups as u16)
    };
    let has_anchor = cond.has_any || cond.groups > 0;
    let mut best: Option<(CharSpan, Flags)> = None;
    // Ranked by what counts against this rule: a cue kind it ignores does
    // not make one instance worse than another.
    let flags_at = |s: CharSpan| flags_of(s, routes, scopes).without(rule.ignore);
    let mut spans: Vec<CharSpan> = Vec::new();
    if has_anchor {
        for anchor in candidates(anchor_slot).map(Hit::span) {
            let mut flags = flags_at(anchor);
            let mut ok = true;
            for g in rest.clone() {
                let near = candidates(g)
                    .map(Hit::span)
                    .filter(|s| {
                        !cond.same_clause || clauses.of(s.start) == clauses.of(anchor.start)
                    })
                    .filter(|s| cond.within.is_none_or(|w| distance(*s, anchor) <= w))
                    .min_by_key(|s| (flags_at(*s).count(), distance(*s, anchor)));
                match near {
                    Some(s) => flags = flags.or(flags_at(s)),
                    None => {
                        ok = false;
                        break;
                    }
                }
            }
            if !ok {
                continue;
            }
            if best.is_none_or(|(_, bf)| flags.count() < bf.count()) {
                best = Some((anchor, flags));
            }
            if !flags.any() {
                break;
            }
        }
        // The spans of the chosen instance, found again: the nearest hit of
        // every other group to the anchor.
        let (anchor, _) = best?;
        spans.push(anchor);
        for g in rest {
            if let Some(s) = candidates(g)
                .map(Hit::span)
                .filter(|s| !cond.same_clause || clauses.of(s.start) == clauses.of(anchor.start))
                .filter(|s| cond.within.is_none_or(|w| distance(*s, anchor) <= w))
                .min_by_key(|s| (flags_at(*s).count(), distance(*s, anchor)))
            {
                spans.push(s);
            }
        }
    } else if cond.regex.is_empty() {
        return None;
    }
    let mut flags = best.map_or(Flags::default(), |(_, f)| f);
    if !cond.regex.is_empty() {
        let m = cond
            .regex
            .iter()
            .enumerate()
            .filter(|&(k, _)| ctx.may_match(rules, idx, k))
            .find_map(|(_, re)| re.find(&norm.text))?;
        let span = CharSpan {
            start: norm.char_at_byte(m.start()),
            end: norm.char_at_byte(m.end()),
        };
        flags = flags.or(flags_at(span));
        spans.push(span);
    }
    // An unless match touches the rule's evidence when a clause it runs
    // through holds one of the rule's spans: a pattern written across a
    // comma (把它引过去，一把抱上) ties the clauses it joins.
    let touched = |u: CharSpan| {
        let first = clauses.of(u.start);
        let last = clauses.of(u.end.saturating_sub(1).max(u.start));
        spans
            .iter()
            .any(|s| (first..=last).contains(&clauses.of(s.start)))
    };
    if rule.unless.clause_scope && unless.iter().any(|u| touched(u.span())) {
        return None;
    }
    if rule.unless.regex.iter().enumerate().any(|(j, re)| {
        ctx.may_match_unless(rules, idx, j)
            && re.find_iter(&norm.text).any(|m| {
                !rule.unless.clause_scope
                    || touched(CharSpan {
                        start: norm.char_at_byte(m.start()),
                        end: norm.char_at_byte(m.end()),
                    })
            })
    }) {
        return None;
    }
    spans.sort_by_key(|s| s.start);
    spans.dedup();
    Some(Fired {
        rule: idx,
        spans,
        flags,
        suppressed_by: None,
    })
}

fn distance(a: CharSpan, b: CharSpan) -> usize {
    // Apart, the gap between them; overlapping, none.
    b.start
        .saturating_sub(a.end)
        .max(a.start.saturating_sub(b.end))
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
