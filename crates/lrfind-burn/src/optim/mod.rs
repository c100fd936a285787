//! Optimizers by name, with PyTorch's defaults where burn's differ, and the seam every probe
//! steps through: [`ModuleStep`], an optimizer of a whole module — burn's [`ModuleOptimizer`]
//! or [`Prodigy`], whose step size depends on every parameter at once.

use burn::module::Module;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{
    AdaGradConfig, AdamConfig, AdamWConfig, GradientsParams, ModuleOptimizer, RmsPropConfig,
    SgdConfig,
};
use burn::optim::{LearningRate, Optimizer};
use burn::store::RecordError;
use burn::tensor::{Bytes, Device, Tensor};
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, RwLock};

mod flat_state;
mod prodigy;
mod schedule_free;
pub use prodigy::{Prodigy, ProdigyConfig};
pub use schedule_free::{ScheduleFreeAdamW, ScheduleFreeConfig, SCHEDULE_FREE_LR};

/// An optimizer of a whole module: one step moves every parameter that has a gradient. Clones
/// are snapshots (a range test restores one); the bytes are a checkpoint's.
pub trait ModuleStep: Clone {
    /// One step at `lr` from `grads`.
    fn step<M: Module>(&mut self, lr: f64, module: M, grads: GradientsParams) -> M;
    /// `module` as it is evaluated: itself, except for an optimizer that trains one point and
    /// evaluates another ([`ScheduleFreeAdamW`]: the average `x`, PyTorch's `optimizer.eval()`).
    /// Held-out scores and a saved model read it; training continues from `module`.
    fn eval_module<M: Module>(&self, module: M) -> M {
        module
    }
    /// The state (moments, step counts) as bytes.
    fn to_bytes(&self) -> Result<Vec<u8>, RecordError>;
    /// This optimizer with the state `bytes` (from [`ModuleStep::to_bytes`] of one built alike).
    fn load_bytes(self, bytes: Vec<u8>) -> Result<Self, RecordError>;
}

impl ModuleStep for ModuleOptimizer {
    fn step<M: Module>(&mut self, lr: f64, module: M, grads: GradientsParams) -> M {
        ModuleOptimizer::step(self, lr, module, grads)
    }

    fn to_bytes(&self) -> Result<Vec<u8>, RecordError> {
        Ok(self.into_bytes()?.to_vec())
    }

    fn load_bytes(self, bytes: Vec<u8>) -> Result<Self, RecordError> {
        self.from_bytes(Bytes::from_bytes_vec(bytes))
    }
}

/// An optimizer [`OptimizerKind::build`] made: one of burn's, Prodigy, or Schedule-Free AdamW.
#[derive(Clone)]
pub enum BuiltOptimizer {
    /// Burn's per-parameter optimizers (AdamW, Adam, SGD, RMSprop, AdaGrad).
    Burn(ModuleOptimizer),
    /// Prodigy.
    Prodigy(Prodigy),
    /// Schedule-Free AdamW.
    ScheduleFree(ScheduleFreeAdamW),
}

impl From<ModuleOptimizer> for BuiltOptimizer {
    fn from(o: ModuleOptimizer) -> Self {
        BuiltOptimizer::Burn(o)
    }
}

impl ModuleStep for BuiltOptimizer {
    fn step<M: Module>(&mut self, lr: f64, module: M, grads: GradientsParams) -> M {
        match self {
            BuiltOptimizer::Burn(o) => ModuleStep::step(o, lr, module, grads),
            BuiltOptimizer::Prodigy(o) => o.step(lr, module, grads),
            BuiltOptimizer::ScheduleFree(o) => o.step(lr, module, grads),
        }
    }

    fn eval_module<M: Module>(&self, module: M) -> M {
        match self {
            BuiltOptimizer::ScheduleFree(o) => o.eval_module(module),
            _ => module,
        }
    }

    fn to_bytes(&self) -> Result<Vec<u8>, RecordError> {
        match self {
            BuiltOptimizer::Burn(o) => o.to_bytes(),
            BuiltOptimizer::Prodigy(o) => o.to_bytes(),
            BuiltOptimizer::ScheduleFree(o) => o.to_bytes(),
        }
    }

    fn load_bytes(self, bytes: Vec<u8>) -> Result<Self, RecordError> {
        Ok(match self {
            BuiltOptimizer::Burn(o) => BuiltOptimizer::Burn(o.load_bytes(bytes)?),
            BuiltOptimizer::Prodigy(o) => BuiltOptimizer::Prodigy(o.load_bytes(bytes)?),
            BuiltOptimizer::ScheduleFree(o) => BuiltOptimizer::ScheduleFree(o.load_bytes(bytes)?),
        })
    }
}

