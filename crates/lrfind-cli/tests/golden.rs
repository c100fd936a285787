//! Golden outputs: the JSON, CSV and text that the commands of the README and docs/cli.md (and one command per
//! schedule kind, dataset and training mode) produce, compared with the files recorded in
//! `tests/golden/`. Outputs computed from flags and recorded inputs alone (schedules, the analysis
//! of a recorded curve) are compared to the bit; outputs of training by their structure, integers
//! and strings exactly and their floats within the tolerances of `support/diff.rs`, because
//! float32 rounding in burn-flex's kernels depends on the CPU (`docs/testing.md`). Wall-clock
//! fields (`timing`) are left out.
//!
//! To re-record after an intended change of output: `LRFIND_BLESS=1 cargo test -p lrfind-cli
//! --test golden` (it rewrites only the files that differ beyond the tolerances), and say in the
//! commit why the numbers moved. `LRFIND_GOLDEN_RUNNER` runs every
//! case through a wrapper command (`LRFIND_GOLDEN_RUNNER=valgrind` takes the kernels' AVX2 path on
//! an AVX-512 machine: valgrind does not report AVX-512).

#[path = "support/diff.rs"]
mod diff;

use diff::Check;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// One command: its arguments, the files it writes that are compared, and whether its stdout is.
struct Case {
    name: &'static str,
    args: &'static [&'static str],
    files: &'static [&'static str],
    stdout: bool,
}

const fn case(
    name: &'static str,
    args: &'static [&'static str],
    files: &'static [&'static str],
    stdout: bool,
) -> Case {
    Case {
        name,
        args,
        files,
        stdout,
    }
}

