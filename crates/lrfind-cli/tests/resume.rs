//! `train --resume`: a run stopped by Ctrl-C (SIGINT) or killed (SIGKILL) mid-epoch continues
//! from its last checkpoint and ends exactly where an uninterrupted run ends.

use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn sample() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/fashion-mnist-sample")
}

/// A CNN run slow enough to be stopped mid-way: 8 epochs of 10 steps, re-found every 3 epochs,
/// β1 cycled (one-cycle).
fn train(out: &Path) -> Command {
    let mut c = Command::cargo_bin("lrfind").unwrap();
    c.args([
        "train",
        "--dataset",
        "fashion-mnist",
        "--model",
        "cnn",
        "--limit",
        "320",
    ])
    .args([
        "--batch-size",
        "32",
        "--epochs",
        "8",
        "--refind-every",
        "3",
        "--num-iter",
        "30",
    ])
    .arg("--data-dir")
    .arg(sample())
    .arg("--out")
    .arg(out);
    c
}

/// The epoch the checkpoint in `out` would continue from (0 while there is none).
fn checkpoint_epoch(out: &Path) -> usize {
    let Ok(bytes) = std::fs::read(out.join("checkpoint.lrfind")) else {
        return 0;
    };
    let header = bytes.split(|&b| b == b'\n').nth(1).unwrap_or_default();
    serde_json::from_slice::<Value>(header)
        .ok()
        .and_then(|v| v["state"]["epoch"].as_u64())
        .unwrap_or(0) as usize
}

fn history(out: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("history.json")).unwrap()).unwrap()
}

/// Starts a run, sends `signal` once its checkpoint is past epoch 2, and returns its exit code
/// (None: killed by the signal).
fn stop_mid_run(out: &Path, signal: &str) -> Option<i32> {
    let mut child = train(out).spawn().unwrap();
    let started = Instant::now();
    while checkpoint_epoch(out) < 2 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it was stopped"
        );
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "no checkpoint"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args([signal, &pid])
        .status()
        .unwrap()
        .success());
    let status = child.wait().unwrap();
    let epoch = checkpoint_epoch(out);
    assert!(
        (2..8).contains(&epoch),
        "stopped with a checkpoint at epoch {epoch}"
    );
    status.code()
}

#[test]
fn a_run_stopped_by_ctrl_c_or_killed_resumes_to_the_same_end() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole");
    assert!(train(&whole).status().unwrap().success());
    let want = history(&whole);
    for (signal, code) in [("-INT", Some(130)), ("-KILL", None)] {
        let out = dir.path().join(signal);
        assert_eq!(stop_mid_run(&out, signal), code, "{signal}");
        let resumed = train(&out).arg("--resume").output().unwrap();
        assert!(
            resumed.status.success(),
            "{}",
            String::from_utf8_lossy(&resumed.stderr)
        );
        // The resumed run's epoch table has its header.
        let stderr = String::from_utf8_lossy(&resumed.stderr);
        assert!(stderr.contains("train loss"), "{signal}: {stderr}");
        let got = history(&out);
        // Every epoch's held-out loss, every step's lr, loss and momentum: equal to the bit.
        for key in ["epochs", "refinds"] {
            assert_eq!(got[key], want[key], "{signal}: {key}");
        }
        for key in ["lr", "loss", "momentum"] {
            assert_eq!(
                got["steps"][key], want["steps"][key],
                "{signal}: steps.{key}"
            );
        }
        assert_eq!(got["stopped"], "completed");
        // The saved models score the same (their files differ only in burn's random parameter ids).
        let score = |d: &Path| {
            train(d)
                .args(["--eval-only", "--format", "json"])
                .output()
                .unwrap()
                .stdout
        };
        assert_eq!(score(&out), score(&whole), "{signal}: the trained model");
    }
}

