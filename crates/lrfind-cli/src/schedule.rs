//! `lrfind schedule KIND`: print or plot a schedule before training with it.

use crate::exit::bad_input;
use anyhow::{Context, Result};
use clap::{Parser, ValueEnum};
use lrfind::schedule::{
    self as sched, Anneal, CyclicMode, OneCycleOptions, PlateauMode, PlateauOptions, Schedule,
    ThresholdMode,
};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    Constant,
    Step,
    Multistep,
    Exponential,
    Linear,
    Polynomial,
    Cosine,
    CosineRestarts,
    Cyclic,
    OneCycle,
    Plateau,
}

/// A schedule's kind-specific flags (kebab-case, PyTorch's names and defaults).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ScheduleFlags {
    /// step: decay every N steps.
    #[arg(long)]
    pub step_size: Option<usize>,
    /// step, multistep (default 0.1), exponential (required), cyclic exp_range (default 1).
    #[arg(long)]
    pub gamma: Option<f64>,
    /// multistep: comma-separated steps at which to decay, e.g. 5,12,20.
    #[arg(long, value_delimiter = ',')]
    pub milestones: Option<Vec<usize>>,
    /// linear: first factor of the lr (default 1/3).
    #[arg(long)]
    pub start_factor: Option<f64>,
    /// linear: last factor of the lr (default 1).
    #[arg(long)]
    pub end_factor: Option<f64>,
    /// linear, polynomial: steps over which the factor changes (default 5).
    #[arg(long)]
    pub total_iters: Option<usize>,
    /// polynomial: power of the decay (default 1).
    #[arg(long)]
    pub power: Option<f64>,
    /// cosine: half-period in steps.
    #[arg(long)]
    pub t_max: Option<usize>,
    /// cosine, cosine-restarts: lowest lr (default 0).
    #[arg(long)]
    pub eta_min: Option<f64>,
    /// cosine-restarts: length of the first period.
    #[arg(long)]
    pub t0: Option<usize>,
    /// cosine-restarts: growth factor of the period (default 1).
    #[arg(long)]
    pub t_mult: Option<usize>,
    /// cyclic: lower lr bound (default --lr).
    #[arg(long)]
    pub base_lr: Option<f64>,
    /// cyclic: upper lr bound; one-cycle: peak lr (default --lr).
    #[arg(long)]
    pub max_lr: Option<f64>,
    /// cyclic: steps of the rising half-cycle (default 2000).
    #[arg(long)]
    pub step_size_up: Option<usize>,
    /// cyclic: steps of the falling half-cycle (default --step-size-up).
    #[arg(long)]
    pub step_size_down: Option<usize>,
    /// cyclic: triangular | triangular2 | exp_range; plateau: min | max.
    #[arg(long)]
    pub mode: Option<String>,
    /// one-cycle: length of the cycle (default --steps).
    #[arg(long)]
    pub total_steps: Option<usize>,
    /// one-cycle: share of the cycle spent rising (default 0.3).
    #[arg(long)]
    pub pct_start: Option<f64>,
    /// one-cycle: initial lr = max_lr / div_factor (default 25).
    #[arg(long)]
    pub div_factor: Option<f64>,
    /// one-cycle: final lr = initial lr / final_div_factor (default 1e4).
    #[arg(long)]
    pub final_div_factor: Option<f64>,
    /// one-cycle: cos | linear (default cos).
    #[arg(long)]
    pub anneal: Option<String>,
    /// one-cycle: three phases (up, back down to initial, then to the minimum).
    #[arg(long)]
    pub three_phase: bool,
    /// cyclic (0.8), one-cycle (0.85): lowest momentum.
    #[arg(long)]
    pub base_momentum: Option<f64>,
    /// cyclic (0.9), one-cycle (0.95): highest momentum.
    #[arg(long)]
    pub max_momentum: Option<f64>,
    /// plateau: lr multiplier on a plateau (default 0.1).
    #[arg(long)]
    pub factor: Option<f64>,
    /// plateau: bad steps tolerated before reducing (default 10).
    #[arg(long)]
    pub patience: Option<usize>,
    /// plateau: improvement needed to count (default 1e-4).
    #[arg(long)]
    pub threshold: Option<f64>,
    /// plateau: rel | abs (default rel).
    #[arg(long)]
    pub threshold_mode: Option<String>,
    /// plateau: steps after a reduction in which bad steps are not counted (default 0).
    #[arg(long)]
    pub cooldown: Option<usize>,
    /// plateau: the lr never goes below this (default 0).
    #[arg(long)]
    pub min_lr: Option<f64>,
}

