//! `lrfind train`: train with the found rate and a schedule, re-running the range test from the
//! current weights when asked (every N epochs, or when the held-out loss stops improving).

use crate::analyze::SuggestArgs;
use crate::exit::{bad_input, bad_setting, Interrupted};
use crate::find::{keep_partial, progress_bar, run_with_progress, write_range_test, RangeArgs};
use crate::output::{emit, write_atomic};
use crate::schedule::{use_rates, Kind, ScheduleFlags};
use crate::task::{with_task, HeldOut, Job, Setup, TaskArgs};
use anyhow::{Context, Result};
use burn::prelude::*;
use burn::store::ModuleRecord;
use clap::Parser;
use lrfind::schedule::Schedule;
use lrfind::{Method, Probe, StopReason};
use lrfind_burn::task::{evaluate, Metric, Task};
use lrfind_burn::BurnProbe;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

#[derive(Parser, Debug)]
pub struct Args {
    #[command(flatten)]
    pub task: TaskArgs,
    #[arg(long, default_value_t = 5)]
    pub epochs: usize,
    /// The rate: a number, or `auto` to run the range test first and take its suggestion
    /// (cyclic takes the bounds, one-cycle takes the suggestion as max_lr).
    #[arg(long, default_value = "auto", value_parser = parse_lr)]
    pub lr: LrChoice,
    /// The suggestion `--lr auto` and re-finds take (default: lrfind's recommended method).
    #[arg(long)]
    pub method: Option<Method>,
    /// The schedule, stepped once per optimizer step (plateau: once per epoch, on the held-out
    /// loss). Its flags are those of `lrfind schedule`.
    #[arg(long, value_enum, default_value = "one-cycle")]
    pub schedule: Kind,
    #[command(flatten)]
    pub flags: ScheduleFlags,
    /// Every N epochs, run the range test again from the current weights and optimizer state,
    /// restore them, and restart the schedule from the new suggestion for the remaining epochs.
    #[arg(long)]
    pub refind_every: Option<usize>,
    /// Re-find when the held-out loss has not improved for --refind-patience epochs.
    #[arg(long, conflicts_with = "refind_every")]
    pub refind_on_plateau: bool,
    #[arg(long, default_value_t = 2)]
    pub refind_patience: usize,
    /// Warm-up steps of every re-find after the first range test (see `find --warmup`; 0, off,
    /// by default): from trained weights the first batches' losses can read as descent.
    #[arg(long, default_value_t = 0)]
    pub refind_warmup: usize,
    #[command(flatten)]
    pub range: RangeArgs,
    #[command(flatten)]
    pub suggest: SuggestArgs,
    /// Where history.json, history.csv, training.png, model.bpk and each re-find's
    /// lr_find_<epoch>.{json,csv,png} go.
    #[arg(long, default_value = "lrfind-train")]
    pub out: PathBuf,
    /// Evaluate the model saved in --out (model.bpk, trained with the same task flags) on the
    /// held-out data, without training.
    #[arg(long)]
    pub eval_only: bool,
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    pub format: String,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LrChoice {
    Auto,
    Fixed(f64),
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

/// One epoch of the history.
#[derive(Debug, Clone)]
pub struct EpochRow {
    pub epoch: usize,
    pub lr_start: f64,
    pub lr_end: f64,
    pub train_loss: f64,
    pub val_loss: f64,
    pub metric: Metric,
}

impl EpochRow {
    fn to_json(&self) -> Value {
        let mut v = json!({
            "epoch": self.epoch, "lr_start": self.lr_start, "lr_end": self.lr_end,
            "train_loss": self.train_loss, "val_loss": self.val_loss,
        });
        match self.metric {
            Metric::Accuracy(a) => v["val_accuracy"] = json!(a),
            Metric::Rmse(r) => v["val_rmse"] = json!(r),
        }
        v
    }
}

/// Everything a run recorded.
#[derive(Debug, Default)]
pub struct History {
    pub epochs: Vec<EpochRow>,
    /// (epoch, method, suggested lr, step) of each range test.
    pub refinds: Vec<(usize, &'static str, f64, usize)>,
    pub step_lr: Vec<f64>,
    pub step_loss: Vec<f64>,
    pub stopped: Option<String>,
}

/// The training run as a [`Job`]: returns its history and the model's bytes (when it finished).
struct TrainJob<'a> {
    args: &'a Args,
    method: Method,
    stop: &'a AtomicBool,
}

/// What a training run leaves: its history, the trained weights when it finished cleanly, and
/// the error that stopped it, if any.
type TrainOutcome = (History, Option<Vec<u8>>, Option<anyhow::Error>);

impl Job for TrainJob<'_> {
    type Output = TrainOutcome;
    fn run<M, T>(self, setup: Setup<M, T>) -> Result<TrainOutcome>
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
        let total = args.epochs * steps_per_epoch;
        let mut probe =
            lrfind_burn::task::probe(model, args.task.build_optimizer(), train, task.clone());
        let mut history = History::default();
        let mut run = Run {
            args,
            method: self.method,
            stop: self.stop,
            history: &mut history,
        };
        let error = run
            .train(&mut probe, steps_per_epoch, total, |m| {
                let score = evaluate(&task, m, valid.all());
                (score.mean_loss(), task.metric(&score))
            })
            .err();
        let bytes = match (&error, &history.stopped, probe.model()) {
            (None, None, Some(model)) => Some(
                model
                    .clone()
                    .into_record()
                    .into_bytes()
                    .map_err(|e| anyhow::anyhow!("cannot serialise the model: {e}"))?
                    .to_vec(),
            ),
            _ => None,
        };
        Ok((history, bytes, error))
    }
}

