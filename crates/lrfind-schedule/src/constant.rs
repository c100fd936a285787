//! A constant learning rate.

use super::{positive, Schedule, ScheduleError};

/// `lr_t = lr` for every t.
#[derive(Debug, Clone)]
pub struct Constant {
    lr: f64,
}

impl Constant {
    /// A constant `lr` (must be > 0).
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

/// [`Constant`]'s settings: none besides the rate.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct ConstantConfig {}

impl ConstantConfig {
    /// Checks the settings besides the rate (there are none).
    pub fn validate(&self) -> Result<(), ScheduleError> {
        Ok(())
    }

    /// The schedule at `lr`.
    pub fn build(&self, lr: f64) -> Result<Constant, ScheduleError> {
        Constant::new(lr)
    }
}
