//! The tantivy index of the knowledge entries and their typical cases.
//!
//! One document per entry (title, body, keywords, cases) in `entry_text`,
//! one per typical case in `case_text`; `ord` maps a document back to its
//! entry. The index is built into `<data>/kb/<digest>/` once per content
//! digest (entries, rule set and segmentation dictionary) and opened read
//! only afterwards; a query uses the rarest terms of the appeal, not all.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tantivy::postings::Postings;
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use tantivy::DocSet;
use tantivy::{doc, Index, IndexReader, ReloadPolicy, TantivyDocument, Term};

use super::entry::Entry;
use crate::rules::Route;
use crate::text::{normalize, Segmenter};

/// Bump when the index layout or the tokenization changes.
const FORMAT: &str = "fenliu-kb-1";
const TOKENIZER: &str = "fenliu";
/// At most this many query terms: the rarest ones carry the signal, and a
/// query of every term of an appeal costs 50 times more (each term is a
/// dictionary lookup and a posting list to score).
const MAX_QUERY_TERMS: usize = 16;

/// A knowledge base that could not be built or opened.
#[derive(Debug, thiserror::Error)]
#[error("knowledge index: {0}")]
pub struct KbError(pub String);

fn kb_err(e: impl std::fmt::Display) -> KbError {
    KbError(e.to_string())
}

/// A matching entry, as the explanation shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct KnowledgeHit {
    pub id: String,
    pub title: String,
    pub handoff: String,
    pub route: Route,
    pub category: String,
    pub score: f32,
    /// Words of the appeal found in the entry.
    pub matched_terms: Vec<String>,
}

/// What the most similar typical cases say.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Vote {
    pub route: Route,
    /// The route's share of the summed scores of the cases that voted.
    pub share: f32,
    /// The entries whose cases voted for the route, best first.
    pub entries: Vec<String>,
}

/// The tokenizer the index and the queries share: the classifier's
/// normalization and jieba, content words only, plus the bigrams of longer
/// words so that differently cut names still meet.
#[derive(Clone)]
struct ChineseTokenizer {
    segmenter: Segmenter,
}

struct Tokens {
    tokens: Vec<String>,
    i: usize,
    token: Token,
}

impl TokenStream for Tokens {
    fn advance(&mut self) -> bool {
        let Some(t) = self.tokens.get(self.i) else {
            return false;
        };
        self.token.text.clear();
        self.token.text.push_str(t);
        self.token.position = self.i;
        self.i += 1;
        true
    }
    fn token(&self) -> &Token {
        &self.token
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

impl Tokenizer for ChineseTokenizer {
    type TokenStream<'a> = Tokens;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> Tokens {
        Tokens {
            tokens: words(&self.segmenter, text),
            i: 0,
            token: Token::default(),
        }
    }
}

/// The words of a text as the index sees them.
fn words(segmenter: &Segmenter, text: &str) -> Vec<String> {
    let norm = normalize(text);
    words_of_tokens(
        segmenter
            .tokens(&norm.text)
            .iter()
            .map(|t| &norm.text[t.start..t.end]),
    )
}

/// The index's words from the tokens of a normalized text (the classifier
/// passes the tokens it already cut).
pub fn words_of_tokens<'a>(tokens: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut out = Vec::new();
    for w in tokens {
        // Single characters (的, 说, 月) match everything and mean little;
        // longer words and their bigrams carry the match.
        let chars: Vec<char> = w.chars().collect();
        if chars.len() < 2 && !w.bytes().all(|b| b.is_ascii_digit())
            || !w.chars().any(char::is_alphanumeric)
        {
            continue;
        }
        out.push(w.to_string());
        if chars.len() >= 3 {
            for pair in chars.windows(2) {
                out.push(pair.iter().collect());
            }
        }
    }
    out
}

struct Fields {
    ord: Field,
    entry_text: Field,
    case_text: Field,
}

/// What a query needs of one segment, opened once: the index never changes
/// after it is opened.
struct SegmentCache {
    entry_postings: std::sync::Arc<tantivy::InvertedIndexReader>,
    case_postings: std::sync::Arc<tantivy::InvertedIndexReader>,
    entry_norms: tantivy::fieldnorm::FieldNormReader,
    case_norms: tantivy::fieldnorm::FieldNormReader,
    /// Entry ordinal of every document.
    ords: Vec<u32>,
}

