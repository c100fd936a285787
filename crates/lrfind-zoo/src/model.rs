//! Models the `lrfind` command trains.

use burn::nn::{Linear, LinearConfig, Relu};
use burn::prelude::*;
pub use lrfind_burn::seeded;

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

    /// Logits `[n, out]` of inputs `[n, in]`.
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
    /// Class logits `[n, classes]` of inputs `[n, features]`.
    fn logits(&self, x: Tensor<2>) -> Tensor<2>;
}

impl Classifier for Mlp {
    fn logits(&self, x: Tensor<2>) -> Tensor<2> {
        self.forward(x)
    }
}

/// The small CNN of `docs/reference.md` for 28×28 grey images: conv 1→16 3×3, ReLU, max-pool 2,
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

    /// A CNN for `classes` classes of 28×28 images.
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

/// A small character-level language model (`docs/reference.md`): token + learned position
/// embeddings, a pre-norm transformer encoder (ReLU feed-forward) with a causal mask, a final layer
/// norm and a linear head over the vocabulary. With d 128, 4 heads, 2 layers, ff 512: ≈ 420k parameters.
#[derive(Module, Debug)]
pub struct CharLm {
    tokens: burn::nn::Embedding,
    positions: burn::nn::Embedding,
    encoder: burn::nn::transformer::TransformerEncoder,
    norm: burn::nn::LayerNorm,
    head: Linear,
}

/// Shape of a [`CharLm`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CharLmShape {
    /// Characters in the vocabulary.
    pub vocab: usize,
    /// Context length.
    pub seq_len: usize,
    /// Width of the embeddings.
    pub d_model: usize,
    /// Attention heads.
    pub heads: usize,
    /// Transformer layers.
    pub layers: usize,
}

impl CharLmShape {
    /// The reference shape: d 128, 4 heads, 2 layers, context 64.
    pub fn reference(vocab: usize) -> CharLmShape {
        CharLmShape {
            vocab,
            seq_len: 64,
            d_model: 128,
            heads: 4,
            layers: 2,
        }
    }
}

impl CharLm {
    /// The model of `shape`.
    pub fn new(shape: CharLmShape, device: &Device) -> CharLm {
        use burn::nn::transformer::TransformerEncoderConfig;
        use burn::nn::{EmbeddingConfig, LayerNormConfig};
        let d = shape.d_model;
        let lm = CharLm {
            tokens: EmbeddingConfig::new(shape.vocab, d).init(device),
            positions: EmbeddingConfig::new(shape.seq_len, d).init(device),
            // ReLU in the feed-forward, as PyTorch's `nn.TransformerEncoderLayer` (the reference
            // model) has it; burn's default is GELU, which costs flex more (docs/performance.md).
            encoder: TransformerEncoderConfig::new(d, 4 * d, shape.heads, shape.layers)
                .with_norm_first(true)
                .with_dropout(0.0)
                .with_activation(burn::nn::activation::ActivationConfig::Relu)
                .init(device),
            norm: LayerNormConfig::new(d).init(device),
            head: LinearConfig::new(d, shape.vocab).init(device),
        };
        let _ = lm
            .forward(Tensor::zeros([1, shape.seq_len], device))
            .into_data();
        lm
    }

    /// Logits `[batch, seq, vocab]` for tokens `[batch, seq]` (seq ≤ the shape's seq_len); each
    /// position sees only itself and earlier ones.
    pub fn forward(&self, tokens: Tensor<2, Int>) -> Tensor<3> {
        use burn::nn::attention::generate_autoregressive_mask;
        use burn::nn::transformer::TransformerEncoderInput;
        let [batch, seq] = tokens.dims();
        let device = tokens.device();
        let positions = Tensor::<1, Int>::arange(0..seq as i64, &device)
            .reshape([1, seq])
            .repeat_dim(0, batch);
        let x = self.tokens.forward(tokens) + self.positions.forward(positions);
        let mask = generate_autoregressive_mask(batch, seq, &device);
        let x = self
            .encoder
            .forward(TransformerEncoderInput::new(x).mask_attn(mask));
        self.head.forward(self.norm.forward(x))
    }
}
