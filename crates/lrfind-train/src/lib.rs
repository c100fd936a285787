//! Training with a found rate: epochs of optimizer steps under a schedule, held-out scoring after
//! each epoch, and range tests again from the current weights when the [`RefindPolicy`] says so
//! (state restored after each, the schedule restarted from the new rate for the remaining steps).
//!
//! [`Trainer::training`] drives any [`Probe`], so it trains burn, candle or any other framework's
//! model; what it does is reported to a [`TrainObserver`] (progress, tables, files), which can
//! also interrupt it.
//!
//! Also here: the re-find policy ([`RefindPolicy`], with the warm-up a re-find from trained weights
//! takes), checkpoints a run resumes from ([`Checkpoint`]), what a run recorded ([`History`], written
//! as [`HistoryDocument`]), and the statistics that score a rate against a grid search ([`regret`]).
//!
//! ```
//! use lrfind_train::regret::{best_point, log_grid};
//! let grid = log_grid(1e-4, 1e-1, 4); // 1e-4, 1e-3, 1e-2, 1e-1
//! assert!((grid[1] / 1e-3 - 1.0).abs() < 1e-12);
//! let mean_loss = [0.9, 0.4, 0.3, f64::INFINITY]; // a grid's held-out losses; the last diverged
//! assert_eq!(best_point(&mean_loss), Some((2, 0.3)));
//! ```

#![warn(missing_docs)]

mod checkpoint;
mod history;
mod refind;
pub mod refinement;
pub mod regret;

pub use checkpoint::{Checkpoint, CheckpointError};
pub use history::{
    range_test_stem, Ended, EpochDocument, EpochRow, History, HistoryDocument, RefindDocument,
    RefindRecord, StepsDocument, HISTORY_SCHEMA,
};
pub use refind::{PlateauWatch, RefindPolicy};
pub use refinement::{Horizon, Refine};

use lrfind::document::{Candidate, Cost, RunFor};
use lrfind::metric::HeldOutScore;
use lrfind::schedule::{
    FoundRates, MissingRate, RateUse, Schedule, ScheduleConfig, ScheduleError, TakeRates,
};
pub use lrfind::Halt;
use lrfind::{
    analyze_result, Analysis, AnalyzeError, AnalyzeOptions, Method, Observer, Probe, Progress,
    RangeTestConfig, RangeTestResult, RunError, StopReason,
};

/// Where the rate comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LrChoice {
    /// A range test before training; its suggestion (or bounds) sets the schedule's rate.
    Auto,
    /// This rate.
    Fixed(f64),
}

/// Warm-up steps of a re-find by default. From trained weights the loss does not move at tiny
/// rates, so a re-find's curve is batch noise until the loss rises; 20 steps at the start rate
/// measure that noise (the mean's standard error is then 22% of a batch's spread) so the analysis
/// reads only what lies beyond it. The first range test runs without (fastai's curve, exactly).
pub const DEFAULT_REFIND_WARMUP: usize = 20;

/// A training run's settings.
#[derive(Debug, Clone)]
pub struct Trainer {
    /// Epochs to train.
    pub epochs: usize,
    /// The rate, or `Auto` for a range test first.
    pub lr: LrChoice,
    /// The schedule, restarted after every re-find.
    pub schedule: ScheduleConfig,
    /// When to run the range test again.
    pub refind: RefindPolicy,
    /// The range test's settings (before training and for every re-find).
    pub range_test: RangeTestConfig,
    /// Warm-up steps of the re-finds after the first range test (see [`RangeTestConfig::warmup`];
    /// [`DEFAULT_REFIND_WARMUP`]): they start the smoothing settled and measure the batch noise
    /// the re-find's curve is read against ([`lrfind::noise`]).
    pub refind_warmup: usize,
    /// How a range test's curve is read.
    pub analysis: AnalyzeOptions,
    /// The rule whose suggestion is taken.
    pub method: Method,
    /// Sets the optimizer's momentum (β1) every step to the schedule's, when the schedule
    /// cycles it (one-cycle, cyclic) and the probe's optimizer has one ([`Probe::set_momentum`]).
    pub cycle_momentum: bool,
    /// After the range test before training (and each re-find with [`Refine::refinds`]), refine
    /// its suggestion ([`Trainer::refine`]): from the same state, each candidate rate trains its
    /// share of the remaining steps under the schedule, is scored on the held-out data, and the
    /// state is restored; the lowest held-out loss gives the rate. Not for cyclic schedules (they
    /// take the bounds).
    pub refine: Option<Refine>,
}

