//! The tantivy index of the knowledge entries and their typical cases.
//!
//! One document per entry (title, body, keywords, cases) in `entry_text`,
//! one per typical case in `case_text`; `ord` maps a document back to its
//! entry. The index is built into `<data>/kb/<digest>/` once per content
//! digest (entries, rule set and segmentation dictionary) and opened read
//! only afterwards; a query uses the rarest terms of the appeal, not all.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tantivy::postings::Postings;
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use tantivy::DocSet;
use tantivy::{doc, Index, IndexReader, ReloadPolicy, TantivyDocument};

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

/// The index's words from the tokens of a normalized text: content words
/// of two characters or more (and numbers), and the bigrams of words of
/// three or more, so that differently cut names still meet. Each word is
/// handed to `f` as a `&str`, without allocating.
fn each_word<'a>(tokens: impl Iterator<Item = &'a str>, mut f: impl FnMut(&str)) {
    let mut bigram = String::new();
    for w in tokens {
        // Single characters (的, 说, 月) match everything and mean little;
        // longer words and their bigrams carry the match.
        let n = w.chars().count();
        if n < 2 && !w.bytes().all(|b| b.is_ascii_digit()) || !w.chars().any(char::is_alphanumeric)
        {
            continue;
        }
        f(w);
        if n >= 3 {
            let mut chars = w.chars();
            let mut prev = chars.next();
            for c in chars {
                bigram.clear();
                bigram.extend(prev);
                bigram.push(c);
                f(&bigram);
                prev = Some(c);
            }
        }
    }
}

/// The words of `tokens`, as owned strings (for building the index).
fn words_of_tokens<'a>(tokens: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut out = Vec::new();
    each_word(tokens, |w| out.push(w.to_string()));
    out
}

/// FxHash (rustc's hasher): a multiply-rotate per word of input, several
/// times cheaper than SipHash on the short words looked up here. The maps
/// are built from our own entries; a query only looks up.
#[derive(Default, Clone, Copy)]
struct Fx(u64);

impl std::hash::Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes([
                c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
            ]));
        }
        let mut tail = [0u8; 8];
        let rest = chunks.remainder();
        tail[..rest.len()].copy_from_slice(rest);
        self.add(u64::from_le_bytes(tail) ^ rest.len() as u64);
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

