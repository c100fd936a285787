//! Exponential decay.

use super::{positive, Schedule, ScheduleError};

/// PyTorch `ExponentialLR`: `lr ← lr·γ` every step, i.e. `lr_t = lr·γ^t`.
#[derive(Debug, Clone)]
pub struct Exponential {
    lr: f64,
    gamma: f64,
}

impl Exponential {
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
