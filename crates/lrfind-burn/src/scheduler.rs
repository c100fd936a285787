//! lrfind's schedules as burn's [`LrScheduler`], so burn's `Learner` (or any loop that asks a
//! burn scheduler for its rate) can use cyclical, one-cycle, warm restarts and the rest with
//! PyTorch's numbers.

use burn::lr_scheduler::{LrScheduler, LrSchedulerRecord};
use lrfind::schedule::Schedule;

/// Wraps an lrfind [`Schedule`]. burn calls [`LrScheduler::step`] before every optimizer step
/// and uses the rate it returns, so the first call returns the schedule's initial rate (as
/// PyTorch's optimizer sees it before any `scheduler.step()`), and each call then advances.
///
/// A schedule that cannot advance without a metric ([`lrfind::schedule::Plateau`]; burn passes
/// none) or past its end (one-cycle) keeps its last rate rather than panicking mid-training.
///
/// Re-finding mid-training: a `Learner` keeps its scheduler to itself, but it loads records —
/// [`restart`] makes one that starts the schedule over with every rate multiplied by a factor
/// (for one-cycle, cosine, cyclic and constant schedules that is the same schedule with its peak
/// moved to the new rate): `learner.load_scheduler(restart(new_max_lr / old_max_lr))`.
#[derive(Debug, Clone)]
pub struct BurnScheduler<S> {
    initial: S,
    current: S,
    steps: u64,
    scale: f64,
}

/// A record that restarts a [`BurnScheduler`] from its first step with every rate multiplied by
/// `scale` (load it with `Learner::load_scheduler` or [`LrScheduler::load_record`]). It carries the
/// values twice: at the top, for the scheduler itself, and under `"0"`, where burn's
/// `ModuleLrScheduler` (the `Learner`'s) looks for its first parameter group's scheduler.
pub fn restart(scale: f64) -> LrSchedulerRecord {
    record(0, scale).with_record("0", record(0, scale))
}

/// A [`BurnScheduler`]'s record: steps taken and the rate factor.
fn record(steps: u64, scale: f64) -> LrSchedulerRecord {
    LrSchedulerRecord::new()
        .with_scalar(STEPS_KEY, steps as f64)
        .with_scalar(SCALE_KEY, scale)
}

impl<S: Schedule + Clone> BurnScheduler<S> {
    /// Wraps `schedule`; burn's `Learner` steps it once per optimizer step.
    pub fn new(schedule: S) -> BurnScheduler<S> {
        BurnScheduler {
            initial: schedule.clone(),
            current: schedule,
            steps: 0,
            scale: 1.0,
        }
    }

    /// Steps taken so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }
}

const STEPS_KEY: &str = "lrfind_steps";
const SCALE_KEY: &str = "lrfind_scale";

impl<S: Schedule + Clone + Sync + 'static> LrScheduler for BurnScheduler<S> {
    fn step(&mut self) -> f64 {
        let lr = self.current.lr() * self.scale;
        // An error leaves the schedule where it was: the rate holds (see the type's docs).
        let _ = self.current.step(None);
        self.steps += 1;
        lr
    }

    /// The record is the number of steps taken and the rate factor ([`restart`]): the schedules
    /// are deterministic, so replaying them from the initial state restores them exactly (the
    /// same floats PyTorch's recursive forms give).
    fn to_record(&self) -> LrSchedulerRecord {
        record(self.steps, self.scale)
    }

    fn load_record(&mut self, record: LrSchedulerRecord) {
        let Some(steps) = record.scalar::<f64>(STEPS_KEY) else {
            return;
        };
        self.current = self.initial.clone();
        self.steps = 0;
        self.scale = record.scalar::<f64>(SCALE_KEY).unwrap_or(1.0);
        while (self.steps as f64) < steps {
            let _ = self.current.step(None);
            self.steps += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lrfind::schedule::{OneCycle, OneCycleOptions, StepDecay};

    #[test]
    fn burn_sees_pytorch_rates_in_order() {
        let mut s = BurnScheduler::new(StepDecay::new(0.1, 2, 0.5).unwrap());
        let rates: Vec<f64> = (0..5).map(|_| s.step()).collect();
        assert_eq!(rates, vec![0.1, 0.1, 0.05, 0.05, 0.025]);
    }

    #[test]
    fn a_restart_record_starts_over_with_scaled_rates() {
        let one_cycle = OneCycle::new(0.01, 20, OneCycleOptions::default()).unwrap();
        let mut s = BurnScheduler::new(one_cycle.clone());
        let first: Vec<f64> = (0..20).map(|_| s.step()).collect();
        s.load_record(restart(0.25));
        let again: Vec<f64> = (0..20).map(|_| s.step()).collect();
        let peak = OneCycle::new(0.0025, 20, OneCycleOptions::default()).unwrap();
        let mut want = BurnScheduler::new(peak);
        for (a, b) in again.iter().zip(first) {
            assert_eq!(*a, b * 0.25);
            assert!((a - want.step()).abs() <= 1e-15);
        }
        // The factor survives a save and load.
        let mut t = BurnScheduler::new(one_cycle);
        t.load_record(s.to_record());
        assert_eq!(t.step(), s.step());
    }

    #[test]
    fn record_round_trip_restores_the_rate_sequence() {
        let one_cycle = OneCycle::new(0.01, 50, OneCycleOptions::default()).unwrap();
        let mut a = BurnScheduler::new(one_cycle.clone());
        for _ in 0..17 {
            a.step();
        }
        let mut b = BurnScheduler::new(one_cycle);
        b.load_record(a.to_record());
        assert_eq!(b.steps(), 17);
        for _ in 0..40 {
            // Past total_steps one-cycle holds its last rate instead of panicking.
            assert_eq!(a.step().to_bits(), b.step().to_bits());
        }
    }
}
