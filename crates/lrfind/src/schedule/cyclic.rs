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
    /// Amplitude scaled by `γ^t` (t = step).
    ExpRange { gamma: f64 },
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
            if !(0.0..=1.0).contains(&b) || !(0.0..=1.0).contains(&m) || b > m {
                return Err(invalid(
                    "momentum",
                    "needs 0 ≤ base_momentum ≤ max_momentum ≤ 1",
                    format!("{b}, {m}"),
                ));
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::sequence;

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
