//! The engine: from an appeal to a [`Decision`].
//!
//! analyze (normalize, segment, one automaton pass, cue scopes, rule
//! conditions) -> history (repeat and burst evidence) -> decide (precedence,
//! priority, confidence, appeal type, explanation).

mod decide;
pub mod decision;
mod examples;
mod matcher;

use std::sync::Arc;

pub use decision::{
    Decision, EarlierAppeal, Explanation, HistoryStatus, Hit, ModelEvidence, RepeatEvidence,
    RulesetRef, Span,
};
pub use examples::check_examples;
pub use matcher::{analyze, Analysis, CharSpan, Fired, Flags};

use crate::history::{
    format_rfc3339, overlap, similarity, Audit, HistoryStore, PastAppeal, Signature,
};
use crate::knowledge::KnowledgeBase;
use crate::rules::{Route, RuleSet};

/// One appeal to classify.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Appeal {
    /// The hotline's appeal id: the same id is recorded once.
    #[serde(default)]
    pub id: Option<String>,
    pub text: String,
    /// Who called: feeds the repeat and burst policy.
    #[serde(default)]
    pub caller: Option<String>,
    /// When, in Unix seconds (the shells parse RFC 3339).
    #[serde(skip)]
    pub received_at: Option<i64>,
}

/// A compiled rule set (and, optionally, its knowledge base) ready to
/// classify; cheap to clone and share.
#[derive(Debug, Clone)]
pub struct Classifier {
    rules: Arc<RuleSet>,
    knowledge: Option<Arc<KnowledgeBase>>,
}

/// How many knowledge entries an explanation lists.
const KNOWLEDGE_HITS: usize = 3;
/// How many typical cases vote when no rule fires.
const VOTERS: usize = 10;

impl Classifier {
    pub fn new(rules: Arc<RuleSet>) -> Classifier {
        Classifier {
            rules,
            knowledge: None,
        }
    }

    /// The same classifier consulting a knowledge base.
    pub fn with_knowledge(mut self, kb: Arc<KnowledgeBase>) -> Classifier {
        self.knowledge = Some(kb);
        self
    }

    pub fn rules(&self) -> &Arc<RuleSet> {
        &self.rules
    }

    pub fn knowledge(&self) -> Option<&Arc<KnowledgeBase>> {
        self.knowledge.as_ref()
    }

