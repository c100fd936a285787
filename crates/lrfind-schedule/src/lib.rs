//! Learning-rate schedules with PyTorch's numbers.
//!
//! Each schedule is a small type behind [`Schedule`]: `lr()` is the rate PyTorch's scheduler puts
//! on the optimizer after as many `step()` calls as were made here. Where PyTorch updates the rate
//! recursively (its "chainable" form) we do the same, so the floating-point results agree to the
//! last bits rather than merely in theory. Constructors validate and return [`ScheduleError`];
//! defaults equal PyTorch's (`torch.optim.lr_scheduler`, 2.x).
//!
//! This crate has no deep-learning framework: burn's `LrScheduler` bridge is in `lrfind-burn`,
//! and a finder's rates become a schedule's through `lrfind::schedule::TakeRates`.
//!
//! ```
//! use lrfind_schedule::{sequence, OneCycle, Schedule};
//! let mut one_cycle = OneCycle::new(0.1, 100, Default::default()).unwrap();
//! assert!((one_cycle.lr() - 0.1 / 25.0).abs() < 1e-15); // starts at max_lr / div_factor
//! let (lrs, momenta) = sequence(&mut one_cycle, 100, None).unwrap();
//! assert_eq!(lrs.len(), 100);
//! assert!(momenta.is_some()); // one-cycle cycles momentum, as PyTorch's OneCycleLR
//! ```

#![warn(missing_docs)]

mod compose;
mod config;
mod constant;
mod cosine;
mod cosine_restarts;
mod cyclic;
mod exponential;
mod linear;
mod multistep;
mod one_cycle;
mod plateau;
mod polynomial;
mod step;

pub use compose::{Chained, Sequential};
pub use config::{ScheduleConfig, ScheduleKind};
pub use constant::Constant;
pub use constant::ConstantConfig;
pub use cosine::CosineAnnealing;
pub use cosine::CosineConfig;
pub use cosine_restarts::CosineRestartsConfig;
pub use cosine_restarts::CosineWarmRestarts;
pub use cyclic::{Cyclic, CyclicMode};
pub use cyclic::{CyclicConfig, CyclicModeName};
pub use exponential::Exponential;
pub use exponential::ExponentialConfig;
pub use linear::LinearConfig;
pub use linear::LinearWarmup;
pub use multistep::MultiStep;
pub use multistep::MultiStepConfig;
pub use one_cycle::OneCycleConfig;
pub use one_cycle::{Anneal, OneCycle, OneCycleOptions};
pub use plateau::PlateauConfig;
pub use plateau::{Plateau, PlateauMode, PlateauOptions, ThresholdMode};
pub use polynomial::Polynomial;
pub use polynomial::PolynomialConfig;
pub use step::StepConfig;
pub use step::StepDecay;

/// A learning-rate schedule, stepped once per optimizer step (or per epoch, as the user chooses).
pub trait Schedule: Send {
    /// The current learning rate.
    fn lr(&self) -> f64;
    /// The current momentum, for schedules that cycle it (cyclic, one-cycle).
    fn momentum(&self) -> Option<f64> {
        None
    }
    /// Advances one step. `metric` is the monitored value, used by [`Plateau`] only.
    fn step(&mut self, metric: Option<f64>) -> Result<(), ScheduleError>;
}

/// A boxed schedule (a kind chosen at run time, as [`ScheduleConfig::build`] gives) is a schedule.
impl<S: Schedule + ?Sized> Schedule for Box<S> {
    fn lr(&self) -> f64 {
        (**self).lr()
    }

    fn momentum(&self) -> Option<f64> {
        (**self).momentum()
    }

    fn step(&mut self, metric: Option<f64>) -> Result<(), ScheduleError> {
        (**self).step(metric)
    }
}