impl Fx {
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

type FxMap<K, V> = std::collections::HashMap<K, V, std::hash::BuildHasherDefault<Fx>>;

/// The words of an appeal as the index knows them: term ids, each once,
/// no strings.
#[derive(Debug, Clone, Default)]
pub struct Query {
    terms: Vec<u32>,
}

struct Fields {
    ord: Field,
    entry_text: Field,
    case_text: Field,
}

/// One field of the index, read into memory once when the index is
/// opened (it never changes afterwards; a few thousand short documents):
/// a query is then a hash lookup per word and a walk over short posting
/// lists, with no term-dictionary search or block decoding per query.
#[derive(Default)]
struct Resident {
    /// Per term id: (document, term frequency). Documents are numbered
    /// densely per field, in the order first seen.
    postings: Vec<Vec<(u32, u32)>>,
    /// Per document: its field length (tantivy's field norm) and its entry.
    doc_len: Vec<f32>,
    doc_ord: Vec<u32>,
    /// Documents that have the field.
    docs: usize,
    avg_len: f32,
}

impl Resident {
    fn df(&self, term: u32) -> usize {
        self.postings.get(term as usize).map_or(0, Vec::len)
    }
}

/// The searchable knowledge base.
pub struct KnowledgeBase {
    entries: Vec<Entry>,
    /// Every word of the index, by text: its term id.
    vocabulary: FxMap<Box<str>, u32>,
    /// Every word by term id.
    terms: Vec<Box<str>>,
    /// Each term's place in the text order of all terms.
    text_rank: Vec<u32>,
    /// The entry documents (title, keywords, body, cases) and the case
    /// documents.
    entry_field: Resident,
    case_field: Resident,
    /// Each entry's term ids, sorted: the matched terms of a hit.
    entry_terms: Vec<Vec<u32>>,
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
        let mut vocabulary: FxMap<Box<str>, u32> = FxMap::default();
        let mut terms: Vec<Box<str>> = Vec::new();
        let mut entry_field = Resident::default();
        let mut case_field = Resident::default();
        for seg in searcher.segment_readers() {
            let ord_col = seg.fast_fields().u64("ord").map_err(kb_err)?;
            // Index document -> field document, for this segment.
            let (mut entry_local, mut case_local) = (
                vec![u32::MAX; seg.max_doc() as usize],
                vec![u32::MAX; seg.max_doc() as usize],
            );
            for (field, out, local) in [
                (fields.entry_text, &mut entry_field, &mut entry_local),
                (fields.case_text, &mut case_field, &mut case_local),
            ] {
                let inverted = seg.inverted_index(field).map_err(kb_err)?;
                let norms = seg.get_fieldnorms_reader(field).map_err(kb_err)?;
                out.avg_len += inverted.total_num_tokens() as f32;
                let mut stream = inverted.terms().stream().map_err(kb_err)?;
                while stream.advance() {
                    let Ok(word) = std::str::from_utf8(stream.key()) else {
                        continue;
                    };
                    let id = match vocabulary.get(word) {
                        Some(&id) => id,
                        None => {
                            let id = terms.len() as u32;
                            vocabulary.insert(word.into(), id);
                            terms.push(word.into());
                            id
                        }
                    };
                    if out.postings.len() <= id as usize {
                        out.postings.resize_with(id as usize + 1, Vec::new);
                    }
                    let mut postings = inverted
                        .read_postings_from_terminfo(stream.value(), IndexRecordOption::WithFreqs)
                        .map_err(kb_err)?;
                    let mut doc = postings.doc();
                    while doc != tantivy::TERMINATED {
                        let Some(slot) = local.get_mut(doc as usize) else {
                            break;
                        };
                        if *slot == u32::MAX {
                            *slot = out.doc_ord.len() as u32;
                            out.doc_len.push(norms.fieldnorm(doc) as f32);
                            out.doc_ord
                                .push(ord_col.first(doc).unwrap_or(u64::MAX) as u32);
                        }
                        out.postings[id as usize].push((*slot, postings.term_freq()));
                        doc = postings.advance();
                    }
                }
            }
        }
        entry_field.docs = entries.len();
        case_field.docs = entries.iter().map(|e| e.cases.len()).sum();
        for f in [&mut entry_field, &mut case_field] {
            f.avg_len = (f.avg_len / f.docs.max(1) as f32).max(1.0);
            f.postings.resize_with(terms.len(), Vec::new);
        }
        let mut entry_terms: Vec<Vec<u32>> = vec![Vec::new(); entries.len()];
        for (t, postings) in entry_field.postings.iter().enumerate() {
            for &(doc, _) in postings {
                let ord = entry_field.doc_ord[doc as usize] as usize;
                if let Some(v) = entry_terms.get_mut(ord) {
                    v.push(t as u32);
                }
            }
        }
        for v in &mut entry_terms {
            v.sort_unstable();
            v.dedup();
        }
        let mut by_text: Vec<u32> = (0..terms.len() as u32).collect();
        by_text.sort_unstable_by(|&a, &b| terms[a as usize].cmp(&terms[b as usize]));
        let mut text_rank = vec![0u32; terms.len()];
        for (rank, &t) in by_text.iter().enumerate() {
            text_rank[t as usize] = rank as u32;
        }
        Ok(KnowledgeBase {
            text_rank,
            entry_terms,
            entries,
            vocabulary,
            terms,
            entry_field,
            case_field,
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

    /// The words of a text as the index knows them (at most its first
    /// 10,000 characters).
    pub fn query(&self, text: &str) -> Query {
        let text: String = text.chars().take(10_000).collect();
        let norm = normalize(&text);
        let tokens = self.segmenter.tokens(&norm.text);
        self.query_of_tokens(tokens.iter().map(|t| &norm.text[t.start..t.end]))
    }

    /// The query of the tokens of a normalized text (the classifier passes
    /// the tokens it already cut).
    pub fn query_of_tokens<'a>(&self, tokens: impl Iterator<Item = &'a str>) -> Query {
        let mut terms = Vec::new();
        each_word(tokens, |w| {
            if let Some(&id) = self.vocabulary.get(w) {
                terms.push(id);
            }
        });
        // Each word once; `top` orders them by rarity.
        terms.sort_unstable();
        terms.dedup();
        Query { terms }
    }

    /// BM25 of the rarest query terms (at most `MAX_QUERY_TERMS`) present
    /// in the field, summed per document: the scores a BooleanQuery of the
    /// terms would give, without its per-query machinery. Returns (score,
    /// entry ord) best first, and the terms used.
    fn top(&self, field: &Resident, q: &Query, limit: usize) -> (Vec<(f32, usize)>, Vec<u32>) {
        const K1: f32 = 1.2;
        const B: f32 = 0.75;
        // Rarest first, ties in the words' text order (`text_rank`).
        let mut chosen: Vec<(usize, u32, u32)> = q
            .terms
            .iter()
            .map(|&t| (field.df(t), self.text_rank[t as usize], t))
            .filter(|&(df, _, _)| df > 0)
            .collect();
        if chosen.len() > MAX_QUERY_TERMS {
            chosen.select_nth_unstable(MAX_QUERY_TERMS - 1);
            chosen.truncate(MAX_QUERY_TERMS);
        }
        chosen.sort_unstable();
        let used: Vec<u32> = chosen.iter().map(|&(_, _, t)| t).collect();
        if chosen.is_empty() {
            return (Vec::new(), used);
        }
        let n = field.docs;
        let mut acc = vec![0f32; field.doc_ord.len()];
        let mut touched: Vec<u32> = Vec::new();
        for &(df, _, t) in &chosen {
            // A word in more than a quarter of the documents says little
            // and costs the most to score.
            if df * 4 > n {
                continue;
            }
            let idf = (1.0 + (n as f32 - df as f32 + 0.5) / (df as f32 + 0.5)).ln();
            for &(doc, tf) in &field.postings[t as usize] {
                let tf = tf as f32;
                let len = field.doc_len.get(doc as usize).copied().unwrap_or(0.0);
                if let Some(a) = acc.get_mut(doc as usize) {
                    if *a == 0.0 {
                        touched.push(doc);
                    }
                    *a += idf * tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * len / field.avg_len));
                }
            }
        }
        let mut scored: Vec<(f32, usize)> = touched
            .iter()
            .filter_map(|&doc| {
                let s = acc[doc as usize];
                (s > 0.0).then_some((s, *field.doc_ord.get(doc as usize)? as usize))
            })
            .collect();
        // The best `limit`, best first (ties: the earlier entry).
        let order = |a: &(f32, usize), b: &(f32, usize)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
        let k = limit.max(1);
        if scored.len() > k {
            scored.select_nth_unstable_by(k - 1, order);
            scored.truncate(k);
        }
        scored.sort_unstable_by(order);
        (scored, used)
    }

