//! `lrfind find`: a range test on a real model and dataset (burn, flex CPU backend).

use crate::analyze::table;
use crate::exit::{bad_input, bad_setting, Interrupted};
use crate::flags::{default_refine, kind_after, parse_with_schedule};
use crate::flags::{Format, RangeArgs, RefineArgs, SuggestArgs};
use crate::report::{self, RangeTestRecord};
use crate::settings::{self, FindConfig, RangeSettings};
use anyhow::Result;
use clap::Parser;
use lrfind::document::Refinement;
use lrfind::schedule::{ScheduleConfig, ScheduleKind};
use lrfind::Cost;
use lrfind::{analyze_result, Smoothing};
use lrfind_train::{Event, Halt, Horizon, LrChoice, TrainError, Trainer};
use lrfind_zoo::workbench::Workbench;
use lrfind_zoo::{HeldOut, TaskSpec};
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

#[derive(Parser, Debug)]
#[command(
    name = "lrfind find",
    about = "Run the range test on a real model and dataset (default: digits + MLP + AdamW)",
    after_help = "--schedule KIND adds that kind's flags (those of `lrfind schedule KIND`): lrfind find --epochs N --schedule KIND --help",
    allow_negative_numbers = true
)]
pub struct Args {
    #[command(flatten)]
    pub task: TaskSpec,
    #[command(flatten)]
    pub range: RangeArgs,
    /// The run the rate is for: its epochs (as `train --epochs`). With it the recommendation is
    /// for that run under --schedule (refined as `train --lr auto` refines, --refine); without it,
    /// the curve's rate for no run in particular.
    #[arg(long)]
    pub epochs: Option<usize>,
    /// The run's schedule (as `train --schedule`, whose default it shares), with its flags.
    #[arg(long, value_enum, requires = "epochs")]
    pub schedule: Option<ScheduleKind>,
    /// Micro-batches whose gradients are accumulated per optimizer step.
    #[arg(long, default_value_t = 1)]
    pub accumulate: usize,
    /// Record, for each step, the mean loss over V held-out batches (Smith's variant) instead of
    /// the training batch's loss; 0 turns it off.
    #[arg(long, default_value_t = 0)]
    pub val_batches: usize,
    /// Refine the recommended rate: K candidates a factor 2 apart around it (5: ¼…4×) each train
    /// from the same initial weights — with --epochs a fifth of that run under its schedule (as
    /// `train`), else --refine-epochs at a constant rate — the span growing downward while the best is
    /// its lowest (--refine-extend), and the lowest loss on the selection split (with --epochs at a
    /// constant rate: carried to the run's length, --refine-extrapolate) gives the rate
    /// (docs/evaluation.md: "A selection that knows the run"). 0: off. Default: as `train
    /// --refine` with --epochs, else 0.
    #[arg(long)]
    pub refine: Option<usize>,
    /// Epochs each --refine candidate trains when no run is given (--epochs: a fifth of it): a
    /// fifth of the epochs you will train is what was measured (1 for 5).
    #[arg(long, default_value_t = 1, conflicts_with = "epochs")]
    pub refine_epochs: usize,
    #[command(flatten)]
    pub refine_run: RefineArgs,
    /// Where lr_find.json, lr_find.csv and lr_find.png go.
    #[arg(long, default_value = "lrfind-out")]
    pub out: PathBuf,
    /// Output on stdout.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    #[command(flatten)]
    pub suggest: SuggestArgs,
}

/// Parses `lrfind find …` (the schedule's flags added) and runs it.
pub fn parse_and_find(argv: Vec<OsString>) -> Result<()> {
    let kind = |a: &[OsString]| kind_after("--schedule", a);
    let (args, schedule) = parse_with_schedule::<Args>(argv, kind, RUN_SCHEDULE);
    find_rate(args, schedule)
}

/// The schedule of a run given by --epochs alone: `train`'s default.
const RUN_SCHEDULE: ScheduleKind = ScheduleKind::OneCycle;

impl Args {
    /// The run --epochs and --schedule describe, as `train` would train it with these range-test
    /// and rule flags (`schedule`: the kind's settings), or `None` without --epochs.
    fn run(&self, schedule: ScheduleConfig) -> Option<Trainer> {
        let epochs = self.epochs?;
        let kind = self.schedule.unwrap_or(RUN_SCHEDULE);
        let candidates = self.refine.unwrap_or(default_refine(kind));
        let mut trainer = Trainer::new(epochs, LrChoice::Auto, schedule);
        trainer.range_test = self.range.config();
        trainer.analysis = self.suggest.options(Smoothing::None, None);
        trainer.refine = (candidates > 0).then(|| self.refine_run.refine(candidates));
        Some(trainer)
    }
}

