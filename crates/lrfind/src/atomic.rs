//! Files that appear whole or not at all: everything lrfind writes (curves, JSON, CSV, plots,
//! models) is written under a temporary name beside its destination, flushed to disk, and renamed
//! into place — a rename within one directory is atomic, so a crash or a failed run never leaves
//! a half-written file, and never replaces a good file with a broken one.

use std::io::Write;
use std::path::{Path, PathBuf};

/// `dir/.name.partial.ext`: same directory (so the rename is atomic), same extension (so tools
/// that pick a format by extension, like the plot backends, still can).
pub fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.partial.{ext}"))
}

/// Renames the finished temporary file `tmp` into place when `written` is `Ok`; otherwise (or
/// when the rename fails) removes it. `path` keeps its old content on any failure.
pub fn commit<E>(written: Result<(), E>, tmp: &Path, path: &Path) -> Result<(), Failed<E>> {
    if let Err(e) = written {
        let _ = std::fs::remove_file(tmp);
        return Err(Failed::Write(e));
    }
    std::fs::rename(tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(tmp);
        Failed::Rename(e)
    })
}

/// Why [`commit`] failed: writing the temporary file, or renaming it.
#[derive(Debug)]
pub enum Failed<E> {
    /// Filling the temporary file failed.
    Write(E),
    /// Moving it into place failed.
    Rename(std::io::Error),
}

/// Writes `path` through `fill`, atomically (see the module docs); the data is synced to disk
/// before the rename.
pub fn write(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let tmp = temp_path(path);
    let written = std::fs::File::create(&tmp).and_then(|f| {
        let mut w = std::io::BufWriter::new(f);
        fill(&mut w)?;
        w.into_inner().map_err(|e| e.into_error())?.sync_all()
    });
    commit(written, &tmp, path).map_err(|f| match f {
        Failed::Write(e) | Failed::Rename(e) => e,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_keeps_the_old_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        write(&path, |w| w.write_all(b"good")).unwrap();
        let failed = write(&path, |w| {
            w.write_all(b"half")?;
            Err(std::io::Error::other("disk full"))
        });
        assert!(failed.is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"good");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file left");
    }

    #[test]
    fn an_unwritable_directory_is_an_error_not_a_panic() {
        let path = Path::new("/nonexistent-dir/out.csv");
        assert!(write(path, |w| w.write_all(b"x")).is_err());
    }
}
