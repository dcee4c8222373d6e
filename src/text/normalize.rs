//! Normalization with an offset map back to the original text.
//!
//! Every output character comes from exactly one input character, so the map
//! is one original character index per normalized character; spans found in
//! the normalized text are reported in the caller's own characters.

/// An appeal after normalization.
#[derive(Debug, Clone, Default)]
pub struct Normalized {
    /// The normalized text: simplified, half-width, lower-case ASCII, noise
    /// removed, whitespace folded.
    pub text: String,
    /// Per normalized character: where it is and where it came from.
    chars: Vec<CharAt>,
    /// Number of characters in the original text.
    orig_len: usize,
    /// Character indexes of the clause punctuation in `text`, in order:
    /// noted while folding, so clause splitting need not read the text
    /// again.
    breaks: Vec<u32>,
    /// What stood between paired quotation marks (“…”, 「…」, "…"), as
    /// normalized character ranges `[start, end)`; the marks themselves are
    /// dropped from `text`.
    quotes: Vec<(u32, u32)>,
}

/// Where a normalized character is, and the original character it came
/// from.
#[derive(Debug, Clone, Copy, Default)]
struct CharAt {
    /// Byte offset in the normalized text.
    byte: u32,
    /// Index of the original character.
    orig: u32,
    /// Byte offset of the original character.
    orig_byte: u32,
}

impl Normalized {
    /// Number of normalized characters.
    pub fn char_len(&self) -> usize {
        self.chars.len()
    }

    /// The normalized character index of a byte offset into `text` (the
    /// character that starts at or contains it; past the end: the length).
    pub fn char_at_byte(&self, byte: usize) -> usize {
        if byte >= self.text.len() {
            return self.chars.len();
        }
        self.chars
            .partition_point(|c| c.byte as usize <= byte)
            .saturating_sub(1)
    }

    /// Character indexes of the clause punctuation, in order.
    pub fn clause_breaks(&self) -> &[u32] {
        &self.breaks
    }

    /// The quoted ranges, in normalized characters, in order.
    pub fn quotes(&self) -> &[(u32, u32)] {
        &self.quotes
    }

    /// The byte offset in `text` of a normalized character index (past the
    /// end: the length).
    pub fn byte_of(&self, char_idx: usize) -> usize {
        self.chars
            .get(char_idx)
            .map_or(self.text.len(), |c| c.byte as usize)
    }

    /// Maps a normalized character range `[start, end)` to the byte range
    /// of `original` (the text this was normalized from) it covers.
    pub fn original_bytes(&self, original: &str, start: usize, end: usize) -> (usize, usize) {
        if start >= end || start >= self.char_len() {
            let at = self
                .chars
                .get(start)
                .map_or(original.len(), |c| c.orig_byte as usize);
            return (at, at);
        }
        let first = self.chars[start].orig_byte as usize;
        let last = self.chars[end.min(self.char_len()) - 1].orig_byte as usize;
        let last_len = original
            .get(last..)
            .and_then(|s| s.chars().next())
            .map_or(0, char::len_utf8);
        (first, last + last_len)
    }

    /// Maps a normalized character range `[start, end)` to the original
    /// character range it covers.
    pub fn to_original(&self, start: usize, end: usize) -> (usize, usize) {
        if start >= end || start >= self.char_len() {
            let at = self
                .chars
                .get(start)
                .map_or(self.orig_len, |c| c.orig as usize);
            return (at, at);
        }
        let first = self.chars[start].orig as usize;
        let last = self.chars[end.min(self.char_len()) - 1].orig as usize;
        (first, last + 1)
    }
}

/// A quotation mark: which pair it belongs to (0 “”, 1 「」, 2 『』, 3 ‘’,
/// 4 the straight marks) and whether it opens, closes, or (straight) does
/// both by turns.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Quote {
    Open(u8),
    Close(u8),
    Straight,
}

const STRAIGHT: u8 = 4;

