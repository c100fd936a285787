//! Optimizers by name, with PyTorch's defaults where burn's differ.

use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{
    AdaGradConfig, AdamConfig, AdamWConfig, ModuleOptimizer, RmsPropConfig, SgdConfig,
};
use std::fmt;
use std::str::FromStr;

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

impl OptimizerKind {
    /// Builds the optimizer with PyTorch's defaults (burn differs: SGD dampening 0.1, Adam ε 1e-5,
    /// AdamW weight decay 1e-4, RMSProp momentum 0.9): ε 1e-8 for Adam/AdamW/RMSProp,
    /// 1e-10 for AdaGrad, AdamW weight decay 0.01, SGD momentum dampening 0.
    pub fn build(self, o: OptimizerOptions) -> ModuleOptimizer {
        let wd = |d: f64| {
            if d > 0.0 {
                Some(WeightDecayConfig::new(d as f32))
            } else {
                None
            }
        };
        match self {
            OptimizerKind::AdamW => AdamWConfig::new()
                .with_epsilon(1e-8)
                .with_weight_decay(o.weight_decay.unwrap_or(0.01) as f32)
                .init(),
            OptimizerKind::Adam => AdamConfig::new()
                .with_epsilon(1e-8)
                .with_weight_decay(wd(o.weight_decay.unwrap_or(0.0)))
                .init(),
            OptimizerKind::Sgd => {
                let momentum = o.momentum.unwrap_or(0.0);
                let m = (momentum > 0.0).then_some(MomentumConfig {
                    momentum,
                    dampening: 0.0,
                    nesterov: o.nesterov,
                });
                SgdConfig::new()
                    .with_momentum(m)
                    .with_weight_decay(wd(o.weight_decay.unwrap_or(0.0)))
                    .init()
            }
            OptimizerKind::RmsProp => RmsPropConfig::new()
                .with_epsilon(1e-8)
                .with_momentum(o.momentum.unwrap_or(0.0) as f32)
                .with_weight_decay(wd(o.weight_decay.unwrap_or(0.0)))
                .init(),
            OptimizerKind::AdaGrad => AdaGradConfig::new()
                .with_epsilon(1e-10)
                .with_weight_decay(wd(o.weight_decay.unwrap_or(0.0)))
                .init(),
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
        }
    }

    /// Every optimizer.
    pub const ALL: [OptimizerKind; 5] = [
        OptimizerKind::AdamW,
        OptimizerKind::Adam,
        OptimizerKind::Sgd,
        OptimizerKind::RmsProp,
        OptimizerKind::AdaGrad,
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
                format!("unknown optimizer '{s}' (expected adamw, adam, sgd, rmsprop or adagrad)")
            })
    }
}
