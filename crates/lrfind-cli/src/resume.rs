//! `train --resume`: the checkpoint `train` writes after every epoch, what makes a run the same
//! run, and continuing one.

use crate::exit::bad_input;
use crate::settings::{self, RunFingerprint};
use crate::train::Args;
use anyhow::Result;
use lrfind::schedule::ScheduleConfig;
use lrfind_train::Checkpoint;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The checkpoint file in `out`.
pub fn path(out: &Path) -> PathBuf {
    out.join("checkpoint.lrfind")
}

/// The settings that make a run what it is: a resume must give the same
/// ([`RunFingerprint`]).
pub fn run_config(args: &Args, schedule: &ScheduleConfig) -> Value {
    settings::to_value(RunFingerprint::of(args, schedule))
}

/// With `--resume`, the checkpoint in `--out`, refused (bad input) when it is missing, damaged
/// or from a run with other settings than `config`.
pub fn load(args: &Args, config: &Value) -> Result<Option<Checkpoint>> {
    if !args.resume {
        return Ok(None);
    }
    let file = path(&args.out);
    if !file.is_file() {
        let history = std::fs::read_to_string(args.out.join("history.json")).ok();
        let stopped = history
            .and_then(|h| serde_json::from_str::<Value>(&h).ok())
            .filter(|h| h["epochs"].as_array().is_some_and(|e| e.is_empty()))
            .and_then(|h| h["stopped"].as_str().map(str::to_string));
        if let Some(stopped) = stopped {
            return Err(bad_input(format!(
                "--resume: the run in --out {} ended ({stopped}) in its first epoch, before the \
                 first checkpoint (one is written after every epoch): start it again without \
                 --resume",
                args.out.display()
            )));
        }
        return Err(bad_input(format!(
            "--resume: {} does not exist (no run to continue in --out {})",
            file.display(),
            args.out.display()
        )));
    }
    let checkpoint = Checkpoint::read(&file).map_err(bad_input)?;
    if let Some((key, then, now)) = checkpoint.differs(config) {
        let flag = match key.as_str() {
            "schedule_settings" => "the schedule's flags".to_string(),
            k => format!("--{}", k.replace('_', "-")),
        };
        return Err(bad_input(format!(
            "--resume: the run in {} was started with {flag} {then}, this one has {now}; \
             resume with the same flags, or train into another --out",
            args.out.display()
        )));
    }
    Ok(Some(checkpoint))
}
