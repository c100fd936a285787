//! Data for range tests: the [`BatchSource`] seam and in-memory classification batches.

pub mod digits;
pub mod idx;

use burn::prelude::*;
use std::convert::Infallible;

/// An endless supply of mini-batches: a range test may need more steps than one epoch has, so a
/// source cycles. `Clone` must capture the position, so a snapshot can rewind it.
pub trait BatchSource: Clone {
    type Batch;
    type Error: std::error::Error + Send + Sync + 'static;
    fn next_batch(&mut self) -> Result<Self::Batch, Self::Error>;
}

/// A classification dataset in memory: `n` rows of `dim` features and a label each.
#[derive(Debug, Clone, PartialEq)]
pub struct Classification {
    pub features: Vec<f32>,
    pub labels: Vec<i64>,
    pub dim: usize,
    pub classes: usize,
}

impl Classification {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

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

/// One batch of inputs and integer targets, already on the device.
#[derive(Debug, Clone)]
pub struct ClassBatch {
    pub inputs: Tensor<2>,
    pub targets: Tensor<1, Int>,
}

/// Mini-batches of a [`Classification`] set, shuffled once with a seed and built once on the
/// device, then served round-robin: no per-step copying of the dataset.
#[derive(Debug, Clone)]
pub struct ClassBatches {
    batches: std::sync::Arc<Vec<ClassBatch>>,
    next: usize,
}

impl ClassBatches {
    /// Splits `data` into batches of `batch_size` (the last, smaller one is dropped when there is
    /// more than one batch, as PyTorch's `drop_last`), in an order shuffled by `seed`.
    pub fn new(
        data: &Classification,
        batch_size: usize,
        seed: u64,
        device: &Device,
    ) -> ClassBatches {
        let mut order: Vec<usize> = (0..data.len()).collect();
        shuffle(&mut order, seed);
        let full = data.len() / batch_size.max(1);
        let count = if full == 0 { 1 } else { full };
        let batches = (0..count)
            .map(|b| {
                let rows = &order[b * batch_size..((b + 1) * batch_size).min(order.len())];
                let mut x = Vec::with_capacity(rows.len() * data.dim);
                for &r in rows {
                    x.extend_from_slice(&data.features[r * data.dim..(r + 1) * data.dim]);
                }
                let y: Vec<i64> = rows.iter().map(|&r| data.labels[r]).collect();
                ClassBatch {
                    inputs: Tensor::from_data(TensorData::new(x, [rows.len(), data.dim]), device),
                    targets: Tensor::from_data(TensorData::new(y, [rows.len()]), device),
                }
            })
            .collect();
        ClassBatches {
            batches: std::sync::Arc::new(batches),
            next: 0,
        }
    }

    /// Batches per pass over the data.
    pub fn len(&self) -> usize {
        self.batches.len()
    }

    pub fn is_empty(&self) -> bool {
        self.batches.is_empty()
    }
}

impl BatchSource for ClassBatches {
    type Batch = ClassBatch;
    type Error = Infallible;
    fn next_batch(&mut self) -> Result<ClassBatch, Infallible> {
        let batch = self.batches[self.next].clone();
        self.next = (self.next + 1) % self.batches.len();
        Ok(batch)
    }
}

/// Fisher–Yates with SplitMix64: the same order for the same seed on every platform.
fn shuffle(items: &mut [usize], seed: u64) {
    let mut state = seed;
    let mut next = || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    for i in (1..items.len()).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}
