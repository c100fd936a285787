//! The `config` each file records, as types: the range test's settings, the rules', a task's
//! ([`TaskSettings`]), and what `find`, `train`, `evaluate` and a checkpoint compose of them. Keys
//! are the flags' names with `_`, in the order the files list them.

use crate::flags::{RangeArgs, SuggestArgs};
use crate::train::Args as TrainArgs;
use lrfind::schedule::ScheduleConfig;
use lrfind_train::LrChoice;
use lrfind_zoo::{TaskSettings, TaskSpec};
use serde::Serialize;
use serde_json::Value;
use std::path::Path;

/// The range test's settings (`--start-lr` … `--warmup`).
#[derive(Debug, Clone, Serialize)]
pub struct RangeSettings {
    start_lr: f64,
    end_lr: f64,
    num_iter: usize,
    ramp: String,
    smoothing: &'static str,
    beta: f64,
    stop_div: Option<f64>,
    warmup: usize,
}

impl RangeSettings {
    /// The settings `range` gives.
    pub fn of(range: &RangeArgs) -> Self {
        RangeSettings {
            start_lr: range.start_lr,
            end_lr: range.end_lr,
            num_iter: range.num_iter,
            ramp: range.ramp.to_string(),
            smoothing: range.smoothing.name(),
            beta: range.beta,
            stop_div: range.stop_div.0,
            warmup: range.warmup,
        }
    }

    /// The same with `warmup` steps (a re-find's: [`lrfind_train::Trainer::range_test_before`]).
    pub fn with_warmup(self, warmup: usize) -> Self {
        RangeSettings { warmup, ..self }
    }
}

/// The rules' settings (`--methods` … `--lightning-skip-end`).
#[derive(Debug, Clone, Serialize)]
pub struct RuleSettings {
    methods: String,
    skip_start: Option<usize>,
    skip_end: Option<usize>,
    sma_window: usize,
    slide_lr_diff: usize,
    slide_thresh: f64,
    lightning_skip_begin: usize,
    lightning_skip_end: usize,
}

impl RuleSettings {
    /// The settings `suggest` gives.
    pub fn of(suggest: &SuggestArgs) -> Self {
        let methods: Vec<&str> = suggest.methods.0.iter().map(|m| m.name()).collect();
        RuleSettings {
            methods: methods.join(","),
            skip_start: suggest.skip_start,
            skip_end: suggest.skip_end,
            sma_window: suggest.sma_window,
            slide_lr_diff: suggest.slide_lr_diff,
            slide_thresh: suggest.slide_thresh,
            lightning_skip_begin: suggest.lightning_skip_begin,
            lightning_skip_end: suggest.lightning_skip_end,
        }
    }
}

/// `find`'s `lr_find.json`: the task, the range test, and how points were measured.
#[derive(Serialize)]
pub struct FindConfig<'a> {
    #[serde(flatten)]
    pub task: TaskSettings<'a>,
    #[serde(flatten)]
    pub range: RangeSettings,
    pub accumulate: usize,
    pub val_batches: usize,
    /// The run the rate is for (`--epochs`, `--schedule` and its settings), when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epochs: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule_settings: Option<&'a ScheduleConfig>,
}

/// `train`'s `lr_find_<epoch>.json`: the task, the range test as it ran before `epoch`.
#[derive(Serialize)]
pub struct RefindConfig<'a> {
    #[serde(flatten)]
    pub task: TaskSettings<'a>,
    pub range_test: RangeSettings,
    pub epoch: usize,
}

/// `evaluate.json`'s `config`.
#[derive(Serialize)]
pub struct EvaluateConfig<'a> {
    pub task: TaskSettings<'a>,
    pub epochs: usize,
    pub seeds: usize,
    pub schedule: &'a str,
    pub range_test: RangeSettings,
    /// How the consensus+refine row refined.
    pub refine: lrfind_train::Refine,
}

/// `--lr`: `"auto"` or the rate.
#[derive(Serialize)]
#[serde(untagged)]
enum LrSetting {
    Auto(&'static str),
    Fixed(f64),
}

/// The settings that make a training run what it is (a checkpoint's fingerprint: a resume must
/// give the same). One key per flag, so that a resume with another names it.
#[derive(Serialize)]
pub struct RunFingerprint<'a> {
    #[serde(flatten)]
    task: TaskSettings<'a>,
    data_dir: Option<&'a Path>,
    limit: usize,
    backend: &'a str,
    val_fraction: f64,
    target_kind: String,
    epochs: usize,
    lr: LrSetting,
    method: Option<&'static str>,
    schedule: &'static str,
    schedule_settings: &'a ScheduleConfig,
    refind_every: Option<usize>,
    refind_on_plateau: bool,
    refind_patience: usize,
    refind_warmup: usize,
    no_cycle_momentum: bool,
    refine: usize,
    refine_refinds: bool,
    // Written only when not the default, so that a run checkpointed before these settings existed
    // resumes with the defaults (the refinement before training has run by then).
    #[serde(skip_serializing_if = "is_default_extend")]
    refine_extend: usize,
    #[serde(skip_serializing_if = "is_default_extrapolate")]
    refine_extrapolate: bool,
    #[serde(flatten)]
    range: RangeSettings,
    #[serde(flatten)]
    rules: RuleSettings,
}

fn is_default_extend(n: &usize) -> bool {
    *n == lrfind_train::refinement::DEFAULT_EXTEND
}

fn is_default_extrapolate(b: &bool) -> bool {
    *b
}

impl<'a> RunFingerprint<'a> {
    /// The fingerprint of `train` with `args`, running `schedule`.
    pub fn of(args: &'a TrainArgs, schedule: &'a ScheduleConfig) -> Self {
        let t: &TaskSpec = &args.task;
        RunFingerprint {
            task: t.settings(),
            data_dir: t.data_dir.as_deref(),
            limit: t.limit(),
            backend: t.backend.name(),
            val_fraction: t.val_fraction(),
            target_kind: format!("{:?}", t.target_kind()),
            epochs: args.epochs,
            lr: match args.lr {
                LrChoice::Auto => LrSetting::Auto("auto"),
                LrChoice::Fixed(lr) => LrSetting::Fixed(lr),
            },
            method: args.method.map(|m| m.name()),
            schedule: args.schedule.name(),
            schedule_settings: schedule,
            refind_every: args.refind_every,
            refind_on_plateau: args.refind_on_plateau,
            refind_patience: args.refind_patience,
            refind_warmup: args.refind_warmup,
            no_cycle_momentum: args.no_cycle_momentum,
            refine: args.refine_candidates(),
            refine_refinds: args.refine_refinds,
            refine_extend: args.refine_run.refine_extend,
            refine_extrapolate: args.refine_run.refine_extrapolate,
            range: RangeSettings::of(&args.range),
            rules: RuleSettings::of(&args.suggest),
        }
    }
}

/// `settings` as the JSON a document's `config` holds.
pub fn to_value(settings: impl Serialize) -> Value {
    serde_json::to_value(settings).expect("settings are JSON")
}
