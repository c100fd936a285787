//! `lrfind train`: train with the found rate and a schedule, re-running the range test from the
//! current weights when asked. The loop and the re-find policy are the library's
//! ([`lrfind_train::Trainer`]); this file parses flags, shows progress and writes the files.

use crate::exit::{bad_input, bad_setting};
use crate::flags::{kind_after, parse_with_schedule, Format, RangeArgs, RefineArgs, SuggestArgs};
use crate::output::{emit, write_atomic, write_json};
use crate::report;
use crate::resume;
use crate::train_report::{failure, Show};
use anyhow::Result;
use burn::prelude::*;
use clap::Parser;
use indicatif::ProgressBar;
use lrfind::metric::MetricDocument;
use lrfind::schedule::{ScheduleConfig, ScheduleKind};
use lrfind::{Method, Smoothing};
use lrfind_burn::optim::OptimizerKind;
use lrfind_train::Refine;
use lrfind_train::{Checkpoint, Event, Halt, History, HistoryDocument, TrainError};
use lrfind_train::{LrChoice, RefindPolicy, Trainer};
use lrfind_zoo::workbench::Checkpointing;
use lrfind_zoo::{HeldOut, TaskSpec};
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Instant;

/// The flags besides the schedule kind's own.
#[derive(Parser, Debug)]
#[command(
    name = "lrfind train",
    about = "Train with the found rate and a schedule; re-find as training goes on",
    after_help = "--schedule KIND adds that kind's flags (those of `lrfind schedule KIND`): lrfind train --schedule KIND --help",
    allow_negative_numbers = true
)]
pub struct Args {
    #[command(flatten)]
    pub task: TaskSpec,
    /// Epochs to train.
    #[arg(long, default_value_t = 5)]
    pub epochs: usize,
    /// The rate: a number, or `auto` to run the range test first and take its suggestion
    /// (cyclic takes the bounds, one-cycle takes the suggestion as max_lr; with
    /// `--optimizer prodigy`, `auto` is 1 and no range test runs).
    #[arg(long, default_value = "auto", value_parser = parse_lr)]
    pub lr: LrChoice,
    /// The suggestion `--lr auto` and re-finds take (default: lrfind's recommended method).
    #[arg(long, value_enum)]
    pub method: Option<Method>,
    /// The schedule, stepped once per optimizer step (plateau: once per epoch, on the held-out
    /// loss). Its flags are those of `lrfind schedule`.
    #[arg(long, value_enum, default_value_t = ScheduleKind::OneCycle)]
    pub schedule: ScheduleKind,
    /// Every N epochs, run the range test again from the current weights and optimizer state,
    /// restore them, and restart the schedule from the new suggestion for the remaining epochs.
    #[arg(long)]
    pub refind_every: Option<usize>,
    /// Re-find when the held-out loss has not improved for --refind-patience epochs.
    #[arg(long, conflicts_with = "refind_every")]
    pub refind_on_plateau: bool,
    /// Epochs without improvement before --refind-on-plateau re-finds.
    #[arg(long, default_value_t = 2)]
    pub refind_patience: usize,
    /// Keep the optimizer's momentum (β1) fixed instead of following one-cycle's or cyclic's
    /// momentum (--base-momentum … --max-momentum, inverse to the lr, as PyTorch and fastai).
    #[arg(long)]
    pub no_cycle_momentum: bool,
    /// Warm-up steps of every re-find after the first range test (see `find --warmup`): they
    /// measure the batch noise, and the re-find's curve is read beyond it (0: fastai's curve).
    #[arg(long, default_value_t = lrfind_train::DEFAULT_REFIND_WARMUP)]
    pub refind_warmup: usize,
    /// Refine the range test's rate before training (`--lr auto`): K candidates a factor 2
    /// apart around it (5: ¼…4×) each train a fifth of the run under the schedule from the same
    /// weights, scored on a selection split carved from the training data (state restored after
    /// each; not for --schedule cyclic); the span grows downward while the best is its
    /// lowest (--refine-extend), and at a constant rate each candidate's loss is carried to the run's
    /// length (--refine-extrapolate); the lowest loss gives the rate. Costs 1–1.4 runs. 0: the
    /// curve's rate. Default: 5 under every schedule but cyclic (docs/evaluation.md, "A selection
    /// that knows the run").
    #[arg(long)]
    pub refine: Option<usize>,
    /// Refine every re-find's rate too (a fifth of the remaining steps per candidate).
    #[arg(long)]
    pub refine_refinds: bool,
    #[command(flatten)]
    pub refine_run: RefineArgs,
    #[command(flatten)]
    pub range: RangeArgs,
    #[command(flatten)]
    pub suggest: SuggestArgs,
    /// Where history.json, history.csv, training.png, model.bpk and each re-find's
    /// `lr_find_<epoch>.{json,csv,png}` go.
    #[arg(long, default_value = "lrfind-train")]
    pub out: PathBuf,
    /// Continue the run in --out from its last checkpoint (written after every epoch), after
    /// Ctrl-C, a kill or a crash; it ends exactly where an uninterrupted run ends. The flags must
    /// be those the run started with.
    #[arg(long, conflicts_with = "eval_only")]
    pub resume: bool,
    /// Evaluate the model saved in --out (model.bpk, trained with the same task flags) on the
    /// held-out data, without training.
    #[arg(long)]
    pub eval_only: bool,
    /// Output on stdout.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

fn parse_lr(s: &str) -> Result<LrChoice, String> {
    if s == "auto" {
        return Ok(LrChoice::Auto);
    }
    match s.parse::<f64>() {
        Ok(x) if x > 0.0 && x.is_finite() => Ok(LrChoice::Fixed(x)),
        _ => Err(format!("'{s}' is neither `auto` nor a positive number")),
    }
}

/// Parses `lrfind train …` (the schedule's flags added) and runs it.
pub fn parse_and_train(argv: Vec<OsString>) -> Result<()> {
    let kind = |a: &[OsString]| kind_after("--schedule", a);
    let (args, schedule) = parse_with_schedule::<Args>(argv, kind, ScheduleKind::OneCycle);
    train_model(args, schedule)
}

impl Args {
    /// The trainer these flags describe.
    fn trainer(&self, schedule: ScheduleConfig) -> Trainer {
        let refind = match (self.refind_every, self.refind_on_plateau) {
            (Some(n), _) => RefindPolicy::Every(n),
            (None, true) => RefindPolicy::OnPlateau {
                patience: self.refind_patience,
            },
            _ => RefindPolicy::Never,
        };
        let refine = self.refine_candidates();
        Trainer {
            epochs: self.epochs,
            lr: self.lr_choice(),
            schedule,
            refind,
            range_test: self.range.config(),
            refind_warmup: self.refind_warmup,
            analysis: self.suggest.options(Smoothing::None, None),
            method: self.method.unwrap_or(lrfind::DEFAULT_METHOD),
            cycle_momentum: !self.no_cycle_momentum,
            refine: (refine > 0).then_some(Refine {
                refinds: self.refine_refinds,
                ..self.refine_run.refine(refine)
            }),
        }
    }

