//! The trainer on a probe without a framework: gradient descent on (w − 3)², scored by the same
//! loss. Checks the epoch loop, re-finds with state restored, per-epoch schedules, divergence
//! and interruption.

use lrfind::schedule::{ConstantConfig, PlateauConfig, ScheduleConfig};
use lrfind::{HeldOutScore, Metric, Probe};
use lrfind_train::{Ended, Event, Halt, History, TrainError, TrainObserver};
use lrfind_train::{LrChoice, RefindPolicy, Trainer};
use std::convert::Infallible;

struct Quadratic {
    w: f64,
}

impl Probe for Quadratic {
    type State = f64;
    type Error = Infallible;
    fn snapshot(&mut self) -> Result<f64, Infallible> {
        Ok(self.w)
    }
    fn restore(&mut self, w: f64) -> Result<(), Infallible> {
        self.w = w;
        Ok(())
    }
    fn step(&mut self, lr: f64) -> Result<f64, Infallible> {
        let loss = (self.w - 3.0).powi(2);
        self.w -= lr * 2.0 * (self.w - 3.0);
        Ok(loss)
    }
}

fn score(p: &Quadratic) -> Option<HeldOutScore> {
    Some(HeldOutScore {
        loss: (p.w - 3.0).powi(2),
        metric: Metric::Rmse((p.w - 3.0).abs()),
    })
}

fn constant() -> ScheduleConfig {
    ScheduleConfig::Constant(ConstantConfig {})
}

/// `trainer` on `probe` through its builder ([`Trainer::training`]), its history put in
/// `history`: the tests read the history also of runs that fail.
fn fit<P: Probe>(
    trainer: &Trainer,
    probe: &mut P,
    steps: usize,
    score: impl FnMut(&P) -> Option<HeldOutScore>,
    observer: &mut dyn TrainObserver,
    history: &mut History,
) -> Result<(), TrainError<P::Error>> {
    let outcome = trainer.training(steps, score).observe(observer).run(probe);
    *history = outcome.history;
    outcome.result
}

#[test]
fn epochs_of_steps_at_a_fixed_rate() {
    let trainer = Trainer::new(3, LrChoice::Fixed(0.1), constant());
    let (mut probe, mut history) = (Quadratic { w: 0.0 }, History::default());
    fit(&trainer, &mut probe, 10, score, &mut (), &mut history).unwrap();
    assert_eq!(history.ended, Ended::Completed);
    assert_eq!(history.epochs.len(), 3);
    assert_eq!(history.step_lr, vec![0.1; 30]);
    let val: Vec<f64> = history.epochs.iter().map(|r| r.val_loss).collect();
    assert!(val.windows(2).all(|w| w[1] < w[0]), "{val:?}");
    // The same run by hand: w ← w − 0.1·2(w − 3), 30 times.
    let mut w: f64 = 0.0;
    for _ in 0..30 {
        w -= 0.2 * (w - 3.0);
    }
    assert_eq!(probe.w, w, "training is the probe's steps, nothing else");
}

#[test]
fn re_finds_run_when_due_and_leave_the_weights_where_they_were() {
    let mut trainer = Trainer::new(5, LrChoice::Auto, constant());
    trainer.refind = RefindPolicy::Every(2);
    trainer.range_test.end_lr = 1.0;
    trainer.range_test.num_iter = 30;
    let (mut probe, mut history) = (Quadratic { w: 0.0 }, History::default());
    let mut seen = Vec::new();
    let mut observer = |e: Event<'_>| {
        if let Event::RangeTest { epoch, .. } = e {
            seen.push(epoch);
        }
        Ok(())
    };
    fit(&trainer, &mut probe, 10, score, &mut observer, &mut history).unwrap();
    assert_eq!(seen, [0, 2, 4]);
    let at: Vec<(usize, usize)> = history.refinds.iter().map(|r| (r.epoch, r.step)).collect();
    assert_eq!(at, [(0, 0), (2, 20), (4, 40)]);
    assert_eq!(
        history.step_lr.len(),
        50,
        "range-test steps are not training steps"
    );
    // Training continued from its own weights: the loss after the re-find at epoch 2 starts
    // where epoch 1 ended, not where the range test left the weights.
    let end_of_1 = history.epochs[1].val_loss;
    assert!((history.step_loss[20] - end_of_1).abs() < 1e-12);
}

