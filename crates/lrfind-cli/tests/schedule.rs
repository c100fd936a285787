//! `lrfind schedule` end to end: PyTorch's sequences from the fixtures' own flags.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use std::path::PathBuf;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../lrfind/tests/data")
}

fn lrfind() -> Command {
    Command::cargo_bin("lrfind").unwrap()
}

fn close(case: &str, got: &[Value], want: &[Value]) {
    assert_eq!(got.len(), want.len(), "{case}");
    for (t, (g, w)) in got.iter().zip(want).enumerate() {
        let (g, w) = (g.as_f64().unwrap(), w.as_f64().unwrap());
        assert!(
            (g - w).abs() <= 1e-12 * w.abs(),
            "{case}[{t}]: {g:e} vs PyTorch {w:e}"
        );
    }
}

#[test]
fn every_fixture_matches_pytorch_through_the_cli() {
    let cases: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../lrfind-schedule/tests/data/schedules.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let mut cmd = lrfind();
        cmd.arg("schedule");
        cmd.args(
            case["cli"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap()),
        );
        cmd.args([
            "--lr",
            &case["lr"].to_string(),
            "--steps",
            &case["steps"].to_string(),
            "--format",
            "json",
        ]);
        if let Some(metrics) = case["metrics"].as_array() {
            let path = dir.path().join(format!("{name}.txt"));
            let text: Vec<String> = metrics.iter().map(|m| m.to_string()).collect();
            std::fs::write(&path, text.join("\n")).unwrap();
            cmd.arg("--metrics").arg(&path);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        close(
            name,
            v["lr"].as_array().unwrap(),
            case["expected_lr"].as_array().unwrap(),
        );
        if let Some(m) = case["expected_momentum"].as_array() {
            close(name, v["momentum"].as_array().unwrap(), m);
        }
    }
}

#[test]
fn csv_has_a_header_and_one_row_per_step() {
    lrfind()
        .args(["schedule", "one-cycle", "--max-lr", "0.1", "--steps", "10"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "step,lr,momentum\n0,4.0000000000000036e-3,9.5e-1\n",
        ))
        .stdout(predicate::function(|s: &str| s.lines().count() == 11));
}

#[test]
fn from_a_finder_json_fills_the_rates() {
    let curve = fixtures().join("suggest/digits_mlp_adam_s0/curve.csv");
    let out = lrfind()
        .args(["analyze", "--format", "json"])
        .arg(&curve)
        .output()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let finder = dir.path().join("finder.json");
    std::fs::write(&finder, &out.stdout).unwrap();
    let analysis: Value = serde_json::from_slice(&out.stdout).unwrap();
    let cyc = lrfind()
        .args([
            "schedule",
            "cyclic",
            "--steps",
            "40",
            "--step-size-up",
            "10",
            "--format",
            "json",
            "--from",
        ])
        .arg(&finder)
        .output()
        .unwrap();
    assert!(
        cyc.status.success(),
        "{}",
        String::from_utf8_lossy(&cyc.stderr)
    );
    assert!(String::from_utf8_lossy(&cyc.stderr).contains("from the bounds"));
    let lrs: Value = serde_json::from_slice(&cyc.stdout).unwrap();
    let (lo, hi) = (
        analysis["suggestions"]["bounds"]["base_lr"]
            .as_f64()
            .unwrap(),
        analysis["suggestions"]["bounds"]["max_lr"]
            .as_f64()
            .unwrap(),
    );
    assert_eq!(lrs["lr"][0].as_f64().unwrap(), lo);
    assert!((lrs["lr"][10].as_f64().unwrap() - hi).abs() < 1e-12 * hi);
    let oc = lrfind()
        .args([
            "schedule",
            "one-cycle",
            "--steps",
            "20",
            "--format",
            "json",
            "--from",
        ])
        .arg(&finder)
        .output()
        .unwrap();
    assert!(oc.status.success());
    let v: Value = serde_json::from_slice(&oc.stdout).unwrap();
    let peak = v["lr"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .fold(0.0, f64::max);
    // The recommended method's suggestion becomes max_lr.
    let recommended = analysis["suggestions"]["consensus"]["lr"].as_f64().unwrap();
    assert!(
        (peak - recommended).abs() < 1e-12 * recommended,
        "peak {peak} vs consensus {recommended}"
    );
}

#[test]
fn plot_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("s.svg");
    lrfind()
        .args([
            "schedule",
            "cyclic",
            "--base-lr",
            "0.001",
            "--max-lr",
            "0.1",
            "--step-size-up",
            "5",
            "--steps",
            "30",
            "--plot",
        ])
        .arg(&svg)
        .assert()
        .success();
    assert!(std::fs::read_to_string(&svg).unwrap().contains("momentum"));
}

