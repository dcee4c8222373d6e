//! Validation and compilation: raw YAML structs in, a [`RuleSet`] out, or
//! every problem found.
//!
//! All keywords of all rules, cues and policy lists go into one aho-corasick
//! automaton whose patterns map back to their uses; regexes are compiled
//! once here. Nothing later reads YAML or builds a regex.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use regex::{Regex, RegexSet};

use super::error::{did_you_mean, LoadError, Problem};
use super::keywords::Keywords;
use super::load::{Located, RawRuleSet};
use super::model::*;
use super::raw::{RawCondition, RawPolicy, RawRule, RawTypeRule, RawUnless};
use super::yaml::Locator;
use crate::text::Segmenter;

/// Largest compiled regex, so a pathological pattern is refused at load.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Collects problems, locating each in its file's text.
struct Problems {
    list: Vec<Problem>,
    sources: HashMap<PathBuf, String>,
}

impl Problems {
    /// The lines of `file`, read once however many problems it has.
    fn locator(&mut self, file: &Path) -> Locator<'_> {
        let text = self
            .sources
            .entry(file.to_path_buf())
            .or_insert_with(|| fs::read_to_string(file).unwrap_or_default());
        Locator::new(text)
    }

    fn push(
        &mut self,
        file: &Path,
        rule: Option<(&str, Option<usize>)>,
        field: Option<&str>,
        reason: String,
    ) {
        let pos = match (rule, field) {
            (Some((_, Some(l))), Some(f)) => self
                .locator(file)
                .field_pos(l, f.split('.').next().unwrap_or(f))
                .or(Some((l, 1))),
            (Some((_, Some(l))), None) => Some((l, 1)),
            // Outside any rule (the policy, the manifest): by key path.
            (None, Some(f)) => self.locator(file).key_pos(f, &reason),
            (Some((_, None)), _) | (None, None) => None,
        };
        let mut p = Problem::new(file, reason).at(pos.map(|x| x.0), pos.map(|x| x.1));
        if let Some((id, _)) = rule {
            p = p.rule(id);
        }
        if let Some(f) = field {
            p = p.field(f);
        }
        self.list.push(p);
    }
}

/// Keywords in, automaton patterns out.
#[derive(Default)]
struct Patterns {
    index: HashMap<String, usize>,
    patterns: Vec<String>,
    uses: Vec<Vec<Use>>,
    /// The pattern is a word a maintainer wrote (it goes into the
    /// segmentation dictionary), not only a literal taken from a regex.
    written: Vec<bool>,
}

impl Patterns {
    /// A keyword as written in a rule or the policy.
    fn add(&mut self, keyword: &str, what: Use) {
        if let Some(i) = self.add_literal(keyword, what) {
            self.written[i] = true;
        }
    }

    /// A literal taken out of a regex: searched, but no dictionary word.
    fn add_literal(&mut self, keyword: &str, what: Use) -> Option<usize> {
        let kw = crate::text::normalize(keyword).text;
        if kw.is_empty() {
            return None;
        }
        let i = *self.index.entry(kw.clone()).or_insert_with(|| {
            self.patterns.push(kw);
            self.uses.push(Vec::new());
            self.written.push(false);
            self.patterns.len() - 1
        });
        if !self.uses[i].contains(&what) {
            self.uses[i].push(what);
        }
        Some(i)
    }
}