/// The searchable knowledge base.
pub struct KnowledgeBase {
    segments: Vec<SegmentCache>,
    entries: Vec<Entry>,
    /// Document frequency of every word, per field (entries, cases): query
    /// terms are chosen from memory, not by a dictionary lookup each.
    entry_df: std::collections::HashMap<String, u32>,
    case_df: std::collections::HashMap<String, u32>,
    /// Each entry's words, for the matched terms of a hit.
    entry_words: Vec<HashSet<String>>,
    /// Number of case documents.
    case_count: usize,
    fields: Fields,
    segmenter: Segmenter,
    pub dir: Option<PathBuf>,
    pub digest: String,
    /// Whether `open` built the index (false: an existing one was reused).
    pub built: bool,
}

impl std::fmt::Debug for KnowledgeBase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KnowledgeBase")
            .field("entries", &self.entries.len())
            .field("dir", &self.dir)
            .finish()
    }
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let ord = b.add_u64_field("ord", NumericOptions::default().set_fast());
    let entry_text = b.add_text_field("entry_text", text.clone());
    let case_text = b.add_text_field("case_text", text);
    (
        b.build(),
        Fields {
            ord,
            entry_text,
            case_text,
        },
    )
}

impl KnowledgeBase {
    /// Opens the index for `entries` under `data_dir/kb/<digest>`, building
    /// it when that digest has no index yet (and removing older ones), or
    /// in memory when `data_dir` is `None`. `salt` is mixed into the digest:
    /// the rule-set digest, since rule keywords change the segmentation.
    pub fn open(
        entries: Vec<Entry>,
        segmenter: Segmenter,
        data_dir: Option<&Path>,
        salt: &str,
    ) -> Result<KnowledgeBase, KbError> {
        let mut h = Sha256::new();
        h.update(FORMAT);
        h.update(salt);
        h.update(serde_json::to_vec(&entries).map_err(kb_err)?);
        let digest: String = h
            .finalize()
            .iter()
            .take(12)
            .map(|b| format!("{b:02x}"))
            .collect();
        let (schema, fields) = schema();
        let tokenizer = ChineseTokenizer {
            segmenter: segmenter.clone(),
        };

        let (index, dir, built) = match data_dir {
            None => {
                let index = Index::create_in_ram(schema);
                index.tokenizers().register(TOKENIZER, tokenizer);
                fill(&index, &fields, &entries)?;
                (index, None, true)
            }
            Some(data) => {
                let root = data.join("kb");
                let dir = root.join(&digest);
                let ready = dir.join("READY");
                if ready.exists() {
                    let index = Index::open_in_dir(&dir).map_err(kb_err)?;
                    index.tokenizers().register(TOKENIZER, tokenizer);
                    (index, Some(dir), false)
                } else {
                    // Build aside, then move into place: a crash mid-build
                    // leaves no half index under the digest.
                    let tmp = root.join(format!(".build-{digest}-{}", std::process::id()));
                    let _ = std::fs::remove_dir_all(&tmp);
                    std::fs::create_dir_all(&tmp).map_err(kb_err)?;
                    {
                        let index = Index::create_in_dir(&tmp, schema.clone()).map_err(kb_err)?;
                        index.tokenizers().register(TOKENIZER, tokenizer.clone());
                        fill(&index, &fields, &entries)?;
                    }
                    std::fs::write(tmp.join("READY"), FORMAT).map_err(kb_err)?;
                    let _ = std::fs::remove_dir_all(&dir);
                    std::fs::rename(&tmp, &dir).map_err(kb_err)?;
                    // Older indexes are of rule sets no longer in service.
                    if let Ok(rd) = std::fs::read_dir(&root) {
                        for e in rd.flatten() {
                            if e.path() != dir
                                && !e.file_name().to_string_lossy().starts_with(".build-")
                            {
                                let _ = std::fs::remove_dir_all(e.path());
                            }
                        }
                    }
                    let index = Index::open_in_dir(&dir).map_err(kb_err)?;
                    index.tokenizers().register(TOKENIZER, tokenizer);
                    (index, Some(dir), true)
                }
            }
        };
        let reader: IndexReader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(kb_err)?;
        let searcher = reader.searcher();
        let mut segments = Vec::new();
        for seg in searcher.segment_readers() {
            let ord_col = seg.fast_fields().u64("ord").map_err(kb_err)?;
            segments.push(SegmentCache {
                entry_postings: seg.inverted_index(fields.entry_text).map_err(kb_err)?,
                case_postings: seg.inverted_index(fields.case_text).map_err(kb_err)?,
                entry_norms: seg
                    .get_fieldnorms_reader(fields.entry_text)
                    .map_err(kb_err)?,
                case_norms: seg
                    .get_fieldnorms_reader(fields.case_text)
                    .map_err(kb_err)?,
                ords: (0..seg.max_doc())
                    .map(|d| ord_col.first(d).unwrap_or(u64::MAX) as u32)
                    .collect(),
            });
        }
        let entry_words: Vec<HashSet<String>> = entries
            .iter()
            .map(|e| words(&segmenter, &entry_text(e)).into_iter().collect())
            .collect();
        let mut entry_df = std::collections::HashMap::new();
        for set in &entry_words {
            for w in set {
                *entry_df.entry(w.clone()).or_insert(0u32) += 1;
            }
        }
        let mut case_df = std::collections::HashMap::new();
        for e in &entries {
            for case in &e.cases {
                let set: HashSet<String> = words(&segmenter, case).into_iter().collect();
                for w in set {
                    *case_df.entry(w).or_insert(0u32) += 1;
                }
            }
        }
        let case_count = entries.iter().map(|e| e.cases.len()).sum();
        Ok(KnowledgeBase {
            segments,
            case_count,
            entries,
            entry_df,
            case_df,
            entry_words,
            fields,
            segmenter,
            dir,
            digest,
            built,
        })
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn entry(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id == id)
    }