/// Run in order in one folder: later cases read what earlier ones wrote.
const CASES: &[Case] = &[
    // The README's quick start and its JSON.
    case(
        "find",
        &["find", "--out", "find", "--format", "json"],
        &["find/lr_find.json", "find/lr_find.csv"],
        true,
    ),
    case(
        "find_cnn_fashion_validation_accumulate",
        &[
            "find",
            "--dataset",
            "fashion-mnist",
            "--data-dir",
            "fashion",
            "--model",
            "cnn",
            "--limit",
            "256",
            "--num-iter",
            "12",
            "--val-batches",
            "1",
            "--accumulate",
            "2",
            "--batch-size",
            "32",
            "--out",
            "cnn",
        ],
        &["cnn/lr_find.json", "cnn/lr_find.csv"],
        false,
    ),
    case(
        "find_charlm_text",
        &[
            "find",
            "--dataset",
            "text",
            "--text",
            "hamlet.txt",
            "--limit",
            "64",
            "--seq-len",
            "32",
            "--num-iter",
            "15",
            "--batch-size",
            "16",
            "--out",
            "text",
        ],
        &["text/lr_find.json", "text/lr_find.csv"],
        false,
    ),
    case(
        "find_csv_regression_sgd",
        &[
            "find",
            "--dataset",
            "csv",
            "--csv",
            "tabular.csv",
            "--target",
            "y",
            "--optimizer",
            "sgd",
            "--hidden",
            "32",
            "--ramp",
            "linear",
            "--end-lr",
            "1",
            "--num-iter",
            "60",
            "--smoothing",
            "none",
            "--stop-div",
            "none",
            "--out",
            "csv",
            "--format",
            "json",
        ],
        &["csv/lr_find.json", "csv/lr_find.csv"],
        false,
    ),
    case(
        "find_warmup_methods",
        &[
            "find",
            "--warmup",
            "5",
            "--methods",
            "valley,steep,lightning,bounds",
            "--skip-start",
            "3",
            "--optimizer",
            "rmsprop",
            "--out",
            "warm",
            "--format",
            "json",
        ],
        &["warm/lr_find.json"],
        false,
    ),
    case(
        "analyze_fixture",
        &["analyze", "curve.csv", "--format", "json"],
        &[],
        true,
    ),
    case(
        "analyze_fixture_table",
        &["analyze", "curve.csv"],
        &[],
        true,
    ),
    case(
        "analyze_replay",
        &[
            "analyze",
            "find/lr_find.json",
            "--smoothing",
            "ema",
            "--stop-div",
            "3",
            "--methods",
            "sma,gradient,slide",
            "--sma-window",
            "7",
            "--format",
            "json",
        ],
        &[],
        true,
    ),
    // The README's schedules, and one of every kind.
    case(
        "schedule_one_cycle",
        &[
            "schedule",
            "one-cycle",
            "--max-lr",
            "0.01",
            "--steps",
            "1000",
        ],
        &[],
        true,
    ),
    case(
        "schedule_cyclic_triangular2",
        &[
            "schedule",
            "cyclic",
            "--base-lr",
            "0.001",
            "--max-lr",
            "0.01",
            "--step-size-up",
            "100",
            "--mode",
            "triangular2",
            "--steps",
            "1000",
        ],
        &[],
        true,
    ),
    case(
        "schedule_from_finder",
        &[
            "schedule",
            "one-cycle",
            "--from",
            "find/lr_find.json",
            "--steps",
            "1000",
        ],
        &[],
        true,
    ),
    case(
        "schedule_cyclic_from_finder",
        &[
            "schedule",
            "cyclic",
            "--from",
            "find/lr_find.json",
            "--steps",
            "50",
            "--format",
            "json",
        ],
        &[],
        true,
    ),
    case(
        "schedule_one_cycle_three_phase",
        &[
            "schedule",
            "one-cycle",
            "--lr",
            "0.1",
            "--steps",
            "60",
            "--three-phase",
            "--anneal",
            "linear",
            "--pct-start",
            "0.25",
            "--div-factor",
            "10",
            "--final-div-factor",
            "100",
            "--base-momentum",
            "0.8",
            "--max-momentum",
            "0.9",
            "--total-steps",
            "60",
        ],
        &[],
        true,
    ),
    case(
        "schedule_cyclic_exp_range",
        &[
            "schedule",
            "cyclic",
            "--base-lr",
            "0.001",
            "--max-lr",
            "0.01",
            "--step-size-up",
            "10",
            "--step-size-down",
            "5",
            "--mode",
            "exp_range",
            "--gamma",
            "0.99",
            "--steps",
            "60",
            "--format",
            "json",
        ],
        &[],
        true,
    ),
    case(
        "schedule_constant",
        &["schedule", "constant", "--lr", "0.1", "--steps", "5"],
        &[],
        true,
    ),
    case(
        "schedule_step",
        &[
            "schedule",
            "step",
            "--lr",
            "0.1",
            "--step-size",
            "3",
            "--gamma",
            "0.5",
            "--steps",
            "12",
        ],
        &[],
        true,
    ),
    case(
        "schedule_multistep",
        &[
            "schedule",
            "multistep",
            "--lr",
            "0.1",
            "--milestones",
            "2,5,9",
            "--steps",
            "12",
        ],
        &[],
        true,
    ),
    case(
        "schedule_exponential",
        &[
            "schedule",
            "exponential",
            "--lr",
            "0.1",
            "--gamma",
            "0.9",
            "--steps",
            "12",
        ],
        &[],
        true,
    ),
    case(
        "schedule_linear",
        &[
            "schedule",
            "linear",
            "--lr",
            "0.1",
            "--start-factor",
            "0.1",
            "--end-factor",
            "0.9",
            "--total-iters",
            "6",
            "--steps",
            "10",
        ],
        &[],
        true,
    ),
    case(
        "schedule_polynomial",
        &[
            "schedule",
            "polynomial",
            "--lr",
            "0.1",
            "--total-iters",
            "6",
            "--power",
            "2",
            "--steps",
            "10",
        ],
        &[],
        true,
    ),
    case(
        "schedule_cosine",
        &[
            "schedule",
            "cosine",
            "--lr",
            "0.1",
            "--t-max",
            "7",
            "--eta-min",
            "0.001",
            "--steps",
            "20",
        ],
        &[],
        true,
    ),
    case(
        "schedule_cosine_restarts",
        &[
            "schedule",
            "cosine-restarts",
            "--lr",
            "0.1",
            "--t0",
            "3",
            "--t-mult",
            "2",
            "--steps",
            "25",
        ],
        &[],
        true,
    ),
    case(
        "schedule_plateau",
        &[
            "schedule",
            "plateau",
            "--lr",
            "0.1",
            "--metrics",
            "metrics.txt",
            "--patience",
            "1",
            "--factor",
            "0.5",
            "--threshold",
            "0.01",
            "--threshold-mode",
            "abs",
            "--cooldown",
            "1",
            "--min-lr",
            "0.01",
            "--mode",
            "min",
            "--steps",
            "10",
            "--format",
            "json",
        ],
        &[],
        true,
    ),
    // The README's training run with re-finds.
    case(
        "train_refind_every",
        &[
            "train",
            "--epochs",
            "9",
            "--refind-every",
            "3",
            "--out",
            "train",
        ],
        &[
            "train/history.json",
            "train/history.csv",
            "train/lr_find_0.json",
            "train/lr_find_3.csv",
            "train/lr_find_6.json",
        ],
        true,
    ),
    // Momentum kept fixed: the training of the recording before one-cycle cycled β1.
    case(
        "train_refind_every_fixed_momentum",
        &[
            "train",
            "--epochs",
            "9",
            "--refind-every",
            "3",
            "--no-cycle-momentum",
            "--out",
            "fixed",
        ],
        &["fixed/history.json", "fixed/history.csv"],
        false,
    ),
    case(
        "train_eval_only",
        &["train", "--out", "train", "--eval-only", "--format", "json"],
        &[],
        true,
    ),
    case(
        "train_plateau",
        &[
            "train",
            "--lr",
            "3e-3",
            "--schedule",
            "plateau",
            "--patience",
            "0",
            "--epochs",
            "4",
            "--optimizer",
            "sgd",
            "--out",
            "plateau",
            "--format",
            "json",
        ],
        &["plateau/history.json"],
        true,
    ),
    case(
        "train_cosine_fixed",
        &[
            "train",
            "--lr",
            "2e-3",
            "--schedule",
            "cosine",
            "--epochs",
            "2",
            "--out",
            "cosine",
        ],
        &["cosine/history.json"],
        false,
    ),
    case(
        "train_cyclic_auto_refind_on_plateau_csv",
        &[
            "train",
            "--dataset",
            "csv",
            "--csv",
            "tabular.csv",
            "--target",
            "y",
            "--schedule",
            "cyclic",
            "--step-size-up",
            "20",
            "--mode",
            "triangular2",
            "--epochs",
            "6",
            "--refind-on-plateau",
            "--refind-patience",
            "1",
            "--refind-warmup",
            "3",
            "--method",
            "steep",
            "--out",
            "cyc",
        ],
        &["cyc/history.json", "cyc/history.csv"],
        false,
    ),
    // The README's evaluation, and one with a schedule.
    case(
        "evaluate",
        &["evaluate", "--out", "evaluate"],
        &["evaluate/evaluate.json"],
        true,
    ),
    case(
        "evaluate_one_cycle",
        &[
            "evaluate",
            "--schedule",
            "one-cycle",
            "--seeds",
            "1",
            "--epochs",
            "2",
            "--grid-points",
            "5",
            "--grid-start",
            "1e-4",
            "--optimizer",
            "adam",
            "--out",
            "ev1",
            "--format",
            "json",
        ],
        &["ev1/evaluate.json"],
        false,
    ),
];

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The inputs the cases read, copied into their working folder.
fn set_up(dir: &Path) {
    let data = manifest().join("tests/data");
    let fashion = dir.join("fashion");
    std::fs::create_dir_all(&fashion).unwrap();
    for entry in std::fs::read_dir(data.join("fashion-mnist-sample")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), fashion.join(entry.file_name())).unwrap();
    }
    std::fs::copy(data.join("hamlet-sample.txt"), dir.join("hamlet.txt")).unwrap();
    let golden = manifest().join("tests/golden");
    std::fs::copy(golden.join("tabular.csv"), dir.join("tabular.csv")).unwrap();
    std::fs::copy(
        manifest().join("../lrfind/tests/data/suggest/digits_mlp_adam_s0/curve.csv"),
        dir.join("curve.csv"),
    )
    .unwrap();
    let metrics = "1.0\n0.9\n0.95\n0.96\n0.97\n0.5\n0.51\n0.52\n0.53\n0.54\n";
    std::fs::write(dir.join("metrics.txt"), metrics).unwrap();
}

