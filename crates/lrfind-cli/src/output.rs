//! Output helpers shared by the commands: atomic file writes and number formatting.

use anyhow::{Context, Result};
use std::io::Write;
use std::path::Path;

/// Writes a file whole or not at all ([`lrfind::atomic::write`]), creating its folder first: an
/// output folder appears with the first result in it, never empty after a run that failed.
pub fn write_atomic(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    lrfind::atomic::write(path, fill).with_context(|| format!("cannot write {}", path.display()))
}

/// Checks, before any work starts, that the output folder `out` exists as a folder or can be
/// created (its nearest existing ancestor is a folder); bad input otherwise. Creates nothing:
/// [`write_atomic`] creates it with the first file.
pub fn check_out_dir(out: &Path) -> Result<()> {
    let existing = out
        .ancestors()
        .find(|a| a.as_os_str().is_empty() || a.exists());
    match existing {
        Some(a) if a.as_os_str().is_empty() || a.is_dir() => Ok(()),
        Some(a) => Err(crate::exit::bad_input(format!(
            "cannot create the output folder {}: {} is not a folder",
            out.display(),
            a.display()
        ))),
        None => Ok(()),
    }
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
