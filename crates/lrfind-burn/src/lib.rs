//! # lrfind-burn — the LR range test on burn
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
//! position that [`lrfind::run`] restores after the test — bit-exactly.
//!
//! Ready-made pieces for the `lrfind` command live here too: the embedded [`data::digits`]
//! dataset, an [`model::Mlp`] and [`optim::OptimizerKind`] with PyTorch's defaults.

pub mod data;
pub mod finder;
pub mod model;
pub mod optim;
pub mod probe;
pub mod scheduler;
pub mod task;

pub use data::{BatchSource, ClassBatches};
pub use finder::{FinderError, LrFinder, LrFound};
pub use probe::BurnProbe;
pub use scheduler::BurnScheduler;
