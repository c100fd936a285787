//! `lrfind evaluate`: how good is each suggestion? Train from the same initial weights at every
//! rate of a log grid (the oracle) and at every rule's suggestion, and compare final held-out
//! losses: regret = (loss − best grid loss) / best grid loss. The runs are
//! [`lrfind_zoo::evaluation`]'s, the statistics [`lrfind_train::regret`]'s.

use crate::exit::{bad_input, bad_setting, Interrupted};
use crate::flags::{Format, RangeArgs, RefineArgs, SuggestArgs};
use crate::output::{emit, write_json};
use crate::report;
use crate::settings::{self, EvaluateConfig, RangeSettings};
use anyhow::Result;
use clap::Parser;
use lrfind::Smoothing;
use lrfind_train::regret::{self, Evaluation};
use lrfind_zoo::evaluation::{self, EvalSchedule, EvaluationError, EvaluationPlan};
use lrfind_zoo::{HeldOut, TaskSpec};
use std::path::PathBuf;
use std::sync::atomic::Ordering;

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
    /// How the consensus+refine row refines (as `train`'s flags; 5 candidates, as its default).
    #[command(flatten)]
    pub refine: RefineArgs,
    /// Where evaluate.json and evaluate.png go.
    #[arg(long, default_value = "lrfind-evaluate")]
    pub out: PathBuf,
    /// Output on stdout.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Trains every seed's runs, then writes evaluate.json, evaluate.png and the table.
pub fn evaluate_rules(args: Args) -> Result<()> {
    args.task.validate().map_err(bad_input)?;
    args.range.config().validate().map_err(bad_setting)?;
    args.suggest
        .options(Smoothing::None, None)
        .validate()
        .map_err(bad_setting)?;
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
    let _lock = crate::output::OutLock::take(&args.out)?;
    let plan = EvaluationPlan {
        grid: regret::log_grid(args.grid_start, args.grid_end, args.grid_points),
        epochs: args.epochs,
        schedule: args.schedule,
        range_test: args.range.config(),
        analysis: args.suggest.options(Smoothing::None, None),
        refine: args
            .refine
            .refine(lrfind_train::refinement::DEFAULT_CANDIDATES),
    };
    let device = args.task.backend.device().map_err(bad_input)?;
    // Per seed: the grid, every row, and a refinement's candidates.
    let runs =
        plan.grid.len() + lrfind_zoo::evaluation::rule_names().len() + plan.refine.max_candidates();
    let bar = report::progress_bar((args.seeds * runs) as u64);
    bar.set_message("training runs");
    let stop = report::ctrl_c();
    let mut seeds = Vec::new();
    for s in 0..args.seeds {
        let mut task = args.task.clone();
        task.seed = args.task.seed + s as u64;
        let mut bench = lrfind_zoo::load(&task, HeldOut::All, &device).map_err(bad_input)?;
        if bench.held_out_batches() == 0 {
            return Err(bad_input(lrfind_zoo::workbench::no_held_out()));
        }
        // Every run trains on the same batches; the refinement chooses on the selection split.
        bench.carve_selection().map_err(bad_input)?;
        match bench.evaluate(&plan, &|| bar.inc(1), Some(&stop)) {
            Ok(runs) => seeds.push(runs),
            Err(EvaluationError::Interrupted) => break,
            Err(e) => return Err(bad_input(e)),
        }
    }
    bar.finish_and_clear();
    let interrupted = stop.load(Ordering::SeqCst) || seeds.len() < args.seeds;
    if interrupted && seeds.is_empty() {
        return Err(anyhow::Error::new(Interrupted)
            .context("evaluate: no seed had finished; nothing written"));
    }

    let names = lrfind_zoo::evaluation::rule_names();
    let eval = Evaluation::new(plan.grid, &seeds, args.epochs, &names).map_err(|e| {
        anyhow::anyhow!(
            "{e}; nothing written: lower --weight-decay, or move the grid (--grid-start, \
             --grid-end) to rates that train"
        )
        .context("evaluate")
    })?;
    let config = settings::to_value(EvaluateConfig {
        task: args.task.settings(),
        epochs: args.epochs,
        seeds: seeds.len(),
        schedule: args.schedule.kind().name(),
        range_test: RangeSettings::of(&args.range),
        refine: plan.refine,
    });
    let doc = eval.document(lrfind::DEFAULT_METHOD, config);
    write_json(&args.out.join("evaluate.json"), &doc)?;
    // A rate on the grid's axis, or a run off it: Prodigy's lr multiplies its own step size,
    // Schedule-Free AdamW is another optimizer, and
    // one-cycle over the bounds is another schedule than a constant or cosine grid's.
    let off_axis = |name: &str| {
        name == evaluation::LR_FREE
            || name == evaluation::SCHEDULE_FREE
            || (name == evaluation::ONE_CYCLE_BOUNDS && args.schedule != EvalSchedule::OneCycle)
    };
    let marks: Vec<(&str, f64, f64)> = eval
        .rows
        .iter()
        .filter(|r| !off_axis(&r.name))
        .map(|r| (r.name.as_str(), r.summary.lr, r.summary.loss))
        .collect();
    let levels: Vec<(&str, f64)> = eval
        .rows
        .iter()
        .filter(|r| off_axis(&r.name))
        .map(|r| (r.name.as_str(), r.summary.loss))
        .collect();
    let title = format!(
        "Final held-out loss after {} epochs ({}): {}",
        args.epochs,
        args.schedule.kind().name(),
        args.task
    );
    let path = args.out.join("evaluate.png");
    lrfind_plot::plot_evaluation(&title, &eval.grid, &eval.grid_loss, &marks, &levels, &path)?;
    if interrupted {
        return Err(anyhow::Error::new(Interrupted).context(format!(
            "evaluate: {} of {} seeds had finished; their evaluation is in {}",
            seeds.len(),
            args.seeds,
            args.out.join("evaluate.json").display()
        )));
    }
    if args.format == Format::Json {
        return emit(&format!("{}\n", serde_json::to_string_pretty(&doc)?));
    }
    let (best_i, best) = eval.best;
    emit(&format!(
        "best grid lr {:.3e}: held-out loss {best:.4} ({} seeds × {} epochs, {})\n{}wrote {}/evaluate.{{json,png}}\n",
        eval.grid[best_i],
        seeds.len(),
        args.epochs,
        args.schedule.kind().name(),
        eval.table(lrfind::DEFAULT_METHOD),
        args.out.display()
    ))
}
