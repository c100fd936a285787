//! # lrfind-data — reference data as plain arrays
//!
//! The datasets lrfind's examples, tests and benchmarks train on, with no deep-learning framework
//! attached, so that every adapter (burn, candle, …) reads the *same* rows in the *same* batch
//! order: [`digits`] (the UCI optical digits, embedded) as a [`Classification`] set, and
//! [`batch_rows`], the seeded order in which rows are grouped into mini-batches.
//!
//! ```
//! let (train, held_out) = lrfind_data::digits::split();
//! assert_eq!((train.len(), held_out.len(), train.dim), (1500, 297, 64));
//! let batches = lrfind_data::batch_rows(train.len(), 64, 0, true);
//! assert_eq!(batches.len(), 1500 / 64);
//! ```

#![warn(missing_docs)]

pub mod digits;
pub mod idx;
pub mod table;
pub mod text;

/// A classification dataset in memory: `n` rows of `dim` features and a label each.
#[derive(Debug, Clone, PartialEq)]
pub struct Classification {
    /// Row-major `[n, dim]` features.
    pub features: Vec<f32>,
    /// One label in `0..classes` per row.
    pub labels: Vec<i64>,
    /// Features per row.
    pub dim: usize,
    /// Number of classes.
    pub classes: usize,
}

impl Classification {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Rows `range` as a new dataset.
    pub fn slice(&self, range: std::ops::Range<usize>) -> Classification {
        Classification {
            features: self.features[range.start * self.dim..range.end * self.dim].to_vec(),
            labels: self.labels[range].to_vec(),
            dim: self.dim,
            classes: self.classes,
        }
    }
}

/// Gathers rows `rows` of a row-major matrix with `dim` columns.
pub fn gather<T: Copy>(values: &[T], dim: usize, rows: &[usize]) -> Vec<T> {
    let mut out = Vec::with_capacity(rows.len() * dim);
    for &r in rows {
        out.extend_from_slice(&values[r * dim..(r + 1) * dim]);
    }
    out
}

/// The rows of each mini-batch of a pass over `n` rows: the rows in an order shuffled by `seed`
/// ([`shuffle`]), cut into batches of `batch_size` (at least 1). With `drop_last` the last,
/// smaller batch is dropped when there is more than one batch, as PyTorch's `drop_last`; without,
/// every row is served once (for evaluation).
pub fn batch_rows(n: usize, batch_size: usize, seed: u64, drop_last: bool) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..n).collect();
    shuffle(&mut order, seed);
    let batch_size = batch_size.max(1);
    let count = if drop_last {
        (n / batch_size).max(1)
    } else {
        n.div_ceil(batch_size).max(1)
    };
    (0..count)
        .map(|b| order[(b * batch_size).min(n)..((b + 1) * batch_size).min(n)].to_vec())
        .collect()
}

/// Fisher–Yates with [`SplitMix64`]: the same order for the same seed on every platform.
pub fn shuffle(items: &mut [usize], seed: u64) {
    let mut rng = SplitMix64(seed);
    for i in (1..items.len()).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

/// SplitMix64 (Steele, Lea & Flood 2014): a tiny generator with the same stream on every
/// platform, for seeded orders and weights. The state is the seed.
#[derive(Debug, Clone)]
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A uniform number in `[lo, hi)` (53 random bits).
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_cover_each_row_at_most_once_in_a_seeded_order() {
        let a = batch_rows(10, 3, 7, true);
        assert_eq!(a.len(), 3);
        let mut seen: Vec<usize> = a.concat();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 9);
        assert_eq!(a, batch_rows(10, 3, 7, true));
        assert_ne!(a, batch_rows(10, 3, 8, true));
        let all = batch_rows(10, 3, 7, false);
        assert_eq!((all.len(), all[3].len()), (4, 1));
        assert_eq!(
            batch_rows(2, 5, 0, true),
            vec![batch_rows(2, 5, 0, false)[0].clone()]
        );
    }
}
