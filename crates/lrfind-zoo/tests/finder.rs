//! `LrFinder` on burn-train's own types: a `TrainStep` model, a `ModuleOptimizer`, a `DataLoader`.
//! What the caller holds is exactly as it was afterwards (every optimizer; a NaN step; an
//! interruption), Smith's validation variant and accumulation change what is recorded, and a
//! re-find from the middle of a `Learner` loop restarts its `BurnScheduler`.

use burn::data::dataloader::batcher::Batcher;
use burn::data::dataloader::{DataLoader, DataLoaderBuilder};
use burn::data::dataset::InMemDataset;
use burn::lr_scheduler::LrScheduler;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::AdamWConfig;
use burn::prelude::*;
use burn_train::{ClassificationOutput, InferenceStep, Learner, TrainOutput, TrainStep};
use lrfind::schedule::{OneCycle, OneCycleOptions};
use lrfind::{NoRecommendation, RangeTestConfig, StopReason};
use lrfind_burn::optim::{ModuleStep, OptimizerKind, OptimizerOptions};
use lrfind_burn::{scheduler, BurnScheduler, FinderError, LrFinder};
use lrfind_zoo::data::ClassBatch;
use lrfind_zoo::model::{seeded, Mlp};
use std::sync::Arc;

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

#[derive(Clone)]
struct RowBatcher;

impl Batcher<(Vec<f32>, i64), ClassBatch> for RowBatcher {
    fn batch(&self, items: Vec<(Vec<f32>, i64)>, device: &Device) -> ClassBatch {
        let n = items.len();
        let x: Vec<f32> = items.iter().flat_map(|(x, _)| x.clone()).collect();
        let y: Vec<i64> = items.iter().map(|(_, y)| *y).collect();
        ClassBatch {
            inputs: Tensor::from_data(TensorData::new(x, [n, 64]), device),
            targets: Tensor::from_data(TensorData::new(y, [n]), device),
        }
    }
}

fn device() -> Device {
    Device::flex().autodiff()
}

/// The digits' training rows as a burn DataLoader (batch 32, shuffled with seed 0); rows from
/// `nan_from` on have NaN pixels.
fn loader(nan_from: Option<usize>) -> Arc<dyn DataLoader<ClassBatch>> {
    let (train, _) = lrfind_data::digits::split();
    let items: Vec<(Vec<f32>, i64)> = (0..train.len())
        .map(|i| {
            let mut x = train.features[i * 64..(i + 1) * 64].to_vec();
            if nan_from.is_some_and(|n| i >= n) {
                x[0] = f32::NAN;
            }
            (x, train.labels[i])
        })
        .collect();
    DataLoaderBuilder::new(RowBatcher)
        .batch_size(32)
        .set_device(device())
        .build(InMemDataset::new(items))
}

fn net(seed: u64) -> Net {
    seeded(seed, &device(), |d| Net {
        mlp: Mlp::new(&[64, 32, 10], d),
    })
}

/// Trains `steps` steps at lr 1e-3 through the model's own `TrainStep`.
fn train(
    mut model: Net,
    optimizer: &mut impl ModuleStep,
    data: &Arc<dyn DataLoader<ClassBatch>>,
    steps: usize,
) -> Net {
    for batch in data.iter().take(steps) {
        let output = TrainStep::step(&model, batch.unwrap());
        model = ModuleStep::step(optimizer, 1e-3, model, output.grads);
    }
    model
}

fn outputs(model: &Net) -> Vec<u32> {
    let (_, valid) = lrfind_data::digits::split();
    let x = Tensor::from_data(
        TensorData::new(valid.features[..64 * 8].to_vec(), [8, 64]),
        &device(),
    );
    let values = model
        .mlp
        .forward(x)
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    values.iter().map(|v| v.to_bits()).collect()
}

#[test]
fn the_callers_model_and_optimizer_are_untouched_for_every_optimizer() {
    let data = loader(None);
    for kind in OptimizerKind::ALL {
        let options = OptimizerOptions {
            momentum: Some(0.9),
            ..Default::default()
        };
        let run = |with_find: bool| {
            let mut optimizer = kind.build(options);
            let model = train(net(7), &mut optimizer, &data, 3);
            if with_find {
                let found = LrFinder::default().run(&model, &optimizer, &data).unwrap();
                assert!(found.result.curve.len() > 10, "{kind}");
            }
            outputs(&train(model, &mut optimizer, &data, 3))
        };
        assert_eq!(
            run(true),
            run(false),
            "{kind}: training after the finder differs"
        );
    }
}

