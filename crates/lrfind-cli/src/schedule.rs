//! `lrfind schedule KIND`: print or plot a schedule before training with it. Each kind's flags
//! and defaults are the library's ([`lrfind::schedule::ScheduleConfig`]).

use crate::exit::{bad_input, bad_schedule};
use crate::flags::{first_kind, parse_with_schedule, SeriesFormat};
use anyhow::{Context, Result};
use clap::Parser;
use lrfind::document::{OutcomeDocument, ReadingDocument, Recommended};
use lrfind::schedule::{self as sched, FoundRates, ScheduleConfig, ScheduleKind, TakeRates};
use lrfind::{Method, RangeTestDocument};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// `schedule --format json`: the kind, every step's lr and, when it cycles, momentum.
#[derive(serde::Serialize)]
struct Series<'a> {
    kind: &'a str,
    lr: &'a [f64],
    #[serde(skip_serializing_if = "Option::is_none")]
    momentum: Option<&'a [f64]>,
}

/// The flags besides the kind's own.
#[derive(Parser, Debug)]
#[command(
    name = "lrfind schedule",
    about = "Print or plot a learning-rate schedule (PyTorch's numbers), optionally from a finder's JSON",
    after_help = "Each KIND adds its own flags, with PyTorch's names and defaults: lrfind schedule KIND --help",
    allow_negative_numbers = true
)]
pub struct Args {
    /// The schedule.
    #[arg(value_enum)]
    pub kind: ScheduleKind,
    /// Base learning rate (cyclic: default base_lr; one-cycle: default max_lr).
    #[arg(long)]
    pub lr: Option<f64>,
    /// Number of values to produce (the first is the lr before any step).
    #[arg(long)]
    pub steps: usize,
    /// plateau: the monitored metric, one value per line (value t is fed to step t + 1).
    #[arg(long)]
    pub metrics: Option<PathBuf>,
    /// A finder's JSON (`lrfind analyze --format json` or `find`'s lr_find.json): one-cycle takes
    /// its default suggestion as max_lr, cyclic its bounds, other kinds the suggestion as lr.
    #[arg(long)]
    pub from: Option<PathBuf>,
    /// Output on stdout.
    #[arg(long, value_enum, default_value_t = SeriesFormat::Csv)]
    pub format: SeriesFormat,
    /// Also draw the schedule (.png or .svg).
    #[arg(long)]
    pub plot: Option<PathBuf>,
}

/// Parses `lrfind schedule …` (the kind's flags added) and runs it.
pub fn parse_and_print(argv: Vec<OsString>) -> Result<()> {
    let (args, config) = parse_with_schedule::<Args>(argv, first_kind, ScheduleKind::Constant);
    print_schedule(args, config)
}

/// Reads one metric per line (blank lines skipped); errors name the line.
fn read_metrics(path: &Path) -> Result<Vec<f64>> {
    let text = std::fs::read_to_string(path)
        .map_err(bad_input)
        .with_context(|| format!("{}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let v = line.parse::<f64>().map_err(|_| {
            bad_input(format!(
                "{}: line {}: '{line}' is not a number",
                path.display(),
                i + 1
            ))
        })?;
        out.push(v);
    }
    Ok(out)
}