/// The optimizers `lrfind` offers by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum OptimizerKind {
    /// Adam with decoupled weight decay (0.01, as PyTorch).
    #[cfg_attr(feature = "clap", value(name = "adamw"))]
    AdamW,
    /// Adam.
    Adam,
    /// SGD (momentum 0.9 unless given).
    Sgd,
    /// RMSprop (momentum 0 unless given).
    #[cfg_attr(feature = "clap", value(name = "rmsprop"))]
    RmsProp,
    /// AdaGrad.
    #[cfg_attr(feature = "clap", value(name = "adagrad"))]
    AdaGrad,
    /// Prodigy (learning-rate free: train it at lr 1; prodigyopt's defaults).
    Prodigy,
    /// Schedule-Free AdamW (schedulefree's defaults; a constant rate, no schedule needed; the
    /// model is evaluated at its average).
    #[cfg_attr(feature = "clap", value(name = "schedulefree-adamw"))]
    ScheduleFreeAdamW,
}

/// Hyper-parameters besides the lr. `None` takes PyTorch's default for the optimizer.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct OptimizerOptions {
    /// Momentum of SGD and RMSprop.
    pub momentum: Option<f64>,
    /// Weight decay.
    pub weight_decay: Option<f64>,
    /// Nesterov momentum (SGD).
    pub nesterov: bool,
}

/// An optimizer setting out of its range, or one the optimizer does not take.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OptimizerError {
    /// `momentum` must be finite, in [0, 1).
    #[error("momentum must lie in [0, 1), got {0}")]
    Momentum(f64),
    /// `weight_decay` must be finite and not negative.
    #[error("weight_decay must be finite and at least 0, got {0}")]
    WeightDecay(f64),
    /// The optimizer has no such setting: it would be ignored.
    #[error("{optimizer} does not take momentum ({why})")]
    NoMomentum {
        /// The optimizer's name.
        optimizer: &'static str,
        /// What it has instead.
        why: &'static str,
    },
    /// Nesterov momentum is SGD's, and needs momentum.
    #[error("nesterov needs SGD with momentum > 0")]
    Nesterov,
}

impl OptimizerOptions {
    /// Checks each setting's range, and that `kind` takes it: momentum is SGD's and RMSprop's
    /// (Adam, AdamW and Prodigy have β1 = 0.9, cycled by one-cycle and cyclic schedules; AdaGrad has
    /// none), weight decay is every optimizer's.
    pub fn validate(&self, kind: OptimizerKind) -> Result<(), OptimizerError> {
        if let Some(m) = self.momentum {
            if !(0.0..1.0).contains(&m) {
                return Err(OptimizerError::Momentum(m));
            }
            let why = match kind {
                OptimizerKind::Sgd | OptimizerKind::RmsProp => None,
                OptimizerKind::AdaGrad => Some("it has none"),
                OptimizerKind::ScheduleFreeAdamW => {
                    Some("its β1 is 0.9, an interpolation, not cycled")
                }
                _ => Some("its β1 is 0.9, cycled by one-cycle and cyclic schedules"),
            };
            if let Some(why) = why {
                return Err(OptimizerError::NoMomentum {
                    optimizer: kind.name(),
                    why,
                });
            }
        }
        if let Some(d) = self.weight_decay {
            if !(d.is_finite() && d >= 0.0) {
                return Err(OptimizerError::WeightDecay(d));
            }
        }
        if self.nesterov && (kind != OptimizerKind::Sgd || self.momentum.unwrap_or(0.0) == 0.0) {
            return Err(OptimizerError::Nesterov);
        }
        Ok(())
    }
}

