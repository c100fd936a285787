//! One range-test step (forward, backward, AdamW step, lr set, loss read) of the digits MLP
//! 64-128-128-10 at batch 64, on candle (CPU) and on burn (flex), timed in the same run:
//! `cargo bench -p lrfind-candle --bench step`.

use burn::prelude::*;
use candle_nn::{Optimizer, ParamsAdamW};
use criterion::{criterion_group, criterion_main, Criterion};
use lrfind::Probe;
use lrfind_burn::optim::{OptimizerKind, OptimizerOptions};
use lrfind_zoo::task::Classify;

const SIZES: [usize; 4] = [64, 128, 128, 10];
const STEPS: usize = 100;

fn steps(c: &mut Criterion) {
    let (train, _) = lrfind_data::digits::split();
    let mut group = c.benchmark_group(format!("digits_mlp_{STEPS}_steps"));
    group.sample_size(10);

    let device = candle_core::Device::Cpu;
    let data = lrfind_candle::CandleBatches::classification(&train, 64, 0, &device).unwrap();
    let mlp = lrfind_candle::Mlp::new(&SIZES, 0, &device).unwrap();
    let optimizer = lrfind_candle::AdamW::new(mlp.vars(), ParamsAdamW::default()).unwrap();
    let loss = |(x, y): &(candle_core::Tensor, candle_core::Tensor)| {
        candle_nn::loss::cross_entropy(&mlp.forward(x)?, y)
    };
    let mut candle = lrfind_candle::CandleProbe::new(mlp.vars(), optimizer, data, loss);
    group.bench_function("candle", |b| {
        b.iter(|| (0..STEPS).map(|_| candle.step(1e-4).unwrap()).sum::<f64>())
    });

    let device = Device::flex().autodiff();
    let data = lrfind_zoo::data::training(&train, 64, 0, &device);
    let model = lrfind_zoo::model::seeded(0, &device, |d| lrfind_zoo::model::Mlp::new(&SIZES, d));
    let optimizer = OptimizerKind::AdamW.build(OptimizerOptions::default());
    let mut burn = lrfind_zoo::task::probe(model, optimizer, data, Classify::new(&device));
    group.bench_function("burn", |b| {
        b.iter(|| (0..STEPS).map(|_| burn.step(1e-4).unwrap()).sum::<f64>())
    });
    group.finish();
}

criterion_group!(benches, steps);
criterion_main!(benches);
