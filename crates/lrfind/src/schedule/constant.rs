//! A constant learning rate.

use super::{positive, Schedule, ScheduleError};

/// `lr_t = lr` for every t.
#[derive(Debug, Clone)]
pub struct Constant {
    lr: f64,
}

impl Constant {
    pub fn new(lr: f64) -> Result<Self, ScheduleError> {
        Ok(Constant {
            lr: positive("lr", lr)?,
        })
    }
}

impl Schedule for Constant {
    fn lr(&self) -> f64 {
        self.lr
    }
    fn step(&mut self, _: Option<f64>) -> Result<(), ScheduleError> {
        Ok(())
    }
}