/// The state of one training run.
struct Run<'a> {
    args: &'a Args,
    method: Method,
    stop: &'a AtomicBool,
    history: &'a mut History,
}

impl Run<'_> {
    /// Runs a range test from the current state (restored afterwards), writes its files as
    /// `lr_find_<epoch>`, and returns a schedule for the `remaining` steps from its suggestion.
    fn refind<P: Probe>(
        &mut self,
        probe: &mut P,
        epoch: usize,
        remaining: usize,
    ) -> Result<Box<dyn Schedule>> {
        let args = self.args;
        let started = Instant::now();
        let mut range = args.range.clone();
        if epoch > 0 {
            range.warmup = args.refind_warmup;
        }
        let result = keep_partial(run_with_progress(probe, range.config(), self.stop))?;
        if result.stopped == StopReason::Interrupted {
            return Err(anyhow::Error::new(Interrupted));
        }
        let mut config = args.task.to_json();
        config["range_test"] = range.to_json();
        config["epoch"] = json!(epoch);
        let title = format!("LR range test at epoch {epoch}: {}", args.task.title());
        let stem = format!("lr_find_{epoch}");
        let written = write_range_test(
            &args.out,
            &stem,
            &result,
            &args.suggest,
            config,
            started.elapsed().as_secs_f64(),
            &title,
        )?;
        let method = self.method.name();
        let suggestion = written.analysis.suggestion(self.method).map(|s| s.lr);
        let bounds = written.analysis.bounds().map(|b| (b.base_lr, b.max_lr));
        let (mut lr, mut flags) = (None, args.flags.clone());
        let used = use_rates(
            args.schedule,
            method,
            suggestion,
            bounds,
            &mut lr,
            &mut flags,
        )
        .map_err(|what| {
            anyhow::anyhow!(
                "the range test at epoch {epoch} gave no {what} suggestion (see {}/{stem}.png)",
                args.out.display()
            )
        })?;
        let chosen = match args.schedule {
            Kind::Cyclic | Kind::OneCycle => flags.max_lr.unwrap_or_default(),
            _ => lr.unwrap_or_default(),
        };
        self.history
            .refinds
            .push((epoch, method, chosen, self.history.step_lr.len()));
        if args.format == "table" {
            eprintln!("epoch {epoch}: range test → {used}");
        }
        build_schedule(args, lr, &flags, remaining)
    }

    fn train<M, S, F>(
        &mut self,
        probe: &mut BurnProbe<M, S, F>,
        steps_per_epoch: usize,
        total: usize,
        eval: impl Fn(&M) -> (f64, Metric),
    ) -> Result<()>
    where
        M: Module + Clone,
        S: lrfind_burn::BatchSource,
        F: FnMut(&M, &S::Batch) -> Tensor<1>,
    {
        let args = self.args;
        let mut schedule = match args.lr {
            LrChoice::Auto => self.refind(probe, 0, total)?,
            LrChoice::Fixed(x) => build_schedule(args, Some(x), &args.flags, total)?,
        };
        let (mut best, mut since_best) = (f64::INFINITY, 0usize);
        for epoch in 0..args.epochs {
            let due = match (args.refind_every, args.refind_on_plateau) {
                (Some(n), _) => epoch > 0 && epoch % n == 0,
                (None, true) => epoch > 0 && since_best >= args.refind_patience,
                _ => false,
            };
            if due {
                schedule = self.refind(probe, epoch, (args.epochs - epoch) * steps_per_epoch)?;
                since_best = 0;
            }
            let bar = progress_bar(steps_per_epoch as u64);
            bar.set_prefix(format!("epoch {}/{}", epoch + 1, args.epochs));
            let lr_start = schedule.lr();
            let mut sum = 0.0;
            for step in 0..steps_per_epoch {
                if self.stop.load(Ordering::SeqCst) {
                    bar.finish_and_clear();
                    self.history.stopped = Some("interrupted".into());
                    return Err(anyhow::Error::new(Interrupted));
                }
                let lr = schedule.lr();
                let loss = probe.step(lr)?;
                self.history.step_lr.push(lr);
                self.history.step_loss.push(loss);
                if !loss.is_finite() {
                    bar.finish_and_clear();
                    self.history.stopped = Some("diverged".into());
                    anyhow::bail!(
                        "training diverged at epoch {epoch}, step {step}: loss {loss} at lr {lr:.3e} \
                         (try a lower --lr or another --method)"
                    );
                }
                sum += loss;
                if args.schedule != Kind::Plateau {
                    schedule.step(None).map_err(bad_input)?;
                }
                bar.set_position(step as u64 + 1);
                bar.set_message(format!("lr {lr:.2e}  loss {loss:.4}"));
            }
            bar.finish_and_clear();
            let lr_end = *self.history.step_lr.last().unwrap_or(&lr_start);
            let model = probe.model().context("the model is gone")?;
            let (val_loss, metric) = eval(model);
            if args.schedule == Kind::Plateau {
                schedule.step(Some(val_loss)).map_err(bad_input)?;
            }
            if val_loss < best * (1.0 - 1e-4) {
                (best, since_best) = (val_loss, 0);
            } else {
                since_best += 1;
            }
            let row = EpochRow {
                epoch,
                lr_start,
                lr_end,
                train_loss: sum / steps_per_epoch as f64,
                val_loss,
                metric,
            };
            if args.format == "table" {
                if epoch == 0 {
                    eprintln!("{}", table_header(&metric));
                }
                eprintln!("{}", table_row(&row));
            }
            self.history.epochs.push(row);
        }
        Ok(())
    }
}

