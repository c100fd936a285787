//! `lrfind analyze` end to end: real files in, JSON/table/plots out, bad input refused.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../lrfind/tests/data/suggest")
        .join(name)
        .join("curve.csv")
}

fn lrfind() -> Command {
    Command::cargo_bin("lrfind").unwrap()
}

fn analyze_json(args: &[&str]) -> Value {
    let out = lrfind()
        .arg("analyze")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn json_schema_is_stable() {
    let f = fixture("digits_mlp_adam_s0");
    let v = analyze_json(&[f.to_str().unwrap()]);
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "schema",
            "points",
            "stopped",
            "skip_start",
            "skip_end",
            "suggestions",
            "curve"
        ]
    );
    assert_eq!(v["points"], 86);
    assert_eq!(v["stopped"], "completed");
    assert_eq!(
        (v["skip_start"].as_u64(), v["skip_end"].as_u64()),
        (Some(8), Some(5))
    );
    let s = v["suggestions"].as_object().unwrap();
    let names: Vec<&str> = s.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "valley",
            "slide",
            "minimum",
            "steep",
            "gradient",
            "sma",
            "lightning",
            "descent",
            "consensus",
            "bounds"
        ]
    );
    for m in [
        "valley",
        "slide",
        "minimum",
        "steep",
        "gradient",
        "sma",
        "lightning",
        "descent",
        "consensus",
    ] {
        let keys: Vec<&str> = s[m]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["lr", "index", "loss", "source_index"], "{m}");
        let i = s[m]["index"].as_u64().unwrap() as usize;
        if s[m]["lr"] == v["curve"]["lr"][i] {
            assert_eq!(
                s[m]["loss"], v["curve"]["loss"][i],
                "{m}: loss is the curve's at index"
            );
        }
    }
    // minimum reads the lowest point and suggests a tenth of its lr: index and loss are those of
    // the suggested rate, source_index is the lowest point.
    let (lr, low) = (
        &v["curve"]["lr"],
        s["minimum"]["source_index"].as_u64().unwrap() as usize,
    );
    let i = s["minimum"]["index"].as_u64().unwrap() as usize;
    let ratio = lr[low].as_f64().unwrap() / lr[i].as_f64().unwrap();
    assert!(
        (5.0..20.0).contains(&ratio),
        "index {i} is not near a tenth of the lowest point's lr"
    );
    assert!(s["bounds"]["base_lr"].as_f64().unwrap() < s["bounds"]["max_lr"].as_f64().unwrap());
    assert_eq!(v["curve"]["lr"].as_array().unwrap().len(), 86);
}

#[test]
fn whole_curve_matches_the_fastai_fixture() {
    let f = fixture("synth_n100_noise0.05");
    let v = analyze_json(&[f.to_str().unwrap(), "--skip-start", "0", "--skip-end", "0"]);
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(f.with_file_name("expected.json")).unwrap())
            .unwrap();
    for m in ["valley", "slide", "minimum", "steep", "gradient"] {
        let (got, want) = (
            v["suggestions"][m]["lr"].as_f64().unwrap(),
            expected[m].as_f64().unwrap(),
        );
        assert!(((got - want) / want).abs() < 1e-6, "{m}: {got} vs {want}");
    }
}

#[test]
fn table_marks_methods_and_plot_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("curve.png");
    lrfind()
        .args([
            "analyze",
            fixture("digits_mlp_sgd_s0").to_str().unwrap(),
            "--methods",
            "valley,minimum",
            "--plot",
        ])
        .arg(&png)
        .assert()
        .success()
        .stdout(predicate::str::contains("valley").and(predicate::str::contains("minimum")))
        .stdout(predicate::str::contains("steep").not());
    assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG"));
}

#[test]
fn stdin_json_with_nan_is_cut_and_says_so() {
    let json = r#"{"lr": [1e-5, 1e-4, 1e-3, 1e-2, 1e-1], "loss": [2.0, 1.5, 1.0, null, 3.0]}"#;
    let out = lrfind()
        .args(["analyze", "-", "--format", "json"])
        .write_stdin(json)
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["points"].as_u64(), v["stopped"].as_str()),
        (Some(3), Some("non_finite"))
    );
}

#[test]
fn replay_with_ema_and_stop_div() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("raw.csv");
    let mut text = String::from("lr,loss\n");
    for i in 0..60 {
        let lr = 1e-6 * 10f64.powf(i as f64 / 10.0);
        let loss = if i < 40 {
            2.0 - i as f64 * 0.03
        } else {
            0.8 + (i - 40) as f64 * 1.5
        };
        text += &format!("{lr},{loss}\n");
    }
    std::fs::write(&f, text).unwrap();
    let v = analyze_json(&[f.to_str().unwrap(), "--smoothing", "ema", "--stop-div", "4"]);
    assert_eq!(v["stopped"], "diverged");
    assert!(v["points"].as_u64().unwrap() < 60);
}

fn assert_bad_input(args: &[&str], stdin: Option<&str>, message: &str) {
    let mut cmd = lrfind();
    cmd.arg("analyze").args(args);
    if let Some(s) = stdin {
        cmd.write_stdin(s);
    }
    cmd.assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains(message).and(predicate::str::contains("panicked").not()));
}

