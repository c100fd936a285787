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
        (
            proptest::collection::vec(1e-3f64..10.0, n),
            proptest::collection::vec(any_loss(), n),
        )
            .prop_map(|(steps, losses)| {
                let mut lr = 1e-8;
                let lrs = steps.iter().map(|s| {
                    lr *= 1.0 + s;
                    lr
                });
                (lrs.collect(), losses)
            })
    })
}

/// Cases per property: 400 by default; `PROPTEST_CASES=100000 cargo test -p lrfind --test props`
/// runs the same properties at scale (the "fuzzing" command of the README).
fn cases() -> ProptestConfig {
    let n = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400);
    ProptestConfig::with_cases(n)
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn no_rule_panics((lrs, losses) in curve(), w in 0usize..8, diff in 0usize..20) {
        let n = lrs.len();
        if let Ok(s) = suggest::valley(&lrs, &losses) { prop_assert!(s.index < n); }
        if let Ok(s) = suggest::slide(&lrs, &losses, SlideParams { lr_diff: diff, ..Default::default() }) { prop_assert!(s.index < n); }
        if let Ok(s) = suggest::minimum(&lrs, &losses) { prop_assert!(s.index < n); }
        if let Ok(s) = suggest::steep(&lrs, &losses) { prop_assert!(s.index < n); }
        if let Ok(s) = suggest::gradient(&lrs, &losses) { prop_assert!(s.index < n); }
        if let Ok(s) = suggest::sma(&lrs, &losses, w) { prop_assert!(s.index < n); }
        if let Ok(s) = suggest::consensus(&lrs, &losses, SlideParams::default()) { prop_assert!(s.index < n); }
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
    fn suggestions_sit_at_their_own_lr((lrs, losses) in curve()) {
        let c = Curve { lr: lrs, loss: losses, raw_loss: None };
        if let Ok(a) = analyze(&c, &AnalyzeOptions::default()) {
            for (_, outcome) in &a.suggestions {
                if let lrfind::Outcome::Point(s) = outcome {
                    let (index, loss) = suggest::loss_at(&a.curve.lr, &a.curve.loss, s.lr);
                    prop_assert_eq!(s.index, index);
                    prop_assert!(s.loss.to_bits() == loss.to_bits());
                    prop_assert!(s.source < a.curve.len());
                }
            }
        }
    }

    #[test]
    fn parser_never_panics(text in "\\PC{0,200}") {
        let _ = Curve::parse(&text);
    }

    #[test]
    fn streaming_and_whole_parses_agree(rows in proptest::collection::vec("[0-9.eE,\\- ]{0,12}", 0..30), chunk in 1usize..64, crlf in any::<bool>()) {
        let eol = if crlf { "\r\n" } else { "\n" };
        let text = format!("lr,loss{eol}{}", rows.join(eol));
        let whole = Curve::parse(&text).map_err(|e| e.to_string());
        let streamed = Curve::read(std::io::BufReader::with_capacity(chunk, text.as_bytes()))
            .map_err(|e| e.to_string());
        prop_assert_eq!(
            whole.map(|c| (c.lr, c.loss.iter().map(|l| l.to_bits()).collect::<Vec<_>>())),
            streamed.map(|c| (c.lr, c.loss.iter().map(|l| l.to_bits()).collect::<Vec<_>>()))
        );
    }

    #[test]
    fn parser_never_panics_on_csv_like_text(rows in proptest::collection::vec("[-0-9.eEnaif,x ]{0,20}", 0..20)) {
        let _ = Curve::parse(&format!("lr,loss\n{}", rows.join("\n")));
        let _ = Curve::parse(&format!("{{\"lr\": [{}], \"loss\": [1]}}", rows.join(",")));
    }
}

