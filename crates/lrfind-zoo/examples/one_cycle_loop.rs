//! Find the rate, then train with lrfind's one-cycle schedule through burn's own `LrScheduler`
//! trait — the trait burn's `Learner` and hand-written burn loops ask for the rate each step.
//!
//! Run: `cargo run --release -p lrfind-burn --example one_cycle_loop`

use burn::lr_scheduler::LrScheduler;
use burn::optim::GradientsParams;
use burn::prelude::*;
use lrfind::schedule::{OneCycle, OneCycleOptions};
use lrfind::Metric;
use lrfind::{analyze, Method, RangeTestConfig};
use lrfind_burn::optim::{ModuleStep, OptimizerKind, OptimizerOptions};
use lrfind_burn::BurnScheduler;
use lrfind_zoo::data::{digits, BatchSource};
use lrfind_zoo::model::{seeded, Mlp};
use lrfind_zoo::task::{evaluate, Classify, Task};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let device = Device::flex().autodiff();
    let (train, valid) = digits::split();
    let task = Classify::new(&device);
    let model = seeded(0, &device, |d| Mlp::new(&[64, 128, 128, 10], d));
    let optimizer = OptimizerKind::AdamW.build(OptimizerOptions::default());
    let batches = lrfind_zoo::data::training(&train, 64, 0, &device);

    // 1. The range test (model, optimizer and data position are restored afterwards).
    let mut probe = lrfind_zoo::task::probe(model, optimizer, batches, task.clone());
    let result = lrfind::run(&mut probe, RangeTestConfig::default(), &mut ())?;
    let max_lr = analyze(&result.curve, &Default::default())?
        .suggestion(Method::Gradient)
        .ok_or("no suggestion")?
        .lr;
    let (model, mut optimizer, mut batches) = probe.into_parts();
    let mut model = model.ok_or("no model")?;

    // 2. A plain burn loop; the rate comes from burn's LrScheduler trait.
    let epochs = 10;
    let steps = epochs * batches.len();
    let mut scheduler =
        BurnScheduler::new(OneCycle::new(max_lr, steps, OneCycleOptions::default())?);
    for _ in 0..steps {
        let batch = batches.next_batch()?;
        let grads = GradientsParams::from_grads(task.loss(&model, &batch).backward(), &model);
        model = optimizer.step(LrScheduler::step(&mut scheduler), model, grads);
    }
    let score = evaluate(
        &task,
        &model,
        lrfind_zoo::data::held_out(&valid, 256, &device).all(),
    );
    let Metric::Accuracy(accuracy) = Task::<Mlp>::metric(&task, &score) else {
        unreachable!("classification")
    };
    println!(
        "max_lr {max_lr:.2e}; after {epochs} epochs of one-cycle: held-out loss {:.4}, accuracy {:.1}%",
        score.mean_loss(),
        accuracy * 100.0
    );
    Ok(())
}
