//! The one-cycle policy (Smith & Topin 2018), as PyTorch's `OneCycleLR`.

use super::{at_least_one, invalid, positive, Schedule, ScheduleError};
use std::f64::consts::PI;

/// Interpolation between the ends of a phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Anneal {
    /// `end + (start − end)/2·(1 + cos(π·pct))` (PyTorch `_annealing_cos`).
    Cos,
    /// `start + (end − start)·pct` (PyTorch `_annealing_linear`).
    Linear,
}

impl Anneal {
    fn at(self, start: f64, end: f64, pct: f64) -> f64 {
        match self {
            Anneal::Cos => end + (start - end) / 2.0 * ((PI * pct).cos() + 1.0),
            Anneal::Linear => (end - start) * pct + start,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Phase {
    end_step: f64,
    lr: (f64, f64),
    momentum: (f64, f64),
}

/// PyTorch `OneCycleLR`: lr from `max_lr/div_factor` up to `max_lr` over `pct_start` of
/// `total_steps`, then down to `initial/final_div_factor` (three-phase: up, back to initial, then
/// down to the minimum); momentum moves inversely between `max_momentum` and `base_momentum`.
/// Defaults: pct_start 0.3, div_factor 25, final_div_factor 1e4, cos, momentum 0.85 ↔ 0.95.
/// Stepping past `total_steps` is an error, as in PyTorch.
#[derive(Debug, Clone)]
pub struct OneCycle {
    phases: Vec<Phase>,
    anneal: Anneal,
    total: usize,
    cycle_momentum: bool,
    t: usize,
}

/// Settings of [`OneCycle`] besides `max_lr` and `total_steps`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OneCycleOptions {
    /// Share of the cycle spent rising.
    pub pct_start: f64,
    /// Initial lr = max_lr / div_factor.
    pub div_factor: f64,
    /// Final lr = initial / final_div_factor.
    pub final_div_factor: f64,
    /// Interpolation within a phase.
    pub anneal: Anneal,
    /// Three phases (up, back to initial, then to the minimum).
    pub three_phase: bool,
    /// `(base_momentum, max_momentum)`; `None` leaves momentum alone.
    pub momentum: Option<(f64, f64)>,
}

impl Default for OneCycleOptions {
    fn default() -> Self {
        OneCycleOptions {
            pct_start: 0.3,
            div_factor: 25.0,
            final_div_factor: 1e4,
            anneal: Anneal::Cos,
            three_phase: false,
            momentum: Some((0.85, 0.95)),
        }
    }
}

impl OneCycle {
    /// Over `total_steps` steps peaking at `max_lr`.
    pub fn new(max_lr: f64, total_steps: usize, o: OneCycleOptions) -> Result<Self, ScheduleError> {
        let max_lr = positive("max_lr", max_lr)?;
        let total = at_least_one("total_steps", total_steps)?;
        if !(o.pct_start > 0.0 && o.pct_start < 1.0) {
            return Err(invalid("pct_start", "must be in (0, 1)", o.pct_start));
        }
        let initial = max_lr / positive("div_factor", o.div_factor)?;
        let min_lr = initial / positive("final_div_factor", o.final_div_factor)?;
        let (base_m, max_m) = o.momentum.unwrap_or((0.0, 0.0));
        super::momentum_range(base_m, max_m)?;
        let (n, p) = (total as f64, o.pct_start);
        // PyTorch's phases: up to max_lr, then down to the minimum — or, three-phase, back to the
        // initial lr first; momentum moves inversely.
        let up = Phase {
            end_step: p * n - 1.0,
            lr: (initial, max_lr),
            momentum: (max_m, base_m),
        };
        let phases = if o.three_phase {
            vec![
                up,
                Phase {
                    end_step: 2.0 * p * n - 2.0,
                    lr: (max_lr, initial),
                    momentum: (base_m, max_m),
                },
                Phase {
                    end_step: n - 1.0,
                    lr: (initial, min_lr),
                    momentum: (max_m, max_m),
                },
            ]
        } else {
            vec![
                up,
                Phase {
                    end_step: n - 1.0,
                    lr: (max_lr, min_lr),
                    momentum: (base_m, max_m),
                },
            ]
        };
        Ok(OneCycle {
            phases,
            anneal: o.anneal,
            total,
            cycle_momentum: o.momentum.is_some(),
            t: 0,
        })
    }

    /// (lr, momentum) at the current step, PyTorch `OneCycleLR.get_lr`.
    fn values(&self) -> (f64, f64) {
        let step = self.t as f64;
        let mut start = 0.0;
        for (i, ph) in self.phases.iter().enumerate() {
            if step <= ph.end_step || i == self.phases.len() - 1 {
                let pct = (step - start) / (ph.end_step - start);
                return (
                    self.anneal.at(ph.lr.0, ph.lr.1, pct),
                    self.anneal.at(ph.momentum.0, ph.momentum.1, pct),
                );
            }
            start = ph.end_step;
        }
        unreachable!("the last phase always matches")
    }
}

impl Schedule for OneCycle {
    fn lr(&self) -> f64 {
        self.values().0
    }
    fn momentum(&self) -> Option<f64> {
        self.cycle_momentum.then(|| self.values().1)
    }
    fn step(&mut self, _: Option<f64>) -> Result<(), ScheduleError> {
        if self.t + 1 > self.total {
            return Err(ScheduleError::PastEnd {
                step: self.t + 1,
                total: self.total,
            });
        }
        self.t += 1;
        Ok(())
    }
}

/// [`OneCycle`]'s settings with PyTorch `OneCycleLR`'s defaults.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct OneCycleConfig {
    /// Peak lr (default: the base rate).
    #[cfg_attr(feature = "clap", arg(long))]
    pub max_lr: Option<f64>,
    /// Length of the cycle (default: the whole run).
    #[cfg_attr(feature = "clap", arg(long))]
    pub total_steps: Option<usize>,
    /// Share of the cycle spent rising.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 0.3))]
    pub pct_start: f64,
    /// Initial lr = max_lr / div_factor.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 25.0))]
    pub div_factor: f64,
    /// Final lr = initial lr / final_div_factor.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 1e4))]
    pub final_div_factor: f64,
    /// Interpolation within a phase.
    #[cfg_attr(feature = "clap", arg(long, value_enum, default_value_t = Anneal::Cos))]
    pub anneal: Anneal,
    /// Three phases (up, back down to initial, then to the minimum).
    #[cfg_attr(feature = "clap", arg(long))]
    pub three_phase: bool,
    /// Lowest momentum (at the lr's peak).
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 0.85))]
    pub base_momentum: f64,
    /// Highest momentum (at the start and end).
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 0.95))]
    pub max_momentum: f64,
}

