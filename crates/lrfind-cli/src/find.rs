//! `lrfind find`: a range test on a real model and dataset (burn, flex CPU backend).

use crate::analyze::{parse_stop_div, table, SuggestArgs};
use crate::exit::{bad_input, Interrupted};
use crate::output::write_atomic;
use anyhow::{Context, Result};
use burn::nn::loss::CrossEntropyLossConfig;
use burn::prelude::*;
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use lrfind::{
    analyze, Progress, Ramp, RangeTestConfig, RangeTestResult, RunError, Smoothing, StopReason,
};
use lrfind_burn::data::{digits, idx, ClassBatch, ClassBatches, Classification};
use lrfind_burn::model::{seeded, Classifier, Cnn, Mlp};
use lrfind_burn::optim::{OptimizerKind, OptimizerOptions};
use lrfind_burn::probe::ProbeError;
use lrfind_burn::BurnProbe;
use serde_json::json;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

#[derive(Parser, Debug)]
pub struct Args {
    /// Dataset: `digits` (UCI optical digits, embedded; no setup), `fashion-mnist` (Debian's
    /// dataset-fashion-mnist package, or --data-dir), `mnist` (an IDX folder given with --data-dir).
    #[arg(long, default_value = "digits", value_parser = ["digits", "fashion-mnist", "mnist"])]
    pub dataset: String,
    /// Folder with train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz].
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Use at most this many training images of an IDX dataset.
    #[arg(long, default_value_t = 10_000)]
    pub limit: usize,
    /// Model: `mlp`, or `cnn` (28×28 images).
    #[arg(long, default_value = "mlp", value_parser = ["mlp", "cnn"])]
    pub model: String,
    /// Hidden layer sizes of the MLP.
    #[arg(long, value_delimiter = ',', default_value = "128,128")]
    pub hidden: Vec<usize>,
    #[arg(long, default_value = "adamw", value_parser = parse_optimizer)]
    pub optimizer: OptimizerKind,
    /// Momentum (sgd, rmsprop); default 0.9 for sgd, 0 for rmsprop.
    #[arg(long)]
    pub momentum: Option<f64>,
    /// Weight decay (default: 0.01 for adamw, 0 otherwise, as PyTorch).
    #[arg(long)]
    pub weight_decay: Option<f64>,
    #[arg(long, default_value_t = 64)]
    pub batch_size: usize,
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
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Where lr_find.json, lr_find.csv and lr_find.png go.
    #[arg(long, default_value = "lrfind-out")]
    pub out: PathBuf,
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    pub format: String,
    #[command(flatten)]
    pub suggest: SuggestArgs,
}

/// (training rows, held-out rows) of the chosen dataset; a missing or broken dataset is bad input.
fn load_data(args: &Args) -> Result<(Classification, Classification)> {
    let dir = match (args.dataset.as_str(), &args.data_dir) {
        ("digits", _) => return Ok(digits::split()),
        (_, Some(dir)) => dir.clone(),
        ("fashion-mnist", None) => PathBuf::from(FASHION_MNIST_DIR),
        _ => {
            return Err(bad_input(format!(
                "--dataset {} needs --data-dir DIR (an IDX folder)",
                args.dataset
            )))
        }
    };
    if !dir.is_dir() {
        let hint = if args.dataset == "fashion-mnist" {
            " (apt-get install dataset-fashion-mnist, or give --data-dir)"
        } else {
            ""
        };
        return Err(bad_input(format!(
            "data folder {} does not exist{hint}",
            dir.display()
        )));
    }
    let train = idx::load_split(&dir, true, Some(args.limit)).map_err(bad_input)?;
    // The held-out rows are read only when asked for: the test split may be absent.
    let valid = if args.val_batches > 0 {
        idx::load_split(&dir, false, Some(args.val_batches * args.batch_size)).map_err(bad_input)?
    } else {
        train.slice(0..0)
    };
    Ok((train, valid))
}

/// Where Debian's dataset-fashion-mnist package installs the IDX files.
pub const FASHION_MNIST_DIR: &str = "/usr/share/datasets/fashion-mnist";

