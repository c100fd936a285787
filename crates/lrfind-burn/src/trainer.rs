//! lrfind's [`Trainer`] on a burn model: epochs under a schedule, held-out scoring, re-finds.
//!
//! ```no_run
//! # use burn::prelude::*;
//! # fn demo<M: burn::module::Module + Clone, S: lrfind::BatchSource>(
//! #     model: M, optimizer: burn::optim::ModuleOptimizer, batches: S,
//! #     loss: impl FnMut(&M, &S::Batch) -> Tensor<1>,
//! #     score: impl FnMut(&M) -> lrfind::HeldOutScore) {
//! use lrfind::schedule::{OneCycleConfig, ScheduleConfig};
//! use lrfind_train::{LrChoice, RefindPolicy, Trainer};
//! let mut trainer = Trainer::new(9, LrChoice::Auto, ScheduleConfig::OneCycle(OneCycleConfig::default()));
//! trainer.refind = RefindPolicy::Every(3);
//! let mut probe = lrfind_burn::BurnProbe::new(model, optimizer, batches, loss);
//! let history = lrfind_burn::trainer::fit(&trainer, &mut probe, 22, score, &mut ())
//!     .completed()
//!     .unwrap();
//! # }
//! ```

use crate::optim::ModuleStep;
use crate::probe::{BurnProbe, ProbeError};
use burn::module::Module;
use burn::prelude::*;
use lrfind::document::Refinement;
use lrfind::{BatchSource, HeldOutScore};
use lrfind_train::Trainer;
use lrfind_train::{Horizon, Outcome, Refine, TrainError, TrainObserver};

/// Trains `probe`'s model with `trainer` for its epochs of `steps_per_epoch` optimizer steps,
/// scoring the model with `score` after each epoch and reporting to `observer`; the outcome holds
/// what was recorded, also when an error stopped the run. The trained model is `probe.model()`
/// afterwards; it is scored, and is to be saved, as `probe.eval_model()` (Schedule-Free AdamW's
/// average).
pub fn fit<M, S, F, Opt>(
    trainer: &Trainer,
    probe: &mut BurnProbe<M, S, F, Opt>,
    steps_per_epoch: usize,
    mut score: impl FnMut(&M) -> HeldOutScore,
    observer: &mut dyn TrainObserver,
) -> Outcome<ProbeError<S::Error>>
where
    M: Module + Clone,
    S: BatchSource,
    F: FnMut(&M, &S::Batch) -> Tensor<1>,
    Opt: ModuleStep,
{
    trainer
        .training(steps_per_epoch, |p: &BurnProbe<M, S, F, Opt>| {
            p.eval_model().as_ref().map(&mut score)
        })
        .observe(observer)
        .run(probe)
}

/// [`Trainer::refine`] on a burn model: rates around `lr`, as `refine` says, each train
/// `horizon.steps` optimizer steps from `probe`'s current state as a run of `trainer`, scored by
/// `score`, the state restored after each; the lowest loss wins.
#[allow(clippy::too_many_arguments)]
pub fn refine<M, S, F, Opt>(
    trainer: &Trainer,
    probe: &mut BurnProbe<M, S, F, Opt>,
    lr: f64,
    refine: &Refine,
    horizon: Horizon,
    mut score: impl FnMut(&M) -> HeldOutScore,
    observer: &mut dyn TrainObserver,
) -> Result<Refinement, TrainError<ProbeError<S::Error>>>
where
    M: Module + Clone,
    S: BatchSource,
    F: FnMut(&M, &S::Batch) -> Tensor<1>,
    Opt: ModuleStep,
{
    let mut score = |p: &BurnProbe<M, S, F, Opt>| p.eval_model().as_ref().map(&mut score);
    trainer.refine(probe, 0, lr, refine, horizon, &mut score, observer)
}
