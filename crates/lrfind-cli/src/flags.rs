//! Flag groups several commands share: output format, the range test's settings, the suggestion
//! rules' settings, and a command's flags extended by those of the schedule kind it names.

use clap::{ArgMatches, CommandFactory, FromArgMatches, ValueEnum};
use lrfind::schedule::{ScheduleConfig, ScheduleKind};
use lrfind::suggest::{LightningSkip, SlideParams};
use lrfind::{AnalyzeOptions, Method, Ramp, RangeTestConfig, Smoothing};
use std::ffi::OsString;

/// Output on stdout: an aligned table or JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned text.
    Table,
    /// JSON.
    Json,
}

/// `schedule`'s stdout: CSV or JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SeriesFormat {
    /// `step,lr[,momentum]`.
    Csv,
    /// `{"kind", "lr", "momentum"}`.
    Json,
}

/// The smoothing of recorded losses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SmoothingKind {
    /// fastai's debiased exponential moving average.
    Ema,
    /// The raw losses.
    None,
}

impl SmoothingKind {
    /// The smoothing with `beta`.
    pub fn with_beta(self, beta: f64) -> Smoothing {
        match self {
            SmoothingKind::Ema => Smoothing::Ema { beta },
            SmoothingKind::None => Smoothing::None,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            SmoothingKind::Ema => "ema",
            SmoothingKind::None => "none",
        }
    }
}

/// `--stop-div X|none`.
#[derive(Debug, Clone, Copy)]
pub struct StopDiv(pub Option<f64>);

/// Parses `none` or a number.
pub fn parse_stop_div(s: &str) -> Result<StopDiv, String> {
    if s == "none" {
        return Ok(StopDiv(None));
    }
    s.parse::<f64>()
        .map(|x| StopDiv(Some(x)))
        .map_err(|_| format!("'{s}' is not a number or none"))
}

/// The range test's own flags (`find`, `train`, `evaluate`).
#[derive(clap::Args, Debug, Clone)]
pub struct RangeArgs {
    /// First lr of the sweep (a value, even a negative-looking one, is taken as given and checked).
    #[arg(long, default_value_t = 1e-7, allow_hyphen_values = true)]
    pub start_lr: f64,
    /// Last lr of the sweep.
    #[arg(long, default_value_t = 10.0, allow_hyphen_values = true)]
    pub end_lr: f64,
    /// Steps of the sweep (at most).
    #[arg(long, default_value_t = 100)]
    pub num_iter: usize,
    /// How the lr moves from --start-lr to --end-lr.
    #[arg(long, value_enum, default_value_t = Ramp::Exp)]
    pub ramp: Ramp,
    /// Stop once smoothed loss > X × best (`none`: run every step).
    #[arg(long, default_value = "4", value_parser = parse_stop_div)]
    pub stop_div: StopDiv,
    /// Smoothing of the recorded losses.
    #[arg(long, value_enum, default_value_t = SmoothingKind::Ema)]
    pub smoothing: SmoothingKind,
    /// β of the EMA smoothing.
    #[arg(long, default_value_t = 0.98, allow_hyphen_values = true)]
    pub beta: f64,
    /// Steps at --start-lr before the sweep whose mean loss starts the smoothing and whose spread
    /// is the noise the curve is read against (0: fastai's debiased start and reading; for a
    /// sweep from trained weights, see `train --refind-warmup`).
    #[arg(long, default_value_t = 0)]
    pub warmup: usize,
}

impl RangeArgs {
    /// The core's settings.
    pub fn config(&self) -> RangeTestConfig {
        RangeTestConfig {
            start_lr: self.start_lr,
            end_lr: self.end_lr,
            num_iter: self.num_iter,
            ramp: self.ramp,
            smoothing: self.smoothing.with_beta(self.beta),
            stop_div: self.stop_div.0,
            warmup: self.warmup,
        }
    }
}

/// `--methods`: a comma-separated list or `all`.
#[derive(Debug, Clone)]
pub struct Methods(pub Vec<Method>);

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

