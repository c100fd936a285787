//! The trainer on a probe without a framework: gradient descent on (w − 3)², scored by the same
//! loss. Checks the epoch loop, re-finds with state restored, per-epoch schedules, divergence
//! and interruption.

use lrfind::schedule::{ConstantConfig, PlateauConfig, ScheduleConfig};
use lrfind::training::{Ended, Event, Halt, History, TrainError};
use lrfind::{HeldOutScore, LrChoice, Metric, Probe, RefindPolicy, Trainer};
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

#[test]
fn epochs_of_steps_at_a_fixed_rate() {
    let trainer = Trainer::new(3, LrChoice::Fixed(0.1), constant());
    let (mut probe, mut history) = (Quadratic { w: 0.0 }, History::default());
    trainer
        .fit(&mut probe, 10, score, &mut (), &mut history)
        .unwrap();
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
    trainer
        .fit(&mut probe, 10, score, &mut observer, &mut history)
        .unwrap();
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
    let _ = trainer.fit(&mut probe, 3, score, &mut (), &mut history);
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
    let e = trainer
        .fit(&mut probe, 500, score, &mut (), &mut history)
        .unwrap_err();
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
    let e = trainer
        .fit(&mut probe, 10, score, &mut observer, &mut history)
        .unwrap_err();
    assert!(matches!(e, TrainError::Interrupted));
    assert_eq!(
        (history.ended, history.step_lr.len()),
        (Ended::Interrupted, 5)
    );
}
