//! A command's JSON on stdout, for the tests that run `--format json`.

use assert_cmd::Command;
use serde_json::Value;

/// Runs `command`, which must succeed (its stderr is the failure's message), and parses its stdout.
pub fn json_stdout(command: &mut Command) -> Value {
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}