#[test]
fn plateau_steps_once_per_epoch_on_the_held_out_loss() {
    let plateau = ScheduleConfig::Plateau(PlateauConfig {
        patience: 0,
        ..Default::default()
    });
    let trainer = Trainer::new(4, LrChoice::Fixed(2.0), plateau);
    let (mut probe, mut history) = (Quadratic { w: 0.0 }, History::default());
    // lr 2 oscillates (w ← w − 4(w − 3)): the loss grows, so after the first epoch (the best so
    // far, as PyTorch counts it) every epoch cuts the lr tenfold.
    let _ = fit(&trainer, &mut probe, 3, score, &mut (), &mut history);
    for r in &history.epochs {
        assert_eq!(r.lr_start, r.lr_end);
    }
    let starts: Vec<f64> = history.epochs.iter().map(|r| r.lr_start).collect();
    assert_eq!(starts[..2], [2.0, 2.0]);
    assert!(
        (starts[2] - 0.2).abs() < 1e-15 && (starts[3] - 0.02).abs() < 1e-15,
        "{starts:?}"
    );
}

#[test]
fn a_diverging_run_stops_with_its_history() {
    let trainer = Trainer::new(1, LrChoice::Fixed(1e3), constant());
    let (mut probe, mut history) = (Quadratic { w: 0.0 }, History::default());
    let e = fit(&trainer, &mut probe, 500, score, &mut (), &mut history).unwrap_err();
    assert!(matches!(e, TrainError::Diverged { .. }), "{e}");
    assert_eq!(history.ended, Ended::Diverged);
    assert!(!history.step_loss.last().unwrap().is_finite());
    assert!(history.epochs.is_empty());
}

#[test]
fn the_observer_can_interrupt() {
    let trainer = Trainer::new(3, LrChoice::Fixed(0.1), constant());
    let (mut probe, mut history) = (Quadratic { w: 0.0 }, History::default());
    let mut steps = 0;
    let mut observer = |e: Event<'_>| {
        if let Event::Step { .. } = e {
            steps += 1;
            if steps == 5 {
                return Err(Halt::Interrupt);
            }
        }
        Ok(())
    };
    let e = fit(&trainer, &mut probe, 10, score, &mut observer, &mut history).unwrap_err();
    assert!(matches!(e, TrainError::Interrupted));
    assert_eq!(
        (history.ended, history.step_lr.len()),
        (Ended::Interrupted, 5)
    );
}

/// A probe whose optimizer has a momentum: it records every value it is set to.
struct WithMomentum {
    inner: Quadratic,
    momenta: Vec<f64>,
}

impl Probe for WithMomentum {
    type State = f64;
    type Error = Infallible;
    fn snapshot(&mut self) -> Result<f64, Infallible> {
        self.inner.snapshot()
    }
    fn restore(&mut self, w: f64) -> Result<(), Infallible> {
        self.inner.restore(w)
    }
    fn step(&mut self, lr: f64) -> Result<f64, Infallible> {
        self.inner.step(lr)
    }
    fn set_momentum(&mut self, momentum: f64) -> bool {
        self.momenta.push(momentum);
        true
    }
}

/// PyTorch's recorded lrs and momenta of the case `name`.
fn pytorch(name: &str) -> (Vec<f64>, Vec<f64>) {
    let case = lrfind_schedule::fixtures::case(name);
    (case.expected_lr, case.expected_momentum.unwrap())
}

fn assert_close(what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= 1e-9 * w.abs().max(1e-12),
            "{what} step {i}: {g} vs PyTorch {w}"
        );
    }
}

