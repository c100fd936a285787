//! `lrfind find`: a range test on a real model and dataset (burn, flex CPU backend).

use crate::analyze::{parse_stop_div, table, SuggestArgs};
use crate::exit::{bad_input, bad_setting, Interrupted};
use crate::output::write_atomic;
use crate::task::{with_task, HeldOut, Job, Setup, TaskArgs};
use anyhow::Result;
use burn::prelude::*;
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use lrfind::{
    analyze, Progress, Ramp, RangeTestConfig, RangeTestResult, RunError, Smoothing, StopReason,
};
use lrfind_burn::probe::ProbeError;
use lrfind_burn::task::Task;
use serde_json::{json, Value};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

#[derive(Parser, Debug)]
pub struct Args {
    #[command(flatten)]
    pub task: TaskArgs,
    #[command(flatten)]
    pub range: RangeArgs,
    /// Micro-batches whose gradients are accumulated per optimizer step.
    #[arg(long, default_value_t = 1)]
    pub accumulate: usize,
    /// Record, for each step, the mean loss over V held-out batches (Smith's variant) instead of
    /// the training batch's loss; 0 turns it off.
    #[arg(long, default_value_t = 0)]
    pub val_batches: usize,
    /// Where lr_find.json, lr_find.csv and lr_find.png go.
    #[arg(long, default_value = "lrfind-out")]
    pub out: PathBuf,
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    pub format: String,
    #[command(flatten)]
    pub suggest: SuggestArgs,
}

/// The range test's own flags (shared by `find` and `train`).
#[derive(Parser, Debug, Clone)]
pub struct RangeArgs {
    /// First lr of the sweep (a value, even a negative-looking one, is taken as given and checked).
    #[arg(long, default_value_t = 1e-7, allow_hyphen_values = true)]
    pub start_lr: f64,
    /// Last lr of the sweep.
    #[arg(long, default_value_t = 10.0, allow_hyphen_values = true)]
    pub end_lr: f64,
    #[arg(long, default_value_t = 100)]
    pub num_iter: usize,
    #[arg(long, default_value = "exp", value_parser = ["exp", "linear"])]
    pub ramp: String,
    /// Stop once smoothed loss > X × best (`none`: run every step).
    #[arg(long, default_value = "4", value_parser = parse_stop_div)]
    pub stop_div: crate::analyze::StopDiv,
    #[arg(long, default_value = "ema", value_parser = ["ema", "none"])]
    pub smoothing: String,
    /// β of the EMA smoothing.
    #[arg(long, default_value_t = 0.98, allow_hyphen_values = true)]
    pub beta: f64,
    /// Steps at --start-lr before the sweep whose mean loss starts the smoothing (0: fastai's
    /// debiased start; for a sweep from trained weights, see `train --refind-warmup`).
    #[arg(long, default_value_t = 0)]
    pub warmup: usize,
}

impl RangeArgs {
    pub fn config(&self) -> RangeTestConfig {
        RangeTestConfig {
            start_lr: self.start_lr,
            end_lr: self.end_lr,
            num_iter: self.num_iter,
            ramp: if self.ramp == "linear" {
                Ramp::Linear
            } else {
                Ramp::Exp
            },
            smoothing: if self.smoothing == "none" {
                Smoothing::None
            } else {
                Smoothing::Ema { beta: self.beta }
            },
            stop_div: self.stop_div.0,
            warmup: self.warmup,
        }
    }

    pub fn to_json(&self) -> Value {
        json!({
            "start_lr": self.start_lr, "end_lr": self.end_lr, "num_iter": self.num_iter,
            "ramp": self.ramp, "smoothing": self.smoothing, "beta": self.beta,
            "stop_div": self.stop_div.0, "warmup": self.warmup,
        })
    }
}

/// Runs a range test on `probe` with a progress bar; `stop` (Ctrl-C) interrupts it. The probe's
/// state is restored afterwards, whatever happens.
pub fn run_with_progress<P: lrfind::Probe>(
    probe: &mut P,
    config: RangeTestConfig,
    stop: &AtomicBool,
) -> Result<RangeTestResult, RunError<P::Error>> {
    let bar = progress_bar(config.num_iter as u64);
    let mut observer = |p: &Progress| {
        bar.set_position(p.iteration as u64 + 1);
        bar.set_message(format!(
            "lr {:.2e}  loss {}",
            p.lr,
            p.loss.map_or("—".into(), |l| format!("{l:.4}"))
        ));
        if stop.load(Ordering::SeqCst) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    let result = lrfind::run(probe, config, &mut observer);
    bar.finish_and_clear();
    result
}

/// A range test that failed part-way still gives its points: reports why and keeps them.
pub fn keep_partial<E: std::error::Error + Send + Sync + 'static>(
    result: Result<RangeTestResult, RunError<E>>,
) -> Result<RangeTestResult> {
    match result {
        Ok(r) => Ok(r),
        Err(RunError::Step {
            partial,
            source,
            iteration,
        }) => {
            eprintln!(
                "lrfind: training step {iteration} failed: {source}; keeping the {} points recorded",
                partial.curve.len()
            );
            Ok(partial)
        }
        Err(e) => Err(e.into()),
    }
}

/// What a written range test holds: its analysis and its JSON document.
pub struct Written {
    pub analysis: lrfind::Analysis,
    pub doc: Value,
}