impl OptimizerKind {
    /// Builds the optimizer with PyTorch's defaults (burn differs: SGD dampening 0.1, Adam ε 1e-5,
    /// AdamW weight decay 1e-4, RMSProp momentum 0.9): ε 1e-8 for Adam/AdamW/RMSProp,
    /// 1e-10 for AdaGrad, AdamW weight decay 0.01, SGD momentum dampening 0.
    /// Prodigy: prodigyopt's defaults (β 0.9/0.999, no weight decay unless given).
    pub fn build(self, o: OptimizerOptions) -> BuiltOptimizer {
        let momentum = self.default_momentum(o);
        BuiltOptimizer::Burn(match self {
            OptimizerKind::AdamW => adamw(o, momentum).init(),
            OptimizerKind::Adam => adam(o, momentum).init(),
            OptimizerKind::Sgd => sgd(o, momentum).init(),
            OptimizerKind::RmsProp => rmsprop(o, momentum).init(),
            OptimizerKind::AdaGrad => AdaGradConfig::new()
                .with_epsilon(1e-10)
                .with_weight_decay(weight_decay(o.weight_decay.unwrap_or(0.0)))
                .init(),
            OptimizerKind::Prodigy => return BuiltOptimizer::Prodigy(prodigy(o, momentum)),
            OptimizerKind::ScheduleFreeAdamW => {
                let config = ScheduleFreeConfig {
                    weight_decay: o.weight_decay.unwrap_or(0.0),
                    ..ScheduleFreeConfig::default()
                };
                return BuiltOptimizer::ScheduleFree(ScheduleFreeAdamW::new(config));
            }
        })
    }

    /// As [`OptimizerKind::build`], with a handle that sets its momentum (SGD, RMSprop) or β1
    /// (Adam, AdamW) between steps, as PyTorch's `OneCycleLR`/`CyclicLR` do with
    /// `cycle_momentum`. Until it is set, and whenever it is set to the built value, the optimizer
    /// is [`OptimizerKind::build`]'s to the bit. AdaGrad has no momentum: no handle.
    pub fn build_cycling(self, o: OptimizerOptions) -> (BuiltOptimizer, Option<MomentumControl>) {
        let m = self.default_momentum(o);
        let (optimizer, control) = match self {
            OptimizerKind::Prodigy => {
                let optimizer = prodigy(o, m);
                let beta1 = optimizer.beta1_handle();
                let control = MomentumControl(Arc::new(move |m| {
                    *beta1.write().unwrap_or_else(|p| p.into_inner()) = m;
                }));
                return (BuiltOptimizer::Prodigy(optimizer), Some(control));
            }
            OptimizerKind::AdamW => cycled(move |b| adamw(o, b).build(), m),
            OptimizerKind::Adam => cycled(move |b| adam(o, b).build(), m),
            OptimizerKind::Sgd => cycled(move |b| sgd(o, b).build(), m),
            OptimizerKind::RmsProp => cycled(move |b| rmsprop(o, b).build(), m),
            OptimizerKind::AdaGrad | OptimizerKind::ScheduleFreeAdamW => {
                return (self.build(o), None)
            }
        };
        (BuiltOptimizer::Burn(optimizer), Some(control))
    }

    /// The momentum (β1 for Adam and AdamW) it is built with: PyTorch's default, or the given one.
    fn default_momentum(self, o: OptimizerOptions) -> f64 {
        match self {
            OptimizerKind::AdamW | OptimizerKind::Adam | OptimizerKind::Prodigy => 0.9,
            _ => o.momentum.unwrap_or(0.0),
        }
    }

    /// The name on the command line (`adamw`).
    pub fn name(self) -> &'static str {
        match self {
            OptimizerKind::AdamW => "adamw",
            OptimizerKind::Adam => "adam",
            OptimizerKind::Sgd => "sgd",
            OptimizerKind::RmsProp => "rmsprop",
            OptimizerKind::AdaGrad => "adagrad",
            OptimizerKind::Prodigy => "prodigy",
            OptimizerKind::ScheduleFreeAdamW => "schedulefree-adamw",
        }
    }

    /// Whether it sets its own step size (train it at lr 1, no finder needed).
    pub fn learning_rate_free(self) -> bool {
        self == OptimizerKind::Prodigy
    }

    /// Every optimizer.
    pub const ALL: [OptimizerKind; 7] = [
        OptimizerKind::AdamW,
        OptimizerKind::Adam,
        OptimizerKind::Sgd,
        OptimizerKind::RmsProp,
        OptimizerKind::AdaGrad,
        OptimizerKind::Prodigy,
        OptimizerKind::ScheduleFreeAdamW,
    ];
}

impl fmt::Display for OptimizerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for OptimizerKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        OptimizerKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| {
                format!("unknown optimizer '{s}' (expected adamw, adam, sgd, rmsprop, adagrad, prodigy or schedulefree-adamw)")
            })
    }
}

/// Weight decay `d`, none when 0.
fn weight_decay(d: f64) -> Option<WeightDecayConfig> {
    (d > 0.0).then(|| WeightDecayConfig::new(d as f32))
}

