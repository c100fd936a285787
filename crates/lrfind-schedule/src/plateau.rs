//! Reduce the lr when a metric stops improving.

use super::{invalid, non_negative, positive, Schedule, ScheduleError};

/// Whether lower or higher metric values are better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum PlateauMode {
    /// Lower is better.
    Min,
    /// Higher is better.
    Max,
}

/// How `threshold` is applied to the best value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum ThresholdMode {
    /// Better means beyond `best·(1 ∓ threshold)`.
    Rel,
    /// Better means beyond `best ∓ threshold`.
    Abs,
}

/// Settings of [`Plateau`], PyTorch's defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlateauOptions {
    /// Whether lower or higher is better.
    pub mode: PlateauMode,
    /// lr multiplier on a plateau.
    pub factor: f64,
    /// Bad steps tolerated before reducing.
    pub patience: usize,
    /// Improvement needed to count.
    pub threshold: f64,
    /// How the threshold applies.
    pub threshold_mode: ThresholdMode,
    /// Steps after a reduction in which bad steps are not counted.
    pub cooldown: usize,
    /// The lr never goes below this.
    pub min_lr: f64,
    /// Reductions smaller than this are skipped.
    pub eps: f64,
}

impl Default for PlateauOptions {
    fn default() -> Self {
        PlateauOptions {
            mode: PlateauMode::Min,
            factor: 0.1,
            patience: 10,
            threshold: 1e-4,
            threshold_mode: ThresholdMode::Rel,
            cooldown: 0,
            min_lr: 0.0,
            eps: 1e-8,
        }
    }
}

/// PyTorch `ReduceLROnPlateau`: after more than `patience` steps without improvement,
/// `lr ← max(lr·factor, min_lr)` (skipped if the change is ≤ eps), then `cooldown` steps in which
/// bad steps are not counted. A NaN metric counts as no improvement.
#[derive(Debug, Clone)]
pub struct Plateau {
    lr: f64,
    o: PlateauOptions,
    best: f64,
    bad: usize,
    cooldown_left: usize,
    t: usize,
}

impl Plateau {
    /// From `lr`, reduced on plateaus of the metric.
    pub fn new(lr: f64, o: PlateauOptions) -> Result<Self, ScheduleError> {
        check_options(&o)?;
        let best = match o.mode {
            PlateauMode::Min => f64::INFINITY,
            PlateauMode::Max => f64::NEG_INFINITY,
        };
        Ok(Plateau {
            lr: positive("lr", lr)?,
            o,
            best,
            bad: 0,
            cooldown_left: 0,
            t: 0,
        })
    }

    fn is_better(&self, a: f64) -> bool {
        let (best, th) = (self.best, self.o.threshold);
        match (self.o.mode, self.o.threshold_mode) {
            (PlateauMode::Min, ThresholdMode::Rel) => a < best * (1.0 - th),
            (PlateauMode::Min, ThresholdMode::Abs) => a < best - th,
            (PlateauMode::Max, ThresholdMode::Rel) => a > best * (th + 1.0),
            (PlateauMode::Max, ThresholdMode::Abs) => a > best + th,
        }
    }
}

impl Schedule for Plateau {
    fn lr(&self) -> f64 {
        self.lr
    }
    fn step(&mut self, metric: Option<f64>) -> Result<(), ScheduleError> {
        self.t += 1;
        let current = metric.ok_or(ScheduleError::MissingMetric(self.t))?;
        if self.is_better(current) {
            self.best = current;
            self.bad = 0;
        } else {
            self.bad += 1;
        }
        if self.cooldown_left > 0 {
            self.cooldown_left -= 1;
            self.bad = 0;
        }
        if self.bad > self.o.patience {
            let new = (self.lr * self.o.factor).max(self.o.min_lr);
            if self.lr - new > self.o.eps {
                self.lr = new;
            }
            self.cooldown_left = self.o.cooldown;
            self.bad = 0;
        }
        Ok(())
    }
}

/// Checks a factor in (0, 1) and non-negative threshold, min_lr and eps.
fn check_options(o: &PlateauOptions) -> Result<(), ScheduleError> {
    if !(o.factor < 1.0 && o.factor > 0.0) {
        return Err(invalid("factor", "must be in (0, 1)", o.factor));
    }
    non_negative("threshold", o.threshold)?;
    non_negative("min_lr", o.min_lr)?;
    non_negative("eps", o.eps)?;
    Ok(())
}

/// [`Plateau`]'s settings with PyTorch `ReduceLROnPlateau`'s defaults (as [`PlateauOptions`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct PlateauConfig {
    /// Whether lower (min) or higher (max) metric values are better.
    #[cfg_attr(feature = "clap", arg(long, value_enum, default_value_t = PlateauMode::Min))]
    pub mode: PlateauMode,
    /// lr multiplier on a plateau.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 0.1))]
    pub factor: f64,
    /// Bad steps tolerated before reducing.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 10))]
    pub patience: usize,
    /// Improvement needed to count.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 1e-4))]
    pub threshold: f64,
    /// How the threshold applies (rel: a share of the best, abs: a difference).
    #[cfg_attr(feature = "clap", arg(long, value_enum, default_value_t = ThresholdMode::Rel))]
    pub threshold_mode: ThresholdMode,
    /// Steps after a reduction in which bad steps are not counted.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 0))]
    pub cooldown: usize,
    /// The lr never goes below this.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 0.0))]
    pub min_lr: f64,
}

impl Default for PlateauConfig {
    fn default() -> Self {
        let d = PlateauOptions::default();
        PlateauConfig {
            mode: d.mode,
            factor: d.factor,
            patience: d.patience,
            threshold: d.threshold,
            threshold_mode: d.threshold_mode,
            cooldown: d.cooldown,
            min_lr: d.min_lr,
        }
    }
}

impl PlateauConfig {
    /// Checks the settings besides the rate.
    pub fn validate(&self) -> Result<(), ScheduleError> {
        check_options(&self.options())
    }

    fn options(&self) -> PlateauOptions {
        PlateauOptions {
            mode: self.mode,
            factor: self.factor,
            patience: self.patience,
            threshold: self.threshold,
            threshold_mode: self.threshold_mode,
            cooldown: self.cooldown,
            min_lr: self.min_lr,
            ..PlateauOptions::default()
        }
    }

    /// The schedule from `lr`.
    pub fn build(&self, lr: f64) -> Result<Plateau, ScheduleError> {
        Plateau::new(lr, self.options())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sequence;

    #[test]
    fn cooldown_suspends_counting_after_a_reduction() {
        let o = PlateauOptions {
            patience: 0,
            cooldown: 2,
            factor: 0.5,
            ..Default::default()
        };
        let metrics = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0];
        let (lrs, _) = sequence(&mut Plateau::new(1.0, o).unwrap(), 7, Some(&metrics)).unwrap();
        // step 1 improves; 2 is bad → halve, cooldown 2; 3, 4 in cooldown; 5 bad → halve.
        assert_eq!(lrs, [1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25]);
    }

    #[test]
    fn a_missing_metric_is_an_error() {
        let mut p = Plateau::new(1.0, PlateauOptions::default()).unwrap();
        assert_eq!(p.step(None), Err(ScheduleError::MissingMetric(1)));
    }
}