/// What is compared of an output: JSON without its wall-clock `timing`, anything else as is.
fn comparable(name: &str, bytes: &[u8]) -> String {
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    if !name.ends_with(".json") {
        return text;
    }
    let mut v: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name} is not JSON ({e}):\n{text}"));
    if let Some(o) = v.as_object_mut() {
        o.remove("timing");
    }
    serde_json::to_string_pretty(&v).unwrap() + "\n"
}

/// Outputs computed from flags and recorded inputs alone are compared to the bit; the rest come
/// from training (or read a file that training wrote).
fn check(case: &Case) -> Check {
    let from_training = match case.args[0] {
        "schedule" => case.args.contains(&"--from"),
        "analyze" => case.args[1] != "curve.csv",
        _ => true,
    };
    if from_training {
        Check::Trained
    } else {
        Check::Bits
    }
}

/// The command for one run of `lrfind`, through `LRFIND_GOLDEN_RUNNER` when it is set.
fn lrfind(dir: &Path) -> std::process::Command {
    let bin = assert_cmd::cargo::cargo_bin("lrfind");
    let mut cmd = match std::env::var("LRFIND_GOLDEN_RUNNER") {
        Ok(runner) if !runner.trim().is_empty() => {
            let mut words = runner.split_whitespace();
            let mut cmd = std::process::Command::new(words.next().unwrap());
            cmd.args(words).arg(bin);
            cmd
        }
        _ => std::process::Command::new(bin),
    };
    cmd.current_dir(dir);
    cmd
}

