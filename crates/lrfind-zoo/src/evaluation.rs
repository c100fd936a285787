//! One seed of `lrfind evaluate`: from the same initial weights, train at every rate of a grid
//! (the oracle) and at every rule's suggestion, and keep each run's final held-out loss. The
//! statistics over seeds (mean, best, regret) are [`lrfind_train::regret`]'s.

use crate::task::{held_out_score, LossFn, Task};
use burn::module::Module;
use lrfind::document::Refinement;
use lrfind::schedule::{OneCycleConfig, ScheduleConfig, ScheduleKind};
use lrfind::{analyze, AnalyzeError, AnalyzeOptions, Method, RangeTestConfig, RunError};
use lrfind_burn::optim::{BuiltOptimizer, MomentumControl, OptimizerKind, SCHEDULE_FREE_LR};
use lrfind_burn::probe::ProbeError;
use lrfind_burn::{Batches, BurnProbe};
use lrfind_train::regret::{Outcome, SeedRuns};
use lrfind_train::{Event, Halt, Horizon, Refine, TrainError, TrainObserver};
use lrfind_train::{LrChoice, Trainer};
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};

/// The schedules every run of an evaluation can train with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum EvalSchedule {
    /// The rate itself, every step.
    #[default]
    Constant,
    /// One-cycle with the rate as max_lr.
    OneCycle,
    /// Cosine annealing from the rate over the run.
    Cosine,
}

impl EvalSchedule {
    /// Its schedule kind.
    pub fn kind(self) -> ScheduleKind {
        match self {
            EvalSchedule::Constant => ScheduleKind::Constant,
            EvalSchedule::OneCycle => ScheduleKind::OneCycle,
            EvalSchedule::Cosine => ScheduleKind::Cosine,
        }
    }

    /// Its settings: PyTorch's defaults, the run's length where a length is needed.
    pub fn config(self) -> ScheduleConfig {
        ScheduleConfig::default_of(self.kind())
            .expect("constant, one-cycle and cosine have defaults")
    }
}

/// What one evaluation trains.
#[derive(Debug, Clone)]
pub struct EvaluationPlan {
    /// The oracle's rates.
    pub grid: Vec<f64>,
    /// Epochs of every run.
    pub epochs: usize,
    /// The schedule of every run.
    pub schedule: EvalSchedule,
    /// The range test's settings.
    pub range_test: RangeTestConfig,
    /// How its curve is read.
    pub analysis: AnalyzeOptions,
    /// How the [`REFINED`] row refines the recommendation (`train`'s default: [`Refine::default`]).
    pub refine: Refine,
}

/// The rules an evaluation trains at a single rate: every rule but the bounds, in report order.
fn point_rules() -> impl Iterator<Item = Method> {
    Method::ALL.into_iter().filter(|m| *m != Method::Bounds)
}

/// The names of the rows an evaluation reports, in order: every point rule, [`REFINED`],
/// [`ONE_CYCLE_BOUNDS`], [`LR_FREE`], then [`SCHEDULE_FREE`].
pub fn rule_names() -> Vec<String> {
    point_rules()
        .map(|m| m.name().to_string())
        .chain([REFINED, ONE_CYCLE_BOUNDS, LR_FREE, SCHEDULE_FREE].map(String::from))
        .collect()
}

/// The label of the baseline that needs no finder: Prodigy (prodigyopt's defaults) at lr 1 under
/// the evaluation's schedule, from the same weights — whatever optimizer the task names.
pub const LR_FREE: &str = "prodigy(lr=1)";

/// The label of the other baseline that needs no finder: Schedule-Free AdamW (Defazio et al. 2024;
/// schedulefree's defaults, lr 0.0025) at a constant rate — it needs no schedule, whatever the
/// evaluation's — from the same weights, evaluated at its average.
pub const SCHEDULE_FREE: &str = "schedulefree-adamw(lr=0.0025)";

/// The label of the refined recommendation ([`Trainer::refine`] with its defaults, as
/// `train --refine 5`): from the same weights, each of ¼…4 × the recommended rate trains a fifth
/// of the run, and the one with the lowest held-out loss is trained in full.
pub const REFINED: &str = "consensus+refine";

/// The label of one-cycle trained over the bounds (max_lr, div_factor = max_lr / base_lr).
pub const ONE_CYCLE_BOUNDS: &str = "one-cycle(bounds)";

