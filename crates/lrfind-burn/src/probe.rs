//! [`lrfind::Probe`] over a burn model, optimizer, batch source and loss.

use crate::optim::{ModuleStep, MomentumControl};
use burn::module::Module;
use burn::optim::{GradientsAccumulator, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use lrfind::BatchSource;

/// A training step that could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError<E: std::error::Error + 'static> {
    /// The batch source failed.
    #[error("the data source failed: {0}")]
    Data(#[source] E),
    /// A previous step panicked and took the model with it.
    #[error("the training state is gone (a previous step panicked)")]
    NoModel,
}

/// Training state the range test runs on: model, optimizer (with its moments and step counts),
/// batches, and `loss(model, batch)`. Snapshots are in-memory clones, restored exactly. The
/// optimizer is burn's [`ModuleOptimizer`] unless another [`ModuleStep`] is given (Prodigy).
pub struct BurnProbe<M, S, F, O = ModuleOptimizer> {
    model: Option<M>,
    optimizer: O,
    data: S,
    loss: F,
    accumulate: usize,
    validation: Option<(S, usize)>,
    momentum: Option<MomentumControl>,
}

impl<M, S, F, O> BurnProbe<M, S, F, O>
where
    M: Module + Clone,
    S: BatchSource,
    F: FnMut(&M, &S::Batch) -> Tensor<1>,
    O: ModuleStep,
{
    /// `loss` returns the mean loss of a batch as a one-element tensor (on an autodiff device).
    pub fn new(model: M, optimizer: O, data: S, loss: F) -> Self {
        BurnProbe {
            model: Some(model),
            optimizer,
            data,
            loss,
            accumulate: 1,
            validation: None,
            momentum: None,
        }
    }

    /// The handle that sets the optimizer's momentum (β1) when a schedule cycles it (from
    /// [`crate::optim::OptimizerKind::build_cycling`]); without it [`lrfind::Probe::set_momentum`]
    /// does nothing.
    pub fn with_momentum_control(mut self, control: MomentumControl) -> Self {
        self.momentum = Some(control);
        self
    }

    /// Smith's variant: the loss recorded for each step is the mean loss over `batches` batches of
    /// held-out data after the step, instead of the training batch's loss.
    pub fn with_validation(mut self, data: S, batches: usize) -> Self {
        self.validation = Some((data, batches.max(1)));
        self
    }

    /// Mean loss of `model` over the validation batches (rewound to the same batches each time).
    fn validation_loss(&mut self, model: &M) -> Result<Option<f64>, ProbeError<S::Error>> {
        let Some((source, count)) = &self.validation else {
            return Ok(None);
        };
        let (mut source, count) = (source.clone(), *count);
        let mut total = 0.0;
        for _ in 0..count {
            let batch = source.next_batch().map_err(ProbeError::Data)?;
            total += (self.loss)(model, &batch).into_scalar::<f32>() as f64;
        }
        Ok(Some(total / count as f64))
    }

    /// Accumulates gradients over `k` micro-batches per optimizer step (k ≥ 1).
    pub fn with_accumulation(mut self, k: usize) -> Self {
        self.accumulate = k.max(1);
        self
    }

    /// Hands back model, optimizer and data source.
    pub fn into_parts(self) -> (Option<M>, O, S) {
        (self.model, self.optimizer, self.data)
    }

    /// The model as trained so far (`None` only after a step panicked).
    pub fn model(&self) -> Option<&M> {
        self.model.as_ref()
    }

    /// The model as it is evaluated ([`ModuleStep::eval_module`]): the trained model, or for
    /// Schedule-Free AdamW its average. Held-out scores and saved models read this one.
    pub fn eval_model(&self) -> Option<M> {
        Some(self.optimizer.eval_module(self.model.clone()?))
    }

    /// The optimizer with its state.
    pub fn optimizer(&self) -> &O {
        &self.optimizer
    }
}

impl<M, S, F, O> lrfind::Probe for BurnProbe<M, S, F, O>
where
    M: Module + Clone,
    S: BatchSource,
    F: FnMut(&M, &S::Batch) -> Tensor<1>,
    O: ModuleStep,
{
    type State = (M, O, S);
    type Error = ProbeError<S::Error>;

    fn snapshot(&mut self) -> Result<Self::State, Self::Error> {
        let model = self.model.clone().ok_or(ProbeError::NoModel)?;
        Ok((model, self.optimizer.clone(), self.data.clone()))
    }

    fn restore(&mut self, (model, optimizer, data): Self::State) -> Result<(), Self::Error> {
        self.model = Some(model);
        self.optimizer = optimizer;
        self.data = data;
        Ok(())
    }

    fn set_momentum(&mut self, momentum: f64) -> bool {
        match &self.momentum {
            Some(control) => {
                control.set(momentum);
                true
            }
            None => false,
        }
    }

    /// One optimizer step at `lr`; the loss returned is the mean over the micro-batches.
    fn step(&mut self, lr: f64) -> Result<f64, Self::Error> {
        let model = self.model.take().ok_or(ProbeError::NoModel)?;
        let k = self.accumulate;
        let mut total = 0.0f64;
        let grads = if k == 1 {
            let batch = self.data.next_batch().map_err(ProbeError::Data);
            let batch = match batch {
                Ok(b) => b,
                Err(e) => {
                    self.model = Some(model);
                    return Err(e);
                }
            };
            let loss = (self.loss)(&model, &batch);
            total += loss.clone().into_scalar::<f32>() as f64;
            GradientsParams::from_grads(loss.backward(), &model)
        } else {
            let mut acc = GradientsAccumulator::<M>::new();
            for _ in 0..k {
                let batch = match self.data.next_batch() {
                    Ok(b) => b,
                    Err(e) => {
                        self.model = Some(model);
                        return Err(ProbeError::Data(e));
                    }
                };
                let loss = (self.loss)(&model, &batch) / k as f64;
                total += loss.clone().into_scalar::<f32>() as f64;
                acc.accumulate(&model, GradientsParams::from_grads(loss.backward(), &model));
            }
            acc.grads()
        };
        let model = self.optimizer.step(lr, model, grads);
        let validation = self.validation_loss(&model);
        self.model = Some(model);
        Ok(validation?.unwrap_or(total))
    }
}