/// Runs the range test, writes its files and prints the table (or JSON).
pub fn find_rate(args: Args, schedule: ScheduleConfig) -> Result<()> {
    // Everything the user controls is checked before any training starts.
    let config = args.range.config();
    config.validate().map_err(bad_setting)?;
    if args.accumulate == 0 {
        return Err(bad_input("--accumulate must be at least 1"));
    }
    if args.refine.is_some_and(|k| k > 0) && args.refine_epochs == 0 {
        return Err(bad_input("--refine-epochs must be at least 1"));
    }
    if args.epochs == Some(0) {
        return Err(bad_input("--epochs must be at least 1"));
    }
    // The schedule's flags describe the run: without --epochs there is none to describe.
    let unchanged = ScheduleConfig::default_of(RUN_SCHEDULE);
    if args.epochs.is_none() && Some(&schedule) != unchanged.as_ref() {
        return Err(bad_input(
            "the schedule's flags describe the run the rate is for: give its --epochs",
        ));
    }
    let run = args.run(schedule);
    if let Some(trainer) = &run {
        trainer.schedule.validate().map_err(bad_input)?;
        trainer.check_rules().map_err(bad_setting)?;
    }
    let refines = run.as_ref().map_or(args.refine.unwrap_or(0) > 0, |t| {
        t.refine_before(0).is_some()
    });
    args.task.validate().map_err(bad_input)?;
    let _lock = crate::output::OutLock::take(&args.out)?;
    args.suggest
        .options(Smoothing::None, None)
        .validate()
        .map_err(bad_setting)?;
    let stop = report::ctrl_c();
    let held_out = match (args.val_batches, refines) {
        (_, true) => HeldOut::All,
        (0, _) => HeldOut::None,
        (v, _) => HeldOut::AtMost(v * args.task.batch_size),
    };
    let started = Instant::now();
    let device = args.task.backend.device().map_err(bad_input)?;
    let mut bench = lrfind_zoo::load(&args.task, held_out, &device).map_err(bad_input)?;
    // A refinement chooses on a selection split carved from the training data, as `train` does.
    let selection = match refines {
        true => Some(bench.carve_selection().map_err(bad_input)?),
        false => None,
    };
    let bar = report::progress_bar(config.num_iter as u64);
    let mut observer = |p: &lrfind::Progress| report::show_step(&bar, p, &stop);
    let result = bench.range_test(config, args.accumulate, args.val_batches, &mut observer);
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    let result = report::keep_partial(result)?;
    let config_json = settings::to_value(FindConfig {
        task: args.task.settings(),
        range: RangeSettings::of(&args.range),
        accumulate: args.accumulate,
        val_batches: args.val_batches,
        epochs: run.as_ref().map(|t| t.epochs),
        schedule: run.as_ref().map(|t| t.schedule.kind().name()),
        schedule_settings: run.as_ref().map(|t| &t.schedule),
    });
    let options = args.suggest.options(Smoothing::None, None);
    let analysis = analyze_result(&result, &options).map_err(bad_input)?;
    let spe = bench.steps_per_epoch();
    let refined = match (refines, analysis.recommend(lrfind::DEFAULT_METHOD)) {
        (false, _) | (_, Err(_)) => None,
        (true, Ok((_, s))) => refine(&*bench, &args, run.as_ref(), s.lr, &stop)?,
    };
    let run_for = run.as_ref().map(|t| t.run_for(spe));
    let (candidates, candidate_steps) = refined
        .as_ref()
        .map_or((0, 0), |r| (r.candidates.len(), r.steps));
    let cost = Cost::new(
        result.curve.len() + config.warmup,
        candidates,
        candidate_steps,
        run_for.as_ref().map(|r| r.steps),
    );
    let record = RangeTestRecord {
        result: &result,
        analysis: &analysis,
        sma_window: options.sma_window,
        config: config_json,
        seconds,
        device: args.task.backend.describe(),
        method: lrfind::DEFAULT_METHOD,
        refined: refined.clone(),
        run: run_for.clone(),
        cost: Some(cost),
    };
    let title = format!("LR range test: {}", args.task);
    let doc = report::write_range_test(&args.out, "lr_find", &title, record)?;
    let iterations = result.curve.len();
    if args.format == Format::Json {
        crate::output::emit(&format!("{}\n", serde_json::to_string_pretty(&doc)?))?;
    } else {
        let default_method = lrfind::DEFAULT_METHOD;
        let recommended = analysis.recommend(default_method);
        let mut text = lrfind::text_plot::render_analysis(&analysis, default_method, 64, 14);
        text += &table(&analysis, recommended.as_ref().ok().map(|(m, _)| *m));
        let rate = iterations as f64 / seconds.max(1e-9);
        if let Some(r) = &refined {
            text += &refinement_table(r, selection.unwrap_or(0));
        }
        text += &match (&recommended, &refined) {
            (Ok((m, _)), Some(r)) => format!(
                "* recommended: {} ({m}, refined over {} candidates)",
                crate::output::lr(r.lr),
                r.candidates.len()
            ),
            (Ok((m, s)), None) => format!("* recommended: {} ({m})", crate::output::lr(s.lr)),
            (Err(why), _) => format!(
                "no recommendation: {}",
                crate::exit::in_flags(&why.to_string())
            ),
        };
        text += &match &run_for {
            Some(run) => format!(", for {run}"),
            None => {
                ", the curve's rate for no run in particular (--epochs, --schedule: yours)".into()
            }
        };
        text += &format!("; chosen in {cost}");
        text += &format!("; {iterations} iterations in {seconds:.2} s ({rate:.0} it/s)\n");
        for w in lrfind::confidence::warnings(&analysis) {
            text += &format!("warning: {w}; {}\n", crate::exit::in_flags(w.advice()));
        }
        if args.task.optimizer.learning_rate_free() {
            text += &format!(
                "note: {} sets its own step size and trains at lr 1 (`lrfind train --optimizer {}`); \
                 this sweep scales that step size\n",
                args.task.optimizer,
                args.task.optimizer
            );
        }
        text += &format!("wrote {}/lr_find.{{json,csv,png}}\n", args.out.display());
        crate::output::emit(&text)?;
    }
    // Ctrl-C during the range test or the refinement: what was recorded is written, then 130.
    if stop.load(Ordering::SeqCst) {
        return Err(anyhow::Error::new(Interrupted));
    }
    Ok(())
}

