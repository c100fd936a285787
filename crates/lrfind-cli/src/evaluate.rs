//! `lrfind evaluate`: how good is each suggestion? Train from the same initial weights at every
//! rate of a log grid (the oracle) and at every method's suggestion, and compare final held-out
//! losses: regret = (loss − best grid loss) / best grid loss.

use crate::analyze::SuggestArgs;
use crate::exit::{bad_input, bad_setting};
use crate::find::{keep_partial, progress_bar, RangeArgs};
use crate::output::{emit, write_atomic};
use crate::schedule::{Kind, ScheduleFlags};
use crate::task::{with_task, HeldOut, Job, Setup, TaskArgs};
use anyhow::Result;
use burn::prelude::*;
use clap::Parser;
use indicatif::ProgressBar;
use lrfind::schedule::{OneCycle, OneCycleOptions, Schedule};
use lrfind::Probe;
use lrfind::{analyze, Method, Smoothing};
use lrfind_burn::data::BatchSource;
use lrfind_burn::task::{evaluate, Metric, Task};
use lrfind_burn::BurnProbe;
use rayon::prelude::*;
use serde_json::{json, Value};
use std::path::PathBuf;

#[derive(Parser, Debug)]
pub struct Args {
    #[command(flatten)]
    pub task: TaskArgs,
    /// Epochs of every training run.
    #[arg(long, default_value_t = 5)]
    pub epochs: usize,
    #[arg(long, default_value_t = 1e-5)]
    pub grid_start: f64,
    #[arg(long, default_value_t = 1.0)]
    pub grid_end: f64,
    #[arg(long, default_value_t = 13)]
    pub grid_points: usize,
    /// Seeds (weights and batch order): --seed, --seed + 1, …
    #[arg(long, default_value_t = 3)]
    pub seeds: usize,
    /// Schedule of every run (`constant`: the rate itself; `one-cycle`: the rate as max_lr;
    /// `cosine`: annealed from the rate over the run).
    #[arg(long, value_enum, default_value = "constant")]
    pub schedule: EvalSchedule,
    #[command(flatten)]
    pub range: RangeArgs,
    #[command(flatten)]
    pub suggest: SuggestArgs,
    /// Where evaluate.json and evaluate.png go.
    #[arg(long, default_value = "lrfind-evaluate")]
    pub out: PathBuf,
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    pub format: String,
}

/// The schedules an evaluation can train every run with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EvalSchedule {
    Constant,
    OneCycle,
    Cosine,
}

impl EvalSchedule {
    /// The schedule kind it builds.
    fn kind(self) -> Kind {
        match self {
            EvalSchedule::Constant => Kind::Constant,
            EvalSchedule::OneCycle => Kind::OneCycle,
            EvalSchedule::Cosine => Kind::Cosine,
        }
    }
}

/// The final held-out loss and metric of one training run (loss ∞ when training diverged).
#[derive(Debug, Clone, Copy)]
struct Outcome {
    val_loss: f64,
    metric: Option<Metric>,
}

/// One seed's measurements.
#[derive(Debug, Clone)]
struct SeedResult {
    grid: Vec<Outcome>,
    /// (method name, lr, outcome); methods that could not suggest are left out.
    methods: Vec<(String, f64, Outcome)>,
    finder_steps: usize,
    steps_per_epoch: usize,
}

/// The label of one-cycle trained with the bounds (max_lr, div_factor = max_lr / base_lr).
const ONE_CYCLE: &str = "one-cycle(bounds)";

struct SeedJob<'a> {
    args: &'a Args,
    grid: &'a [f64],
    bar: &'a ProgressBar,
}

/// What one run trains with: a rate under the chosen schedule, or one-cycle over the bounds.
#[derive(Debug, Clone, Copy)]
enum Plan {
    Rate(f64),
    Bounds(f64, f64),
}

