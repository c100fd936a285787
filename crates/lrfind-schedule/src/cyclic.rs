//! Cyclical learning rates (Smith 2015), with momentum cycled inversely.

use super::{at_least_one, invalid, positive, Schedule, ScheduleError};
use std::str::FromStr;

/// How the amplitude of each cycle changes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CyclicMode {
    /// Constant amplitude.
    Triangular,
    /// Amplitude halves every cycle.
    Triangular2,
    /// Amplitude scaled by γ^step.
    ExpRange {
        /// γ.
        gamma: f64,
    },
}

impl CyclicMode {
    /// Parses `triangular`, `triangular2` or `exp_range` (with the given γ).
    pub fn parse(name: &str, gamma: f64) -> Result<Self, ScheduleError> {
        match name {
            "triangular" => Ok(CyclicMode::Triangular),
            "triangular2" => Ok(CyclicMode::Triangular2),
            "exp_range" | "exp-range" => Ok(CyclicMode::ExpRange {
                gamma: positive("gamma", gamma)?,
            }),
            other => Err(invalid(
                "mode",
                "must be triangular, triangular2 or exp_range",
                other,
            )),
        }
    }
}

impl FromStr for CyclicMode {
    type Err = ScheduleError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CyclicMode::parse(s, 1.0)
    }
}

/// PyTorch `CyclicLR`: with `x` the position in the current cycle scaled to [0, 1] and `f` the
/// triangle (up for `step_size_up` steps, down for `step_size_down`),
/// `lr = base + (max − base)·f·scale`, `momentum = max_m − (max_m − base_m)·f·scale`;
/// scale is 1, `1/2^(cycle−1)` or `γ^t` by mode. Momentum defaults 0.8 ↔ 0.9.
#[derive(Debug, Clone)]
pub struct Cyclic {
    base_lr: f64,
    max_lr: f64,
    total: f64,
    step_ratio: f64,
    mode: CyclicMode,
    momentum: Option<(f64, f64)>,
    t: usize,
}

impl Cyclic {
    /// `step_size_down = None` uses `step_size_up`; `momentum = Some((base, max))` cycles it.
    pub fn new(
        base_lr: f64,
        max_lr: f64,
        step_size_up: usize,
        step_size_down: Option<usize>,
        mode: CyclicMode,
        momentum: Option<(f64, f64)>,
    ) -> Result<Self, ScheduleError> {
        let base_lr = positive("base_lr", base_lr)?;
        let max_lr = positive("max_lr", max_lr)?;
        let up = at_least_one("step_size_up", step_size_up)? as f64;
        let down = at_least_one("step_size_down", step_size_down.unwrap_or(step_size_up))? as f64;
        if let Some((b, m)) = momentum {
            super::momentum_range(b, m)?;
        }
        let total = up + down;
        Ok(Cyclic {
            base_lr,
            max_lr,
            total,
            step_ratio: up / total,
            mode,
            momentum,
            t: 0,
        })
    }

    /// (position in the triangle in [0, 1], amplitude scale) at the current step.
    fn shape(&self) -> (f64, f64) {
        let t = self.t as f64;
        let cycle = (1.0 + t / self.total).floor();
        let x = 1.0 + t / self.total - cycle;
        let f = if x <= self.step_ratio {
            x / self.step_ratio
        } else {
            (x - 1.0) / (self.step_ratio - 1.0)
        };
        let scale = match self.mode {
            CyclicMode::Triangular => 1.0,
            CyclicMode::Triangular2 => 1.0 / 2f64.powf(cycle - 1.0),
            CyclicMode::ExpRange { gamma } => gamma.powf(t),
        };
        (f, scale)
    }
}

impl Schedule for Cyclic {
    fn lr(&self) -> f64 {
        let (f, scale) = self.shape();
        self.base_lr + (self.max_lr - self.base_lr) * f * scale
    }
    fn momentum(&self) -> Option<f64> {
        let (base, max) = self.momentum?;
        let (f, scale) = self.shape();
        Some(max - (max - base) * f * scale)
    }
    fn step(&mut self, _: Option<f64>) -> Result<(), ScheduleError> {
        self.t += 1;
        Ok(())
    }
}

