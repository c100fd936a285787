//! lrfind's schedules on candle optimizers: the rate and momentum each optimizer step of a real
//! digits MLP used are PyTorch's (the sequences `torch.optim.lr_scheduler` recorded in
//! `lrfind-schedule`'s test data), for one-cycle and cyclic on AdamW (β₁ cycled) and plateau on
//! SGD (stepped with a metric).

use candle_core::{Device, Tensor};
use candle_nn::{Optimizer, ParamsAdamW, SGD};
use lrfind::schedule::{OneCycle, Schedule};
use lrfind::BatchSource;
use lrfind_candle::{AdamW, CandleBatches, CycleMomentum, Mlp, Scheduled};
use lrfind_schedule::fixtures::{self, assert_close};

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
    for name in ["one_cycle", "cyclic_triangular"] {
        let case = fixtures::case(name);
        let mlp = Mlp::new(&[64, 32, 10], 0, &Device::Cpu).unwrap();
        let optimizer = AdamW::new(mlp.vars(), ParamsAdamW::default()).unwrap();
        let scheduled = Scheduled::new(optimizer, fixtures::schedule(&case));
        let (lrs, moms) = train(scheduled, &mlp, case.steps, |o| o.params().beta1, None);
        assert_close(name, "lr", &lrs, &case.expected_lr);
        assert_close(
            name,
            "momentum",
            &moms,
            case.expected_momentum.as_ref().unwrap(),
        );
    }
}

#[test]
fn momentum_cycling_can_be_left_off() {
    let mlp = Mlp::new(&[64, 32, 10], 0, &Device::Cpu).unwrap();
    let optimizer = AdamW::new(mlp.vars(), ParamsAdamW::default()).unwrap();
    let one_cycle = OneCycle::new(0.1, 100, Default::default()).unwrap();
    let scheduled = Scheduled::cycling_momentum(optimizer, one_cycle, false);
    let (lrs, moms) = train(scheduled, &mlp, 10, |o| o.params().beta1, None);
    let want = fixtures::case("one_cycle").expected_lr;
    assert_close("one_cycle", "lr", &lrs, &want[..10]);
    assert!(moms.iter().all(|&m| m == ParamsAdamW::default().beta1));
}

#[test]
fn plateau_steps_with_its_metric_on_sgd() {
    let case = fixtures::case("plateau");
    let mlp = Mlp::new(&[64, 32, 10], 0, &Device::Cpu).unwrap();
    let optimizer = SGD::new(mlp.vars(), 0.1).unwrap();
    let scheduled = Scheduled::new(optimizer, fixtures::schedule(&case));
    let (lrs, _) = train(
        scheduled,
        &mlp,
        case.steps,
        |_| 0.0,
        case.metrics.as_deref(),
    );
    assert_close("plateau", "lr", &lrs, &case.expected_lr);
    // A plateau stepped without its metric is an error, not a silent step.
    let optimizer = SGD::new(mlp.vars(), 0.1).unwrap();
    let mut scheduled = Scheduled::new(optimizer, fixtures::schedule(&case));
    assert!(scheduled.step(None).is_err());
}
