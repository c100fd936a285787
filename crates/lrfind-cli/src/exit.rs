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
