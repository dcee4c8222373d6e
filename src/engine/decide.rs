//! The decision: evidence per route, precedence, priority, confidence,
//! appeal type and the sentence that explains it.

use super::decision::{
    Decision, Explanation, Hit, ModelEvidence, RepeatEvidence, RulesetRef, Span,
};
use super::matcher::{Analysis, CharSpan, Fired};
use crate::rules::{ModelFallback, Route, RuleSet, Target};

/// The best evidence for one route.
#[derive(Debug, Clone, Copy)]
struct Best {
    priority: u8,
    /// The fired rule (index into `analysis.fired`), or `None` for history.
    fired: Option<usize>,
}

/// The categories the repeat policy gives from the caller's history.
pub(crate) const REPEAT_CATEGORY: &str = "repeat";
pub(crate) const BURST_CATEGORY: &str = "burst";

/// Chooses the route and builds the decision.
pub(crate) fn decide(
    rules: &RuleSet,
    analysis: &Analysis,
    original: &str,
    repeat: RepeatEvidence,
    id: Option<String>,
) -> Decision {
    let policy = &rules.policy;
    let original = &Original::new(original);
    let mut best: [Option<Best>; 5] = [None; 5];
    for (fi, f) in analysis.fired.iter().enumerate() {
        let rule = &rules.rules[f.rule];
        let Some(route) = rule.route() else { continue };
        if !f.counts() {
            continue;
        }
        let b = &mut best[route.index()];
        if b.is_none_or(|b| rule.priority > b.priority) {
            *b = Some(Best {
                priority: rule.priority,
                fired: Some(fi),
            });
        }
    }
    if repeat.repeat || repeat.burst {
        let b = &mut best[Route::IrrationalRepeat.index()];
        if b.is_none_or(|b| policy.repeat.priority > b.priority) {
            *b = Some(Best {
                priority: policy.repeat.priority,
                fired: None,
            });
        }
    }

    let by_precedence = |r: &Route| policy.rank[r.index()];
    let decisive = Route::ALL
        .into_iter()
        .filter(|r| best[r.index()].is_some_and(|b| b.priority >= policy.decisive_priority))
        .min_by_key(by_precedence);

    let chosen: Option<Route> = if let Some(r) = decisive {
        Some(r)
    } else {
        Route::ALL
            .into_iter()
            .filter(|r| best[r.index()].is_some())
            .max_by_key(|r| {
                (
                    best[r.index()].map_or(0, |b| b.priority),
                    std::cmp::Reverse(by_precedence(r)),
                )
            })
            // 疑警从有: weak evidence for a route below the danger route does
            // not outweigh danger cues.
            .filter(|r| {
                analysis.danger.is_empty()
                    || by_precedence(r) <= by_precedence(&policy.danger_route)
            })
    };

    let hits = explain_hits(rules, analysis, original);
    let ruleset = RulesetRef {
        version: rules.version.clone(),
        digest: rules.digest.clone(),
    };

    let Some(route) = chosen else {
        return fallback(rules, analysis, original, hits, repeat, ruleset, id);
    };
    let b = best[route.index()].unwrap_or(Best {
        priority: 0,
        fired: None,
    });
    // Only a weak rule (a generic word) fired, and the route model is all but
    // sure of another route: the model's (fallback.model.weak_rule_share).
    // Otherwise the rule decides and the model's view is kept for the reader.
    let mut weak_opinion = None;
    if let Some(fi) = b.fired.filter(|_| b.priority < policy.decisive_priority) {
        if let Some(mut o) = model_opinion(rules, analysis, &hits, &repeat) {
            let sure = o.settings.weak_rule_share.is_some_and(|t| o.share >= t);
            if o.held_back.is_none() && sure && o.evidence.route != route {
                let rule = &rules.rules[analysis.fired[fi].rule];
                let lead = format!(
                    "只有弱规则 {} 命中（优先级 {}，低于决定门槛 {}）",
                    rule.id, rule.priority, policy.decisive_priority
                );
                return model_decision(
                    rules, analysis, o.evidence, o.settings, &lead, hits, repeat, ruleset, id,
                );
            }
            o.evidence.decided = false;
            weak_opinion = Some(o.evidence);
        }
    }
    // The strongest rival: another route's best evidence.
    let rival = Route::ALL
        .into_iter()
        .filter(|r| *r != route)
        .filter_map(|r| best[r.index()].map(|x| (r, x)))
        .max_by_key(|(r, x)| (x.priority, std::cmp::Reverse(by_precedence(r))));
    let p = f64::from(b.priority) / 100.0;
    let q = rival.map_or(0.0, |(_, x)| f64::from(x.priority) / 100.0);
    let confidence = (p * (1.0 - 0.5 * q)).clamp(0.05, 0.99);
    let weak = b.priority < policy.decisive_priority;
    let close = rival.is_some_and(|(_, x)| x.priority + policy.close_margin >= b.priority);
    let review = weak || close || confidence < policy.review_below;

    let (category, handoff, rule_type, sentence) = match b.fired.map(|fi| &analysis.fired[fi]) {
        Some(f) => {
            let rule = &rules.rules[f.rule];
            let (category, handoff, appeal_type) = match &rule.target {
                Target::Route {
                    category,
                    handoff,
                    appeal_type,
                    ..
                } => (category.clone(), handoff.clone(), appeal_type.clone()),
                Target::AppealType(_) => (String::new(), None, None),
            };
            let mut s = format!(
                "规则 {} 命中“{}”（优先级 {}）",
                rule.id,
                original.quoted(analysis, &f.spans),
                rule.priority
            );
            if let Some((r, x)) = rival {
                let name = x.fired.map_or("重复来电记录".to_string(), |fi| {
                    rules.rules[analysis.fired[fi].rule].id.clone()
                });
                if by_precedence(&route) < by_precedence(&r) && x.priority >= b.priority {
                    s.push_str(&format!("，{} 优先于 {}（{}）", route, r, name));
                } else {
                    s.push_str(&format!("，高于 {}", name));
                }
            }
            if repeat.repeat || repeat.burst {
                s.push_str(&format!(
                    "；来电人有重复或频繁来电记录，但 {} 按优先顺序保留",
                    route
                ));
            }
            (category, handoff, appeal_type, s)
        }
        None => {
            let (category, s) = if repeat.repeat {
                let referred = if repeat.earlier.iter().any(|e| e.referred) {
                    "（来电人自称仍是此前所诉之事）"
                } else {
                    ""
                };
                (
                    REPEAT_CATEGORY.to_string(),
                    format!(
                        "来电人 {} 天内已有 {} 次相同诉求{referred}且无新情况，按重复诉求处理",
                        policy.repeat.window_secs / 86_400,
                        repeat.earlier.len()
                    ),
                )
            } else {
                (
                    BURST_CATEGORY.to_string(),
                    format!(
                        "来电人 {} 小时内第 {} 次来电，按频繁来电处理",
                        policy.repeat.burst_window_secs / 3_600,
                        repeat.burst_count
                    ),
                )
            };
            let mut s = s;
            if let Some((_, x)) = rival {
                if let Some(fi) = x.fired {
                    s.push_str(&format!(
                        "，高于 {}",
                        rules.rules[analysis.fired[fi].rule].id
                    ));
                }
            }
            (
                category,
                policy.repeat.handoff.clone(),
                policy.repeat.appeal_type.clone(),
                s,
            )
        }
    };
    let deciding_rule = b
        .fired
        .map(|fi| rules.rules[analysis.fired[fi].rule].id.clone());
    let (appeal_type, appeal_type_rule) = appeal_type(rules, analysis, route, rule_type);
    Decision {
        id,
        route,
        category,
        appeal_type,
        handoff,
        confidence: round3(confidence),
        review,
        ruleset,
        explanation: Explanation {
            hits,
            appeal_type_rule,
            repeat,
            knowledge: Vec::new(),
            vote: None,
            model: weak_opinion,
            deciding_rule,
            decided_by: sentence,
        },
    }
}

