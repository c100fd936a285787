//! The candle probe restores what it claims, bit for bit: every Var, the optimizer's state
//! (this crate's AdamW, candle's SGD) and the data position — after a completed test, a failing
//! data source, and a loss that turns NaN; and training afterwards equals training without it.

use candle_core::{Device, Tensor, Var};
use candle_nn::{Optimizer, ParamsAdamW, SGD};
use lrfind::{BatchSource, RangeTestConfig, StopReason};
use lrfind_candle::{AdamW, CandleBatches, CandleProbe, Mlp, OptimizerState};

fn bits(vars: &[Var]) -> Vec<Vec<u32>> {
    vars.iter()
        .map(|v| {
            let flat = v
                .as_tensor()
                .flatten_all()
                .unwrap()
                .to_vec1::<f32>()
                .unwrap();
            flat.iter().map(|x| x.to_bits()).collect()
        })
        .collect()
}

fn data() -> CandleBatches {
    let (train, _) = lrfind_data::digits::split();
    CandleBatches::classification(&train, 32, 1, &Device::Cpu).unwrap()
}

fn loss(mlp: &Mlp) -> impl FnMut(&(Tensor, Tensor)) -> candle_core::Result<Tensor> + '_ {
    |(x, y): &(Tensor, Tensor)| candle_nn::loss::cross_entropy(&mlp.forward(x)?, y)
}

/// Trains `steps` plain steps at `lr` (no range test) and returns the weights' bits.
fn train<O: Optimizer>(
    mlp: &Mlp,
    optimizer: &mut O,
    data: &mut CandleBatches,
    steps: usize,
) -> Vec<Vec<u32>> {
    optimizer.set_learning_rate(1e-3);
    for _ in 0..steps {
        let (x, y) = data.next_batch().unwrap();
        let l = candle_nn::loss::cross_entropy(&mlp.forward(&x).unwrap(), &y).unwrap();
        optimizer.backward_step(&l).unwrap();
    }
    bits(&mlp.vars())
}

/// Warms up, runs a range test, then trains on; the result equals the run without the test.
fn restores_and_trains_on<O, F>(make: F)
where
    O: Optimizer + OptimizerState,
    F: Fn(Vec<Var>) -> O,
{
    let run = |with_test: bool| {
        let mlp = Mlp::new(&[64, 32, 10], 3, &Device::Cpu).unwrap();
        let mut optimizer = make(mlp.vars());
        let mut batches = data();
        train(&mlp, &mut optimizer, &mut batches, 5);
        let before = bits(&mlp.vars());
        if with_test {
            let mut probe = CandleProbe::new(mlp.vars(), optimizer, batches, loss(&mlp));
            let config = RangeTestConfig {
                num_iter: 40,
                ..Default::default()
            };
            let result = lrfind::run(&mut probe, config, &mut ()).unwrap();
            assert!(result.curve.len() > 10);
            assert_eq!(bits(&mlp.vars()), before, "weights restored");
            (optimizer, batches) = probe.into_parts();
        }
        train(&mlp, &mut optimizer, &mut batches, 5)
    };
    assert_eq!(
        run(true),
        run(false),
        "training after the test equals training without it"
    );
}

#[test]
fn adamw_restores_exactly() {
    restores_and_trains_on(|vars| AdamW::new(vars, ParamsAdamW::default()).unwrap());
}

#[test]
fn sgd_restores_exactly() {
    restores_and_trains_on(|vars| SGD::new(vars, 1e-2).unwrap());
}

#[test]
fn adamw_gives_the_same_weights_as_candles_own_to_the_bit() {
    let ours = Mlp::new(&[64, 32, 10], 5, &Device::Cpu).unwrap();
    let theirs = Mlp::new(&[64, 32, 10], 5, &Device::Cpu).unwrap();
    let params = ParamsAdamW {
        weight_decay: 0.05,
        ..Default::default()
    };
    let a = train(
        &ours,
        &mut AdamW::new(ours.vars(), params.clone()).unwrap(),
        &mut data(),
        8,
    );
    let b = train(
        &theirs,
        &mut candle_nn::AdamW::new(theirs.vars(), params).unwrap(),
        &mut data(),
        8,
    );
    assert_eq!(a, b);
}

