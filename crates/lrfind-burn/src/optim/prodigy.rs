//! Prodigy (Mishchenko & Defazio 2023, "Prodigy: An Expeditiously Adaptive Parameter-Free
//! Learner", Algorithm 4 / prodigyopt 1.1.2's `Prodigy`): Adam whose step size `d` is estimated
//! from the run itself, so the lr stays at 1.
//!
//! Per step, with `dlr = d·lr` from the previous `d` (sums over every parameter):
//! `r ← β3·r + (d/d0)·dlr·⟨g, x0 − x⟩`, `s ← β3·s + (d/d0)·dlr·g`, `m ← β1·m + d(1−β1)·g`,
//! `v ← β2·v + d²(1−β2)·g²`, `d̂ = d_coef·r/‖s‖₁`, `d ← min(max(d_max, d̂), d·growth)`, then
//! `x ← x − decay·dlr·x − dlr·m/(√v + d·ε)`. `d` needs every parameter's gradient before any
//! parameter moves, so this is a module-level optimizer, not one of burn's per-tensor ones.

use super::flat_state::{as_param, decode, encode, flat, loaded_states, saved_states, vector};
use super::ModuleStep;
use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::optim::GradientsParams;
use burn::store::RecordError;
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Prodigy's settings; the defaults are prodigyopt's.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ProdigyConfig {
    /// β2 of the squared-gradient average (β1 is [`Prodigy`]'s momentum).
    pub beta2: f64,
    /// β3 of the `d` estimate's sums; `None`: √β2.
    pub beta3: Option<f64>,
    /// ε, scaled by `d` in the denominator.
    pub eps: f64,
    /// Decoupled weight decay (AdamW's form, scaled by `d·lr`).
    pub weight_decay: f64,
    /// The initial `d`.
    pub d0: f64,
    /// Multiplies the estimate `d̂`.
    pub d_coef: f64,
    /// The most `d` may grow in one step (a factor).
    pub growth_rate: f64,
}

impl Default for ProdigyConfig {
    fn default() -> Self {
        ProdigyConfig {
            beta2: 0.999,
            beta3: None,
            eps: 1e-8,
            weight_decay: 0.0,
            d0: 1e-6,
            d_coef: 1.0,
            growth_rate: f64::INFINITY,
        }
    }
}

/// The run-wide scalars of the `d` estimate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct Estimate {
    d: f64,
    d_max: f64,
    d_numerator: f64,
    /// Steps taken (prodigyopt's `k`).
    k: u64,
}

/// One parameter's state, flattened: `s`, the initial value `x0`, and the two moments.
#[derive(Clone)]
struct ParamState {
    s: Tensor<1>,
    x0: Tensor<1>,
    exp_avg: Tensor<1>,
    exp_avg_sq: Tensor<1>,
}

/// [`ParamState`] as saved: the same four vectors as numbers.
#[derive(Clone, Serialize, Deserialize)]
struct SavedState {
    s: Vec<f32>,
    x0: Vec<f32>,
    exp_avg: Vec<f32>,
    exp_avg_sq: Vec<f32>,
}

/// What [`Prodigy::to_bytes`] writes.
#[derive(Serialize, Deserialize)]
struct Saved {
    config: ProdigyConfig,
    beta1: f64,
    estimate: Estimate,
    params: Vec<(u64, SavedState)>,
}

/// The Prodigy optimizer over a whole module (see the module's documentation).
#[derive(Clone)]
pub struct Prodigy {
    config: ProdigyConfig,
    /// β1, shared with the [`super::MomentumControl`] that cycles it (as PyTorch's `OneCycleLR`
    /// cycles `betas[0]`).
    beta1: Arc<RwLock<f64>>,
    estimate: Estimate,
    params: HashMap<ParamId, ParamState>,
    /// States read by [`Prodigy::load_bytes`], made tensors on their parameter's device when it
    /// is first stepped.
    loaded: HashMap<ParamId, SavedState>,
}

impl Prodigy {
    /// Prodigy with β1 `beta1` (prodigyopt: 0.9).
    pub fn new(config: ProdigyConfig, beta1: f64) -> Self {
        Prodigy {
            config,
            beta1: Arc::new(RwLock::new(beta1)),
            estimate: Estimate {
                d: config.d0,
                d_max: config.d0,
                d_numerator: 0.0,
                k: 0,
            },
            params: HashMap::new(),
            loaded: HashMap::new(),
        }
    }

    /// The current step size estimate `d` (the effective lr is `d·lr`).
    pub fn d(&self) -> f64 {
        self.estimate.d
    }

    /// The handle that sets β1; clones of this optimizer share it.
    pub(super) fn beta1_handle(&self) -> Arc<RwLock<f64>> {
        self.beta1.clone()
    }

    fn beta1(&self) -> f64 {
        *self.beta1.read().unwrap_or_else(|p| p.into_inner())
    }
}

