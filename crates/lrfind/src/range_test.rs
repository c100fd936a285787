//! The range test as a state machine the caller drives: ask for an lr, report the loss.

use crate::curve::Curve;
use crate::noise::BatchNoise;
use crate::ramp::Ramp;
use crate::smooth::Smoothing;
use crate::stop::StopReason;
use crate::tracker::{LossTracker, Observation};
use serde::{Deserialize, Serialize};

/// Settings of a range test. The defaults are fastai's, except that the ramp reaches `end_lr`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RangeTestConfig {
    /// First lr (1e-7).
    pub start_lr: f64,
    /// Last lr (10).
    pub end_lr: f64,
    /// Number of steps, both ends included (100).
    pub num_iter: usize,
    /// How the lr grows (exp).
    pub ramp: Ramp,
    /// How losses are smoothed (debiased EMA, β = 0.98).
    pub smoothing: Smoothing,
    /// Stop once smoothed loss > `stop_div ×` best (4); `None` never stops (for losses that go negative).
    pub stop_div: Option<f64>,
    /// Steps at `start_lr` before the sweep, not recorded, whose mean raw loss starts the smoothing
    /// (0, fastai's start: the debiased average of the first losses). From trained weights the
    /// batch losses vary more than the loss moves at tiny rates, so a debiased average of the first
    /// few batches drifts as more arrive — and slope rules (`steep`, `gradient`, `sma`) read that
    /// drift as descent. A warm-up starts the curve at a settled value instead, and measures the
    /// batch noise ([`RangeTestResult::noise`]) the analysis reads the curve against.
    pub warmup: usize,
}

impl Default for RangeTestConfig {
    fn default() -> Self {
        RangeTestConfig {
            start_lr: 1e-7,
            end_lr: 10.0,
            num_iter: 100,
            ramp: Ramp::Exp,
            smoothing: Smoothing::default(),
            stop_div: Some(4.0),
            warmup: 0,
        }
    }
}

/// A setting of [`RangeTestConfig`] that cannot work.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    #[error("start_lr must be a finite number > 0, got {0:e}")]
    /// start_lr is not a finite number > 0.
    StartLr(f64),
    #[error("end_lr must be finite and greater than start_lr ({start:e}), got {end:e}")]
    /// end_lr is not above start_lr.
    EndLr {
        /// start_lr.
        start: f64,
        /// end_lr.
        end: f64,
    },
    #[error("num_iter must be at least 2, got {0}")]
    /// Fewer than 2 steps.
    NumIter(usize),
    #[error("beta must be in [0, 1), got {0}")]
    /// β outside [0, 1).
    Beta(f64),
    #[error("stop_div must be a finite number > 1, got {0}")]
    /// A divergence factor ≤ 1.
    StopDiv(f64),
    #[error("slide.thresh must be a finite number ≥ 0, got {0}")]
    /// The `slide` rule's gradient threshold is negative or not a number.
    SlideThresh(f64),
    #[error("slide.lr_diff must be at least 1, got 0")]
    /// The `slide` rule's interval is empty.
    SlideLrDiff,
    #[error("slide.adjust_value must be a finite number > 0, got {0}")]
    /// The `slide` rule's factor is not a positive number.
    SlideAdjust(f64),
    #[error("sma_window must be at least 1, got 0")]
    /// The `sma` rule's window is empty.
    SmaWindow,
}

impl RangeTestConfig {
    /// Checks every setting; the first one that cannot work is the error.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(self.start_lr > 0.0 && self.start_lr.is_finite()) {
            return Err(ConfigError::StartLr(self.start_lr));
        }
        if !(self.end_lr > self.start_lr && self.end_lr.is_finite()) {
            return Err(ConfigError::EndLr {
                start: self.start_lr,
                end: self.end_lr,
            });
        }
        if self.num_iter < 2 {
            return Err(ConfigError::NumIter(self.num_iter));
        }
        validate_smoothing(self.smoothing)?;
        validate_stop_div(self.stop_div)
    }

    /// The lr of step `k`.
    pub fn lr_at(&self, k: usize) -> f64 {
        self.ramp.lr(self.start_lr, self.end_lr, k, self.num_iter)
    }
}