/// A source that fails after `left` batches.
#[derive(Clone)]
struct Failing {
    inner: CandleBatches,
    left: usize,
}

impl BatchSource for Failing {
    type Batch = (Tensor, Tensor);
    type Error = std::io::Error;
    fn next_batch(&mut self) -> Result<(Tensor, Tensor), std::io::Error> {
        if self.left == 0 {
            return Err(std::io::Error::other("disk gone"));
        }
        self.left -= 1;
        Ok(self.inner.next_batch().unwrap())
    }
}

#[test]
fn a_failing_source_or_a_nan_loss_still_restores() {
    let mlp = Mlp::new(&[64, 16, 10], 2, &Device::Cpu).unwrap();
    let before = bits(&mlp.vars());
    let optimizer = AdamW::new(mlp.vars(), ParamsAdamW::default()).unwrap();
    let failing = Failing {
        inner: data(),
        left: 12,
    };
    let mut probe = CandleProbe::new(mlp.vars(), optimizer, failing, loss(&mlp));
    let err = lrfind::run(&mut probe, RangeTestConfig::default(), &mut ()).unwrap_err();
    assert!(err.to_string().contains("disk gone"), "{err}");
    assert_eq!(bits(&mlp.vars()), before);
    assert_eq!(
        probe.optimizer().save_state().unwrap().step,
        0,
        "optimizer state restored"
    );

    // A loss that turns NaN on the 8th step.
    let mut calls = 0;
    let nan_after = |(x, y): &(Tensor, Tensor)| {
        calls += 1;
        let l = candle_nn::loss::cross_entropy(&mlp.forward(x)?, y)?;
        if calls >= 8 {
            l * f64::NAN
        } else {
            Ok(l)
        }
    };
    let optimizer = AdamW::new(mlp.vars(), ParamsAdamW::default()).unwrap();
    let mut probe = CandleProbe::new(mlp.vars(), optimizer, data(), nan_after);
    let result = lrfind::run(&mut probe, RangeTestConfig::default(), &mut ()).unwrap();
    assert_eq!(
        (result.stopped, result.curve.len()),
        (StopReason::NonFinite, 7)
    );
    assert_eq!(bits(&mlp.vars()), before);
}

#[test]
fn accumulation_and_validation_change_what_is_recorded() {
    let mlp = Mlp::new(&[64, 16, 10], 4, &Device::Cpu).unwrap();
    let config = RangeTestConfig {
        num_iter: 10,
        stop_div: None,
        ..Default::default()
    };
    let curve = |probe: &mut CandleProbe<AdamW, CandleBatches, _>| {
        lrfind::run(probe, config, &mut ()).unwrap().curve
    };
    let optimizer = || AdamW::new(mlp.vars(), ParamsAdamW::default()).unwrap();
    let plain = curve(&mut CandleProbe::new(
        mlp.vars(),
        optimizer(),
        data(),
        loss(&mlp),
    ));
    let accumulated = curve(
        &mut CandleProbe::new(mlp.vars(), optimizer(), data(), loss(&mlp)).with_accumulation(2),
    );
    let validated = curve(
        &mut CandleProbe::new(mlp.vars(), optimizer(), data(), loss(&mlp))
            .with_validation(data(), 2),
    );
    assert_eq!(plain.len(), 10);
    assert_ne!(plain.raw_loss, accumulated.raw_loss);
    assert_ne!(plain.raw_loss, validated.raw_loss);
    // The first accumulated step's loss is the mean of the first two batches' losses.
    let mut d = data();
    let mut first = 0.0;
    for _ in 0..2 {
        let (x, y) = d.next_batch().unwrap();
        first += candle_nn::loss::cross_entropy(&mlp.forward(&x).unwrap(), &y)
            .unwrap()
            .to_scalar::<f32>()
            .unwrap() as f64
            / 2.0;
    }
    let got = accumulated.raw_loss.as_ref().unwrap()[0];
    assert!((got - first).abs() < 1e-6, "{got} vs {first}");
}
