//! The seam to a training framework, and the driver that runs a range test over it.

use crate::range_test::{ConfigError, RangeTest, RangeTestConfig, RangeTestResult};

/// One training step at a given lr, and a snapshot of the training state to come back to.
///
/// A framework implements this over its model, optimizer and data; [`run`] does the rest.
pub trait Probe {
    /// Everything needed to put training back where it was (weights, optimizer state, …).
    type State;
    /// Why a snapshot, restore or step fails.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Captures the current training state.
    fn snapshot(&mut self) -> Result<Self::State, Self::Error>;
    /// Puts the training state back as captured.
    fn restore(&mut self, state: Self::State) -> Result<(), Self::Error>;
    /// Trains one step (one optimizer update) at `lr` and returns its loss.
    fn step(&mut self, lr: f64) -> Result<f64, Self::Error>;
    /// Sets the momentum (SGD, RMSprop) or β1 (Adam, AdamW) of the next steps, as a schedule
    /// that cycles momentum asks (PyTorch's `OneCycleLR`/`CyclicLR` with `cycle_momentum`).
    /// Returns whether the optimizer has one to set; by default it has none.
    fn set_momentum(&mut self, momentum: f64) -> bool {
        let _ = momentum;
        false
    }
}

/// One recorded step, as observers see it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// Index of this step (from 0).
    pub iteration: usize,
    /// Planned number of steps.
    pub total: usize,
    /// The lr of this step.
    pub lr: f64,
    /// Its loss as measured.
    pub raw_loss: f64,
    /// Smoothed loss, if the step was recorded (it is not when the raw loss is non-finite).
    pub loss: Option<f64>,
}

/// Why an observer stops a run.
#[derive(Debug)]
pub enum Halt {
    /// The user asked to stop: a range test ends as [`crate::StopReason::Interrupted`] with the
    /// points recorded so far.
    Interrupt,
    /// The observer failed (it could not write a file, say): the run ends with this error.
    Fail(Box<dyn std::error::Error + Send + Sync>),
}

/// Watches a run one event at a time (progress bar, logger, files) and can stop it — lrfind's one
/// observer: a range test reports each step's [`Progress`] ([`RangeTestObserver`]); a training run
/// (`lrfind_train`) reports its events, a range test's steps among them.
pub trait Observer<E> {
    /// Sees one event; an `Err` stops the run.
    fn on_event(&mut self, event: E) -> Result<(), Halt>;
}

impl<E> Observer<E> for () {
    fn on_event(&mut self, _: E) -> Result<(), Halt> {
        Ok(())
    }
}

impl<E, F: FnMut(E) -> Result<(), Halt>> Observer<E> for F {
    fn on_event(&mut self, event: E) -> Result<(), Halt> {
        self(event)
    }
}

/// An observer of a range test's steps, as a trait object.
pub type RangeTestObserver<'o> = dyn for<'a> Observer<&'a Progress> + 'o;