pub(crate) fn validate_smoothing(smoothing: Smoothing) -> Result<(), ConfigError> {
    match smoothing {
        Smoothing::Ema { beta } if !(0.0..1.0).contains(&beta) => Err(ConfigError::Beta(beta)),
        _ => Ok(()),
    }
}

pub(crate) fn validate_stop_div(stop_div: Option<f64>) -> Result<(), ConfigError> {
    match stop_div {
        Some(k) if !(k > 1.0 && k.is_finite()) => Err(ConfigError::StopDiv(k)),
        _ => Ok(()),
    }
}

/// What a finished range test recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeTestResult {
    /// lr, raw loss and smoothed loss of every recorded step.
    pub curve: Curve,
    /// Why the test ended.
    pub stopped: StopReason,
    /// The batch noise its warm-up measured (`None` without a warm-up of 2+ finite losses).
    pub noise: Option<BatchNoise>,
    /// The sweep's configured length ([`RangeTestConfig::num_iter`]), which fastai's skipping
    /// reads whatever length the curve reached.
    pub num_iter: usize,
}

/// A range test in progress: call [`next_lr`](Self::next_lr), train one step at that lr, then
/// [`record`](Self::record) the loss, until `next_lr` returns `None`.
#[derive(Debug, Clone)]
pub struct RangeTest {
    config: RangeTestConfig,
    tracker: LossTracker,
    lr: Vec<f64>,
    raw: Vec<f64>,
    smoothed: Vec<f64>,
    stopped: Option<StopReason>,
    noise: Option<BatchNoise>,
}

impl RangeTest {
    /// A test with `config` (checked).
    pub fn new(config: RangeTestConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(RangeTest {
            config,
            tracker: LossTracker::new(config.smoothing, config.stop_div),
            lr: Vec::with_capacity(config.num_iter),
            raw: Vec::with_capacity(config.num_iter),
            smoothed: Vec::with_capacity(config.num_iter),
            stopped: None,
            noise: None,
        })
    }

    /// Its settings.
    pub fn config(&self) -> &RangeTestConfig {
        &self.config
    }

    /// Index of the next step (= number of points recorded).
    pub fn iteration(&self) -> usize {
        self.lr.len()
    }

    /// The lr to train the next step with, or `None` once the test has stopped.
    pub fn next_lr(&self) -> Option<f64> {
        match self.stopped {
            Some(_) => None,
            None => Some(self.config.lr_at(self.iteration())),
        }
    }

    /// Reports the raw loss of the step trained at [`next_lr`](Self::next_lr). Returns the reason
    /// when this ends the test; after the end, further losses are ignored.
    pub fn record(&mut self, raw_loss: f64) -> Option<StopReason> {
        let lr = self.next_lr()?;
        match self.tracker.observe(raw_loss) {
            Observation::NonFinite => self.stopped = Some(StopReason::NonFinite),
            Observation::Record { smoothed, stop } => {
                self.lr.push(lr);
                self.raw.push(raw_loss);
                self.smoothed.push(smoothed);
                self.stopped = stop
                    .or((self.lr.len() == self.config.num_iter).then_some(StopReason::Completed));
            }
        }
        self.stopped
    }

    /// Starts the smoothing at the mean of the warm-up's finite raw `losses` (see
    /// [`RangeTestConfig::warmup`]) and keeps their [`BatchNoise`] for the analysis; call before
    /// the first [`RangeTest::record`]. Without a finite loss nothing changes.
    pub fn settle(&mut self, losses: &[f64]) {
        let finite: Vec<f64> = losses.iter().copied().filter(|l| l.is_finite()).collect();
        if finite.is_empty() {
            return;
        }
        self.tracker
            .settle(finite.iter().sum::<f64>() / finite.len() as f64);
        self.noise = BatchNoise::measure(&finite, self.config.smoothing);
    }

    /// The smoothed loss of the last recorded step.
    pub fn last_loss(&self) -> Option<f64> {
        self.smoothed.last().copied()
    }

    /// Stops the test at the caller's request (recorded points are kept).
    pub fn interrupt(&mut self) {
        self.stopped.get_or_insert(StopReason::Interrupted);
    }

