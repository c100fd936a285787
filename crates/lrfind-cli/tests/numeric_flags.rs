//! Every numeric flag of every command, given arbitrary values — NaN, ±inf, 0, negative, huge,
//! tiny, ordinary — ends cleanly: exit 2 with a one-line message, a failure that says why
//! (exit 1: training diverged), or a result whose numbers are all finite. Never a panic (101), an
//! abort (134) or a signal. Each case is a real `lrfind` run on a small workload (digits, a
//! 200-row CSV or a 64-window text, 12-step sweeps, one epoch), so the default is 48 cases; `PROPTEST_CASES=10000` for the long run.

use assert_cmd::cargo::cargo_bin;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// Values for a float flag.
fn float() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "nan", "NaN", "inf", "-inf", "0", "-0", "-1", "1e308", "1e-308", "5e-324", "0.5",
            "0.9", "1", "2", "1e-3", "3", "10", "1e200", "-1e-9",
        ])
        .prop_map(str::to_string),
        1 => any::<f64>().prop_map(|x| x.to_string()),
    ]
}

/// Values for an integer flag (small where valid: a case trains at most a few hundred steps).
fn integer() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "nan",
        "-1",
        "0",
        "1",
        "2",
        "3",
        "7",
        "12",
        "1e3",
        "18446744073709551616",
        "0.5",
    ])
    .prop_map(str::to_string)
}

const RANGE: &[&str] = &["--start-lr", "--end-lr", "--stop-div", "--beta"];
const RULES: &[&str] = &["--slide-thresh"];
const RULE_COUNTS: &[&str] = &[
    "--skip-start",
    "--skip-end",
    "--sma-window",
    "--slide-lr-diff",
    "--lightning-skip-begin",
    "--lightning-skip-end",
];
const TASK: &[&str] = &["--momentum", "--weight-decay"];
const TASK_COUNTS: &[&str] = &["--batch-size", "--seed"];

/// A command, its fixed small-workload flags, and its numeric flags (floats, integers).
struct Cmd {
    args: &'static [&'static str],
    small: &'static [(&'static str, &'static str)],
    floats: Vec<&'static str>,
    integers: Vec<&'static str>,
}