/// Everything a range test needs besides the model.
struct RunContext<'a> {
    /// (training rows, held-out rows)
    data: (&'a Classification, &'a Classification),
    device: &'a Device,
    args: &'a Args,
    options: OptimizerOptions,
    config: RangeTestConfig,
    /// Set by Ctrl-C.
    stop: &'a AtomicBool,
}

/// Runs the range test on `model`, with a progress bar; Ctrl-C (`stop`) interrupts.
fn range_test<M: Classifier>(
    model: M,
    ctx: &RunContext,
) -> Result<RangeTestResult, RunError<ProbeError<std::convert::Infallible>>> {
    let RunContext {
        data: (train, valid),
        device,
        args,
        options,
        config,
        stop,
    } = *ctx;
    let data = ClassBatches::new(train, args.batch_size, args.seed, device);
    let ce = CrossEntropyLossConfig::new().init(device);
    let loss =
        move |m: &M, b: &ClassBatch| ce.forward(m.logits(b.inputs.clone()), b.targets.clone());
    let mut probe = BurnProbe::new(model, args.optimizer.build(options), data, loss)
        .with_accumulation(args.accumulate);
    if args.val_batches > 0 {
        let held_out = ClassBatches::new(valid, args.batch_size, args.seed, device);
        probe = probe.with_validation(held_out, args.val_batches);
    }
    let bar = ProgressBar::new(config.num_iter as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:40} {pos}/{len} it  {msg}  [{elapsed_precise}, {per_sec}]",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
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
    let result = lrfind::run(&mut probe, config, &mut observer);
    bar.finish_and_clear();
    result
}

fn parse_optimizer(s: &str) -> Result<OptimizerKind, String> {
    s.parse()
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
    if args.batch_size == 0 {
        return Err(bad_input("--batch-size must be at least 1"));
    }
    if args.accumulate == 0 {
        return Err(bad_input("--accumulate must be at least 1"));
    }
    if args.hidden.contains(&0) {
        return Err(bad_input("--hidden sizes must be at least 1"));
    }
    std::fs::create_dir_all(&args.out)
        .map_err(bad_input)
        .with_context(|| format!("cannot create {}", args.out.display()))?;

    let (train, valid) = load_data(&args)?;
    if args.model == "cnn" && train.dim != Cnn::SIDE * Cnn::SIDE {
        return Err(bad_input(format!(
            "the cnn model needs 28×28 images; {} has {} features per row",
            args.dataset, train.dim
        )));
    }
    let device = Device::flex().autodiff();
    let momentum = args
        .momentum
        .or((args.optimizer == OptimizerKind::Sgd).then_some(0.9));
    let options = OptimizerOptions {
        momentum,
        weight_decay: args.weight_decay,
        nesterov: false,
    };
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    // A second Ctrl-C while we write results falls through to the default (exit).
    let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
    let ctx = RunContext {
        data: (&train, &valid),
        device: &device,
        args: &args,
        options,
        config,
        stop: &stop,
    };
    let started = Instant::now();
    let result = if args.model == "cnn" {
        let model = seeded(args.seed, &device, |d| Cnn::new(train.classes, d));
        range_test(model, &ctx)
    } else {
        let mut sizes = vec![train.dim];
        sizes.extend(&args.hidden);
        sizes.push(train.classes);
        let model = seeded(args.seed, &device, |d| Mlp::new(&sizes, d));
        range_test(model, &ctx)
    };
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
    doc["config"] = json!({
        "dataset": args.dataset, "model": args.model, "hidden": args.hidden, "optimizer": args.optimizer.name(),
        "momentum": momentum, "weight_decay": args.weight_decay, "batch_size": args.batch_size,
        "start_lr": config.start_lr, "end_lr": config.end_lr, "num_iter": config.num_iter, "ramp": args.ramp,
        "smoothing": args.smoothing, "beta": args.beta, "stop_div": config.stop_div,
        "accumulate": args.accumulate, "val_batches": args.val_batches, "seed": args.seed,
    });
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
    let title = format!(
        "LR range test: {} {} + {}",
        args.dataset, args.model, args.optimizer
    );
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