fn quote_mark(c: char) -> Option<Quote> {
    match c {
        '“' => Some(Quote::Open(0)),
        '”' => Some(Quote::Close(0)),
        '「' => Some(Quote::Open(1)),
        '」' => Some(Quote::Close(1)),
        '『' => Some(Quote::Open(2)),
        '』' => Some(Quote::Close(2)),
        '‘' => Some(Quote::Open(3)),
        '’' => Some(Quote::Close(3)),
        '"' | '＂' => Some(Quote::Straight),
        _ => None,
    }
}

/// Pairs quotation marks as they come: a closing mark closes the nearest
/// open mark of its own pair (dropping any left open inside it), a straight
/// mark closes an open straight mark or opens one; an unmatched closing
/// mark is ignored. Ranges are normalized character indexes.
#[derive(Default)]
struct QuotePairs {
    open: Vec<(u8, u32)>,
    closed: Vec<(u32, u32)>,
}

impl QuotePairs {
    fn mark(&mut self, q: Quote, at: u32) {
        let (pair, closes) = match q {
            Quote::Open(p) => (p, false),
            Quote::Close(p) => (p, true),
            Quote::Straight => (STRAIGHT, self.open.iter().any(|o| o.0 == STRAIGHT)),
        };
        if !closes {
            self.open.push((pair, at));
            return;
        }
        if let Some(i) = self.open.iter().rposition(|o| o.0 == pair) {
            let start = self.open[i].1;
            self.open.truncate(i);
            if at > start {
                self.closed.push((start, at));
            }
        }
    }

    /// The closed ranges by start (an outer quotation before those inside).
    fn finish(mut self) -> Vec<(u32, u32)> {
        self.closed
            .sort_unstable_by_key(|&(s, e)| (s, std::cmp::Reverse(e)));
        self.closed
    }
}

/// What happens to one input character.
enum Fold {
    Keep(char),
    Space,
    Drop,
}

fn fold(c: char) -> Fold {
    // Ideographs are most of every appeal: decide them first.
    if is_cjk(c) {
        return Fold::Keep(c);
    }
    match c {
        // Full-width ASCII variants and the ideographic space.
        '\u{FF01}'..='\u{FF5E}' => fold_ascii(char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)),
        '\u{3000}' => Fold::Space,
        '\n' | '\r' | '\u{2028}' | '\u{2029}' => Fold::Keep('\n'),
        c if c.is_whitespace() => Fold::Space,
        c if c.is_ascii() => fold_ascii(c),
        // Clause punctuation the splitter and cue scopes rely on.
        '。' | '、' | '…' => Fold::Keep(c),
        c if is_cjk(c) || c.is_alphanumeric() => Fold::Keep(c),
        // Emoji, symbols, quotes, brackets, combining marks, zero-width and
        // control characters: noise a caller or an agent put between words.
        _ => Fold::Drop,
    }
}

fn fold_ascii(c: char) -> Fold {
    match c {
        c if c.is_ascii_alphanumeric() => Fold::Keep(c.to_ascii_lowercase()),
        ',' => Fold::Keep('，'),
        ';' => Fold::Keep('；'),
        '?' => Fold::Keep('？'),
        '!' => Fold::Keep('！'),
        ':' => Fold::Keep('：'),
        // Kept for numbers, times and plates: 3.5, 10:30, 琼A-12345.
        '.' | '-' | '/' | '%' | '@' => Fold::Keep(c),
        c if c.is_ascii_whitespace() => Fold::Space,
        _ => Fold::Drop,
    }
}

/// Whether a character is a CJK ideograph (the blocks callers write in).
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2EBEF}' | '\u{3007}')
}

/// Characters fast2s converts by their neighbours (and 著, fixed here).
/// Sorted, for a binary search.
const CONTEXTUAL: &[char] = &[
    '乾', '兒', '夥', '幺', '於', '畫', '瞭', '苧', '著', '藉', '覆', '讎', '鍾', '闔', '麽',
];

const TABLE_START: u32 = 0x3400;
const TABLE_END: u32 = 0xFAFF;

/// Traditional characters and their simplified forms, built once from
/// fast2s's own mapping: a bitset (6 KiB, cache-resident) says which
/// characters need a look (they change, or fast2s converts them by their
/// neighbours), a sorted list says into what. Most characters of an appeal
/// are simplified already and cost one bit test.
struct T2s {
    special: Vec<u64>,
    pairs: Vec<(char, char)>,
}

