//! Output helpers shared by the commands: atomic file writes and number formatting.

use anyhow::{Context, Result};
use std::io::Write;
use std::path::Path;

/// Writes a file whole or not at all ([`lrfind::atomic::write`]).
pub fn write_atomic(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    lrfind::atomic::write(path, fill).with_context(|| format!("cannot write {}", path.display()))
}

/// A learning rate for tables: 4 significant digits in scientific notation.
pub fn lr(x: f64) -> String {
    format!("{x:.3e}")
}

/// A loss for tables: 4 significant digits.
pub fn loss(x: f64) -> String {
    if x != 0.0 && (x.abs() < 1e-3 || x.abs() >= 1e5) {
        format!("{x:.3e}")
    } else {
        format!("{x:.4}")
    }
}

/// Writes to stdout; a closed pipe (`lrfind … | head`) ends output quietly instead of panicking.
pub fn emit(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write to stdout"),
    }
}
