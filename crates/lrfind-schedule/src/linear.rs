//! Linear warm-up (or decay) of a factor of the base lr.

use super::{at_least_one, invalid, Schedule, ScheduleError};

/// PyTorch `LinearLR`: factor from `start_factor` (1/3) to `end_factor` (1) over `total_iters` (5)
/// steps, `lr_t = lr·(s + (e − s)·min(t, T)/T)`, applied recursively as PyTorch does:
/// `lr ← lr·(1 + (e − s) / (T·s + (t − 1)(e − s)))` for `t ≤ T`.
#[derive(Debug, Clone)]
pub struct LinearWarmup {
    lr: f64,
    start: f64,
    end: f64,
    total: usize,
    t: usize,
}

impl LinearWarmup {
    /// `lr` scaled from `start_factor` to `end_factor` over `total_iters` steps.
    pub fn new(
        lr: f64,
        start_factor: f64,
        end_factor: f64,
        total_iters: usize,
    ) -> Result<Self, ScheduleError> {
        LinearConfig {
            start_factor,
            end_factor,
            total_iters,
        }
        .validate()?;
        let lr = super::positive("lr", lr)? * start_factor;
        Ok(LinearWarmup {
            lr,
            start: start_factor,
            end: end_factor,
            total: at_least_one("total_iters", total_iters)?,
            t: 0,
        })
    }
}

impl Schedule for LinearWarmup {
    fn lr(&self) -> f64 {
        self.lr
    }
    fn step(&mut self, _: Option<f64>) -> Result<(), ScheduleError> {
        self.t += 1;
        if self.t <= self.total {
            let (s, e, t) = (self.start, self.end, self.t as f64);
            self.lr *= 1.0 + (e - s) / (self.total as f64 * s + (t - 1.0) * (e - s));
        }
        Ok(())
    }
}

/// [`LinearWarmup`]'s settings with PyTorch `LinearLR`'s defaults (1/3 → 1 over 5 steps).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct LinearConfig {
    /// First factor of the lr.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 1.0 / 3.0))]
    pub start_factor: f64,
    /// Last factor of the lr.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 1.0))]
    pub end_factor: f64,
    /// Steps over which the factor changes.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 5))]
    pub total_iters: usize,
}

impl Default for LinearConfig {
    fn default() -> Self {
        LinearConfig {
            start_factor: 1.0 / 3.0,
            end_factor: 1.0,
            total_iters: 5,
        }
    }
}

impl LinearConfig {
    /// Checks the settings besides the rate.
    pub fn validate(&self) -> Result<(), ScheduleError> {
        if !(self.start_factor > 0.0 && self.start_factor <= 1.0) {
            return Err(invalid(
                "start_factor",
                "must be in (0, 1]",
                self.start_factor,
            ));
        }
        if !(0.0..=1.0).contains(&self.end_factor) {
            return Err(invalid("end_factor", "must be in [0, 1]", self.end_factor));
        }
        at_least_one("total_iters", self.total_iters).map(|_| ())
    }

    /// The schedule from `lr`.
    pub fn build(&self, lr: f64) -> Result<LinearWarmup, ScheduleError> {
        LinearWarmup::new(lr, self.start_factor, self.end_factor, self.total_iters)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sequence;

    #[test]
    fn ramps_from_start_to_end_factor() {
        let (lrs, _) = sequence(
            &mut LinearWarmup::new(0.3, 1.0 / 3.0, 1.0, 5).unwrap(),
            8,
            None,
        )
        .unwrap();
        let want = [0.1, 0.14, 0.18, 0.22, 0.26, 0.3, 0.3, 0.3];
        for (g, w) in lrs.iter().zip(want) {
            assert!((g - w).abs() < 1e-12, "{lrs:?}");
        }
    }
}
