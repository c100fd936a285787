//! How far a curve can be trusted: warnings shown beside the recommended rate, each with advice,
//! so a number read off a poor curve does not look as good as any other.
//!
//! The checks are read off the analyzed window (the curve without the skipped ends):
//! too few points (< 20), a loss that turns up in the first quarter of the window (the sweep
//! started too high), a shallow descent (the smoothed loss falls less than 5%), and batch noise
//! larger than the descent (the median |raw − smoothed| exceeds the fall, both relative to the
//! first smoothed loss). A curve with no descent at all gets no rate ([`crate::NoRecommendation`]),
//! except after a warm-up, which measures the batch noise: a curve that does not fall beyond it
//! gets a warning of its own and a rate a decade below where the loss rises ([`crate::noise`]).

use crate::noise::Reading;
use crate::Analysis;
use std::fmt;

/// Fewest analyzed points a confident reading needs.
pub const MIN_POINTS: usize = 20;
/// The relative fall below which a descent is shallow.
pub const SHALLOW: f64 = 0.05;

/// Something about a curve that makes its suggestions less trustworthy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Warning {
    /// The loss never fell beyond the batch noise a warm-up measured ([`crate::noise`]).
    NoDescent {
        /// How far a loss had to fall to count ([`crate::noise::BatchNoise::band`]).
        band: f64,
        /// The lr where the loss rises beyond the noise, if it does.
        rise: Option<f64>,
    },
    /// The rules read fewer points than [`MIN_POINTS`].
    TooFewPoints {
        /// Points read.
        points: usize,
    },
    /// The lowest loss comes in the first quarter of the analyzed range.
    EarlyTurn {
        /// The lr of the lowest loss.
        lr: f64,
    },
    /// The loss falls by less than [`SHALLOW`].
    Shallow {
        /// The fall, as a share of the first loss.
        fall: f64,
    },
    /// The batch losses scatter more than the loss falls.
    Noisy {
        /// Median |raw − smoothed|, as a share of the first loss.
        noise: f64,
        /// The fall, as a share of the first loss.
        fall: f64,
    },
}

impl Warning {
    /// A short stable name for scripts.
    pub fn code(&self) -> &'static str {
        match self {
            Warning::NoDescent { .. } => "no_descent",
            Warning::TooFewPoints { .. } => "too_few_points",
            Warning::EarlyTurn { .. } => "early_turn",
            Warning::Shallow { .. } => "shallow",
            Warning::Noisy { .. } => "noisy",
        }
    }

    /// What to do about it, naming the [`crate::RangeTestConfig`] settings to change
    /// (`start_lr`, `end_lr`, `num_iter`, `stop_div`, `beta`); a front end renames them to its own
    /// words (the CLI to its flags).
    pub fn advice(&self) -> &'static str {
        match self {
            Warning::NoDescent { .. } => {
                "expected from trained weights (a re-find); for a rate read off a descent, run the \
                 test from earlier weights or widen the range (start_lr, end_lr)"
            }
            Warning::TooFewPoints { .. } => {
                "run more iterations (num_iter) or stop later (stop_div)"
            }
            Warning::EarlyTurn { .. } => "start the sweep lower (start_lr)",
            Warning::Shallow { .. } => {
                "widen the range (start_lr, end_lr) or run more iterations (num_iter)"
            }
            Warning::Noisy { .. } => {
                "use a larger batch, more iterations (num_iter), or stronger smoothing (beta closer to 1)"
            }
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::NoDescent {
                band,
                rise: Some(rise),
            } => write!(
                f,
                "the loss never fell by more than its batch noise ({band:.3}): the curve shows \
                 only where it rises (lr {rise:.2e}), and every rule's rate is a decade below that"
            ),
            Warning::NoDescent { band, rise: None } => write!(
                f,
                "the loss neither fell nor rose by more than its batch noise ({band:.3}): no rule \
                 has a rate to read"
            ),
            Warning::TooFewPoints { points } => {
                write!(f, "only {points} points were read (fewer than {MIN_POINTS})")
            }
            Warning::EarlyTurn { lr } => write!(
                f,
                "the loss is lowest at lr {lr:.2e}, in the first quarter of the sweep: it turned up almost at once"
            ),
            Warning::Shallow { fall } => {
                write!(f, "the loss fell only {:.1}%", fall * 100.0)
            }
            Warning::Noisy { noise, fall } => write!(
                f,
                "the batch losses scatter by {:.1}% while the loss falls {:.1}%",
                noise * 100.0,
                fall * 100.0
            ),
        }
    }
}

