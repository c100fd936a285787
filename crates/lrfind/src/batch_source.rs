//! The data seam every adapter shares: an endless supply of mini-batches.

/// An endless supply of mini-batches: a range test may need more steps than one epoch has, so a
/// source cycles. `Clone` must capture the position, so that a snapshot can rewind it (a probe's
/// restore puts the data back where it was, as well as the weights).
pub trait BatchSource: Clone {
    /// One mini-batch, in whatever form the framework's loss takes.
    type Batch;
    /// Why a batch could not be produced (`Infallible` for data in memory).
    type Error: std::error::Error + Send + Sync + 'static;
    /// The next batch; after the last one of a pass, the first again.
    fn next_batch(&mut self) -> Result<Self::Batch, Self::Error>;
}