/// Validates and compiles a raw rule set.
pub fn compile(raw: &RawRuleSet) -> Result<RuleSet, LoadError> {
    let mut problems = Problems {
        list: Vec::new(),
        sources: HashMap::new(),
    };
    let mut pats = Patterns::default();

    if raw.manifest.version.trim().is_empty() {
        problems.push(
            &raw.dir.join("fenliu.yaml"),
            None,
            Some("version"),
            "the version is empty".into(),
        );
    }
    for (file, id) in &raw.unknown_disables {
        problems.push(
            file,
            None,
            Some("disable"),
            format!("`disable` names rule `{id}`, which the base does not have"),
        );
    }
    let (policy, cues) = compile_policy(&raw.policy, &mut pats, &mut problems);
    if raw.route_model.is_some() && policy.model.is_none() {
        problems.push(
            &raw.policy.file,
            None,
            Some("fallback.model"),
            "the rule set has a route model (`route_model` in its or its base's fenliu.yaml), \
             but the policy's `fallback` has no `model:` settings (min_share, category, \
             handoff) saying when it decides; an overlay can switch the model off with \
             `route_model: none`"
                .to_string(),
        );
    }

    // Ids first, so `suppresses` can refer forward.
    let mut ids: HashMap<&str, usize> = HashMap::new();
    let all_ids: Vec<(&str, &Path, Option<usize>)> = raw
        .rules
        .iter()
        .map(|r| (r.value.id.as_str(), r.file.as_path(), r.line))
        .chain(
            raw.type_rules
                .iter()
                .map(|r| (r.value.id.as_str(), r.file.as_path(), r.line)),
        )
        .collect();
    for (i, (id, file, line)) in all_ids.iter().enumerate() {
        if id.trim().is_empty() {
            problems.push(
                file,
                Some((id, *line)),
                Some("id"),
                "the id is empty".into(),
            );
        } else if let Some(&first) = ids.get(id) {
            let (_, ffile, fline) = all_ids[first];
            problems.push(
                file,
                Some((id, *line)),
                Some("id"),
                format!(
                    "duplicate id `{id}`, first defined at {}:{}",
                    ffile.display(),
                    fline.unwrap_or(0)
                ),
            );
        } else {
            ids.insert(id, i);
        }
    }

    let reroutes: HashMap<&str, (&str, Option<&String>)> = raw
        .reroutes
        .iter()
        .map(|r| (r.category.as_str(), (r.route.as_str(), r.handoff.as_ref())))
        .collect();
    for r in &raw.reroutes {
        if Route::parse(&r.route).is_none() {
            problems.push(
                &raw.dir.join("fenliu.yaml"),
                None,
                Some("reroute.route"),
                format!(
                    "unknown route `{}`{}",
                    r.route,
                    did_you_mean(&r.route, Route::ALL.map(Route::as_str))
                ),
            );
        }
        if !raw.rules.iter().any(|x| x.value.category == r.category) {
            problems.push(
                &raw.dir.join("fenliu.yaml"),
                None,
                Some("reroute.category"),
                format!("no rule has category `{}`", r.category),
            );
        }
    }

    let mut rules = Vec::with_capacity(all_ids.len());
    for (i, located) in raw.rules.iter().enumerate() {
        rules.push(compile_route_rule(
            i,
            located,
            raw,
            &reroutes,
            &ids,
            &mut pats,
            &mut problems,
        ));
    }
    let offset = raw.rules.len();
    for (j, located) in raw.type_rules.iter().enumerate() {
        rules.push(compile_type_rule(
            offset + j,
            located,
            raw,
            &mut pats,
            &mut problems,
        ));
    }

    if !problems.list.is_empty() {
        return Err(LoadError::from(problems.list));
    }
    let mut rules: Vec<Rule> = rules.into_iter().flatten().collect();
    let needs_tokens = rules.iter().any(|r| r.cond.tokens);

    // A regex runs only when the automaton has found every part it must
    // contain (or, lacking such parts, a literal it must start or end
    // with). Regex-only rules with a regex that has neither go into one set
    // that runs on every appeal.
    let mut regex_only = Vec::new();
    let mut gated_regexes = Vec::new();
    for (i, r) in rules.iter_mut().enumerate() {
        let mut gate = |re: &Regex, k: u16| {
            let mut parts = super::literals::required_parts(re.as_str());
            if parts.is_empty() {
                parts.extend(regex_gates(std::slice::from_ref(re)));
            }
            if !parts.is_empty() {
                let slot = gated_regexes.len() as u32;
                for (f, part) in parts.iter().enumerate() {
                    for lit in part {
                        pats.add_literal(lit, Use::RegexPart(slot, f as u8));
                    }
                }
                gated_regexes.push((i as u32, k, ((1u16 << parts.len()) - 1) as u8));
            }
            parts.len() as u8
        };
        for (k, re) in r.cond.regex.iter().enumerate() {
            r.cond.regex_parts[k] = gate(re, k as u16);
        }
        for (j, re) in r.unless.regex.iter().enumerate() {
            r.unless.regex_parts[j] = gate(re, UNLESS_REGEX + j as u16);
        }
        if r.cond.is_regex_only() && r.cond.regex_parts.contains(&0) {
            regex_only.push(i);
        }
    }
    let keywords = match Keywords::new(&pats.patterns) {
        Ok(k) => k,
        Err(e) => {
            return Err(LoadError::from(vec![Problem::new(
                &raw.dir,
                format!("the keyword automaton could not be built: {e}"),
            )]))
        }
    };
    let alternatives: Vec<String> = regex_only
        .iter()
        .map(|&i| {
            let parts: Vec<&str> = rules[i].cond.regex.iter().map(Regex::as_str).collect();
            format!("(?:{})", parts.join(")|(?:"))
        })
        .collect();
    let regex_only_set = RegexSet::new(&alternatives).map_err(|e| {
        LoadError::from(vec![Problem::new(
            &raw.dir,
            format!("the regex set could not be built: {e}"),
        )])
    })?;

    // Rule keywords become dictionary words, so token-mode matching and the
    // similarity see domain words whole.
    let mut words: Vec<(&str, Option<usize>)> = raw
        .user_words
        .iter()
        .map(|(w, f)| (w.as_str(), *f))
        .collect();
    for (p, _) in pats.patterns.iter().zip(&pats.written).filter(|(_, w)| **w) {
        if p.chars().count() >= 2 && p.chars().all(crate::text::is_cjk) {
            words.push((p.as_str(), None));
        }
    }
    let segmenter = Segmenter::with_words(words);

    Ok(RuleSet {
        version: raw.manifest.version.clone(),
        digest: raw.digest.clone(),
        dir: raw.dir.clone(),
        files: raw.files.clone(),
        knowledge_dirs: raw.knowledge_dirs.clone(),
        rules,
        policy,
        segmenter,
        keywords,
        uses: super::model::PatternUses::new(pats.uses),
        patterns: pats.patterns,
        cues,
        needs_tokens,
        regex_only,
        regex_only_set,
        gated_regexes,
        lints: raw.manifest.lints.clone().unwrap_or_default(),
        unused_lists: raw.unused_lists.clone(),
        repeated: raw.repeated.clone(),
        route_model: raw.route_model.clone(),
    })
}

