//! What a newcomer hits in the first hour: short runs, careless flags, lrfind's own files fed
//! back in, outputs that cannot be written — each a clean result or a clean error, never a panic.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn lrfind() -> Command {
    Command::cargo_bin("lrfind").unwrap()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A `n`-point curve that falls then rises, written as CSV.
fn short_curve(dir: &Path, n: usize) -> PathBuf {
    let path = dir.join(format!("c{n}.csv"));
    let mut text = String::from("lr,loss\n");
    for i in 0..n {
        let x = i as f64 / (n - 1) as f64;
        text += &format!("{},{}\n", 1e-5 * 1e4f64.powf(x), 2.0 - x + 2.0 * x * x * x);
    }
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs `lrfind find ARGS --out DIR`, checks it succeeded, and returns its stdout and
/// `lr_find.json`.
fn find(dir: &Path, args: &[&str]) -> (String, Value) {
    let out = lrfind()
        .arg("find")
        .args(args)
        .arg("--out")
        .arg(dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "find {args:?}: {stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    (stdout, read_json(&dir.join("lr_find.json")))
}

/// Asserts a command ended with exit code 0 or 2 and never panicked.
fn clean(out: &std::process::Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        matches!(out.status.code(), Some(0 | 2)),
        "{:?}: {stderr}",
        out.status
    );
}

#[test]
fn find_with_very_few_iterations_does_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    for n in ["2", "7", "8", "9"] {
        find(&dir.path().join(n), &["--num-iter", n]);
        assert!(dir.path().join(n).join("lr_find.png").exists());
    }
}

#[test]
fn analyze_plots_short_curves_and_wide_windows() {
    let dir = tempfile::tempdir().unwrap();
    for (n, window) in [(7, "5"), (8, "5"), (9, "5"), (12, "50"), (3, "1")] {
        let curve = short_curve(dir.path(), n);
        let plot = dir.path().join(format!("p{n}.png"));
        let out = lrfind()
            .arg("analyze")
            .arg(&curve)
            .args(["--sma-window", window, "--plot"])
            .arg(&plot)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{n} points: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(std::fs::read(&plot).unwrap().starts_with(b"\x89PNG"));
    }
}

#[test]
fn analyze_reads_finds_json_and_its_own_json() {
    let dir = tempfile::tempdir().unwrap();
    lrfind()
        .args(["find", "--num-iter", "60", "--out"])
        .arg(dir.path())
        .assert()
        .success();
    let found = read_json(&dir.path().join("lr_find.json"));
    // `analyze --format json FILE`: its stdout, after checking it succeeded.
    let analyze = |file: &Path| {
        let out = lrfind()
            .arg("analyze")
            .arg(file)
            .args(["--format", "json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let analyzed = analyze(&dir.path().join("lr_find.json"));
    let again: Value = serde_json::from_slice(&analyzed).unwrap();
    assert_eq!(again["suggestions"], found["suggestions"]);
    let own = dir.path().join("analysis.json");
    std::fs::write(&own, &analyzed).unwrap();
    let third: Value = serde_json::from_slice(&analyze(&own)).unwrap();
    assert_eq!(third["suggestions"], found["suggestions"]);
}

#[test]
fn negative_looking_values_reach_the_check_that_names_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    for flag in ["--start-lr", "--end-lr"] {
        lrfind()
            .args(["find", flag, "-1e-5", "--out"])
            .arg(dir.path())
            .assert()
            .code(2)
            .stderr(predicate::str::contains(flag).and(predicate::str::contains("_lr").not()));
    }
    lrfind()
        .args(["find", "--beta", "-0.5", "--out"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--beta must be"));
}

/// Numbers that are not numbers, out of range, or for a setting the optimizer does not take are
/// exit 2 naming the flag, before any training, for every command that takes them.
#[test]
fn settings_out_of_range_or_not_taken_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let curve = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../lrfind/tests/data/suggest/digits_mlp_adam_s0/curve.csv");
    let curve = curve.to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &["--optimizer", "sgd", "--momentum=nan"],
            "--momentum must lie in [0, 1), got NaN",
        ),
        (
            &["--optimizer", "sgd", "--momentum", "2"],
            "--momentum must lie in [0, 1), got 2",
        ),
        (
            &["--optimizer", "sgd", "--momentum=-0.1"],
            "--momentum must lie in [0, 1)",
        ),
        (
            &["--weight-decay=nan"],
            "--weight-decay must be finite and at least 0, got NaN",
        ),
        (
            &["--weight-decay=inf"],
            "--weight-decay must be finite and at least 0, got inf",
        ),
        (
            &["--weight-decay=-1"],
            "--weight-decay must be finite and at least 0",
        ),
        (
            &["--optimizer", "adagrad", "--momentum", "0.9"],
            "--optimizer adagrad does not take --momentum",
        ),
        (
            &["--momentum", "0.9"],
            "--optimizer adamw does not take --momentum",
        ),
        (
            &["--slide-thresh=-1"],
            "--slide-thresh must be a finite number ≥ 0, got -1",
        ),
        (
            &["--slide-thresh=nan"],
            "--slide-thresh must be a finite number ≥ 0, got NaN",
        ),
        (
            &["--slide-lr-diff", "0"],
            "--slide-lr-diff must be at least 1",
        ),
        (
            &["--start-lr", "1e308"],
            "greater than --start-lr (1e308), got 1e1",
        ),
    ];
    for (flags, message) in cases {
        for command in ["find", "train", "evaluate"] {
            let started = std::time::Instant::now();
            let out = lrfind()
                .arg(command)
                .args(*flags)
                .arg("--out")
                .arg(dir.path().join("out"))
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{command} {flags:?}: {stderr}");
            assert!(stderr.contains(message), "{command} {flags:?}: {stderr}");
            assert!(
                started.elapsed().as_secs() < 5,
                "{command} {flags:?} trained first"
            );
        }
    }
    for flags in [&["--slide-thresh=-1"][..], &["--slide-lr-diff", "0"]] {
        let out = lrfind()
            .arg("analyze")
            .arg(curve)
            .args(flags)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "analyze {flags:?}");
    }
}