    /// `--refine`: as given, else [`crate::flags::default_refine`] of the schedule.
    pub fn refine_candidates(&self) -> usize {
        self.refine
            .unwrap_or(crate::flags::default_refine(self.schedule))
    }

    /// `--lr`, where `auto` means 1 for a learning-rate-free optimizer (Prodigy): it sets its own
    /// step size, so no range test runs.
    pub fn lr_choice(&self) -> LrChoice {
        match self.lr {
            LrChoice::Auto if self.task.optimizer.learning_rate_free() => LrChoice::Fixed(1.0),
            lr => lr,
        }
    }
}

/// `--eval-only --format json`: the held-out loss and metric.
#[derive(serde::Serialize)]
struct HeldOutDocument {
    val_loss: f64,
    #[serde(flatten)]
    metric: MetricDocument,
}

/// `--eval-only`: scores the saved model on the held-out data.
fn eval_only(args: &Args, device: &Device) -> Result<()> {
    let path = args.out.join("model.bpk");
    if !path.is_file() {
        return Err(bad_input(format!(
            "{} does not exist (train first, with the same --out)",
            path.display()
        )));
    }
    let bench = lrfind_zoo::load(&args.task, HeldOut::All, device).map_err(bad_input)?;
    let score = bench.score_saved(&path).map_err(bad_input)?;
    let (name, value) = (score.metric.key(), score.metric.value());
    emit(&match args.format {
        Format::Json => {
            let score = HeldOutDocument {
                val_loss: score.loss,
                metric: MetricDocument::of(score.metric),
            };
            format!("{}\n", serde_json::to_string(&score)?)
        }
        Format::Table => format!("val_loss {:.4}  {name} {value:.4}\n", score.loss),
    })
}

/// Writes history.json, history.csv and training.png; returns the document.
fn write_history(args: &Args, history: &History) -> Result<HistoryDocument> {
    let doc = history.document(args.schedule.name(), args.task.to_json());
    write_json(&args.out.join("history.json"), &doc)?;
    write_atomic(&args.out.join("history.csv"), |w| history.write_csv(w))?;
    lrfind_plot::plot_training(
        &format!("Training: {} ({})", args.task, args.schedule.name()),
        lrfind_plot::TrainingPlot {
            loss: &history.step_loss,
            lr: &history.step_lr,
            val_loss: &history.val_points(),
            refinds: &history.refind_steps(),
        },
        &args.out.join("training.png"),
    )?;
    Ok(doc)
}

/// Trains, writes the history, the model and every range test's files.
pub fn train_model(args: Args, schedule: ScheduleConfig) -> Result<()> {
    args.task.validate().map_err(bad_input)?;
    args.range.config().validate().map_err(bad_setting)?;
    let device = args.task.backend.device().map_err(bad_input)?;
    if args.eval_only {
        return eval_only(&args, &device);
    }
    if args.epochs == 0 {
        return Err(bad_input("--epochs must be at least 1"));
    }
    if args.refind_every == Some(0) {
        return Err(bad_input("--refind-every must be at least 1"));
    }
    schedule.validate().map_err(bad_input)?;
    let _lock = crate::output::OutLock::take(&args.out)?;
    args.suggest
        .options(Smoothing::None, None)
        .validate()
        .map_err(bad_setting)?;
    args.trainer(schedule.clone())
        .check_rules()
        .map_err(bad_setting)?;
    let config = resume::run_config(&args, &schedule);
    let checkpoint = resume::load(&args, &config)?;
    let stop = report::ctrl_c();
    let mut bench = lrfind_zoo::load(&args.task, HeldOut::All, &device).map_err(bad_input)?;
    if bench.held_out_batches() == 0 {
        return Err(bad_input(lrfind_zoo::workbench::no_held_out()));
    }
    let trainer = args.trainer(schedule);
    if args.task.optimizer == OptimizerKind::ScheduleFreeAdamW
        && args.schedule != ScheduleKind::Constant
    {
        eprintln!(
            "note: schedulefree-adamw needs no schedule (it averages its iterates); --schedule {} \
             is applied on top of it (--schedule constant: as its authors train it)",
            args.schedule
        );
    }
    if trainer.chooses() {
        let carved = bench.carve_selection().map_err(bad_input)?;
        if args.format == Format::Table {
            eprintln!(
                "choosing on a selection split: {carved} of the training batches, not trained on; \
                 the held-out data is only reported"
            );
        }
    }
    let mut show = Show {
        args: &args,
        trainer: &trainer,
        steps_per_epoch: bench.steps_per_epoch(),
        stop: &stop,
        bar: ProgressBar::hidden(),
        started: Instant::now(),
        header_shown: false,
        written: None,
    };
    let mut observer = |e: Event<'_>| show.on(e);
    let file = resume::path(&args.out);
    let mut save = |c: &Checkpoint| {
        std::fs::create_dir_all(&args.out)
            .and_then(|()| c.write(&file))
            .map_err(|e| Halt::Fail(format!("cannot write {}: {e}", file.display()).into()))
    };
    let checkpointing = Checkpointing {
        resume: checkpoint,
        config,
        save: &mut save,
    };
    let outcome = bench.train(&trainer, &mut observer, Some(checkpointing));
    let (history, error) = (outcome.history, outcome.result.err());
    show.bar.finish_and_clear();
    if let Some(TrainError::Schedule(e)) = &error {
        if history.step_lr.is_empty() && history.refinds.is_empty() {
            return Err(bad_input(e));
        }
    }
    let doc = write_history(&args, &history)?;
    if let Some(bytes) = bench.trained_model() {
        let bytes = bytes.map_err(anyhow::Error::new)?;
        write_atomic(&args.out.join("model.bpk"), |w| w.write_all(&bytes))?;
    }
    if args.format == Format::Json {
        emit(&format!("{}\n", serde_json::to_string_pretty(&doc)?))?;
    } else if error.is_none() {
        emit(&format!(
            "wrote {}/{{history.json,history.csv,training.png,model.bpk}}\n",
            args.out.display()
        ))?;
    }
    match error {
        Some(e) => Err(failure(&args, e).context(format!(
            "history so far written to {}",
            args.out.join("history.json").display()
        ))),
        None => Ok(()),
    }
}
