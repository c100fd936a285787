//! Mini-batches on a candle device, in the seeded order every adapter shares.

use candle_core::{Device, Tensor};
use lrfind_data::{batch_rows, gather, Classification};
use std::convert::Infallible;
use std::sync::Arc;

/// Mini-batches `(inputs [b, dim] f32, targets [b] u32)` built once and served round-robin;
/// cloning shares the tensors and copies only the position. The rows of each batch are
/// [`lrfind_data::batch_rows`]'s, so the same seed gives the same batches as on the burn side.
#[derive(Debug, Clone)]
pub struct CandleBatches {
    batches: Arc<Vec<(Tensor, Tensor)>>,
    next: usize,
}

impl CandleBatches {
    /// Training batches of `data`: shuffled with `seed`, the last smaller batch dropped.
    pub fn classification(
        data: &Classification,
        batch_size: usize,
        seed: u64,
        device: &Device,
    ) -> candle_core::Result<CandleBatches> {
        Self::build(data, batch_rows(data.len(), batch_size, seed, true), device)
    }

    /// Every row of `data` once, in batches of `batch_size` (for evaluation).
    pub fn held_out(
        data: &Classification,
        batch_size: usize,
        device: &Device,
    ) -> candle_core::Result<CandleBatches> {
        Self::build(data, batch_rows(data.len(), batch_size, 0, false), device)
    }

    fn build(
        data: &Classification,
        rows: Vec<Vec<usize>>,
        device: &Device,
    ) -> candle_core::Result<CandleBatches> {
        let batches = rows
            .iter()
            .map(|rows| {
                let x = Tensor::from_vec(
                    gather(&data.features, data.dim, rows),
                    (rows.len(), data.dim),
                    device,
                )?;
                let labels: Vec<u32> = gather(&data.labels, 1, rows)
                    .iter()
                    .map(|&l| l as u32)
                    .collect();
                Ok((x, Tensor::from_vec(labels, rows.len(), device)?))
            })
            .collect::<candle_core::Result<Vec<_>>>()?;
        Ok(CandleBatches {
            batches: Arc::new(batches),
            next: 0,
        })
    }

    /// Batches per pass.
    pub fn len(&self) -> usize {
        self.batches.len()
    }

    /// Whether there are no batches.
    pub fn is_empty(&self) -> bool {
        self.batches.is_empty()
    }

    /// All batches of one pass, from the first.
    pub fn all(&self) -> &[(Tensor, Tensor)] {
        &self.batches
    }
}

impl lrfind::BatchSource for CandleBatches {
    type Batch = (Tensor, Tensor);
    type Error = Infallible;
    fn next_batch(&mut self) -> Result<(Tensor, Tensor), Infallible> {
        let batch = self.batches[self.next].clone();
        self.next = (self.next + 1) % self.batches.len();
        Ok(batch)
    }
}
