//! lrfind's one-cycle driving burn-train's own `Learner`: the learner asks its scheduler for the
//! rate before every optimizer step (`lr_step`), and `BurnScheduler` answers with PyTorch's
//! one-cycle numbers. The range test picks max_lr first.
//!
//! Run: `cargo run --release -p lrfind-burn --example learner`

use burn::nn::loss::CrossEntropyLossConfig;
use burn::prelude::*;
use burn_train::{ClassificationOutput, InferenceStep, Learner, TrainOutput, TrainStep};
use lrfind::schedule::{OneCycle, OneCycleOptions};
use lrfind::{analyze, Method, RangeTestConfig};
use lrfind_burn::data::{digits, BatchSource, Batches, ClassBatch};
use lrfind_burn::model::{seeded, Mlp};
use lrfind_burn::optim::{OptimizerKind, OptimizerOptions};
use lrfind_burn::{BurnProbe, BurnScheduler};

/// The model as burn-train wants it: a module with a training and an inference step.
#[derive(Module, Debug)]
struct Net {
    mlp: Mlp,
}

impl Net {
    fn classify(&self, batch: ClassBatch) -> ClassificationOutput {
        let logits = self.mlp.forward(batch.inputs);
        let loss = CrossEntropyLossConfig::new()
            .init(&logits.device())
            .forward(logits.clone(), batch.targets.clone());
        ClassificationOutput::new(loss, logits, batch.targets)
    }
}

impl TrainStep for Net {
    type Input = ClassBatch;
    type Output = ClassificationOutput;
    fn step(&self, batch: ClassBatch) -> TrainOutput<ClassificationOutput> {
        let output = self.classify(batch);
        TrainOutput::new(self, output.loss.backward(), output)
    }
}

impl InferenceStep for Net {
    type Input = ClassBatch;
    type Output = ClassificationOutput;
    fn step(&self, batch: ClassBatch) -> ClassificationOutput {
        self.classify(batch)
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let device = Device::flex().autodiff();
    let (train, valid) = digits::split();
    let net = seeded(0, &device, |d| Net {
        mlp: Mlp::new(&[64, 128, 128, 10], d),
    });
    let batches = Batches::training(&train, 64, 0, &device);
    let optimizer = || OptimizerKind::AdamW.build(OptimizerOptions::default());

    // 1. max_lr from the range test (the model comes back untouched).
    let loss = |n: &Net, b: &ClassBatch| n.classify(b.clone()).loss;
    let mut probe = BurnProbe::new(net, optimizer(), batches.clone(), loss);
    let result = lrfind::run(&mut probe, RangeTestConfig::default(), &mut ())?;
    let max_lr = analyze(&result.curve, &Default::default())?
        .suggestion(Method::Gradient)
        .ok_or("no suggestion")?
        .lr;
    let net = probe.into_parts().0.ok_or("no model")?;

    // 2. burn-train's Learner with lrfind's one-cycle as its LrScheduler.
    let epochs = 10;
    let steps = epochs * batches.len();
    let one_cycle = OneCycle::new(max_lr, steps, OneCycleOptions::default())?;
    let mut learner = Learner::new(net, optimizer(), BurnScheduler::new(one_cycle));
    let mut data = batches;
    for _ in 0..steps {
        learner.lr_step();
        let output = learner.train_step(data.next_batch()?);
        learner.optimizer_step(output.grads);
    }
    let held_out = Batches::held_out(&valid, valid.len(), &device);
    let output = InferenceStep::step(&learner.model(), held_out.all()[0].clone());
    let predicted = output.output.argmax(1).flatten::<1>(0, 1);
    let correct = predicted
        .equal(output.targets)
        .int()
        .sum()
        .into_scalar::<i64>();
    println!(
        "max_lr {max_lr:.2e}; Learner + one-cycle, {epochs} epochs: held-out loss {:.4}, accuracy {:.1}%",
        output.loss.into_scalar::<f32>(),
        100.0 * correct as f64 / valid.len() as f64
    );
    Ok(())
}