fn t2s() -> &'static T2s {
    static TABLE: std::sync::OnceLock<T2s> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut special = vec![0u64; ((TABLE_END - TABLE_START) as usize) / 64 + 1];
        let mut pairs = Vec::new();
        let mut buf = [0u8; 4];
        for u in TABLE_START..=TABLE_END {
            let Some(ch) = char::from_u32(u) else {
                continue;
            };
            let to = fast2s::convert(ch.encode_utf8(&mut buf))
                .chars()
                .next()
                .unwrap_or(ch);
            let i = (u - TABLE_START) as usize;
            if to != ch {
                pairs.push((ch, to));
            }
            if to != ch || CONTEXTUAL.binary_search(&ch).is_ok() {
                special[i / 64] |= 1 << (i % 64);
            }
        }
        T2s { special, pairs }
    })
}

/// What the table says of one character.
enum Simplified {
    Same,
    To(char),
    /// fast2s converts it by its neighbours: the whole text takes fast2s.
    Contextual,
}

impl T2s {
    fn of(&self, c: char) -> Simplified {
        let code = c as u32;
        if !(TABLE_START..=TABLE_END).contains(&code) {
            return Simplified::Same;
        }
        let i = (code - TABLE_START) as usize;
        if self.special[i / 64] & (1 << (i % 64)) == 0 {
            return Simplified::Same;
        }
        if CONTEXTUAL.binary_search(&c).is_ok() {
            return Simplified::Contextual;
        }
        self.pairs
            .binary_search_by_key(&c, |p| p.0)
            .map_or(Simplified::Same, |k| Simplified::To(self.pairs[k].1))
    }
}

/// 著 is both a simplified character (著名, 显著) and the traditional form of
/// 着 (著火, 睡著, 拿著). A character table keeps it as 著, so the verb forms
/// callers write in traditional text are fixed here, from the neighbours.
fn fix_zhe(mut chars: Vec<char>) -> Vec<char> {
    const NEXT_KEEP: &[char] = &['名', '作', '称', '述', '录', '书', '者', '文'];
    const PREV_KEEP: &[char] = &[
        '显', '土', '卓', '巨', '原', '编', '名', '论', '遗', '专', '新', '拙', '昭', '撰', '合',
        '译',
    ];
    for i in 0..chars.len() {
        if chars[i] != '著' {
            continue;
        }
        let next = chars.get(i + 1).copied();
        let prev = i.checked_sub(1).and_then(|p| chars.get(p)).copied();
        if !next.is_some_and(|c| NEXT_KEEP.contains(&c))
            && !prev.is_some_and(|c| PREV_KEEP.contains(&c))
        {
            chars[i] = '着';
        }
    }
    chars
}

/// Normalizes an appeal and keeps the map back to its characters.
///
/// ```
/// let n = fenliu::text::normalize("樓上著 火了！！ＡＢＣ");
/// assert_eq!(n.text, "楼上着火了！！abc");
/// // "火" is the fourth normalized character and the fifth original one.
/// assert_eq!(n.to_original(3, 4), (4, 5));
/// ```
pub fn normalize(original: &str) -> Normalized {
    // fast2s maps character to character (with a little context for a few
    // characters), so the simplified text lines up with the original one
    // character for one. The common case is a table lookup per character;
    // a text holding one of the context-sensitive characters starts over on
    // fast2s's own path.
    let table = t2s();
    let fast = fold_all(original, |_, c| match table.of(c) {
        Simplified::Same => Some(c),
        Simplified::To(t) => Some(t),
        Simplified::Contextual => None,
    });
    let mut n = fast.unwrap_or_else(|| slow_path(original));
    fold_variants(&mut n);
    n
}

/// fast2s's own path, for a text holding a context-sensitive character.
fn slow_path(original: &str) -> Normalized {
    let simplified = fast2s::convert(original);
    let chars: Vec<char> = if simplified.chars().count() == original.chars().count() {
        simplified.chars().collect()
    } else {
        original.chars().collect()
    };
    let chars = fix_zhe(chars);
    // This closure never gives up: the default is never taken.
    fold_all(original, |i, c| Some(chars.get(i).copied().unwrap_or(c))).unwrap_or_default()
}

