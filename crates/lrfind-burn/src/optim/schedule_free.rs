//! Schedule-Free AdamW (Defazio et al. 2024, "The Road Less Scheduled", Algorithm 1 /
//! schedulefree 1.4.1's `AdamWScheduleFree`): no schedule — the rate stays constant after an
//! optional linear warm-up — and the model is evaluated at a running average of the iterates.
//!
//! Per step `k` (from 0), with `lr_k = lr·min(1, (k+1)/warmup)`, `lr_max = max lr_k so far`,
//! `w_k = (k+1)^r·lr_max^p`, `c = w_k / Σ w`: `v ← β2·v + (1−β2)·g²`,
//! `u = g / (√(v / (1−β2^(k+1))) + ε) + decay·y`, `y ← (1−c)·y + c·z + lr_k·(β1(1−c) − 1)·u`,
//! `z ← z − lr_k·u`. The gradient is taken at `y` (the parameters while training); the model is
//! evaluated at `x = y + (1 − 1/β1)(z − y)` ([`ModuleStep::eval_module`], PyTorch's
//! `optimizer.eval()`).

use super::flat_state::{as_param, decode, encode, flat, loaded_states, saved_states, vector};
use super::ModuleStep;
use burn::module::{Module, ModuleMapper, Param, ParamId};
use burn::optim::GradientsParams;
use burn::store::RecordError;
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Schedule-Free AdamW's settings; the defaults are schedulefree's.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScheduleFreeConfig {
    /// β1: how far `y` leans from the average `x` towards `z` (the interpolation, not a momentum
    /// buffer).
    pub beta1: f64,
    /// β2 of the squared-gradient average.
    pub beta2: f64,
    /// ε, added to the denominator.
    pub eps: f64,
    /// Weight decay, applied at `y` (schedulefree's form).
    pub weight_decay: f64,
    /// Steps of the linear warm-up of the rate (0: none).
    pub warmup_steps: u64,
    /// The power of the step index in the averaging weights (0: uniform).
    pub r: f64,
    /// The power of the largest rate so far in the averaging weights.
    pub weight_lr_power: f64,
}

impl Default for ScheduleFreeConfig {
    fn default() -> Self {
        ScheduleFreeConfig {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
            warmup_steps: 0,
            r: 0.0,
            weight_lr_power: 2.0,
        }
    }
}

/// The lr schedulefree recommends for AdamW when none is tuned.
pub const SCHEDULE_FREE_LR: f64 = 0.0025;

/// The run-wide scalars of the average.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct Average {
    /// Steps taken.
    k: u64,
    /// The sum of the averaging weights.
    weight_sum: f64,
    /// The largest rate so far (−1 before the first step, as schedulefree).
    lr_max: f64,
}

/// One parameter's state, flattened: `z` and the squared-gradient average.
#[derive(Clone)]
struct ParamState {
    z: Tensor<1>,
    exp_avg_sq: Tensor<1>,
}

/// [`ParamState`] as saved.
#[derive(Clone, Serialize, Deserialize)]
struct SavedState {
    z: Vec<f32>,
    exp_avg_sq: Vec<f32>,
}

/// What [`ScheduleFreeAdamW::to_bytes`] writes.
#[derive(Serialize, Deserialize)]
struct Saved {
    config: ScheduleFreeConfig,
    average: Average,
    params: Vec<(u64, SavedState)>,
}

/// Schedule-Free AdamW over a whole module (see the module's documentation).
#[derive(Clone)]
pub struct ScheduleFreeAdamW {
    config: ScheduleFreeConfig,
    average: Average,
    params: HashMap<ParamId, ParamState>,
    /// States read by [`ScheduleFreeAdamW::load_bytes`], made tensors on their parameter's
    /// device when it is first stepped or evaluated.
    loaded: HashMap<ParamId, SavedState>,
}

impl ScheduleFreeAdamW {
    /// The optimizer with `config`, no step taken.
    pub fn new(config: ScheduleFreeConfig) -> Self {
        ScheduleFreeAdamW {
            config,
            average: Average {
                k: 0,
                weight_sum: 0.0,
                lr_max: -1.0,
            },
            params: HashMap::new(),
            loaded: HashMap::new(),
        }
    }

    /// Steps taken.
    pub fn steps(&self) -> u64 {
        self.average.k
    }

    /// The state of `id`, if it has one (loaded states made tensors on `device`).
    fn state(&self, id: &ParamId, device: &Device) -> Option<ParamState> {
        match self.params.get(id) {
            Some(s) => Some(s.clone()),
            None => self.loaded.get(id).map(|s| s.clone().restore(device)),
        }
    }
}