/// The schedule a run is following: its settings with the rates it took, the length it was built
/// for, and the optimizer step it started at (0, or the step of the re-find that restarted it).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RunningSchedule {
    /// The settings, rates included.
    pub config: ScheduleConfig,
    /// The base rate it was built from.
    pub lr: Option<f64>,
    /// The optimizer steps it was built for.
    pub steps: usize,
    /// The step it started at.
    pub start: usize,
}

impl RunningSchedule {
    fn build(&self) -> Result<Box<dyn Schedule>, ScheduleError> {
        self.config.build(self.lr, self.steps)
    }

    /// The schedule where `history` left it: built, then stepped as the run stepped it — once
    /// per optimizer step since its start, or (plateau) once per epoch with that epoch's
    /// held-out loss. The same operations in the same order: the same rates to the bit.
    fn resume(
        &self,
        history: &History,
        steps_per_epoch: usize,
    ) -> Result<Box<dyn Schedule>, ScheduleError> {
        let mut schedule = self.build()?;
        if self.config.per_epoch() {
            let first = self.start / steps_per_epoch.max(1);
            for row in history.epochs.iter().skip(first) {
                schedule.step(Some(row.chosen_loss()))?;
            }
        } else {
            for _ in self.start..history.step_lr.len() {
                schedule.step(None)?;
            }
        }
        Ok(schedule)
    }
}

/// Where a run stands after an epoch: with the model and optimizer saved beside it, enough to
/// continue it exactly ([`Training::resume`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrainState {
    /// The next epoch to train.
    pub epoch: usize,
    /// The schedule being followed.
    pub schedule: RunningSchedule,
    /// The held-out loss's best so far (re-find on plateau).
    pub watch: PlateauWatch,
    /// Everything recorded so far.
    pub history: History,
}

/// The per-run arguments of [`Trainer::fit_inner`].
struct Run<'r, 's, P, S> {
    steps_per_epoch: usize,
    score: &'r mut S,
    select: Option<&'r mut Score<'s, P>>,
    checkpoint: &'r mut SaveState<'r, P>,
}

/// What a run chooses on: the selection score when it has one, else the held-out score.
fn chooser<'s, P>(
    select: &'s mut Option<&mut Score<'_, P>>,
    score: &'s mut impl FnMut(&P) -> Option<HeldOutScore>,
) -> &'s mut Score<'s, P> {
    match select {
        Some(select) => *select,
        None => score,
    }
}

/// A score of the probe's model ([`Training::select`]).
pub type Score<'a, P> = dyn FnMut(&P) -> Option<HeldOutScore> + 'a;

/// What saves a run's [`TrainState`] after each epoch ([`Training::checkpoint`]).
pub type SaveState<'a, P> = dyn FnMut(&P, &TrainState) -> Result<(), Halt> + 'a;

/// One run of a [`Trainer`], configured and then driven ([`Trainer::training`]).
pub struct Training<'a, P: Probe + 'a, S> {
    trainer: &'a Trainer,
    steps_per_epoch: usize,
    score: S,
    select: Option<&'a mut Score<'a, P>>,
    observer: Option<&'a mut dyn TrainObserver>,
    checkpoint: Option<&'a mut SaveState<'a, P>>,
    resume: Option<TrainState>,
}