/// A refinement's candidates as a table, the winner marked; `selection`: the batches they were
/// scored on.
fn refinement_table(r: &Refinement, selection: usize) -> String {
    let mut text = format!(
        "refinement: {} steps per candidate, scored on a selection split of {selection} training batches\n",
        r.steps
    );
    let run = r.candidates.iter().find_map(|c| c.extrapolation);
    text += "  candidate lr  selection loss";
    if let Some(e) = run {
        text += &format!(
            "  after {} steps  at the run's {} steps (picks)",
            e.early_steps, e.run_steps
        );
    }
    text += "\n";
    for c in &r.candidates {
        let mark = if c.lr == r.lr { "*" } else { " " };
        text += &format!(
            "{mark} {:>12}   {:>13.4}",
            crate::output::lr(c.lr),
            c.val_loss
        );
        if let Some(e) = c.extrapolation {
            text += &format!("  {:>15.4}  {:>23.4}", e.early_loss, e.run_loss);
        }
        text += "\n";
    }
    text
}

/// The refinement of `lr` ([`lrfind_train::Trainer::refine`]) from the initial weights: for
/// `run`, as `train --lr auto` refines before training (a share of the run each, under its
/// schedule); without one, `--refine K` candidates of --refine-epochs at a constant rate. None
/// after Ctrl-C (the range test's files are still written, and the command exits with 130).
fn refine(
    bench: &dyn Workbench,
    args: &Args,
    run: Option<&Trainer>,
    lr: f64,
    stop: &AtomicBool,
) -> Result<Option<Refinement>> {
    let spe = bench.steps_per_epoch();
    let (trainer, refine, horizon, epochs) = match run.map(|t| (t, t.refine_before(0))) {
        Some((t, Some(refine))) => (t.clone(), refine, refine.horizon(t.epochs * spe), None),
        Some((_, None)) => return Ok(None),
        None => {
            let constant =
                ScheduleConfig::default_of(ScheduleKind::Constant).expect("constant has defaults");
            let trainer = Trainer::new(1, LrChoice::Fixed(lr), constant);
            let refine = args.refine_run.refine(args.refine.unwrap_or(0));
            let horizon = Horizon {
                steps: args.refine_epochs * spe,
                run: None,
            };
            (trainer, refine, horizon, Some(args.refine_epochs))
        }
    };
    // The most the candidates can train: the span's own and every extension's.
    let bar = report::progress_bar((refine.max_candidates() * horizon.steps) as u64);
    bar.set_message("refining: candidate runs");
    let mut observer = |e: Event<'_>| {
        bar.inc(matches!(e, Event::CandidateStep { .. }) as u64);
        match stop.load(Ordering::SeqCst) {
            true => Err(Halt::Interrupt),
            false => Ok(()),
        }
    };
    let refined = bench.refine(&trainer, lr, &refine, horizon, &mut observer);
    bar.finish_and_clear();
    match refined {
        // Whole epochs per candidate when no run gave the share.
        Ok(refined) => Ok(Some(Refinement { epochs, ..refined })),
        Err(TrainError::Interrupted) => Ok(None),
        Err(e) => Err(bad_input(e)),
    }
}
