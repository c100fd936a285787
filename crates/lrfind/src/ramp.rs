//! The learning-rate ramp of a range test.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How the lr moves from `start_lr` to `end_lr` over the test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Ramp {
    /// Geometric steps (Smith 2015 §3.3, fastai `SchedExp`): the usual choice.
    #[default]
    Exp,
    /// Equal steps (pytorch-lr-finder's `LinearLR` mode).
    Linear,
}

impl Ramp {
    /// The lr of step `k` of `n` (`0 ≤ k < n`, `n ≥ 2`), exact at both ends:
    /// exp `start·(end/start)^(k/(n−1))`, linear `start + (end − start)·k/(n−1)`.
    pub fn lr(self, start: f64, end: f64, k: usize, n: usize) -> f64 {
        if k == 0 {
            return start;
        }
        if k + 1 >= n {
            return end;
        }
        let t = k as f64 / (n - 1) as f64;
        match self {
            // In log space when end/start overflows (1e-200 … 1e200): no step's lr is ∞.
            Ramp::Exp if !(end / start).is_finite() => {
                (start.ln() + (end.ln() - start.ln()) * t).exp()
            }
            Ramp::Exp => start * (end / start).powf(t),
            Ramp::Linear => start + (end - start) * t,
        }
    }
}

impl fmt::Display for Ramp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Ramp::Exp => "exp",
            Ramp::Linear => "linear",
        })
    }
}

impl FromStr for Ramp {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "exp" => Ok(Ramp::Exp),
            "linear" => Ok(Ramp::Linear),
            other => Err(format!("unknown ramp '{other}' (expected exp or linear)")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_ends_are_exact() {
        for ramp in [Ramp::Exp, Ramp::Linear] {
            assert_eq!(ramp.lr(1e-7, 10.0, 0, 100), 1e-7);
            assert_eq!(ramp.lr(1e-7, 10.0, 99, 100), 10.0);
        }
    }

    #[test]
    fn exp_ramp_has_a_constant_ratio() {
        let lrs: Vec<f64> = (0..9).map(|k| Ramp::Exp.lr(1e-4, 1.0, k, 9)).collect();
        for w in lrs.windows(2) {
            assert!((w[1] / w[0] - 10f64.sqrt()).abs() < 1e-12);
        }
        assert!((Ramp::Linear.lr(0.0, 1.0, 1, 5) - 0.25).abs() < 1e-15);
    }
}