/// Builds the schedule for `steps` optimizer steps; cosine's t_max defaults to all of them.
fn build_schedule(
    args: &Args,
    lr: Option<f64>,
    flags: &ScheduleFlags,
    steps: usize,
) -> Result<Box<dyn Schedule>> {
    let mut flags = flags.clone();
    if args.schedule == Kind::Cosine && flags.t_max.is_none() {
        flags.t_max = Some(steps.max(1));
    }
    flags.build(args.schedule, lr, steps.max(1))
}

fn table_header(metric: &Metric) -> String {
    let name = match metric {
        Metric::Accuracy(_) => "val acc",
        Metric::Rmse(_) => "val rmse",
    };
    format!(
        "{:>5}  {:>21}  {:>10}  {:>10}  {:>9}",
        "epoch", "lr (start → end)", "train loss", "val loss", name
    )
}

fn table_row(r: &EpochRow) -> String {
    let metric = match r.metric {
        Metric::Accuracy(a) => format!("{:.2}%", a * 100.0),
        Metric::Rmse(x) => format!("{x:.4}"),
    };
    format!(
        "{:>5}  {:>9.3e} → {:>9.3e}  {:>10.4}  {:>10.4}  {:>9}",
        r.epoch, r.lr_start, r.lr_end, r.train_loss, r.val_loss, metric
    )
}

/// Writes history.json, history.csv and training.png.
fn write_history(args: &Args, history: &History) -> Result<Value> {
    let doc = json!({
        "epochs": history.epochs.iter().map(EpochRow::to_json).collect::<Vec<_>>(),
        "refinds": history.refinds.iter().map(|&(epoch, method, lr, step)| json!({
            "epoch": epoch, "suggestion": lr, "method": method, "step": step,
            "lr_find": format!("lr_find_{epoch}.json"),
        })).collect::<Vec<_>>(),
        "schedule": args.schedule.name(),
        "stopped": history.stopped.as_deref().unwrap_or("completed"),
        "config": args.task.to_json(),
        "steps": {"lr": history.step_lr, "loss": history.step_loss},
    });
    write_atomic(&args.out.join("history.json"), |w| {
        serde_json::to_writer_pretty(&mut *w, &doc).map_err(std::io::Error::other)?;
        writeln!(w)
    })?;
    write_atomic(&args.out.join("history.csv"), |w| {
        let metric = match history.epochs.first().map(|r| r.metric) {
            Some(Metric::Rmse(_)) => "val_rmse",
            _ => "val_accuracy",
        };
        writeln!(w, "epoch,lr_start,lr_end,train_loss,val_loss,{metric}")?;
        for r in &history.epochs {
            let m = match r.metric {
                Metric::Accuracy(a) | Metric::Rmse(a) => a,
            };
            writeln!(
                w,
                "{},{},{},{},{},{m}",
                r.epoch, r.lr_start, r.lr_end, r.train_loss, r.val_loss
            )?;
        }
        Ok(())
    })?;
    let steps_per_epoch = history.step_lr.len() / history.epochs.len().max(1);
    let val: Vec<(usize, f64)> = history
        .epochs
        .iter()
        .map(|r| ((r.epoch + 1) * steps_per_epoch, r.val_loss))
        .collect();
    let refinds: Vec<usize> = history
        .refinds
        .iter()
        .map(|r| r.3)
        .filter(|&s| s > 0)
        .collect();
    lrfind::plot::plot_training(
        &format!("Training: {} ({})", args.task.title(), args.schedule.name()),
        lrfind::plot::TrainingPlot {
            loss: &history.step_loss,
            lr: &history.step_lr,
            val_loss: &val,
            refinds: &refinds,
        },
        &args.out.join("training.png"),
    )?;
    Ok(doc)
}