#[derive(Parser, Debug)]
pub struct Args {
    /// The schedule.
    #[arg(value_enum)]
    pub kind: Kind,
    /// Base learning rate (cyclic: default base_lr; one-cycle: default max_lr).
    #[arg(long)]
    pub lr: Option<f64>,
    /// Number of values to produce (the first is the lr before any step).
    #[arg(long)]
    pub steps: usize,
    #[command(flatten)]
    pub flags: ScheduleFlags,
    /// plateau: the monitored metric, one value per line (value t is fed to step t + 1).
    #[arg(long)]
    pub metrics: Option<PathBuf>,
    /// A finder's JSON (`lrfind analyze --format json` or `find`'s lr_find.json): one-cycle takes
    /// its default suggestion as max_lr, cyclic its bounds, other kinds the suggestion as lr.
    #[arg(long)]
    pub from: Option<PathBuf>,
    #[arg(long, default_value = "csv", value_parser = ["csv", "json"])]
    pub format: String,
    /// Also draw the schedule (.png or .svg).
    #[arg(long)]
    pub plot: Option<PathBuf>,
}

impl Kind {
    /// The kebab-case name given on the command line.
    pub fn name(self) -> String {
        self.to_possible_value()
            .map(|v| v.get_name().to_string())
            .unwrap_or_default()
    }
}

/// Which flags each kind takes; anything else given is an error.
fn allowed(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Constant => &[],
        Kind::Step => &["step-size", "gamma"],
        Kind::Multistep => &["milestones", "gamma"],
        Kind::Exponential => &["gamma"],
        Kind::Linear => &["start-factor", "end-factor", "total-iters"],
        Kind::Polynomial => &["total-iters", "power"],
        Kind::Cosine => &["t-max", "eta-min"],
        Kind::CosineRestarts => &["t0", "t-mult", "eta-min"],
        Kind::Cyclic => &[
            "base-lr",
            "max-lr",
            "step-size-up",
            "step-size-down",
            "mode",
            "gamma",
            "base-momentum",
            "max-momentum",
        ],
        Kind::OneCycle => &[
            "max-lr",
            "total-steps",
            "pct-start",
            "div-factor",
            "final-div-factor",
            "anneal",
            "three-phase",
            "base-momentum",
            "max-momentum",
        ],
        Kind::Plateau => &[
            "mode",
            "factor",
            "patience",
            "threshold",
            "threshold-mode",
            "cooldown",
            "min-lr",
        ],
    }
}

impl ScheduleFlags {
    /// The flags that were given, by name.
    fn given(&self) -> Vec<&'static str> {
        let f = self;
        let pairs: [(&'static str, bool); 30] = [
            ("step-size", f.step_size.is_some()),
            ("gamma", f.gamma.is_some()),
            ("milestones", f.milestones.is_some()),
            ("start-factor", f.start_factor.is_some()),
            ("end-factor", f.end_factor.is_some()),
            ("total-iters", f.total_iters.is_some()),
            ("power", f.power.is_some()),
            ("t-max", f.t_max.is_some()),
            ("eta-min", f.eta_min.is_some()),
            ("t0", f.t0.is_some()),
            ("t-mult", f.t_mult.is_some()),
            ("base-lr", f.base_lr.is_some()),
            ("max-lr", f.max_lr.is_some()),
            ("step-size-up", f.step_size_up.is_some()),
            ("step-size-down", f.step_size_down.is_some()),
            ("mode", f.mode.is_some()),
            ("total-steps", f.total_steps.is_some()),
            ("pct-start", f.pct_start.is_some()),
            ("div-factor", f.div_factor.is_some()),
            ("final-div-factor", f.final_div_factor.is_some()),
            ("anneal", f.anneal.is_some()),
            ("three-phase", f.three_phase),
            ("base-momentum", f.base_momentum.is_some()),
            ("max-momentum", f.max_momentum.is_some()),
            ("factor", f.factor.is_some()),
            ("patience", f.patience.is_some()),
            ("threshold", f.threshold.is_some()),
            ("threshold-mode", f.threshold_mode.is_some()),
            ("cooldown", f.cooldown.is_some()),
            ("min-lr", f.min_lr.is_some()),
        ];
        pairs
            .into_iter()
            .filter(|(_, set)| *set)
            .map(|(n, _)| n)
            .collect()
    }

