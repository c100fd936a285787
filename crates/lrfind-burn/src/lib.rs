//! # lrfind-burn — the LR range test and lrfind's trainer on burn
//!
//! For burn-train users, [`LrFinder`] takes burn's own types — a model implementing `TrainStep`
//! (its output adapting to `LossInput`), a `ModuleOptimizer` and a `DataLoader` — and returns the
//! curve, every suggestion and the recommended rate ([`LrFound`]); the caller's model and optimizer
//! are left untouched. [`BurnScheduler`] then hands any lrfind schedule (one-cycle from the found
//! rate, …) to burn's `Learner`, and [`scheduler::restart`] restarts it after a re-find.
//!
//! For everyone else, [`BurnProbe`] implements [`lrfind::Probe`] for any burn model, any burn optimizer
//! ([`burn::optim::ModuleOptimizer`]), any [`BatchSource`] and a loss closure: one optimizer step
//! per call at the lr asked for, and an in-memory snapshot of model, optimizer state and data
//! position that [`lrfind::run`] restores after the test — bit-exactly. [`trainer::fit`] trains
//! it with lrfind's [`lrfind_train::Trainer`] (schedules, held-out scoring, re-finds).
//!
//! Datasets and reference models live in `lrfind-zoo`; this crate holds no data.
//!
//! ```
//! use burn::nn::{Linear, LinearConfig};
//! use burn::optim::GradientsParams;
//! use burn::prelude::*;
//! use lrfind_burn::{Batches, BurnProbe};
//!
//! let device = Device::flex().autodiff();
//! let model: Linear = lrfind_burn::seeded(0, &device, |d| LinearConfig::new(1, 1).init(d));
//! // y = 3x on four points, one batch served round-robin.
//! let x = Tensor::<2>::from_data([[1.0], [2.0], [3.0], [4.0]], &device);
//! let y = Tensor::<2>::from_data([[3.0], [6.0], [9.0], [12.0]], &device);
//! let batches = Batches::from_batches(vec![(x, y)]);
//! let optimizer = lrfind_burn::optim::OptimizerKind::Sgd.build(Default::default());
//! let mut probe = BurnProbe::new(model, optimizer, batches, |m: &Linear, (x, y): &(Tensor<2>, Tensor<2>)| {
//!     (m.forward(x.clone()) - y.clone()).powi_scalar(2).mean()
//! });
//! let config = lrfind::RangeTestConfig { num_iter: 50, end_lr: 1.0, ..Default::default() };
//! let result = lrfind::run(&mut probe, config, &mut ()).unwrap();
//! assert!(result.curve.len() > 10);
//! let analysis = lrfind::analyze(&result.curve, &Default::default()).unwrap();
//! assert!(analysis.suggestion(lrfind::Method::Valley).is_some());
//! # let _ = GradientsParams::new();
//! ```

#![warn(missing_docs)]

pub mod allocator;
pub mod batches;
pub mod finder;
pub mod optim;
pub mod probe;
pub mod scheduler;
mod seeded;
pub mod trainer;

pub use batches::Batches;
pub use finder::{FinderError, LrFinder, LrFound};
pub use lrfind::BatchSource;
pub use probe::BurnProbe;
pub use scheduler::BurnScheduler;
pub use seeded::seeded;