/// Parameters that make no schedule, or a step the schedule cannot take.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScheduleError {
    #[error("invalid {name}: {reason} (got {value})")]
    /// A setting out of range.
    Invalid {
        /// The setting.
        name: &'static str,
        /// Its range.
        reason: &'static str,
        /// The value.
        value: String,
    },
    #[error("one-cycle was stepped {step} times, past its total_steps = {total}")]
    /// One-cycle stepped past its end.
    PastEnd {
        /// The step asked for.
        step: usize,
        /// total_steps.
        total: usize,
    },
    #[error("the lr overflows at step {step} ({lr}): its rate grows past any number")]
    /// A rate that is no longer a finite number (a `gamma` > 1 compounded, say).
    NonFinite {
        /// The first step whose lr is not finite.
        step: usize,
        /// That lr.
        lr: f64,
    },
    #[error("the plateau schedule needs a metric at every step (step {0} had none)")]
    /// Plateau stepped without a metric.
    MissingMetric(usize),
    #[error("{0}")]
    /// A composition that cannot be built.
    Compose(String),
    /// A rate the schedule cannot do without was not given (named as its
    /// schedule setting: `lr`, `base_lr`, `max_lr`).
    #[error("the {kind} schedule needs {what}")]
    Missing {
        /// The schedule's kind, as `lrfind schedule` names it.
        kind: &'static str,
        /// The missing setting.
        what: &'static str,
    },
}

/// `value`, or [`ScheduleError::Missing`] naming `what` for the `kind` schedule.
pub(crate) fn needs<T>(
    kind: &'static str,
    what: &'static str,
    value: Option<T>,
) -> Result<T, ScheduleError> {
    value.ok_or(ScheduleError::Missing { kind, what })
}

pub(crate) fn invalid(
    name: &'static str,
    reason: &'static str,
    value: impl ToString,
) -> ScheduleError {
    ScheduleError::Invalid {
        name,
        reason,
        value: value.to_string(),
    }
}

/// Checks `value > 0` and finite.
pub(crate) fn positive(name: &'static str, value: f64) -> Result<f64, ScheduleError> {
    if value > 0.0 && value.is_finite() {
        Ok(value)
    } else {
        Err(invalid(name, "must be a finite number > 0", value))
    }
}

/// Checks `value ≥ 0` and finite.
pub(crate) fn non_negative(name: &'static str, value: f64) -> Result<f64, ScheduleError> {
    if value >= 0.0 && value.is_finite() {
        Ok(value)
    } else {
        Err(invalid(name, "must be a finite number ≥ 0", value))
    }
}

/// Checks `0 ≤ base ≤ max ≤ 1` for a pair of momenta.
pub(crate) fn momentum_range(base: f64, max: f64) -> Result<(), ScheduleError> {
    if (0.0..=1.0).contains(&base) && (0.0..=1.0).contains(&max) && base <= max {
        Ok(())
    } else {
        Err(invalid(
            "momentum",
            "needs 0 ≤ base_momentum ≤ max_momentum ≤ 1",
            format!("{base}, {max}"),
        ))
    }
}

/// Checks a step count is at least 1.
pub(crate) fn at_least_one(name: &'static str, value: usize) -> Result<usize, ScheduleError> {
    if value >= 1 {
        Ok(value)
    } else {
        Err(invalid(name, "must be at least 1", value))
    }
}

/// Runs `schedule` for `steps` values (the first before any `step()`), feeding `metrics[t]` to
/// step `t + 1`; returns the lrs and, if it cycles momentum, the momenta.
pub fn sequence(
    schedule: &mut dyn Schedule,
    steps: usize,
    metrics: Option<&[f64]>,
) -> Result<(Vec<f64>, Option<Vec<f64>>), ScheduleError> {
    let mut lrs = Vec::with_capacity(steps);
    let mut moms = schedule.momentum().map(|_| Vec::with_capacity(steps));
    for t in 0..steps {
        if t > 0 {
            let metric = metrics.and_then(|m| m.get(t - 1).copied());
            schedule.step(metric)?;
        }
        let lr = schedule.lr();
        if !lr.is_finite() {
            return Err(ScheduleError::NonFinite { step: t, lr });
        }
        lrs.push(lr);
        if let (Some(m), Some(v)) = (moms.as_mut(), schedule.momentum()) {
            m.push(v);
        }
    }
    Ok((lrs, moms))
}

#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;

#[cfg(test)]
mod parity {
    use super::*;

    #[test]
    fn every_fixture_matches_pytorch_within_1e_12() {
        for case in fixtures::all() {
            let mut s = fixtures::schedule(&case);
            let (lrs, moms) = sequence(s.as_mut(), case.steps, case.metrics.as_deref()).unwrap();
            fixtures::assert_close(&case.name, "lr", &lrs, &case.expected_lr);
            if let Some(want) = &case.expected_momentum {
                fixtures::assert_close(&case.name, "momentum", &moms.unwrap(), want);
            }
        }
    }
}