impl<'a, P, S> Training<'a, P, S>
where
    P: Probe + 'a,
    S: FnMut(&P) -> Option<HeldOutScore>,
{
    /// Reports every event of the run (range-test steps, each range test, the rate taken, each
    /// step and epoch) to `observer`, which can stop it.
    pub fn observe(mut self, observer: &'a mut dyn TrainObserver) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Chooses on `select` — a selection split carved from the training data — instead of the
    /// held-out score the epochs report: a refinement's candidates, the plateau watch of
    /// [`RefindPolicy::OnPlateau`] and a plateau schedule read it, so that what is reported was not
    /// also what chose. Without it a run chooses on the held-out score.
    pub fn select(mut self, select: &'a mut Score<'a, P>) -> Self {
        self.select = Some(select);
        self
    }

    /// Hands the run's [`TrainState`] to `save` after every epoch, with the probe, whose model and
    /// optimizer the caller saves beside it ([`Checkpoint`]).
    pub fn checkpoint(mut self, save: &'a mut SaveState<'a, P>) -> Self {
        self.checkpoint = Some(save);
        self
    }

    /// Continues the run that `state` was saved from; the probe must hold the model and optimizer
    /// saved with it. A resumed run ends exactly where the uninterrupted one ends.
    pub fn resume(mut self, state: TrainState) -> Self {
        self.resume = Some(state);
        self
    }

    /// Trains `probe`: a range test first when the rate is [`LrChoice::Auto`], re-finds when the
    /// [`RefindPolicy`] says so, the schedule stepped every optimizer step.
    pub fn run(self, probe: &mut P) -> Outcome<P::Error> {
        let Training {
            trainer,
            steps_per_epoch,
            mut score,
            select,
            observer,
            checkpoint,
            resume,
        } = self;
        let mut unobserved = ();
        let observer: &mut dyn TrainObserver = match observer {
            Some(observer) => observer,
            None => &mut unobserved,
        };
        let mut unsaved = |_: &P, _: &TrainState| Ok(());
        let checkpoint: &mut SaveState<'_, P> = match checkpoint {
            Some(save) => save,
            None => &mut unsaved,
        };
        let run = Run {
            steps_per_epoch,
            score: &mut score,
            select,
            checkpoint,
        };
        let mut history = History::default();
        let result = trainer.fit_inner(probe, run, observer, &mut history, resume);
        history.ended = match &result {
            Ok(()) => Ended::Completed,
            Err(TrainError::Interrupted) => Ended::Interrupted,
            Err(TrainError::Diverged { .. }) => Ended::Diverged,
            Err(_) => Ended::Failed,
        };
        Outcome { history, result }
    }
}

/// How a run ended and what it recorded.
#[derive(Debug)]
pub struct Outcome<E: std::error::Error + 'static> {
    /// Everything recorded, also when the run stopped early; [`History::ended`] says how it ended.
    pub history: History,
    /// `Ok` when every epoch ran, else why the run stopped.
    pub result: Result<(), TrainError<E>>,
}

impl<E: std::error::Error + 'static> Outcome<E> {
    /// The history of a run that completed, or why it stopped.
    pub fn completed(self) -> Result<History, TrainError<E>> {
        self.result.map(|()| self.history)
    }
}