proptest! {
    // Drawing is slower than the rules: a quarter of the cases.
    #![proptest_config(ProptestConfig::with_cases(cases().cases / 4))]

    #[test]
    fn plots_draw_or_fail_cleanly(
        (lr, loss) in curve(),
        w in 0usize..60,
        skip in proptest::option::of((0usize..12, 0usize..8)),
        methods in proptest::sample::subsequence(lrfind::Method::ALL.to_vec(), 0..=8),
    ) {
        let c = Curve { lr, loss, raw_loss: None };
        let o = AnalyzeOptions {
            methods,
            skip_start: skip.map(|s| s.0),
            skip_end: skip.map(|s| s.1),
            sma_window: w,
            ..Default::default()
        };
        if let Ok(a) = analyze(&c, &o) {
            let mut svg = String::new();
            {
                let root = plotters::prelude::IntoDrawingArea::into_drawing_area(
                    plotters::prelude::SVGBackend::with_string(&mut svg, (800, 600)),
                );
                prop_assert!(lrfind_plot::draw(&root, &a, lrfind::DEFAULT_METHOD, w, "property").is_ok());
            }
            prop_assert!(svg.contains("<svg"));
            let text = lrfind::text_plot::render_analysis(&a, lrfind::DEFAULT_METHOD, 64, 14);
            prop_assert!(!text.is_empty());
        }
    }
}

mod schedules {
    use lrfind::schedule::*;
    use proptest::prelude::*;

    fn within(lrs: &[f64], lo: f64, hi: f64) -> bool {
        let tol = 1e-12 * hi.abs().max(lo.abs());
        lrs.iter()
            .all(|&x| x.is_finite() && x >= lo - tol && x <= hi + tol)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn cosine_and_restarts_stay_between_eta_min_and_lr(lr in 1e-6f64..1.0, frac in 0.0f64..1.0, t in 1usize..50, mult in 1usize..3, n in 1usize..200) {
            let eta = lr * frac;
            let (a, _) = sequence(&mut CosineAnnealing::new(lr, t, eta).unwrap(), n, None).unwrap();
            prop_assert!(within(&a, eta, lr));
            let (b, _) = sequence(&mut CosineWarmRestarts::new(lr, t, mult, eta).unwrap(), n, None).unwrap();
            prop_assert!(within(&b, eta, lr));
        }

        #[test]
        fn cyclic_stays_between_its_bounds(base in 1e-6f64..0.1, span in 1.0f64..100.0, up in 1usize..30, down in 1usize..30, mode in 0usize..3, n in 1usize..300) {
            let max = base * span;
            let mode = [CyclicMode::Triangular, CyclicMode::Triangular2, CyclicMode::ExpRange { gamma: 0.99 }][mode];
            let (lrs, moms) = sequence(&mut Cyclic::new(base, max, up, Some(down), mode, Some((0.8, 0.9))).unwrap(), n, None).unwrap();
            prop_assert!(within(&lrs, base, max));
            prop_assert!(within(&moms.unwrap(), 0.8, 0.9));
        }

        #[test]
        fn one_cycle_stays_between_min_and_max(max in 1e-5f64..1.0, total in 2usize..300, pct in 0.05f64..0.95, three in any::<bool>(), linear in any::<bool>()) {
            let o = OneCycleOptions { pct_start: pct, three_phase: three, anneal: if linear { Anneal::Linear } else { Anneal::Cos }, ..Default::default() };
            if let Ok(mut s) = OneCycle::new(max, total, o) {
                let (lrs, moms) = sequence(&mut s, total, None).unwrap();
                prop_assert!(within(&lrs, max / 25.0 / 1e4, max) || total < 4, "{lrs:?}");
                prop_assert!(within(&moms.unwrap(), 0.85, 0.95) || total < 4);
            }
        }

        #[test]
        fn decays_stay_positive_and_below_lr(lr in 1e-6f64..1.0, gamma in 0.01f64..1.0, size in 1usize..10, n in 1usize..100, metrics in proptest::collection::vec(0.0f64..10.0, 100)) {
            for mut s in [
                Box::new(StepDecay::new(lr, size, gamma).unwrap()) as Box<dyn Schedule>,
                Box::new(Exponential::new(lr, gamma).unwrap()),
                Box::new(MultiStep::new(lr, vec![size, 2 * size], gamma).unwrap()),
                Box::new(Polynomial::new(lr, size, 2.0).unwrap()),
                Box::new(LinearWarmup::new(lr, 0.1, 1.0, size).unwrap()),
            ] {
                let (lrs, _) = sequence(s.as_mut(), n, None).unwrap();
                prop_assert!(within(&lrs, 0.0, lr));
            }
            let o = PlateauOptions { min_lr: lr * 0.01, patience: 1, ..Default::default() };
            let (lrs, _) = sequence(&mut Plateau::new(lr, o).unwrap(), n, Some(&metrics)).unwrap();
            prop_assert!(within(&lrs, lr * 0.01, lr));
        }
    }
}
