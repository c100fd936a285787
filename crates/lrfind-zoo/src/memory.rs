//! A model that cannot fit is an error before any tensor is allocated: a lower bound of the
//! bytes training needs, against the memory the machine has free (Linux `MemAvailable`). An
//! allocation that fails inside burn aborts the process; this turns the obvious cases (a
//! `--hidden 100000,100000`, a `--seq-len 100000`) into an error naming the estimate.

use crate::model::CharLmShape;
use crate::spec::TaskError;

/// Bytes of a float32.
const F32: f64 = 4.0;
/// Copies of every parameter training holds: the weights, their gradient, two optimizer moments,
/// and the snapshot a range test restores.
const COPIES: f64 = 5.0;

/// Training an MLP of layer `sizes` on batches of `batch`: parameters (× [`COPIES`]) and each
/// layer's activations and their gradients.
pub fn mlp(sizes: &[usize], batch: usize) -> f64 {
    let params: f64 = sizes
        .windows(2)
        .map(|w| (w[0] as f64 + 1.0) * w[1] as f64)
        .sum();
    let activations: f64 = sizes.iter().map(|&n| n as f64).sum::<f64>() * batch as f64 * 2.0;
    (params * COPIES + activations) * F32
}

/// Training the character transformer of `shape` on batches of `batch`: parameters (embeddings,
/// attention, a 4× feed-forward, the head) and, per layer, the attention scores
/// (batch × heads × seq², with their softmax and gradient) and the activations.
pub fn char_lm(shape: &CharLmShape, batch: usize) -> f64 {
    let (v, s, d) = (
        shape.vocab as f64,
        shape.seq_len as f64,
        shape.d_model as f64,
    );
    let (h, l, b) = (shape.heads as f64, shape.layers as f64, batch as f64);
    let params = 2.0 * v * d + s * d + l * (4.0 * d * d + 8.0 * d * d);
    let per_layer = b * h * s * s * 3.0 + b * s * d * 12.0;
    let logits = b * s * v * 3.0;
    (params * COPIES + l * per_layer + logits) * F32
}

/// Bytes free now (`MemAvailable`), where the system says.
fn available() -> Option<f64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024.0)
}

/// An error when `bytes` cannot fit in the memory free now; nothing is checked where the system
/// does not say.
pub fn fits(bytes: f64) -> Result<(), TaskError> {
    match available() {
        Some(free) if bytes > free => Err(too_large(bytes, free)),
        _ => Ok(()),
    }
}

fn too_large(bytes: f64, free: f64) -> TaskError {
    let gib = |b: f64| b / (1u64 << 30) as f64;
    TaskError::Invalid(format!(
        "the model and its training need at least {:.1} GiB (an estimate: weights, gradients, \
         optimizer state and activations), more than the {:.1} GiB free; use a smaller \
         --hidden, --seq-len or --batch-size",
        gib(bytes),
        gib(free)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_models_are_small_and_the_huge_ones_are_not() {
        assert!(mlp(&[64, 128, 128, 10], 64) < 1e6);
        assert!(mlp(&[64, 100_000, 100_000, 10], 64) > 1e11);
        let reference = CharLmShape::reference(65);
        assert!(char_lm(&reference, 16) < 1e8);
        let long = CharLmShape {
            seq_len: 100_000,
            ..reference
        };
        assert!(char_lm(&long, 16) > 1e12);
        let message = too_large(2e11, 2e10).to_string();
        assert!(message.contains("at least 186.3 GiB"), "{message}");
        assert!(message.contains("18.6 GiB free"), "{message}");
    }
}