#[test]
fn momentum_per_step_is_pytorchs_for_one_cycle_and_cyclic() {
    use lrfind::schedule::{CyclicConfig, OneCycleConfig};
    let one_cycle = ScheduleConfig::OneCycle(OneCycleConfig::default());
    let cyclic = ScheduleConfig::Cyclic(CyclicConfig {
        max_lr: Some(0.1),
        step_size_up: 10,
        ..Default::default()
    });
    for (name, lr, schedule) in [
        ("one_cycle", 0.1, one_cycle),
        ("cyclic_triangular", 0.001, cyclic),
    ] {
        let (want_lr, want_momentum) = pytorch(name);
        let trainer = Trainer::new(1, LrChoice::Fixed(lr), schedule);
        let mut probe = WithMomentum {
            inner: Quadratic { w: 0.0 },
            momenta: Vec::new(),
        };
        let mut history = History::default();
        let steps = want_lr.len();
        fit(
            &trainer,
            &mut probe,
            steps,
            |p: &WithMomentum| score(&p.inner),
            &mut (),
            &mut history,
        )
        .unwrap();
        assert_close(name, &history.step_lr, &want_lr);
        assert_close(name, &history.step_momentum, &want_momentum);
        assert_eq!(
            probe.momenta, history.step_momentum,
            "set before every step"
        );
        let json = history.to_json("x", serde_json::json!({}));
        assert_eq!(json["steps"]["momentum"].as_array().unwrap().len(), steps);
    }
    // Switched off, or a schedule without momentum: nothing is set or recorded.
    let mut trainer = Trainer::new(
        1,
        LrChoice::Fixed(0.1),
        ScheduleConfig::OneCycle(Default::default()),
    );
    trainer.cycle_momentum = false;
    let mut probe = WithMomentum {
        inner: Quadratic { w: 0.0 },
        momenta: Vec::new(),
    };
    let mut history = History::default();
    fit(
        &trainer,
        &mut probe,
        10,
        |p: &WithMomentum| score(&p.inner),
        &mut (),
        &mut history,
    )
    .unwrap();
    assert!(probe.momenta.is_empty() && history.step_momentum.is_empty());
    assert!(history.to_json("x", serde_json::json!({}))["steps"]
        .get("momentum")
        .is_none());
}

/// Runs `trainer` from w = 0, stopping it (as Ctrl-C or a crash would) at `stop_at` (epoch,
/// step), then resumes from the last checkpoint in a fresh probe; returns the resumed history.
fn interrupted_and_resumed(trainer: &Trainer, steps: usize, stop_at: (usize, usize)) -> History {
    use lrfind_train::TrainState;
    let mut probe = Quadratic { w: 0.0 };
    let mut saved: Vec<(f64, TrainState)> = Vec::new();
    let mut save = |p: &Quadratic, s: &TrainState| {
        saved.push((p.w, s.clone()));
        Ok(())
    };
    let mut stop = |e: Event<'_>| match e {
        Event::Step { epoch, step, .. } if (epoch, step) == stop_at => Err(Halt::Interrupt),
        _ => Ok(()),
    };
    let e = trainer
        .training(steps, score)
        .observe(&mut stop)
        .checkpoint(&mut save)
        .run(&mut probe)
        .result
        .unwrap_err();
    assert!(matches!(e, TrainError::Interrupted));
    let (w, state) = saved.pop().expect("a checkpoint");
    assert_eq!(
        state.epoch, stop_at.0,
        "the last checkpoint is the last finished epoch"
    );
    let mut fresh = Quadratic { w };
    trainer
        .training(steps, score)
        .resume(state)
        .run(&mut fresh)
        .completed()
        .unwrap()
}