#[test]
fn bad_flags_are_clear_errors_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("m.txt");
    std::fs::write(&bad, "1.0\n0.9\nlots\n").unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["step", "--lr", "0.1", "--steps", "5"],
            "required arguments were not provided:\n  --step-size <STEP_SIZE>",
        ),
        (
            vec![
                "step",
                "--lr",
                "0.1",
                "--steps",
                "5",
                "--step-size",
                "2",
                "--t-max",
                "3",
            ],
            "unexpected argument '--t-max' found",
        ),
        (vec!["cosine", "--steps", "5", "--t-max", "3"], "needs --lr"),
        (
            vec![
                "one-cycle",
                "--max-lr",
                "0.1",
                "--steps",
                "5",
                "--pct-start",
                "1.5",
            ],
            "pct_start",
        ),
        (
            vec![
                "one-cycle",
                "--max-lr",
                "0.1",
                "--steps",
                "12",
                "--total-steps",
                "10",
            ],
            "past its total_steps",
        ),
        (
            vec!["step", "--lr", "0.1", "--steps", "5", "--step-size", "0"],
            "step_size",
        ),
        (
            vec!["plateau", "--lr", "0.1", "--steps", "5"],
            "needs --metrics",
        ),
        (
            vec![
                "plateau",
                "--lr",
                "0.1",
                "--steps",
                "3",
                "--metrics",
                "/no/such/file",
            ],
            "/no/such/file",
        ),
        (
            vec![
                "plateau",
                "--lr",
                "0.1",
                "--steps",
                "3",
                "--metrics",
                bad.to_str().unwrap(),
            ],
            "line 3: 'lots' is not a number",
        ),
        (
            vec![
                "cyclic", "--lr", "0.1", "--steps", "5", "--max-lr", "1", "--mode", "zigzag",
            ],
            "triangular",
        ),
        (vec!["constant", "--lr", "-1", "--steps", "5"], "lr"),
    ];
    for (args, msg) in cases {
        lrfind()
            .arg("schedule")
            .args(&args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(msg).and(predicate::str::contains("panicked").not()));
    }
}

/// `--from` takes the rate the file recommends (not its default rule's), refuses a file that
/// recommends none with its reason, and takes no bounds from a curve that never fell.
#[test]
fn from_takes_the_recommended_rate_and_refuses_none() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lr_find.json");
    let run = |doc: Value, kind: &str| {
        std::fs::write(&file, doc.to_string()).unwrap();
        lrfind()
            .args(["schedule", kind, "--steps", "3", "--format", "json"])
            .args(["--step-size-up", "2"].iter().filter(|_| kind == "cyclic"))
            .arg("--from")
            .arg(&file)
            .output()
            .unwrap()
    };
    let doc = |recommended: Value, reading: Value| {
        let point =
            |lr: f64| serde_json::json!({"lr": lr, "index": 1, "loss": 1.0, "source_index": 1});
        serde_json::json!({
            "points": 3, "stopped": "completed", "skip_start": 0, "skip_end": 0,
            "suggestions": {
                "valley": point(0.003), "consensus": point(0.01),
                "bounds": {"base_lr": 0.001, "max_lr": 0.1, "base_index": 0, "max_index": 2}
            },
            "curve": {"lr": [0.001, 0.01, 0.1], "loss": [1.0, 0.5, 2.0]},
            "default_method": "consensus",
            "reading": reading,
            "recommended": recommended,
        })
    };
    let descent = || serde_json::json!({"kind": "descent", "from": 0, "lowest": 1});
    let valley = run(
        doc(
            serde_json::json!({"method": "valley", "lr": 0.003}),
            descent(),
        ),
        "constant",
    );
    assert!(
        valley.status.success(),
        "{}",
        String::from_utf8_lossy(&valley.stderr)
    );
    let lrs: Value = serde_json::from_slice(&valley.stdout).unwrap();
    assert_eq!(lrs["lr"][0].as_f64(), Some(0.003));
    let none = run(
        doc(
            serde_json::json!({"method": null, "reason": "the range test was interrupted"}),
            descent(),
        ),
        "one-cycle",
    );
    assert_eq!(none.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&none.stderr)
        .contains("recommends no rate (the range test was interrupted)"));
    let flat = run(
        doc(
            serde_json::json!({"method": "valley", "lr": 0.003}),
            serde_json::json!({"kind": "flat", "rise": 2}),
        ),
        "cyclic",
    );
    assert_eq!(flat.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&flat.stderr).contains("bounds"));
}
