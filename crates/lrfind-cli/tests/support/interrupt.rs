//! Ctrl-C in a test: a real SIGINT to a running `lrfind`.

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs `lrfind ARGS`, sends it SIGINT after `ms` milliseconds, and returns its output and how
/// long it took to end after the signal.
pub fn sigint_after(args: &[&std::ffi::OsStr], ms: u64) -> (Output, Duration) {
    let child = Command::new(assert_cmd::cargo::cargo_bin("lrfind"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(ms));
    let signalled = Instant::now();
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = child.wait_with_output().unwrap();
    (output, signalled.elapsed())
}
