//! `lrfind find`: a range test on a real model and dataset (burn, flex CPU backend).

use crate::analyze::{parse_stop_div, table, SuggestArgs};
use crate::exit::{bad_input, Interrupted};
use crate::output::write_atomic;
use crate::task::{with_task, HeldOut, Job, Setup, TaskArgs};
use anyhow::{Context, Result};
use burn::prelude::*;
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use lrfind::{
    analyze, Progress, Ramp, RangeTestConfig, RangeTestResult, RunError, Smoothing, StopReason,
};
use lrfind_burn::probe::ProbeError;
use lrfind_burn::task::Task;
use lrfind_burn::BurnProbe;
use serde_json::json;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

#[derive(Parser, Debug)]
pub struct Args {
    #[command(flatten)]
    pub task: TaskArgs,
    #[arg(long, default_value_t = 1e-7)]
    pub start_lr: f64,
    #[arg(long, default_value_t = 10.0)]
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
    #[arg(long, default_value_t = 0.98)]
    pub beta: f64,
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
        T: Task<M> + 'static,
        T::Batch: Send + Sync + 'static,
    {
        let Setup {
            model,
            task,
            train,
            valid,
        } = setup;
        let args = self.args;
        let loss = move |m: &M, b: &T::Batch| task.loss(m, b);
        let optimizer = args.task.optimizer.build(args.task.optimizer_options());
        let mut probe =
            BurnProbe::new(model, optimizer, train, loss).with_accumulation(args.accumulate);
        if let Some(held_out) = valid {
            probe = probe.with_validation(held_out, args.val_batches);
        }
        let bar = progress_bar(self.config.num_iter as u64);
        let stop = self.stop;
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
        let result = lrfind::run(&mut probe, self.config, &mut observer);
        bar.finish_and_clear();
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

impl Args {
    fn config(&self) -> RangeTestConfig {
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
        }
    }
}

pub fn run(args: Args) -> Result<()> {
    // Everything the user controls is checked before any training starts.
    let config = args.config();
    config.validate().map_err(bad_input)?;
    if args.accumulate == 0 {
        return Err(bad_input("--accumulate must be at least 1"));
    }
    args.task.validate()?;
    std::fs::create_dir_all(&args.out)
        .map_err(bad_input)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
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
    let result = match result {
        Ok(r) => r,
        Err(lrfind::RunError::Step {
            partial,
            source,
            iteration,
        }) => {
            eprintln!("lrfind: training step {iteration} failed: {source}; writing the {} points recorded", partial.curve.len());
            partial
        }
        Err(e) => return Err(e.into()),
    };

    let options = args.suggest.options(Smoothing::None, None);
    let mut analysis = analyze(&result.curve, &options).map_err(bad_input)?;
    analysis.stopped = result.stopped;
    let default_method = lrfind::DEFAULT_METHOD;
    let iterations = result.curve.len();
    let mut doc = analysis.to_json();
    let mut task_config = args.task.to_json();
    for (key, value) in json!({
        "start_lr": config.start_lr, "end_lr": config.end_lr, "num_iter": config.num_iter, "ramp": args.ramp,
        "smoothing": args.smoothing, "beta": args.beta, "stop_div": config.stop_div,
        "accumulate": args.accumulate, "val_batches": args.val_batches,
    })
    .as_object()
    .expect("an object")
    {
        task_config[key] = value.clone();
    }
    doc["config"] = task_config;
    doc["device"] = json!("flex (CPU)");
    doc["default_method"] = json!(default_method.name());
    doc["timing"] = json!({"iterations": iterations, "seconds": seconds, "iterations_per_second": iterations as f64 / seconds.max(1e-9)});
    doc["curve"]["raw_loss"] = json!(result.curve.raw_loss);

    let json_path = args.out.join("lr_find.json");
    write_atomic(&json_path, |w| {
        serde_json::to_writer_pretty(&mut *w, &doc).map_err(std::io::Error::other)?;
        writeln!(w)
    })?;
    write_atomic(&args.out.join("lr_find.csv"), |w| result.curve.write_csv(w))?;
    let title = format!("LR range test: {}", args.task.title());
    lrfind::plot::plot_analysis(
        &analysis,
        options.sma_window,
        &title,
        &args.out.join("lr_find.png"),
    )?;

    if args.format == "json" {
        crate::output::emit(&format!("{}\n", serde_json::to_string_pretty(&doc)?))?;
    } else {
        let window = analysis.skip_start..analysis.curve.len() - analysis.skip_end;
        let mark = analysis
            .suggestion(default_method)
            .map(|s| s.index - analysis.skip_start);
        let (lrs, losses) = (
            &analysis.curve.lr[window.clone()],
            &analysis.curve.loss[window],
        );
        let mut text = lrfind::text_plot::render(lrs, losses, mark, 64, 14);
        text += &table(&analysis, Some(default_method));
        let rate = iterations as f64 / seconds.max(1e-9);
        text += &format!("* recommended ({default_method}); {iterations} iterations in {seconds:.2} s ({rate:.0} it/s)\n");
        text += &format!("wrote {}/lr_find.{{json,csv,png}}\n", args.out.display());
        crate::output::emit(&text)?;
    }
    if result.stopped == StopReason::Interrupted && stop.load(Ordering::SeqCst) {
        return Err(anyhow::Error::new(Interrupted));
    }
    Ok(())
}