fn route_or_problem(
    s: &str,
    file: &Path,
    rule: Option<(&str, Option<usize>)>,
    field: &str,
    problems: &mut Problems,
) -> Option<Route> {
    let r = Route::parse(s);
    if r.is_none() {
        problems.push(
            file,
            rule,
            Some(field),
            format!(
                "unknown route `{s}`{}; routes are {}",
                did_you_mean(s, Route::ALL.map(Route::as_str)),
                Route::ALL.map(Route::as_str).join(", ")
            ),
        );
    }
    r
}

fn appeal_type_ok(
    t: &str,
    file: &Path,
    rule: Option<(&str, Option<usize>)>,
    field: &str,
    problems: &mut Problems,
) -> bool {
    if APPEAL_TYPES.contains(&t) {
        return true;
    }
    problems.push(
        file,
        rule,
        Some(field),
        format!(
            "unknown appeal type `{t}`; appeal types are {}",
            APPEAL_TYPES.join(", ")
        ),
    );
    false
}

fn compile_policy(
    policy: &Located<RawPolicy>,
    pats: &mut Patterns,
    problems: &mut Problems,
) -> (Policy, Vec<Cue>) {
    let p = &policy.value;
    let file = policy.file.as_path();
    let mut rank = [u8::MAX; 5];
    let mut precedence = Vec::new();
    for (i, s) in p.precedence.iter().enumerate() {
        if let Some(r) = route_or_problem(s, file, None, "precedence", problems) {
            if rank[r.index()] != u8::MAX {
                problems.push(
                    file,
                    None,
                    Some("precedence"),
                    format!("route `{s}` is listed twice"),
                );
            }
            rank[r.index()] = i as u8;
            precedence.push(r);
        }
    }
    for r in Route::ALL {
        if rank[r.index()] == u8::MAX && precedence.len() == p.precedence.len() {
            problems.push(
                file,
                None,
                Some("precedence"),
                format!("route `{r}` is missing"),
            );
        }
    }
    if !(0.0..=1.0).contains(&p.review_below) {
        problems.push(
            file,
            None,
            Some("review_below"),
            format!("`{}` is not in [0, 1]", p.review_below),
        );
    }
    let rp = &p.repeat;
    if !(rp.similarity > 0.0 && rp.similarity <= 1.0) {
        problems.push(
            file,
            None,
            Some("repeat.similarity"),
            format!("`{}` is not in (0, 1]", rp.similarity),
        );
    }
    if let Some(n) = rp.shared_words_enough {
        if n < rp.min_shared_words.max(1) {
            problems.push(
                file,
                None,
                Some("repeat.shared_words_enough"),
                format!(
                    "`{n}` is below `min_shared_words` ({}): it would make appeals the same matter on fewer words than the minimum",
                    rp.min_shared_words
                ),
            );
        }
    }
    if rp.burst_count == 0
        || rp.window_days == 0
        || rp.burst_window_hours == 0
        || rp.max_compared == 0
    {
        problems.push(
            file,
            None,
            Some("repeat"),
            "`burst_count`, `window_days`, `burst_window_hours` and `max_compared` must be at least 1".into(),
        );
    }
    let repeat_appeal_type = rp
        .appeal_type
        .clone()
        .filter(|t| appeal_type_ok(t, file, None, "repeat.appeal_type", problems));
    for w in &rp.new_fact_cues {
        pats.add(w, Use::NewFact);
    }
    // Searched but kept out of the dictionary: as tokens, phrases such as
    // 还是那个 would become content words of every signature that has them.
    for w in &rp.same_matter_cues {
        pats.add_literal(w, Use::SameMatter);
    }
    for w in &p.fallback.danger_cues {
        pats.add(w, Use::Danger);
    }
    for w in &p.fallback.danger_pseudo {
        pats.add_literal(w, Use::DangerPseudo);
    }
    let fallback_route =
        route_or_problem(&p.fallback.route, file, None, "fallback.route", problems);
    let danger_route = route_or_problem(
        &p.fallback.danger_route,
        file,
        None,
        "fallback.danger_route",
        problems,
    );
    let model_fallback = p.fallback.model.as_ref().map(|m| {
        for (field, share) in [
            ("fallback.model.min_share", Some(m.min_share)),
            ("fallback.model.weak_rule_share", m.weak_rule_share),
            ("fallback.model.danger_share", m.danger_share),
        ] {
            if let Some(share) = share.filter(|s| !(0.0..=1.0).contains(s)) {
                problems.push(
                    file,
                    None,
                    Some(field),
                    format!("must be between 0 and 1, not {share}"),
                );
            }
        }
        let mut handoff: [Option<String>; 5] = Default::default();
        for (route, h) in &m.handoff {
            if let Some(r) = route_or_problem(route, file, None, "fallback.model.handoff", problems)
            {
                handoff[r.index()] = Some(h.clone());
            }
        }
        let mut routes = [m.routes.is_none(); 5];
        if m.routes.as_ref().is_some_and(Vec::is_empty) {
            problems.push(
                file,
                None,
                Some("fallback.model.routes"),
                "names no route: the model would never decide; to switch it off, remove `fallback.model`".to_string(),
            );
        }
        for route in m.routes.iter().flatten() {
            if let Some(r) = route_or_problem(route, file, None, "fallback.model.routes", problems) {
                routes[r.index()] = true;
            }
        }
        ModelFallback {
            routes,
            weak_rule_share: m.weak_rule_share,
            danger_share: m.danger_share,
            min_share: m.min_share,
            category: m.category.clone(),
            handoff,
        }
    });

    let mut default_appeal_type: [Option<String>; 5] = Default::default();
    for (route, t) in &p.default_appeal_type {
        if let Some(r) = route_or_problem(route, file, None, "default_appeal_type", problems) {
            if appeal_type_ok(t, file, None, "default_appeal_type", problems) {
                default_appeal_type[r.index()] = Some(t.clone());
            }
        }
    }
    let mut fixed_appeal_type: [Option<String>; 5] = Default::default();
    for (route, t) in &p.fixed_appeal_type {
        if let Some(r) = route_or_problem(route, file, None, "fixed_appeal_type", problems) {
            if appeal_type_ok(t, file, None, "fixed_appeal_type", problems) {
                fixed_appeal_type[r.index()] = Some(t.clone());
            }
        }
    }

    let mut cues = Vec::new();
    for (ci, cue) in p.cues.iter().enumerate() {
        let Some(kind) = CueKind::parse(&cue.kind) else {
            problems.push(
                file,
                None,
                Some("cues.kind"),
                format!(
                    "unknown cue kind `{}`{}; kinds are negated, hypothetical, past",
                    cue.kind,
                    did_you_mean(&cue.kind, ["negated", "hypothetical", "past"])
                ),
            );
            continue;
        };
        let mut routes = 0u8;
        for r in &cue.routes {
            if let Some(r) = route_or_problem(r, file, None, "cues.routes", problems) {
                routes |= r.bit();
            }
        }
        if routes == 0 {
            routes = u8::MAX;
        }
        if cue.preceding.is_empty() && cue.following.is_empty() {
            problems.push(
                file,
                None,
                Some("cues"),
                format!(
                    "cue #{} ({}) has no preceding or following cue words",
                    ci + 1,
                    cue.kind
                ),
            );
        }
        if cue.across_sentences && cue.window.is_none() {
            problems.push(
                file,
                None,
                Some("cues"),
                format!(
                    "cue #{} ({}) sets `across_sentences` without a `window`: its scope would reach the whole text",
                    ci + 1,
                    cue.kind
                ),
            );
        }
        let idx = cues.len() as u16;
        for w in &cue.preceding {
            pats.add(w, Use::Cue(idx, CueRole::Preceding));
        }
        for w in &cue.following {
            pats.add(w, Use::Cue(idx, CueRole::Following));
        }
        for w in &cue.pseudo {
            pats.add(w, Use::Cue(idx, CueRole::Pseudo));
        }
        for w in &cue.terminators {
            pats.add(w, Use::Cue(idx, CueRole::Terminator));
        }
        cues.push(Cue {
            kind,
            window: cue.window,
            across_sentences: cue.across_sentences,
            routes,
        });
    }

    let policy = Policy {
        rank,
        precedence,
        decisive_priority: p.decisive_priority,
        review_below: p.review_below,
        close_margin: p.close_margin,
        repeat: RepeatPolicy {
            earlier_duplicates: rp.earlier_duplicates,
            window_secs: i64::from(rp.window_days) * 86_400,
            burst_count: rp.burst_count,
            burst_window_secs: i64::from(rp.burst_window_hours) * 3_600,
            similarity: rp.similarity,
            min_shared_words: rp.min_shared_words.max(1),
            shared_words_enough: rp.shared_words_enough.unwrap_or(usize::MAX),
            max_compared: rp.max_compared,
            priority: rp.priority,
            handoff: rp.handoff.clone(),
            appeal_type: repeat_appeal_type,
            ignore_words: rp
                .ignore_words
                .iter()
                .map(|w| crate::text::normalize(w).text)
                .collect::<HashSet<_>>(),
        },
        fallback_route: fallback_route.unwrap_or(Route::NonPolice),
        fallback_category: p.fallback.category.clone(),
        fallback_handoff: p.fallback.handoff.clone(),
        danger_route: danger_route.unwrap_or(Route::Police),
        danger_category: p.fallback.danger_category.clone(),
        danger_handoff: p.fallback.danger_handoff.clone(),
        model: model_fallback,
        default_appeal_type,
        fixed_appeal_type,
        rule_appeal_type_priority: p.rule_appeal_type_priority,
        scare_quotes: p
            .scare_quotes
            .as_ref()
            .and_then(|q| compile_scare_quotes(q, file, problems)),
    };
    (policy, cues)
}