/// Flags that choose and tune the suggestion rules (`find`, `analyze`, `train`, `evaluate`).
#[derive(clap::Args, Debug, Clone)]
pub struct SuggestArgs {
    /// Rules to apply: a comma-separated list of valley, slide, minimum, steep, gradient, sma,
    /// lightning, consensus, bounds, or `all`.
    #[arg(long, default_value = "all", value_parser = parse_methods)]
    pub methods: Methods,
    /// Points to leave out at the start (default: a tenth of the sweep's configured length, as
    /// fastai's `num_it // 10`).
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

impl SuggestArgs {
    /// The core's options, replaying `smoothing` and `stop_div` over the curve.
    pub fn options(&self, smoothing: Smoothing, stop_div: Option<f64>) -> AnalyzeOptions {
        AnalyzeOptions {
            methods: self.methods.0.clone(),
            skip_start: self.skip_start,
            skip_end: self.skip_end,
            smoothing,
            stop_div,
            num_iter: None,
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
            noise: None,
        }
    }
}

/// Parses `argv` (program name first) as the command `A` extended with the flags of the
/// schedule kind it names: `kind` picks it from the arguments (`None`: the default). Exits with
/// clap's message and code 2 on bad flags, as every other command.
pub fn parse_with_schedule<A: CommandFactory + FromArgMatches>(
    argv: Vec<OsString>,
    kind: impl Fn(&[OsString]) -> Option<ScheduleKind>,
    default: ScheduleKind,
) -> (A, ScheduleConfig) {
    let kind = kind(&argv[1..]).unwrap_or(default);
    // The kind's settings bring their own doc comment; the command keeps its own description.
    let base = A::command();
    let (about, long_about) = (base.get_about().cloned(), base.get_long_about().cloned());
    let mut command = kind.augment(base).long_about(None::<&str>);
    if let Some(about) = about {
        command = command.about(about);
    }
    if let Some(long_about) = long_about {
        command = command.long_about(long_about);
    }
    let parsed = command
        .try_get_matches_from(argv)
        .and_then(|m: ArgMatches| Ok((A::from_arg_matches(&m)?, kind.config_from(&m)?)));
    parsed.unwrap_or_else(|e| e.exit())
}

/// Refinement candidates by default before a run of `kind` (`train --refine`, `find --epochs`):
/// [`lrfind_train::refinement::DEFAULT_CANDIDATES`] under every schedule that takes one rate, 0
/// under cyclic (it takes the bounds). Chosen on the thirteen quick rows, reported on rows
/// declared held out before (docs/evaluation.md, "Refinement under every schedule" and "A
/// selection that knows the run").
pub fn default_refine(kind: ScheduleKind) -> usize {
    match kind {
        ScheduleKind::Cyclic => 0,
        _ => lrfind_train::refinement::DEFAULT_CANDIDATES,
    }
}

/// How a refinement follows the run (`find`, `train`): the flags of
/// [`lrfind_train::Refine::extend`] and [`lrfind_train::Refine::extrapolate`].
#[derive(clap::Args, Debug, Clone, Copy)]
pub struct RefineArgs {
    /// Candidates a refinement adds at most, one at a time a factor 2 below the lowest rate tried,
    /// while the best candidate is that lowest (0: the span stays ¼…4×).
    #[arg(long, default_value_t = lrfind_train::refinement::DEFAULT_EXTEND)]
    pub refine_extend: usize,
    /// Under a constant schedule, pick the candidate whose loss, scored after a quarter of its
    /// steps and at its end, extrapolates lowest to the run's length (a power law in steps);
    /// false: the lowest loss at its own length.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub refine_extrapolate: bool,
}

impl RefineArgs {
    /// The refinement of `candidates` candidates with these flags.
    pub fn refine(&self, candidates: usize) -> lrfind_train::Refine {
        lrfind_train::Refine {
            candidates,
            extend: self.refine_extend,
            extrapolate: self.refine_extrapolate,
            ..lrfind_train::Refine::default()
        }
    }
}

/// The kind named by `--flag KIND` or `--flag=KIND` in `args`.
pub fn kind_after(flag: &str, args: &[OsString]) -> Option<ScheduleKind> {
    let args: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let value = args.iter().enumerate().find_map(|(i, a)| {
        let eq = format!("{flag}=");
        a.strip_prefix(&eq)
            .map(str::to_string)
            .or_else(|| (a == flag).then(|| args.get(i + 1).cloned()).flatten())
    })?;
    ScheduleKind::from_str(&value, false).ok()
}

/// The first of `args` that names a kind (the positional KIND of `lrfind schedule`).
pub fn first_kind(args: &[OsString]) -> Option<ScheduleKind> {
    args.iter()
        .find_map(|a| ScheduleKind::from_str(&a.to_string_lossy(), false).ok())
}
