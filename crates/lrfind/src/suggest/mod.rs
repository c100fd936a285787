//! Suggestion rules: pure functions of a recorded `(lrs, losses)` window.
//!
//! Each rule takes the window that is left after skipping (see [`crate::analyze`]) and returns a
//! [`Suggestion`] whose `index` counts in that window, or a typed [`SuggestError`] saying why the
//! curve does not allow it. The rules that reimplement a reference tool give the same index as that
//! tool on the same input; each file names its source.

mod bounds;
mod consensus;
mod descent;
mod gradient;
mod lightning;
mod minimum;
mod slide;
mod sma;
mod steep;
mod valley;

pub use bounds::{bounds, Bounds};
pub use consensus::consensus;
pub use descent::descent;
pub use gradient::{gradient, np_gradient};
pub use lightning::{gradient_against, lightning, LightningSkip};
pub use minimum::minimum;
pub use slide::{slide, SlideParams};
pub use sma::{sma, sma_derivative};
pub use steep::steep;
pub use valley::valley;

use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// A suggested learning rate, where it sits on the curve, and the point the rule read it from.
///
/// `index` and `loss` describe the suggested rate itself (a plot marks `(lr, loss)`); `source` is the
/// point the rule looked at, which differs for rules that move away from it (`minimum` suggests a
/// tenth of the lr at the lowest point; `slide` and `consensus` may land between points).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Suggestion {
    /// The suggested learning rate.
    pub lr: f64,
    /// The recorded point nearest to `lr` on a log scale, in the slice the rule was given.
    pub index: usize,
    /// The curve's loss at `lr`: interpolated linearly in log(lr) between the two points around
    /// it (the end point's loss when `lr` lies outside the recorded range).
    pub loss: f64,
    /// The point the rule read (for `minimum`, the lowest loss).
    pub source: usize,
}

impl Suggestion {
    /// The rate at point `index` itself.
    pub(crate) fn at(lrs: &[f64], losses: &[f64], index: usize) -> Self {
        Suggestion {
            lr: lrs[index],
            index,
            loss: losses[index],
            source: index,
        }
    }

    /// The rate `lr`, read from point `source`, placed on the curve by [`loss_at`].
    pub(crate) fn read_from(lrs: &[f64], losses: &[f64], lr: f64, source: usize) -> Self {
        let (index, loss) = loss_at(lrs, losses, lr);
        Suggestion {
            lr,
            index,
            loss,
            source,
        }
    }

    /// A decade below the rate of point `index`, read from it (fastai `minimum`'s step back from
    /// the lowest loss; the analysis's step back from the rise of a curve with no descent).
    pub(crate) fn decade_below(lrs: &[f64], losses: &[f64], index: usize) -> Self {
        Suggestion::read_from(lrs, losses, lrs[index] / 10.0, index)
    }

    /// The same suggestion with its indices moved by `offset` (from a window back to the full
    /// curve) and its position recomputed on that full curve `(lrs, losses)`, so that a rate that
    /// falls in the skipped part of the curve is still placed where it belongs.
    pub fn placed_on(self, lrs: &[f64], losses: &[f64], offset: usize) -> Self {
        Suggestion::read_from(lrs, losses, self.lr, self.source + offset)
    }
}

/// Where `lr` sits on a curve: the point nearest to it on a log scale, and the loss at `lr`,
/// interpolated linearly in `ln(lr)` between the recorded points on either side of it (the nearest
/// point's loss when `lr` lies outside the curve, a neighbour's loss is not finite, or the curve is
/// empty of such a pair). Returns `(0, NaN)` for an empty curve.
pub fn loss_at(lrs: &[f64], losses: &[f64], lr: f64) -> (usize, f64) {
    let n = lrs.len().min(losses.len());
    if n == 0 {
        return (0, f64::NAN);
    }
    let target = lr.ln();
    let side = |i: usize| lrs[i].ln() - target;
    let near = argmin((0..n).map(|i| side(i).abs())).unwrap_or(0);
    // The neighbour on the other side of `lr`, if there is one.
    let other = [near.checked_sub(1), Some(near + 1).filter(|&j| j < n)]
        .into_iter()
        .flatten()
        .find(|&j| side(j) * side(near) < 0.0);
    let loss = match other {
        Some(j) if losses[j].is_finite() && losses[near].is_finite() => {
            let t = (target - lrs[near].ln()) / (lrs[j].ln() - lrs[near].ln());
            losses[near] + t * (losses[j] - losses[near])
        }
        _ => losses[near],
    };
    (near, loss)
}

