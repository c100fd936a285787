//! Cosine annealing.

use super::{at_least_one, non_negative, positive, Schedule, ScheduleError};
use std::f64::consts::PI;

/// PyTorch `CosineAnnealingLR`: `lr_t = η_min + (lr − η_min)(1 + cos(πt/T_max))/2`, computed with
/// PyTorch's recursive update (and its restart branch past `T_max`) for bit-level agreement.
#[derive(Debug, Clone)]
pub struct CosineAnnealing {
    base: f64,
    lr: f64,
    t_max: usize,
    eta_min: f64,
    t: usize,
}

impl CosineAnnealing {
    /// From `lr` down to `eta_min` over `t_max` steps.
    pub fn new(lr: f64, t_max: usize, eta_min: f64) -> Result<Self, ScheduleError> {
        let lr = positive("lr", lr)?;
        Ok(CosineAnnealing {
            base: lr,
            lr,
            t_max: at_least_one("t_max", t_max)?,
            eta_min: non_negative("eta_min", eta_min)?,
            t: 0,
        })
    }
}

impl Schedule for CosineAnnealing {
    fn lr(&self) -> f64 {
        self.lr
    }
    fn step(&mut self, _: Option<f64>) -> Result<(), ScheduleError> {
        self.t += 1;
        let (t, n, eta) = (self.t as i64, self.t_max as i64, self.eta_min);
        self.lr = if (t - 1 - n).rem_euclid(2 * n) == 0 {
            self.lr + (self.base - eta) * (1.0 - (PI / n as f64).cos()) / 2.0
        } else {
            let num = 1.0 + (PI * t as f64 / n as f64).cos();
            let den = 1.0 + (PI * (t - 1) as f64 / n as f64).cos();
            num / den * (self.lr - eta) + eta
        };
        Ok(())
    }
}

/// [`CosineAnnealing`]'s settings (PyTorch `CosineAnnealingLR`; η_min defaults to 0).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct CosineConfig {
    /// Half-period in steps (default: the whole run).
    #[cfg_attr(feature = "clap", arg(long))]
    pub t_max: Option<usize>,
    /// Lowest lr.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 0.0))]
    pub eta_min: f64,
}

impl CosineConfig {
    /// Checks the settings besides the rate.
    pub fn validate(&self) -> Result<(), ScheduleError> {
        if let Some(t) = self.t_max {
            at_least_one("t_max", t)?;
        }
        non_negative("eta_min", self.eta_min).map(|_| ())
    }

    /// The schedule from `lr` over a run of `steps` steps (t_max's default).
    pub fn build(&self, lr: f64, steps: usize) -> Result<CosineAnnealing, ScheduleError> {
        CosineAnnealing::new(lr, self.t_max.unwrap_or(steps), self.eta_min)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sequence;

    #[test]
    fn reaches_eta_min_at_t_max_and_climbs_back() {
        let (lrs, _) = sequence(&mut CosineAnnealing::new(1.0, 4, 0.0).unwrap(), 9, None).unwrap();
        let closed = |t: f64| (1.0 + (PI * t / 4.0).cos()) / 2.0;
        for (t, g) in lrs.iter().enumerate() {
            assert!((g - closed(t as f64)).abs() < 1e-12, "t={t}: {g}");
        }
        assert_eq!(lrs[4], 0.0);
    }
}