/// What a run reports as it goes.
#[derive(Debug)]
pub enum Event<'a> {
    /// A range-test step.
    RangeTestStep(&'a Progress),
    /// A range-test step failed; the points before it are kept.
    RangeTestStepFailed {
        /// The failed step.
        iteration: usize,
        /// Why.
        error: &'a (dyn std::error::Error + Send + Sync),
        /// Points kept.
        kept: usize,
    },
    /// A range test finished (before `epoch`), analysed.
    RangeTest {
        /// The epoch it ran before.
        epoch: usize,
        /// Its curve.
        result: &'a RangeTestResult,
        /// Its suggestions.
        analysis: &'a Analysis,
    },
    /// The schedule restarted from a range test's rate.
    RateTaken {
        /// The epoch it ran before.
        epoch: usize,
        /// The rate taken.
        used: RateUse,
        /// What choosing it cost: the range test's steps and the candidates', against the run's.
        cost: Cost,
        /// Whether scoring candidate runs chose it (see [`Event::CandidatesScored`]).
        by_candidates: bool,
    },
    /// A re-find gave no rate the schedule takes (its curve never fell beyond the batch noise,
    /// say): the run keeps the schedule it was following.
    ScheduleKept {
        /// The epoch it ran before.
        epoch: usize,
        /// What was missing.
        missing: &'a MissingRate,
    },
    /// An epoch of `steps` optimizer steps begins.
    EpochStart {
        /// From 0.
        epoch: usize,
        /// Its optimizer steps.
        steps: usize,
    },
    /// One optimizer step was taken.
    Step {
        /// Its epoch.
        epoch: usize,
        /// Its index in the epoch.
        step: usize,
        /// Its lr.
        lr: f64,
        /// Its training loss.
        loss: f64,
    },
    /// An epoch ended and was scored.
    Epoch(&'a EpochRow),
    /// A step of a refinement's candidate run.
    CandidateStep {
        /// The epoch the refinement runs before.
        epoch: usize,
        /// The candidate, from 0.
        candidate: usize,
        /// Candidates in all.
        of: usize,
        /// Its index in the candidate's run.
        step: usize,
        /// The candidate's steps.
        steps: usize,
    },
    /// A refinement ended: every candidate's outcome, and the rate taken.
    CandidatesScored {
        /// The epoch it ran before.
        epoch: usize,
        /// Every candidate.
        candidates: &'a [Candidate],
        /// The rate taken.
        lr: f64,
    },
}

/// An observer of a training run's events: any [`lrfind::Observer`] of [`Event`] — the one
/// observer trait of lrfind, the range test's too ([`Event::RangeTestStep`] carries its steps).
/// A closure `|e: Event<'_>| -> Result<(), Halt>` is one.
pub trait TrainObserver: for<'a> Observer<Event<'a>> {}

impl<T: for<'a> Observer<Event<'a>> + ?Sized> TrainObserver for T {}

/// A rule setting of a [`Trainer`] that no range test could satisfy.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RuleError {
    /// The rule whose rate is taken does not run.
    #[error("method {method} is not among analysis.methods ({ran}); add it, or take one of those")]
    NotRun {
        /// `method`.
        method: Method,
        /// The rules `analysis.methods` runs.
        ran: String,
    },
    /// A rule that gives a range is taken by a schedule that needs one rate.
    #[error(
        "method bounds gives a range, which only a cyclic schedule takes; this one is {schedule}"
    )]
    Range {
        /// The schedule's kind.
        schedule: &'static str,
    },
    /// A cyclic schedule takes the bounds, and they are not read.
    #[error(
        "a cyclic schedule takes the bounds rule's range; analysis.methods ({ran}) has no bounds"
    )]
    NoBounds {
        /// The rules `analysis.methods` runs.
        ran: String,
    },
}

/// Why a run stopped early. The history up to that point is in the run's [`Outcome`].
#[derive(Debug, thiserror::Error)]
pub enum TrainError<E: std::error::Error + 'static> {
    /// Nothing to train.
    #[error("epochs must be at least 1")]
    NoEpochs,
    /// A range test's rate could not be taken (checked before training).
    #[error(transparent)]
    Rules(#[from] RuleError),
    /// The schedule could not be built or stepped.
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
    /// A range test could not run.
    #[error("the range test at epoch {epoch} failed: {source}")]
    RangeTest {
        /// The epoch it ran before.
        epoch: usize,
        /// Why.
        source: RunError<E>,
    },
    /// A range test's curve could not be analysed.
    #[error("the range test at epoch {epoch} cannot be analysed: {source}")]
    Analyze {
        /// The epoch it ran before.
        epoch: usize,
        /// Why.
        source: AnalyzeError,
    },
    /// A range test gave no rate the schedule can take.
    #[error("the range test at epoch {epoch} gave {missing}")]
    NoRate {
        /// The epoch it ran before.
        epoch: usize,
        /// Which suggestion was missing.
        missing: MissingRate,
    },
    /// A training step failed.
    #[error("training step {step} of epoch {epoch} failed: {source}")]
    Step {
        /// Its epoch.
        epoch: usize,
        /// Its index in the epoch.
        step: usize,
        /// Why.
        source: E,
    },
    /// A training loss was not finite.
    #[error("training diverged at epoch {epoch}, step {step}: loss {loss} at lr {lr:.3e}")]
    Diverged {
        /// Its epoch.
        epoch: usize,
        /// Its index in the epoch.
        step: usize,
        /// The loss.
        loss: f64,
        /// The lr.
        lr: f64,
    },
    /// The model could not be scored.
    #[error("the model could not be scored after epoch {0}")]
    NoScore(usize),
    /// A refinement could not save or restore the training state around a candidate.
    #[error("the refinement at epoch {epoch} could not save or restore the state: {source}")]
    Refine {
        /// The epoch it ran before.
        epoch: usize,
        /// Why.
        source: E,
    },
    /// A refinement was asked for with no candidates.
    #[error("refine.candidates must be at least 1")]
    NoCandidates,
    /// A refinement's share of the run is not in (0, 1].
    #[error("refine.share must be in (0, 1], got {share}")]
    RefineShare {
        /// `refine.share`.
        share: f64,
    },
    /// The observer asked to stop.
    #[error("interrupted")]
    Interrupted,
    /// A checkpoint could not be loaded into the model or optimizer.
    #[error("cannot resume from the checkpoint: {0}")]
    Resume(String),
    /// The observer failed.
    #[error(transparent)]
    Observer(Box<dyn std::error::Error + Send + Sync>),
}