impl ModuleStep for ScheduleFreeAdamW {
    fn step<M: Module>(&mut self, lr: f64, module: M, grads: GradientsParams) -> M {
        let c = self.config;
        let a = &mut self.average;
        let k = a.k as f64;
        let sched = match c.warmup_steps {
            w if a.k < w => (k + 1.0) / w as f64,
            _ => 1.0,
        };
        let lr = lr * sched;
        a.lr_max = a.lr_max.max(lr);
        let weight = (k + 1.0).powf(c.r) * a.lr_max.powf(c.weight_lr_power);
        a.weight_sum += weight;
        let ckp1 = if a.weight_sum != 0.0 {
            weight / a.weight_sum
        } else {
            0.0
        };
        let bias_correction2 = 1.0 - c.beta2.powf(k + 1.0);
        a.k += 1;
        module.map(&mut Update {
            optimizer: self,
            grads,
            lr,
            ckp1,
            bias_correction2,
        })
    }

    fn eval_module<M: Module>(&self, module: M) -> M {
        module.map(&mut Evaluate { optimizer: self })
    }

    fn to_bytes(&self) -> Result<Vec<u8>, RecordError> {
        let params = saved_states(&self.params, &self.loaded, "schedule-free", |v, s| {
            Ok(SavedState {
                z: v(&s.z)?,
                exp_avg_sq: v(&s.exp_avg_sq)?,
            })
        })?;
        let saved = Saved {
            config: self.config,
            average: self.average,
            params,
        };
        encode(&saved, "schedule-free")
    }

    fn load_bytes(self, bytes: Vec<u8>) -> Result<Self, RecordError> {
        let saved: Saved = decode(&bytes, "schedule-free", |s: &Saved| &s.config, &self.config)?;
        Ok(ScheduleFreeAdamW {
            average: saved.average,
            params: HashMap::new(),
            loaded: loaded_states(saved.params),
            ..self
        })
    }
}

/// One step of every parameter with a gradient.
struct Update<'a> {
    optimizer: &'a mut ScheduleFreeAdamW,
    grads: GradientsParams,
    lr: f64,
    ckp1: f64,
    bias_correction2: f64,
}

impl ModuleMapper for Update<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (id, tensor, mapper) = param.consume();
        let Some(grad) = self.grads.remove::<D>(id) else {
            return Param::from_mapped_value(id, tensor, mapper);
        };
        let c = self.optimizer.config;
        let shape = tensor.shape();
        let y = flat(tensor.clone().inner());
        let state = match self.optimizer.params.remove(&id) {
            Some(s) => s,
            None => match self.optimizer.loaded.remove(&id) {
                Some(saved) => saved.restore(&y.device()),
                None => ParamState {
                    z: y.clone(),
                    exp_avg_sq: y.zeros_like(),
                },
            },
        };
        let g = flat(grad);
        let exp_avg_sq = state.exp_avg_sq * c.beta2 + g.clone() * g.clone() * (1.0 - c.beta2);
        let denom = (exp_avg_sq.clone() / self.bias_correction2).sqrt() + c.eps;
        let mut u = g / denom;
        if c.weight_decay != 0.0 {
            u = u + y.clone() * c.weight_decay;
        }
        let y = y.clone() + (state.z.clone() - y) * self.ckp1;
        let y = y + u.clone() * (self.lr * (c.beta1 * (1.0 - self.ckp1) - 1.0));
        let z = state.z - u * self.lr;
        self.optimizer
            .params
            .insert(id, ParamState { z, exp_avg_sq });
        Param::from_mapped_value(id, as_param(&tensor, y.reshape(shape)), mapper)
    }
}

/// Every parameter with a state moved to the evaluation point `x`.
struct Evaluate<'a> {
    optimizer: &'a ScheduleFreeAdamW,
}

impl ModuleMapper for Evaluate<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (id, tensor, mapper) = param.consume();
        let y = flat(tensor.clone().inner());
        let Some(state) = self.optimizer.state(&id, &y.device()) else {
            return Param::from_mapped_value(id, tensor, mapper);
        };
        let x = y.clone() + (state.z - y) * (1.0 - 1.0 / self.optimizer.config.beta1);
        Param::from_mapped_value(id, as_param(&tensor, x.reshape(tensor.shape())), mapper)
    }
}

impl SavedState {
    fn restore(self, device: &Device) -> ParamState {
        ParamState {
            z: vector(self.z, device),
            exp_avg_sq: vector(self.exp_avg_sq, device),
        }
    }
}