    /// Adds the knowledge base's evidence: the entries most like the appeal;
    /// a department for a non-police decision whose rule names none; and,
    /// when no rule fired and nothing signals danger, the route the most
    /// similar typical cases vote for (flagged for review).
    fn consult_knowledge(&self, analysis: &mut Analysis, d: &mut Decision) {
        let Some(kb) = &self.knowledge else { return };
        // The knowledge base cuts words as the classifier does: reuse the
        // classifier's tokens (history may have needed them already).
        analysis.segment(&self.rules);
        let query = kb.query_of_tokens(analysis.token_strs());
        let by_model = d.explanation.model.as_ref().is_some_and(|m| m.decided);
        // One search: a model decision looks further down for an entry of
        // its route; the explanation lists the first few.
        let found = kb.search_query(&query, if by_model { VOTERS } else { KNOWLEDGE_HITS });
        d.explanation.knowledge = found.iter().take(KNOWLEDGE_HITS).cloned().collect();
        let policy = &self.rules.policy;
        // Repeats and bursts are what the caller's history shows, not what
        // an appeal's words resemble: the entries that explain the repeat
        // policy propose it only when the history holds, within the burst
        // window, as many earlier appeals as a repeat needs (the wording of
        // a call may then say what the similarity missed).
        let on_record = d.explanation.repeat.burst_count.saturating_sub(1);
        let from_history = |category: &str| {
            [decide::REPEAT_CATEGORY, decide::BURST_CATEGORY].contains(&category)
                && on_record < policy.repeat.earlier_duplicates
        };
        if by_model {
            // The model gives the route; the closest typical case of that
            // route gives the category and the department. An entry of the
            // route that is barely like the appeal says nothing of its
            // category: half the best entry's score at least.
            let floor = found.first().map_or(f32::MAX, |h| h.score * 0.5);
            let closest = found
                .into_iter()
                .find(|h| h.route == d.route && h.score >= floor);
            match closest {
                // Words like a repeat call's: the category waits for a
                // person, the route stays the model's.
                Some(h) if from_history(&h.category) => {
                    d.explanation.decided_by.push_str(&format!(
                        "；最相近的知识条目 {} 属重复来电，须有来电记录才能认定，类别待人工确认",
                        h.id
                    ))
                }
                Some(h) => {
                    d.category = h.category;
                    d.handoff = Some(h.handoff);
                    d.explanation.decided_by.push_str(&format!(
                        "；类别与承办方取自该路由最相近的知识条目 {}",
                        h.id
                    ));
                }
                None => {}
            }
            return;
        }
        let plain_fallback = d.route == policy.fallback_route
            && d.category == policy.fallback_category
            && !d.explanation.hits.iter().any(|h| h.counted)
            && !d.explanation.repeat.repeat
            && !d.explanation.repeat.burst;
        if plain_fallback {
            let vote = kb.vote_query(&query, VOTERS);
            // A majority of the similar cases decides; short of one, the
            // entry most like the appeal does.
            let proposal = match &vote {
                Some(v) if v.share >= 0.5 => {
                    v.entries.first().and_then(|id| kb.entry(id)).map(|e| {
                        let why = format!(
                            "知识库中最相似的典型案例投票建议 {}（占 {:.0}%，条目 {}）",
                            v.route,
                            v.share * 100.0,
                            v.entries.join("、")
                        );
                        (
                            v.route,
                            e.category.clone(),
                            e.handoff.clone(),
                            0.2 + 0.3 * f64::from(v.share),
                            why,
                        )
                    })
                }
                _ => d.explanation.knowledge.first().map(|h| {
                    let why = format!(
                        "相似案例没有多数意见，最相近的知识条目 {} 建议 {}",
                        h.id, h.route
                    );
                    (h.route, h.category.clone(), h.handoff.clone(), 0.3, why)
                }),
            };
            // Evidence the text itself discounted (negated, hypothetical,
            // past) is not brought back by cases that share its words: "如果
            // 闻到煤气味该打哪个电话" is like a gas leak, and is none.
            let discounted = |route: Route| {
                d.explanation
                    .hits
                    .iter()
                    .any(|h| !h.counted && h.route == route)
            };
            let proposal = proposal.filter(|p| !discounted(p.0) && !from_history(&p.1));
            if let Some((route, category, handoff, confidence, why)) = proposal {
                d.route = route;
                d.category = category;
                d.handoff = Some(handoff);
                d.review = true;
                d.confidence = confidence.min(0.5);
                d.explanation.decided_by = format!("没有规则命中；{why}，需人工复核");
                if let Some(t) = &policy.fixed_appeal_type[d.route.index()] {
                    d.appeal_type = t.clone();
                }
            }
            d.explanation.vote = vote;
        }
        if d.route == Route::NonPolice && (d.handoff.is_none() || plain_fallback) {
            if let Some(best) = d
                .explanation
                .knowledge
                .iter()
                .find(|h| h.route == Route::NonPolice)
            {
                d.handoff = Some(best.handoff.clone());
            }
        }
    }

    /// Classifies without history.
    pub fn classify_text(&self, text: &str) -> Decision {
        let mut analysis = analyze(&self.rules, text);
        let repeat = RepeatEvidence {
            status: HistoryStatus::NoCaller,
            earlier: Vec::new(),
            burst_count: 0,
            repeat: false,
            burst: false,
            recorded: false,
        };
        let mut d = decide::decide(&self.rules, &analysis, text, repeat, None);
        self.consult_knowledge(&mut analysis, &mut d);
        d
    }

