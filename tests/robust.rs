//! Arbitrary input never panics: control characters, lone combining marks,
//! surrogate-free garbage, and a megabyte of text.

// Test and measurement code: a failure to set up is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{minimal, shipped};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn any_string_classifies(text in any::<String>()) {
        let d = minimal().classify_text(&text);
        prop_assert!((0.0..=1.0).contains(&d.confidence));
        let chars = text.chars().count();
        for hit in &d.explanation.hits {
            for span in &hit.spans {
                prop_assert!(span.start <= span.end && span.end <= chars);
            }
        }
    }

    #[test]
    fn chinese_with_noise_classifies(text in "[\\u{4e00}-\\u{4e80}\\u{0300}-\\u{036f}\\u{0000}-\\u{001f}\\u{ff01}-\\u{ff5e}着火煤气味叫不醒没有如果 ，。！？]{0,200}") {
        let d = shipped().classify_text(&text);
        prop_assert!((0.0..=1.0).contains(&d.confidence));
    }
}

#[test]
fn a_megabyte_of_text_classifies() {
    let unit = "楼上天天半夜咚咚咚，我跟物业说了好几次没人管，没有着火也没有人受伤。\u{0301}\u{200b}\u{0007}🔥";
    let text = unit.repeat(1_000_000 / unit.len() + 1);
    assert!(text.len() >= 1_000_000);
    let d = shipped().classify_text(&text);
    assert!(!d.explanation.decided_by.is_empty());
}

#[test]
fn lone_combining_marks_and_controls() {
    for text in [
        "\u{0301}",
        "\u{0000}",
        "\u{feff}\u{200d}",
        "\r\n\r\n",
        "～～～",
        "。。。",
        "a\u{0301}b",
    ] {
        let d = shipped().classify_text(text);
        assert!(d.review, "{text:?} should be flagged for review");
    }
}