/// A run that ended in its first epoch has no checkpoint yet: `--resume` says so.
#[test]
fn resuming_a_run_stopped_in_its_first_epoch_says_why_it_cannot() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(
        out.join("history.json"),
        r#"{"epochs": [], "stopped": "interrupted"}"#,
    )
    .unwrap();
    let resumed = Command::cargo_bin("lrfind")
        .unwrap()
        .args(["train", "--epochs", "2", "--resume", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&resumed.stderr);
    assert_eq!(resumed.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("ended (interrupted) in its first epoch, before the first checkpoint"),
        "{stderr}"
    );
}

#[test]
fn resuming_needs_a_checkpoint_and_the_same_flags() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let quick = |extra: &[&str]| {
        let mut c = Command::cargo_bin("lrfind").unwrap();
        c.args(["train", "--epochs", "2", "--lr", "1e-3", "--out"])
            .arg(&out)
            .args(extra);
        c.output().unwrap()
    };
    let missing = quick(&["--resume"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("checkpoint.lrfind does not exist"));
    assert!(quick(&[]).status.success());
    let other = quick(&["--resume", "--seed", "1"]);
    assert_eq!(other.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&other.stderr);
    assert!(
        stderr.contains("started with --seed 0, this one has 1"),
        "{stderr}"
    );
    // Each setting is named by its flag, with its values as the command line writes them.
    for (flags, message) in [
        (
            &["--epochs", "2", "--lr", "2e-3"][..],
            "started with --lr 0.001, this one has 0.002",
        ),
        (
            &["--epochs", "2", "--lr", "1e-3", "--skip-start", "3"],
            "started with --skip-start null, this one has 3",
        ),
        (
            &["--epochs", "2", "--lr", "1e-3", "--num-iter", "50"],
            "started with --num-iter 100, this one has 50",
        ),
        // The refinement's settings are named too, and only written when not the default (a run
        // checkpointed before they existed resumes with them).
        (
            &["--epochs", "2", "--lr", "1e-3", "--refine-extend", "0"],
            "started with --refine-extend null, this one has 0",
        ),
        (
            &[
                "--epochs",
                "2",
                "--lr",
                "1e-3",
                "--refine-extrapolate",
                "false",
            ],
            "started with --refine-extrapolate null, this one has false",
        ),
    ] {
        let other = Command::cargo_bin("lrfind")
            .unwrap()
            .arg("train")
            .args(flags)
            .args(["--resume", "--out"])
            .arg(&out)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&other.stderr);
        assert_eq!(other.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(message), "{flags:?}: {stderr}");
    }
    let again = quick(&["--resume"]);
    assert!(again.status.success(), "a finished run resumes to its end");
    // One byte changed in any region of a real checkpoint — its header line, its settings line,
    // the model's bytes, the optimizer's bytes — is refused, never resumed.
    let file = out.join("checkpoint.lrfind");
    let bytes = std::fs::read(&file).unwrap();
    let line = |n: usize| {
        bytes
            .split(|&b| b == b'\n')
            .take(n)
            .map(|l| l.len() + 1)
            .sum::<usize>()
    };
    let (settings, payload) = (line(1), line(2));
    let mut at: Vec<usize> = vec![3, settings + 5, payload - 10, payload + 1, bytes.len() - 1];
    at.extend((1..16).map(|k| payload + (bytes.len() - payload) * k / 16));
    for at in at {
        let mut flipped = bytes.clone();
        flipped[at] ^= 0x01;
        std::fs::write(&file, &flipped).unwrap();
        let out = quick(&["--resume"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(2),
            "byte {at} of {}: {stderr}",
            bytes.len()
        );
        assert!(
            stderr.contains("not an lrfind checkpoint"),
            "byte {at}: {stderr}"
        );
    }
    std::fs::write(out.join("checkpoint.lrfind"), b"lrfind-checkpoint 1\n{").unwrap();
    let damaged = quick(&["--resume"]);
    assert_eq!(damaged.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&damaged.stderr).contains("not an lrfind checkpoint"));
}
