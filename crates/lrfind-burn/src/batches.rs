//! Mini-batches in memory, served round-robin: the [`BatchSource`] a range test or a training
//! loop reads when the data fits in memory (burn's `DataLoader` batches, or any other).

use lrfind::BatchSource;
use std::convert::Infallible;

/// Mini-batches built once (on the device) and served round-robin: no per-step copying of the
/// dataset. Cloning shares the batches and copies only the position.
#[derive(Debug, Clone)]
pub struct Batches<B> {
    batches: std::sync::Arc<Vec<B>>,
    next: usize,
}

impl<B> Batches<B> {
    /// Batches made elsewhere (a burn `DataLoader`'s, or built by hand), served round-robin.
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

    /// Whether there are no batches.
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
