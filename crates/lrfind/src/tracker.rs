//! Smoothing and the divergence rule, applied one raw loss at a time.

use crate::smooth::{Ema, Smoothing};
use crate::stop::StopReason;

/// What the tracker made of one raw loss.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Observation {
    /// Record `smoothed`; `stop` says whether the test ends with this point (it diverged).
    Record {
        /// The smoothed loss.
        smoothed: f64,
        /// Why the test ends here, if it does.
        stop: Option<StopReason>,
    },
    /// The raw loss was not finite: record nothing and stop.
    NonFinite,
}

/// Smooths raw losses and applies fastai's divergence rule: stop once
/// `smoothed > stop_div × best smoothed so far`. `best` starts at +∞ for every tracker, so a test
/// started in the middle of training judges against its own losses (Lightning keeps a best loss
/// from before the test and so stops too early or too late; we do not).
#[derive(Debug, Clone)]
pub struct LossTracker {
    ema: Option<Ema>,
    stop_div: Option<f64>,
    best: f64,
}

impl LossTracker {
    /// A tracker with `smoothing` and the divergence factor `stop_div`.
    pub fn new(smoothing: Smoothing, stop_div: Option<f64>) -> Self {
        let ema = match smoothing {
            Smoothing::None => None,
            Smoothing::Ema { beta } => Some(Ema::new(beta)),
        };
        LossTracker {
            ema,
            stop_div,
            best: f64::INFINITY,
        }
    }

    /// Starts the smoothing at `mean` instead of at the first loss (see
    /// [`crate::RangeTestConfig::warmup`]); without smoothing, nothing changes.
    pub fn settle(&mut self, mean: f64) {
        if let Some(ema) = &mut self.ema {
            *ema = ema.settled_at(mean);
        }
    }

    /// Feeds one raw loss.
    pub fn observe(&mut self, raw: f64) -> Observation {
        if !raw.is_finite() {
            return Observation::NonFinite;
        }
        let smoothed = match &mut self.ema {
            Some(ema) => ema.update(raw),
            None => raw,
        };
        if smoothed < self.best {
            self.best = smoothed;
        }
        let diverged = self.stop_div.is_some_and(|k| smoothed > k * self.best);
        Observation::Record {
            smoothed,
            stop: diverged.then_some(StopReason::Diverged),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn divergence_is_judged_against_this_runs_best() {
        let mut t = LossTracker::new(Smoothing::None, Some(4.0));
        assert_eq!(
            t.observe(1.0),
            Observation::Record {
                smoothed: 1.0,
                stop: None
            }
        );
        assert_eq!(
            t.observe(0.5),
            Observation::Record {
                smoothed: 0.5,
                stop: None
            }
        );
        assert_eq!(
            t.observe(2.0),
            Observation::Record {
                smoothed: 2.0,
                stop: None
            }
        );
        assert_eq!(
            t.observe(2.01),
            Observation::Record {
                smoothed: 2.01,
                stop: Some(StopReason::Diverged)
            }
        );
    }

    #[test]
    fn non_finite_raw_loss_stops_without_recording() {
        let mut t = LossTracker::new(Smoothing::default(), Some(4.0));
        t.observe(1.0);
        assert_eq!(t.observe(f64::NAN), Observation::NonFinite);
        assert_eq!(t.observe(f64::INFINITY), Observation::NonFinite);
    }

    #[test]
    fn without_stop_div_negative_losses_never_stop() {
        let mut t = LossTracker::new(Smoothing::None, None);
        for l in [-1.0, -0.5, 3.0, 100.0] {
            assert!(matches!(
                t.observe(l),
                Observation::Record { stop: None, .. }
            ));
        }
    }
}