/// Checks `scare_quotes` and normalizes its words.
fn compile_scare_quotes(
    q: &crate::rules::raw::RawScareQuotes,
    file: &Path,
    problems: &mut Problems,
) -> Option<ScareQuotes> {
    let before = problems.list.len();
    if q.max_chars == 0 {
        problems.push(
            file,
            None,
            Some("scare_quotes.max_chars"),
            format!(
                "is {}: it must be at least 1 (0 would make no quotation a scare quote)",
                q.max_chars
            ),
        );
    }
    let norm = |w: &String| crate::text::normalize(w).text;
    let words: Vec<String> = q.words.iter().map(norm).filter(|w| !w.is_empty()).collect();
    if words.is_empty() {
        let reason = if q.words.is_empty() {
            "is empty: name the words a scare quote holds (骗, 偷 …)".to_string()
        } else {
            format!(
                "every word is empty once normalized ({:?}): name the words a scare quote holds (骗, 偷 …)",
                q.words
            )
        };
        problems.push(file, None, Some("scare_quotes.words"), reason);
    }
    let mut routes = 0u8;
    for r in &q.routes {
        if let Some(r) = route_or_problem(r, file, None, "scare_quotes.routes", problems) {
            routes |= r.bit();
        }
    }
    if q.routes.is_empty() {
        problems.push(
            file,
            None,
            Some("scare_quotes.routes"),
            "is empty: name the routes whose evidence a scare quote discounts".to_string(),
        );
    }
    (problems.list.len() == before).then(|| ScareQuotes {
        max_chars: q.max_chars,
        words,
        not_after: q
            .not_after
            .iter()
            .map(norm)
            .filter(|w| !w.is_empty())
            .collect(),
        routes,
    })
}