impl ModuleStep for Prodigy {
    fn step<M: Module>(&mut self, lr: f64, module: M, grads: GradientsParams) -> M {
        let c = self.config;
        let beta1 = self.beta1();
        let beta3 = c.beta3.unwrap_or(c.beta2.sqrt());
        let Estimate { d, .. } = self.estimate;
        let dlr = d * lr;
        let mut sums = Accumulate {
            prodigy: self,
            grads: &grads,
            beta1,
            beta3,
            dlr,
            numerator: 0.0,
            denominator: 0.0,
        };
        module.visit(&mut sums);
        let (numerator, denominator) = (sums.numerator, sums.denominator);
        if denominator == 0.0 {
            // prodigyopt returns here (also at lr 0, where nothing accumulates): the moments moved,
            // the parameters and `d` do not.
            return module;
        }
        let e = &mut self.estimate;
        let numerator = e.d_numerator * beta3 + numerator;
        let d_hat = c.d_coef * numerator / denominator;
        let mut d = e.d;
        if d == c.d0 {
            d = d.max(d_hat);
        }
        e.d_max = e.d_max.max(d_hat);
        e.d = e.d_max.min(d * c.growth_rate);
        e.d_numerator = numerator;
        e.k += 1;
        module.map(&mut Update {
            prodigy: self,
            grads,
            beta1,
            dlr,
        })
    }

    fn to_bytes(&self) -> Result<Vec<u8>, RecordError> {
        let params = saved_states(&self.params, &self.loaded, "prodigy", |v, s| {
            Ok(SavedState {
                s: v(&s.s)?,
                x0: v(&s.x0)?,
                exp_avg: v(&s.exp_avg)?,
                exp_avg_sq: v(&s.exp_avg_sq)?,
            })
        })?;
        let saved = Saved {
            config: self.config,
            beta1: self.beta1(),
            estimate: self.estimate,
            params,
        };
        encode(&saved, "prodigy")
    }

    fn load_bytes(self, bytes: Vec<u8>) -> Result<Self, RecordError> {
        let saved: Saved = decode(&bytes, "prodigy", |s: &Saved| &s.config, &self.config)?;
        *self.beta1.write().unwrap_or_else(|p| p.into_inner()) = saved.beta1;
        Ok(Prodigy {
            estimate: saved.estimate,
            params: HashMap::new(),
            loaded: loaded_states(saved.params),
            ..self
        })
    }
}

/// The first pass: every parameter's moments and `s` move, and the sums of `d̂` accumulate.
struct Accumulate<'a> {
    prodigy: &'a mut Prodigy,
    grads: &'a GradientsParams,
    beta1: f64,
    beta3: f64,
    dlr: f64,
    numerator: f64,
    denominator: f64,
}

impl ModuleVisitor for Accumulate<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let Some(grad) = self.grads.get::<D>(param.id) else {
            return;
        };
        let x = flat(param.val().inner());
        let g = flat(grad);
        let p = &mut *self.prodigy;
        let (c, d) = (p.config, p.estimate.d);
        let state = match p.params.remove(&param.id) {
            Some(state) => state,
            None => match p.loaded.remove(&param.id) {
                Some(saved) => saved.restore(&x.device()),
                None => ParamState {
                    s: x.zeros_like(),
                    x0: x.clone(),
                    exp_avg: x.zeros_like(),
                    exp_avg_sq: x.zeros_like(),
                },
            },
        };
        if self.dlr <= 0.0 {
            p.params.insert(param.id, state);
            return;
        }
        let scale = d / c.d0 * self.dlr;
        self.numerator += scale * scalar((g.clone() * (state.x0.clone() - x)).sum());
        let exp_avg = if self.beta1 > 0.0 {
            state.exp_avg * self.beta1 + g.clone() * (d * (1.0 - self.beta1))
        } else {
            state.exp_avg
        };
        let exp_avg_sq =
            state.exp_avg_sq * c.beta2 + g.clone() * g.clone() * (d * d * (1.0 - c.beta2));
        let s = state.s * self.beta3 + g * scale;
        self.denominator += scalar(s.clone().abs().sum());
        p.params.insert(
            param.id,
            ParamState {
                s,
                x0: state.x0,
                exp_avg,
                exp_avg_sq,
            },
        );
    }
}

/// The second pass: every parameter with a gradient takes its step with the new `d`.
struct Update<'a> {
    prodigy: &'a Prodigy,
    grads: GradientsParams,
    beta1: f64,
    dlr: f64,
}

impl ModuleMapper for Update<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (id, tensor, mapper) = param.consume();
        let (Some(grad), Some(state)) = (self.grads.remove::<D>(id), self.prodigy.params.get(&id))
        else {
            return Param::from_mapped_value(id, tensor, mapper);
        };
        let (c, d) = (self.prodigy.config, self.prodigy.estimate.d);
        let shape = tensor.shape();
        let mut x = flat(tensor.clone().inner());
        let denom = state.exp_avg_sq.clone().sqrt() + d * c.eps;
        if c.weight_decay != 0.0 {
            x = x.clone() - x * (c.weight_decay * self.dlr);
        }
        x = if self.beta1 > 0.0 {
            x - state.exp_avg.clone() / denom * self.dlr
        } else {
            x - flat(grad) / denom * (self.dlr * d)
        };
        Param::from_mapped_value(id, as_param(&tensor, x.reshape(shape)), mapper)
    }
}

impl SavedState {
    fn restore(self, device: &Device) -> ParamState {
        ParamState {
            s: vector(self.s, device),
            x0: vector(self.x0, device),
            exp_avg: vector(self.exp_avg, device),
            exp_avg_sq: vector(self.exp_avg_sq, device),
        }
    }
}

/// The value of a one-element tensor.
fn scalar(t: Tensor<1>) -> f64 {
    t.into_scalar::<f32>() as f64
}