/// `--eval-only`: scores the saved model on the held-out data.
struct EvalJob<'a> {
    path: &'a Path,
}

impl Job for EvalJob<'_> {
    type Output = (f64, Metric);
    fn run<M, T>(self, setup: Setup<M, T>) -> Result<(f64, Metric)>
    where
        M: Module + Clone + 'static,
        T: Task<M> + Send + Sync + 'static,
        T::Batch: Send + Sync + 'static,
    {
        let path = self.path;
        let record = ModuleRecord::load(path)
            .map_err(|e| bad_input(format!("{}: cannot read the model: {e}", path.display())))?;
        let model = setup.model.try_load_record(record).map_err(|e| {
            bad_input(format!(
                "{}: does not fit this model (same task flags as when it was trained?): {e}",
                path.display()
            ))
        })?;
        let valid = setup
            .valid
            .ok_or_else(|| bad_input("the dataset has no held-out rows"))?;
        let score = evaluate(&setup.task, &model, valid.all());
        Ok((score.mean_loss(), setup.task.metric(&score)))
    }
}

fn metric_json(metric: Metric) -> (&'static str, f64) {
    match metric {
        Metric::Accuracy(a) => ("val_accuracy", a),
        Metric::Rmse(r) => ("val_rmse", r),
    }
}

pub fn run(args: Args) -> Result<()> {
    args.task.validate()?;
    args.range.config().validate().map_err(bad_setting)?;
    let device = Device::flex().autodiff();
    let model_path = args.out.join("model.bpk");
    if args.eval_only {
        if !model_path.is_file() {
            return Err(bad_input(format!(
                "{} does not exist (train first, with the same --out)",
                model_path.display()
            )));
        }
        let job = EvalJob { path: &model_path };
        let (val_loss, metric) = with_task(&args.task, HeldOut::All, &device, job)?;
        let (name, value) = metric_json(metric);
        let text = if args.format == "json" {
            format!("{}\n", json!({"val_loss": val_loss, name: value}))
        } else {
            format!("val_loss {val_loss:.4}  {name} {value:.4}\n")
        };
        return emit(&text);
    }
    if args.epochs == 0 {
        return Err(bad_input("--epochs must be at least 1"));
    }
    if args.refind_every == Some(0) {
        return Err(bad_input("--refind-every must be at least 1"));
    }
    // The schedule's flags are checked before any training: a fixed lr builds it now; auto
    // checks it with a stand-in rate.
    let probe_lr = match args.lr {
        LrChoice::Fixed(x) => x,
        LrChoice::Auto => 1e-3,
    };
    let (mut lr, mut flags) = (Some(probe_lr), args.flags.clone());
    if args.lr == LrChoice::Auto {
        let _ = use_rates(
            args.schedule,
            "auto",
            Some(probe_lr),
            Some((probe_lr / 10.0, probe_lr)),
            &mut lr,
            &mut flags,
        );
    }
    build_schedule(&args, lr, &flags, args.epochs)?;
    crate::output::check_out_dir(&args.out)?;

    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
    let job = TrainJob {
        args: &args,
        method: args.method.unwrap_or(lrfind::DEFAULT_METHOD),
        stop: &stop,
    };
    let (history, model, error) = with_task(&args.task, HeldOut::All, &device, job)?;
    let doc = write_history(&args, &history)?;
    if let Some(bytes) = &model {
        write_atomic(&model_path, |w| w.write_all(bytes))?;
    }
    if args.format == "json" {
        emit(&format!("{}\n", serde_json::to_string_pretty(&doc)?))?;
    } else if error.is_none() {
        emit(&format!(
            "wrote {}/{{history.json,history.csv,training.png,model.bpk}}\n",
            args.out.display()
        ))?;
    }
    match error {
        Some(e) => Err(e.context(format!(
            "history so far written to {}",
            args.out.join("history.json").display()
        ))),
        None => Ok(()),
    }
}