/// Analyses `result` and writes `<stem>.json` (the analyze schema plus `config`, `device`,
/// `default_method`, `timing`), `<stem>.csv` and `<stem>.png` into `out`, each atomically.
pub fn write_range_test(
    out: &Path,
    stem: &str,
    result: &RangeTestResult,
    suggest: &SuggestArgs,
    config: Value,
    seconds: f64,
    title: &str,
) -> Result<Written> {
    let options = suggest.options(Smoothing::None, None);
    let mut analysis = analyze(&result.curve, &options).map_err(bad_input)?;
    analysis.stopped = result.stopped;
    let iterations = result.curve.len();
    let mut doc = analysis.to_json_recommending(lrfind::DEFAULT_METHOD);
    doc["config"] = config;
    doc["device"] = json!("flex (CPU)");
    doc["default_method"] = json!(lrfind::DEFAULT_METHOD.name());
    doc["timing"] = json!({"iterations": iterations, "seconds": seconds, "iterations_per_second": iterations as f64 / seconds.max(1e-9)});
    doc["curve"]["raw_loss"] = json!(result.curve.raw_loss);
    write_atomic(&out.join(format!("{stem}.json")), |w| {
        serde_json::to_writer_pretty(&mut *w, &doc).map_err(std::io::Error::other)?;
        writeln!(w)
    })?;
    write_atomic(&out.join(format!("{stem}.csv")), |w| {
        result.curve.write_csv(w)
    })?;
    lrfind::plot::plot_analysis(
        &analysis,
        options.sma_window,
        title,
        &out.join(format!("{stem}.png")),
    )?;
    Ok(Written { analysis, doc })
}

/// The range test as a [`Job`] on any task: a progress bar; Ctrl-C (`stop`) interrupts.
struct RangeTestJob<'a> {
    args: &'a Args,
    config: RangeTestConfig,
    /// Set by Ctrl-C.
    stop: &'a AtomicBool,
}

type RangeTestOutcome = Result<RangeTestResult, RunError<ProbeError<std::convert::Infallible>>>;

impl Job for RangeTestJob<'_> {
    type Output = RangeTestOutcome;
    fn run<M, T>(self, setup: Setup<M, T>) -> Result<RangeTestOutcome>
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
        let mut probe = lrfind_burn::task::probe(model, args.task.build_optimizer(), train, task)
            .with_accumulation(args.accumulate);
        if let Some(held_out) = valid {
            probe = probe.with_validation(held_out, args.val_batches);
        }
        let result = run_with_progress(&mut probe, self.config, self.stop);
        Ok(result)
    }
}

/// A progress bar of `len` steps (hidden when stderr is not a terminal).
pub fn progress_bar(len: u64) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:40} {pos}/{len} it  {msg}  [{elapsed_precise}, {per_sec}]",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

pub fn run(args: Args) -> Result<()> {
    // Everything the user controls is checked before any training starts.
    let config = args.range.config();
    config.validate().map_err(bad_setting)?;
    if args.accumulate == 0 {
        return Err(bad_input("--accumulate must be at least 1"));
    }
    args.task.validate()?;
    crate::output::check_out_dir(&args.out)?;
    let device = Device::flex().autodiff();
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    // A second Ctrl-C while we write results falls through to the default (exit).
    let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
    let held_out = match args.val_batches {
        0 => HeldOut::None,
        v => HeldOut::AtMost(v * args.task.batch_size),
    };
    let job = RangeTestJob {
        args: &args,
        config,
        stop: &stop,
    };
    let started = Instant::now();
    let result = with_task(&args.task, held_out, &device, job)?;
    let seconds = started.elapsed().as_secs_f64();
    let result = keep_partial(result)?;
    let mut config_json = args.task.to_json();
    for (key, value) in args.range.to_json().as_object().expect("an object") {
        config_json[key] = value.clone();
    }
    config_json["accumulate"] = json!(args.accumulate);
    config_json["val_batches"] = json!(args.val_batches);
    let title = format!("LR range test: {}", args.task.title());
    let Written { analysis, doc } = write_range_test(
        &args.out,
        "lr_find",
        &result,
        &args.suggest,
        config_json,
        seconds,
        &title,
    )?;
    let default_method = lrfind::DEFAULT_METHOD;
    let iterations = result.curve.len();
    if args.format == "json" {
        crate::output::emit(&format!("{}\n", serde_json::to_string_pretty(&doc)?))?;
    } else {
        let recommended = analysis.recommend(default_method);
        let mut text = lrfind::text_plot::render_analysis(&analysis, default_method, 64, 14);
        text += &table(&analysis, recommended.as_ref().ok().map(|(m, _)| *m));
        let rate = iterations as f64 / seconds.max(1e-9);
        text += &match &recommended {
            Ok((m, s)) => format!("* recommended: {} ({m})", crate::output::lr(s.lr)),
            Err(why) => format!("no recommendation: {why}"),
        };
        text += &format!("; {iterations} iterations in {seconds:.2} s ({rate:.0} it/s)\n");
        text += &format!("wrote {}/lr_find.{{json,csv,png}}\n", args.out.display());
        crate::output::emit(&text)?;
    }
    if result.stopped == StopReason::Interrupted && stop.load(Ordering::SeqCst) {
        return Err(anyhow::Error::new(Interrupted));
    }
    Ok(())
}