/// AdamW with β1 `beta_1`, ε 1e-8 and weight decay 0.01 unless given (PyTorch's).
fn adamw(o: OptimizerOptions, beta_1: f64) -> AdamWConfig {
    AdamWConfig::new()
        .with_beta_1(beta_1 as f32)
        .with_epsilon(1e-8)
        .with_weight_decay(o.weight_decay.unwrap_or(0.01) as f32)
}

/// Adam with β1 `beta_1` and ε 1e-8 (PyTorch's).
fn adam(o: OptimizerOptions, beta_1: f64) -> AdamConfig {
    AdamConfig::new()
        .with_beta_1(beta_1 as f32)
        .with_epsilon(1e-8)
        .with_weight_decay(weight_decay(o.weight_decay.unwrap_or(0.0)))
}

/// SGD with `momentum` (none when 0) and no dampening (PyTorch's).
fn sgd(o: OptimizerOptions, momentum: f64) -> SgdConfig {
    let m = (momentum > 0.0).then_some(MomentumConfig {
        momentum,
        dampening: 0.0,
        nesterov: o.nesterov,
    });
    SgdConfig::new()
        .with_momentum(m)
        .with_weight_decay(weight_decay(o.weight_decay.unwrap_or(0.0)))
}

/// Prodigy with β1 `beta_1` and weight decay 0 unless given (prodigyopt's).
fn prodigy(o: OptimizerOptions, beta_1: f64) -> Prodigy {
    let config = ProdigyConfig {
        weight_decay: o.weight_decay.unwrap_or(0.0),
        ..ProdigyConfig::default()
    };
    Prodigy::new(config, beta_1)
}

/// RMSprop with `momentum` and ε 1e-8 (PyTorch's).
fn rmsprop(o: OptimizerOptions, momentum: f64) -> RmsPropConfig {
    RmsPropConfig::new()
        .with_epsilon(1e-8)
        .with_momentum(momentum as f32)
        .with_weight_decay(weight_decay(o.weight_decay.unwrap_or(0.0)))
}

/// An optimizer that steps as the last one its momentum was set to build: the state (moments,
/// velocity, step count) is the inner optimizer's and carries over when the momentum changes.
#[derive(Clone)]
struct Cycled<O> {
    current: Arc<RwLock<O>>,
}

impl<O: Optimizer> Optimizer for Cycled<O> {
    type State<const D: usize> = O::State<D>;

    fn step<const D: usize>(
        &self,
        lr: LearningRate,
        tensor: Tensor<D>,
        grad: Tensor<D>,
        state: Option<Self::State<D>>,
    ) -> (Tensor<D>, Option<Self::State<D>>) {
        let current = self.current.read().unwrap_or_else(|p| p.into_inner());
        current.step(lr, tensor, grad, state)
    }

    fn to_device<const D: usize>(state: Self::State<D>, device: &Device) -> Self::State<D> {
        O::to_device(state, device)
    }
}

/// Sets the momentum (β1) of an optimizer made by [`OptimizerKind::build_cycling`]; clones
/// (and the optimizer's clones, e.g. a range test's snapshot) share it.
#[derive(Clone)]
pub struct MomentumControl(Arc<dyn Fn(f64) + Send + Sync>);

impl MomentumControl {
    /// The momentum (β1) of the next steps.
    pub fn set(&self, momentum: f64) {
        (self.0)(momentum)
    }
}

impl fmt::Debug for MomentumControl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MomentumControl")
    }
}

/// `build(initial)` behind a [`MomentumControl`] that rebuilds it with another momentum.
fn cycled<O: Optimizer>(
    build: impl Fn(f64) -> O + Send + Sync + 'static,
    initial: f64,
) -> (ModuleOptimizer, MomentumControl) {
    let current = Arc::new(RwLock::new(build(initial)));
    let handle = current.clone();
    let control = MomentumControl(Arc::new(move |m| {
        *handle.write().unwrap_or_else(|p| p.into_inner()) = build(m);
    }));
    (ModuleOptimizer::from(Cycled { current }), control)
}

#[cfg(test)]
mod momentum_tests {
    use super::*;
    use crate::{seeded, Batches, BurnProbe};
    use burn::nn::{Linear, LinearConfig};
    use lrfind::Probe;

    type Batch = (Tensor<2>, Tensor<2>);

