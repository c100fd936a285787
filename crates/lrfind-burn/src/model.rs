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

/// A model that maps a batch of flat inputs `[batch, features]` to class logits.
pub trait Classifier: Module + Clone {
    fn logits(&self, x: Tensor<2>) -> Tensor<2>;
}

impl Classifier for Mlp {
    fn logits(&self, x: Tensor<2>) -> Tensor<2> {
        self.forward(x)
    }
}

/// The small CNN of `shared/REFERENCE.md` for 28×28 grey images: conv 1→16 3×3, ReLU, max-pool 2,
/// conv 16→32 3×3, ReLU, max-pool 2, linear 800→10.
#[derive(Module, Debug)]
pub struct Cnn {
    conv1: burn::nn::conv::Conv2d,
    conv2: burn::nn::conv::Conv2d,
    pool: burn::nn::pool::MaxPool2d,
    head: Linear,
    activation: Relu,
}

impl Cnn {
    /// Input side length the CNN expects.
    pub const SIDE: usize = 28;

    pub fn new(classes: usize, device: &Device) -> Cnn {
        use burn::nn::conv::Conv2dConfig;
        use burn::nn::pool::MaxPool2dConfig;
        let cnn = Cnn {
            conv1: Conv2dConfig::new([1, 16], [3, 3]).init(device),
            conv2: Conv2dConfig::new([16, 32], [3, 3]).init(device),
            pool: MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init(),
            head: LinearConfig::new(32 * 5 * 5, classes).init(device),
            activation: Relu::new(),
        };
        let _ = cnn
            .logits(Tensor::zeros([1, Self::SIDE * Self::SIDE], device))
            .into_data();
        cnn
    }
}

impl Classifier for Cnn {
    fn logits(&self, x: Tensor<2>) -> Tensor<2> {
        let [batch, _] = x.dims();
        let x = x.reshape([batch, 1, Self::SIDE, Self::SIDE]);
        let x = self
            .pool
            .forward(self.activation.forward(self.conv1.forward(x)));
        let x = self
            .pool
            .forward(self.activation.forward(self.conv2.forward(x)));
        self.head.forward(x.reshape([batch, 32 * 5 * 5]))
    }
}
