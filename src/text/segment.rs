//! Segmentation: jieba with the domain dictionaries.
//!
//! jieba's default dictionary takes about 140 ms to load, so it is loaded
//! once per process and cloned for each rule set that adds its own words.

use std::sync::{Arc, OnceLock};

use jieba_rs::Jieba;

static BASE: OnceLock<Jieba> = OnceLock::new();

fn base() -> &'static Jieba {
    BASE.get_or_init(Jieba::new)
}

/// A token of the normalized text, in bytes of that text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub start: usize,
    pub end: usize,
}

/// jieba loaded with the default dictionary and a rule set's words.
#[derive(Clone)]
pub struct Segmenter {
    jieba: Arc<Jieba>,
}

impl std::fmt::Debug for Segmenter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Segmenter").finish_non_exhaustive()
    }
}

impl Default for Segmenter {
    fn default() -> Self {
        Segmenter {
            jieba: Arc::new(base().clone()),
        }
    }
}

impl Segmenter {
    /// The default dictionary plus `words` (word, optional frequency).
    pub fn with_words<'a>(words: impl IntoIterator<Item = (&'a str, Option<usize>)>) -> Segmenter {
        let mut jieba = base().clone();
        for (word, freq) in words {
            let word = word.trim();
            if !word.is_empty() {
                jieba.add_word(word, freq, None);
            }
        }
        Segmenter {
            jieba: Arc::new(jieba),
        }
    }

    /// The underlying jieba, for components that must segment the same way
    /// (the knowledge index).
    pub fn jieba(&self) -> &Arc<Jieba> {
        &self.jieba
    }

    /// Cuts `text` into tokens (byte ranges of `text`), without the HMM so
    /// that unknown words are not glued to domain words.
    pub fn tokens(&self, text: &str) -> Vec<Token> {
        self.jieba
            .cut(text, false)
            .into_iter()
            .map(|t| Token {
                start: t.byte_start,
                end: t.byte_end,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(seg: &Segmenter, text: &str) -> Vec<String> {
        seg.tokens(text)
            .iter()
            .map(|t| text[t.start..t.end].to_string())
            .collect()
    }

    #[test]
    fn user_words_come_out_whole() {
        let seg = Segmenter::with_words([("劳动仲裁", Some(2000)), ("煤气味", Some(2000))]);
        let w = words(&seg, "我申请了劳动仲裁，家里有煤气味");
        assert!(w.contains(&"劳动仲裁".to_string()), "{w:?}");
        assert!(w.contains(&"煤气味".to_string()), "{w:?}");
    }

    #[test]
    fn tokens_cover_the_text() {
        let seg = Segmenter::default();
        let text = "楼上天天咚咚咚到半夜，abc 123";
        let toks = seg.tokens(text);
        let joined: String = toks.iter().map(|t| &text[t.start..t.end]).collect();
        assert_eq!(joined, text);
    }
}
