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

/// Checks, before any work starts, that files can be written in the output folder `out`: creates
/// it (and any missing parent), writes and removes a probe file there, then removes the folders it
/// created, so that a run that fails later leaves no empty folder behind. Bad input, naming the
/// folder and why, when it cannot be created or written.
pub fn check_out_dir(out: &Path) -> Result<()> {
    let bad = |what: &str, e: &dyn std::fmt::Display| {
        crate::exit::bad_input(format!(
            "cannot {what} the output folder {}: {e}",
            out.display()
        ))
    };
    if let Some(a) = out
        .ancestors()
        .find(|a| !a.as_os_str().is_empty() && a.exists())
    {
        if !a.is_dir() {
            return Err(bad(
                "create",
                &format_args!("{} is not a folder", a.display()),
            ));
        }
    }
    let missing: Vec<&Path> = out
        .ancestors()
        .take_while(|a| !a.as_os_str().is_empty() && !a.exists())
        .collect();
    std::fs::create_dir_all(out).map_err(|e| bad("create", &e))?;
    let probe = out.join(format!(".lrfind-probe-{}", std::process::id()));
    let written = std::fs::File::create(&probe)
        .and_then(|mut f| f.write_all(b"lrfind").and_then(|()| f.sync_all()));
    let _ = std::fs::remove_file(&probe);
    for dir in &missing {
        let _ = std::fs::remove_dir(dir);
    }
    written.map_err(|e| bad("write in", &e))
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
