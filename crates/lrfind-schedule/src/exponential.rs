//! Exponential decay.

use super::{positive, Schedule, ScheduleError};

/// PyTorch `ExponentialLR`: `lr ← lr·γ` every step, i.e. `lr_t = lr·γ^t`.
#[derive(Debug, Clone)]
pub struct Exponential {
    lr: f64,
    gamma: f64,
}

impl Exponential {
    /// `lr·γ^t`.
    pub fn new(lr: f64, gamma: f64) -> Result<Self, ScheduleError> {
        Ok(Exponential {
            lr: positive("lr", lr)?,
            gamma: positive("gamma", gamma)?,
        })
    }
}

impl Schedule for Exponential {
    fn lr(&self) -> f64 {
        self.lr
    }
    fn step(&mut self, _: Option<f64>) -> Result<(), ScheduleError> {
        self.lr *= self.gamma;
        Ok(())
    }
}

/// [`Exponential`]'s settings (PyTorch `ExponentialLR`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct ExponentialConfig {
    /// Factor of every step.
    #[cfg_attr(feature = "clap", arg(long))]
    pub gamma: f64,
}

impl ExponentialConfig {
    /// Checks the settings besides the rate.
    pub fn validate(&self) -> Result<(), ScheduleError> {
        positive("gamma", self.gamma).map(|_| ())
    }

    /// The schedule from `lr`.
    pub fn build(&self, lr: f64) -> Result<Exponential, ScheduleError> {
        Exponential::new(lr, self.gamma)
    }
}
