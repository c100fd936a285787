//! Learning-rate schedules with PyTorch's numbers.
//!
//! Each schedule is a small type behind [`Schedule`]: `lr()` is the rate PyTorch's scheduler puts
//! on the optimizer after as many `step()` calls as were made here. Where PyTorch updates the rate
//! recursively (its "chainable" form) we do the same, so the floating-point results agree to the
//! last bits rather than merely in theory. Constructors validate and return [`ScheduleError`];
//! defaults equal PyTorch's (`torch.optim.lr_scheduler`, 2.x).

mod compose;
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
pub use constant::Constant;
pub use cosine::CosineAnnealing;
pub use cosine_restarts::CosineWarmRestarts;
pub use cyclic::{Cyclic, CyclicMode};
pub use exponential::Exponential;
pub use linear::LinearWarmup;
pub use multistep::MultiStep;
pub use one_cycle::{Anneal, OneCycle, OneCycleOptions};
pub use plateau::{Plateau, PlateauMode, PlateauOptions, ThresholdMode};
pub use polynomial::Polynomial;
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

/// Parameters that make no schedule, or a step the schedule cannot take.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScheduleError {
    #[error("invalid {name}: {reason} (got {value})")]
    Invalid {
        name: &'static str,
        reason: &'static str,
        value: String,
    },
    #[error("one-cycle was stepped {step} times, past its total_steps = {total}")]
    PastEnd { step: usize, total: usize },
    #[error("the plateau schedule needs a metric at every step (step {0} had none)")]
    MissingMetric(usize),
    #[error("{0}")]
    Compose(String),
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
        lrs.push(schedule.lr());
        if let (Some(m), Some(v)) = (moms.as_mut(), schedule.momentum()) {
            m.push(v);
        }
    }
    Ok((lrs, moms))
}

#[cfg(test)]
mod fixtures;

#[cfg(test)]
mod parity {
    //! The fixtures' configurations built by hand (the CLI test builds them from their flags).
    use super::*;

    fn build(case: &fixtures::Case) -> Box<dyn Schedule> {
        let lr = case.lr;
        match case.name.as_str() {
            "constant" => Box::new(Constant::new(lr).unwrap()),
            "step" => Box::new(StepDecay::new(lr, 7, 0.5).unwrap()),
            "cosine" => Box::new(CosineAnnealing::new(lr, 50, 0.001).unwrap()),
            "cyclic_triangular" => Box::new(
                Cyclic::new(
                    0.001,
                    0.1,
                    10,
                    None,
                    CyclicMode::Triangular,
                    Some((0.8, 0.9)),
                )
                .unwrap(),
            ),
            "one_cycle" => Box::new(OneCycle::new(0.1, 100, Default::default()).unwrap()),
            "plateau" => {
                let o = PlateauOptions {
                    factor: 0.5,
                    patience: 2,
                    threshold: 0.01,
                    cooldown: 1,
                    min_lr: 0.01,
                    ..Default::default()
                };
                Box::new(Plateau::new(lr, o).unwrap())
            }
            other => panic!("new fixture case {other}: add it here"),
        }
    }

    #[test]
    fn every_fixture_matches_pytorch_within_1e_12() {
        for case in fixtures::all() {
            let mut s = build(&case);
            let (lrs, moms) = sequence(s.as_mut(), case.steps, case.metrics.as_deref()).unwrap();
            fixtures::assert_close(&case.name, "lr", &lrs, &case.expected_lr);
            if let Some(want) = &case.expected_momentum {
                fixtures::assert_close(&case.name, "momentum", &moms.unwrap(), want);
            }
        }
    }
}