/// Why a seed could not be evaluated.
#[derive(Debug, thiserror::Error)]
pub enum EvaluationError {
    /// The range test could not run.
    #[error(transparent)]
    RangeTest(#[from] RunError<ProbeError<std::convert::Infallible>>),
    /// Its curve could not be read.
    #[error(transparent)]
    Analyze(#[from] AnalyzeError),
    /// The refinement failed (not by diverging: a diverged candidate scores ∞).
    #[error("the refinement failed: {0}")]
    Refine(TrainError<ProbeError<std::convert::Infallible>>),
    /// The stop flag was set: the seed's runs stopped at their next step.
    #[error("interrupted")]
    Interrupted,
}

/// What one run trains with.
#[derive(Debug, Clone, Copy)]
enum Plan {
    Rate(f64),
    Bounds(f64, f64),
    /// Prodigy at this lr (its multiplier of the estimated step size).
    LrFree(f64),
    /// Schedule-Free AdamW at this lr, at a constant rate.
    ScheduleFree(f64),
}

/// The batches of a seed: what trains, what chooses, and what the runs are scored on.
pub struct SeedData<'a, B> {
    /// The training batches.
    pub train: &'a Batches<B>,
    /// The selection split the refinement's candidates are scored on (none: the held-out).
    pub select: Option<&'a Batches<B>>,
    /// The held-out batches every run's reported loss is measured on.
    pub valid: &'a Batches<B>,
}

/// Runs one seed of `plan` from `model` (restored after the range test): the grid and every
/// rule's rate, in parallel, each from its own copy of the weights and a fresh optimizer;
/// `progress` is called after each run. Once `stop` is set, the range test and every run stop at
/// their next step and the seed is [`EvaluationError::Interrupted`].
pub fn evaluate_seed<M, T>(
    model: &M,
    task: &T,
    data: SeedData<'_, T::Batch>,
    optimizer: &(dyn Fn() -> (BuiltOptimizer, Option<MomentumControl>) + Sync),
    plan: &EvaluationPlan,
    progress: &(dyn Fn() + Sync),
    stop: Option<&AtomicBool>,
) -> Result<SeedRuns, EvaluationError>
where
    M: Module + Clone + Send + Sync,
    T: Task<M> + Send + Sync,
    T::Batch: Send + Sync,
{
    let SeedData {
        train,
        select,
        valid,
    } = data;
    let steps_per_epoch = train.len();
    let steps = plan.epochs * steps_per_epoch;
    let mut probe = crate::task::probe(model.clone(), optimizer().0, train.clone(), task.clone());
    let stopped = || stop.is_some_and(|s| s.load(Ordering::SeqCst));
    let mut observer = |_: &lrfind::Progress| match stopped() {
        true => Err(Halt::Interrupt),
        false => Ok(()),
    };
    let result = match lrfind::run(&mut probe, plan.range_test, &mut observer) {
        Ok(r) => r,
        Err(RunError::Step { partial, .. }) => *partial,
        Err(e) => return Err(e.into()),
    };
    if stopped() {
        return Err(EvaluationError::Interrupted);
    }
    let options = lrfind::AnalyzeOptions {
        num_iter: Some(result.num_iter),
        ..plan.analysis.clone()
    };
    let analysis = analyze(&result.curve, &options)?;
    let seed = Seed {
        model,
        task,
        train,
        select: select.unwrap_or(valid),
        valid,
        optimizer,
        schedule: plan.schedule,
        stop,
    };
    let mut plans: Vec<(String, Plan)> = plan
        .grid
        .iter()
        .map(|&lr| ("grid".to_string(), Plan::Rate(lr)))
        .collect();
    for method in point_rules() {
        if let Some(s) = analysis.suggestion(method) {
            plans.push((method.name().to_string(), Plan::Rate(s.lr)));
        }
    }
    let mut refine_steps = 0;
    if let Some(s) = analysis.suggestion(lrfind::DEFAULT_METHOD) {
        let refine = &plan.refine;
        let lr = match seed.refine(s.lr, refine, refine.horizon(steps), progress) {
            Ok(refined) => {
                refine_steps = refined.candidates.len() * refined.steps;
                refined.lr
            }
            Err(TrainError::Interrupted) => return Err(EvaluationError::Interrupted),
            Err(e) => return Err(EvaluationError::Refine(e)),
        };
        plans.push((REFINED.to_string(), Plan::Rate(lr)));
    }
    if let Some(b) = analysis.bounds() {
        plans.push((
            ONE_CYCLE_BOUNDS.to_string(),
            Plan::Bounds(b.base_lr, b.max_lr),
        ));
    }
    plans.push((LR_FREE.to_string(), Plan::LrFree(1.0)));
    plans.push((
        SCHEDULE_FREE.to_string(),
        Plan::ScheduleFree(SCHEDULE_FREE_LR),
    ));
    let outcomes: Vec<(String, Plan, Outcome)> = plans
        .into_par_iter()
        .map(|(name, run)| {
            let outcome = seed.train(run, steps);
            progress();
            (name, run, outcome)
        })
        .collect();
    if stopped() {
        return Err(EvaluationError::Interrupted);
    }
    let mut grid = Vec::new();
    let mut rules = Vec::new();
    for (name, run, outcome) in outcomes {
        match (name.as_str(), run) {
            ("grid", _) => grid.push(outcome),
            (
                _,
                Plan::Rate(lr) | Plan::Bounds(_, lr) | Plan::LrFree(lr) | Plan::ScheduleFree(lr),
            ) => rules.push((name, lr, outcome)),
        }
    }
    Ok(SeedRuns {
        grid,
        rules,
        finder_steps: result.curve.len(),
        refine_steps,
        steps_per_epoch,
    })
}

/// What every run of one seed shares: the initial weights, the task and its batches, the
/// optimizer's factory and the schedule.
pub(crate) struct Seed<'a, M, T: Task<M>> {
    pub model: &'a M,
    pub task: &'a T,
    pub train: &'a Batches<T::Batch>,
    /// What the refinement's candidates are scored on.
    pub select: &'a Batches<T::Batch>,
    pub valid: &'a Batches<T::Batch>,
    pub optimizer: &'a (dyn Fn() -> (BuiltOptimizer, Option<MomentumControl>) + Sync),
    pub schedule: EvalSchedule,
    /// Once set, every run stops at its next step (and counts as diverged).
    pub stop: Option<&'a AtomicBool>,
}