impl<E: std::error::Error + 'static> From<Halt> for TrainError<E> {
    fn from(h: Halt) -> Self {
        match h {
            Halt::Interrupt => TrainError::Interrupted,
            Halt::Fail(e) => TrainError::Observer(e),
        }
    }
}

impl Trainer {
    /// A run of `epochs` at `lr` under `schedule`, no re-finds, the default range test and rule,
    /// momentum cycled when the schedule cycles it.
    pub fn new(epochs: usize, lr: LrChoice, schedule: ScheduleConfig) -> Trainer {
        Trainer {
            epochs,
            lr,
            schedule,
            refind: RefindPolicy::Never,
            range_test: RangeTestConfig::default(),
            refind_warmup: DEFAULT_REFIND_WARMUP,
            analysis: AnalyzeOptions::default(),
            method: lrfind::DEFAULT_METHOD,
            cycle_momentum: true,
            refine: None,
        }
    }

    /// Whether every range test this run will do can give the rate it takes: the rule `method`
    /// runs and gives one rate, or — under a cyclic schedule — the bounds rule runs. Runs that do
    /// no range test (a fixed rate, no re-finds) pass whatever the rules.
    pub fn check_rules(&self) -> Result<(), RuleError> {
        if self.lr != LrChoice::Auto && self.refind == RefindPolicy::Never {
            return Ok(());
        }
        let ran = || {
            let names: Vec<&str> = self.analysis.methods.iter().map(|m| m.name()).collect();
            names.join(",")
        };
        if matches!(self.schedule, ScheduleConfig::Cyclic(_)) {
            return match self.analysis.methods.contains(&Method::Bounds) {
                true => Ok(()),
                false => Err(RuleError::NoBounds { ran: ran() }),
            };
        }
        if self.method == Method::Bounds {
            return Err(RuleError::Range {
                schedule: self.schedule.kind().name(),
            });
        }
        if !self.analysis.methods.contains(&self.method) {
            return Err(RuleError::NotRun {
                method: self.method,
                ran: ran(),
            });
        }
        Ok(())
    }

    /// The range test's settings before `epoch`: [`Trainer::range_test`] before training, with
    /// [`Trainer::refind_warmup`] warm-up steps for every re-find (from trained weights the curve
    /// is read against the batch noise the warm-up measures).
    pub fn range_test_before(&self, epoch: usize) -> RangeTestConfig {
        let mut config = self.range_test;
        if epoch > 0 {
            config.warmup = self.refind_warmup;
        }
        config
    }

    /// The refinement of the range test before `epoch`: [`Trainer::refine`] before training, and
    /// at re-finds with [`Refine::refinds`]; never under a cyclic schedule (it takes the bounds).
    pub fn refine_before(&self, epoch: usize) -> Option<Refine> {
        let cyclic = matches!(self.schedule, ScheduleConfig::Cyclic(_));
        self.refine.filter(|r| !cyclic && (epoch == 0 || r.refinds))
    }

    /// Whether a run of this trainer chooses anything by a score — a refinement (before
    /// training with [`LrChoice::Auto`], or at re-finds), the plateau watch of
    /// [`RefindPolicy::OnPlateau`], a plateau schedule — and so should choose on a selection split
    /// ([`Training::select`]) rather than on the held-out data it reports.
    pub fn chooses(&self) -> bool {
        let refines_first = self.lr == LrChoice::Auto && self.refine_before(0).is_some();
        let refines_later =
            self.refind != RefindPolicy::Never && self.refine.is_some_and(|r| r.refinds);
        let on_plateau = matches!(self.refind, RefindPolicy::OnPlateau { .. });
        refines_first || refines_later || on_plateau || self.schedule.per_epoch()
    }