/// Literals that every match of one of `regexes` starts with (or ends
/// with), if there is a finite set of them that survives normalization
/// unchanged; `None` means the regexes must run on every appeal.
fn regex_gates(regexes: &[Regex]) -> Option<Vec<String>> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    let mut all = Vec::new();
    for re in regexes {
        let hir = regex_syntax::parse(re.as_str()).ok()?;
        let usable = |kind| {
            let seq = Extractor::new().kind(kind).extract(&hir);
            let lits: Vec<String> = seq
                .literals()?
                .iter()
                .map(|l| String::from_utf8(l.as_bytes().to_vec()).ok())
                .collect::<Option<Vec<_>>>()?;
            let ok = !lits.is_empty()
                && lits
                    .iter()
                    .all(|l| !l.is_empty() && crate::text::normalize(l).text == *l);
            ok.then_some(lits)
        };
        let pre = usable(ExtractKind::Prefix);
        let suf = usable(ExtractKind::Suffix);
        // The longer shortest literal gates best.
        let shortest = |v: &Option<Vec<String>>| {
            v.as_ref().map_or(0, |v| {
                v.iter().map(|l| l.chars().count()).min().unwrap_or(0)
            })
        };
        let best = if shortest(&suf) > shortest(&pre) {
            suf
        } else {
            pre
        };
        all.extend(best?);
    }
    Some(all)
}

