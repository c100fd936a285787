//! `lrfind find`: a range test on a real model and dataset (burn, flex CPU backend).

use crate::analyze::table;
use crate::exit::{bad_input, bad_setting, Interrupted};
use crate::flags::{Format, RangeArgs, SuggestArgs};
use crate::report::{self, RangeTestRecord};
use crate::settings::{self, FindConfig, RangeSettings};
use anyhow::Result;
use clap::Parser;
use lrfind::document::Refinement;
use lrfind::schedule::{ScheduleConfig, ScheduleKind};
use lrfind::{analyze_result, Smoothing};
use lrfind_train::{Event, Halt, LrChoice, TrainError, Trainer};
use lrfind_zoo::workbench::Workbench;
use lrfind_zoo::{HeldOut, TaskSpec};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

#[derive(Parser, Debug)]
pub struct Args {
    #[command(flatten)]
    pub task: TaskSpec,
    #[command(flatten)]
    pub range: RangeArgs,
    /// Micro-batches whose gradients are accumulated per optimizer step.
    #[arg(long, default_value_t = 1)]
    pub accumulate: usize,
    /// Record, for each step, the mean loss over V held-out batches (Smith's variant) instead of
    /// the training batch's loss; 0 turns it off.
    #[arg(long, default_value_t = 0)]
    pub val_batches: usize,
    /// Refine the recommended rate: K candidates a factor 2 apart around it (5: ¼…4×) each train
    /// --refine-epochs at a constant rate from the same initial weights, and the lowest held-out
    /// loss gives the rate (docs/evaluation.md: "Beyond one curve"). 0: off.
    #[arg(long, default_value_t = 0)]
    pub refine: usize,
    /// Epochs each --refine candidate trains: a fifth of the epochs you will train is what was
    /// measured (1 for 5).
    #[arg(long, default_value_t = 1)]
    pub refine_epochs: usize,
    /// Where lr_find.json, lr_find.csv and lr_find.png go.
    #[arg(long, default_value = "lrfind-out")]
    pub out: PathBuf,
    /// Output on stdout.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    #[command(flatten)]
    pub suggest: SuggestArgs,
}

/// Runs the range test, writes its files and prints the table (or JSON).
pub fn find_rate(args: Args) -> Result<()> {
    // Everything the user controls is checked before any training starts.
    let config = args.range.config();
    config.validate().map_err(bad_setting)?;
    if args.accumulate == 0 {
        return Err(bad_input("--accumulate must be at least 1"));
    }
    if args.refine > 0 && args.refine_epochs == 0 {
        return Err(bad_input("--refine-epochs must be at least 1"));
    }
    args.task.validate().map_err(bad_input)?;
    let _lock = crate::output::OutLock::take(&args.out)?;
    args.suggest
        .options(Smoothing::None, None)
        .validate()
        .map_err(bad_setting)?;
    let stop = report::ctrl_c();
    let held_out = match (args.val_batches, args.refine) {
        (_, 1..) => HeldOut::All,
        (0, _) => HeldOut::None,
        (v, _) => HeldOut::AtMost(v * args.task.batch_size),
    };
    let started = Instant::now();
    let device = args.task.backend.device().map_err(bad_input)?;
    let bench = lrfind_zoo::load(&args.task, held_out, &device).map_err(bad_input)?;
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
    });
    let options = args.suggest.options(Smoothing::None, None);
    let analysis = analyze_result(&result, &options).map_err(bad_input)?;
    let refined = match (args.refine, analysis.recommend(lrfind::DEFAULT_METHOD)) {
        (0, _) | (_, Err(_)) => None,
        (k, Ok((_, s))) => refine(&*bench, &args, k, s.lr, &stop)?,
    };
    let record = RangeTestRecord {
        result: &result,
        analysis: &analysis,
        sma_window: options.sma_window,
        config: config_json,
        seconds,
        device: args.task.backend.describe(),
        method: lrfind::DEFAULT_METHOD,
        refined: refined.as_ref().map(|Refined(r)| Refinement {
            epochs: args.refine_epochs,
            steps: r.steps,
            candidates: r.candidates.clone(),
            lr: r.lr,
        }),
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
            text += &r.table();
        }
        text += &match (&recommended, &refined) {
            (Ok((m, _)), Some(Refined(r))) => format!(
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

/// A refinement's outcome, as the table shows it.
struct Refined(lrfind_train::Refined);

impl Refined {
    /// The candidates as a table, the winner marked.
    fn table(&self) -> String {
        let mut text = format!("refinement: {} steps per candidate\n", self.0.steps);
        text += "  candidate lr   held-out loss\n";
        for c in &self.0.candidates {
            let mark = if c.lr == self.0.lr { "*" } else { " " };
            text += &format!(
                "{mark} {:>12}   {:>13.4}\n",
                crate::output::lr(c.lr),
                c.val_loss
            );
        }
        text
    }
}

/// `--refine K` around `lr` ([`lrfind_train::Trainer::refine`] of a constant-rate run): K
/// candidates, each trained --refine-epochs from the initial weights; none after Ctrl-C (the range
/// test's files are still written, and the command exits with 130).
fn refine(
    bench: &dyn Workbench,
    args: &Args,
    k: usize,
    lr: f64,
    stop: &AtomicBool,
) -> Result<Option<Refined>> {
    let steps = args.refine_epochs * bench.steps_per_epoch();
    let constant =
        ScheduleConfig::default_of(ScheduleKind::Constant).expect("constant has defaults");
    let trainer = Trainer::new(1, LrChoice::Fixed(lr), constant);
    let bar = report::progress_bar((k * steps) as u64);
    bar.set_message("refining: candidate runs");
    let mut observer = |e: Event<'_>| {
        bar.inc(matches!(e, Event::CandidateStep { .. }) as u64);
        match stop.load(Ordering::SeqCst) {
            true => Err(Halt::Interrupt),
            false => Ok(()),
        }
    };
    let refined = bench.refine(&trainer, lr, k, steps, &mut observer);
    bar.finish_and_clear();
    match refined {
        Ok(refined) => Ok(Some(Refined(refined))),
        Err(TrainError::Interrupted) => Ok(None),
        Err(e) => Err(bad_input(e)),
    }
}