#[test]
fn a_nan_step_an_empty_loader_and_an_interruption_are_reported_and_leave_the_model() {
    let model = net(1);
    let before = outputs(&model);
    let optimizer = OptimizerKind::AdamW.build(OptimizerOptions::default());
    // Rows 320.. are NaN: with batches of 32 and no shuffling the 11th step's loss is NaN.
    let found = LrFinder::default()
        .run(&model, &optimizer, &loader(Some(320)))
        .unwrap();
    assert_eq!(
        (found.result.stopped, found.result.curve.len()),
        (StopReason::NonFinite, 10)
    );
    assert_eq!(outputs(&model), before);

    let empty: Arc<dyn DataLoader<ClassBatch>> = DataLoaderBuilder::new(RowBatcher)
        .set_device(device())
        .build(InMemDataset::new(Vec::new()));
    let err = LrFinder::default()
        .run(&model, &optimizer, &empty)
        .unwrap_err();
    assert!(matches!(err, FinderError::EmptyLoader("training")), "{err}");

    let mut stop_at_10 = |p: &lrfind::Progress| match p.iteration >= 9 {
        true => Err(lrfind::Halt::Interrupt),
        false => Ok(()),
    };
    let found = LrFinder::default()
        .run_with(&model, &optimizer, &loader(None), None, &mut stop_at_10)
        .unwrap();
    assert_eq!(found.result.stopped, StopReason::Interrupted);
    assert!(matches!(
        found.lr(),
        Err(NoRecommendation::Interrupted { .. })
    ));
    assert_eq!(outputs(&model), before);
}

#[test]
fn validation_and_accumulation_change_what_is_recorded() {
    let model = net(2);
    let optimizer = OptimizerKind::AdamW.build(OptimizerOptions::default());
    let data = loader(None);
    let config = RangeTestConfig {
        num_iter: 12,
        stop_div: None,
        ..Default::default()
    };
    let finder = LrFinder::new(config);
    let raw = |found: lrfind_burn::LrFound| found.result.curve.raw_loss.unwrap();
    let plain = raw(finder.run(&model, &optimizer, &data).unwrap());
    let accumulated = raw(finder
        .clone()
        .with_accumulation(2)
        .run(&model, &optimizer, &data)
        .unwrap());
    let validated = raw(finder
        .run_with(&model, &optimizer, &data, Some((&data, 3)), &mut ())
        .unwrap());
    assert_eq!(plain.len(), 12);
    // The first accumulated step records the mean loss of the first two batches.
    let mut batches = data.iter();
    let mut mean = 0.0;
    for _ in 0..2 {
        let output = InferenceStep::step(&model, batches.next().unwrap().unwrap());
        mean += output.loss.into_scalar::<f32>() as f64 / 2.0;
    }
    assert!(
        (accumulated[0] - mean).abs() < 1e-6,
        "{} vs {mean}",
        accumulated[0]
    );
    assert_eq!(plain[0], {
        let output = InferenceStep::step(&model, data.iter().next().unwrap().unwrap());
        output.loss.into_scalar::<f32>() as f64
    });
    assert_ne!(plain, validated);
}

#[test]
fn a_refind_mid_learner_loop_restarts_the_burn_scheduler() {
    let data = loader(None);
    // What a burn user holds: burn's own optimizer, as burn's Learner takes it.
    let optimizer = || AdamWConfig::new().init();
    let found = LrFinder::default()
        .run(&net(3), &optimizer(), &data)
        .unwrap();
    let max_lr = found.lr().unwrap();
    let one_cycle = OneCycle::new(max_lr, 100, OneCycleOptions::default()).unwrap();
    let mut learner = Learner::new(net(3), optimizer(), BurnScheduler::new(one_cycle.clone()));
    for batch in data.iter().take(20) {
        learner.lr_step();
        let output = learner.train_step(batch.unwrap());
        learner.optimizer_step(output.grads);
    }
    let reference = learner.clone();
    // The re-find: from the Learner's current weights, with a fresh optimizer.
    let again = LrFinder::default()
        .run(&learner.model(), &optimizer(), &data)
        .unwrap();
    assert_ne!(again.result.curve.loss, found.result.curve.loss);
    assert_eq!(
        outputs(&learner.model()),
        outputs(&reference.model()),
        "the Learner is untouched"
    );
    let new_lr = again.lr().unwrap_or(max_lr / 10.0);
    learner.load_scheduler(scheduler::restart(new_lr / max_lr));
    learner.lr_step();
    let first = BurnScheduler::new(one_cycle).step();
    let got = learner.lr_current().base();
    assert!(
        (got - first * new_lr / max_lr).abs() <= 1e-15 * got.abs(),
        "{got} vs {}",
        first * new_lr / max_lr
    );
}