/// A range test that could not run to its end. Training state has been restored unless the error
/// is [`RunError::Restore`]; `partial` holds every point recorded before the failure.
#[derive(Debug, thiserror::Error)]
pub enum RunError<E: std::error::Error + 'static> {
    #[error("invalid range-test settings: {0}")]
    /// The settings are invalid.
    Config(#[from] ConfigError),
    #[error("could not snapshot the training state: {0}")]
    /// The state could not be captured (nothing ran).
    Snapshot(#[source] E),
    #[error("training step {iteration} failed: {source}")]
    /// A training step failed.
    Step {
        /// The step.
        iteration: usize,
        /// Why.
        source: E,
        /// The points recorded before it (boxed: errors stay small).
        partial: Box<RangeTestResult>,
    },
    #[error("the range test's observer failed: {source}")]
    /// The observer stopped the test with [`Halt::Fail`].
    Observer {
        /// Why.
        source: Box<dyn std::error::Error + Send + Sync>,
        /// The points recorded before it.
        partial: Box<RangeTestResult>,
    },
    #[error("could not restore the training state after the range test: {source}")]
    /// The state could not be put back.
    Restore {
        /// Why.
        source: E,
        /// The points recorded.
        partial: Box<RangeTestResult>,
    },
}

/// Runs a whole range test on `probe`: snapshot, ramp the lr step by step until the test stops,
/// then restore the training state — always, also when a step fails or the observer stops it
/// ([`Halt::Interrupt`]: the result, [`crate::StopReason::Interrupted`]; [`Halt::Fail`]:
/// [`RunError::Observer`]).
pub fn run<P: Probe, O: for<'a> Observer<&'a Progress> + ?Sized>(
    probe: &mut P,
    config: RangeTestConfig,
    observer: &mut O,
) -> Result<RangeTestResult, RunError<P::Error>> {
    let mut test = RangeTest::new(config)?;
    let state = probe.snapshot().map_err(RunError::Snapshot)?;
    let mut failure = None;
    let mut observer_failed = None;
    // The warm-up: steps at the first rate whose losses start the smoothing and measure the noise.
    let mut warm = Vec::with_capacity(config.warmup);
    for _ in 0..config.warmup {
        match probe.step(config.start_lr) {
            Ok(loss) => warm.push(loss),
            Err(e) => {
                failure = Some((0, e));
                test.interrupt();
                break;
            }
        }
    }
    test.settle(&warm);
    while let Some(lr) = test.next_lr() {
        let iteration = test.iteration();
        let raw_loss = match probe.step(lr) {
            Ok(loss) => loss,
            Err(e) => {
                failure = Some((iteration, e));
                test.interrupt();
                break;
            }
        };
        test.record(raw_loss);
        let loss = (test.iteration() > iteration)
            .then(|| test.last_loss())
            .flatten();
        let progress = Progress {
            iteration,
            total: config.num_iter,
            lr,
            raw_loss,
            loss,
        };
        match observer.on_event(&progress) {
            Ok(()) => {}
            Err(Halt::Interrupt) => test.interrupt(),
            Err(Halt::Fail(e)) => {
                observer_failed = Some(e);
                test.interrupt();
            }
        }
    }
    let partial = test.finish();
    if let Err(source) = probe.restore(state) {
        return Err(RunError::Restore {
            source,
            partial: Box::new(partial),
        });
    }
    match (failure, observer_failed) {
        (Some((iteration, source)), _) => Err(RunError::Step {
            iteration,
            source,
            partial: Box::new(partial),
        }),
        (None, Some(source)) => Err(RunError::Observer {
            source,
            partial: Box::new(partial),
        }),
        (None, None) => Ok(partial),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stop::StopReason;

    /// A quadratic bowl trained by gradient descent: loss = w², step w ← w − lr·2w.
    struct Bowl {
        w: f64,
        fail_at: Option<usize>,
        steps: usize,
    }

    #[derive(Debug, thiserror::Error)]
    #[error("boom")]
    struct Boom;

    impl Probe for Bowl {
        type State = f64;
        type Error = Boom;
        fn snapshot(&mut self) -> Result<f64, Boom> {
            Ok(self.w)
        }
        fn restore(&mut self, w: f64) -> Result<(), Boom> {
            self.w = w;
            Ok(())
        }
        fn step(&mut self, lr: f64) -> Result<f64, Boom> {
            if Some(self.steps) == self.fail_at {
                return Err(Boom);
            }
            self.steps += 1;
            let loss = self.w * self.w;
            self.w -= lr * 2.0 * self.w;
            Ok(loss)
        }
    }

    #[test]
    fn a_warm_up_starts_the_smoothing_at_its_mean_and_records_nothing() {
        let mut bowl = Bowl {
            w: 2.0,
            fail_at: None,
            steps: 0,
        };
        let config = RangeTestConfig {
            num_iter: 10,
            warmup: 3,
            ..Default::default()
        };
        let r = run(&mut bowl, config, &mut ()).unwrap();
        assert_eq!((bowl.steps, r.curve.len(), bowl.w), (13, 10, 2.0));
        // At 1e-7 the bowl barely moves: the warm-up mean and the first raw loss are ≈ 4, and the
        // first smoothed point is 0.98 · mean + 0.02 · raw, not the debiased raw loss alone.
        let raw = r.curve.raw_loss.as_ref().unwrap()[0];
        assert!((r.curve.loss[0] - raw).abs() < 1e-5 && r.curve.loss[0] != raw);
        // Its three losses (4 less a hair each step) are the noise the analysis reads against.
        let noise = r.noise.expect("measured");
        assert_eq!(noise.steps, 3);
        assert!((noise.mean - 4.0).abs() < 1e-5 && noise.sd > 0.0 && noise.sd < 1e-5);
        assert_eq!(
            run(
                &mut bowl,
                RangeTestConfig {
                    warmup: 0,
                    ..config
                },
                &mut ()
            )
            .unwrap()
            .noise,
            None
        );
        // A failing warm-up step restores and reports step 0.
        let mut failing = Bowl {
            w: 2.0,
            fail_at: Some(1),
            steps: 0,
        };
        let err = run(&mut failing, config, &mut ()).unwrap_err();
        assert!(matches!(err, RunError::Step { iteration: 0, .. }));
        assert_eq!(failing.w, 2.0);
    }

    #[test]
    fn runs_diverges_and_restores() {
        let mut bowl = Bowl {
            w: 3.0,
            fail_at: None,
            steps: 0,
        };
        let r = run(&mut bowl, RangeTestConfig::default(), &mut ()).unwrap();
        assert_eq!(r.stopped, StopReason::Diverged);
        assert_eq!(bowl.w, 3.0);
    }

    #[test]
    fn a_failing_step_restores_and_keeps_the_partial_curve() {
        let mut bowl = Bowl {
            w: 3.0,
            fail_at: Some(5),
            steps: 0,
        };
        match run(&mut bowl, RangeTestConfig::default(), &mut ()) {
            Err(RunError::Step {
                iteration: 5,
                partial,
                ..
            }) => {
                assert_eq!(partial.curve.len(), 5);
                assert_eq!(partial.stopped, StopReason::Interrupted);
            }
            other => panic!("expected a step error, got {other:?}"),
        }
        assert_eq!(bowl.w, 3.0);
    }

    #[test]
    fn an_observer_can_interrupt() {
        let mut bowl = Bowl {
            w: 3.0,
            fail_at: None,
            steps: 0,
        };
        let mut stop_at_10 = |p: &Progress| match p.iteration {
            9 => Err(Halt::Interrupt),
            _ => Ok(()),
        };
        let r = run(&mut bowl, RangeTestConfig::default(), &mut stop_at_10).unwrap();
        assert_eq!((r.stopped, r.curve.len()), (StopReason::Interrupted, 10));
        assert_eq!(bowl.w, 3.0);
    }

    #[test]
    fn an_observer_that_fails_ends_the_test_with_its_error_and_the_points_so_far() {
        let mut bowl = Bowl {
            w: 3.0,
            fail_at: None,
            steps: 0,
        };
        let mut fail_at_5 = |p: &Progress| match p.iteration {
            4 => Err(Halt::Fail("disk full".into())),
            _ => Ok(()),
        };
        match run(&mut bowl, RangeTestConfig::default(), &mut fail_at_5) {
            Err(RunError::Observer { source, partial }) => {
                assert_eq!(source.to_string(), "disk full");
                assert_eq!(partial.curve.len(), 5);
            }
            other => panic!("expected the observer's error, got {other:?}"),
        }
        assert_eq!(bowl.w, 3.0);
    }
}
