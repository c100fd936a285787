//! Range-test speed on the three reference tasks (`docs/reference.md`), each three ways: a plain
//! burn loop (no lrfind), the probe's training steps, and the range test around them — lrfind's
//! own cost per step is the difference:
//! - digits MLP 64-128-128-10, AdamW, batch 64 (200 steps);
//! - the CNN on 28×28 images, AdamW, batch 64 (20 steps; random images: speed does not depend on
//!   pixel values);
//! - the char transformer (d 128, 4 heads, 2 layers, T 64), AdamW, batch 32 (5 steps).
//!
//! Set-up (data, batches, model) stays outside the timing; only the steps are measured.

use burn::prelude::*;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use lrfind::{Probe, RangeTestConfig};
use lrfind_burn::optim::{OptimizerKind, OptimizerOptions};
use lrfind_zoo::data::text::Windows;
use lrfind_zoo::data::{digits, Batches, Classification};
use lrfind_zoo::model::{seeded, CharLm, CharLmShape, Cnn, Mlp};
use lrfind_zoo::task::{Classify, NextChar, Task};

/// A probe over `model`, `task` and `data` with AdamW (PyTorch defaults).
fn probe<M, T>(model: M, task: T, data: Batches<T::Batch>) -> impl Probe<Error: std::fmt::Debug>
where
    M: Module + Clone,
    T: Task<M>,
{
    let optimizer = OptimizerKind::AdamW.build(OptimizerOptions::default());
    lrfind_zoo::task::probe(model, optimizer, data, task)
}

/// The same training step written as a plain burn loop, without lrfind: the task's loss on the
/// next batch (read back, as every loop that logs it does), backward, burn's AdamW (PyTorch's
/// defaults, as `OptimizerKind::AdamW`) at a fixed lr.
struct PlainBurn<M, T: Task<M>> {
    model: Option<M>,
    task: T,
    batches: Vec<T::Batch>,
    next: usize,
    optimizer: burn::optim::ModuleOptimizer,
}

impl<M: Module + Clone, T: Task<M>> PlainBurn<M, T> {
    fn new(model: M, task: T, data: &Batches<T::Batch>) -> Self {
        let optimizer = burn::optim::AdamWConfig::new()
            .with_weight_decay(0.01)
            .with_epsilon(1e-8)
            .init();
        PlainBurn {
            model: Some(model),
            task,
            batches: data.all().to_vec(),
            next: 0,
            optimizer,
        }
    }

    fn step(&mut self) -> f32 {
        let model = self.model.take().expect("a model");
        let batch = &self.batches[self.next % self.batches.len()];
        self.next += 1;
        let loss = self.task.loss(&model, batch);
        let value = loss.clone().into_scalar::<f32>();
        let grads = burn::optim::GradientsParams::from_grads(loss.backward(), &model);
        self.model = Some(self.optimizer.step(1e-4, model, grads));
        value
    }
}

/// Times `steps` training steps three ways: a plain burn loop (`plain`), the probe's steps
/// (`make`), and a range test of `steps` iterations over the probe.
fn compare<P: Probe, M: Module + Clone, T: Task<M>>(
    c: &mut Criterion,
    name: &str,
    steps: usize,
    plain: impl Fn() -> PlainBurn<M, T> + Copy,
    make: impl Fn() -> P + Copy,
) where
    P::Error: std::fmt::Debug,
{
    let mut group = c.benchmark_group(format!("{name}_{steps}_steps"));
    group.sample_size(10);
    group.bench_function("plain_burn_loop", |b| {
        b.iter_batched(
            plain,
            |mut p| {
                for _ in 0..steps {
                    p.step();
                }
                p
            },
            BatchSize::LargeInput,
        )
    });
    group.bench_function("bare_training_loop", |b| {
        b.iter_batched(
            make,
            |mut p| {
                for _ in 0..steps {
                    p.step(1e-4).unwrap();
                }
                p
            },
            BatchSize::LargeInput,
        )
    });
    group.bench_function("range_test", |b| {
        let config = RangeTestConfig {
            num_iter: steps,
            end_lr: 1e-3,
            stop_div: None,
            ..Default::default()
        };
        b.iter_batched(
            make,
            |mut p| lrfind::run(&mut p, config, &mut ()).unwrap(),
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

/// `n` random 28×28 "images" with 10 classes.
fn random_images(n: usize) -> Classification {
    let mut state = 1u32;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state
    };
    Classification {
        features: (0..n * 784)
            .map(|_| (next() % 256) as f32 / 255.0)
            .collect(),
        labels: (0..n).map(|_| (next() % 10) as i64).collect(),
        dim: 784,
        classes: 10,
    }
}

fn bench(c: &mut Criterion) {
    // As the lrfind command does: freed tensors stay in the process between steps.
    lrfind_burn::allocator::keep_freed_memory();
    let device = Device::flex().autodiff();
    let (digits, _) = digits::split();
    let digits_mlp = || seeded(0, &device, |d| Mlp::new(&[64, 128, 128, 10], d));
    let digits_data = lrfind_zoo::data::training(&digits, 64, 0, &device);
    compare(
        c,
        "digits_mlp_adamw",
        200,
        || PlainBurn::new(digits_mlp(), Classify::new(&device), &digits_data),
        || probe(digits_mlp(), Classify::new(&device), digits_data.clone()),
    );
    let images = random_images(640);
    let cnn = || seeded(0, &device, |d| Cnn::new(10, d));
    let cnn_data = lrfind_zoo::data::training(&images, 64, 0, &device);
    compare(
        c,
        "cnn_adamw_batch64",
        20,
        || PlainBurn::new(cnn(), Classify::new(&device), &cnn_data),
        || probe(cnn(), Classify::new(&device), cnn_data.clone()),
    );
    let tokens: Vec<i64> = (0..32 * 65 * 4i64).map(|i| i * 7919 % 65).collect();
    let charlm = || seeded(0, &device, |d| CharLm::new(CharLmShape::reference(65), d));
    let text_data =
        lrfind_zoo::data::training(&Windows::new(&tokens, 64, usize::MAX), 32, 0, &device);
    compare(
        c,
        "charlm_adamw_batch32",
        5,
        || PlainBurn::new(charlm(), NextChar::new(&device), &text_data),
        || probe(charlm(), NextChar::new(&device), text_data.clone()),
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
