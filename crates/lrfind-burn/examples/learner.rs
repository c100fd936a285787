//! A complete burn-train program in the shape of burn's guide — items, a `Batcher`, a
//! `DataLoaderBuilder` over a burn `Dataset`, a model with `TrainStep` and `InferenceStep`, a
//! `Learner` — where the learning-rate range test is three added lines (marked). It prints the
//! suggestion, trains a 10-epoch one-cycle with it as max_lr, and prints the held-out accuracy.
//! (`tests/finder.rs` re-finds from the middle of such a loop and restarts the `BurnScheduler`.)
//!
//! Run: `cargo run --release -p lrfind-burn --example learner`

use burn::data::dataloader::batcher::Batcher;
use burn::data::dataloader::{DataLoader, DataLoaderBuilder};
use burn::data::dataset::InMemDataset;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::nn::{Linear, LinearConfig, Relu};
use burn::optim::AdamWConfig;
use burn::prelude::*;
use burn_train::{ClassificationOutput, InferenceStep, Learner, TrainOutput, TrainStep};
use lrfind::schedule::{OneCycle, OneCycleOptions};
use lrfind_burn::{BurnScheduler, LrFinder};
use std::sync::Arc;

/// One image of the embedded UCI digits (8×8 pixels in [0, 1]) and its label.
#[derive(Clone, Debug)]
struct DigitItem {
    pixels: Vec<f32>,
    label: i64,
}

#[derive(Clone, Debug)]
struct DigitBatch {
    images: Tensor<2>,
    targets: Tensor<1, Int>,
}

#[derive(Clone, Default)]
struct DigitBatcher;

impl Batcher<DigitItem, DigitBatch> for DigitBatcher {
    fn batch(&self, items: Vec<DigitItem>, device: &Device) -> DigitBatch {
        let n = items.len();
        let pixels: Vec<f32> = items.iter().flat_map(|i| i.pixels.clone()).collect();
        let labels: Vec<i64> = items.iter().map(|i| i.label).collect();
        DigitBatch {
            images: Tensor::from_data(TensorData::new(pixels, [n, 64]), device),
            targets: Tensor::from_data(TensorData::new(labels, [n]), device),
        }
    }
}

#[derive(Module, Debug)]
struct Model {
    hidden1: Linear,
    hidden2: Linear,
    output: Linear,
    activation: Relu,
}

impl Model {
    fn new(device: &Device) -> Model {
        Model {
            hidden1: LinearConfig::new(64, 128).init(device),
            hidden2: LinearConfig::new(128, 128).init(device),
            output: LinearConfig::new(128, 10).init(device),
            activation: Relu::new(),
        }
    }

    fn forward(&self, images: Tensor<2>) -> Tensor<2> {
        let x = self.activation.forward(self.hidden1.forward(images));
        let x = self.activation.forward(self.hidden2.forward(x));
        self.output.forward(x)
    }

    fn forward_classification(&self, batch: DigitBatch) -> ClassificationOutput {
        let logits = self.forward(batch.images);
        let loss = CrossEntropyLossConfig::new()
            .init(&logits.device())
            .forward(logits.clone(), batch.targets.clone());
        ClassificationOutput::new(loss, logits, batch.targets)
    }
}

impl TrainStep for Model {
    type Input = DigitBatch;
    type Output = ClassificationOutput;
    fn step(&self, batch: DigitBatch) -> TrainOutput<ClassificationOutput> {
        let output = self.forward_classification(batch);
        TrainOutput::new(self, output.loss.backward(), output)
    }
}

impl InferenceStep for Model {
    type Input = DigitBatch;
    type Output = ClassificationOutput;
    fn step(&self, batch: DigitBatch) -> ClassificationOutput {
        self.forward_classification(batch)
    }
}

fn loader(
    rows: &lrfind_data::Classification,
    shuffle: Option<u64>,
    device: &Device,
) -> Arc<dyn DataLoader<DigitBatch>> {
    let items = (0..rows.len())
        .map(|i| DigitItem {
            pixels: rows.features[i * 64..(i + 1) * 64].to_vec(),
            label: rows.labels[i],
        })
        .collect();
    let builder = DataLoaderBuilder::new(DigitBatcher)
        .batch_size(64)
        .set_device(device.clone());
    match shuffle {
        Some(seed) => builder.shuffle(seed).build(InMemDataset::new(items)),
        None => builder.build(InMemDataset::new(items)),
    }
}

/// Held-out (loss, accuracy) of `model`.
fn evaluate(
    model: &Model,
    valid: &Arc<dyn DataLoader<DigitBatch>>,
) -> Result<(f64, f64), Box<dyn std::error::Error>> {
    let (mut loss, mut correct, mut rows) = (0.0, 0i64, 0usize);
    for batch in valid.iter() {
        let output = InferenceStep::step(model, batch?);
        let n = output.targets.dims()[0];
        loss += output.loss.into_scalar::<f32>() as f64 * n as f64;
        correct += output
            .output
            .argmax(1)
            .flatten::<1>(0, 1)
            .equal(output.targets)
            .int()
            .sum()
            .into_scalar::<i64>();
        rows += n;
    }
    Ok((loss / rows as f64, correct as f64 / rows as f64))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let device = Device::flex().autodiff();
    let (train_rows, valid_rows) = lrfind_data::digits::split();
    let train = loader(&train_rows, Some(0), &device);
    let valid = loader(&valid_rows, None, &device);
    let model = lrfind_burn::seeded(0, &device, Model::new);
    let optimizer = AdamWConfig::new()
        .with_epsilon(1e-8)
        .with_weight_decay(0.01)
        .init();

    // The range test: three lines.
    let found = LrFinder::default().run(&model, &optimizer, &train)?;
    print!("{}", found.text_plot());
    println!(
        "suggested lr {:.3e} ({})",
        found.lr()?,
        lrfind::DEFAULT_METHOD
    );

    let epochs = 10;
    let steps = epochs * train.num_items().div_ceil(64);
    let one_cycle = OneCycle::new(found.lr()?, steps, OneCycleOptions::default())?;
    let mut learner = Learner::new(model, optimizer, BurnScheduler::new(one_cycle));
    for _ in 0..epochs {
        for batch in train.iter() {
            learner.lr_step();
            let output = learner.train_step(batch?);
            learner.optimizer_step(output.grads);
        }
    }
    let (loss, accuracy) = evaluate(&learner.model(), &valid)?;
    println!(
        "one-cycle, {epochs} epochs: held-out loss {loss:.4}, accuracy {:.1}%",
        100.0 * accuracy
    );
    Ok(())
}
