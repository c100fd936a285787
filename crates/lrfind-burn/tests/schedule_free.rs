//! Schedule-Free AdamW against schedulefree 1.4.1's recorded steps
//! (`tests/data/schedulefree_steps.json`, made by `scripts/record_schedulefree.py`): every step's
//! training point `y`, the evaluation point `x` after the last, and a checkpoint mid-run.

#[path = "support/tiny_net.rs"]
mod tiny_net;

use burn::prelude::*;
use lrfind_burn::optim::{
    BuiltOptimizer, ModuleStep, OptimizerKind, OptimizerOptions, ScheduleFreeAdamW,
    ScheduleFreeConfig,
};
use serde_json::Value;
use tiny_net::{batch, initial, params, recorded, step};

fn fixture() -> Value {
    serde_json::from_str(include_str!("data/schedulefree_steps.json")).unwrap()
}

fn close(got: &[f32], want: &[f32], what: &str) {
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= 2e-5 * w.abs().max(1.0),
            "{what} parameter {k}: {g} vs schedulefree {w}"
        );
    }
}

#[test]
fn every_step_and_the_average_match_schedulefree() {
    let f = fixture();
    let device = Device::flex().autodiff();
    for case in f["cases"].as_array().unwrap() {
        let lr = case["lr"].as_f64().unwrap();
        let config = ScheduleFreeConfig {
            weight_decay: case["weight_decay"].as_f64().unwrap(),
            warmup_steps: case["warmup_steps"].as_u64().unwrap(),
            ..ScheduleFreeConfig::default()
        };
        let mut optimizer = ScheduleFreeAdamW::new(config);
        let mut net = initial(&f, &device);
        let start = params(&net);
        for (i, want) in case["steps"].as_array().unwrap().iter().enumerate() {
            net = step(net, &mut optimizer, lr, batch(&f, i, &device));
            close(&params(&net), &recorded(want), &format!("lr {lr} step {i}"));
        }
        let x = optimizer.eval_module(net.clone());
        close(
            &params(&x),
            &recorded(&case["eval"]),
            &format!("lr {lr} eval"),
        );
        // The average is not the last iterate, and both moved well beyond the tolerance.
        let gap = params(&x)
            .iter()
            .zip(params(&net))
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        let moved = params(&net)
            .iter()
            .zip(&start)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(
            gap > 1e-3 && moved > 1e-2,
            "lr {lr}: gap {gap}, moved {moved}"
        );
    }
}

#[test]
fn a_checkpointed_schedule_free_continues_as_if_never_saved() {
    let f = fixture();
    let device = Device::flex().autodiff();
    let options = OptimizerOptions {
        weight_decay: Some(0.1),
        ..Default::default()
    };
    let build = || OptimizerKind::ScheduleFreeAdamW.build(options);
    let (mut a, mut oa) = (initial(&f, &device), build());
    for i in 0..12 {
        a = step(a, &mut oa, 0.05, batch(&f, i, &device));
    }
    let (mut b, mut ob) = (initial(&f, &device), build());
    for i in 0..6 {
        b = step(b, &mut ob, 0.05, batch(&f, i, &device));
    }
    let bytes = ob.to_bytes().unwrap();
    let mut ob = build().load_bytes(bytes.clone()).unwrap();
    assert_eq!(ob.to_bytes().unwrap(), bytes, "saved as loaded");
    // A loaded state evaluates before its first step as the saved one did.
    assert_eq!(
        params(&ob.eval_module(b.clone())),
        params(
            &build()
                .load_bytes(bytes.clone())
                .unwrap()
                .eval_module(b.clone())
        )
    );
    for i in 6..12 {
        b = step(b, &mut ob, 0.05, batch(&f, i, &device));
    }
    assert_eq!(params(&a), params(&b));
    assert_eq!(params(&oa.eval_module(a)), params(&ob.eval_module(b)));
    assert!(matches!(ob, BuiltOptimizer::ScheduleFree(ref s) if s.steps() == 12));
    // Bytes from elsewhere, another optimizer's, or other settings are an error, not a panic.
    assert!(build().load_bytes(b"not a state".to_vec()).is_err());
    let adam = OptimizerKind::Adam.build(OptimizerOptions::default());
    assert!(build().load_bytes(adam.to_bytes().unwrap()).is_err());
    let other = OptimizerKind::ScheduleFreeAdamW.build(OptimizerOptions::default());
    let err = other.load_bytes(bytes).err().expect("other settings");
    assert!(err.to_string().contains("other settings"), "{err}");
}

#[test]
fn schedule_free_takes_no_momentum_and_cycles_none() {
    let kind = OptimizerKind::ScheduleFreeAdamW;
    let momentum = OptimizerOptions {
        momentum: Some(0.9),
        ..Default::default()
    };
    let err = momentum.validate(kind).unwrap_err();
    assert!(err.to_string().contains("schedulefree-adamw"), "{err}");
    assert!(kind.build_cycling(OptimizerOptions::default()).1.is_none());
    assert!(!kind.learning_rate_free());
    assert_eq!("schedulefree-adamw".parse::<OptimizerKind>(), Ok(kind));
}