impl Job for SeedJob<'_> {
    type Output = SeedResult;
    fn run<M, T>(self, setup: Setup<M, T>) -> Result<SeedResult>
    where
        M: Module + Clone + 'static,
        T: Task<M> + Send + Sync + 'static,
        T::Batch: Send + Sync + 'static,
    {
        let Setup {
            model,
            task,
            train,
            valid,
        } = setup;
        let args = self.args;
        let valid = valid.ok_or_else(|| bad_input("the dataset has no held-out rows"))?;
        let steps_per_epoch = train.len();
        let steps = args.epochs * steps_per_epoch;
        // The range test from the initial weights (restored afterwards, so it costs no state).
        let mut probe = lrfind_burn::task::probe(
            model.clone(),
            args.task.build_optimizer(),
            train.clone(),
            task.clone(),
        );
        let result = keep_partial(lrfind::run(&mut probe, args.range.config(), &mut ()))?;
        let options = args.suggest.options(Smoothing::None, None);
        let analysis = analyze(&result.curve, &options).map_err(bad_input)?;
        let mut plans: Vec<(String, Plan)> = self
            .grid
            .iter()
            .map(|&lr| ("grid".to_string(), Plan::Rate(lr)))
            .collect();
        for method in Method::ALL.into_iter().filter(|m| *m != Method::Bounds) {
            if let Some(s) = analysis.suggestion(method) {
                plans.push((method.name().to_string(), Plan::Rate(s.lr)));
            }
        }
        if let Some(b) = analysis.bounds() {
            plans.push((ONE_CYCLE.to_string(), Plan::Bounds(b.base_lr, b.max_lr)));
        }
        // Independent runs on a thread pool; each starts from its own copy of the same weights.
        let runs: Vec<(String, Plan, M)> = plans
            .into_iter()
            .map(|(name, plan)| (name, plan, model.clone()))
            .collect();
        let outcomes: Vec<Result<(String, Plan, Outcome)>> = runs
            .into_par_iter()
            .map(|(name, plan, model)| {
                let schedule = match plan {
                    Plan::Rate(lr) => build_schedule(args, lr, steps)?,
                    Plan::Bounds(base, max) => {
                        let options = OneCycleOptions {
                            div_factor: max / base,
                            ..OneCycleOptions::default()
                        };
                        Box::new(OneCycle::new(max, steps.max(1), options).map_err(bad_input)?)
                    }
                };
                let probe = lrfind_burn::task::probe(
                    model,
                    args.task.build_optimizer(),
                    train.clone(),
                    task.clone(),
                );
                let outcome = train_once(probe, &task, valid.all(), schedule, steps);
                self.bar.inc(1);
                Ok((name, plan, outcome))
            })
            .collect();
        let mut grid = Vec::new();
        let mut methods = Vec::new();
        for o in outcomes {
            let (name, plan, outcome) = o?;
            match (name.as_str(), plan) {
                ("grid", _) => grid.push(outcome),
                (_, Plan::Rate(lr)) | (_, Plan::Bounds(_, lr)) => methods.push((name, lr, outcome)),
            }
        }
        Ok(SeedResult {
            grid,
            methods,
            finder_steps: result.curve.len(),
            steps_per_epoch,
        })
    }
}

fn build_schedule(args: &Args, lr: f64, steps: usize) -> Result<Box<dyn Schedule>> {
    let mut flags = ScheduleFlags::default();
    if args.schedule == EvalSchedule::Cosine {
        flags.t_max = Some(steps.max(1));
    }
    flags.build(args.schedule.kind(), Some(lr), steps.max(1))
}

/// Trains `steps` optimizer steps of `probe` under `schedule`, then scores the held-out batches
/// with `task`. A loss that turns non-finite ends the run as diverged (held-out loss ∞).
fn train_once<M, S, F, T>(
    mut probe: BurnProbe<M, S, F>,
    task: &T,
    valid: &[T::Batch],
    mut schedule: Box<dyn Schedule>,
    steps: usize,
) -> Outcome
where
    M: Module + Clone,
    S: BatchSource<Batch = T::Batch>,
    F: FnMut(&M, &T::Batch) -> Tensor<1>,
    T: Task<M>,
{
    let diverged = Outcome {
        val_loss: f64::INFINITY,
        metric: None,
    };
    for _ in 0..steps {
        match probe.step(schedule.lr()) {
            Ok(loss) if loss.is_finite() => {}
            _ => return diverged,
        }
        // A schedule that cannot step further (one-cycle's end) keeps its rate.
        let _ = schedule.step(None);
    }
    let Some(model) = probe.model() else {
        return diverged;
    };
    let score = evaluate(task, model, valid);
    let val_loss = score.mean_loss();
    if !val_loss.is_finite() {
        return diverged;
    }
    Outcome {
        val_loss,
        metric: Some(task.metric(&score)),
    }
}

