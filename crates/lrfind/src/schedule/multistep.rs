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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::sequence;

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
