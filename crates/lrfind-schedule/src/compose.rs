//! Schedules made of schedules.

use super::{Schedule, ScheduleError};

/// PyTorch `SequentialLR`: schedule `k` runs from milestone `k−1` (from its own step 0) until
/// milestone `k`; e.g. a linear warm-up, then cosine annealing.
pub struct Sequential {
    schedules: Vec<Box<dyn Schedule>>,
    milestones: Vec<usize>,
    current: usize,
    t: usize,
}

impl Sequential {
    /// Needs one milestone fewer than schedules, strictly increasing.
    pub fn new(
        schedules: Vec<Box<dyn Schedule>>,
        milestones: Vec<usize>,
    ) -> Result<Self, ScheduleError> {
        if schedules.is_empty() || milestones.len() + 1 != schedules.len() {
            return Err(ScheduleError::Compose(format!(
                "sequential needs one milestone fewer than schedules ({} schedules, {} milestones)",
                schedules.len(),
                milestones.len()
            )));
        }
        if milestones.windows(2).any(|w| w[0] >= w[1]) || milestones.first() == Some(&0) {
            return Err(ScheduleError::Compose(format!(
                "milestones must be increasing and > 0, got {milestones:?}"
            )));
        }
        Ok(Sequential {
            schedules,
            milestones,
            current: 0,
            t: 0,
        })
    }
}

impl Schedule for Sequential {
    fn lr(&self) -> f64 {
        self.schedules[self.current].lr()
    }
    fn momentum(&self) -> Option<f64> {
        self.schedules[self.current].momentum()
    }
    fn step(&mut self, metric: Option<f64>) -> Result<(), ScheduleError> {
        self.t += 1;
        if self.milestones.get(self.current) == Some(&self.t) {
            self.current += 1; // the next schedule starts at its own step 0
            Ok(())
        } else {
            self.schedules[self.current].step(metric)
        }
    }
}

/// PyTorch `ChainedScheduler` for multiplicative schedules: every schedule steps together and
/// their factors multiply, `lr_t = lr · Π_k (lr_k,t / lr_k,0)`.
pub struct Chained {
    lr: f64,
    schedules: Vec<(f64, Box<dyn Schedule>)>,
}

impl Chained {
    /// Every schedule of `schedules` applied to the same lr, as PyTorch `ChainedScheduler`.
    pub fn new(lr: f64, schedules: Vec<Box<dyn Schedule>>) -> Result<Self, ScheduleError> {
        if schedules.is_empty() {
            return Err(ScheduleError::Compose(
                "chained needs at least one schedule".into(),
            ));
        }
        let lr = super::positive("lr", lr)?;
        Ok(Chained {
            lr,
            schedules: schedules.into_iter().map(|s| (s.lr(), s)).collect(),
        })
    }
}

impl Schedule for Chained {
    fn lr(&self) -> f64 {
        self.schedules
            .iter()
            .fold(self.lr, |lr, (first, s)| lr * (s.lr() / first))
    }
    fn step(&mut self, metric: Option<f64>) -> Result<(), ScheduleError> {
        self.schedules
            .iter_mut()
            .try_for_each(|(_, s)| s.step(metric))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{sequence, CosineAnnealing, Exponential, LinearWarmup, StepDecay};

    #[test]
    fn warmup_then_cosine() {
        let warm = Box::new(LinearWarmup::new(1.0, 0.25, 1.0, 3).unwrap());
        let cos = Box::new(CosineAnnealing::new(1.0, 4, 0.0).unwrap());
        let (lrs, _) = sequence(
            &mut Sequential::new(vec![warm, cos], vec![3]).unwrap(),
            8,
            None,
        )
        .unwrap();
        let want = [
            0.25,
            0.5,
            0.75,
            1.0,
            0.8535533905932737,
            0.5,
            0.14644660940672627,
            0.0,
        ];
        for (t, (g, w)) in lrs.iter().zip(want).enumerate() {
            assert!((g - w).abs() < 1e-12, "t={t}: {lrs:?}");
        }
    }

    #[test]
    fn chained_multiplies_the_factors() {
        let step = Box::new(StepDecay::new(1.0, 2, 0.1).unwrap());
        let exp = Box::new(Exponential::new(1.0, 0.5).unwrap());
        let (lrs, _) = sequence(&mut Chained::new(2.0, vec![step, exp]).unwrap(), 4, None).unwrap();
        let want = [2.0, 1.0, 0.05, 0.025];
        for (g, w) in lrs.iter().zip(want) {
            assert!((g - w).abs() < 1e-15, "{lrs:?}");
        }
    }

    #[test]
    fn mismatched_milestones_are_refused() {
        let one = || Box::new(Exponential::new(1.0, 0.5).unwrap()) as Box<dyn Schedule>;
        assert!(Sequential::new(vec![one(), one()], vec![]).is_err());
        assert!(Sequential::new(vec![one(), one(), one()], vec![3, 3]).is_err());
    }
}
