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

/// The claim of one lrfind run on its output folder: `.lrfind.lock` there, holding the run's
/// process id, removed when the run ends (with the folder, if the run left it empty). A second
/// run on the same folder while the first is alive is bad input; a lock whose process is gone
/// (a killed run) is taken over.
pub struct OutLock {
    file: std::path::PathBuf,
    created: Vec<std::path::PathBuf>,
}

impl OutLock {
    /// Claims `out` (creating it), or names the live run that holds it.
    pub fn take(out: &Path) -> Result<OutLock> {
        let created: Vec<std::path::PathBuf> = out
            .ancestors()
            .take_while(|a| !a.as_os_str().is_empty() && !a.exists())
            .map(Path::to_path_buf)
            .collect();
        std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
        let file = out.join(".lrfind.lock");
        let me = std::process::id();
        for _ in 0..2 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&file)
            {
                Ok(mut f) => {
                    write!(f, "{me}")
                        .with_context(|| format!("cannot write {}", file.display()))?;
                    return Ok(OutLock { file, created });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let holder = std::fs::read_to_string(&file).unwrap_or_default();
                    let pid: Option<u32> = holder.trim().parse().ok();
                    let alive =
                        pid.is_some_and(|p| p != me && Path::new(&format!("/proc/{p}")).exists());
                    if alive {
                        return Err(crate::exit::bad_input(format!(
                            "another lrfind (process {}) is writing in --out {}; wait for it to \
                             end, or use another --out",
                            pid.unwrap_or_default(),
                            out.display()
                        )));
                    }
                    // A run that was killed left it: take it over.
                    let _ = std::fs::remove_file(&file);
                }
                Err(e) => {
                    return Err(anyhow::Error::new(e))
                        .with_context(|| format!("cannot write {}", file.display()))
                }
            }
        }
        Err(crate::exit::bad_input(format!(
            "cannot claim --out {}: {} keeps reappearing",
            out.display(),
            file.display()
        )))
    }
}

impl Drop for OutLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.file);
        for dir in &self.created {
            let _ = std::fs::remove_dir(dir);
        }
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