    /// The run this trainer trains with `steps_per_epoch` optimizer steps per epoch, as a
    /// recommendation names it.
    pub fn run_for(&self, steps_per_epoch: usize) -> RunFor {
        RunFor {
            epochs: self.epochs,
            steps: self.epochs * steps_per_epoch,
            schedule: self.schedule.kind().name().to_string(),
        }
    }

    /// A run of this trainer: [`Trainer::epochs`] epochs of `steps_per_epoch` optimizer steps,
    /// the model scored by `score` after each epoch. Say what watches it
    /// ([`Training::observe`]), where its checkpoints go ([`Training::checkpoint`]) and what it
    /// continues ([`Training::resume`]), then drive a probe with [`Training::run`].
    pub fn training<'a, P, S>(&'a self, steps_per_epoch: usize, score: S) -> Training<'a, P, S>
    where
        P: Probe + 'a,
        S: FnMut(&P) -> Option<HeldOutScore>,
    {
        Training {
            trainer: self,
            steps_per_epoch,
            score,
            select: None,
            observer: None,
            checkpoint: None,
            resume: None,
        }
    }

    fn fit_inner<P: Probe, O: TrainObserver + ?Sized>(
        &self,
        probe: &mut P,
        run: Run<'_, '_, P, impl FnMut(&P) -> Option<HeldOutScore>>,
        observer: &mut O,
        history: &mut History,
        resume: Option<TrainState>,
    ) -> Result<(), TrainError<P::Error>> {
        let Run {
            steps_per_epoch,
            score,
            mut select,
            checkpoint,
        } = run;
        if self.epochs == 0 {
            return Err(TrainError::NoEpochs);
        }
        self.check_rules()?;
        if let Some(refine) = self.refine {
            refine.validate()?;
        }
        let total = self.epochs * steps_per_epoch;
        let (first, mut running, mut schedule, mut watch) = match resume {
            Some(state) => {
                *history = state.history;
                let schedule = state.schedule.resume(history, steps_per_epoch)?;
                (state.epoch, state.schedule, schedule, state.watch)
            }
            None => {
                let running = match self.lr {
                    LrChoice::Auto => {
                        let choose = chooser(&mut select, score);
                        self.refind(probe, 0, steps_per_epoch, choose, observer, history)?
                    }
                    LrChoice::Fixed(lr) => RunningSchedule {
                        config: self.schedule.clone(),
                        lr: Some(lr),
                        steps: total.max(1),
                        start: 0,
                    },
                };
                let schedule = running.build()?;
                (0, running, schedule, PlateauWatch::default())
            }
        };
        for epoch in first..self.epochs {
            if self.refind.due(epoch, &watch) {
                let choose = chooser(&mut select, score);
                match self.refind(probe, epoch, steps_per_epoch, choose, observer, history) {
                    Ok(refound) => {
                        running = refound;
                        schedule = running.build()?;
                    }
                    // Before training a rate is needed; afterwards the current schedule stands.
                    Err(TrainError::NoRate { missing, .. }) if epoch > 0 => {
                        observer.on_event(Event::ScheduleKept {
                            epoch,
                            missing: &missing,
                        })?;
                    }
                    Err(e) => return Err(e),
                }
                watch.since_best = 0;
            }
            observer.on_event(Event::EpochStart {
                epoch,
                steps: steps_per_epoch,
            })?;
            let lr_start = schedule.lr();
            let mut sum = 0.0;
            for step in 0..steps_per_epoch {
                let lr = schedule.lr();
                if let Some(m) = schedule.momentum().filter(|_| self.cycle_momentum) {
                    if probe.set_momentum(m) {
                        history.step_momentum.push(m);
                    }
                }
                let loss = probe.step(lr).map_err(|source| TrainError::Step {
                    epoch,
                    step,
                    source,
                })?;
                history.step_lr.push(lr);
                history.step_loss.push(loss);
                if !loss.is_finite() {
                    return Err(TrainError::Diverged {
                        epoch,
                        step,
                        loss,
                        lr,
                    });
                }
                sum += loss;
                if !self.schedule.per_epoch() {
                    schedule.step(None)?;
                }
                observer.on_event(Event::Step {
                    epoch,
                    step,
                    lr,
                    loss,
                })?;
            }
            let lr_end = *history.step_lr.last().unwrap_or(&lr_start);
            let held_out = score(probe).ok_or(TrainError::NoScore(epoch))?;
            let select_loss = match select.as_mut() {
                Some(select) => Some(select(probe).ok_or(TrainError::NoScore(epoch))?.loss),
                None => None,
            };
            let row = EpochRow {
                epoch,
                lr_start,
                lr_end,
                train_loss: sum / steps_per_epoch as f64,
                val_loss: held_out.loss,
                metric: held_out.metric,
                select_loss,
            };
            if self.schedule.per_epoch() {
                schedule.step(Some(row.chosen_loss()))?;
            }
            watch.observe(row.chosen_loss());
            observer.on_event(Event::Epoch(&row))?;
            history.epochs.push(row);
            let state = TrainState {
                epoch: epoch + 1,
                schedule: running.clone(),
                watch,
                history: history.clone(),
            };
            checkpoint(probe, &state)?;
        }
        Ok(())
    }

    /// A range test from the current state (restored after), and the schedule for the
    /// steps left from `epoch` on (epochs of `steps_per_epoch`) from its rate (built from the step
    /// it starts at).
    fn refind<P: Probe, O: TrainObserver + ?Sized>(
        &self,
        probe: &mut P,
        epoch: usize,
        steps_per_epoch: usize,
        score: &mut Score<'_, P>,
        observer: &mut O,
        history: &mut History,
    ) -> Result<RunningSchedule, TrainError<P::Error>> {
        let remaining = (self.epochs - epoch) * steps_per_epoch;
        let config = self.range_test_before(epoch);
        let mut on_step = |p: &Progress| observer.on_event(Event::RangeTestStep(p));
        let result = match lrfind::run(probe, config, &mut on_step) {
            Ok(r) => r,
            Err(RunError::Step {
                iteration,
                source,
                partial,
            }) => {
                observer.on_event(Event::RangeTestStepFailed {
                    iteration,
                    error: &source,
                    kept: partial.curve.len(),
                })?;
                *partial
            }
            Err(RunError::Observer { source, .. }) => return Err(TrainError::Observer(source)),
            Err(source) => return Err(TrainError::RangeTest { epoch, source }),
        };
        if result.stopped == StopReason::Interrupted {
            return Err(TrainError::Interrupted);
        }
        let range_test_steps = result.curve.len() + config.warmup;
        let analysis = analyze_result(&result, &self.analysis)
            .map_err(|source| TrainError::Analyze { epoch, source })?;
        observer.on_event(Event::RangeTest {
            epoch,
            result: &result,
            analysis: &analysis,
        })?;
        let mut found = FoundRates {
            method: self.method,
            suggestion: analysis.suggestion(self.method).map(|s| s.lr),
            bounds: analysis.bounds().map(|b| (b.base_lr, b.max_lr)),
        };
        let mut candidates = Vec::new();
        let mut candidate_steps = 0;
        if let (Some(refine), Some(lr)) = (self.refine_before(epoch), found.suggestion) {
            let horizon = refine.horizon(remaining);
            candidate_steps = horizon.steps;
            let mut forward = |e: Event<'_>| observer.on_event(e);
            let refined = self.refine(probe, epoch, lr, &refine, horizon, score, &mut forward)?;
            observer.on_event(Event::CandidatesScored {
                epoch,
                candidates: &refined.candidates,
                lr: refined.lr,
            })?;
            found.suggestion = Some(refined.lr);
            candidates = refined.candidates;
        }
        let (config, lr, used) = self
            .schedule
            .take_rates(&found)
            .map_err(|missing| TrainError::NoRate { epoch, missing })?;
        let by_candidates = !candidates.is_empty();
        let cost = Cost::new(
            range_test_steps,
            candidates.len(),
            candidate_steps,
            Some(self.epochs * steps_per_epoch),
        );
        history.refinds.push(RefindRecord {
            epoch,
            method: self.method,
            lr: used.lr(),
            step: history.step_lr.len(),
            candidates,
        });
        observer.on_event(Event::RateTaken {
            epoch,
            used,
            cost,
            by_candidates,
        })?;
        Ok(RunningSchedule {
            config,
            lr,
            steps: remaining.max(1),
            start: history.step_lr.len(),
        })
    }
}