impl Default for OneCycleConfig {
    fn default() -> Self {
        let o = OneCycleOptions::default();
        let (base_momentum, max_momentum) = o.momentum.unwrap_or((0.85, 0.95));
        OneCycleConfig {
            max_lr: None,
            total_steps: None,
            pct_start: o.pct_start,
            div_factor: o.div_factor,
            final_div_factor: o.final_div_factor,
            anneal: o.anneal,
            three_phase: o.three_phase,
            base_momentum,
            max_momentum,
        }
    }
}

impl OneCycleConfig {
    /// Checks the settings besides the rate and the length.
    pub fn validate(&self) -> Result<(), ScheduleError> {
        if let Some(total) = self.total_steps {
            at_least_one("total_steps", total)?;
        }
        if !(self.pct_start > 0.0 && self.pct_start < 1.0) {
            return Err(invalid("pct_start", "must be in (0, 1)", self.pct_start));
        }
        positive("div_factor", self.div_factor)?;
        positive("final_div_factor", self.final_div_factor)?;
        super::momentum_range(self.base_momentum, self.max_momentum)
    }

    /// The schedule over a run of `steps` steps; `lr` stands in for a missing `max_lr`.
    pub fn build(&self, lr: Option<f64>, steps: usize) -> Result<OneCycle, ScheduleError> {
        let options = OneCycleOptions {
            pct_start: self.pct_start,
            div_factor: self.div_factor,
            final_div_factor: self.final_div_factor,
            anneal: self.anneal,
            three_phase: self.three_phase,
            momentum: Some((self.base_momentum, self.max_momentum)),
        };
        OneCycle::new(
            super::needs("one-cycle", "max_lr", self.max_lr.or(lr))?,
            self.total_steps.unwrap_or(steps),
            options,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sequence;

    #[test]
    fn peaks_at_pct_start_and_ends_at_the_minimum() {
        let mut s = OneCycle::new(1.0, 100, OneCycleOptions::default()).unwrap();
        let (lrs, moms) = sequence(&mut s, 100, None).unwrap();
        assert!((lrs[0] - 0.04).abs() < 1e-15);
        assert!((lrs[29] - 1.0).abs() < 1e-15);
        assert!((lrs[99] - 0.04 / 1e4).abs() < 1e-18);
        let moms = moms.unwrap();
        assert!((moms[29] - 0.85).abs() < 1e-15 && (moms[99] - 0.95).abs() < 1e-15);
    }

    #[test]
    fn stepping_past_total_steps_is_an_error() {
        let mut s = OneCycle::new(1.0, 3, OneCycleOptions::default()).unwrap();
        for _ in 0..3 {
            s.step(None).unwrap();
        }
        assert_eq!(
            s.step(None),
            Err(ScheduleError::PastEnd { step: 4, total: 3 })
        );
    }

    #[test]
    fn three_phase_returns_to_initial_before_the_final_descent() {
        let o = OneCycleOptions {
            three_phase: true,
            anneal: Anneal::Linear,
            ..Default::default()
        };
        let (lrs, _) = sequence(&mut OneCycle::new(1.0, 20, o).unwrap(), 20, None).unwrap();
        assert!(
            (lrs[5] - 1.0).abs() < 1e-12 && (lrs[10] - 0.04).abs() < 1e-12,
            "{lrs:?}"
        );
    }

    #[test]
    fn pct_start_outside_the_open_interval_is_refused() {
        for p in [0.0, 1.0, -0.1, f64::NAN] {
            let o = OneCycleOptions {
                pct_start: p,
                ..Default::default()
            };
            assert!(OneCycle::new(1.0, 10, o).is_err());
        }
    }
}