    /// Builds the schedule of `kind` from these flags; `lr` is the base rate, `steps` the run length.
    pub fn build(&self, kind: Kind, lr: Option<f64>, steps: usize) -> Result<Box<dyn Schedule>> {
        let kind_name = kind.name();
        if let Some(flag) = self
            .given()
            .into_iter()
            .find(|f| !allowed(kind).contains(f))
        {
            return Err(bad_input(format!(
                "--{flag} does not apply to the {kind_name} schedule"
            )));
        }
        let need = |name: &str, v: Option<f64>| {
            v.ok_or_else(|| bad_input(format!("the {kind_name} schedule needs --{name}")))
        };
        let need_n = |name: &str, v: Option<usize>| {
            v.ok_or_else(|| bad_input(format!("the {kind_name} schedule needs --{name}")))
        };
        let s: Result<Box<dyn Schedule>, sched::ScheduleError> = match kind {
            Kind::Constant => sched::Constant::new(need("lr", lr)?).map(|s| Box::new(s) as _),
            Kind::Step => sched::StepDecay::new(
                need("lr", lr)?,
                need_n("step-size", self.step_size)?,
                self.gamma.unwrap_or(0.1),
            )
            .map(|s| Box::new(s) as _),
            Kind::Multistep => {
                let m = self
                    .milestones
                    .clone()
                    .ok_or_else(|| bad_input("the multistep schedule needs --milestones"))?;
                sched::MultiStep::new(need("lr", lr)?, m, self.gamma.unwrap_or(0.1))
                    .map(|s| Box::new(s) as _)
            }
            Kind::Exponential => {
                sched::Exponential::new(need("lr", lr)?, need("gamma", self.gamma)?)
                    .map(|s| Box::new(s) as _)
            }
            Kind::Linear => sched::LinearWarmup::new(
                need("lr", lr)?,
                self.start_factor.unwrap_or(1.0 / 3.0),
                self.end_factor.unwrap_or(1.0),
                self.total_iters.unwrap_or(5),
            )
            .map(|s| Box::new(s) as _),
            Kind::Polynomial => sched::Polynomial::new(
                need("lr", lr)?,
                self.total_iters.unwrap_or(5),
                self.power.unwrap_or(1.0),
            )
            .map(|s| Box::new(s) as _),
            Kind::Cosine => sched::CosineAnnealing::new(
                need("lr", lr)?,
                need_n("t-max", self.t_max)?,
                self.eta_min.unwrap_or(0.0),
            )
            .map(|s| Box::new(s) as _),
            Kind::CosineRestarts => sched::CosineWarmRestarts::new(
                need("lr", lr)?,
                need_n("t0", self.t0)?,
                self.t_mult.unwrap_or(1),
                self.eta_min.unwrap_or(0.0),
            )
            .map(|s| Box::new(s) as _),
            Kind::Cyclic => {
                let mode = CyclicMode::parse(
                    self.mode.as_deref().unwrap_or("triangular"),
                    self.gamma.unwrap_or(1.0),
                )
                .map_err(bad_input)?;
                let base = self.base_lr.or(lr);
                let momentum = (
                    self.base_momentum.unwrap_or(0.8),
                    self.max_momentum.unwrap_or(0.9),
                );
                sched::Cyclic::new(
                    need("base-lr", base)?,
                    need("max-lr", self.max_lr)?,
                    self.step_size_up.unwrap_or(2000),
                    self.step_size_down,
                    mode,
                    Some(momentum),
                )
                .map(|s| Box::new(s) as _)
            }
            Kind::OneCycle => {
                let anneal = match self.anneal.as_deref().unwrap_or("cos") {
                    "cos" => Anneal::Cos,
                    "linear" => Anneal::Linear,
                    other => {
                        return Err(bad_input(format!(
                            "--anneal must be cos or linear, got '{other}'"
                        )))
                    }
                };
                let o = OneCycleOptions {
                    pct_start: self.pct_start.unwrap_or(0.3),
                    div_factor: self.div_factor.unwrap_or(25.0),
                    final_div_factor: self.final_div_factor.unwrap_or(1e4),
                    anneal,
                    three_phase: self.three_phase,
                    momentum: Some((
                        self.base_momentum.unwrap_or(0.85),
                        self.max_momentum.unwrap_or(0.95),
                    )),
                };
                sched::OneCycle::new(
                    need("max-lr", self.max_lr.or(lr))?,
                    self.total_steps.unwrap_or(steps),
                    o,
                )
                .map(|s| Box::new(s) as _)
            }
            Kind::Plateau => {
                let mode = match self.mode.as_deref().unwrap_or("min") {
                    "min" => PlateauMode::Min,
                    "max" => PlateauMode::Max,
                    other => {
                        return Err(bad_input(format!(
                            "--mode for plateau must be min or max, got '{other}'"
                        )))
                    }
                };
                let threshold_mode = match self.threshold_mode.as_deref().unwrap_or("rel") {
                    "rel" => ThresholdMode::Rel,
                    "abs" => ThresholdMode::Abs,
                    other => {
                        return Err(bad_input(format!(
                            "--threshold-mode must be rel or abs, got '{other}'"
                        )))
                    }
                };
                let d = PlateauOptions::default();
                let o = PlateauOptions {
                    mode,
                    threshold_mode,
                    factor: self.factor.unwrap_or(d.factor),
                    patience: self.patience.unwrap_or(d.patience),
                    threshold: self.threshold.unwrap_or(d.threshold),
                    cooldown: self.cooldown.unwrap_or(d.cooldown),
                    min_lr: self.min_lr.unwrap_or(d.min_lr),
                    eps: d.eps,
                };
                sched::Plateau::new(need("lr", lr)?, o).map(|s| Box::new(s) as _)
            }
        };
        s.map_err(bad_input)
    }
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

/// Reads a finder JSON and fills the rates it stands for into `args`; returns what was used.
fn apply_finder(path: &Path, kind: Kind, args: &mut Args) -> Result<String> {
    let text = std::fs::read_to_string(path)
        .map_err(bad_input)
        .with_context(|| format!("{}", path.display()))?;
    let v: Value = serde_json::from_str(&text)
        .map_err(|e| bad_input(format!("{}: not a finder JSON: {e}", path.display())))?;
    let method = v["default_method"]
        .as_str()
        .unwrap_or(lrfind::DEFAULT_METHOD.name())
        .to_string();
    let s = &v["suggestions"];
    let missing = |what: &str| {
        bad_input(format!(
            "{}: has no usable '{what}' suggestion",
            path.display()
        ))
    };
    let bounds = match (
        s["bounds"]["base_lr"].as_f64(),
        s["bounds"]["max_lr"].as_f64(),
    ) {
        (Some(base), Some(max)) => Some((base, max)),
        _ => None,
    };
    let lr = s[&method]["lr"].as_f64();
    let used =
        use_rates(kind, &method, lr, bounds, &mut args.lr, &mut args.flags).map_err(missing)?;
    Ok(format!("{used} in {}", path.display()))
}

/// Puts a finder's rates where `kind` takes them: cyclic takes the bounds (base_lr, max_lr),
/// one-cycle the suggestion (`method`'s lr) as max_lr, other kinds the suggestion as lr. Returns
/// what was used, or the name of the missing suggestion.
pub fn use_rates<'a>(
    kind: Kind,
    method: &'a str,
    suggestion: Option<f64>,
    bounds: Option<(f64, f64)>,
    lr: &mut Option<f64>,
    flags: &mut ScheduleFlags,
) -> Result<String, &'a str> {
    if kind == Kind::Cyclic {
        let (base, max) = bounds.ok_or("bounds")?;
        flags.base_lr = Some(base);
        flags.max_lr = Some(max);
        return Ok(format!(
            "base_lr {base:.3e} and max_lr {max:.3e} from the bounds"
        ));
    }
    let value = suggestion.ok_or(method)?;
    if kind == Kind::OneCycle {
        flags.max_lr = Some(value);
        Ok(format!("max_lr {value:.3e} from the {method} suggestion"))
    } else {
        *lr = Some(value);
        Ok(format!("lr {value:.3e} from the {method} suggestion"))
    }
}

