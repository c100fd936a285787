//! The same range test on the same data with the same architecture, on burn and on candle: the
//! core is shared, only the framework differs, so the recommended rates must agree (within a
//! factor 3: the initial weights come from different generators).

use burn::prelude::*;
use candle_nn::{Optimizer, ParamsAdamW};
use lrfind::{analyze, RangeTestConfig, DEFAULT_METHOD};
use lrfind_burn::optim::{OptimizerKind, OptimizerOptions};
use lrfind_zoo::task::Classify;

const SIZES: [usize; 4] = [64, 128, 128, 10];

fn recommended(curve: &lrfind::Curve) -> f64 {
    let analysis = analyze(curve, &Default::default()).unwrap();
    analysis.recommend(DEFAULT_METHOD).unwrap().1.lr
}

fn burn_rate() -> f64 {
    let device = Device::flex().autodiff();
    let (train, _) = lrfind_data::digits::split();
    let data = lrfind_zoo::data::training(&train, 64, 0, &device);
    let model = lrfind_zoo::model::seeded(0, &device, |d| lrfind_zoo::model::Mlp::new(&SIZES, d));
    let optimizer = OptimizerKind::AdamW.build(OptimizerOptions::default());
    let mut probe = lrfind_zoo::task::probe(model, optimizer, data, Classify::new(&device));
    recommended(
        &lrfind::run(&mut probe, RangeTestConfig::default(), &mut ())
            .unwrap()
            .curve,
    )
}

fn candle_rate(seed: u64) -> f64 {
    let device = candle_core::Device::Cpu;
    let (train, _) = lrfind_data::digits::split();
    let data = lrfind_candle::CandleBatches::classification(&train, 64, 0, &device).unwrap();
    let mlp = lrfind_candle::Mlp::new(&SIZES, seed, &device).unwrap();
    let optimizer = lrfind_candle::AdamW::new(mlp.vars(), ParamsAdamW::default()).unwrap();
    let loss = |(x, y): &(candle_core::Tensor, candle_core::Tensor)| {
        candle_nn::loss::cross_entropy(&mlp.forward(x)?, y)
    };
    let mut probe = lrfind_candle::CandleProbe::new(mlp.vars(), optimizer, data, loss);
    recommended(
        &lrfind::run(&mut probe, RangeTestConfig::default(), &mut ())
            .unwrap()
            .curve,
    )
}

#[test]
fn burn_and_candle_recommend_the_same_rate_within_a_factor_3() {
    let burn = burn_rate();
    for seed in [0, 1] {
        let candle = candle_rate(seed);
        let ratio = candle / burn;
        assert!(
            (1.0 / 3.0..=3.0).contains(&ratio),
            "digits MLP, AdamW: candle (seed {seed}) {candle:.3e} vs burn {burn:.3e}"
        );
    }
    // Deterministic: the same seed, the same curve.
    assert_eq!(candle_rate(0), candle_rate(0));
}