fn fallback(
    rules: &RuleSet,
    analysis: &Analysis,
    original: &Original,
    hits: Vec<Hit>,
    repeat: RepeatEvidence,
    ruleset: RulesetRef,
    id: Option<String>,
) -> Decision {
    let policy = &rules.policy;
    let (opinion, held_back) = match model_opinion(rules, analysis, &hits, &repeat) {
        Some(Opinion {
            evidence,
            settings,
            held_back: None,
            below_danger,
            ..
        }) => {
            // The model stood against danger cues (fallback.model.danger_share):
            // say which words it read as a figure of speech.
            let lead = if below_danger {
                format!(
                    "没有规则命中，危险信号“{}”按说法看待（路由模型把握不低于 {:.1}%）",
                    original.quoted(analysis, &analysis.danger),
                    settings.danger_share.unwrap_or(1.0) * 100.0
                )
            } else {
                "没有规则命中".to_string()
            };
            return model_decision(
                rules, analysis, evidence, settings, &lead, hits, repeat, ruleset, id,
            );
        }
        Some(o) => (Some(o.evidence), o.held_back),
        None => (None, None),
    };
    let (route, category, handoff, mut sentence) = if analysis.danger.is_empty() {
        (
            policy.fallback_route,
            policy.fallback_category.clone(),
            policy.fallback_handoff.clone(),
            format!(
                "没有规则命中，按兜底策略转 {}，需人工复核",
                policy.fallback_route
            ),
        )
    } else {
        (
            policy.danger_route,
            policy.danger_category.clone(),
            policy.danger_handoff.clone(),
            format!(
                "没有规则命中，但有危险信号“{}”，疑警从有，转 {}，需人工复核",
                original.quoted(analysis, &analysis.danger),
                policy.danger_route
            ),
        )
    };
    if let (Some(m), Some(why)) = (&opinion, held_back) {
        sentence.push_str(&format!(
            "；路由模型倾向 {}（概率 {}），{why}，未采用",
            m.route,
            percent(m.share)
        ));
    }
    let outcome = Ruleless {
        route,
        category,
        handoff,
        confidence: 0.3,
        sentence,
        model: opinion,
    };
    ruleless(rules, analysis, outcome, hits, repeat, ruleset, id)
}

