//! An offline, deterministic embedding of a claim: hashed text features (character
//! 3-5-grams, words, word pairs) beside soft-binned structured features (component,
//! cost, labour, odometer, shop). No downloaded weights: a reworded copy of the same story
//! from the same shop with the same amounts lands close, an unrelated claim far.
//!
//! Layout: `TEXT_DIMS` signed-hashed text dimensions, then `STRUCT_DIMS` structured ones.
//! Each block is L2-normalized and weighted so that the cosine of two claims is
//! `TEXT_WEIGHT * cos(text) + (1 - TEXT_WEIGHT) * cos(structured)`.

use shared_schemas::events::Component;

use crate::domain::model::Claim;

/// Dimensions of an embedding.
pub const DIMS: usize = 384;
/// Text block (hashed n-grams and words).
const TEXT_DIMS: usize = 320;
/// Share of the cosine that comes from the text (the rest from the structured block).
const TEXT_WEIGHT: f32 = 0.5;

/// Structured groups: (length, weight). Order: component, cost, labour, odometer, region,
/// shop id. Their lengths sum to `DIMS - TEXT_DIMS`.
const GROUPS: [(usize, f32); 6] = [
    (8, 2.0),
    (16, 1.0),
    (12, 1.0),
    (12, 0.5),
    (8, 0.5),
    (8, 1.0),
];

/// Words that carry no story (they would make every English description alike).
const STOPWORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "been", "but", "by", "for", "from", "had", "has",
    "have", "in", "into", "is", "it", "its", "of", "on", "or", "so", "that", "the", "then",
    "there", "this", "to", "was", "were", "which", "with",
];

/// The claim's embedding: `DIMS` floats, unit length.
pub fn embed(claim: &Claim) -> Vec<f32> {
    let mut v = text_block(&claim_text(claim));
    v.extend(structured_block(claim));
    v
}

/// A cosine score as the 0..1 similarity of the model (negative = unrelated = 0).
pub fn to_similarity(cosine: f32) -> f64 {
    f64::from(cosine).clamp(0.0, 1.0)
}

/// The claim's words: description, component and shop name, lowercased, punctuation
/// dropped, stopwords removed.
fn claim_text(claim: &Claim) -> Vec<String> {
    let raw = format!(
        "{} {} {}",
        claim.description,
        claim.component.as_str().replace('_', " "),
        claim.shop.name
    );
    raw.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !STOPWORDS.contains(w))
        .map(str::to_owned)
        .collect()
}

