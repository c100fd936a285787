//! Cosine annealing with warm restarts (SGDR).

use super::{at_least_one, non_negative, positive, Schedule, ScheduleError};
use std::f64::consts::PI;

/// PyTorch `CosineAnnealingWarmRestarts` (Loshchilov & Hutter, SGDR):
/// `lr = η_min + (lr₀ − η_min)(1 + cos(π·T_cur/T_i))/2`, `T_cur` reset to 0 and `T_i ← T_i·T_mult`
/// each time it reaches `T_i` (`T_0` first; `T_mult` = 1, `η_min` = 0).
#[derive(Debug, Clone)]
pub struct CosineWarmRestarts {
    base: f64,
    eta_min: f64,
    t_mult: usize,
    t_i: usize,
    t_cur: usize,
}

impl CosineWarmRestarts {
    /// From `lr` down to `eta_min` over `t0` steps, then `t0·t_mult`, … .
    pub fn new(lr: f64, t0: usize, t_mult: usize, eta_min: f64) -> Result<Self, ScheduleError> {
        Ok(CosineWarmRestarts {
            base: positive("lr", lr)?,
            eta_min: non_negative("eta_min", eta_min)?,
            t_mult: at_least_one("t_mult", t_mult)?,
            t_i: at_least_one("t0", t0)?,
            t_cur: 0,
        })
    }
}

impl Schedule for CosineWarmRestarts {
    fn lr(&self) -> f64 {
        let phase = PI * self.t_cur as f64 / self.t_i as f64;
        self.eta_min + (self.base - self.eta_min) * (1.0 + phase.cos()) / 2.0
    }
    fn step(&mut self, _: Option<f64>) -> Result<(), ScheduleError> {
        self.t_cur += 1;
        if self.t_cur >= self.t_i {
            self.t_cur -= self.t_i;
            self.t_i = self.t_i.saturating_mul(self.t_mult);
        }
        Ok(())
    }
}

/// [`CosineWarmRestarts`]'s settings (PyTorch `CosineAnnealingWarmRestarts`; T_mult 1, η_min 0).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct CosineRestartsConfig {
    /// Length of the first period.
    #[cfg_attr(feature = "clap", arg(long))]
    pub t0: usize,
    /// Growth factor of the period.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 1))]
    pub t_mult: usize,
    /// Lowest lr.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 0.0))]
    pub eta_min: f64,
}

impl CosineRestartsConfig {
    /// Restarts every `t0` steps, PyTorch's other defaults.
    pub fn new(t0: usize) -> CosineRestartsConfig {
        CosineRestartsConfig {
            t0,
            t_mult: 1,
            eta_min: 0.0,
        }
    }

    /// Checks the settings besides the rate.
    pub fn validate(&self) -> Result<(), ScheduleError> {
        at_least_one("t0", self.t0)?;
        at_least_one("t_mult", self.t_mult)?;
        non_negative("eta_min", self.eta_min).map(|_| ())
    }

    /// The schedule from `lr`.
    pub fn build(&self, lr: f64) -> Result<CosineWarmRestarts, ScheduleError> {
        CosineWarmRestarts::new(lr, self.t0, self.t_mult, self.eta_min)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sequence;

    #[test]
    fn restarts_at_t0_then_at_doubled_periods() {
        let (lrs, _) = sequence(
            &mut CosineWarmRestarts::new(1.0, 2, 2, 0.0).unwrap(),
            8,
            None,
        )
        .unwrap();
        // Restarts (lr back to 1) at t = 2 and t = 2 + 4 = 6.
        let want = [
            1.0,
            0.5,
            1.0,
            0.8535533905932737,
            0.5,
            0.14644660940672627,
            1.0,
            0.9619397662556434,
        ];
        for (t, (g, w)) in lrs.iter().zip(want).enumerate() {
            assert!((g - w).abs() < 1e-12, "t={t}: {g} vs {w}");
        }
    }
}
