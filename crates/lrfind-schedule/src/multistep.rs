//! Decay at given milestones.

use super::{positive, Schedule, ScheduleError};

/// PyTorch `MultiStepLR`: `lr ← lr·γ^c` at step t, c = times t appears in `milestones` (γ = 0.1).
#[derive(Debug, Clone)]
pub struct MultiStep {
    lr: f64,
    milestones: Vec<usize>,
    gamma: f64,
    t: usize,
}

impl MultiStep {
    /// `lr` decayed by `gamma` at each milestone.
    pub fn new(lr: f64, mut milestones: Vec<usize>, gamma: f64) -> Result<Self, ScheduleError> {
        milestones.sort_unstable();
        Ok(MultiStep {
            lr: positive("lr", lr)?,
            milestones,
            gamma: positive("gamma", gamma)?,
            t: 0,
        })
    }
}

impl Schedule for MultiStep {
    fn lr(&self) -> f64 {
        self.lr
    }
    fn step(&mut self, _: Option<f64>) -> Result<(), ScheduleError> {
        self.t += 1;
        let hits = self.milestones.iter().filter(|&&m| m == self.t).count();
        if hits > 0 {
            self.lr *= self.gamma.powi(hits as i32);
        }
        Ok(())
    }
}

/// [`MultiStep`]'s settings (PyTorch `MultiStepLR`; γ defaults to 0.1).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct MultiStepConfig {
    /// Comma-separated steps at which to decay, e.g. 5,12,20.
    #[cfg_attr(feature = "clap", arg(long, value_delimiter = ',', required = true))]
    pub milestones: Vec<usize>,
    /// Factor of each decay.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = MultiStepConfig::GAMMA))]
    pub gamma: f64,
}

impl MultiStepConfig {
    /// PyTorch's default γ.
    pub const GAMMA: f64 = 0.1;

    /// Checks the settings besides the rate.
    pub fn validate(&self) -> Result<(), ScheduleError> {
        positive("gamma", self.gamma).map(|_| ())
    }

    /// The schedule from `lr`.
    pub fn build(&self, lr: f64) -> Result<MultiStep, ScheduleError> {
        MultiStep::new(lr, self.milestones.clone(), self.gamma)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sequence;

    #[test]
    fn decays_at_each_milestone_and_twice_at_a_repeated_one() {
        let (lrs, _) = sequence(
            &mut MultiStep::new(1.0, vec![4, 2, 4], 0.5).unwrap(),
            6,
            None,
        )
        .unwrap();
        assert_eq!(lrs, [1.0, 1.0, 0.5, 0.5, 0.125, 0.125]);
    }
}
