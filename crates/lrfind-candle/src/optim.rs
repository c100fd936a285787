//! Optimizer state that a range test can save and put back, and an AdamW that exposes it.

use candle_core::backprop::GradStore;
use candle_core::{Tensor, Var};
use candle_nn::{Optimizer, ParamsAdamW};

/// An optimizer whose internal state (moments, step counts) can be saved before a range test
/// and restored after it, exactly. The learning rate is saved by the probe itself.
pub trait OptimizerState {
    /// Everything the optimizer carries from one step to the next.
    type State;
    /// A copy of the state.
    fn save_state(&self) -> candle_core::Result<Self::State>;
    /// Puts a saved state back.
    fn load_state(&mut self, state: Self::State) -> candle_core::Result<()>;
}

/// Plain SGD (`θ ← θ − lr·g`) carries nothing between steps but its rate.
impl OptimizerState for candle_nn::SGD {
    type State = ();
    fn save_state(&self) -> candle_core::Result<()> {
        Ok(())
    }
    fn load_state(&mut self, _: ()) -> candle_core::Result<()> {
        Ok(())
    }
}

/// AdamW (Loshchilov & Hutter 2019; PyTorch's `torch.optim.AdamW`): with `t` the step,
/// `m ← β₁m + (1−β₁)g`, `v ← β₂v + (1−β₂)g²`, `θ ← θ(1 − lr·λ) − lr · (m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε)`.
///
/// Configured with candle's [`ParamsAdamW`] and computed with the same tensor operations in the
/// same order as `candle_nn::AdamW`, so the two give the same weights to the bit (tested) — but
/// this one's moments and step count are [`OptimizerState`], so a range test can restore them.
#[derive(Debug)]
pub struct AdamW {
    slots: Vec<Slot>,
    step_t: usize,
    params: ParamsAdamW,
}

/// One variable and its two moments (replaced, never written in place, so a saved copy of the
/// handles is a copy of the values).
#[derive(Debug)]
struct Slot {
    var: Var,
    m: Tensor,
    v: Tensor,
}

/// [`AdamW`]'s state: the step count and each variable's `(m, v)`.
#[derive(Debug, Clone)]
pub struct AdamWState {
    /// Steps taken.
    pub step: usize,
    /// First and second moments, in the order of the variables.
    pub moments: Vec<(Tensor, Tensor)>,
}

impl AdamW {
    /// The parameters it steps with.
    pub fn params(&self) -> &ParamsAdamW {
        &self.params
    }
}

impl Optimizer for AdamW {
    type Config = ParamsAdamW;

    fn new(vars: Vec<Var>, params: ParamsAdamW) -> candle_core::Result<Self> {
        let slots = vars
            .into_iter()
            .filter(|var| var.dtype().is_float())
            .map(|var| {
                let zeros = Tensor::zeros(var.shape(), var.dtype(), var.device())?;
                Ok(Slot {
                    var,
                    m: zeros.clone(),
                    v: zeros,
                })
            })
            .collect::<candle_core::Result<Vec<_>>>()?;
        Ok(AdamW {
            slots,
            step_t: 0,
            params,
        })
    }

    fn step(&mut self, grads: &GradStore) -> candle_core::Result<()> {
        self.step_t += 1;
        let ParamsAdamW {
            lr,
            beta1,
            beta2,
            eps,
            weight_decay,
        } = self.params;
        let scale_m = 1f64 / (1f64 - beta1.powi(self.step_t as i32));
        let scale_v = 1f64 / (1f64 - beta2.powi(self.step_t as i32));
        for slot in &mut self.slots {
            let Some(g) = grads.get(&slot.var) else {
                continue;
            };
            let m = ((&slot.m * beta1)? + (g * (1.0 - beta1))?)?;
            let v = ((&slot.v * beta2)? + (g.sqr()? * (1.0 - beta2))?)?;
            let step = ((&m * scale_m)? / ((&v * scale_v)?.sqrt()? + eps)?)?;
            let decayed = (slot.var.as_tensor() * (1f64 - lr * weight_decay))?;
            slot.var.set(&(decayed - (step * lr)?)?)?;
            slot.m = m;
            slot.v = v;
        }
        Ok(())
    }

    fn learning_rate(&self) -> f64 {
        self.params.lr
    }

    fn set_learning_rate(&mut self, lr: f64) {
        self.params.lr = lr;
    }
}

/// An optimizer whose momentum a schedule can set each step (PyTorch's `cycle_momentum`: β₁ of
/// Adam-type optimizers, `momentum` of SGD), as [`crate::Scheduled`] does for one-cycle and cyclic.
pub trait CycleMomentum {
    /// Sets the momentum; `false` when the optimizer has none (it is then left as it is).
    fn set_momentum(&mut self, momentum: f64) -> bool;
}

impl CycleMomentum for AdamW {
    fn set_momentum(&mut self, momentum: f64) -> bool {
        self.params.beta1 = momentum;
        true
    }
}

/// candle's SGD has no momentum.
impl CycleMomentum for candle_nn::SGD {
    fn set_momentum(&mut self, _: f64) -> bool {
        false
    }
}

impl OptimizerState for AdamW {
    type State = AdamWState;

    fn save_state(&self) -> candle_core::Result<AdamWState> {
        Ok(AdamWState {
            step: self.step_t,
            moments: self
                .slots
                .iter()
                .map(|s| (s.m.clone(), s.v.clone()))
                .collect(),
        })
    }

    fn load_state(&mut self, state: AdamWState) -> candle_core::Result<()> {
        if state.moments.len() != self.slots.len() {
            candle_core::bail!(
                "optimizer state for {} variables, the optimizer has {}",
                state.moments.len(),
                self.slots.len()
            );
        }
        self.step_t = state.step;
        for (slot, (m, v)) in self.slots.iter_mut().zip(state.moments) {
            slot.m = m;
            slot.v = v;
        }
        Ok(())
    }
}