/// The name of a [`CyclicMode`] (its γ is [`CyclicConfig::gamma`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum CyclicModeName {
    /// Constant amplitude.
    #[default]
    Triangular,
    /// Amplitude halved every cycle.
    Triangular2,
    /// Amplitude scaled by γ^step.
    #[cfg_attr(feature = "clap", value(name = "exp_range"))]
    ExpRange,
}

/// [`Cyclic`]'s settings with PyTorch `CyclicLR`'s defaults.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct CyclicConfig {
    /// Lower lr bound (default: the base rate).
    #[cfg_attr(feature = "clap", arg(long))]
    pub base_lr: Option<f64>,
    /// Upper lr bound.
    #[cfg_attr(feature = "clap", arg(long))]
    pub max_lr: Option<f64>,
    /// Steps of the rising half-cycle.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 2000))]
    pub step_size_up: usize,
    /// Steps of the falling half-cycle (default: step_size_up).
    #[cfg_attr(feature = "clap", arg(long))]
    pub step_size_down: Option<usize>,
    /// How the amplitude changes from cycle to cycle.
    #[cfg_attr(feature = "clap", arg(long, value_enum, default_value_t))]
    pub mode: CyclicModeName,
    /// γ of exp_range.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 1.0))]
    pub gamma: f64,
    /// Lowest momentum (at the lr's peak).
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 0.8))]
    pub base_momentum: f64,
    /// Highest momentum (at the lr's trough).
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 0.9))]
    pub max_momentum: f64,
}

impl Default for CyclicConfig {
    fn default() -> Self {
        CyclicConfig {
            base_lr: None,
            max_lr: None,
            step_size_up: 2000,
            step_size_down: None,
            mode: CyclicModeName::Triangular,
            gamma: 1.0,
            base_momentum: 0.8,
            max_momentum: 0.9,
        }
    }
}

impl CyclicConfig {
    /// Checks the settings besides the rates.
    pub fn validate(&self) -> Result<(), ScheduleError> {
        at_least_one("step_size_up", self.step_size_up)?;
        at_least_one(
            "step_size_down",
            self.step_size_down.unwrap_or(self.step_size_up),
        )?;
        if self.mode == CyclicModeName::ExpRange {
            positive("gamma", self.gamma)?;
        }
        super::momentum_range(self.base_momentum, self.max_momentum)
    }

    /// The schedule; `lr` stands in for a missing `base_lr`.
    pub fn build(&self, lr: Option<f64>) -> Result<Cyclic, ScheduleError> {
        let mode = match self.mode {
            CyclicModeName::Triangular => CyclicMode::Triangular,
            CyclicModeName::Triangular2 => CyclicMode::Triangular2,
            CyclicModeName::ExpRange => CyclicMode::ExpRange {
                gamma: positive("gamma", self.gamma)?,
            },
        };
        Cyclic::new(
            super::needs("cyclic", "base_lr", self.base_lr.or(lr))?,
            super::needs("cyclic", "max_lr", self.max_lr)?,
            self.step_size_up,
            self.step_size_down,
            mode,
            Some((self.base_momentum, self.max_momentum)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sequence;

    #[test]
    fn triangular2_halves_the_amplitude_each_cycle() {
        let mut c = Cyclic::new(
            0.0f64.max(1e-9),
            1.0,
            2,
            None,
            CyclicMode::Triangular2,
            Some((0.8, 0.9)),
        )
        .unwrap();
        let (lrs, moms) = sequence(&mut c, 9, None).unwrap();
        let peaks = [lrs[2], lrs[6]];
        assert!(
            (peaks[0] - 1.0).abs() < 1e-8 && (peaks[1] - 0.5).abs() < 1e-8,
            "{lrs:?}"
        );
        let moms = moms.unwrap();
        assert!((moms[0] - 0.9).abs() < 1e-15 && (moms[2] - 0.8).abs() < 1e-15);
    }

    #[test]
    fn asymmetric_cycle_peaks_after_step_size_up() {
        let (lrs, _) = sequence(
            &mut Cyclic::new(0.1, 1.1, 1, Some(3), CyclicMode::Triangular, None).unwrap(),
            5,
            None,
        )
        .unwrap();
        let want = [0.1, 1.1, 1.1 - 1.0 / 3.0, 1.1 - 2.0 / 3.0, 0.1];
        for (g, w) in lrs.iter().zip(want) {
            assert!((g - w).abs() < 1e-12, "{lrs:?}");
        }
    }
}
