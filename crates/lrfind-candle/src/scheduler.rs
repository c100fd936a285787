//! lrfind's schedules on a candle optimizer: candle has no schedulers, so [`Scheduled`] gives
//! `candle_nn::Optimizer`s PyTorch's (one-cycle and cyclic with momentum, cosine, warm restarts,
//! step decay, plateau, …) with the same numbers.

use crate::optim::CycleMomentum;
use candle_core::Tensor;
use candle_nn::Optimizer;
use lrfind::schedule::{Schedule, ScheduleError};

/// A candle optimizer under a schedule, used as PyTorch's pair is: [`Scheduled::backward_step`]
/// is `optimizer.step()` at the schedule's current rate, [`Scheduled::step`] is
/// `scheduler.step()`, which advances the schedule and puts its new rate — and, for the schedules
/// that cycle it, its momentum (β₁ of [`crate::AdamW`]: PyTorch's `cycle_momentum`) — on the
/// optimizer.
///
/// ```
/// use candle_core::Device;
/// use candle_nn::{Optimizer, ParamsAdamW};
/// use lrfind::schedule::OneCycle;
/// use lrfind_candle::{AdamW, Mlp, Scheduled};
///
/// let mlp = Mlp::new(&[64, 32, 10], 0, &Device::Cpu)?;
/// let optimizer = AdamW::new(mlp.vars(), ParamsAdamW::default())?;
/// let mut scheduled = Scheduled::new(optimizer, OneCycle::new(0.01, 100, Default::default())?);
/// assert!((scheduled.optimizer().learning_rate() - 0.01 / 25.0).abs() < 1e-15);
/// assert_eq!(scheduled.optimizer().params().beta1, 0.95); // one-cycle starts at max momentum
/// // for each batch: scheduled.backward_step(&loss)?; scheduled.step(None)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Scheduled<O, S> {
    optimizer: O,
    schedule: S,
    cycle_momentum: bool,
}

impl<O: Optimizer + CycleMomentum, S: Schedule> Scheduled<O, S> {
    /// `optimizer` under `schedule`, with the schedule's first rate (and momentum) set on it.
    pub fn new(optimizer: O, schedule: S) -> Self {
        Self::cycling_momentum(optimizer, schedule, true)
    }

    /// As [`Scheduled::new`]; with `cycle_momentum` false the optimizer's momentum is left as it
    /// is (PyTorch's `cycle_momentum=False`).
    pub fn cycling_momentum(optimizer: O, schedule: S, cycle_momentum: bool) -> Self {
        let mut scheduled = Scheduled {
            optimizer,
            schedule,
            cycle_momentum,
        };
        scheduled.apply();
        scheduled
    }

    /// Computes the gradients of `loss` and steps the optimizer at the current rate.
    pub fn backward_step(&mut self, loss: &Tensor) -> candle_core::Result<()> {
        self.optimizer.backward_step(loss)
    }

    /// Advances the schedule one step (`metric`: the monitored value, for
    /// [`lrfind::schedule::Plateau`] only) and sets its rate and momentum on the optimizer.
    pub fn step(&mut self, metric: Option<f64>) -> Result<(), ScheduleError> {
        self.schedule.step(metric)?;
        self.apply();
        Ok(())
    }

    /// The optimizer.
    pub fn optimizer(&self) -> &O {
        &self.optimizer
    }

    /// The schedule.
    pub fn schedule(&self) -> &S {
        &self.schedule
    }

    /// The optimizer and the schedule.
    pub fn into_parts(self) -> (O, S) {
        (self.optimizer, self.schedule)
    }

    fn apply(&mut self) {
        self.optimizer.set_learning_rate(self.schedule.lr());
        if let Some(m) = self.schedule.momentum().filter(|_| self.cycle_momentum) {
            self.optimizer.set_momentum(m);
        }
    }
}