pub fn run(mut args: Args) -> Result<()> {
    if args.steps == 0 {
        return Err(bad_input("--steps must be at least 1"));
    }
    if let Some(from) = args.from.clone() {
        let used = apply_finder(&from, args.kind, &mut args)?;
        eprintln!("using {used}");
    }
    let metrics = match (&args.metrics, args.kind) {
        (Some(p), Kind::Plateau) => Some(read_metrics(p)?),
        (None, Kind::Plateau) => {
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
    let mut schedule = args.flags.build(args.kind, args.lr, args.steps)?;
    let (lrs, moms) =
        sched::sequence(schedule.as_mut(), args.steps, metrics.as_deref()).map_err(bad_input)?;
    let kind = args.kind.name();
    if let Some(plot) = &args.plot {
        lrfind::plot::plot_schedule(&format!("{kind} schedule"), &lrs, moms.as_deref(), plot)
            .map_err(bad_input)?;
    }
    if args.format == "json" {
        let mut doc = json!({"kind": kind, "lr": lrs});
        if let Some(m) = &moms {
            doc["momentum"] = json!(m);
        }
        crate::output::emit(&format!("{}\n", serde_json::to_string(&doc)?))?;
    } else {
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
        crate::output::emit(&out)?;
    }
    Ok(())
}
