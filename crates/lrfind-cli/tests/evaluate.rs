//! `lrfind evaluate` end to end, tiny: a 4-point grid, one epoch, two seeds.

#[cfg(unix)]
#[path = "support/interrupt.rs"]
mod interrupt;

#[path = "support/json_out.rs"]
mod json_out;

use assert_cmd::Command;
use json_out::json_stdout;
use predicates::prelude::*;
use serde_json::Value;

#[test]
fn tiny_evaluation_writes_grid_methods_regret_and_plot() {
    let dir = tempfile::tempdir().unwrap();
    let evaluate = |out: &std::path::Path| {
        json_stdout(
            Command::cargo_bin("lrfind")
                .unwrap()
                .args([
                    "evaluate",
                    "--epochs",
                    "1",
                    "--seeds",
                    "2",
                    "--grid-points",
                    "4",
                ])
                .args([
                    "--grid-start",
                    "1e-4",
                    "--grid-end",
                    "1",
                    "--format",
                    "json",
                ])
                .arg("--out")
                .arg(out),
        )
    };
    let v = evaluate(dir.path());
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("evaluate.json")).unwrap())
            .unwrap();
    assert_eq!(v, file);
    let grid = v["grid"].as_array().unwrap();
    assert_eq!(grid.len(), 4);
    assert!((grid[0]["lr"].as_f64().unwrap() - 1e-4).abs() < 1e-12);
    assert!((grid[3]["lr"].as_f64().unwrap() - 1.0).abs() < 1e-12);
    let best = grid
        .iter()
        .filter_map(|g| g["val_loss"].as_f64())
        .fold(f64::INFINITY, f64::min);
    assert_eq!(v["best"]["val_loss"].as_f64().unwrap(), best);
    for name in [
        "valley",
        "slide",
        "minimum",
        "consensus",
        "one-cycle(bounds)",
    ] {
        let m = &v["methods"][name];
        let (loss, regret) = (
            m["val_loss"].as_f64().unwrap(),
            m["regret"].as_f64().unwrap(),
        );
        assert!(((loss - best) / best - regret).abs() < 1e-12, "{name}");
        assert!(m["val_accuracy"].as_f64().is_some(), "{name} has accuracy");
        assert_eq!(m["seeds"], 2);
    }
    let cost = v["finder_cost_ratio"].as_f64().unwrap();
    // The range test (86 steps) against the 4-point grid: 4 runs of 21 steps (2 of the 23 batches
    // are the selection split).
    assert!(cost > 0.9 && cost < 1.1, "cost {cost}");
    assert_eq!(v["default_method"], "consensus");
    assert!(std::fs::read(dir.path().join("evaluate.png"))
        .unwrap()
        .starts_with(b"\x89PNG"));
    // Same seeds, same numbers (runs are parallel but each is deterministic).
    let w = evaluate(&dir.path().join("again"));
    assert_eq!(v["grid"], w["grid"]);
    assert_eq!(v["methods"], w["methods"]);
}

/// A weight decay under which every grid rate diverges leaves no best to measure regret against:
/// exit 1 saying so, not a table of `inf` losses and `NaN%` regrets with exit 0 (found by the
/// property test over every numeric flag).
#[test]
fn a_grid_that_diverges_everywhere_is_a_failure_that_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("lrfind")
        .unwrap()
        .args([
            "evaluate",
            "--num-iter",
            "12",
            "--epochs",
            "1",
            "--seeds",
            "1",
        ])
        .args(["--grid-points", "2", "--weight-decay", "1e200", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("lrfind: evaluate: every grid rate diverged")
            && stderr.contains("--weight-decay"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !stdout.contains("NaN") && !stdout.contains("inf"),
        "{stdout}"
    );
    assert!(!dir.path().join("evaluate.json").exists());
}

#[test]
fn bad_grid_is_refused() {
    Command::cargo_bin("lrfind")
        .unwrap()
        .args(["evaluate", "--grid-start", "1", "--grid-end", "0.1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("0 < --grid-start < --grid-end"));
}

/// Ctrl-C stops every run at its next step and exits 130 within a few seconds: before any seed has
/// finished nothing is written; after, the finished seeds' evaluation is.
#[cfg(unix)]
#[test]
fn ctrl_c_stops_the_runs_and_exits_130() {
    for wait_ms in [1000, 5000] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("ev");
        let argv: Vec<&std::ffi::OsStr> = ["evaluate", "--epochs", "20", "--seeds", "4", "--out"]
            .iter()
            .map(std::ffi::OsStr::new)
            .chain([out.as_os_str()])
            .collect();
        let (output, stopping) = interrupt::sigint_after(&argv, wait_ms);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(130), "{stderr}");
        assert!(stopping.as_secs() < 4, "took {stopping:?} to stop");
        let file = out.join("evaluate.json");
        if stderr.contains("no seed had finished") {
            assert!(!file.exists());
        } else {
            let doc: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
            let seeds = doc["config"]["seeds"].as_u64().unwrap();
            assert!((1..4).contains(&seeds), "{seeds} seeds written");
            assert!(
                stderr.contains(&format!("{seeds} of 4 seeds had finished")),
                "{stderr}"
            );
        }
    }
}

#[test]
fn the_refined_row_refines_as_its_flags_say_and_records_them() {
    let dir = tempfile::tempdir().unwrap();
    let evaluate = |out: &str, flags: &[&str]| {
        json_stdout(
            Command::cargo_bin("lrfind")
                .unwrap()
                .args(["evaluate", "--epochs", "3", "--seeds", "1"])
                .args(["--grid-points", "2", "--format", "json"])
                .args(flags)
                .arg("--out")
                .arg(dir.path().join(out)),
        )
    };
    let followed = evaluate("followed", &[]);
    let fixed = evaluate(
        "fixed",
        &["--refine-extend", "0", "--refine-extrapolate", "false"],
    );
    let refine = |e: &Value| e["config"]["refine"].clone();
    assert_eq!(refine(&followed)["extend"], 2);
    assert_eq!(refine(&followed)["extrapolate"], true);
    assert_eq!(refine(&fixed)["extend"], 0);
    assert_eq!(refine(&fixed)["extrapolate"], false);
    // What the candidates cost: 5 of ⌈63 / 5⌉ = 13 steps each (3 epochs of the 21 batches left
    // after the selection split) with a fixed span, up to 2 more where it grows.
    let steps = |e: &Value| e["refine_steps"].as_f64().unwrap();
    assert_eq!(steps(&fixed), 65.0);
    assert!(
        [65.0, 78.0, 91.0].contains(&steps(&followed)),
        "{}",
        steps(&followed)
    );
    for e in [&fixed, &followed] {
        let ratio = e["refine_cost_ratio"].as_f64().unwrap();
        assert!((ratio - steps(e) / e["grid_steps"].as_f64().unwrap()).abs() < 1e-12);
    }
    // The same curve, read two ways: its rate, then a refined one of each.
    let lr = |e: &Value, m: &str| e["methods"][m]["lr"].as_f64().unwrap();
    assert_eq!(lr(&followed, "consensus"), lr(&fixed, "consensus"));
    assert_ne!(
        lr(&followed, "consensus+refine"),
        lr(&fixed, "consensus+refine")
    );
}