    /// The entries most like `text`, best first. An empty, overlong or
    /// punctuation-only query simply finds nothing.
    pub fn search(&self, text: &str, limit: usize) -> Vec<KnowledgeHit> {
        self.search_query(&self.query(text), limit)
    }

    /// [`search`](Self::search) for a query already made.
    pub fn search_query(&self, q: &Query, limit: usize) -> Vec<KnowledgeHit> {
        let (found, used) = self.top(&self.entry_field, q, limit.min(100));
        found
            .into_iter()
            .filter_map(|(score, ord)| {
                let e = self.entries.get(ord)?;
                // The query words this entry's document holds.
                let mine = self.entry_terms.get(ord).map_or(&[][..], Vec::as_slice);
                let matched_terms = used
                    .iter()
                    .filter(|t| mine.binary_search(t).is_ok())
                    .map(|&t| self.terms[t as usize].to_string())
                    .collect();
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
        self.vote_query(&self.query(text), k)
    }

    /// [`vote`](Self::vote) for a query already made.
    pub fn vote_query(&self, q: &Query, k: usize) -> Option<Vote> {
        let (found, _) = self.top(&self.case_field, q, k);
        let total: f32 = found.iter().map(|(s, _)| s).sum();
        if total <= 0.0 {
            return None;
        }
        let mut by_route: BTreeMap<Route, (f32, Vec<String>)> = BTreeMap::new();
        for (score, ord) in &found {
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
