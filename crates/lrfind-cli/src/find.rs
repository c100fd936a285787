//! `lrfind find`: a range test on a real model and dataset (burn, flex CPU backend).

use crate::analyze::table;
use crate::exit::{bad_input, bad_setting, Interrupted};
use crate::flags::{Format, RangeArgs, SuggestArgs};
use crate::report::{self, RangeTestRecord};
use anyhow::Result;
use clap::Parser;
use lrfind::{analyze_result, Smoothing, StopReason};
use lrfind_zoo::{HeldOut, TaskSpec};
use serde_json::json;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
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
    args.task.validate().map_err(bad_input)?;
    crate::output::check_out_dir(&args.out)?;
    let stop = report::ctrl_c();
    let held_out = match args.val_batches {
        0 => HeldOut::None,
        v => HeldOut::AtMost(v * args.task.batch_size),
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
    let mut config_json = args.task.to_json();
    for (key, value) in args.range.to_json().as_object().expect("an object") {
        config_json[key] = value.clone();
    }
    config_json["accumulate"] = json!(args.accumulate);
    config_json["val_batches"] = json!(args.val_batches);
    let options = args.suggest.options(Smoothing::None, None);
    let analysis = analyze_result(&result, &options).map_err(bad_input)?;
    let record = RangeTestRecord {
        result: &result,
        analysis: &analysis,
        sma_window: options.sma_window,
        config: config_json,
        seconds,
        device: args.task.backend.describe(),
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
        text += &match &recommended {
            Ok((m, s)) => format!("* recommended: {} ({m})", crate::output::lr(s.lr)),
            Err(why) => format!("no recommendation: {why}"),
        };
        text += &format!("; {iterations} iterations in {seconds:.2} s ({rate:.0} it/s)\n");
        for w in lrfind::confidence::warnings(&analysis) {
            text += &format!("warning: {w}; {}\n", w.advice());
        }
        text += &format!("wrote {}/lr_find.{{json,csv,png}}\n", args.out.display());
        crate::output::emit(&text)?;
    }
    if result.stopped == StopReason::Interrupted && stop.load(Ordering::SeqCst) {
        return Err(anyhow::Error::new(Interrupted));
    }
    Ok(())
}
