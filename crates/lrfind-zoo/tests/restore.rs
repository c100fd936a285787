//! After a range test, model and optimizer state are exactly as before, and training goes on as
//! if the test had never run — for every optimizer.

use burn::nn::loss::CrossEntropyLossConfig;
use burn::prelude::*;
use lrfind::{RangeTestConfig, StopReason};
use lrfind_burn::optim::{BuiltOptimizer, ModuleStep, OptimizerKind, OptimizerOptions};
use lrfind_burn::BurnProbe;
use lrfind_zoo::data::{digits, ClassBatch, ClassBatches};
use lrfind_zoo::model::Mlp;

type Loss = Box<dyn FnMut(&Mlp, &ClassBatch) -> Tensor<1>>;
type DigitsProbe = BurnProbe<Mlp, ClassBatches, Loss, BuiltOptimizer>;

fn setup(kind: OptimizerKind, seed: u64) -> (DigitsProbe, Tensor<2>) {
    let device = Device::flex().autodiff();
    let (train, _) = digits::split();
    let data = lrfind_zoo::data::training(&train, 64, seed, &device);
    let model = lrfind_zoo::model::seeded(seed, &device, |d| Mlp::new(&[64, 32, 10], d));
    let ce = CrossEntropyLossConfig::new().init(&device);
    let loss =
        move |m: &Mlp, b: &ClassBatch| ce.forward(m.forward(b.inputs.clone()), b.targets.clone());
    let probe_in = Tensor::from_data(
        TensorData::new(train.features[..64 * 16].to_vec(), [16, 64]),
        &device,
    );
    let o = OptimizerOptions {
        momentum: Some(0.9),
        ..Default::default()
    };
    (
        BurnProbe::new(model, kind.build(o), data, Box::new(loss) as Loss),
        probe_in,
    )
}

fn train(probe: &mut impl lrfind::Probe, steps: usize) -> Vec<f64> {
    (0..steps)
        .map(|_| probe.step(1e-3).unwrap_or(f64::NAN))
        .collect()
}

fn outputs<S, F, O>(p: &BurnProbe<Mlp, S, F, O>, x: &Tensor<2>) -> Vec<f32>
where
    S: lrfind_burn::BatchSource,
    F: FnMut(&Mlp, &S::Batch) -> Tensor<1>,
    O: ModuleStep,
{
    p.model()
        .unwrap()
        .forward(x.clone())
        .into_data()
        .try_to_vec::<f32>()
        .unwrap()
}

#[test]
fn restore_is_bit_exact_for_every_optimizer() {
    for kind in OptimizerKind::ALL {
        let (mut with_find, x) = setup(kind, 7);
        let (mut without, _) = setup(kind, 7);
        use lrfind::Probe;
        assert_eq!(
            train(&mut with_find, 3),
            train(&mut without, 3),
            "{kind}: same seed, same start"
        );
        let before_out = outputs(&with_find, &x);
        let before_opt = with_find.optimizer().to_bytes().unwrap();
        let config = RangeTestConfig {
            num_iter: 40,
            ..Default::default()
        };
        let result = lrfind::run(&mut with_find, config, &mut ()).unwrap();
        assert!(result.curve.len() >= 2, "{kind}");
        assert_eq!(
            outputs(&with_find, &x),
            before_out,
            "{kind}: weights restored"
        );
        let after_opt = with_find.optimizer().to_bytes().unwrap();
        assert!(after_opt == before_opt, "{kind}: optimizer state restored");
        assert_eq!(
            train(&mut with_find, 5),
            train(&mut without, 5),
            "{kind}: training continues identically"
        );
        assert_eq!(outputs(&with_find, &x), outputs(&without, &x), "{kind}");
        let _ = Probe::snapshot(&mut with_find).unwrap();
    }
}

#[test]
fn same_seed_same_curve_and_a_u_shaped_curve_on_digits() {
    let run = || {
        let (mut p, _) = setup(OptimizerKind::AdamW, 3);
        lrfind::run(&mut p, RangeTestConfig::default(), &mut ()).unwrap()
    };
    let (a, b) = (run(), run());
    assert_eq!(a.curve, b.curve);
    assert_ne!(a.stopped, StopReason::NonFinite);
    let analysis = lrfind::analyze(&a.curve, &Default::default()).unwrap();
    let valley = analysis.suggestion(lrfind::Method::Valley).unwrap();
    assert!((1e-4..=1e-1).contains(&valley.lr), "valley {valley:?}");
    let low = analysis.suggestion(lrfind::Method::Minimum).unwrap();
    assert!(
        a.curve.loss[low.source] < a.curve.loss[0] * 0.8,
        "the loss falls before it blows up"
    );
}

