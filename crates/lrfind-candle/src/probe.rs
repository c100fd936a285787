//! [`lrfind::Probe`] over candle variables, an optimizer, a batch source and a loss.

use crate::optim::OptimizerState;
use candle_core::{DType, Tensor, Var};
use candle_nn::Optimizer;
use lrfind::BatchSource;

/// A training step that could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError<E: std::error::Error + 'static> {
    /// The batch source failed.
    #[error("the data source failed: {0}")]
    Data(#[source] E),
    /// candle failed (a shape mismatch in the loss, a device error, …).
    #[error("candle: {0}")]
    Candle(#[from] candle_core::Error),
}

/// Training state the range test runs on: the model's `vars`, an optimizer over them, batches,
/// and `loss(batch)` (a closure over the model). Snapshots copy every variable and the
/// optimizer's [`OptimizerState`]; restores write them back in place.
pub struct CandleProbe<O, S, F> {
    vars: Vec<Var>,
    optimizer: O,
    data: S,
    loss: F,
    accumulate: usize,
    validation: Option<(S, usize)>,
}

impl<O, S, F> CandleProbe<O, S, F>
where
    O: Optimizer + OptimizerState,
    S: BatchSource,
    F: FnMut(&S::Batch) -> candle_core::Result<Tensor>,
{
    /// `vars` are what a snapshot saves — every trainable variable of the model (for a
    /// `VarMap`, `all_vars()`); `loss` returns a batch's mean loss as a scalar tensor.
    pub fn new(vars: Vec<Var>, optimizer: O, data: S, loss: F) -> Self {
        CandleProbe {
            vars,
            optimizer,
            data,
            loss,
            accumulate: 1,
            validation: None,
        }
    }

    /// Accumulates gradients over `k` micro-batches per optimizer step (k ≥ 1): the step follows
    /// the mean of their losses.
    pub fn with_accumulation(mut self, k: usize) -> Self {
        self.accumulate = k.max(1);
        self
    }

    /// Smith's variant: the loss recorded for each step is the mean loss over `batches` held-out
    /// batches (the same ones each time) after the step, instead of the training loss.
    pub fn with_validation(mut self, data: S, batches: usize) -> Self {
        self.validation = Some((data, batches.max(1)));
        self
    }

    /// Hands back the optimizer and the data source (the variables are the caller's already).
    pub fn into_parts(self) -> (O, S) {
        (self.optimizer, self.data)
    }

    /// The optimizer.
    pub fn optimizer(&self) -> &O {
        &self.optimizer
    }

    fn scalar(t: &Tensor) -> candle_core::Result<f64> {
        t.to_dtype(DType::F64)?.to_scalar::<f64>()
    }

    fn validation_loss(&mut self) -> Result<Option<f64>, ProbeError<S::Error>> {
        let Some((source, count)) = &self.validation else {
            return Ok(None);
        };
        let (mut source, count) = (source.clone(), *count);
        let mut total = 0.0;
        for _ in 0..count {
            let batch = source.next_batch().map_err(ProbeError::Data)?;
            total += Self::scalar(&(self.loss)(&batch)?.detach())?;
        }
        Ok(Some(total / count as f64))
    }
}

/// What a snapshot holds: copies of the variables, the optimizer's state and rate, the data.
pub type Snapshot<O, S> = (Vec<Tensor>, <O as OptimizerState>::State, f64, S);

impl<O, S, F> lrfind::Probe for CandleProbe<O, S, F>
where
    O: Optimizer + OptimizerState,
    S: BatchSource,
    F: FnMut(&S::Batch) -> candle_core::Result<Tensor>,
{
    type State = Snapshot<O, S>;
    type Error = ProbeError<S::Error>;

    fn snapshot(&mut self) -> Result<Self::State, Self::Error> {
        let weights = self
            .vars
            .iter()
            .map(|v| Ok(v.as_tensor().copy()?.detach()))
            .collect::<candle_core::Result<Vec<_>>>()?;
        let lr = self.optimizer.learning_rate();
        Ok((weights, self.optimizer.save_state()?, lr, self.data.clone()))
    }

    fn restore(&mut self, (weights, state, lr, data): Self::State) -> Result<(), Self::Error> {
        for (var, saved) in self.vars.iter().zip(&weights) {
            var.set(saved)?;
        }
        self.optimizer.load_state(state)?;
        self.optimizer.set_learning_rate(lr);
        self.data = data;
        Ok(())
    }

    /// One optimizer step at `lr`; the loss returned is the mean over the micro-batches (or the
    /// held-out loss after the step, with [`CandleProbe::with_validation`]).
    fn step(&mut self, lr: f64) -> Result<f64, Self::Error> {
        self.optimizer.set_learning_rate(lr);
        let k = self.accumulate;
        let mut total: Option<Tensor> = None;
        for _ in 0..k {
            let batch = self.data.next_batch().map_err(ProbeError::Data)?;
            let loss = ((self.loss)(&batch)? / k as f64)?;
            total = Some(match total {
                None => loss,
                Some(t) => (t + loss)?,
            });
        }
        let total = total.expect("k ≥ 1 micro-batches");
        let value = Self::scalar(&total)?;
        self.optimizer.backward_step(&total)?;
        Ok(self.validation_loss()?.unwrap_or(value))
    }
}