#[test]
fn a_resumed_run_ends_exactly_where_the_uninterrupted_one_ends() {
    use lrfind::schedule::OneCycleConfig;
    let mut one_cycle = Trainer::new(
        6,
        LrChoice::Auto,
        ScheduleConfig::OneCycle(OneCycleConfig::default()),
    );
    one_cycle.refind = RefindPolicy::Every(2);
    one_cycle.range_test.end_lr = 1.0;
    one_cycle.range_test.num_iter = 20;
    let plateau = ScheduleConfig::Plateau(PlateauConfig {
        patience: 0,
        ..Default::default()
    });
    let mut on_plateau = Trainer::new(6, LrChoice::Fixed(0.6), plateau);
    on_plateau.refind = RefindPolicy::Never;
    for (trainer, stop_at) in [
        (&one_cycle, (3, 2)),
        (&one_cycle, (4, 0)),
        (&on_plateau, (2, 3)),
    ] {
        let mut whole = History::default();
        fit(
            trainer,
            &mut Quadratic { w: 0.0 },
            5,
            score,
            &mut (),
            &mut whole,
        )
        .unwrap();
        let resumed = interrupted_and_resumed(trainer, 5, stop_at);
        assert_eq!(resumed, whole, "stopped at {stop_at:?}");
    }
}

#[test]
fn a_train_state_survives_json() {
    use lrfind_train::TrainState;
    let mut trainer = Trainer::new(3, LrChoice::Auto, constant());
    trainer.refind = RefindPolicy::OnPlateau { patience: 1 };
    trainer.range_test.end_lr = 1.0;
    trainer.range_test.num_iter = 20;
    let mut states = Vec::new();
    let mut save = |_: &Quadratic, s: &TrainState| {
        states.push(s.clone());
        Ok(())
    };
    trainer
        .training(4, score)
        .checkpoint(&mut save)
        .run(&mut Quadratic { w: 0.0 })
        .completed()
        .unwrap();
    assert_eq!(states.len(), 3);
    for s in states {
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<TrainState>(&json).unwrap(), s);
    }
}

#[test]
fn a_refinement_trains_each_candidate_from_the_same_weights_and_takes_the_lowest_loss() {
    let mut trainer = Trainer::new(5, LrChoice::Auto, constant());
    trainer.range_test.end_lr = 1.0;
    trainer.range_test.num_iter = 30;
    trainer.refind = RefindPolicy::Every(2);
    // The span alone, read at each candidate's own length (the two ways it follows the run are
    // the next test's).
    trainer.refine = Some(lrfind_train::Refine {
        extend: 0,
        extrapolate: false,
        ..lrfind_train::Refine::default()
    });
    let (mut probe, mut history) = (Quadratic { w: 0.0 }, History::default());
    let mut refined = Vec::new();
    let mut observer = |e: Event<'_>| {
        if let Event::CandidatesScored { epoch, lr, .. } = e {
            refined.push((epoch, lr));
        }
        Ok(())
    };
    fit(&trainer, &mut probe, 10, score, &mut observer, &mut history).unwrap();
    // Only the range test before training is refined (re-finds with `Refine::refinds`).
    assert_eq!(refined.len(), 1);
    let first = &history.refinds[0];
    assert_eq!(first.candidates.len(), 5);
    assert!(history.refinds[1..].iter().all(|r| r.candidates.is_empty()));
    // Each candidate ran a fifth of the 50 steps from w = 0 at its rate: (w − 3)² by hand.
    for c in &first.candidates {
        let mut w: f64 = 0.0;
        for _ in 0..10 {
            w -= c.lr * 2.0 * (w - 3.0);
        }
        let loss = (w - 3.0).powi(2);
        assert!(
            (c.val_loss - loss).abs() <= 1e-12 * loss.max(1e-300),
            "{c:?} vs {loss}"
        );
    }
    let best = first
        .candidates
        .iter()
        .min_by(|a, b| a.val_loss.total_cmp(&b.val_loss))
        .unwrap();
    assert_eq!(first.lr, best.lr);
    assert_eq!(refined[0], (0, best.lr));
    // Training started from the restored weights, at the refined rate.
    assert_eq!(history.step_loss[0], 9.0);
    assert_eq!(history.step_lr[0], best.lr);
}

