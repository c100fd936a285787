//! Suggestion rules: pure functions of a recorded `(lrs, losses)` window.
//!
//! Each rule takes the window that is left after skipping (see [`crate::analysis`]) and returns a
//! [`Suggestion`] whose `index` counts in that window, or a typed [`SuggestError`] saying why the
//! curve does not allow it. The rules that reimplement a reference tool give the same index as that
//! tool on the same input; each file names its source.

mod bounds;
mod consensus;
mod gradient;
mod minimum;
mod slide;
mod sma;
mod steep;
mod valley;

pub use bounds::{bounds, Bounds};
pub use consensus::consensus;
pub use gradient::{gradient, np_gradient};
pub use minimum::minimum;
pub use slide::{slide, SlideParams};
pub use sma::{sma, sma_derivative};
pub use steep::steep;
pub use valley::valley;

use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// A suggested learning rate and the recorded point it was read from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Suggestion {
    /// The suggested learning rate (for `minimum`, a tenth of the lr at `index`).
    pub lr: f64,
    /// Index of the point the rule picked, in the slice it was given.
    pub index: usize,
    /// The loss at `index`.
    pub loss: f64,
}

impl Suggestion {
    pub(crate) fn at(lrs: &[f64], losses: &[f64], index: usize) -> Self {
        Suggestion {
            lr: lrs[index],
            index,
            loss: losses[index],
        }
    }

    /// The same suggestion with its index moved by `offset` (from a window back to the full curve).
    pub fn shifted(self, offset: usize) -> Self {
        Suggestion {
            index: self.index + offset,
            ..self
        }
    }
}

/// Why a rule cannot suggest a rate on this curve.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SuggestError {
    #[error("needs at least {needed} points, the curve has {got}")]
    TooShort { needed: usize, got: usize },
    #[error("lrs and losses differ in length ({lrs} lrs, {losses} losses)")]
    LengthMismatch { lrs: usize, losses: usize },
    #[error("no finite loss to work with")]
    NoFiniteLoss,
    #[error("the loss never falls, so there is no descent to take a rate from")]
    NoDescent,
    #[error("invalid parameter: {0}")]
    InvalidParameter(String),
}

/// The suggestion rules by name, in the order they are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    Valley,
    Slide,
    Minimum,
    Steep,
    Gradient,
    Sma,
    Consensus,
    Bounds,
}

impl Method {
    /// Every rule, in report order.
    pub const ALL: [Method; 8] = [
        Method::Valley,
        Method::Slide,
        Method::Minimum,
        Method::Steep,
        Method::Gradient,
        Method::Sma,
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
