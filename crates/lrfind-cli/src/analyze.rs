//! `lrfind analyze FILE`: suggestions and plots for a curve recorded by any tool.

use crate::exit::{bad_input, bad_setting};
use crate::output;
use anyhow::{Context, Result};
use clap::Parser;
use lrfind::suggest::{LightningSkip, SlideParams};
use lrfind::{analyze, Analysis, AnalyzeOptions, Curve, Method, Outcome, Smoothing};
use std::path::PathBuf;

#[derive(Parser, Debug)]
pub struct Args {
    /// The curve: CSV with a header naming `lr` and `loss` (or `raw_loss`/`smoothed`), or JSON
    /// `{"lr": [...], "loss": [...]}`; `-` reads stdin.
    pub file: PathBuf,
    #[command(flatten)]
    pub suggest: SuggestArgs,
    /// Smoothing to replay over the losses: `none` takes them as recorded, `ema` replays the raw
    /// losses through the live-run smoothing (and the divergence rule, if --stop-div is set).
    #[arg(long, default_value = "none", value_parser = ["none", "ema"])]
    pub smoothing: String,
    /// β of the EMA smoothing.
    #[arg(long, default_value_t = 0.98, allow_hyphen_values = true)]
    pub beta: f64,
    /// Replay the divergence rule: stop where smoothed loss > X × best (`none`: never).
    #[arg(long, default_value = "none", value_parser = parse_stop_div)]
    pub stop_div: StopDiv,
    /// Output: an aligned table or JSON.
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    pub format: String,
    /// Also draw the curve with its suggestions (.png or .svg).
    #[arg(long)]
    pub plot: Option<PathBuf>,
}

/// Flags that choose and tune the suggestion rules (shared with `find`).
#[derive(clap::Args, Debug, Clone)]
pub struct SuggestArgs {
    /// Rules to apply: a comma-separated list of valley, slide, minimum, steep, gradient, sma,
    /// lightning, consensus, bounds, or `all`.
    #[arg(long, default_value = "all", value_parser = parse_methods)]
    pub methods: Methods,
    /// Points to leave out at the start (default: a tenth of the curve, as fastai).
    #[arg(long)]
    pub skip_start: Option<usize>,
    /// Points to leave out at the end (default: 5, as fastai).
    #[arg(long)]
    pub skip_end: Option<usize>,
    /// Window of the simple moving average of the `sma` rule.
    #[arg(long, default_value_t = 5)]
    pub sma_window: usize,
    /// Interval length of the `slide` rule, in points.
    #[arg(long, default_value_t = 15)]
    pub slide_lr_diff: usize,
    /// Gradient threshold of the `slide` rule.
    #[arg(long, default_value_t = 0.005)]
    pub slide_thresh: f64,
    /// Points the `lightning` rule leaves out at the start of the whole curve (Lightning's
    /// `skip_begin`; it ignores --skip-start, as Lightning does).
    #[arg(long, default_value_t = 10)]
    pub lightning_skip_begin: usize,
    /// Points the `lightning` rule leaves out at the end (Lightning's `skip_end`; 0 leaves
    /// nothing, as Python's `[b:-0]`).
    #[arg(long, default_value_t = 1)]
    pub lightning_skip_end: usize,
}

#[derive(Debug, Clone)]
pub struct Methods(pub Vec<Method>);

#[derive(Debug, Clone, Copy)]
pub struct StopDiv(pub Option<f64>);

fn parse_methods(s: &str) -> Result<Methods, String> {
    if s.trim() == "all" {
        return Ok(Methods(Method::ALL.to_vec()));
    }
    let mut methods = s
        .split(',')
        .map(str::parse)
        .collect::<Result<Vec<Method>, _>>()?;
    methods.sort();
    methods.dedup();
    Ok(Methods(methods))
}

pub fn parse_stop_div(s: &str) -> Result<StopDiv, String> {
    if s == "none" {
        return Ok(StopDiv(None));
    }
    s.parse::<f64>()
        .map(|x| StopDiv(Some(x)))
        .map_err(|_| format!("'{s}' is not a number or none"))
}

impl SuggestArgs {
    pub fn options(&self, smoothing: Smoothing, stop_div: Option<f64>) -> AnalyzeOptions {
        AnalyzeOptions {
            methods: self.methods.0.clone(),
            skip_start: self.skip_start,
            skip_end: self.skip_end,
            smoothing,
            stop_div,
            sma_window: self.sma_window,
            slide: SlideParams {
                lr_diff: self.slide_lr_diff,
                thresh: self.slide_thresh,
                ..Default::default()
            },
            lightning: LightningSkip {
                begin: self.lightning_skip_begin,
                end: self.lightning_skip_end,
            },
        }
    }
}

pub fn run(args: Args) -> Result<()> {
    if let Some(plot) = &args.plot {
        lrfind::plot::Format::of(plot).map_err(bad_input)?;
        if let Some(dir) = plot
            .parent()
            .filter(|d| !d.as_os_str().is_empty() && !d.is_dir())
        {
            return Err(bad_input(format!(
                "cannot write the plot {}: {} is not an existing folder",
                plot.display(),
                dir.display()
            )));
        }
    }
    let curve = Curve::read_path(&args.file)
        .map_err(bad_input)
        .with_context(|| format!("{}", args.file.display()))?;
    let smoothing = match args.smoothing.as_str() {
        "ema" => Smoothing::Ema { beta: args.beta },
        _ => Smoothing::None,
    };
    let options = args.suggest.options(smoothing, args.stop_div.0);
    if options.sma_window == 0 {
        return Err(bad_input("--sma-window must be at least 1"));
    }
    let analysis = analyze(&curve, &options).map_err(bad_setting)?;
    if let Some(plot) = &args.plot {
        let title = format!("LR range test: {}", args.file.display());
        lrfind::plot::plot_analysis(&analysis, options.sma_window, &title, plot)?;
    }
    if args.format == "json" {
        crate::output::emit(&format!(
            "{}\n",
            serde_json::to_string_pretty(&analysis.to_json())?
        ))?;
    } else {
        crate::output::emit(&table(&analysis, None))?;
    }
    if let Some(plot) = &args.plot {
        eprintln!("plot written to {}", plot.display());
    }
    Ok(())
}

/// The human summary: one line about the curve, one row per rule; `default` is marked.
pub fn table(a: &Analysis, default: Option<Method>) -> String {
    let mut out = format!(
        "{} points ({}), skipping {} at the start and {} at the end\n",
        a.curve.len(),
        a.stopped,
        a.skip_start,
        a.skip_end
    );
    if let Some(n) = a.truncated_from {
        out += &format!(
            "note: loss is not finite after point {}; analyzed the first {} of {n} points\n",
            a.curve.len(),
            a.curve.len()
        );
    }
    out += &format!(
        "  {:<10} {:>11} {:>6} {:>10}\n",
        "method", "lr", "index", "loss"
    );
    for (m, outcome) in &a.suggestions {
        let mark = if Some(*m) == default { "*" } else { " " };
        match outcome {
            Outcome::Point(s) => {
                out += &format!(
                    "{mark} {:<10} {:>11} {:>6} {:>10}\n",
                    m.name(),
                    output::lr(s.lr),
                    s.index,
                    output::loss(s.loss)
                )
            }
            Outcome::Bounds(b) => {
                out += &format!(
                    "{mark} {:<10} base_lr {} .. max_lr {}\n",
                    m.name(),
                    output::lr(b.base_lr),
                    output::lr(b.max_lr)
                )
            }
            Outcome::Failed(e) => out += &format!("{mark} {:<10} no suggestion: {e}\n", m.name()),
        }
    }
    out
}