fn commands() -> Vec<Cmd> {
    let cat = |parts: &[&[&'static str]]| parts.iter().flat_map(|p| p.iter().copied()).collect();
    let schedule =
        |args: &'static [&'static str], floats: &[&'static str], ints: &[&'static str]| Cmd {
            args,
            small: &[("--steps", "20")],
            floats: floats.to_vec(),
            integers: cat(&[ints, &["--steps"]]),
        };
    vec![
        Cmd {
            args: &["find"],
            small: &[("--num-iter", "12")],
            floats: cat(&[RANGE, RULES, TASK]),
            integers: cat(&[
                RULE_COUNTS,
                TASK_COUNTS,
                &["--num-iter", "--warmup", "--accumulate"],
            ]),
        },
        Cmd {
            args: &[
                "find",
                "--dataset",
                "csv",
                "--target",
                "y",
                "--csv",
                "TABLE",
            ],
            small: &[("--num-iter", "12")],
            floats: cat(&[RANGE, TASK, &["--val-fraction"]]),
            integers: cat(&[TASK_COUNTS, &["--num-iter"]]),
        },
        Cmd {
            args: &["find", "--dataset", "text", "--text", "TEXT"],
            small: &[("--num-iter", "12"), ("--limit", "64"), ("--seq-len", "16")],
            floats: cat(&[RANGE, TASK]),
            integers: cat(&[TASK_COUNTS, &["--num-iter", "--limit", "--seq-len"]]),
        },
        Cmd {
            args: &["train"],
            small: &[("--num-iter", "12"), ("--epochs", "1")],
            floats: cat(&[
                RANGE,
                RULES,
                TASK,
                &[
                    "--lr",
                    "--max-lr",
                    "--pct-start",
                    "--div-factor",
                    "--final-div-factor",
                ],
                &["--base-momentum", "--max-momentum"],
            ]),
            integers: cat(&[
                RULE_COUNTS,
                TASK_COUNTS,
                &[
                    "--epochs",
                    "--num-iter",
                    "--refind-every",
                    "--refind-warmup",
                    "--refine",
                ],
                &["--total-steps"],
            ]),
        },
        Cmd {
            args: &["evaluate"],
            small: &[
                ("--num-iter", "12"),
                ("--epochs", "1"),
                ("--seeds", "1"),
                ("--grid-points", "2"),
            ],
            floats: cat(&[RANGE, RULES, TASK, &["--grid-start", "--grid-end"]]),
            integers: cat(&[
                RULE_COUNTS,
                &["--epochs", "--seeds", "--grid-points", "--num-iter"],
            ]),
        },
        Cmd {
            args: &["analyze", "CURVE"],
            small: &[],
            floats: vec!["--beta", "--stop-div", "--slide-thresh"],
            integers: cat(&[RULE_COUNTS, &["--num-iter"]]),
        },
        schedule(&["schedule", "constant"], &["--lr"], &[]),
        schedule(
            &["schedule", "step"],
            &["--lr", "--gamma"],
            &["--step-size"],
        ),
        schedule(&["schedule", "exponential"], &["--lr", "--gamma"], &[]),
        schedule(
            &["schedule", "linear"],
            &["--lr", "--start-factor", "--end-factor"],
            &["--total-iters"],
        ),
        schedule(
            &["schedule", "polynomial"],
            &["--lr", "--power"],
            &["--total-iters"],
        ),
        schedule(
            &["schedule", "cosine"],
            &["--lr", "--eta-min"],
            &["--t-max"],
        ),
        schedule(
            &["schedule", "cosine-restarts"],
            &["--lr", "--eta-min"],
            &["--t0", "--t-mult"],
        ),
        schedule(
            &["schedule", "cyclic"],
            &[
                "--base-lr",
                "--max-lr",
                "--gamma",
                "--base-momentum",
                "--max-momentum",
            ],
            &["--step-size-up", "--step-size-down"],
        ),
        schedule(
            &["schedule", "one-cycle"],
            &[
                "--max-lr",
                "--pct-start",
                "--div-factor",
                "--final-div-factor",
                "--base-momentum",
                "--max-momentum",
            ],
            &["--total-steps"],
        ),
        schedule(
            &["schedule", "plateau", "--metrics", "METRICS"],
            &["--lr", "--factor", "--threshold", "--min-lr"],
            &["--patience", "--cooldown"],
        ),
    ]
}

/// Runs one case and checks how it ended.
fn run(dir: &Path, command: &Cmd, values: &BTreeMap<&str, String>) -> Result<(), String> {
    let mut args: Vec<String> = command
        .args
        .iter()
        .map(|a| match *a {
            "CURVE" => dir.join("curve.csv").display().to_string(),
            "METRICS" => dir.join("metrics.txt").display().to_string(),
            "TABLE" => dir.join("table.csv").display().to_string(),
            "TEXT" => dir.join("hamlet.txt").display().to_string(),
            a => a.to_string(),
        })
        .collect();
    for (flag, value) in command.small {
        if !values.contains_key(flag) {
            args.push(format!("{flag}={value}"));
        }
    }
    for (flag, value) in values {
        args.push(format!("{flag}={value}"));
    }
    if command.args[0] != "schedule" && command.args[0] != "analyze" {
        args.push(format!("--out={}", dir.join("out").display()));
    }
    let out = Command::new(cargo_bin("lrfind"))
        .args(&args)
        .output()
        .map_err(|e| e.to_string())?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stderr.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("");
    match out.status.code() {
        Some(0) => {
            for word in ["NaN", "inf"] {
                if stdout
                    .split(|c: char| !c.is_alphanumeric())
                    .any(|w| w == word)
                {
                    return Err(format!(
                        "{args:?}: exit 0 with {word} in its output:\n{stdout}"
                    ));
                }
            }
            Ok(())
        }
        // clap's usage errors end with a hint line; lrfind's are one line.
        Some(2) if last.starts_with("lrfind: ") || stderr.starts_with("error: ") => Ok(()),
        Some(1) if last.starts_with("lrfind: ") => Ok(()),
        code => Err(format!("{args:?}: exit {code:?}\n{stderr}")),
    }
}

#[test]
fn every_numeric_flag_ends_cleanly_on_any_value() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../lrfind/tests/data/suggest/digits_mlp_adam_s0/curve.csv"),
        dir.path().join("curve.csv"),
    )
    .unwrap();
    std::fs::write(dir.path().join("metrics.txt"), "1\n0.9\n0.95\n0.96\n0.5\n").unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/hamlet-sample.txt"),
        dir.path().join("hamlet.txt"),
    )
    .unwrap();
    let table: String = std::iter::once("a,b,y\n".to_string())
        .chain((0..200).map(|i| format!("{},{},{}\n", i % 7, i % 13, (i % 7) * 2 + i % 13)))
        .collect();
    std::fs::write(dir.path().join("table.csv"), table).unwrap();
    let commands = commands();
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(48);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let case = (0..commands.len()).prop_flat_map(|c| {
        let command = &commands[c];
        let floats = prop::collection::btree_map(
            prop::sample::select(command.floats.clone()),
            float(),
            0..3,
        );
        let integers = prop::collection::btree_map(
            prop::sample::select(command.integers.clone()),
            integer(),
            0..2,
        );
        (Just(c), floats, integers)
    });
    runner
        .run(&case, |(c, floats, integers)| {
            let mut values = floats;
            values.extend(integers);
            run(dir.path(), &commands[c], &values).map_err(TestCaseError::fail)
        })
        .unwrap();
}