/// A model that cannot fit is exit 2 with the estimate before any tensor is allocated, not an
/// abort.
#[test]
fn a_model_too_large_for_memory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("long.txt");
    let words = "to be or not to be that is the question ";
    std::fs::write(&text, words.repeat(1_100_000 / words.len() + 1)).unwrap();
    let cases: [&[&str]; 2] = [
        &["find", "--hidden", "1000000,1000000"],
        &[
            "find",
            "--dataset",
            "text",
            "--limit",
            "50",
            "--seq-len",
            "100000",
            "--text",
            text.to_str().unwrap(),
        ],
    ];
    for args in cases {
        let out = lrfind()
            .args(args)
            .arg("--out")
            .arg(dir.path().join("o"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("GiB (an estimate"), "{args:?}: {stderr}");
    }
}

/// A ramp or a grid whose ends' ratio overflows is computed in log space: every lr is finite, and
/// the files read back.
#[test]
fn ranges_whose_ratio_overflows_stay_finite() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("wide");
    lrfind()
        .args([
            "find",
            "--start-lr",
            "1e-200",
            "--end-lr",
            "1e200",
            "--num-iter",
            "20",
        ])
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("lr_find.json")).unwrap()).unwrap();
    let lrs = doc["curve"]["lr"].as_array().unwrap();
    assert!(
        lrs.iter().all(|x| x.as_f64().is_some_and(f64::is_finite)),
        "{lrs:?}"
    );
    lrfind()
        .arg("analyze")
        .arg(out.join("lr_find.csv"))
        .assert()
        .success();
    let ev = dir.path().join("ev");
    let grid = lrfind()
        .args([
            "evaluate",
            "--grid-start",
            "1e-300",
            "--grid-end",
            "1e300",
            "--grid-points",
            "3",
        ])
        .args(["--seeds", "1", "--epochs", "1", "--format", "json", "--out"])
        .arg(&ev)
        .output()
        .unwrap();
    assert!(
        grid.status.success(),
        "{}",
        String::from_utf8_lossy(&grid.stderr)
    );
    let text = String::from_utf8_lossy(&grid.stdout);
    assert!(!text.contains("NaN"), "{text}");
    // A grid ending next to f64::MAX: its plot's padded axis stays finite (it hung before).
    let top = lrfind()
        .args(["evaluate", "--grid-end", "1e308", "--grid-points", "2"])
        .args(["--seeds", "1", "--epochs", "1", "--num-iter", "12", "--out"])
        .arg(dir.path().join("top"))
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert!(
        top.status.success(),
        "{}",
        String::from_utf8_lossy(&top.stderr)
    );
    let doc: Value = serde_json::from_str(&text).unwrap();
    let grid = doc["grid"].as_array().unwrap();
    assert!(
        grid.iter()
            .all(|g| g["lr"].as_f64().is_some_and(f64::is_finite)),
        "{grid:?}"
    );
    assert!(doc["best"]["val_loss"].as_f64().is_some_and(f64::is_finite));
}