    /// The rarest words of `text` present in `field`, at most 16.
    /// The rarest words (at most `MAX_QUERY_TERMS`) of `words` present in
    /// the field, with their document frequencies.
    fn query_terms(&self, field: Field, words: &[String]) -> Vec<(u32, String)> {
        let df = if field == self.fields.entry_text {
            &self.entry_df
        } else {
            &self.case_df
        };
        let mut seen = HashSet::new();
        let mut terms: Vec<(u32, String)> = words
            .iter()
            .filter_map(|w| {
                let n = *df.get(w)?;
                seen.insert(w.as_str()).then(|| (n, w.clone()))
            })
            .collect();
        terms.sort();
        terms.truncate(MAX_QUERY_TERMS);
        terms
    }

    /// BM25 over the field's postings in the index, summed per document:
    /// the same scores a BooleanQuery of the terms would give, without its
    /// per-query machinery (ten times the cost of the lookup itself on an
    /// index this small). Returns (score, entry ord) best first.
    fn top(&self, field: Field, words: &[String], limit: usize) -> Vec<(f32, usize, Vec<String>)> {
        const K1: f32 = 1.2;
        const B: f32 = 0.75;
        let terms = self.query_terms(field, words);
        if terms.is_empty() {
            return Vec::new();
        }
        let matched: Vec<String> = terms.iter().map(|(_, w)| w.clone()).collect();
        let entries_field = field == self.fields.entry_text;
        let field_docs = if entries_field {
            self.entries.len()
        } else {
            self.case_count
        };
        let mut scored: Vec<(f32, usize)> = Vec::new();
        for seg in &self.segments {
            let (inverted, norms) = if entries_field {
                (&seg.entry_postings, &seg.entry_norms)
            } else {
                (&seg.case_postings, &seg.case_norms)
            };
            let avg_len = (inverted.total_num_tokens() as f32 / field_docs.max(1) as f32).max(1.0);
            // Dense accumulators: the index is small (a few thousand
            // documents) and a vector beats a map per posting.
            let mut acc = vec![0f32; seg.ords.len()];
            for (df, w) in &terms {
                // A word in more than a quarter of the documents says little
                // and costs the most to score.
                if *df as usize * 4 > field_docs {
                    continue;
                }
                let idf = (1.0 + (field_docs as f32 - *df as f32 + 0.5) / (*df as f32 + 0.5)).ln();
                let Ok(Some(mut postings)) = inverted.read_postings(
                    &Term::from_field_text(field, w),
                    IndexRecordOption::WithFreqs,
                ) else {
                    continue;
                };
                let mut doc = postings.doc();
                while doc != tantivy::TERMINATED {
                    let tf = postings.term_freq() as f32;
                    let len = norms.fieldnorm(doc) as f32;
                    if let Some(a) = acc.get_mut(doc as usize) {
                        *a += idf * tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * len / avg_len));
                    }
                    doc = postings.advance();
                }
            }
            for (doc, score) in acc.into_iter().enumerate() {
                if score > 0.0 {
                    if let Some(&ord) = seg.ords.get(doc) {
                        scored.push((score, ord as usize));
                    }
                }
            }
        }
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.truncate(limit.max(1));
        scored
            .into_iter()
            .map(|(s, o)| (s, o, matched.clone()))
            .collect()
    }

    /// The entries most like `text`, best first. An empty, overlong or
    /// punctuation-only query simply finds nothing.
    pub fn search(&self, text: &str, limit: usize) -> Vec<KnowledgeHit> {
        self.search_words(&self.words(text), limit)
    }

    /// The words of a query text (at most its first 10,000 characters).
    pub fn words(&self, text: &str) -> Vec<String> {
        let text: String = text.chars().take(10_000).collect();
        words(&self.segmenter, &text)
    }

    /// [`search`](Self::search) on words already cut.
    pub fn search_words(&self, words: &[String], limit: usize) -> Vec<KnowledgeHit> {
        self.top(self.fields.entry_text, words, limit.min(100))
            .into_iter()
            .filter_map(|(score, ord, words)| {
                let e = self.entries.get(ord)?;
                let mine = &self.entry_words[ord];
                let matched_terms = words.into_iter().filter(|w| mine.contains(w)).collect();
                Some(KnowledgeHit {
                    id: e.id.clone(),
                    title: e.title.clone(),
                    handoff: e.handoff.clone(),
                    route: e.route,
                    category: e.category.clone(),
                    score: (score * 1000.0).round() / 1000.0,
                    matched_terms,
                })
            })
            .collect()
    }

    /// A vote of the `k` typical cases most like `text`: the route with the
    /// largest share of their scores.
    pub fn vote(&self, text: &str, k: usize) -> Option<Vote> {
        self.vote_words(&self.words(text), k)
    }

    /// [`vote`](Self::vote) on words already cut.
    pub fn vote_words(&self, words: &[String], k: usize) -> Option<Vote> {
        let found = self.top(self.fields.case_text, words, k);
        let total: f32 = found.iter().map(|(s, _, _)| s).sum();
        if total <= 0.0 {
            return None;
        }
        let mut by_route: BTreeMap<Route, (f32, Vec<String>)> = BTreeMap::new();
        for (score, ord, _) in &found {
            let Some(e) = self.entries.get(*ord) else {
                continue;
            };
            let slot = by_route.entry(e.route).or_default();
            slot.0 += score;
            if !slot.1.contains(&e.id) {
                slot.1.push(e.id.clone());
            }
        }
        let (route, (score, entries)) = by_route
            .into_iter()
            .max_by(|a, b| a.1 .0.total_cmp(&b.1 .0))?;
        Some(Vote {
            route,
            share: ((score / total) * 1000.0).round() / 1000.0,
            entries,
        })
    }
}

fn entry_text(e: &Entry) -> String {
    format!(
        "{}\n{}\n{}\n{}\n{}",
        e.title,
        e.keywords.join(" "),
        e.keywords.join(" "),
        e.body,
        e.cases.join("\n")
    )
}

fn fill(index: &Index, f: &Fields, entries: &[Entry]) -> Result<(), KbError> {
    let mut writer = index
        .writer_with_num_threads::<TantivyDocument>(1, 20_000_000)
        .map_err(kb_err)?;
    for (ord, e) in entries.iter().enumerate() {
        writer
            .add_document(doc!(f.ord => ord as u64, f.entry_text => entry_text(e)))
            .map_err(kb_err)?;
        for case in &e.cases {
            writer
                .add_document(doc!(f.ord => ord as u64, f.case_text => case.as_str()))
                .map_err(kb_err)?;
        }
    }
    writer.commit().map_err(kb_err)?;
    Ok(())
}
