//! # lrfind-zoo — reference datasets and models for lrfind on burn
//!
//! What the `lrfind` command trains: the datasets (the embedded UCI digits, IDX images such as
//! Fashion-MNIST, CSV tables, text corpora; parsed by `lrfind-data`, batched on a burn device
//! in [`data`]), the models ([`model`]: MLP, CNN, character transformer), the losses and
//! held-out scores ([`task`]), and the registry that turns a [`TaskSpec`] — dataset, model,
//! optimizer, batch size, seed — into a loaded [`Workbench`] that runs range tests, training
//! and grid evaluations on it ([`load`]). Adding a dataset touches [`spec::Dataset`] and
//! [`workbench`]'s loader, nothing else.
//!
//! ```
//! use lrfind_zoo::{load, HeldOut, TaskSpec};
//! let spec = TaskSpec::default(); // digits, MLP 128-128, AdamW, batch 64
//! let device = burn::prelude::Device::flex().autodiff();
//! let bench = load(&spec, HeldOut::None, &device).unwrap();
//! let config = lrfind::RangeTestConfig { num_iter: 30, ..Default::default() };
//! let result = bench.range_test(config, 1, 0, &mut ()).unwrap();
//! assert!(result.curve.len() > 10 && result.curve.len() <= 30); // it may stop once the loss diverges
//! ```

#![warn(missing_docs)]

pub mod backend;
pub mod data;
pub mod evaluation;
mod memory;
pub mod model;
pub mod spec;
pub mod task;
pub mod workbench;

pub use backend::Backend;
pub use spec::{Dataset, ModelKind, TaskError, TaskSettings, TaskSpec};
pub use workbench::{load, HeldOut, Workbench, SELECTION_FRACTION};