/// Mean and standard deviation.
fn mean_std(xs: &[f64]) -> (f64, f64) {
    let n = xs.len().max(1) as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}

/// The method summary: lr (geometric mean and spread in decades), mean loss, regret.
#[derive(Debug, Clone)]
struct MethodRow {
    name: String,
    lr: f64,
    decades: f64,
    val_loss: f64,
    regret: f64,
    /// Mean accuracy or RMSE over the seeds whose run did not diverge.
    metric: Option<(&'static str, f64)>,
    seeds: usize,
}

/// The mean of the metrics that exist, named `val_accuracy` or `val_rmse`.
fn mean_metric(metrics: impl Iterator<Item = Option<Metric>>) -> Option<(&'static str, f64)> {
    let values: Vec<(&'static str, f64)> = metrics
        .flatten()
        .map(|m| match m {
            Metric::Accuracy(a) => ("val_accuracy", a),
            Metric::Rmse(r) => ("val_rmse", r),
        })
        .collect();
    let name = values.first()?.0;
    let mean = values.iter().map(|v| v.1).sum::<f64>() / values.len() as f64;
    Some((name, mean))
}

pub fn run(args: Args) -> Result<()> {
    args.task.validate()?;
    args.range.config().validate().map_err(bad_setting)?;
    if args.epochs == 0 || args.seeds == 0 || args.grid_points < 2 {
        return Err(bad_input(
            "--epochs and --seeds must be at least 1, --grid-points at least 2",
        ));
    }
    if !(args.grid_start > 0.0 && args.grid_end > args.grid_start && args.grid_end.is_finite()) {
        return Err(bad_input(format!(
            "the grid needs 0 < --grid-start < --grid-end, got {} .. {}",
            args.grid_start, args.grid_end
        )));
    }
    crate::output::check_out_dir(&args.out)?;
    let n = args.grid_points;
    let ratio = (args.grid_end / args.grid_start).ln();
    let grid: Vec<f64> = (0..n)
        .map(|i| args.grid_start * (ratio * i as f64 / (n - 1) as f64).exp())
        .collect();
    let device = Device::flex().autodiff();
    // Per seed: the grid, every point rule and one-cycle over the bounds.
    let bar = progress_bar((args.seeds * (n + Method::ALL.len())) as u64);
    bar.set_message("training runs");
    let mut seeds = Vec::new();
    for s in 0..args.seeds {
        let mut task = args.task.clone();
        task.seed = args.task.seed + s as u64;
        let job = SeedJob {
            args: &args,
            grid: &grid,
            bar: &bar,
        };
        seeds.push(with_task(&task, HeldOut::All, &device, job)?);
    }
    bar.finish_and_clear();

    // The oracle: the grid's mean final loss per lr, over seeds.
    let grid_loss: Vec<f64> = (0..n)
        .map(|i| mean_std(&seeds.iter().map(|s| s.grid[i].val_loss).collect::<Vec<_>>()).0)
        .collect();
    let (best_i, best) = grid_loss
        .iter()
        .copied()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .expect("a grid");
    let mut names: Vec<String> = Method::ALL
        .into_iter()
        .filter(|m| *m != Method::Bounds)
        .map(|m| m.name().to_string())
        .collect();
    names.push(ONE_CYCLE.to_string());
    let rows: Vec<MethodRow> = names
        .iter()
        .filter_map(|name| {
            let runs: Vec<&(String, f64, Outcome)> = seeds
                .iter()
                .filter_map(|s| s.methods.iter().find(|m| &m.0 == name))
                .collect();
            let found: Vec<(f64, f64)> = runs.iter().map(|m| (m.1, m.2.val_loss)).collect();
            if found.is_empty() {
                return None;
            }
            let logs: Vec<f64> = found.iter().map(|f| f.0.log10()).collect();
            let (log_mean, decades) = mean_std(&logs);
            let (val_loss, _) = mean_std(&found.iter().map(|f| f.1).collect::<Vec<_>>());
            Some(MethodRow {
                name: name.clone(),
                lr: 10f64.powf(log_mean),
                decades,
                val_loss,
                regret: (val_loss - best) / best,
                metric: mean_metric(runs.iter().map(|m| m.2.metric)),
                seeds: found.len(),
            })
        })
        .collect();
    let finder_steps = mean_std(
        &seeds
            .iter()
            .map(|s| s.finder_steps as f64)
            .collect::<Vec<_>>(),
    )
    .0;
    let grid_steps = (n * args.epochs * seeds[0].steps_per_epoch) as f64;
    let cost = finder_steps / grid_steps;
    let default_method = lrfind::DEFAULT_METHOD.name();
    let doc = json!({
        "grid": grid.iter().zip(&grid_loss).enumerate().map(|(i, (lr, l))| {
            let mut point = json!({"lr": lr, "val_loss": finite(*l)});
            if let Some((name, value)) = mean_metric(seeds.iter().map(|s| s.grid[i].metric)) {
                point[name] = json!(value);
            }
            point
        }).collect::<Vec<_>>(),
        "best": {"lr": grid[best_i], "val_loss": best},
        "methods": rows.iter().map(|r| {
            let mut row = json!({
                "lr": r.lr, "lr_spread_decades": r.decades, "val_loss": finite(r.val_loss),
                "regret": finite(r.regret), "seeds": r.seeds,
            });
            if let Some((name, value)) = r.metric {
                row[name] = json!(value);
            }
            (r.name.clone(), row)
        }).collect::<serde_json::Map<String, Value>>(),
        "finder_cost_ratio": cost,
        "finder_steps": finder_steps,
        "grid_steps": grid_steps,
        "default_method": default_method,
        "config": {"task": args.task.to_json(), "epochs": args.epochs, "seeds": args.seeds,
                   "schedule": args.schedule.kind().name(), "range_test": args.range.to_json()},
    });
    write_atomic(&args.out.join("evaluate.json"), |w| {
        serde_json::to_writer_pretty(&mut *w, &doc).map_err(std::io::Error::other)?;
        writeln!(w)
    })?;
    let marks: Vec<(&str, f64, f64)> = rows
        .iter()
        .map(|r| (r.name.as_str(), r.lr, r.val_loss))
        .collect();
    lrfind::plot::plot_evaluation(
        &format!(
            "Final held-out loss after {} epochs ({}): {}",
            args.epochs,
            args.schedule.kind().name(),
            args.task.title()
        ),
        &grid,
        &grid_loss,
        &marks,
        &args.out.join("evaluate.png"),
    )?;
    if args.format == "json" {
        return emit(&format!("{}\n", serde_json::to_string_pretty(&doc)?));
    }
    let mut text = format!(
        "best grid lr {:.3e}: held-out loss {:.4} ({} seeds × {} epochs, {})\n",
        grid[best_i],
        best,
        args.seeds,
        args.epochs,
        args.schedule.kind().name()
    );
    let metric_name = match rows.iter().find_map(|r| r.metric) {
        Some(("val_rmse", _)) => "val rmse",
        _ => "val acc",
    };
    text += &format!(
        "  {:<18} {:>10} {:>7} {:>10} {:>9} {:>9}\n",
        "method", "lr", "± dec", "val loss", metric_name, "regret"
    );
    for r in &rows {
        let star = if r.name == default_method { "*" } else { " " };
        let metric = match r.metric {
            Some(("val_accuracy", a)) => format!("{:.2}%", a * 100.0),
            Some((_, x)) => format!("{x:.4}"),
            None => "diverged".into(),
        };
        text += &format!(
            "{star} {:<18} {:>10.3e} {:>7.2} {:>10.4} {:>9} {:>8.1}%\n",
            r.name,
            r.lr,
            r.decades,
            r.val_loss,
            metric,
            r.regret * 100.0
        );
    }
    text += &format!(
        "finder cost: {finder_steps:.0} steps per seed = {:.2}% of the grid search's {grid_steps:.0}\n",
        cost * 100.0
    );
    text += &format!("wrote {}/evaluate.{{json,png}}\n", args.out.display());
    emit(&text)
}

/// JSON has no infinity: a diverged run's loss is `null`.
fn finite(x: f64) -> Value {
    if x.is_finite() {
        json!(x)
    } else {
        Value::Null
    }
}