/// Variant and homophone characters that simplification keeps but callers
/// mix up, where the keywords are written the standard way: 帐 for 账 in
/// money words (安全帐户, 转帐, 帐号; 帐篷 and 蚊帐 keep 帐), 身分证 for
/// 身份证, and 汽 for 气 after 燃, 煤, 天然 and 液化 (汽车 keeps it). One
/// character for one of the same length, so every offset stays valid.
fn fold_variants(n: &mut Normalized) {
    /// Characters after which 帐 is money: 转帐, 记帐, 欠帐 …
    const MONEY_BEFORE: &str = "转记对算查赖欠结报入到销收付挂做假烂";
    /// Characters before which it is: 帐户, 帐号, 帐单 …
    const MONEY_AFTER: &str = "户号单目本款";
    // One scan per variant; the common text stops here (分 alone is too
    // common a character to stop anything).
    if !n.text.contains('帐') && !n.text.contains("身分证") && !n.text.contains('汽') {
        return;
    }
    let mut fixes: Vec<(usize, &str)> = Vec::new();
    let mut prev = None;
    let mut chars = n.text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        let next = chars.peek().map(|&(_, c)| c);
        let is = |c: Option<char>, set: &str| c.is_some_and(|c| set.contains(c));
        match c {
            '帐' if is(prev, MONEY_BEFORE) || is(next, MONEY_AFTER) => fixes.push((at, "账")),
            '分' if prev == Some('身') && next == Some('证') => fixes.push((at, "份")),
            // 燃汽, 煤汽, 天然汽, 液化汽: the gas, not steam.
            '汽' if is(prev, "燃煤然化") => fixes.push((at, "气")),
            _ => {}
        }
        prev = Some(c);
    }
    for (at, to) in fixes {
        // Three bytes for three bytes: the text keeps its length.
        n.text.replace_range(at..at + to.len(), to);
    }
}

/// Folds every character of `original` after `simplify` (which may give up
/// on a character: `None`).
fn fold_all(original: &str, simplify: impl Fn(usize, char) -> Option<char>) -> Option<Normalized> {
    let mut out = Normalized {
        text: String::with_capacity(original.len()),
        // Upper bounds: no growing on the way.
        chars: Vec::with_capacity(original.len()),
        orig_len: 0,
        breaks: Vec::new(),
        quotes: Vec::new(),
    };
    let mut quotes = QuotePairs::default();
    // The original character (index, byte) of a space not yet written.
    let mut pending_space: Option<(usize, usize)> = None;
    let mut last: Option<char> = None;
    let mut n = 0;
    for (i, (byte, c)) in original.char_indices().enumerate() {
        n = i + 1;
        let c = simplify(i, c)?;
        // Most characters of an appeal are ideographs that stay as they
        // are and end no clause: no space is kept before one.
        if is_cjk(c) {
            pending_space = None;
            out.push(c, i, byte);
            last = Some(c);
            continue;
        }
        match fold(c) {
            Fold::Drop => {
                if let Some(q) = quote_mark(c) {
                    quotes.mark(q, out.chars.len() as u32);
                }
            }
            Fold::Space => {
                if last.is_some() && pending_space.is_none() {
                    pending_space = Some((i, byte));
                }
            }
            Fold::Keep(k) => {
                if let (Some((at, at_byte)), Some(prev)) = (pending_space.take(), last) {
                    // A space only separates two ASCII words; between
                    // ideographs or next to punctuation it is noise.
                    if prev.is_ascii_alphanumeric() && k.is_ascii_alphanumeric() {
                        out.push(' ', at, at_byte);
                    }
                }
                if k == '\n' && last == Some('\n') {
                    continue;
                }
                if super::clause::is_clause_break(k) {
                    out.breaks.push(out.chars.len() as u32);
                }
                out.push(k, i, byte);
                last = Some(k);
            }
        }
    }
    out.orig_len = n;
    out.quotes = quotes.finish();
    Some(out)
}