/// (w − 3)² after `n` steps of gradient descent at `lr` from w = 0, by hand.
fn quadratic_loss(lr: f64, n: usize) -> f64 {
    let mut w: f64 = 0.0;
    for _ in 0..n {
        w -= lr * 2.0 * (w - 3.0);
    }
    (w - 3.0).powi(2)
}

#[test]
fn the_span_follows_the_winner_and_a_constant_rate_is_read_at_the_runs_length() {
    use lrfind_train::{Horizon, Refine};
    let refine = Refine::default();
    let (run, own) = (
        Horizon {
            steps: 12,
            run: Some(60),
        },
        Horizon {
            steps: 12,
            run: None,
        },
    );
    let refined = |schedule: ScheduleConfig, lr: f64, horizon: Horizon| {
        let trainer = Trainer::new(5, LrChoice::Fixed(1.0), schedule);
        let mut probe = Quadratic { w: 0.0 };
        let r = trainer
            .refine(&mut probe, 0, lr, &refine, horizon, &mut score, &mut ())
            .unwrap();
        assert_eq!(probe.w, 0.0, "the state is restored");
        let rates: Vec<f64> = r.candidates.iter().map(|c| c.lr).collect();
        (r, rates)
    };
    // From 1e-3 every candidate still descends, the fastest best: the span never grows upward,
    // read at its own length, under a schedule that decays (read at its own length too) or at a
    // constant rate carried to the run's.
    let (up, rates) = refined(constant(), 1e-3, own);
    assert_eq!(rates, [2.5e-4, 5e-4, 1e-3, 2e-3, 4e-3]);
    assert_eq!(up.lr, 4e-3);
    assert!(up.candidates.iter().all(|c| c.extrapolation.is_none()));
    let cosine = ScheduleConfig::default_of(lrfind::schedule::ScheduleKind::Cosine).unwrap();
    let (decays, rates) = refined(cosine, 1e-3, run);
    assert_eq!(rates.len(), 5);
    assert!(decays.candidates.iter().all(|c| c.extrapolation.is_none()));
    let (carried, rates) = refined(constant(), 1e-3, run);
    assert_eq!(rates, [2.5e-4, 5e-4, 1e-3, 2e-3, 4e-3]);
    assert_eq!(carried.lr, 4e-3);
    for c in &carried.candidates {
        // Scored after a quarter of its 12 steps and at its end, and carried to the run's 60 as
        // L(t) = L(12) · (L(12) / L(3))^(ln(60/12) / ln(12/3)), by hand.
        let (early, late) = (quadratic_loss(c.lr, 3), quadratic_loss(c.lr, 12));
        let e = c.extrapolation.expect("a constant rate is extrapolated");
        assert_eq!((e.early_steps, e.run_steps), (3, 60));
        assert!((e.early_loss - early).abs() <= 1e-12 * early);
        assert!((c.val_loss - late).abs() <= 1e-12 * late);
        let by_hand = late * (late / early).powf(5f64.ln() / 4f64.ln());
        assert!((e.run_loss - by_hand).abs() <= 1e-9 * by_hand, "{c:?}");
    }
    // From 4: 1 (w oscillates, loss 9) is the best of 1…16, so the span grows downward to 0.5
    // (w = 3 in one step) and 0.25, where 0.5 stays the best; so it does under cosine.
    let (down, rates) = refined(constant(), 4.0, run);
    assert_eq!(rates, [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0]);
    assert_eq!(down.lr, 0.5);
    let cosine = ScheduleConfig::default_of(lrfind::schedule::ScheduleKind::Cosine).unwrap();
    assert_eq!(refined(cosine, 4.0, run).1.len(), 7);
    // From 0.25 the best (0.5) is inside ¼…4×: nothing is added.
    assert_eq!(refined(constant(), 0.25, own).1.len(), 5);
}
