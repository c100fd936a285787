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

/// Writes `doc` as pretty JSON and a newline to `path`, whole or not at all ([`write_atomic`]).
pub fn write_json(path: &Path, doc: &impl serde::Serialize) -> Result<()> {
    write_atomic(path, |w| {
        serde_json::to_writer_pretty(&mut *w, doc).map_err(std::io::Error::other)?;
        writeln!(w)
    })
}

/// The claim of one lrfind run on its output folder, taken before any work starts: `.lrfind.lock`
/// there, holding the run's process id. Writing it is also the check that files can be written
/// in the folder. It is removed when the run ends, with the folders taking it created if the run
/// left them empty, so a run that fails leaves no empty folder behind. A second run on the same
/// folder while the first is alive is bad input; a lock whose process is gone (a killed run) is
/// taken over.
pub struct OutLock {
    /// The lock file; empty when it is not this run's to remove.
    file: std::path::PathBuf,
    created: Vec<std::path::PathBuf>,
}

impl OutLock {
    /// Claims `out` (creating it), or says why it cannot (bad input, naming the folder): it cannot
    /// be created, cannot be written in, or a live run holds it.
    pub fn take(out: &Path) -> Result<OutLock> {
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
        let created: Vec<std::path::PathBuf> = out
            .ancestors()
            .take_while(|a| !a.as_os_str().is_empty() && !a.exists())
            .map(Path::to_path_buf)
            .collect();
        // From here on, an error drops `lock`: the folders it created go again.
        let mut lock = OutLock {
            file: std::path::PathBuf::new(),
            created,
        };
        std::fs::create_dir_all(out).map_err(|e| bad("create", &e))?;
        let file = out.join(".lrfind.lock");
        let me = std::process::id();
        for _ in 0..2 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&file)
            {
                Ok(mut f) => {
                    lock.file = file.clone();
                    write!(f, "{me}")
                        .and_then(|()| f.sync_all())
                        .map_err(|e| bad("write in", &e))?;
                    return Ok(lock);
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
                Err(e) => return Err(bad("write in", &e)),
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
        if !self.file.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.file);
        }
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