    /// Classifies an appeal, consulting and then updating the caller's
    /// history. A failing store never fails the classification: the
    /// evidence is marked `unavailable` and the appeal is not recorded.
    pub fn classify(&self, appeal: &Appeal, history: &dyn HistoryStore, now: i64) -> Decision {
        let mut analysis = analyze(&self.rules, &appeal.text);
        let policy = &self.rules.policy.repeat;
        let at = appeal.received_at.unwrap_or(now);
        let caller = appeal.caller.as_deref().filter(|c| !c.trim().is_empty());
        if caller.is_some() {
            analysis.segment(&self.rules);
        }
        let signature = Signature::from_tokens(analysis.token_strs(), &policy.ignore_words);
        let mut repeat = RepeatEvidence {
            status: HistoryStatus::NoCaller,
            earlier: Vec::new(),
            burst_count: 0,
            repeat: false,
            burst: false,
            recorded: false,
        };
        let mut seen_before = false;
        let caller = if history.enabled() {
            caller
        } else {
            repeat.status = HistoryStatus::Disabled;
            None
        };
        if let Some(caller) = caller {
            match self.history_evidence(
                caller,
                appeal.id.as_deref(),
                at,
                &signature,
                analysis.new_fact,
                analysis.same_matter.then(|| self.topic(&analysis)),
                history,
            ) {
                Ok((ev, seen)) => {
                    repeat = ev;
                    seen_before = seen;
                }
                Err(_) => repeat.status = HistoryStatus::Unavailable,
            }
        }
        let mut decision = decide::decide(
            &self.rules,
            &analysis,
            &appeal.text,
            repeat,
            appeal.id.clone(),
        );
        self.consult_knowledge(&mut analysis, &mut decision);
        if let (Some(caller), HistoryStatus::Checked, false) =
            (caller, decision.explanation.repeat.status, seen_before)
        {
            // An appeal without an id gets one from its time and text, never
            // from the caller (ids are stored in clear).
            let id = appeal.id.clone().unwrap_or_else(|| {
                let text_hash = appeal.text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                    (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
                });
                format!("anon-{at}-{text_hash:016x}")
            });
            let audit = Audit {
                ruleset_version: decision.ruleset.version.clone(),
                ruleset_digest: decision.ruleset.digest.clone(),
                rules: decision.explanation.counted_rules(),
                decided_by: decision.explanation.decided_by.clone(),
                confidence: decision.confidence,
                review: decision.review,
            };
            let record = PastAppeal {
                id,
                caller: caller.to_string(),
                received_at: at,
                signature,
                route: decision.route,
                category: decision.category.clone(),
                audit: Some(audit),
            };
            match history.record(&record) {
                Ok(inserted) => decision.explanation.repeat.recorded = inserted,
                Err(_) => decision.explanation.repeat.status = HistoryStatus::Unavailable,
            }
        }
        decision
    }

    /// The category of the strongest route rule that counts: what the
    /// appeal is about, before precedence and history decide its route.
    fn topic<'a>(&'a self, analysis: &Analysis) -> Option<&'a str> {
        analysis
            .fired
            .iter()
            .filter(|f| f.counts())
            .map(|f| &self.rules.rules[f.rule])
            .filter(|r| r.route().is_some())
            .max_by_key(|r| r.priority)
            .map(|r| r.category())
    }

    #[allow(clippy::too_many_arguments)]
    fn history_evidence(
        &self,
        caller: &str,
        id: Option<&str>,
        at: i64,
        signature: &Signature,
        new_fact: bool,
        same_matter: Option<Option<&str>>,
        history: &dyn HistoryStore,
    ) -> Result<(RepeatEvidence, bool), crate::history::HistoryError> {
        let policy = &self.rules.policy.repeat;
        let seen = match id {
            Some(id) => history.contains(id)?,
            None => false,
        };
        let since = at - policy.window_secs.max(policy.burst_window_secs);
        let past = history.recent(caller, since, at, policy.max_compared)?;
        let past: Vec<&PastAppeal> = past.iter().filter(|p| Some(p.id.as_str()) != id).collect();
        let burst_count = 1 + past
            .iter()
            .filter(|p| p.received_at > at - policy.burst_window_secs)
            .count();
        // The same matter: an earlier appeal in the window that is like this
        // one, or like one that is (callers reword; each call shares words
        // with the one before, not always with this one). One hop only, so
        // the cost stays bounded by `max_compared` squared.
        // Two appeals are the same matter when they share enough of the
        // smaller one's words, or enough words outright. Returns the share
        // (0 below `min_shared_words`) and the verdict.
        let judge = |a: &Signature, b: &Signature| {
            let (common, share) = overlap(a, b);
            let shared = common >= policy.min_shared_words;
            let same =
                shared && (share >= policy.similarity || common >= policy.shared_words_enough);
            (if shared { share } else { 0.0 }, same)
        };
        let window: Vec<(&PastAppeal, f64, bool)> = past
            .iter()
            .filter(|p| p.received_at >= at - policy.window_secs)
            .map(|p| {
                let (share, same) = judge(signature, &p.signature);
                (*p, share, same)
            })
            .collect();
        // At most 8 direct matches, the most similar, are followed one hop.
        let mut direct: Vec<(&PastAppeal, f64)> = window
            .iter()
            .filter(|(_, _, same)| *same)
            .map(|(p, s, _)| (*p, *s))
            .collect();
        direct.sort_by(|a, b| b.1.total_cmp(&a.1));
        direct.truncate(8);
        let direct: Vec<&PastAppeal> = direct.into_iter().map(|(p, _)| p).collect();
        // A caller who says this is the matter raised before (还是那件事,
        // 又是我) points at one, which counts even below the thresholds, and
        // so do the earlier appeals sharing `min_shared_words` with it.
        let referred = match same_matter {
            Some(topic) if direct.is_empty() => referred_appeal(&window, signature, topic),
            _ => None,
        };
        let is_referred = |p: &PastAppeal| referred.is_some_and(|r| r.id == p.id);
        let mut earlier: Vec<EarlierAppeal> = window
            .iter()
            .filter(|(p, _, same)| {
                *same
                    || is_referred(p)
                    || direct
                        .iter()
                        .any(|d| d.id != p.id && judge(&d.signature, &p.signature).1)
                    // The caller vouches for the matter: the referred
                    // appeal's neighbours need only share enough words (every
                    // appeal the usual hop from it would find, and more).
                    || referred.is_some_and(|r| {
                        r.id != p.id
                            && overlap(&r.signature, &p.signature).0
                                >= policy.min_shared_words
                    })
            })
            .map(|(p, s, _)| EarlierAppeal {
                id: p.id.clone(),
                received_at: format_rfc3339(p.received_at),
                similarity: (s * 1000.0).round() / 1000.0,
                referred: is_referred(p),
            })
            .collect();
        earlier.reverse();
        let repeat = !new_fact && earlier.len() >= policy.earlier_duplicates;
        Ok((
            RepeatEvidence {
                status: HistoryStatus::Checked,
                earlier,
                burst_count,
                repeat,
                burst: burst_count >= policy.burst_count,
                recorded: false,
            },
            seen,
        ))
    }
}

/// The earlier appeal a caller refers to (还是那件事): the one sharing the
/// most words with this appeal; with none, the latest on this appeal's
/// topic; with none, the latest.
fn referred_appeal<'p>(
    window: &[(&'p PastAppeal, f64, bool)],
    signature: &Signature,
    topic: Option<&str>,
) -> Option<&'p PastAppeal> {
    let latest = |on_topic: &dyn Fn(&PastAppeal) -> bool| {
        window
            .iter()
            .map(|(p, _, _)| *p)
            .filter(|p| on_topic(p))
            .max_by_key(|p| p.received_at)
    };
    window
        .iter()
        .map(|(p, _, _)| (*p, similarity(signature, &p.signature, 1)))
        .filter(|(_, s)| *s > 0.0)
        .max_by(|a, b| {
            a.1.total_cmp(&b.1)
                .then(a.0.received_at.cmp(&b.0.received_at))
        })
        .map(|(p, _)| p)
        .or_else(|| latest(&|p| Some(p.category.as_str()) == topic))
        .or_else(|| latest(&|_| true))
}
