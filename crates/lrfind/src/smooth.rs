//! Loss smoothing during a range test.

use serde::{Deserialize, Serialize};

/// How raw losses are smoothed before they are recorded and judged.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "kind")]
pub enum Smoothing {
    /// Record the raw loss.
    None,
    /// Debiased exponential moving average (fastai `AvgSmoothLoss`).
    Ema {
        /// Weight of the past.
        beta: f64,
    },
}

impl Default for Smoothing {
    fn default() -> Self {
        Smoothing::Ema { beta: 0.98 }
    }
}

/// fastai `AvgSmoothLoss`: `v ← β·v + (1−β)·L`, value `v / (1 − β^count)`, count from 1 for this run.
#[derive(Debug, Clone, PartialEq)]
pub struct Ema {
    beta: f64,
    value: f64,
    count: i32,
}

impl Ema {
    /// An EMA with weight `beta` of the past.
    pub fn new(beta: f64) -> Self {
        Ema {
            beta,
            value: 0.0,
            count: 0,
        }
    }

    /// The same average started at `mean`, as if it had already seen infinitely many losses of
    /// `mean`: no debiasing from here on (`β^count` is 0), so each new loss moves it by only
    /// `(1−β)·(L − v)` from the first point on.
    pub fn settled_at(&self, mean: f64) -> Ema {
        Ema {
            beta: self.beta,
            value: mean,
            count: i32::MAX,
        }
    }

    /// Feeds one raw loss and returns the debiased average so far.
    pub fn update(&mut self, loss: f64) -> f64 {
        self.count = self.count.saturating_add(1);
        self.value = self.beta * self.value + (1.0 - self.beta) * loss;
        self.value / (1.0 - self.beta.powi(self.count))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_value_is_the_loss_itself() {
        let mut ema = Ema::new(0.98);
        assert!((ema.update(2.5) - 2.5).abs() < 1e-12);
    }

    #[test]
    fn debiased_average_of_a_constant_is_the_constant() {
        let mut ema = Ema::new(0.9);
        let last = (0..50).map(|_| ema.update(3.0)).last().unwrap();
        assert!((last - 3.0).abs() < 1e-12);
    }

    #[test]
    fn a_settled_average_moves_by_one_minus_beta_of_the_gap() {
        let mut ema = Ema::new(0.98).settled_at(2.0);
        assert!((ema.update(3.0) - 2.02).abs() < 1e-12);
    }

    #[test]
    fn matches_the_recurrence_by_hand() {
        let mut ema = Ema::new(0.5);
        ema.update(1.0); // v = 0.5, value 1
        let v = ema.update(3.0); // v = 0.25 + 1.5 = 1.75, value 1.75 / 0.75
        assert!((v - 1.75 / 0.75).abs() < 1e-15);
    }
}