/// Checks and registers a condition's keywords; returns the compiled form.
#[allow(clippy::too_many_arguments)]
fn compile_condition(
    idx: usize,
    when: &RawCondition,
    loc: (&str, &Path, Option<usize>),
    keyword_files: &BTreeMap<String, Located<Vec<String>>>,
    pats: &mut Patterns,
    problems: &mut Problems,
) -> Condition {
    let (id, file, line) = loc;
    let r = Some((id, line));
    if when.any.as_ref().is_some_and(Vec::is_empty) {
        problems.push(
            file,
            r,
            Some("any"),
            "`any` is an empty keyword list".into(),
        );
    }
    let inline_any = when.any.as_deref().unwrap_or_default();
    let mut any: Vec<&str> = inline_any.iter().map(String::as_str).collect();
    for name in &when.any_from {
        if let Some(words) = keyword_files.get(name) {
            if words.value.is_empty() {
                problems.push(
                    file,
                    r,
                    Some("any_from"),
                    format!("keyword file `{name}` is empty"),
                );
            }
            any.extend(words.value.iter().map(String::as_str));
        }
    }
    let has_any = !inline_any.is_empty() || !when.any_from.is_empty();
    if when.any.is_none()
        && when.any_from.is_empty()
        && when.all.is_empty()
        && when.regex.is_empty()
    {
        problems.push(
            file,
            r,
            Some("when"),
            "no condition: give `any`, `any_from`, `all` or `regex`".into(),
        );
    }
    for (what, list) in std::iter::once(("any", &any)).filter(|_| has_any) {
        for k in list.iter() {
            if crate::text::normalize(k).text.is_empty() {
                problems.push(
                    file,
                    r,
                    Some(what),
                    format!("keyword `{k}` is empty after normalization"),
                );
            }
        }
    }
    for (g, group) in when.all.iter().enumerate() {
        if group.is_empty() {
            problems.push(
                file,
                r,
                Some("all"),
                format!("group {} of `all` is an empty keyword list", g + 1),
            );
        }
        for k in group {
            if crate::text::normalize(k).text.is_empty() {
                problems.push(
                    file,
                    r,
                    Some("all"),
                    format!("keyword `{k}` is empty after normalization"),
                );
            }
            pats.add(k, Use::Group(idx as u32, g as u16));
        }
    }
    if (when.within.is_some() || when.same_clause) && when.all.is_empty() {
        problems.push(
            file,
            r,
            Some(if when.within.is_some() {
                "within"
            } else {
                "same_clause"
            }),
            "proximity needs `all` groups to relate".into(),
        );
    }
    for k in &any {
        pats.add(k, Use::Any(idx as u32));
    }
    let regex = compile_regexes(&when.regex, loc, "regex", problems);
    Condition {
        has_any,
        groups: when.all.len(),
        within: when.within,
        same_clause: when.same_clause,
        regex_parts: vec![0; regex.len()],
        regex,
        tokens: when.tokens,
    }
}