/// Runs `args` in `dir` and returns the outputs that `case` compares: (file name, text).
fn outputs(case: &Case, args: &[&str], dir: &Path) -> Vec<(String, String)> {
    let out = lrfind(dir).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}: {:?} failed:\n{}",
        case.name,
        args,
        String::from_utf8_lossy(&out.stderr)
    );
    let mut outputs: Vec<(String, String)> = case
        .files
        .iter()
        .map(|f| {
            let bytes = std::fs::read(dir.join(f)).unwrap();
            (f.replace('/', "__"), comparable(f, &bytes))
        })
        .collect();
    if case.stdout {
        let json = args.windows(2).any(|w| w == ["--format", "json"]);
        let name = if json { "stdout.json" } else { "stdout.txt" };
        outputs.push((name.to_string(), comparable(name, &out.stdout)));
    }
    outputs
}

fn recorded(case: &str, file: &str) -> String {
    let path = manifest().join("tests/golden").join(case).join(file);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (record with LRFIND_BLESS=1)", path.display()))
}

/// A JSON document without its top-level `config`; other text as it is.
fn without_config(text: &str) -> String {
    match serde_json::from_str::<Value>(text) {
        Ok(mut v) => {
            if let Some(o) = v.as_object_mut() {
                o.remove("config");
            }
            serde_json::to_string_pretty(&v).unwrap()
        }
        Err(_) => text.to_string(),
    }
}

#[test]
fn outputs_equal_the_recorded_ones() {
    let bless = std::env::var_os("LRFIND_BLESS").is_some();
    let dir = tempfile::tempdir().unwrap();
    set_up(dir.path());
    let golden = manifest().join("tests/golden");
    let mut differ = Vec::new();
    for case in CASES {
        for (file, text) in outputs(case, case.args, dir.path()) {
            let path = golden.join(case.name).join(&file);
            let name = format!("{}/{file}", case.name);
            let was = std::fs::read_to_string(&path).ok();
            let changed = match &was {
                Some(was) => diff::compare(&name, was, &text, check(case)),
                None => vec![format!("{name}: not recorded")],
            };
            // Re-recording keeps a file whose new output matches it: the recorded bits stay
            // another CPU's where this one's agree within the tolerances.
            if bless && !changed.is_empty() {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, &text).unwrap();
            } else if was.is_none() {
                panic!(
                    "{}: not recorded (record with LRFIND_BLESS=1)",
                    path.display()
                );
            }
            if !bless {
                differ.extend(changed);
            }
        }
    }
    assert!(differ.is_empty(), "outputs changed:\n{}", differ.join("\n"));
}

/// The tolerances do not hide a behaviour change: a smoothing β of 0.97 instead of 0.98, one more
/// step of a range test and a training rate 0.5% higher each fail the comparison with the recorded
/// outputs of the unchanged command — on the numbers the run computed: the `config` that echoes
/// the flags is left out of both sides, and a difference in a rate alone does not count.
#[test]
fn a_small_change_of_behaviour_fails_the_comparison() {
    let dir = tempfile::tempdir().unwrap();
    set_up(dir.path());
    let changes: &[(&str, &[&str], &[&str])] = &[
        ("find", &["--beta", "0.98"], &["--beta", "0.97"]),
        (
            "find_csv_regression_sgd",
            &["--num-iter", "60"],
            &["--num-iter", "61"],
        ),
        (
            "train_cosine_fixed",
            &["--lr", "2e-3"],
            &["--lr", "2.01e-3"],
        ),
    ];
    for (name, from, to) in changes {
        let case = CASES.iter().find(|c| c.name == *name).unwrap();
        let mut args: Vec<&str> = case.args.to_vec();
        let at = (!from.is_empty())
            .then(|| args.windows(from.len()).position(|w| w == *from))
            .flatten();
        match at {
            Some(at) => {
                args.splice(at..at + from.len(), to.iter().copied());
            }
            None => args.extend_from_slice(to),
        }
        let differ: Vec<String> = outputs(case, &args, dir.path())
            .into_iter()
            .flat_map(|(file, text)| {
                let (was, now) = (
                    without_config(&recorded(name, &file)),
                    without_config(&text),
                );
                diff::compare(&file, &was, &now, check(case))
            })
            .collect();
        // Not only the rates that echo a flag: a number the run computed moved too.
        let computed: Vec<&String> = differ
            .iter()
            .filter(|d| !d.split(": ").nth(1).unwrap_or("").contains("lr"))
            .collect();
        assert!(
            !computed.is_empty(),
            "{name} with {to:?} passed as unchanged: {differ:?}"
        );
        eprintln!(
            "{name} with {to:?}: {} differences, {}",
            differ.len(),
            computed[0]
        );
    }
}
