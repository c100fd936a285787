//! # lrfind-candle — the LR range test on candle
//!
//! [`CandleProbe`] implements [`lrfind::Probe`] for candle: the trainable [`Var`]s of a model (a
//! `VarMap`'s `all_vars()`, or any `Vec<Var>`), a `candle_nn::Optimizer`, a
//! [`lrfind::BatchSource`] and a loss closure — the same shape as `lrfind-burn`'s `BurnProbe`.
//! One optimizer step per call at the lr asked for; before the test every `Var` is copied, and
//! [`lrfind::run`] puts the copies back afterwards, bit for bit.
//!
//! ## What is restored
//! - every `Var` given to the probe: exactly (a deep copy, written back in place, so the model
//!   that holds the `Var`s sees its old weights);
//! - the data position (the source is cloned);
//! - the optimizer's state, through [`OptimizerState`]: exactly for [`AdamW`] (this crate's: the
//!   same update and the same `ParamsAdamW` as `candle_nn::AdamW`, bit for bit, with its moments
//!   and step count saved and restored) and for `candle_nn::SGD` (plain SGD keeps nothing but
//!   its rate, which is restored too). `candle_nn::AdamW` keeps its moments private, so it cannot
//!   be restored and does not implement [`OptimizerState`]: use [`AdamW`] instead.
//!
//! ```
//! use candle_core::Device;
//! use candle_nn::{Optimizer, ParamsAdamW};
//! use lrfind_candle::{AdamW, CandleBatches, CandleProbe, Mlp};
//!
//! let device = Device::Cpu;
//! let (train, _) = lrfind_data::digits::split();
//! let data = CandleBatches::classification(&train, 64, 0, &device)?;
//! let mlp = Mlp::new(&[64, 32, 10], 0, &device)?;
//! let optimizer = AdamW::new(mlp.vars(), ParamsAdamW::default())?;
//! let loss = |(x, y): &(candle_core::Tensor, candle_core::Tensor)| {
//!     candle_nn::loss::cross_entropy(&mlp.forward(x)?, y)
//! };
//! let mut probe = CandleProbe::new(mlp.vars(), optimizer, data, loss);
//! let config = lrfind::RangeTestConfig { num_iter: 30, ..Default::default() };
//! let result = lrfind::run(&mut probe, config, &mut ())?;   // weights restored afterwards
//! assert_eq!(result.curve.len(), 30);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

//!
//! [`Scheduled`] puts lrfind's schedules (PyTorch's numbers, momentum included) on a candle
//! optimizer: candle has no schedulers of its own.

#![warn(missing_docs)]

mod batches;
mod mlp;
mod optim;
mod probe;
mod scheduler;

pub use batches::CandleBatches;
pub use candle_core::Var;
pub use mlp::Mlp;
pub use optim::{AdamW, AdamWState, CycleMomentum, OptimizerState};
pub use probe::{CandleProbe, ProbeError};
pub use scheduler::Scheduled;