#[test]
fn validation_mode_records_the_mean_held_out_loss_after_the_step() {
    use lrfind::Probe;
    let device = Device::flex().autodiff();
    let (train, valid) = digits::split();
    let model = lrfind_zoo::model::seeded(11, &device, |d| Mlp::new(&[64, 16, 10], d));
    let ce = CrossEntropyLossConfig::new().init(&device);
    let loss =
        move |m: &Mlp, b: &ClassBatch| ce.forward(m.forward(b.inputs.clone()), b.targets.clone());
    let held_out = lrfind_zoo::data::training(&valid, 64, 0, &device);
    let mut probe = BurnProbe::new(
        model,
        OptimizerKind::Adam.build(OptimizerOptions::default()),
        lrfind_zoo::data::training(&train, 64, 0, &device),
        loss,
    )
    .with_validation(held_out.clone(), 2);
    let recorded = probe.step(1e-2).unwrap();
    let ce = CrossEntropyLossConfig::new().init(&device);
    let mut source = held_out;
    let mut total = 0.0;
    for _ in 0..2 {
        let b = lrfind_burn::BatchSource::next_batch(&mut source).unwrap();
        total += ce
            .forward(
                probe.model().unwrap().forward(b.inputs.clone()),
                b.targets.clone(),
            )
            .into_scalar::<f32>() as f64;
    }
    assert_eq!(recorded, total / 2.0);
}

/// A batch source that fails after `left` batches (a file that vanished, a network share gone).
#[derive(Clone)]
struct Failing {
    inner: ClassBatches,
    left: usize,
}

#[derive(Debug, thiserror::Error)]
#[error("the data went away")]
struct Gone;

impl lrfind_burn::BatchSource for Failing {
    type Batch = ClassBatch;
    type Error = Gone;
    fn next_batch(&mut self) -> Result<ClassBatch, Gone> {
        if self.left == 0 {
            return Err(Gone);
        }
        self.left -= 1;
        Ok(lrfind_burn::BatchSource::next_batch(&mut self.inner).expect("infallible"))
    }
}

#[test]
fn a_data_source_failing_mid_run_keeps_the_points_and_restores_the_model() {
    let device = Device::flex().autodiff();
    let (train, _) = digits::split();
    let x = Tensor::from_data(
        TensorData::new(train.features[..64 * 4].to_vec(), [4, 64]),
        &device,
    );
    let model = lrfind_zoo::model::seeded(3, &device, |d| Mlp::new(&[64, 32, 10], d));
    let ce = CrossEntropyLossConfig::new().init(&device);
    let loss =
        move |m: &Mlp, b: &ClassBatch| ce.forward(m.forward(b.inputs.clone()), b.targets.clone());
    let data = Failing {
        inner: lrfind_zoo::data::training(&train, 64, 0, &device),
        left: 30,
    };
    let optimizer = OptimizerKind::Adam.build(OptimizerOptions::default());
    let mut probe = BurnProbe::new(model, optimizer, data, loss);
    let before = outputs(&probe, &x);
    let err = lrfind::run(&mut probe, RangeTestConfig::default(), &mut ()).unwrap_err();
    match err {
        lrfind::RunError::Step {
            partial, iteration, ..
        } => {
            assert_eq!(iteration, 30);
            assert_eq!(
                partial.curve.len(),
                30,
                "every point before the failure is kept"
            );
        }
        other => panic!("expected a step error, got {other}"),
    }
    assert_eq!(outputs(&probe, &x), before, "model restored bit for bit");
}

#[test]
fn a_nan_loss_stops_the_test_and_restores() {
    let device = Device::flex().autodiff();
    let (train, _) = digits::split();
    let x = Tensor::from_data(
        TensorData::new(train.features[..64 * 4].to_vec(), [4, 64]),
        &device,
    );
    let model = lrfind_zoo::model::seeded(4, &device, |d| Mlp::new(&[64, 32, 10], d));
    let ce = CrossEntropyLossConfig::new().init(&device);
    // From the 11th step on the loss is NaN (as an overflowing model would give).
    let mut calls = 0;
    let loss = move |m: &Mlp, b: &ClassBatch| {
        calls += 1;
        let l = ce.forward(m.forward(b.inputs.clone()), b.targets.clone());
        if calls > 10 {
            l * f32::NAN
        } else {
            l
        }
    };
    let data = lrfind_zoo::data::training(&train, 64, 0, &device);
    let optimizer = OptimizerKind::AdamW.build(OptimizerOptions::default());
    let mut probe = BurnProbe::new(model, optimizer, data, loss);
    let before = outputs(&probe, &x);
    let result = lrfind::run(&mut probe, RangeTestConfig::default(), &mut ()).unwrap();
    assert_eq!(result.stopped, StopReason::NonFinite);
    assert_eq!(
        result.curve.len(),
        10,
        "the ten finite points; the NaN ends the curve"
    );
    assert_eq!(
        outputs(&probe, &x),
        before,
        "NaN weights never survive the test"
    );
}
