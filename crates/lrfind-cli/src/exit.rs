//! Exit codes and the one-line error report.

use std::fmt;
use std::process::ExitCode;

/// Marks an error as the user's input being wrong (exit code 2).
#[derive(Debug)]
pub struct BadInput(pub String);

impl fmt::Display for BadInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadInput {}

/// Wraps any error as bad input, keeping its message.
pub fn bad_input(e: impl fmt::Display) -> anyhow::Error {
    anyhow::Error::new(BadInput(e.to_string()))
}

/// The core's settings as its errors and advice name them, and the flags that set them.
const SETTINGS: [(&str, &str); 10] = [
    ("start_lr", "--start-lr"),
    ("end_lr", "--end-lr"),
    ("num_iter", "--num-iter"),
    ("stop_div", "--stop-div"),
    ("beta", "--beta"),
    ("slide.thresh", "--slide-thresh"),
    ("slide.lr_diff", "--slide-lr-diff"),
    ("sma_window", "--sma-window"),
    ("analysis.methods", "--methods"),
    ("method", "--method"),
];

/// `text` with each setting the core names written as the flag that sets it
/// (`start_lr must be …` becomes `--start-lr must be …`); a setting inside a longer word is left.
pub fn in_flags(text: &str) -> String {
    let mut message = text.to_string();
    for (setting, flag) in SETTINGS {
        let mut out = String::with_capacity(message.len());
        let mut rest = message.as_str();
        while let Some(at) = rest.find(setting) {
            let before = rest[..at].chars().next_back();
            let after = rest[at + setting.len()..].chars().next();
            let word = |c: Option<char>| {
                c.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '.')
            };
            out += &rest[..at];
            out += if word(before) || word(after) {
                setting
            } else {
                flag
            };
            rest = &rest[at + setting.len()..];
        }
        out += rest;
        message = out;
    }
    message
}

/// Bad input from a core configuration error, its settings named by their flags.
pub fn bad_setting(e: impl fmt::Display) -> anyhow::Error {
    anyhow::Error::new(BadInput(in_flags(&e.to_string())))
}

/// Bad input from a schedule error; a missing setting (`max_lr`) is named by its flag (`--max-lr`).
pub fn bad_schedule(e: lrfind::schedule::ScheduleError) -> anyhow::Error {
    match e {
        lrfind::schedule::ScheduleError::Missing { kind, what } => bad_input(format!(
            "the {kind} schedule needs --{}",
            what.replace('_', "-")
        )),
        e => bad_input(e),
    }
}

/// Prints `lrfind: <error>: <cause>…` on one line and picks the exit code.
pub fn report(e: &anyhow::Error) -> ExitCode {
    let chain: Vec<String> = e.chain().map(|c| c.to_string()).collect();
    eprintln!("lrfind: {}", chain.join(": "));
    if e.chain().any(|c| c.is::<Interrupted>()) {
        ExitCode::from(130)
    } else if e.chain().any(|c| c.is::<BadInput>()) {
        ExitCode::from(2)
    } else {
        ExitCode::from(1)
    }
}

/// The user interrupted the run (Ctrl-C): exit code 130, after what was recorded is written.
#[derive(Debug)]
pub struct Interrupted;

impl fmt::Display for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("interrupted; model and optimizer state restored, results so far written")
    }
}

impl std::error::Error for Interrupted {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_named_by_their_flags() {
        let e = lrfind::ConfigError::EndLr {
            start: 1e-3,
            end: 1e-4,
        };
        assert_eq!(
            bad_setting(e).to_string(),
            "--end-lr must be finite and greater than --start-lr (1e-3), got 1e-4"
        );
        assert_eq!(
            bad_setting("beta_x and beta").to_string(),
            "beta_x and --beta"
        );
        assert_eq!(
            in_flags("more iterations (num_iter), or smoothing (beta closer to 1); lr 1e-3"),
            "more iterations (--num-iter), or smoothing (--beta closer to 1); lr 1e-3"
        );
    }
}
