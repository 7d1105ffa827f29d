//! Text similarity for the authenticity guard: word-trigram shingles compared with Jaccard
//! similarity, after lower-casing and removing links and punctuation.

use std::collections::HashSet;

/// At or above this, two texts count as near-identical.
pub const NEAR_IDENTICAL: f64 = 0.8;

fn words(text: &str) -> Vec<String> {
    text.split_whitespace()
        .filter(|w| {
            !w.starts_with("http://") && !w.starts_with("https://") && !w.starts_with("www.")
        })
        .map(|w| {
            w.chars()
                .filter(|c| c.is_alphanumeric() || *c == '#' || *c == '@')
                .collect::<String>()
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// Word trigrams (or the single words for texts of fewer than three words).
pub fn shingles(text: &str) -> HashSet<String> {
    let words = words(text);
    if words.len() < 3 {
        return words.into_iter().collect();
    }
    words.windows(3).map(|w| w.join(" ")).collect()
}

pub fn jaccard(a: &HashSet<String>, b: &HashSet<String>) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let inter = a.intersection(b).count() as f64;
    let union = a.union(b).count() as f64;
    if union == 0.0 { 0.0 } else { inter / union }
}

pub fn similarity(a: &str, b: &str) -> f64 {
    jaccard(&shingles(a), &shingles(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_copies_match_and_personal_texts_do_not() {
        let suggested =
            "Proud of our team: we just launched the new analytics platform! https://x.co/a";
        let copy =
            "proud of our team - we just launched the NEW analytics platform!! https://x.co/zzz";
        let personal = "I spent six months on this with an amazing crew; the dashboards finally load in a second.";
        assert!(similarity(suggested, copy) >= NEAR_IDENTICAL);
        assert!(similarity(suggested, personal) < 0.2);
        assert_eq!(similarity("", ""), 1.0);
        assert!(similarity("a b", "c d") < 0.01);
    }
}
