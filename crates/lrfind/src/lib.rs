//! # lrfind — the learning-rate range test, framework-agnostic
//!
//! Leslie Smith's LR range test (*Cyclical Learning Rates for Training Neural Networks*, 2015, §3.3),
//! as popularised by fastai's `lr_find`: train from a tiny learning rate, raise it every mini-batch,
//! record `(lr, loss)`, stop once the loss blows up, and read a good rate off the curve.
//!
//! - [`RangeTest`] is the state machine a training loop drives (ask for an lr, report a loss);
//!   [`run`] drives it over any [`Probe`] and restores the training state afterwards.
//! - [`suggest`] holds the rules that read a rate off a curve (fastai's `valley`, `slide`,
//!   `minimum`, `steep`, pytorch-lr-finder's `gradient`, the `sma` rate of change, cyclical `bounds`).
//! - [`analyze`] applies them to a recorded [`Curve`] (CSV or JSON from any framework).
//! - [`schedule`] holds learning-rate schedules with PyTorch's exact numbers.
//! - [`document`] is the range test's file as a type ([`RangeTestDocument`]); `lrfind-plot` draws
//!   the curve as PNG or SVG, `lrfind-train` trains with the rate.
//!
//! ```
//! use lrfind::{RangeTest, RangeTestConfig};
//! let mut test = RangeTest::new(RangeTestConfig::default()).unwrap();
//! while let Some(lr) = test.next_lr() {
//!     let loss = (lr.log10() + 3.0).powi(2) + 0.1; // stand-in for one training step at `lr`
//!     test.record(loss);
//! }
//! let result = test.finish();
//! let analysis = lrfind::analyze(&result.curve, &Default::default()).unwrap();
//! let valley = analysis.suggestion(lrfind::Method::Valley).unwrap();
//! assert!(valley.lr > 1e-7 && valley.lr < 10.0);
//! ```

#![warn(missing_docs)]

mod analysis;
pub mod atomic;
mod batch_source;
pub mod confidence;
mod curve;
pub mod document;
mod found;
pub mod metric;
pub mod noise;
mod probe;
mod ramp;
mod range_test;
mod smooth;
mod stop;
pub mod suggest;
pub mod text_plot;
mod tracker;

pub use analysis::{
    analyze, analyze_result, default_skip, Analysis, AnalyzeError, AnalyzeOptions,
    NoRecommendation, Outcome, MIN_DESCENT,
};
pub use batch_source::BatchSource;
pub use curve::{Curve, CurveError, Location};
pub use document::{Cost, RangeTestDocument, Recommended, RunFor, RANGE_TEST_SCHEMA};
pub use metric::{HeldOutScore, Metric};
pub use probe::{run, Halt, Observer, Probe, Progress, RangeTestObserver, RunError};
pub use ramp::Ramp;

/// Learning-rate schedules with PyTorch's numbers (the `lrfind-schedule` crate), and the bridge
/// from a range test's rates to a schedule's settings ([`TakeRates`](schedule::TakeRates)).
pub mod schedule {
    pub use crate::found::{FoundRates, MissingRate, RateUse, TakeRates};
    pub use lrfind_schedule::*;
}
pub use range_test::{ConfigError, RangeTest, RangeTestConfig, RangeTestResult};
pub use smooth::{Ema, Smoothing};
pub use stop::{StopReason, UnknownStopReason};
pub use suggest::{Bounds, Method, SuggestError, Suggestion};

/// The suggestion lrfind recommends by default (see docs/evaluation.md for the evidence behind it).
pub const DEFAULT_METHOD: Method = Method::Consensus;