fn compile_regexes(
    list: &[String],
    loc: (&str, &Path, Option<usize>),
    field: &str,
    problems: &mut Problems,
) -> Vec<Regex> {
    let (id, file, line) = loc;
    let mut out = Vec::new();
    for pattern in list {
        match regex::RegexBuilder::new(pattern)
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
        {
            Ok(re) => out.push(re),
            Err(e) => {
                let reason = e
                    .to_string()
                    .lines()
                    .last()
                    .unwrap_or("invalid")
                    .trim()
                    .to_string();
                let reason = reason.trim_start_matches("error: ").to_string();
                problems.push(
                    file,
                    Some((id, line)),
                    Some(field),
                    format!("regex `{pattern}` does not compile: {reason}"),
                );
            }
        }
    }
    out
}

fn compile_unless(
    idx: usize,
    unless: Option<&RawUnless>,
    loc: (&str, &Path, Option<usize>),
    pats: &mut Patterns,
    problems: &mut Problems,
) -> Unless {
    let Some(u) = unless else {
        return Unless::default();
    };
    let (id, file, line) = loc;
    for k in &u.any {
        pats.add(k, Use::Unless(idx as u32));
    }
    let clause_scope = match u.scope.as_deref() {
        None | Some("text") => false,
        Some("clause") => true,
        Some(other) => {
            problems.push(
                file,
                Some((id, line)),
                Some("unless.scope"),
                format!("unknown scope `{other}`; scopes are text, clause"),
            );
            false
        }
    };
    if u.any.is_empty() && u.regex.is_empty() {
        problems.push(
            file,
            Some((id, line)),
            Some("unless"),
            "`unless` is an empty keyword list".into(),
        );
    }
    // An `unless` regex that is only a word list is searched as keywords.
    let mut regexes = Vec::new();
    for pattern in &u.regex {
        match super::literals::word_list(pattern) {
            Some(words) => words.iter().for_each(|w| {
                pats.add_literal(w, Use::Unless(idx as u32));
            }),
            None => regexes.push(pattern.clone()),
        }
    }
    let regex = compile_regexes(&regexes, loc, "unless", problems);
    Unless {
        regex_parts: vec![0; regex.len()],
        regex,
        clause_scope,
    }
}

