//! Polynomial decay to zero.

use super::{at_least_one, positive, Schedule, ScheduleError};

/// PyTorch `PolynomialLR`: `lr_t = lr·(1 − min(t, T)/T)^power` (T = 5, power = 1), applied
/// recursively: `lr ← lr·((1 − t/T) / (1 − (t−1)/T))^power` for `t ≤ T`.
#[derive(Debug, Clone)]
pub struct Polynomial {
    lr: f64,
    total: usize,
    power: f64,
    t: usize,
}

impl Polynomial {
    /// `lr·(1 − t/total_iters)^power`.
    pub fn new(lr: f64, total_iters: usize, power: f64) -> Result<Self, ScheduleError> {
        Ok(Polynomial {
            lr: positive("lr", lr)?,
            total: at_least_one("total_iters", total_iters)?,
            power: super::non_negative("power", power)?,
            t: 0,
        })
    }
}

impl Schedule for Polynomial {
    fn lr(&self) -> f64 {
        self.lr
    }
    fn step(&mut self, _: Option<f64>) -> Result<(), ScheduleError> {
        self.t += 1;
        if self.t <= self.total {
            let (t, n) = (self.t as f64, self.total as f64);
            self.lr *= ((1.0 - t / n) / (1.0 - (t - 1.0) / n)).powf(self.power);
        }
        Ok(())
    }
}

/// [`Polynomial`]'s settings with PyTorch `PolynomialLR`'s defaults (5 steps, power 1).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct PolynomialConfig {
    /// Steps over which the lr decays to 0.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 5))]
    pub total_iters: usize,
    /// Power of the decay.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 1.0))]
    pub power: f64,
}

impl Default for PolynomialConfig {
    fn default() -> Self {
        PolynomialConfig {
            total_iters: 5,
            power: 1.0,
        }
    }
}

impl PolynomialConfig {
    /// Checks the settings besides the rate.
    pub fn validate(&self) -> Result<(), ScheduleError> {
        at_least_one("total_iters", self.total_iters)?;
        super::non_negative("power", self.power).map(|_| ())
    }

    /// The schedule from `lr`.
    pub fn build(&self, lr: f64) -> Result<Polynomial, ScheduleError> {
        Polynomial::new(lr, self.total_iters, self.power)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sequence;

    #[test]
    fn reaches_zero_at_total_iters_and_stays() {
        let (lrs, _) = sequence(&mut Polynomial::new(1.0, 4, 2.0).unwrap(), 6, None).unwrap();
        let want = [1.0, 0.5625, 0.25, 0.0625, 0.0, 0.0];
        for (g, w) in lrs.iter().zip(want) {
            assert!((g - w).abs() < 1e-15, "{lrs:?}");
        }
    }
}
