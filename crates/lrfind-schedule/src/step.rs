//! Step decay.

use super::{at_least_one, positive, Schedule, ScheduleError};

/// PyTorch `StepLR`: `lr ← lr·γ` every `step_size` steps, i.e. `lr_t = lr·γ^⌊t/step_size⌋` (γ = 0.1).
#[derive(Debug, Clone)]
pub struct StepDecay {
    lr: f64,
    step_size: usize,
    gamma: f64,
    t: usize,
}

impl StepDecay {
    /// `lr` decayed by `gamma` every `step_size` steps.
    pub fn new(lr: f64, step_size: usize, gamma: f64) -> Result<Self, ScheduleError> {
        Ok(StepDecay {
            lr: positive("lr", lr)?,
            step_size: at_least_one("step_size", step_size)?,
            gamma: positive("gamma", gamma)?,
            t: 0,
        })
    }
}

impl Schedule for StepDecay {
    fn lr(&self) -> f64 {
        self.lr
    }
    fn step(&mut self, _: Option<f64>) -> Result<(), ScheduleError> {
        self.t += 1;
        if self.t.is_multiple_of(self.step_size) {
            self.lr *= self.gamma;
        }
        Ok(())
    }
}

/// [`StepDecay`]'s settings (PyTorch `StepLR`; γ defaults to 0.1).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct StepConfig {
    /// Decay every N steps.
    #[cfg_attr(feature = "clap", arg(long))]
    pub step_size: usize,
    /// Factor of each decay.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = StepConfig::GAMMA))]
    pub gamma: f64,
}

impl StepConfig {
    /// PyTorch's default γ.
    pub const GAMMA: f64 = 0.1;

    /// Decay by PyTorch's γ every `step_size` steps.
    pub fn new(step_size: usize) -> StepConfig {
        StepConfig {
            step_size,
            gamma: Self::GAMMA,
        }
    }

    /// Checks the settings besides the rate.
    pub fn validate(&self) -> Result<(), ScheduleError> {
        at_least_one("step_size", self.step_size)?;
        positive("gamma", self.gamma).map(|_| ())
    }

    /// The schedule from `lr`.
    pub fn build(&self, lr: f64) -> Result<StepDecay, ScheduleError> {
        StepDecay::new(lr, self.step_size, self.gamma)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sequence;

    #[test]
    fn decays_at_multiples_of_step_size() {
        let (lrs, _) = sequence(&mut StepDecay::new(1.0, 3, 0.5).unwrap(), 8, None).unwrap();
        assert_eq!(lrs, [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25]);
        assert!(StepDecay::new(1.0, 0, 0.5).is_err());
    }
}
