//! lrfind's schedules on candle optimizers: the rate and momentum each optimizer step of a real
//! digits MLP used are PyTorch's (the sequences `torch.optim.lr_scheduler` recorded in
//! `lrfind-schedule`'s test data), for one-cycle and cyclic on AdamW (β₁ cycled) and plateau on
//! SGD (stepped with a metric).

use candle_core::{Device, Tensor};
use candle_nn::{Optimizer, ParamsAdamW, SGD};
use lrfind::schedule::{Cyclic, CyclicMode, OneCycle, Plateau, PlateauOptions, Schedule};
use lrfind::BatchSource;
use lrfind_candle::{AdamW, CandleBatches, CycleMomentum, Mlp, Scheduled};
use serde_json::Value;

/// PyTorch's recorded lrs, momenta and metrics of the case `name`.
fn pytorch(name: &str) -> (Vec<f64>, Option<Vec<f64>>, Option<Vec<f64>>) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../lrfind-schedule/tests/data/schedules.json"
    );
    let cases: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let case = cases
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap();
    let floats = |key: &str| {
        case[key]
            .as_array()
            .map(|a| a.iter().map(|x| x.as_f64().unwrap()).collect::<Vec<f64>>())
    };
    (
        floats("expected_lr").unwrap(),
        floats("expected_momentum"),
        floats("metrics"),
    )
}

fn close(what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (t, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= 1e-12 * w.abs(),
            "{what}[{t}]: {g:e}, PyTorch {w:e}"
        );
    }
}

/// Trains `steps` steps of a digits MLP with `scheduled`, returning the rate and β₁ each
/// optimizer step used (read off the optimizer just before it stepped).
fn train<O, S>(
    mut scheduled: Scheduled<O, S>,
    mlp: &Mlp,
    steps: usize,
    momentum: impl Fn(&O) -> f64,
    metrics: Option<&[f64]>,
) -> (Vec<f64>, Vec<f64>)
where
    O: Optimizer + CycleMomentum,
    S: Schedule,
{
    let (train, _) = lrfind_data::digits::split();
    let mut data = CandleBatches::classification(&train, 64, 0, &Device::Cpu).unwrap();
    let (mut lrs, mut moms) = (Vec::new(), Vec::new());
    for t in 0..steps {
        let (x, y): (Tensor, Tensor) = data.next_batch().unwrap();
        let loss = candle_nn::loss::cross_entropy(&mlp.forward(&x).unwrap(), &y).unwrap();
        lrs.push(scheduled.optimizer().learning_rate());
        moms.push(momentum(scheduled.optimizer()));
        scheduled.backward_step(&loss).unwrap();
        scheduled.step(metrics.map(|m| m[t])).unwrap();
    }
    (lrs, moms)
}

#[test]
fn one_cycle_and_cyclic_set_pytorchs_rates_and_momenta_on_adamw() {
    let one_cycle = OneCycle::new(0.1, 100, Default::default()).unwrap();
    let cyclic = Cyclic::new(
        0.001,
        0.1,
        10,
        None,
        CyclicMode::Triangular,
        Some((0.8, 0.9)),
    )
    .unwrap();
    let runs: [(&str, Box<dyn Schedule>); 2] = [
        ("one_cycle", Box::new(one_cycle)),
        ("cyclic_triangular", Box::new(cyclic)),
    ];
    for (name, schedule) in runs {
        let (want_lr, want_momentum, _) = pytorch(name);
        let mlp = Mlp::new(&[64, 32, 10], 0, &Device::Cpu).unwrap();
        let optimizer = AdamW::new(mlp.vars(), ParamsAdamW::default()).unwrap();
        let scheduled = Scheduled::new(optimizer, schedule);
        let (lrs, moms) = train(scheduled, &mlp, want_lr.len(), |o| o.params().beta1, None);
        close(name, &lrs, &want_lr);
        close(name, &moms, &want_momentum.unwrap());
    }
}

#[test]
fn momentum_cycling_can_be_left_off() {
    let mlp = Mlp::new(&[64, 32, 10], 0, &Device::Cpu).unwrap();
    let optimizer = AdamW::new(mlp.vars(), ParamsAdamW::default()).unwrap();
    let one_cycle = OneCycle::new(0.1, 100, Default::default()).unwrap();
    let scheduled = Scheduled::cycling_momentum(optimizer, one_cycle, false);
    let (lrs, moms) = train(scheduled, &mlp, 10, |o| o.params().beta1, None);
    close("one_cycle", &lrs, &pytorch("one_cycle").0[..10]);
    assert!(moms.iter().all(|&m| m == ParamsAdamW::default().beta1));
}

#[test]
fn plateau_steps_with_its_metric_on_sgd() {
    let (want_lr, _, metrics) = pytorch("plateau");
    let options = PlateauOptions {
        factor: 0.5,
        patience: 2,
        threshold: 0.01,
        cooldown: 1,
        min_lr: 0.01,
        ..Default::default()
    };
    let mlp = Mlp::new(&[64, 32, 10], 0, &Device::Cpu).unwrap();
    let optimizer = SGD::new(mlp.vars(), 0.1).unwrap();
    let scheduled = Scheduled::new(optimizer, Plateau::new(0.1, options).unwrap());
    let (lrs, _) = train(scheduled, &mlp, want_lr.len(), |_| 0.0, metrics.as_deref());
    close("plateau", &lrs, &want_lr);
    // A plateau stepped without its metric is an error, not a silent step.
    let optimizer = SGD::new(mlp.vars(), 0.1).unwrap();
    let mut scheduled = Scheduled::new(optimizer, Plateau::new(0.1, options).unwrap());
    assert!(scheduled.step(None).is_err());
}