    /// Why it ended, once it has.
    pub fn stopped(&self) -> Option<StopReason> {
        self.stopped
    }

    /// The points recorded so far; a test that has not stopped counts as interrupted.
    pub fn finish(self) -> RangeTestResult {
        RangeTestResult {
            stopped: self.stopped.unwrap_or(StopReason::Interrupted),
            noise: self.noise,
            num_iter: self.config.num_iter,
            curve: Curve {
                lr: self.lr,
                loss: self.smoothed,
                raw_loss: Some(self.raw),
            },
        }
    }

    /// A copy of what was recorded so far, without ending the test.
    pub fn snapshot(&self) -> RangeTestResult {
        self.clone().finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drive(config: RangeTestConfig, loss: impl Fn(f64) -> f64) -> RangeTestResult {
        let mut test = RangeTest::new(config).unwrap();
        while let Some(lr) = test.next_lr() {
            test.record(loss(lr));
        }
        test.finish()
    }

    #[test]
    fn a_quiet_run_completes_with_every_step_recorded() {
        let r = drive(RangeTestConfig::default(), |_| 1.0);
        assert_eq!(r.stopped, StopReason::Completed);
        assert_eq!(r.curve.len(), 100);
        assert_eq!(r.curve.lr[0], 1e-7);
        assert_eq!(r.curve.lr[99], 10.0);
    }

    #[test]
    fn divergence_stops_and_the_diverging_point_is_recorded() {
        let config = RangeTestConfig {
            smoothing: Smoothing::None,
            ..Default::default()
        };
        let r = drive(config, |lr| if lr > 1e-2 { 100.0 } else { 1.0 });
        assert_eq!(r.stopped, StopReason::Diverged);
        assert_eq!(*r.curve.loss.last().unwrap(), 100.0);
        assert!(*r.curve.lr.last().unwrap() > 1e-2);
        assert!(r.curve.lr[r.curve.len() - 2] <= 1e-2);
    }

    #[test]
    fn nan_stops_at_once_and_is_not_recorded() {
        let r = drive(RangeTestConfig::default(), |lr| {
            if lr > 1e-3 {
                f64::NAN
            } else {
                1.0
            }
        });
        assert_eq!(r.stopped, StopReason::NonFinite);
        assert!(r.curve.loss.iter().all(|l| l.is_finite()));
        assert!(r.curve.lr.iter().all(|&lr| lr <= 1e-3));
    }

    #[test]
    fn a_restarted_test_does_not_inherit_an_old_best() {
        // Mid-training the loss is already low; a fresh test must judge against its own points.
        let config = RangeTestConfig {
            smoothing: Smoothing::None,
            ..Default::default()
        };
        let r = drive(config, |_| 0.05);
        assert_eq!(r.stopped, StopReason::Completed);
    }

    #[test]
    fn invalid_settings_are_named() {
        let bad = |c: RangeTestConfig| RangeTest::new(c).unwrap_err();
        let d = RangeTestConfig::default();
        assert_eq!(
            bad(RangeTestConfig { start_lr: 0.0, ..d }),
            ConfigError::StartLr(0.0)
        );
        assert!(matches!(
            bad(RangeTestConfig { end_lr: 1e-8, ..d }),
            ConfigError::EndLr { .. }
        ));
        assert_eq!(
            bad(RangeTestConfig { num_iter: 1, ..d }),
            ConfigError::NumIter(1)
        );
        let beta = Smoothing::Ema { beta: 1.0 };
        assert_eq!(
            bad(RangeTestConfig {
                smoothing: beta,
                ..d
            }),
            ConfigError::Beta(1.0)
        );
        assert_eq!(
            bad(RangeTestConfig {
                stop_div: Some(1.0),
                ..d
            }),
            ConfigError::StopDiv(1.0)
        );
    }

    #[test]
    fn interrupt_keeps_what_was_recorded() {
        let mut test = RangeTest::new(RangeTestConfig::default()).unwrap();
        test.record(1.0);
        test.record(1.0);
        test.interrupt();
        assert_eq!(test.next_lr(), None);
        let r = test.finish();
        assert_eq!((r.stopped, r.curve.len()), (StopReason::Interrupted, 2));
    }
}