#[test]
fn bad_input_is_a_one_line_error_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    assert_bad_input(&["/no/such/curve.csv"], None, "/no/such/curve.csv");
    assert_bad_input(
        &[&write("a.csv", "rate,loss\n1,2\n2,1\n")],
        None,
        "no 'lr' column",
    );
    assert_bad_input(
        &[&write("b.csv", "lr,cost\n1,2\n2,1\n")],
        None,
        "no 'loss' column",
    );
    assert_bad_input(
        &[&write("c.csv", "lr,loss\n1,2\n2,x1\n")],
        None,
        "line 3: column 'loss' is not a number: 'x1'",
    );
    assert_bad_input(
        &[&write("d.csv", "lr,loss\n1,2\n")],
        None,
        "at least 2 points",
    );
    // Cut at its first non-finite loss, a 3-point curve keeps 1 point: an error too.
    assert_bad_input(
        &[&write("d3.csv", "lr,loss\n1,2\n2,inf\n3,1\n")],
        None,
        "only its first point has a finite loss",
    );
    assert_bad_input(
        &[&write("e.csv", "lr,loss\n0,2\n1,1\n")],
        None,
        "line 2: lr must be a finite number > 0",
    );
    assert_bad_input(
        &[&write("f.csv", "lr,loss\n1,2\n0.5,1\n")],
        None,
        "line 3: lr 0.5 is not greater",
    );
    assert_bad_input(
        &["-"],
        Some("{\"lr\": [1, 2], \"loss\": [1]}"),
        "'lr' has 2 values but 'loss' has 1",
    );
    let ok = write("g.csv", "lr,loss\n1,2\n2,1\n3,1.5\n");
    assert_bad_input(
        &[&ok, "--plot", "/no/such/dir/p.png"],
        None,
        "/no/such/dir/p.png",
    );
    assert_bad_input(
        &[&ok, "--plot", &dir.path().join("p.gif").to_string_lossy()],
        None,
        ".png or .svg",
    );
    assert_bad_input(
        &[&ok, "--skip-start", "2", "--skip-end", "1"],
        None,
        "leaves nothing",
    );
    assert_bad_input(
        &[&ok, "--methods", "valley,bogus"],
        None,
        "unknown method 'bogus'",
    );
    assert_bad_input(
        &[&ok, "--smoothing", "ema", "--beta", "1.5"],
        None,
        "--beta must be in [0, 1)",
    );
    assert_bad_input(&[&ok, "--stop-div", "0.5"], None, "--stop-div must be");
}

/// lrfind's own JSON keeps the stop reason it records (a curve read as recorded ended so too).
#[test]
fn lrfinds_own_file_keeps_its_stop_reason() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lr_find.json");
    let lr: Vec<f64> = (0..30).map(|i| 1e-5 * 1.5f64.powi(i)).collect();
    let loss: Vec<f64> = (0..30)
        .map(|i| 2.0 - 0.03 * i as f64 + 0.002 * (i * i) as f64)
        .collect();
    for stopped in ["diverged", "interrupted"] {
        let doc = serde_json::json!({"stopped": stopped, "curve": {"lr": lr, "loss": loss}});
        std::fs::write(&file, doc.to_string()).unwrap();
        let out = lrfind().arg("analyze").arg(&file).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let table = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            table.starts_with(&format!("30 points ({stopped})")),
            "{table}"
        );
        let json = analyze_json(&[file.to_str().unwrap()]);
        assert_eq!(json["stopped"], stopped);
    }
}

/// fastai skips a tenth of the sweep's configured length (`num_it // 10`), not of the points the
/// curve reached: on a recording that diverged at point 86 of 100, `--num-iter 100` gives fastai's
/// own `lr_find` answers, and lrfind's JSON carries its length so no flag is needed.
#[test]
fn fastai_skip_reads_the_configured_sweep_length() {
    let curve = fixture("digits_mlp_adam_s0");
    let v = analyze_json(&[curve.to_str().unwrap(), "--num-iter", "100"]);
    assert_eq!(v["skip_start"], 10);
    for (rule, fastai) in [
        ("valley", 1.7378e-3),
        ("slide", 9.1201e-3),
        ("minimum", 2.0893e-2),
        ("steep", 1.3183e-2),
    ] {
        let lr = v["suggestions"][rule]["lr"].as_f64().unwrap();
        assert!(
            (lr / fastai - 1.0).abs() < 1e-4,
            "{rule}: {lr} against {fastai}"
        );
    }
    let own = analyze_json(&[curve.to_str().unwrap()]);
    assert_eq!(own["skip_start"], 8, "without it: a tenth of the 86 points");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lr_find.json");
    let mut doc: Value = own.clone();
    doc["config"] = serde_json::json!({"range_test": {"num_iter": 100}});
    std::fs::write(&file, doc.to_string()).unwrap();
    assert_eq!(analyze_json(&[file.to_str().unwrap()])["skip_start"], 10);
}