impl<M: Module + Clone, T: Task<M>> Seed<'_, M, T> {
    /// [`Trainer::refine`] of `lr` from the initial weights and a fresh optimizer, under the
    /// evaluation's schedule (as [`Seed::train`] trains a rate), scored on the selection split;
    /// `progress` is called after each candidate.
    pub fn refine(
        &self,
        lr: f64,
        refine: &Refine,
        horizon: Horizon,
        progress: &(dyn Fn() + Sync),
    ) -> Result<Refinement, TrainError<ProbeError<std::convert::Infallible>>> {
        let plan = Plan::Rate(lr);
        let mut probe = self.probe(plan);
        let score = |m: &M| held_out_score(self.task, m, self.select.all());
        let mut observer = self.observer(|e| {
            if let Event::CandidateStep { step, steps, .. } = e {
                if step + 1 == steps {
                    progress();
                }
            }
        });
        let trainer = self.trainer(plan);
        lrfind_burn::trainer::refine(
            &trainer,
            &mut probe,
            lr,
            refine,
            horizon,
            score,
            &mut observer,
        )
    }

    /// The trainer of `run`: one epoch at its rate under the evaluation's schedule, one-cycle
    /// over bounds, or Prodigy's multiplier under the schedule.
    fn trainer(&self, run: Plan) -> Trainer {
        let (lr, schedule) = match run {
            Plan::Rate(lr) | Plan::LrFree(lr) => (lr, self.schedule.config()),
            Plan::ScheduleFree(lr) => (lr, EvalSchedule::Constant.config()),
            Plan::Bounds(base, max) => (
                max,
                ScheduleConfig::OneCycle(OneCycleConfig {
                    max_lr: Some(max),
                    div_factor: max / base,
                    ..OneCycleConfig::default()
                }),
            ),
        };
        let mut trainer = Trainer::new(1, LrChoice::Fixed(lr), schedule);
        // Under `--schedule one-cycle` momentum cycles, as `train` cycles it; the
        // one-cycle(bounds) row of a constant-rate evaluation keeps it fixed (as docs/evaluation.md's
        // constant-rate table was measured).
        trainer.cycle_momentum = self.schedule == EvalSchedule::OneCycle;
        trainer
    }

    /// A probe of `run` on the initial weights with a fresh optimizer (Prodigy for
    /// [`Plan::LrFree`], else the task's).
    fn probe(
        &self,
        run: Plan,
    ) -> BurnProbe<M, Batches<T::Batch>, impl LossFn<M, T::Batch>, BuiltOptimizer> {
        let optimizer = match run {
            Plan::LrFree(_) => OptimizerKind::Prodigy.build_cycling(Default::default()),
            Plan::ScheduleFree(_) => {
                OptimizerKind::ScheduleFreeAdamW.build_cycling(Default::default())
            }
            _ => (self.optimizer)(),
        };
        let (model, data) = (self.model.clone(), self.train.clone());
        crate::task::cycling_probe(model, optimizer, data, self.task.clone())
    }

    /// An observer that passes every event to `see` and stops the run once the stop flag is set.
    fn observer<'s>(&'s self, mut see: impl FnMut(Event<'_>) + 's) -> impl TrainObserver + 's {
        let stop = self.stop;
        move |e: Event<'_>| {
            see(e);
            match stop.is_some_and(|s| s.load(Ordering::SeqCst)) {
                true => Err(Halt::Interrupt),
                false => Ok(()),
            }
        }
    }

    /// Trains `run` for `steps` optimizer steps as one epoch, from the initial weights with a
    /// fresh optimizer, then scores the held-out batches. A run that fails or whose loss turns
    /// non-finite diverged (held-out loss ∞).
    fn train(&self, run: Plan, steps: usize) -> Outcome {
        let trainer = self.trainer(run);
        let mut probe = self.probe(run);
        let score = |m: &M| held_out_score(self.task, m, self.valid.all());
        let mut observer = self.observer(|_| ());
        let fitted = lrfind_burn::trainer::fit(&trainer, &mut probe, steps, score, &mut observer);
        match (fitted.result, fitted.history.epochs.last()) {
            (Ok(()), Some(row)) if row.val_loss.is_finite() => Outcome {
                val_loss: row.val_loss,
                metric: Some(row.metric),
            },
            _ => Outcome::DIVERGED,
        }
    }
}