#[test]
fn help_lists_what_each_flag_accepts() {
    let find = lrfind().args(["find", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&find.stdout);
    for optimizer in ["adamw", "adam", "sgd", "rmsprop", "adagrad"] {
        assert!(help.contains(&format!("- {optimizer}:")), "{help}");
    }
    assert!(help.contains("consensus"), "{help}");
    let eval = lrfind().args(["evaluate", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&eval.stdout);
    for kind in ["constant", "one-cycle", "cosine"] {
        assert!(help.contains(&format!("- {kind}:")), "{help}");
    }
    assert!(!help.contains("cosine-restarts"), "{help}");
    // train and schedule take the flags of the schedule kind they name, and keep their own text.
    let train = lrfind()
        .args(["train", "--schedule", "cosine", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&train.stdout);
    assert!(help.starts_with("Train with the found rate"), "{help}");
    assert!(
        help.contains("--t-max") && help.contains("--refind-every"),
        "{help}"
    );
    let schedule = lrfind()
        .args(["schedule", "one-cycle", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&schedule.stdout);
    assert!(
        help.starts_with("Print or plot a learning-rate schedule"),
        "{help}"
    );
    assert!(
        help.contains("--pct-start") && !help.contains("--t-max"),
        "{help}"
    );
    lrfind()
        .args(["evaluate", "--schedule", "step"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid value 'step'"));
}

#[test]
fn the_recommended_rule_is_one_that_ran() {
    let dir = tempfile::tempdir().unwrap();
    let (stdout, v) = find(dir.path(), &["--methods", "valley"]);
    assert!(
        stdout.contains("(valley)") && !stdout.contains("consensus"),
        "{stdout}"
    );
    assert_eq!(v["recommended"]["method"], "valley");
    assert_eq!(v["recommended"]["lr"], v["suggestions"]["valley"]["lr"]);
}

#[test]
fn a_sweep_without_a_descent_recommends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // 1e-7 … 1e-6 is far too small for the loss to move.
    let (stdout, v) = find(dir.path(), &["--end-lr", "1e-6", "--num-iter", "30"]);
    assert!(
        stdout.contains("no recommendation") && !stdout.contains("* recommended"),
        "{stdout}"
    );
    assert!(stdout.contains("widen the range"), "{stdout}");
    assert_eq!(v["recommended"]["method"], Value::Null);
    assert!(v["recommended"]["reason"]
        .as_str()
        .unwrap()
        .contains("never fell"));
}

#[test]
fn a_plot_that_cannot_be_written_says_why_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    std::fs::write(&file, "x").unwrap();
    let curve = short_curve(dir.path(), 30);
    lrfind()
        .arg("analyze")
        .arg(&curve)
        .arg("--plot")
        .arg(file.join("p.png"))
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("is not an existing folder")
                .and(predicate::str::contains("backend").not()),
        );
    lrfind()
        .arg("analyze")
        .arg(&curve)
        .args(["--plot", "p.gif"])
        .assert()
        .code(2);
}

#[test]
fn bad_input_leaves_no_output_folder_behind() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("t.csv");
    std::fs::write(&csv, "a,b,y\n1,2,3\n1,x\n").unwrap();
    let out = dir.path().join("out");
    lrfind()
        .args(["find", "--dataset", "csv", "--target", "y", "--csv"])
        .arg(&csv)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2);
    assert!(!out.exists(), "an empty output folder was left behind");
    let file = dir.path().join("file");
    std::fs::write(&file, "x").unwrap();
    lrfind()
        .args(["find", "--out"])
        .arg(file.join("out"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not a folder"));
}

/// An output folder that cannot be created or written is bad input before any training: `find`,
/// `train` and `evaluate` exit 2 naming it, with no training output, and write nothing elsewhere.
#[test]
fn an_unwritable_out_is_refused_before_the_work() {
    for out in ["/proc/lrfind-no/out", "/sys/lrfind-no"] {
        for command in [
            &["find"][..],
            &["train", "--epochs", "1"],
            &["evaluate", "--seeds", "1", "--epochs", "1"],
        ] {
            let started = std::time::Instant::now();
            let output = lrfind()
                .args(command)
                .args(["--out", out])
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(2), "{command:?} {out}: {stderr}");
            assert!(
                stderr.contains(&format!("cannot create the output folder {out}")),
                "{command:?}: {stderr}"
            );
            assert!(output.stdout.is_empty(), "{command:?} printed results");
            assert!(started.elapsed().as_secs() < 5, "{command:?} trained first");
        }
    }
}

/// A small deterministic generator for the combinations below (no extra dependency).
fn pick(state: &mut u64, n: usize) -> usize {
    *state = state
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    ((*state >> 33) % n as u64) as usize
}

#[test]
fn analyze_option_combinations_end_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let methods = [
        "all",
        "valley",
        "minimum,bounds",
        "slide",
        "consensus,sma",
        "bounds",
        "steep,gradient",
    ];
    let mut state = 7;
    for case in 0..40 {
        let n = 2 + pick(&mut state, 30);
        let curve = short_curve(dir.path(), n);
        let mut cmd = lrfind();
        cmd.arg("analyze").arg(&curve);
        cmd.args(["--methods", methods[pick(&mut state, methods.len())]]);
        cmd.args(["--sma-window", &(pick(&mut state, 60)).to_string()]);
        if pick(&mut state, 2) == 0 {
            cmd.args(["--skip-start", &pick(&mut state, 12).to_string()]);
            cmd.args(["--skip-end", &pick(&mut state, 8).to_string()]);
        }
        if pick(&mut state, 2) == 0 {
            cmd.args(["--smoothing", "ema", "--stop-div", "4"]);
        }
        if pick(&mut state, 2) == 0 {
            cmd.args(["--format", "json"]);
        }
        cmd.arg("--plot")
            .arg(dir.path().join(format!("p{case}.svg")));
        clean(&cmd.output().unwrap());
    }
}

#[test]
fn find_option_combinations_end_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut state = 11;
    for case in 0..8 {
        let mut cmd = lrfind();
        cmd.args([
            "find",
            "--num-iter",
            &(2 + pick(&mut state, 40)).to_string(),
        ]);
        cmd.args([
            "--methods",
            ["all", "valley", "bounds", "minimum,slide"][pick(&mut state, 4)],
        ]);
        cmd.args(["--ramp", ["exp", "linear"][pick(&mut state, 2)]]);
        cmd.args(["--smoothing", ["ema", "none"][pick(&mut state, 2)]]);
        cmd.args(["--stop-div", ["4", "none", "1.5"][pick(&mut state, 3)]]);
        cmd.args(["--sma-window", &(1 + pick(&mut state, 50)).to_string()]);
        cmd.args([
            "--optimizer",
            ["adamw", "sgd", "adagrad"][pick(&mut state, 3)],
        ]);
        if pick(&mut state, 2) == 0 {
            cmd.args(["--skip-start", &pick(&mut state, 10).to_string()]);
        }
        cmd.arg("--out").arg(dir.path().join(case.to_string()));
        clean(&cmd.output().unwrap());
    }
}

/// Two runs cannot share one `--out`: while one writes there, another is refused naming it; a
/// lock left by a killed run is taken over, and a finished run leaves none.
#[cfg(unix)]
#[test]
fn one_run_at_a_time_writes_in_an_out_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("shared");
    let mut first = std::process::Command::new(assert_cmd::cargo::cargo_bin("lrfind"))
        .args(["train", "--epochs", "200", "--lr", "1e-3", "--out"])
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let lock = out.join(".lrfind.lock");
    let started = std::time::Instant::now();
    while !lock.exists() && started.elapsed().as_secs() < 20 {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let second = lrfind().args(["find", "--out"]).arg(&out).output().unwrap();
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "another lrfind (process {}) is writing in --out",
            first.id()
        )),
        "{stderr}"
    );
    first.kill().unwrap();
    first.wait().unwrap();
    assert!(lock.exists(), "a killed run leaves its lock");
    lrfind()
        .args(["find", "--out"])
        .arg(&out)
        .assert()
        .success();
    assert!(!lock.exists(), "a finished run removes its lock");
}