fn compile_route_rule(
    idx: usize,
    located: &Located<RawRule>,
    raw: &RawRuleSet,
    reroutes: &HashMap<&str, (&str, Option<&String>)>,
    ids: &HashMap<&str, usize>,
    pats: &mut Patterns,
    problems: &mut Problems,
) -> Option<Rule> {
    let r: &RawRule = &located.value;
    let file = located.file.as_path();
    let loc = (r.id.as_str(), file, located.line);
    let at = Some((r.id.as_str(), located.line));
    let before = problems.list.len();

    let route = route_or_problem(&r.route, file, at, "route", problems);
    if r.priority == 0 || r.priority > 100 {
        problems.push(
            file,
            at,
            Some("priority"),
            format!("priority `{}` is not in 1..=100", r.priority),
        );
    }
    if r.category.trim().is_empty() {
        problems.push(file, at, Some("category"), "the category is empty".into());
    }
    if let Some(t) = &r.appeal_type {
        appeal_type_ok(t, file, at, "appeal_type", problems);
    }
    if route == Some(Route::Emergency) {
        match r.handoff.as_deref() {
            Some(h) if EMERGENCY_LINES.contains(&h) => {}
            Some(h) => problems.push(
                file,
                at,
                Some("handoff"),
                format!(
                    "an emergency hands off to {}, not `{h}`",
                    EMERGENCY_LINES.join(", ")
                ),
            ),
            None => problems.push(
                file,
                at,
                Some("handoff"),
                format!(
                    "an emergency rule needs a `handoff`: {}",
                    EMERGENCY_LINES.join(", ")
                ),
            ),
        }
    }
    let cond = compile_condition(idx, &r.when, loc, &raw.keyword_files, pats, problems);
    let unless = compile_unless(idx, r.unless.as_ref(), loc, pats, problems);
    let mut suppresses = Vec::new();
    for target in &r.suppresses {
        let found: Vec<usize> = ids
            .iter()
            .filter(|(id, _)| super::model::id_matches(target, id))
            .map(|(_, &i)| i)
            .collect();
        if found.is_empty() {
            problems.push(
                file,
                at,
                Some("suppresses"),
                format!(
                    "`{target}` names no rule{}",
                    did_you_mean(target, ids.keys().copied())
                ),
            );
        }
        suppresses.extend(found.into_iter().filter(|&i| i != idx));
    }
    let mut ignore = crate::engine::Flags::default();
    for kind in &r.ignore_cues {
        match CueKind::parse_ignored(kind) {
            Some(CueKind::Negated) => ignore.negated = true,
            Some(CueKind::Hypothetical) => ignore.hypothetical = true,
            Some(CueKind::Past) => ignore.past = true,
            Some(CueKind::Quoted) => ignore.quoted = true,
            None => problems.push(
                file,
                at,
                Some("ignore_cues"),
                format!(
                    "unknown cue kind `{kind}`{}; kinds are {}",
                    did_you_mean(kind, CueKind::IGNORABLE),
                    CueKind::IGNORABLE.join(", ")
                ),
            ),
        }
    }
    if problems.list.len() > before {
        return None;
    }
    let mut route = route?;
    let mut handoff = r.handoff.clone();
    if let Some((to, h)) = reroutes.get(r.category.as_str()) {
        if let Some(to) = Route::parse(to) {
            route = to;
            if let Some(h) = h {
                handoff = Some((*h).clone());
            }
        }
    }
    Some(Rule {
        id: r.id.clone(),
        target: Target::Route {
            route,
            category: r.category.clone(),
            handoff,
            appeal_type: r.appeal_type.clone(),
        },
        priority: r.priority,
        description: r.description.clone(),
        file: located.file.clone(),
        line: located.line,
        examples: r.examples.clone(),
        cond,
        unless,
        suppresses,
        ignore,
    })
}

fn compile_type_rule(
    idx: usize,
    located: &Located<RawTypeRule>,
    raw: &RawRuleSet,
    pats: &mut Patterns,
    problems: &mut Problems,
) -> Option<Rule> {
    let r = &located.value;
    let file = located.file.as_path();
    let loc = (r.id.as_str(), file, located.line);
    let at = Some((r.id.as_str(), located.line));
    let before = problems.list.len();
    appeal_type_ok(&r.appeal_type, file, at, "appeal_type", problems);
    if r.priority == 0 || r.priority > 100 {
        problems.push(
            file,
            at,
            Some("priority"),
            format!("priority `{}` is not in 1..=100", r.priority),
        );
    }
    let cond = compile_condition(idx, &r.when, loc, &raw.keyword_files, pats, problems);
    let unless = compile_unless(idx, r.unless.as_ref(), loc, pats, problems);
    if problems.list.len() > before {
        return None;
    }
    Some(Rule {
        id: r.id.clone(),
        target: Target::AppealType(r.appeal_type.clone()),
        priority: r.priority,
        description: r.description.clone().unwrap_or_default(),
        file: located.file.clone(),
        line: located.line,
        examples: r.examples.clone().unwrap_or_default(),
        cond,
        unless,
        suppresses: Vec::new(),
        ignore: crate::engine::Flags::default(),
    })
}
