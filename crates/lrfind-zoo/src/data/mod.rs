//! The reference datasets as burn batches: digits and IDX images (classification), CSV tables
//! (classification or regression) and text (next character); parsing in [`idx`], [`table`] and
//! [`text`], tensors built here and in each file's `Rows` impl.

pub use lrfind_data::{idx, table, text};

use burn::prelude::*;
pub use lrfind_burn::Batches;

/// The embedded UCI digits ([`lrfind_data::digits`]: plain arrays, shared with every adapter).
pub use lrfind_data::digits;
use lrfind_data::gather;
use lrfind_data::table::Regression;
use lrfind_data::text::Windows;
/// A classification dataset in memory ([`lrfind_data::Classification`]).
pub use lrfind_data::Classification;

/// The data seam ([`lrfind::BatchSource`], shared with every adapter).
pub use lrfind::BatchSource;

/// One batch of inputs and integer targets, already on the device.
#[derive(Debug, Clone)]
pub struct ClassBatch {
    /// `[n, features]`.
    pub inputs: Tensor<2>,
    /// `[n]` class indices.
    pub targets: Tensor<1, Int>,
}

/// A dataset that can gather any of its rows into a batch on a device.
pub trait Rows {
    /// The batch type it builds.
    type Batch;
    /// Number of rows (examples).
    fn rows(&self) -> usize;
    /// The batch of rows `rows`, in that order.
    fn batch(&self, rows: &[usize], device: &Device) -> Self::Batch;
}

/// Training batches of `data`: shuffled with `seed`, the last smaller batch dropped.
pub fn training<B, D: Rows<Batch = B>>(
    data: &D,
    batch_size: usize,
    seed: u64,
    device: &Device,
) -> Batches<B> {
    build(data, batch_size, seed, true, device)
}

/// Evaluation batches of `data`: every row once (shuffling does not change a mean).
pub fn held_out<B, D: Rows<Batch = B>>(data: &D, batch_size: usize, device: &Device) -> Batches<B> {
    build(data, batch_size, 0, false, device)
}

/// Rows `0..n` of `data` in batches of `batch_size`, in the order [`lrfind_data::batch_rows`]
/// gives for `seed` (the last, smaller batch dropped when `drop_last` and there is more than one,
/// as PyTorch's `drop_last`).
fn build<B, D: Rows<Batch = B>>(
    data: &D,
    batch_size: usize,
    seed: u64,
    drop_last: bool,
    device: &Device,
) -> Batches<B> {
    Batches::from_batches(
        lrfind_data::batch_rows(data.rows(), batch_size, seed, drop_last)
            .iter()
            .map(|rows| data.batch(rows, device))
            .collect(),
    )
}

/// Rows `rows` of a row-major `[n, dim]` feature matrix as a `[rows, dim]` tensor on `device`.
pub(crate) fn feature_rows(
    features: &[f32],
    dim: usize,
    rows: &[usize],
    device: &Device,
) -> Tensor<2> {
    Tensor::from_data(
        TensorData::new(gather(features, dim, rows), [rows.len(), dim]),
        device,
    )
}

/// Mini-batches of a [`Classification`] set.
pub type ClassBatches = Batches<ClassBatch>;

impl Rows for Classification {
    type Batch = ClassBatch;
    fn rows(&self) -> usize {
        self.len()
    }
    fn batch(&self, rows: &[usize], device: &Device) -> ClassBatch {
        ClassBatch {
            inputs: feature_rows(&self.features, self.dim, rows, device),
            targets: Tensor::from_data(
                TensorData::new(gather(&self.labels, 1, rows), [rows.len()]),
                device,
            ),
        }
    }
}

/// One regression batch on the device: inputs `[b, dim]`, targets `[b, 1]`.
#[derive(Debug, Clone)]
pub struct RegBatch {
    /// `[b, dim]`.
    pub inputs: Tensor<2>,
    /// `[b, 1]`, standardised.
    pub targets: Tensor<2>,
}

/// Mini-batches of a [`Regression`] set.
pub type RegBatches = Batches<RegBatch>;

impl Rows for Regression {
    type Batch = RegBatch;
    fn rows(&self) -> usize {
        self.len()
    }
    fn batch(&self, rows: &[usize], device: &Device) -> RegBatch {
        RegBatch {
            inputs: feature_rows(&self.features, self.dim, rows, device),
            targets: Tensor::from_data(
                TensorData::new(gather(&self.targets, 1, rows), [rows.len(), 1]),
                device,
            ),
        }
    }
}

/// A batch of windows: inputs and targets `[batch, seq_len]`.
#[derive(Debug, Clone)]
pub struct TextBatch {
    /// Token ids `[batch, seq_len]`.
    pub inputs: Tensor<2, Int>,
    /// The next token of each input `[batch, seq_len]`.
    pub targets: Tensor<2, Int>,
}

/// Mini-batches of text windows.
pub type TextBatches = Batches<TextBatch>;

impl Rows for Windows<'_> {
    type Batch = TextBatch;
    fn rows(&self) -> usize {
        self.count
    }
    fn batch(&self, rows: &[usize], device: &Device) -> TextBatch {
        let t = self.seq_len;
        let window = |shift: usize| {
            let mut out = Vec::with_capacity(rows.len() * t);
            for &r in rows {
                out.extend_from_slice(&self.tokens[r * t + shift..r * t + shift + t]);
            }
            Tensor::from_data(TensorData::new(out, [rows.len(), t]), device)
        };
        TextBatch {
            inputs: window(0),
            targets: window(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lrfind_data::text::Corpus;

    #[test]
    fn tokens_round_trip_and_targets_shift_by_one() {
        let corpus = Corpus::from_text("abcabcabcabcabcabcabcabcabcabcabcabcabcabc");
        assert_eq!(corpus.vocab, vec!['a', 'b', 'c']);
        let device = Device::flex();
        let batches = training(&Windows::new(&corpus.tokens, 4, 100), 2, 0, &device);
        for b in batches.all() {
            let x: Vec<i64> = b
                .inputs
                .clone()
                .into_data()
                .convert::<i64>()
                .try_to_vec::<i64>()
                .unwrap();
            let y: Vec<i64> = b
                .targets
                .clone()
                .into_data()
                .convert::<i64>()
                .try_to_vec::<i64>()
                .unwrap();
            for (x, y) in x.iter().zip(&y) {
                assert_eq!((x + 1) % 3, *y);
            }
        }
        let (train, held) = corpus.split();
        assert_eq!(train.len() + held.len(), corpus.tokens.len());
    }
}