/// A decision whose route the route model gave; `lead` says why no rule
/// decided.
#[allow(clippy::too_many_arguments)]
fn model_decision(
    rules: &RuleSet,
    analysis: &Analysis,
    m: ModelEvidence,
    settings: &ModelFallback,
    lead: &str,
    hits: Vec<Hit>,
    repeat: RepeatEvidence,
    ruleset: RulesetRef,
    id: Option<String>,
) -> Decision {
    let outcome = Ruleless {
        route: m.route,
        category: settings.category.clone(),
        handoff: settings.handoff[m.route.index()].clone(),
        confidence: round3(0.2 + 0.3 * m.share),
        sentence: format!(
            "{lead}，路由模型判为 {}（概率 {}，依据{}），需人工复核",
            m.route,
            percent(m.share),
            quote_all(&m.ngrams)
        ),
        model: Some(m),
    };
    ruleless(rules, analysis, outcome, hits, repeat, ruleset, id)
}

/// What a decision no rule gave says: the fallback's or the route model's.
struct Ruleless {
    route: Route,
    category: String,
    handoff: Option<String>,
    confidence: f64,
    sentence: String,
    model: Option<ModelEvidence>,
}

/// The decision of a [`Ruleless`] outcome, always for review.
fn ruleless(
    rules: &RuleSet,
    analysis: &Analysis,
    outcome: Ruleless,
    hits: Vec<Hit>,
    repeat: RepeatEvidence,
    ruleset: RulesetRef,
    id: Option<String>,
) -> Decision {
    let (appeal_type, appeal_type_rule) = appeal_type(rules, analysis, outcome.route, None);
    Decision {
        id,
        route: outcome.route,
        category: outcome.category,
        appeal_type,
        handoff: outcome.handoff,
        confidence: outcome.confidence,
        review: true,
        ruleset,
        explanation: Explanation {
            hits,
            appeal_type_rule,
            repeat,
            knowledge: Vec::new(),
            vote: None,
            model: outcome.model,
            deciding_rule: None,
            decided_by: outcome.sentence,
        },
    }
}

/// What the route model says about an appeal no rule decides (or only a
/// weak rule does), with the policy's settings for it.
struct Opinion<'r> {
    evidence: ModelEvidence,
    settings: &'r ModelFallback,
    /// The posterior, unrounded (`evidence.share` is rounded for reading).
    share: f64,
    /// Why its route is not taken; `None`: it is.
    held_back: Option<String>,
    /// Its route ranks below danger cues that the text holds: taken, it
    /// reads them as a figure of speech (fallback.model.danger_share).
    below_danger: bool,
}

/// The route model's opinion; `None` when the rule set has no model, the
/// history decides, or the model knows none of the text's n-grams.
fn model_opinion<'r>(
    rules: &'r RuleSet,
    analysis: &Analysis,
    hits: &[Hit],
    repeat: &RepeatEvidence,
) -> Option<Opinion<'r>> {
    let policy = &rules.policy;
    let (model, settings) = (rules.route_model.as_ref()?, policy.model.as_ref()?);
    if repeat.repeat || repeat.burst {
        return None;
    }
    let p = model.predict(&analysis.norm.text)?;
    let rank = |r: Route| policy.rank[r.index()];
    let below_danger = !analysis.danger.is_empty() && rank(p.route) > rank(policy.danger_route);
    // `predict` gives a finite share or no opinion.
    let held_back = if p.share < settings.min_share {
        Some(format!("低于采用门槛 {:.0}%", settings.min_share * 100.0))
    } else if !settings.routes[p.route.index()] {
        // A route the model's n-grams tell badly (fallback.model.routes).
        Some(format!("但 {} 不由路由模型判定", p.route))
    } else if below_danger && settings.danger_share.is_none_or(|t| p.share < t) {
        // 疑警从有, as for weak rule evidence, unless the model is sure
        // enough that the danger word is a figure of speech.
        Some(format!("但有危险信号，不低于 {}", policy.danger_route))
    } else if hits.iter().any(|h| !h.counted && h.route == p.route) {
        // What the text itself negated, supposed or put in the harmless past
        // is not brought back by words it shares with such appeals.
        Some("但原文中该路由的证据已被否定、假设、属过去或在引号内".to_string())
    } else {
        None
    };
    Some(Opinion {
        evidence: ModelEvidence {
            route: p.route,
            share: round3(p.share),
            runner_up: p.runner_up,
            ngrams: p.evidence.into_iter().map(|(g, _)| g).collect(),
            decided: held_back.is_none(),
        },
        settings,
        share: p.share,
        held_back,
        below_danger,
    })
}

