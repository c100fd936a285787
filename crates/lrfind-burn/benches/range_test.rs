//! Range-test iterations per second on digits-MLP (AdamW, batch 64), with and without the finder
//! around the same training step: the finder's own overhead per step.

use burn::nn::loss::CrossEntropyLossConfig;
use burn::prelude::*;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use lrfind::{Probe, RangeTestConfig};
use lrfind_burn::data::{digits, ClassBatch, ClassBatches};
use lrfind_burn::model::{seeded, Mlp};
use lrfind_burn::optim::{OptimizerKind, OptimizerOptions};
use lrfind_burn::BurnProbe;

const STEPS: usize = 200;

fn probe() -> BurnProbe<Mlp, ClassBatches, impl FnMut(&Mlp, &ClassBatch) -> Tensor<1>> {
    let device = Device::flex().autodiff();
    let (train, _) = digits::split();
    let data = ClassBatches::new(&train, 64, 0, &device);
    let model = seeded(0, &device, |d| Mlp::new(&[64, 128, 128, 10], d));
    let ce = CrossEntropyLossConfig::new().init(&device);
    let loss =
        move |m: &Mlp, b: &ClassBatch| ce.forward(m.forward(b.inputs.clone()), b.targets.clone());
    BurnProbe::new(
        model,
        OptimizerKind::AdamW.build(OptimizerOptions::default()),
        data,
        loss,
    )
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("digits_mlp_adamw_200_steps");
    group.sample_size(10);
    // Set-up (data, batches, model) stays outside the timing; only the 200 steps are measured.
    group.bench_function("bare_training_loop", |b| {
        b.iter_batched(
            probe,
            |mut p| {
                for _ in 0..STEPS {
                    p.step(1e-4).unwrap();
                }
                p
            },
            BatchSize::LargeInput,
        )
    });
    group.bench_function("range_test", |b| {
        let config = RangeTestConfig {
            num_iter: STEPS,
            end_lr: 1e-3,
            stop_div: None,
            ..Default::default()
        };
        b.iter_batched(
            probe,
            |mut p| lrfind::run(&mut p, config, &mut ()).unwrap(),
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