/// Why a rule cannot suggest a rate on this curve.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SuggestError {
    #[error("needs at least {needed} points, the curve has {got}")]
    /// Too few points for the rule.
    TooShort {
        /// Points the rule needs.
        needed: usize,
        /// Points given.
        got: usize,
    },
    #[error("lrs and losses differ in length ({lrs} lrs, {losses} losses)")]
    /// Rates and losses of different counts.
    LengthMismatch {
        /// Rates.
        lrs: usize,
        /// Losses.
        losses: usize,
    },
    #[error("no finite loss to work with")]
    /// No finite loss.
    NoFiniteLoss,
    #[error("the loss never falls, so there is no descent to take a rate from")]
    /// The loss never falls.
    NoDescent,
    #[error("invalid parameter: {0}")]
    /// A rule's parameter is out of range.
    InvalidParameter(String),
}

/// The suggestion rules by name, in the order they are reported.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Method {
    /// fastai `valley`: the longest descent's 2/3 point.
    Valley,
    /// fastai `slide`: the interval rule.
    Slide,
    /// fastai `minimum`: a tenth of the minimum's lr.
    Minimum,
    /// fastai `steep`: the steepest point.
    Steep,
    /// pytorch-lr-finder: the steepest gradient.
    Gradient,
    /// The steepest rate of change of an SMA of the loss.
    Sma,
    /// Lightning's `suggestion()`: the steepest gradient against the lr.
    Lightning,
    /// lrfind's steepest gradient up to the lowest loss (the one-cycle peak).
    Descent,
    /// lrfind's median of valley, slide and minimum (recommended).
    Consensus,
    /// (base_lr, max_lr) for cyclical schedules.
    Bounds,
}

impl Method {
    /// Every rule, in report order.
    pub const ALL: [Method; 10] = [
        Method::Valley,
        Method::Slide,
        Method::Minimum,
        Method::Steep,
        Method::Gradient,
        Method::Sma,
        Method::Lightning,
        Method::Descent,
        Method::Consensus,
        Method::Bounds,
    ];

    /// The lowercase name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Method::Valley => "valley",
            Method::Slide => "slide",
            Method::Minimum => "minimum",
            Method::Steep => "steep",
            Method::Gradient => "gradient",
            Method::Sma => "sma",
            Method::Lightning => "lightning",
            Method::Descent => "descent",
            Method::Consensus => "consensus",
            Method::Bounds => "bounds",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Method {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Method::ALL
            .into_iter()
            .find(|m| m.name() == s.trim())
            .ok_or_else(|| {
                let names: Vec<_> = Method::ALL.iter().map(|m| m.name()).collect();
                format!(
                    "unknown method '{s}' (expected one of {}, or all)",
                    names.join(", ")
                )
            })
    }
}

/// Checks the common preconditions of every rule: equal lengths and at least `needed` points.
pub(crate) fn check_len(lrs: &[f64], losses: &[f64], needed: usize) -> Result<(), SuggestError> {
    if lrs.len() != losses.len() {
        return Err(SuggestError::LengthMismatch {
            lrs: lrs.len(),
            losses: losses.len(),
        });
    }
    if losses.len() < needed {
        return Err(SuggestError::TooShort {
            needed,
            got: losses.len(),
        });
    }
    Ok(())
}

/// Index of the smallest value, first one on ties, ignoring NaN (`None` if there is none).
pub(crate) fn argmin<I: IntoIterator<Item = f64>>(values: I) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (i, v) in values.into_iter().enumerate() {
        if v.is_nan() {
            continue;
        }
        if best.is_none_or(|(_, b)| v < b) {
            best = Some((i, v));
        }
    }
    best.map(|(i, _)| i)
}

#[cfg(test)]
pub(crate) mod fixtures;
