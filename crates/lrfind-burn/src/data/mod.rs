//! Data for range tests: the [`BatchSource`] seam and in-memory classification batches.

pub mod idx;
pub mod table;
pub mod text;

use burn::prelude::*;
use std::convert::Infallible;

/// The embedded UCI digits ([`lrfind_data::digits`]: plain arrays, shared with every adapter).
pub use lrfind_data::digits;
pub(crate) use lrfind_data::gather;
/// A classification dataset in memory ([`lrfind_data::Classification`]).
pub use lrfind_data::Classification;

/// The data seam ([`lrfind::BatchSource`], shared with every adapter).
pub use lrfind::BatchSource;

/// One batch of inputs and integer targets, already on the device.
#[derive(Debug, Clone)]
pub struct ClassBatch {
    pub inputs: Tensor<2>,
    pub targets: Tensor<1, Int>,
}

/// Mini-batches built once (on the device) and served round-robin: no per-step copying of the
/// dataset. Cloning shares the batches and copies only the position.
#[derive(Debug, Clone)]
pub struct Batches<B> {
    batches: std::sync::Arc<Vec<B>>,
    next: usize,
}

impl<B> Batches<B> {
    /// Splits items `0..n` into batches of `batch_size`, in an order shuffled by `seed`, and builds
    /// each with `make(rows)`. The last, smaller batch is dropped when there is more than one
    /// batch, as PyTorch's `drop_last`. `n` must be at least 1.
    pub fn build(
        n: usize,
        batch_size: usize,
        seed: u64,
        make: impl FnMut(&[usize]) -> B,
    ) -> Batches<B> {
        Self::build_with(n, batch_size, seed, true, make)
    }

    /// As [`Batches::build`], but `drop_last: false` keeps the last, smaller batch (for
    /// evaluation, where every row counts).
    pub fn build_with(
        n: usize,
        batch_size: usize,
        seed: u64,
        drop_last: bool,
        mut make: impl FnMut(&[usize]) -> B,
    ) -> Batches<B> {
        Batches::from_batches(
            lrfind_data::batch_rows(n, batch_size, seed, drop_last)
                .iter()
                .map(|rows| make(rows))
                .collect(),
        )
    }

    /// Batches made elsewhere (a burn `DataLoader`'s), served round-robin.
    pub fn from_batches(batches: Vec<B>) -> Batches<B> {
        Batches {
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

    /// All batches of one pass, in serving order from the first (for evaluation).
    pub fn all(&self) -> &[B] {
        &self.batches
    }
}

impl<B: Clone> BatchSource for Batches<B> {
    type Batch = B;
    type Error = Infallible;
    fn next_batch(&mut self) -> Result<B, Infallible> {
        let batch = self.batches[self.next].clone();
        self.next = (self.next + 1) % self.batches.len();
        Ok(batch)
    }
}

/// A dataset that can gather any of its rows into a batch on a device.
pub trait Rows {
    type Batch;
    /// Number of rows (examples).
    fn rows(&self) -> usize;
    /// The batch of rows `rows`, in that order.
    fn batch(&self, rows: &[usize], device: &Device) -> Self::Batch;
}

impl<B> Batches<B> {
    /// Training batches of `data`: shuffled with `seed`, the last smaller batch dropped.
    pub fn training<D: Rows<Batch = B>>(
        data: &D,
        batch_size: usize,
        seed: u64,
        device: &Device,
    ) -> Batches<B> {
        Batches::build(data.rows(), batch_size, seed, |rows| {
            data.batch(rows, device)
        })
    }

    /// Evaluation batches of `data`: every row once (shuffling does not change a mean).
    pub fn held_out<D: Rows<Batch = B>>(
        data: &D,
        batch_size: usize,
        device: &Device,
    ) -> Batches<B> {
        Batches::build_with(data.rows(), batch_size, 0, false, |rows| {
            data.batch(rows, device)
        })
    }
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

impl Batches<ClassBatch> {
    /// Training batches of `data` (see [`Batches::training`]).
    pub fn new(
        data: &Classification,
        batch_size: usize,
        seed: u64,
        device: &Device,
    ) -> ClassBatches {
        Batches::training(data, batch_size, seed, device)
    }
}