impl Normalized {
    #[inline(always)]
    fn push(&mut self, c: char, from: usize, from_byte: usize) {
        self.chars.push(CharAt {
            byte: self.text.len() as u32,
            orig: from as u32,
            orig_byte: from_byte as u32,
        });
        self.text.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (original, the quoted parts of the normalized text)
    const QUOTED: &[(&str, &[&str])] = &[
        ("家长觉得被“骗”了", &["骗"]),
        ("说我\"偷\"了，还喊「抓小偷」", &["偷", "抓小偷"]),
        ("他说“你再来我就砍你”", &["你再来我就砍你"]),
        ("没有引号", &[]),
        ("只开不关“骗", &[]),
        ("空的“”引号", &[]),
        // Pairs close their own kind; an inner pair inside an outer one.
        ("他说“我被\"骗\"了”", &["我被骗了", "骗"]),
        ("“他说‘偷’了”", &["他说偷了", "偷"]),
        ("「一半”没关", &[]),
        ("多余的”收尾“开头", &[]),
    ];

    #[test]
    fn quotations_are_noted_where_they_stood() {
        for (original, want) in QUOTED {
            let n = normalize(original);
            let got: Vec<&str> = n
                .quotes()
                .iter()
                .map(|&(s, e)| &n.text[n.byte_of(s as usize)..n.byte_of(e as usize)])
                .collect();
            assert_eq!(&got, want, "{original}");
        }
    }

    /// (original, normalized)
    const CASES: &[(&str, &str)] = &[
        ("着 火", "着火"),
        ("着~火", "着火"),
        ("着🔥火了", "着火了"),
        ("著火了", "着火了"),
        ("他很著名，拿著刀", "他很著名，拿着刀"),
        ("瓦斯外洩，門打不開", "瓦斯外泄，门打不开"),
        ("電梯裡有人", "电梯里有人"),
        ("ＫＴＶ太吵，１２点还唱", "ktv太吵，12点还唱"),
        ("  hello   world  ", "hello world"),
        ("救命!!", "救命！！"),
        ("第一行\n\n\n第二行", "第一行\n第二行"),
        ("琼A-12345", "琼a-12345"),
        ("“冒烟”了", "冒烟了"),
        ("", ""),
        ("\u{0301}\u{200B}", ""),
        ("转到安全帐户，帐号发我", "转到安全账户，账号发我"),
        ("帐篷和蚊帐", "帐篷和蚊帐"),
        ("身分证掉了，分身乏术", "身份证掉了，分身乏术"),
        ("燃汽味，煤汽罐，汽车", "燃气味，煤气罐，汽车"),
    ];

    #[test]
    fn normalizes_table() {
        for (input, want) in CASES {
            assert_eq!(normalize(input).text, *want, "input {input:?}");
        }
    }

    #[test]
    fn offsets_point_into_the_original() {
        let original = "樓上 ~ 著火了";
        let n = normalize(original);
        assert_eq!(n.text, "楼上着火了");
        let orig: Vec<char> = original.chars().collect();
        // 着火 is normalized chars 2..4.
        let (s, e) = n.to_original(2, 4);
        let span: String = orig[s..e].iter().collect();
        assert_eq!(span, "著火");
        let (bs, be) = n.original_bytes(original, 2, 4);
        assert_eq!(&original[bs..be], "著火");
        // A space kept between ASCII words maps to the space it came from.
        let words = "call  110 now";
        let w = normalize(words);
        assert_eq!(w.text, "call 110 now");
        let (bs, be) = w.original_bytes(words, 4, 5);
        assert_eq!(&words[bs..be], " ");
        // An empty range is a point: before "now", or past the end.
        assert_eq!(w.original_bytes(words, 9, 9), (10, 10));
        assert_eq!(w.original_bytes(words, 12, 12), (words.len(), words.len()));
        // Byte offsets of the normalized text map to characters.
        let byte = n.text.find('火').unwrap_or_default();
        assert_eq!(n.char_at_byte(byte), 3);
        assert_eq!(n.char_at_byte(n.text.len()), 5);
    }

    #[test]
    fn contextual_characters_are_sorted() {
        assert!(CONTEXTUAL.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn empty_range_maps_to_a_point() {
        let n = normalize("火");
        assert_eq!(n.to_original(1, 1), (1, 1));
        assert_eq!(n.to_original(5, 9), (1, 1));
    }
}