/// The warnings of `a`'s curve, in the order above (none: a confident reading).
pub fn warnings(a: &Analysis) -> Vec<Warning> {
    let window = a.window();
    let losses = &a.curve.loss[window.clone()];
    let mut out = Vec::new();
    if let (Some(Reading::Flat { rise }), Some(noise)) = (a.reading, a.noise) {
        out.push(Warning::NoDescent {
            band: noise.band(),
            rise: rise.map(|i| a.curve.lr[i]),
        });
    }
    if losses.len() < MIN_POINTS {
        out.push(Warning::TooFewPoints {
            points: losses.len(),
        });
    }
    let Some(&first) = losses.first() else {
        return out;
    };
    let (at, lowest) = losses
        .iter()
        .copied()
        .enumerate()
        .min_by(|x, y| x.1.total_cmp(&y.1))
        .expect("a point");
    if first.abs() <= f64::MIN_POSITIVE || !lowest.is_finite() {
        return out;
    }
    let fall = (first - lowest) / first.abs();
    if losses.len() >= 8 && at < losses.len() / 4 {
        out.push(Warning::EarlyTurn {
            lr: a.curve.lr[window.start + at],
        });
    }
    if fall < SHALLOW {
        out.push(Warning::Shallow { fall });
    }
    if let Some(raw) = &a.curve.raw_loss {
        let mut residuals: Vec<f64> = raw[window.clone()]
            .iter()
            .zip(losses)
            .map(|(r, s)| (r - s).abs() / first.abs())
            .filter(|x| x.is_finite())
            .collect();
        residuals.sort_by(f64::total_cmp);
        if let Some(&noise) = residuals.get(residuals.len() / 2) {
            if noise > fall {
                out.push(Warning::Noisy { noise, fall });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{analyze, AnalyzeOptions, Curve};

    fn curve(loss: Vec<f64>, raw: Option<Vec<f64>>) -> Analysis {
        let lr = (0..loss.len())
            .map(|i| 1e-6 * 1.2f64.powi(i as i32))
            .collect();
        let c = Curve {
            lr,
            loss,
            raw_loss: raw,
        };
        analyze(&c, &AnalyzeOptions::default()).unwrap()
    }

    /// A descent from 2.3 to 1.0 around the middle, then a rise.
    fn good(n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| {
                let x = i as f64 / n as f64;
                2.3 - 1.3 / (1.0 + (-(x - 0.5) * 20.0).exp()) + 3.0 * (x - 0.8).max(0.0)
            })
            .collect()
    }

    #[test]
    fn a_clean_descent_has_no_warning() {
        assert_eq!(warnings(&curve(good(100), None)), []);
        let path = crate::suggest::fixtures::dir().join("suggest/digits_mlp_adam_s0/curve.csv");
        let a = analyze(
            &Curve::read_path(&path).unwrap(),
            &AnalyzeOptions::default(),
        )
        .unwrap();
        assert_eq!(warnings(&a), []);
    }

    #[test]
    fn each_poor_curve_says_what_is_wrong() {
        let codes = |a: &Analysis| warnings(a).iter().map(Warning::code).collect::<Vec<_>>();
        assert_eq!(codes(&curve(good(24), None)), ["too_few_points"]);
        let early: Vec<f64> = (0..100)
            .map(|i| 2.0 - 0.5 * (i < 15) as u8 as f64 * i as f64 / 15.0 + 0.05 * i as f64)
            .collect();
        assert!(codes(&curve(early, None)).contains(&"early_turn"));
        let shallow: Vec<f64> = (0..100).map(|i| 2.0 - 0.0006 * i as f64).collect();
        assert_eq!(codes(&curve(shallow, None)), ["shallow"]);
        let smooth = good(100);
        let raw: Vec<f64> = smooth
            .iter()
            .enumerate()
            .map(|(i, s)| s + if i % 2 == 0 { 1.5 } else { -1.5 })
            .collect();
        let noisy = curve(smooth, Some(raw));
        assert_eq!(codes(&noisy), ["noisy"]);
        for w in warnings(&noisy) {
            assert!(!w.to_string().is_empty() && !w.advice().is_empty());
        }
    }
}
