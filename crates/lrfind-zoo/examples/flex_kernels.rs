//! The kernels behind the CNN's and the char transformer's steps, each timed alone on burn's
//! flex backend (forward + backward of one layer, a sum as the loss): the isolated measurement
//! behind the README's "burn flex's kernels set the pace". `scripts/pytorch_steps.py kernels`
//! times the same layers in PyTorch; `scripts/compare-pytorch.sh` prints both (docs/flex-kernels.md).
//!
//! `cargo run --release -p lrfind-zoo --example flex_kernels` — prints `name ms` lines (median of
//! 5 repeats of 20 calls, after 3 warm-up calls).

use burn::nn::conv::Conv2dConfig;
use burn::nn::pool::MaxPool2dConfig;
use burn::nn::LinearConfig;
use burn::prelude::*;
use burn::tensor::Distribution;
use std::time::Instant;

/// Median ms of `f` over 5 repeats of 20 calls (3 calls of warm-up first).
fn time(mut f: impl FnMut()) -> f64 {
    for _ in 0..3 {
        f();
    }
    let mut runs: Vec<f64> = (0..5)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..20 {
                f();
            }
            start.elapsed().as_secs_f64() * 1000.0 / 20.0
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    runs[2]
}

fn main() {
    lrfind_burn::allocator::keep_freed_memory();
    let device = Device::flex().autodiff();
    let random = |shape: Vec<usize>| Tensor::<4>::random(shape, Distribution::Default, &device);
    // The CNN's two convolutions at batch 64 (lrfind_zoo::model::Cnn).
    let conv1 = Conv2dConfig::new([1, 16], [3, 3]).init(&device);
    let x1 = random(vec![64, 1, 28, 28]);
    let conv1_ms = time(|| {
        let loss = conv1.forward(x1.clone()).sum();
        let _ = loss.backward();
    });
    let conv2 = Conv2dConfig::new([16, 32], [3, 3]).init(&device);
    let x2 = random(vec![64, 16, 13, 13]).require_grad();
    let conv2_ms = time(|| {
        let loss = conv2.forward(x2.clone()).sum();
        let _ = loss.backward();
    });
    let pool = MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init();
    let x3 = random(vec![64, 16, 26, 26]).require_grad();
    let pool_ms = time(|| {
        let loss = pool.forward(x3.clone()).sum();
        let _ = loss.backward();
    });
    // The char transformer's feed-forward layer: 32 × 64 tokens, 128 → 512.
    let ff = LinearConfig::new(128, 512).init(&device);
    let x4 = Tensor::<2>::random([32 * 64, 128], Distribution::Default, &device).require_grad();
    let linear_ms = time(|| {
        let loss = ff.forward(x4.clone()).sum();
        let _ = loss.backward();
    });
    // Its attention scores: 32 × 4 heads of (64 × 32) · (32 × 64), then softmax.
    let q = Tensor::<3>::random([128, 64, 32], Distribution::Default, &device).require_grad();
    let k = Tensor::<3>::random([128, 32, 64], Distribution::Default, &device).require_grad();
    let attention_ms = time(|| {
        let scores = burn::tensor::activation::softmax(q.clone().matmul(k.clone()), 2);
        let _ = scores.sum().backward();
    });
    for (name, ms) in [
        ("conv1_1x28x28_to_16", conv1_ms),
        ("conv2_16x13x13_to_32", conv2_ms),
        ("maxpool_16x26x26", pool_ms),
        ("linear_2048x128_to_512", linear_ms),
        ("attention_128x64x64_softmax", attention_ms),
    ] {
        println!("{name} {ms:.3}");
    }
}
