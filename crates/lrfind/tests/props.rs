//! Property tests: no rule and no parser panics on any input, finite or not.

use lrfind::suggest::{self, SlideParams};
use lrfind::{analyze, AnalyzeOptions, Curve, Smoothing};
use proptest::prelude::*;

fn any_loss() -> impl Strategy<Value = f64> {
    prop_oneof![
        8 => -1e6f64..1e6,
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::NEG_INFINITY),
        1 => Just(0.0),
    ]
}

fn curve() -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
    (0usize..80).prop_flat_map(|n| {
        (proptest::collection::vec(1e-3f64..10.0, n), proptest::collection::vec(any_loss(), n)).prop_map(|(steps, losses)| {
            let mut lr = 1e-8;
            let lrs = steps.iter().map(|s| {
                lr *= 1.0 + s;
                lr
            });
            (lrs.collect(), losses)
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn no_rule_panics((lrs, losses) in curve(), w in 0usize..8, diff in 0usize..20) {
        let n = lrs.len();
        if let Ok(s) = suggest::valley(&lrs, &losses) { prop_assert!(s.index < n); }
        if let Ok(s) = suggest::slide(&lrs, &losses, SlideParams { lr_diff: diff, ..Default::default() }) { prop_assert!(s.index < n); }
        if let Ok(s) = suggest::minimum(&lrs, &losses) { prop_assert!(s.index < n); }
        if let Ok(s) = suggest::steep(&lrs, &losses) { prop_assert!(s.index < n); }
        if let Ok(s) = suggest::gradient(&lrs, &losses) { prop_assert!(s.index < n); }
        if let Ok(s) = suggest::sma(&lrs, &losses, w) { prop_assert!(s.index < n); }
        if let Ok(b) = suggest::bounds(&lrs, &losses) {
            prop_assert!(b.base_index < b.max_index && b.max_index < n);
        }
    }

    #[test]
    fn analyze_never_panics((lr, loss) in curve(), ema in any::<bool>(), skip in proptest::option::of(0usize..10)) {
        let curve = Curve { lr, loss, raw_loss: None };
        let smoothing = if ema { Smoothing::Ema { beta: 0.9 } } else { Smoothing::None };
        let o = AnalyzeOptions { smoothing, stop_div: ema.then_some(4.0), skip_start: skip, ..Default::default() };
        if let Ok(a) = analyze(&curve, &o) {
            prop_assert!(a.curve.loss.iter().all(|l| l.is_finite()));
            let _ = a.to_json();
        }
    }

    #[test]
    fn parser_never_panics(text in "\\PC{0,200}") {
        let _ = Curve::parse(&text);
    }

    #[test]
    fn parser_never_panics_on_csv_like_text(rows in proptest::collection::vec("[-0-9.eEnaif,x ]{0,20}", 0..20)) {
        let _ = Curve::parse(&format!("lr,loss\n{}", rows.join("\n")));
        let _ = Curve::parse(&format!("{{\"lr\": [{}], \"loss\": [1]}}", rows.join(",")));
    }
}
