//! Prodigy against prodigyopt 1.1.2's recorded steps (`tests/data/prodigy_steps.json`, made by
//! `scripts/record_prodigy.py`), against a hand computation, and through a checkpoint.

use burn::module::Param;
use burn::nn::Linear;
use burn::optim::GradientsParams;
use burn::prelude::*;
use lrfind_burn::optim::{ModuleStep, OptimizerKind, OptimizerOptions, Prodigy, ProdigyConfig};
use serde_json::Value;

#[path = "support/tiny_net.rs"]
mod tiny_net;
use tiny_net::{batch, linear, params, recorded, step, vector, Net};

fn fixture() -> Value {
    serde_json::from_str(include_str!("data/prodigy_steps.json")).unwrap()
}

#[test]
fn every_step_matches_prodigyopt() {
    let f = fixture();
    let device = Device::flex().autodiff();
    let init = &f["init"];
    for case in f["cases"].as_array().unwrap() {
        let (lr, decay) = (
            case["lr"].as_f64().unwrap(),
            case["weight_decay"].as_f64().unwrap(),
        );
        let mut net = Net {
            l1: linear(&init["l1_weight"], &init["l1_bias"], &device),
            l2: linear(&init["l2_weight"], &init["l2_bias"], &device),
        };
        let start = params(&net);
        let options = OptimizerOptions {
            weight_decay: Some(decay),
            ..Default::default()
        };
        let (mut optimizer, control) = OptimizerKind::Prodigy.build_cycling(options);
        let control = control.expect("prodigy cycles β1");
        let beta1 = vector(&case["beta1"]);
        for (i, want) in case["steps"].as_array().unwrap().iter().enumerate() {
            control.set(beta1[i] as f64);
            net = step(net, &mut optimizer, lr, batch(&f, i, &device));
            let lrfind_burn::optim::BuiltOptimizer::Prodigy(p) = &optimizer else {
                panic!("prodigy builds a Prodigy")
            };
            let d = want["d"].as_f64().unwrap();
            assert!(
                (p.d() - d).abs() <= 1e-4 * d,
                "lr {lr} step {i}: d {} vs {d}",
                p.d()
            );
            for (k, (got, want)) in params(&net).iter().zip(recorded(want)).enumerate() {
                assert!(
                    (got - want).abs() <= 1e-4 * want.abs().max(1.0),
                    "lr {lr} step {i} parameter {k}: {got} vs prodigyopt {want}"
                );
            }
        }
        // The run moved the weights well beyond the tolerance.
        let moved = params(&net)
            .iter()
            .zip(&start)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(moved > 0.1, "lr {lr}: moved {moved}");
    }
}

#[test]
fn three_steps_on_a_linear_loss_match_the_hand_computation() {
    // loss = w·c, so g = c each step; β1 0.9, β2 0.999, β3 = √β2, d0 1e-6, lr 1, ε 1e-8.
    let device = Device::flex().autodiff();
    let w0 = 0.5f64;
    let c = 2.0f64;
    let lin = |w: f32| Linear {
        weight: Param::from_tensor(Tensor::from_data(TensorData::new(vec![w], [1, 1]), &device)),
        bias: None,
    };
    let mut model = lin(w0 as f32);
    let mut prodigy = Prodigy::new(ProdigyConfig::default(), 0.9);
    let x = Tensor::<2>::from_data([[c as f32]], &device);
    let (b1, b2, d0, eps) = (0.9, 0.999, 1e-6, 1e-8);
    let b3 = f64::sqrt(b2);
    let (mut w, mut d, mut d_max, mut r, mut s, mut m, mut v) = (w0, d0, d0, 0.0, 0.0, 0.0, 0.0);
    for t in 0..3 {
        let loss = model.forward(x.clone()).sum();
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = prodigy.step(1.0, model, grads);
        // By hand: dlr from the old d; the moments and s with it; then d̂, d, the step.
        let dlr = d;
        r = b3 * r + d / d0 * dlr * c * (w0 - w);
        m = b1 * m + d * (1.0 - b1) * c;
        v = b2 * v + d * d * (1.0 - b2) * c * c;
        s = b3 * s + d / d0 * dlr * c;
        // d = min(d_max, d·growth) with growth ∞: the largest estimate so far.
        d_max = f64::max(d_max, r / s.abs());
        d = d_max;
        w -= dlr * m / (v.sqrt() + d * eps);
        let got = model.weight.val().into_scalar::<f32>() as f64;
        assert!((got - w).abs() < 1e-7, "step {t}: burn {got}, by hand {w}");
        assert!(
            (prodigy.d() - d).abs() <= 1e-6 * d,
            "step {t}: d {} vs {d}",
            prodigy.d()
        );
        // w0 − w is tiny: go on from the f32 weight, as burn does.
        w = got;
    }
    // The first step moves by d0·lr (m/√v = 1 after one step): a d-sized step, not an lr-sized one.
    assert!(w0 - w > 0.0 && w0 - w < 1e-4, "{}", w0 - w);
}

#[test]
fn a_checkpointed_prodigy_continues_as_if_never_saved() {
    let f = fixture();
    let device = Device::flex().autodiff();
    let init = &f["init"];
    let fresh = || Net {
        l1: linear(&init["l1_weight"], &init["l1_bias"], &device),
        l2: linear(&init["l2_weight"], &init["l2_bias"], &device),
    };
    let build = || OptimizerKind::Prodigy.build(OptimizerOptions::default());
    let (mut a, mut oa) = (fresh(), build());
    for i in 0..14 {
        a = step(a, &mut oa, 1.0, batch(&f, i, &device));
    }
    let (mut b, mut ob) = (fresh(), build());
    for i in 0..7 {
        b = step(b, &mut ob, 1.0, batch(&f, i, &device));
    }
    let bytes = ob.to_bytes().unwrap();
    let mut ob = build().load_bytes(bytes.clone()).unwrap();
    assert_eq!(ob.to_bytes().unwrap(), bytes, "saved as loaded");
    for i in 7..14 {
        b = step(b, &mut ob, 1.0, batch(&f, i, &device));
    }
    assert_eq!(params(&a), params(&b));
    // Bytes from elsewhere are an error, not a panic; so are another optimizer's.
    assert!(build().load_bytes(b"not a state".to_vec()).is_err());
    let adam = OptimizerKind::Adam.build(OptimizerOptions::default());
    assert!(build().load_bytes(adam.to_bytes().unwrap()).is_err());
    let other = OptimizerKind::Prodigy.build(OptimizerOptions {
        weight_decay: Some(0.1),
        ..Default::default()
    });
    let err = other.load_bytes(bytes).err().expect("other settings");
    assert!(err.to_string().contains("other settings"), "{err}");
}
