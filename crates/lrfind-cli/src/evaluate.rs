//! `lrfind evaluate`: how good is each suggestion? Train from the same initial weights at every
//! rate of a log grid (the oracle) and at every rule's suggestion, and compare final held-out
//! losses: regret = (loss − best grid loss) / best grid loss. The runs are
//! [`lrfind_zoo::evaluation`]'s, the statistics [`lrfind::regret`]'s.

use crate::exit::{bad_input, bad_setting};
use crate::flags::{Format, RangeArgs, SuggestArgs};
use crate::output::{emit, write_atomic};
use crate::report;
use anyhow::Result;
use burn::prelude::*;
use clap::Parser;
use lrfind::regret::{self, RuleSummary};
use lrfind::{Method, Metric, Smoothing};
use lrfind_zoo::evaluation::{EvalSchedule, EvaluationPlan, SeedOutcome, ONE_CYCLE_BOUNDS};
use lrfind_zoo::{HeldOut, TaskSpec};
use serde_json::{json, Value};
use std::path::PathBuf;

#[derive(Parser, Debug)]
pub struct Args {
    #[command(flatten)]
    pub task: TaskSpec,
    /// Epochs of every training run.
    #[arg(long, default_value_t = 5)]
    pub epochs: usize,
    /// Lowest rate of the grid.
    #[arg(long, default_value_t = 1e-5)]
    pub grid_start: f64,
    /// Highest rate of the grid.
    #[arg(long, default_value_t = 1.0)]
    pub grid_end: f64,
    /// Rates in the grid (log-spaced).
    #[arg(long, default_value_t = 13)]
    pub grid_points: usize,
    /// Seeds (weights and batch order): --seed, --seed + 1, …
    #[arg(long, default_value_t = 3)]
    pub seeds: usize,
    /// Schedule of every run (`constant`: the rate itself; `one-cycle`: the rate as max_lr;
    /// `cosine`: annealed from the rate over the run).
    #[arg(long, value_enum, default_value_t = EvalSchedule::Constant)]
    pub schedule: EvalSchedule,
    #[command(flatten)]
    pub range: RangeArgs,
    #[command(flatten)]
    pub suggest: SuggestArgs,
    /// Where evaluate.json and evaluate.png go.
    #[arg(long, default_value = "lrfind-evaluate")]
    pub out: PathBuf,
    /// Output on stdout.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// One rule's summary over seeds, with its mean metric.
struct Row {
    name: String,
    summary: RuleSummary,
    metric: Option<Metric>,
}

/// Every rule's summary (in report order, one-cycle over the bounds last).
fn rows(seeds: &[SeedOutcome], best: f64) -> Vec<Row> {
    let mut names: Vec<String> = Method::ALL
        .into_iter()
        .filter(|m| *m != Method::Bounds)
        .map(|m| m.name().to_string())
        .collect();
    names.push(ONE_CYCLE_BOUNDS.to_string());
    names
        .into_iter()
        .filter_map(|name| {
            let runs: Vec<&(String, f64, _)> = seeds
                .iter()
                .filter_map(|s| s.rules.iter().find(|r| r.0 == name))
                .collect();
            let found: Vec<(f64, f64)> = runs.iter().map(|r| (r.1, r.2.val_loss)).collect();
            let summary = regret::summarize(&found, best)?;
            let metric = Metric::mean(runs.iter().filter_map(|r| r.2.metric));
            Some(Row {
                name,
                summary,
                metric,
            })
        })
        .collect()
}

/// JSON has no infinity: a diverged run's loss is `null`.
fn finite(x: f64) -> Value {
    if x.is_finite() {
        json!(x)
    } else {
        Value::Null
    }
}

/// The human table.
fn table(args: &Args, grid: &[f64], best: (usize, f64), rows: &[Row], cost: (f64, f64)) -> String {
    let (finder_steps, grid_steps) = cost;
    let mut text = format!(
        "best grid lr {:.3e}: held-out loss {:.4} ({} seeds × {} epochs, {})\n",
        grid[best.0],
        best.1,
        args.seeds,
        args.epochs,
        args.schedule.kind().name()
    );
    let label = rows
        .iter()
        .find_map(|r| r.metric)
        .map_or("val acc", |m| m.label());
    text += &format!(
        "  {:<18} {:>10} {:>7} {:>10} {:>9} {:>9}\n",
        "method", "lr", "± dec", "val loss", label, "regret"
    );
    for r in rows {
        let star = if r.name == lrfind::DEFAULT_METHOD.name() {
            "*"
        } else {
            " "
        };
        let metric = r.metric.map_or("diverged".into(), |m| m.to_string());
        let s = &r.summary;
        text += &format!(
            "{star} {:<18} {:>10.3e} {:>7.2} {:>10.4} {:>9} {:>8.1}%\n",
            r.name,
            s.lr,
            s.decades,
            s.loss,
            metric,
            s.regret * 100.0
        );
    }
    text += &format!(
        "finder cost: {finder_steps:.0} steps per seed = {:.2}% of the grid search's {grid_steps:.0}\n",
        finder_steps / grid_steps * 100.0
    );
    text + &format!("wrote {}/evaluate.{{json,png}}\n", args.out.display())
}

/// Trains every seed's runs, then writes evaluate.json, evaluate.png and the table.
pub fn run(args: Args) -> Result<()> {
    args.task.validate().map_err(bad_input)?;
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
    let plan = EvaluationPlan {
        grid: regret::log_grid(args.grid_start, args.grid_end, args.grid_points),
        epochs: args.epochs,
        schedule: args.schedule,
        range_test: args.range.config(),
        analysis: args.suggest.options(Smoothing::None, None),
    };
    let device = Device::flex().autodiff();
    let bar = report::progress_bar((args.seeds * (plan.grid.len() + Method::ALL.len())) as u64);
    bar.set_message("training runs");
    let mut seeds = Vec::new();
    for s in 0..args.seeds {
        let mut task = args.task.clone();
        task.seed = args.task.seed + s as u64;
        let bench = lrfind_zoo::load(&task, HeldOut::All, &device).map_err(bad_input)?;
        if bench.held_out_batches() == 0 {
            return Err(bad_input(lrfind_zoo::workbench::no_held_out()));
        }
        seeds.push(bench.evaluate(&plan, &|| bar.inc(1)).map_err(bad_input)?);
    }
    bar.finish_and_clear();

    // The oracle: the grid's mean final loss per lr, over seeds.
    let per_seed: Vec<Vec<f64>> = seeds
        .iter()
        .map(|s| s.grid.iter().map(|o| o.val_loss).collect())
        .collect();
    let grid_loss = regret::grid_means(&per_seed);
    let (best_i, best) = regret::best_point(&grid_loss).expect("a grid");
    let rows = rows(&seeds, best);
    let steps: Vec<f64> = seeds.iter().map(|s| s.finder_steps as f64).collect();
    let finder_steps = regret::mean_std(&steps).0;
    let grid_steps = (plan.grid.len() * args.epochs * seeds[0].steps_per_epoch) as f64;
    let doc = json!({
        "grid": plan.grid.iter().zip(&grid_loss).enumerate().map(|(i, (lr, l))| {
            let mut point = json!({"lr": lr, "val_loss": finite(*l)});
            if let Some(m) = Metric::mean(seeds.iter().filter_map(|s| s.grid[i].metric)) {
                point[m.key()] = json!(m.value());
            }
            point
        }).collect::<Vec<_>>(),
        "best": {"lr": plan.grid[best_i], "val_loss": best},
        "methods": rows.iter().map(|r| {
            let s = &r.summary;
            let mut row = json!({
                "lr": s.lr, "lr_spread_decades": s.decades, "val_loss": finite(s.loss),
                "regret": finite(s.regret), "seeds": s.seeds,
            });
            if let Some(m) = r.metric {
                row[m.key()] = json!(m.value());
            }
            (r.name.clone(), row)
        }).collect::<serde_json::Map<String, Value>>(),
        "finder_cost_ratio": finder_steps / grid_steps,
        "finder_steps": finder_steps,
        "grid_steps": grid_steps,
        "default_method": lrfind::DEFAULT_METHOD.name(),
        "config": {"task": args.task.to_json(), "epochs": args.epochs, "seeds": args.seeds,
                   "schedule": args.schedule.kind().name(), "range_test": args.range.to_json()},
    });
    write_atomic(&args.out.join("evaluate.json"), |w| {
        serde_json::to_writer_pretty(&mut *w, &doc).map_err(std::io::Error::other)?;
        writeln!(w)
    })?;
    let marks: Vec<(&str, f64, f64)> = rows
        .iter()
        .map(|r| (r.name.as_str(), r.summary.lr, r.summary.loss))
        .collect();
    let title = format!(
        "Final held-out loss after {} epochs ({}): {}",
        args.epochs,
        args.schedule.kind().name(),
        args.task
    );
    let path = args.out.join("evaluate.png");
    lrfind::plot::plot_evaluation(&title, &plan.grid, &grid_loss, &marks, &path)?;
    match args.format {
        Format::Json => emit(&format!("{}\n", serde_json::to_string_pretty(&doc)?)),
        Format::Table => emit(&table(
            &args,
            &plan.grid,
            (best_i, best),
            &rows,
            (finder_steps, grid_steps),
        )),
    }
}