/// FNV-1a (stable across runs and Rust versions, unlike `DefaultHasher`).
fn fnv1a(kind: u8, bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ u64::from(kind);
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    // Final avalanche so nearby inputs spread over the buckets and the sign bit.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}

/// Signed feature hashing with sublinear term frequency, L2-normalized and scaled to
/// `sqrt(TEXT_WEIGHT)`.
fn text_block(words: &[String]) -> Vec<f32> {
    let mut counts: std::collections::HashMap<u64, (f32, f32)> = std::collections::HashMap::new();
    let mut add = |kind: u8, feature: &[u8], weight: f32| {
        let entry = counts.entry(fnv1a(kind, feature)).or_insert((0.0, weight));
        entry.0 += 1.0;
    };
    let joined: Vec<char> = format!(" {} ", words.join(" ")).chars().collect();
    for n in 3..=5 {
        for gram in joined.windows(n) {
            add(n as u8, gram.iter().collect::<String>().as_bytes(), 1.0);
        }
    }
    for w in words {
        add(1, w.as_bytes(), 2.0);
    }
    for pair in words.windows(2) {
        add(2, format!("{} {}", pair[0], pair[1]).as_bytes(), 1.5);
    }
    let mut v = vec![0.0_f32; TEXT_DIMS];
    for (h, (count, weight)) in counts {
        let sign = if h >> 63 == 0 { 1.0 } else { -1.0 };
        // The modulus is below TEXT_DIMS, so the cast is lossless.
        #[allow(clippy::cast_possible_truncation)]
        let idx = (h % TEXT_DIMS as u64) as usize;
        v[idx] += sign * weight * (1.0 + count.ln());
    }
    scale_to(&mut v, TEXT_WEIGHT.sqrt());
    v
}

/// Component one-hot, soft bins of log cost, labour hours and odometer, hashed region and
/// shop id; each group unit length times the square root of its weight, the block scaled
/// to `sqrt(1 - TEXT_WEIGHT)`.
fn structured_block(claim: &Claim) -> Vec<f32> {
    let total = claim.cost.total().max(1.0);
    let groups: [Vec<f32>; 6] = [
        one_hot(GROUPS[0].0, component_index(claim.component)),
        soft_bins(GROUPS[1].0, total.log10(), 1.25, 0.25),
        soft_bins(
            GROUPS[2].0,
            claim.cost.labour_hours.max(0.0).ln_1p(),
            0.0,
            0.25,
        ),
        soft_bins(GROUPS[3].0, claim.odometer_km.max(0.0) / 50_000.0, 0.0, 0.8),
        hashed_one_hot(GROUPS[4].0, 10, &claim.shop.region),
        hashed_one_hot(GROUPS[5].0, 11, &claim.shop.id),
    ];
    let weight_sum: f32 = GROUPS.iter().map(|g| g.1).sum();
    let mut v = Vec::with_capacity(DIMS - TEXT_DIMS);
    for (mut g, (_, w)) in groups.into_iter().zip(GROUPS) {
        scale_to(&mut g, (w / weight_sum).sqrt());
        v.extend(g);
    }
    scale_to(&mut v, (1.0 - TEXT_WEIGHT).sqrt());
    v
}

fn component_index(c: Component) -> usize {
    Component::ALL.iter().position(|x| *x == c).unwrap_or(0)
}

fn one_hot(len: usize, idx: usize) -> Vec<f32> {
    let mut v = vec![0.0; len];
    v[idx.min(len - 1)] = 1.0;
    v
}

fn hashed_one_hot(len: usize, kind: u8, key: &str) -> Vec<f32> {
    #[allow(clippy::cast_possible_truncation)]
    let idx = (fnv1a(kind, key.trim().to_lowercase().as_bytes()) % len as u64) as usize;
    one_hot(len, idx)
}

/// Gaussian bumps at `first + i * step` (width = `step` bins on the value's scale), so
/// nearby values share bins and distant ones do not.
fn soft_bins(len: usize, value: f64, first: f64, step: f64) -> Vec<f32> {
    (0..len)
        .map(|i| {
            #[allow(clippy::cast_precision_loss)]
            let center = (i as f64).mul_add(step, first);
            let z = (value - center) / step;
            #[allow(clippy::cast_possible_truncation)]
            let w = (-0.5 * z * z).exp() as f32;
            w
        })
        .collect()
}

/// Scales `v` to length `len` (a zero vector stays zero).
fn scale_to(v: &mut [f32], len: f32) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x *= len / norm);
    }
}

/// Cosine of two embeddings (both unit length: their dot product).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::similar::testdata::{Corpus, reword};

    #[test]
    fn unit_length_fixed_size_and_deterministic() {
        let corpus = Corpus::new(7, 20);
        for c in &corpus.claims {
            let v = embed(c);
            assert_eq!(v.len(), DIMS);
            let norm = cosine(&v, &v);
            assert!((norm - 1.0).abs() < 1e-4, "norm {norm}");
            assert_eq!(v, embed(c));
        }
    }

    #[test]
    fn a_reworded_copy_is_close_and_unrelated_claims_are_far() {
        let corpus = Corpus::new(11, 300);
        let mut reworded = Vec::new();
        let mut unrelated = Vec::new();
        for (i, c) in corpus.claims.iter().enumerate() {
            let copy = reword(c, i as u64);
            reworded.push(cosine(&embed(c), &embed(&copy)));
            let other = &corpus.claims[(i + 1) % corpus.claims.len()];
            if other.component != c.component && other.shop.id != c.shop.id {
                unrelated.push(cosine(&embed(c), &embed(other)));
            }
        }
        let min_reworded = reworded.iter().copied().fold(f32::MAX, f32::min);
        let max_unrelated = unrelated.iter().copied().fold(f32::MIN, f32::max);
        eprintln!(
            "reworded: min {min_reworded:.3}, mean {:.3}; unrelated: max {max_unrelated:.3}, mean {:.3}",
            mean(&reworded),
            mean(&unrelated)
        );
        assert!(min_reworded > 0.8, "a reworded copy at {min_reworded}");
        assert!(max_unrelated < 0.5, "an unrelated claim at {max_unrelated}");
    }

    #[test]
    fn the_amounts_matter_not_only_the_words() {
        let corpus = Corpus::new(3, 1);
        let c = &corpus.claims[0];
        let mut pricier = c.clone();
        pricier.cost.labour_hours *= 6.0;
        for p in &mut pricier.cost.parts {
            p.unit_price *= 10.0;
        }
        let same = cosine(&embed(c), &embed(&reword(c, 1)));
        let inflated = cosine(&embed(c), &embed(&pricier));
        assert!(inflated < same, "inflated {inflated} vs reworded {same}");
    }

    fn mean(xs: &[f32]) -> f32 {
        #[allow(clippy::cast_precision_loss)]
        let n = xs.len().max(1) as f32;
        xs.iter().sum::<f32>() / n
    }
}