/// A probability as agents read it: a naive Bayes is sure of itself far
/// more often than it is right, so no 100%.
fn percent(p: f64) -> String {
    if p >= 0.995 {
        ">99%".to_string()
    } else {
        format!("{:.0}%", p * 100.0)
    }
}

/// “a”“b”“c”
fn quote_all(words: &[String]) -> String {
    words.iter().map(|w| format!("“{w}”")).collect()
}

/// The appeal type: fixed for some routes; otherwise the strongest of the
/// cue rules and the deciding rule's own suggestion; else the route default.
fn appeal_type(
    rules: &RuleSet,
    analysis: &Analysis,
    route: Route,
    from_rule: Option<String>,
) -> (String, Option<String>) {
    let policy = &rules.policy;
    if let Some(t) = &policy.fixed_appeal_type[route.index()] {
        return (t.clone(), None);
    }
    let mut best: Option<(u8, &str, Option<&str>)> = from_rule
        .as_deref()
        .map(|t| (policy.rule_appeal_type_priority, t, None));
    for f in analysis.fired.iter().filter(|f| f.counts()) {
        let rule = &rules.rules[f.rule];
        if let Target::AppealType(t) = &rule.target {
            if best.is_none_or(|(p, _, _)| rule.priority > p) {
                best = Some((rule.priority, t, Some(&rule.id)));
            }
        }
    }
    match best {
        Some((_, t, id)) => (t.to_string(), id.map(str::to_string)),
        None => (
            policy.default_appeal_type[route.index()]
                .clone()
                .unwrap_or_else(|| "求助".into()),
            None,
        ),
    }
}

/// The original text, for cutting spans.
struct Original<'a> {
    text: &'a str,
}

impl<'a> Original<'a> {
    fn new(text: &'a str) -> Original<'a> {
        Original { text }
    }

    /// The original text under a normalized span.
    fn cut(&self, analysis: &Analysis, s: CharSpan) -> &'a str {
        let (from, to) = analysis.norm.original_bytes(self.text, s.start, s.end);
        self.text.get(from..to).unwrap_or_default()
    }

    fn span(&self, analysis: &Analysis, s: CharSpan) -> Span {
        let (start, end) = analysis.norm.to_original(s.start, s.end);
        Span {
            start,
            end,
            text: self.cut(analysis, s).to_string(),
        }
    }

    /// The spans' texts joined for a sentence: a”“b.
    fn quoted(&self, analysis: &Analysis, spans: &[CharSpan]) -> String {
        let mut out = String::new();
        for (i, s) in spans.iter().enumerate() {
            if i > 0 {
                out.push_str("”“");
            }
            out.push_str(self.cut(analysis, *s));
        }
        out
    }
}

fn explain_hits(rules: &RuleSet, analysis: &Analysis, original: &Original) -> Vec<Hit> {
    let mut hits: Vec<Hit> = analysis
        .fired
        .iter()
        .filter_map(|f: &Fired| {
            let rule = &rules.rules[f.rule];
            let route = rule.route()?;
            Some(Hit {
                rule: rule.id.clone(),
                route,
                category: rule.category().to_string(),
                priority: rule.priority,
                spans: f
                    .spans
                    .iter()
                    .map(|s| original.span(analysis, *s))
                    .collect(),
                negated: f.flags.negated,
                hypothetical: f.flags.hypothetical,
                past: f.flags.past,
                quoted: f.flags.quoted,
                suppressed_by: f.suppressed_by.map(|i| rules.rules[i].id.clone()),
                counted: f.counts(),
            })
        })
        .collect();
    hits.sort_by(|a, b| b.counted.cmp(&a.counted).then(b.priority.cmp(&a.priority)));
    hits
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
