//! A seeded MLP: the reference model of the examples and tests (candle's own CPU initialisers
//! cannot be seeded, so the weights are drawn here).

use candle_core::{Device, Module, Tensor, Var};
use candle_nn::Linear;
use lrfind_data::SplitMix64;

/// Linear layers with ReLU between them, weights and biases drawn from `U(−1/√in, 1/√in)` (PyTorch's
/// `nn.Linear` default) with a seeded generator: the same seed gives the same model.
#[derive(Debug, Clone)]
pub struct Mlp {
    layers: Vec<Linear>,
    vars: Vec<Var>,
}

impl Mlp {
    /// Layer sizes `sizes` (input first, classes last), f32 on `device`.
    pub fn new(sizes: &[usize], seed: u64, device: &Device) -> candle_core::Result<Mlp> {
        let mut rng = SplitMix64(seed);
        let (mut layers, mut vars) = (Vec::new(), Vec::new());
        for pair in sizes.windows(2) {
            let (inputs, outputs) = (pair[0], pair[1]);
            let bound = 1.0 / (inputs as f64).sqrt();
            let mut draw = |n: usize| -> Vec<f32> {
                (0..n).map(|_| rng.uniform(-bound, bound) as f32).collect()
            };
            let w = Var::from_tensor(&Tensor::from_vec(
                draw(inputs * outputs),
                (outputs, inputs),
                device,
            )?)?;
            let b = Var::from_tensor(&Tensor::from_vec(draw(outputs), outputs, device)?)?;
            layers.push(Linear::new(
                w.as_tensor().clone(),
                Some(b.as_tensor().clone()),
            ));
            vars.extend([w, b]);
        }
        Ok(Mlp { layers, vars })
    }

    /// The trainable variables, in layer order (weight, bias, …); they share storage with the
    /// model, so an optimizer stepping them trains it.
    pub fn vars(&self) -> Vec<Var> {
        self.vars.clone()
    }

    /// Logits of `x` (`[batch, input]`).
    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let mut h = x.clone();
        for (i, layer) in self.layers.iter().enumerate() {
            h = layer.forward(&h)?;
            if i + 1 < self.layers.len() {
                h = h.relu()?;
            }
        }
        Ok(h)
    }

    /// (mean cross-entropy, accuracy) over `batches`, weighted by batch size.
    pub fn evaluate(&self, batches: &[(Tensor, Tensor)]) -> candle_core::Result<(f64, f64)> {
        let (mut loss, mut hits, mut rows) = (0.0, 0.0, 0usize);
        for (x, y) in batches {
            let logits = self.forward(x)?;
            let n = y.dims1()?;
            let l = candle_nn::loss::cross_entropy(&logits, y)?.to_scalar::<f32>()? as f64;
            let predicted = logits.argmax(1)?;
            let correct = predicted
                .eq(y)?
                .to_dtype(candle_core::DType::F32)?
                .sum_all()?;
            loss += l * n as f64;
            hits += correct.to_scalar::<f32>()? as f64;
            rows += n;
        }
        let rows = rows.max(1) as f64;
        Ok((loss / rows, hits / rows))
    }
}