/// The rates a finder's JSON offers: the rate it recommends (its `recommended`, or for a file
/// without one its default rule's suggestion) and the bounds. A file that recommends nothing is
/// refused with its reason, and bounds are not offered from a curve that never fell (a `flat`
/// reading: they would be read off the batch noise). Also whether the recommended rate is a
/// refinement's (`find --epochs`, `train`'s `lr_find_<epoch>.json`) rather than the curve's.
fn read_found(path: &Path) -> Result<(FoundRates, bool)> {
    let text = std::fs::read_to_string(path)
        .map_err(bad_input)
        .with_context(|| format!("{}", path.display()))?;
    let doc: RangeTestDocument = serde_json::from_str(&text)
        .map_err(|e| bad_input(format!("{}: not a finder JSON: {e}", path.display())))?;
    let (method, suggestion) = match &doc.recommended {
        Some(Recommended {
            method: Some(method),
            lr,
            ..
        }) => (*method, *lr),
        Some(Recommended { reason, .. }) => {
            return Err(bad_input(format!(
                "{}: recommends no rate ({}); run the range test again (see its warnings)",
                path.display(),
                reason.as_deref().unwrap_or("no reason given")
            )))
        }
        None => {
            let method = doc.default_method.unwrap_or(lrfind::DEFAULT_METHOD);
            match doc.suggestions.get(&method) {
                Some(OutcomeDocument::Point { lr, .. }) => (method, Some(*lr)),
                _ => (method, None),
            }
        }
    };
    let flat = matches!(doc.reading, Some(ReadingDocument::Flat { .. }));
    let bounds = match doc.suggestions.get(&Method::Bounds) {
        Some(OutcomeDocument::Bounds {
            base_lr, max_lr, ..
        }) if !flat => Some((*base_lr, *max_lr)),
        _ => None,
    };
    let refined = doc
        .recommended
        .as_ref()
        .is_some_and(|r| r.refined == Some(true));
    let found = FoundRates {
        method,
        suggestion,
        bounds,
    };
    Ok((found, refined))
}

/// Prints (and plots) `steps` values of the schedule.
pub fn print_schedule(mut args: Args, mut config: ScheduleConfig) -> Result<()> {
    if args.steps == 0 {
        return Err(bad_input("--steps must be at least 1"));
    }
    if let Some(from) = &args.from {
        let (found, refined) = read_found(from)?;
        let (taken, lr, used) = config.take_rates(&found).map_err(|missing| {
            bad_input(format!(
                "{}: has no usable '{}' suggestion",
                from.display(),
                missing.0
            ))
        })?;
        (config, args.lr) = (taken, lr.or(args.lr));
        // The bounds are the curve's whatever the recommended rate is.
        let refined = match used {
            sched::RateUse::Bounds(..) => "",
            _ if refined => ", refined",
            _ => "",
        };
        eprintln!("using {used}{refined} in {}", from.display());
    }
    let metrics = match (&args.metrics, args.kind) {
        (Some(p), ScheduleKind::Plateau) => Some(read_metrics(p)?),
        (None, ScheduleKind::Plateau) => {
            return Err(bad_input(
                "the plateau schedule needs --metrics FILE (one value per line)",
            ))
        }
        (Some(_), _) => return Err(bad_input("--metrics applies to the plateau schedule only")),
        (None, _) => None,
    };
    if let Some(m) = &metrics {
        if m.len() + 1 < args.steps {
            return Err(bad_input(format!(
                "--steps {} needs {} metrics, the file has {}",
                args.steps,
                args.steps - 1,
                m.len()
            )));
        }
    }
    let mut schedule = config.build(args.lr, args.steps).map_err(bad_schedule)?;
    let (lrs, moms) =
        sched::sequence(schedule.as_mut(), args.steps, metrics.as_deref()).map_err(bad_input)?;
    let kind = args.kind.name();
    if let Some(plot) = &args.plot {
        lrfind_plot::plot_schedule(&format!("{kind} schedule"), &lrs, moms.as_deref(), plot)
            .map_err(bad_input)?;
    }
    let text = match args.format {
        SeriesFormat::Json => {
            let doc = Series {
                kind,
                lr: &lrs,
                momentum: moms.as_deref(),
            };
            format!("{}\n", serde_json::to_string(&doc)?)
        }
        SeriesFormat::Csv => {
            let mut out = String::from(if moms.is_some() {
                "step,lr,momentum\n"
            } else {
                "step,lr\n"
            });
            for (t, lr) in lrs.iter().enumerate() {
                match &moms {
                    Some(m) => out += &format!("{t},{lr:e},{:e}\n", m[t]),
                    None => out += &format!("{t},{lr:e}\n"),
                }
            }
            out
        }
    };
    crate::output::emit(&text)
}
