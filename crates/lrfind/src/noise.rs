//! What a range test's warm-up measures — the batch-to-batch noise of the loss at the start rate —
//! and what a curve shows beyond that noise.
//!
//! From trained weights (a re-find mid-training) the loss does not move at tiny rates: the curve is
//! the batch noise until the rate is large enough to raise the loss. Every rule that reads a
//! descent (`steep`, `gradient`, `sma`, `lightning`, and `valley`/`minimum` on their own terms)
//! then reads noise, anywhere from 1e-7 up. The warm-up's losses say how large that noise is, so
//! the analysis can tell a descent from it: [`read`] finds either the descent (and where it starts)
//! or that there is none, and then the one thing the curve does show — where the loss rises.

use crate::smooth::Smoothing;
use serde::{Deserialize, Serialize};

/// How many standard deviations of [`BatchNoise::spread`] a move must exceed to count.
pub const NOISE_Z: f64 = 3.0;

/// The warm-up's raw losses at the start rate, summarized.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BatchNoise {
    /// Mean raw loss (the smoothing starts here).
    pub mean: f64,
    /// Sample standard deviation of the raw losses.
    pub sd: f64,
    /// Warm-up steps with a finite loss.
    pub steps: usize,
    /// Standard deviation of a recorded loss about `mean` while the loss does not move:
    /// `sd·√((1−β)/(1+β) + 1/steps)` — a stationary EMA's spread (variance `σ²(1−β)/(1+β)`) plus the
    /// mean's standard error; `sd·√(1 + 1/steps)` without smoothing.
    pub spread: f64,
}

impl BatchNoise {
    /// Summarizes the warm-up's finite losses for a curve recorded with `smoothing`; `None` with
    /// fewer than 2 of them (no spread to measure).
    pub fn measure(losses: &[f64], smoothing: Smoothing) -> Option<BatchNoise> {
        let finite: Vec<f64> = losses.iter().copied().filter(|l| l.is_finite()).collect();
        let n = finite.len();
        if n < 2 {
            return None;
        }
        let mean = finite.iter().sum::<f64>() / n as f64;
        let sd = (finite.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
        let ema_share = match smoothing {
            Smoothing::None => 1.0,
            Smoothing::Ema { beta } => (1.0 - beta) / (1.0 + beta),
        };
        Some(BatchNoise {
            mean,
            sd,
            steps: n,
            spread: sd * (ema_share + 1.0 / n as f64).sqrt(),
        })
    }

    /// How far a recorded loss must move from `mean` to count: [`NOISE_Z`] × `spread`.
    pub fn band(&self) -> f64 {
        NOISE_Z * self.spread
    }
}

/// What a curve shows beyond its batch noise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// The loss falls below the warm-up's mean by more than the band; the descent starts at
    /// `from` (the last point before the lowest one still at or above the mean, else the window's
    /// first) and bottoms out at `lowest`.
    Descent {
        /// Where the descent starts.
        from: usize,
        /// The lowest point.
        lowest: usize,
    },
    /// The loss never falls beyond the band: the curve holds no descent to read.
    Flat {
        /// The first point above the mean by more than the band (the loss starts to climb), if any.
        rise: Option<usize>,
    },
}

/// Reads `losses` against `noise`: the lowest loss within `window` decides whether there is a
/// descent; the rise is looked for over the whole curve (it often lies in the skipped end).
pub fn read(losses: &[f64], window: std::ops::Range<usize>, noise: &BatchNoise) -> Reading {
    let band = noise.band();
    let lowest = window
        .clone()
        .filter(|&i| losses[i].is_finite())
        .min_by(|&a, &b| losses[a].total_cmp(&losses[b]));
    match lowest {
        Some(lowest) if noise.mean - losses[lowest] > band => {
            let from = (window.start..lowest)
                .rev()
                .find(|&i| losses[i] >= noise.mean)
                .unwrap_or(window.start);
            Reading::Descent { from, lowest }
        }
        _ => Reading::Flat {
            rise: losses.iter().position(|&l| l - noise.mean > band),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(mean: f64, spread: f64) -> BatchNoise {
        BatchNoise {
            mean,
            sd: spread,
            steps: 20,
            spread,
        }
    }

    #[test]
    fn measures_mean_sample_sd_and_the_smoothed_spread() {
        let n = BatchNoise::measure(&[1.0, 3.0, f64::NAN], Smoothing::Ema { beta: 0.98 }).unwrap();
        assert_eq!((n.mean, n.steps), (2.0, 2));
        assert!((n.sd - 2f64.sqrt()).abs() < 1e-15);
        let expected = 2f64.sqrt() * (0.02 / 1.98 + 0.5f64).sqrt();
        assert!((n.spread - expected).abs() < 1e-15);
        let raw = BatchNoise::measure(&[1.0, 3.0], Smoothing::None).unwrap();
        assert!((raw.spread - 2f64.sqrt() * 1.5f64.sqrt()).abs() < 1e-15);
        assert_eq!(BatchNoise::measure(&[1.0], Smoothing::None), None);
    }

    #[test]
    fn a_fall_beyond_the_band_is_a_descent_starting_where_the_loss_left_the_mean() {
        // mean 1, band 0.3: flat noise, then a real fall to 0.5, then the blow-up.
        let losses = [1.1, 0.9, 1.05, 0.95, 1.02, 0.8, 0.6, 0.5, 0.7, 3.0];
        assert_eq!(
            read(&losses, 0..9, &noise(1.0, 0.1)),
            Reading::Descent { from: 4, lowest: 7 }
        );
    }

    #[test]
    fn noise_alone_is_flat_and_the_rise_is_found_past_the_window() {
        let losses = [1.1, 0.9, 1.05, 0.95, 1.02, 0.85, 1.1, 1.2, 1.5, 3.0];
        assert_eq!(
            read(&losses, 0..7, &noise(1.0, 0.1)),
            Reading::Flat { rise: Some(8) }
        );
        assert_eq!(
            read(&losses[..8], 0..7, &noise(1.0, 0.1)),
            Reading::Flat { rise: None }
        );
    }
}