    fn data(device: &Device) -> Batches<Batch> {
        let x = Tensor::<2>::from_data([[0.5, -1.0, 2.0, 0.25], [1.5, 0.5, -0.5, 1.0]], device);
        let y = Tensor::<2>::from_data([[1.0, 0.0], [0.0, 1.0]], device);
        Batches::from_batches(vec![(x, y)])
    }

    fn mse(m: &Linear, (x, y): &Batch) -> Tensor<1> {
        (m.forward(x.clone()) - y.clone()).powi_scalar(2).mean()
    }

    fn weights(m: &Linear) -> Vec<f32> {
        let mut w: Vec<f32> = m.weight.val().into_data().try_to_vec().unwrap();
        if let Some(b) = &m.bias {
            w.extend(b.val().into_data().try_to_vec::<f32>().unwrap());
        }
        w
    }

    #[test]
    fn cycling_at_the_built_momentum_is_burns_optimizer_to_the_bit() {
        let device = Device::flex().autodiff();
        let options = OptimizerOptions {
            momentum: Some(0.9),
            ..Default::default()
        };
        for kind in [
            OptimizerKind::AdamW,
            OptimizerKind::Adam,
            OptimizerKind::Sgd,
            OptimizerKind::RmsProp,
        ] {
            let o = if kind == OptimizerKind::RmsProp {
                Default::default()
            } else {
                options
            };
            let model = seeded(7, &device, |d| LinearConfig::new(4, 2).init(d));
            let mut plain = BurnProbe::new(model.clone(), kind.build(o), data(&device), mse);
            let (optimizer, control) = kind.build_cycling(o);
            let mut cycling = BurnProbe::new(model, optimizer, data(&device), mse)
                .with_momentum_control(control.expect("a momentum"));
            let built = kind.default_momentum(o);
            for _ in 0..5 {
                plain.step(0.01).unwrap();
                assert!(cycling.set_momentum(built));
                cycling.step(0.01).unwrap();
            }
            let (a, b) = (
                weights(plain.model().unwrap()),
                weights(cycling.model().unwrap()),
            );
            assert_eq!(a, b, "{kind}");
        }
        assert!(OptimizerKind::AdaGrad.build_cycling(options).1.is_none());
    }

    #[test]
    fn adam_with_a_changing_beta1_matches_the_hand_computed_update() {
        // loss = w·c: the gradient is c at every step. Adam (PyTorch's form, burn's update):
        // m_t = β1_t·m_{t−1} + (1 − β1_t)·c, v_t = β2·v_{t−1} + (1 − β2)·c²,
        // w_t = w_{t−1} − lr·(m_t / (1 − β1_t^t)) / (√(v_t / (1 − β2^t)) + ε).
        let device = Device::flex().autodiff();
        let model = seeded(3, &device, |d| {
            LinearConfig::new(1, 1).with_bias(false).init(d)
        });
        let w0 = weights(&model)[0] as f64;
        let c = 2.0f64;
        let x = Tensor::<2>::from_data([[c as f32]], &device);
        let batches = Batches::from_batches(vec![x]);
        let loss = |m: &Linear, x: &Tensor<2>| m.forward(x.clone()).sum();
        let (optimizer, control) = OptimizerKind::Adam.build_cycling(Default::default());
        let mut probe =
            BurnProbe::new(model, optimizer, batches, loss).with_momentum_control(control.unwrap());
        let (lr, beta2, eps) = (0.1, 0.999, 1e-8);
        let (mut w, mut m, mut v) = (w0, 0.0, 0.0);
        let mut seen = vec![w0];
        for (t, beta1) in [0.95, 0.85, 0.9].into_iter().enumerate() {
            let t = t as i32 + 1;
            probe.set_momentum(beta1);
            probe.step(lr).unwrap();
            m = beta1 * m + (1.0 - beta1) * c;
            v = beta2 * v + (1.0 - beta2) * c * c;
            let m_hat = m / (1.0 - f64::powi(beta1, t));
            let v_hat = v / (1.0 - f64::powi(beta2, t));
            w -= lr * m_hat / (v_hat.sqrt() + eps);
            let got = weights(probe.model().unwrap())[0] as f64;
            assert!((got - w).abs() < 1e-5, "step {t}: burn {got}, by hand {w}");
            seen.push(got);
        }
        // With a constant β1 every step would move by lr (m̂ = c); the second moved by
        // lr·(0.85·0.05 + 0.15)/(1 − 0.85²) = 0.6937·lr because β1 changed between the steps.
        let second = seen[1] - seen[2];
        assert!((second - 0.1 * 0.1925 / 0.2775).abs() < 1e-5, "{second}");
    }
}
