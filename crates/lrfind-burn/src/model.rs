//! Models the `lrfind` command trains.

use burn::nn::{Linear, LinearConfig, Relu};
use burn::prelude::*;

/// Builds a model from a seed: burn's parameter RNG is per device and shared by every thread, so
/// seeding and initialising happen under one lock — the same seed gives the same weights even when
/// several models are built at once (parallel tests, parallel runs). burn initialises parameters
/// lazily, on first use, so `build` must use them once (e.g. one forward pass) before returning.
pub fn seeded<M>(seed: u64, device: &Device, build: impl FnOnce(&Device) -> M) -> M {
    static INIT: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = INIT.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    device.seed(seed);
    build(device)
}

/// A multi-layer perceptron: Linear → ReLU → … → Linear.
#[derive(Module, Debug)]
pub struct Mlp {
    layers: Vec<Linear>,
    activation: Relu,
}

impl Mlp {
    /// `sizes = [input, hidden…, output]`, e.g. `[64, 128, 128, 10]`. The weights are drawn at
    /// once (one forward pass on zeros), so building under [`seeded`] fixes them.
    pub fn new(sizes: &[usize], device: &Device) -> Mlp {
        let layers = sizes
            .windows(2)
            .map(|w| LinearConfig::new(w[0], w[1]).init(device))
            .collect();
        let mlp = Mlp {
            layers,
            activation: Relu::new(),
        };
        let _ = mlp
            .forward(Tensor::zeros([1, sizes[0]], device))
            .into_data();
        mlp
    }

    pub fn forward(&self, mut x: Tensor<2>) -> Tensor<2> {
        let last = self.layers.len().saturating_sub(1);
        for (i, layer) in self.layers.iter().enumerate() {
            x = layer.forward(x);
            if i < last {
                x = self.activation.forward(x);
            }
        }
        x
    }
}
