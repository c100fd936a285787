//! `lrfind analyze FILE`: suggestions and plots for a curve recorded by any tool.

use crate::exit::{bad_input, bad_setting};
use crate::flags::{parse_stop_div, Format, SmoothingKind, StopDiv, SuggestArgs};
use crate::output;
use anyhow::{Context, Result};
use clap::Parser;
use lrfind::{analyze, Analysis, Curve, Method, Outcome, RangeTestDocument};
use std::io::Read;
use std::path::{Path, PathBuf};

#[derive(Parser, Debug)]
pub struct Args {
    /// The curve: CSV with a header naming `lr` and `loss` (or `raw_loss`/`smoothed`), or JSON
    /// `{"lr": [...], "loss": [...]}`; `-` reads stdin.
    pub file: PathBuf,
    #[command(flatten)]
    pub suggest: SuggestArgs,
    /// Smoothing to replay over the losses: `none` takes them as recorded, `ema` replays the raw
    /// losses through the live-run smoothing (and the divergence rule, if --stop-div is set).
    #[arg(long, value_enum, default_value_t = SmoothingKind::None)]
    pub smoothing: SmoothingKind,
    /// β of the EMA smoothing.
    #[arg(long, default_value_t = 0.98, allow_hyphen_values = true)]
    pub beta: f64,
    /// Replay the divergence rule: stop where smoothed loss > X × best (`none`: never).
    #[arg(long, default_value = "none", value_parser = parse_stop_div)]
    pub stop_div: StopDiv,
    /// Output: an aligned table or JSON.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Also draw the curve with its suggestions (.png or .svg).
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// The sweep's configured length (fastai's `num_it`): fastai skips a tenth of it at the start
    /// whatever length the curve reached. Default: from lrfind's own JSON (its `config`), else
    /// the curve's length (right for a sweep that ran to its end).
    #[arg(long)]
    pub num_iter: Option<usize>,
}

/// Analyses the curve, prints the table (or JSON) and draws the plot if asked.
pub fn analyze_curve(args: Args) -> Result<()> {
    if let Some(plot) = &args.plot {
        lrfind_plot::Format::of(plot).map_err(bad_input)?;
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
    let recorded = recorded(&args.file);
    let mut options = args
        .suggest
        .options(args.smoothing.with_beta(args.beta), args.stop_div.0);
    options.num_iter = args
        .num_iter
        .or(recorded.as_ref().and_then(RangeTestDocument::num_iter));
    if options.num_iter == Some(0) {
        return Err(bad_input("--num-iter must be at least 1"));
    }
    if options.sma_window == 0 {
        return Err(bad_input("--sma-window must be at least 1"));
    }
    let mut analysis = analyze(&curve, &options).map_err(bad_setting)?;
    // A file needs two points (the parser's rule), also after the cut at a non-finite loss.
    if analysis.curve.len() < 2 {
        return Err(bad_input(format!(
            "{}: only its first point has a finite loss (point 2 is not finite); a curve needs at \
             least 2",
            args.file.display()
        )));
    }
    // lrfind's own files say how their range test ended; a curve read as recorded ended so too.
    if !options.replays() && analysis.truncated_from.is_none() {
        if let Some(doc) = &recorded {
            analysis.stopped = doc.stopped;
        }
    }
    if let Some(plot) = &args.plot {
        let title = format!("LR range test: {}", args.file.display());
        lrfind_plot::plot_analysis(&analysis, options.sma_window, &title, plot)?;
    }
    if args.format == Format::Json {
        crate::output::emit(&format!(
            "{}\n",
            serde_json::to_string_pretty(&RangeTestDocument::of(&analysis))?
        ))?;
    } else {
        crate::output::emit(&table(&analysis, None))?;
    }
    if let Some(plot) = &args.plot {
        eprintln!("plot written to {}", plot.display());
    }
    Ok(())
}

/// The range-test document at `path` (lrfind's own `lr_find.json`, `analyze --format json`, the
/// Python package's `to_json`): nothing for CSV, stdin, or JSON that is not one.
fn recorded(path: &Path) -> Option<RangeTestDocument> {
    let mut file = std::fs::File::open(path).ok()?;
    let mut start = [0u8; 64];
    let n = file.read(&mut start).ok()?;
    let json = start[..n]
        .iter()
        .find(|b| !b.is_ascii_whitespace() && !matches!(b, 0xef | 0xbb | 0xbf))
        == Some(&b'{');
    if !json {
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(text.trim_start_matches('\u{feff}')).ok()
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
