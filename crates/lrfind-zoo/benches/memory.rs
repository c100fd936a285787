//! Peak memory of a 100-iteration range test on each reference task, against the size of what
//! it must hold: model + optimizer state (AdamW: two moments per parameter) + data.
//!
//! The same 100 training steps without the finder are measured too, so what the finder itself
//! adds (its snapshot) shows apart from what training needs (activations, gradients).
//!
//! Each run is a fresh child process (this binary, re-run with `LRFIND_MEMORY_TASK`), so
//! one task's peak does not hide another's. Linux only (reads `/proc/self/status`).
//!
//! `cargo bench -p lrfind-burn --bench memory`

use burn::prelude::*;
use lrfind::RangeTestConfig;
use lrfind_burn::optim::{OptimizerKind, OptimizerOptions};
use lrfind_zoo::data::text::Windows;
use lrfind_zoo::data::{digits, Batches, Classification};
use lrfind_zoo::model::{seeded, CharLm, CharLmShape, Cnn, Mlp};
use lrfind_zoo::task::{Classify, NextChar, Task};

const TASKS: [&str; 3] = ["digits_mlp", "cnn_28x28", "charlm"];

/// A field of `/proc/self/status` in bytes (`VmRSS`, `VmHWM`).
fn status_bytes(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Runs 100 steps with the finder (`finder`) or without, and prints what it measured as
/// `params state data set_up peak` in bytes.
fn measure<M, T>(
    finder: bool,
    base: u64,
    model: M,
    task: T,
    data: Batches<T::Batch>,
    data_bytes: u64,
) where
    M: Module + Clone,
    T: Task<M>,
{
    let params = model.num_params() as u64 * 4;
    let state = params * 2;
    let optimizer = OptimizerKind::AdamW.build(OptimizerOptions::default());
    let mut probe = lrfind_zoo::task::probe(model, optimizer, data, task);
    let set_up = status_bytes("VmRSS");
    // Reset the high-water mark to the current RSS, so VmHWM is the peak of the test alone.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    if finder {
        let config = RangeTestConfig {
            num_iter: 100,
            end_lr: 1e-2,
            stop_div: None,
            ..Default::default()
        };
        lrfind::run(&mut probe, config, &mut ()).expect("range test");
    } else {
        for _ in 0..100 {
            lrfind::Probe::step(&mut probe, 1e-4).expect("training step");
        }
    }
    let peak = status_bytes("VmHWM").max(set_up);
    println!(
        "{params} {state} {data_bytes} {} {}",
        set_up.saturating_sub(base),
        peak.saturating_sub(base)
    );
}

fn run_task(name: &str, finder: bool) {
    let base = status_bytes("VmRSS");
    let device = Device::flex().autodiff();
    match name {
        "digits_mlp" => {
            let (train, _) = digits::split();
            let bytes = train.len() as u64 * (64 * 4 + 8);
            let model = seeded(0, &device, |d| Mlp::new(&[64, 128, 128, 10], d));
            let data = lrfind_zoo::data::training(&train, 64, 0, &device);
            measure(finder, base, model, Classify::new(&device), data, bytes);
        }
        "cnn_28x28" => {
            let n = 10_000;
            let images = Classification {
                features: (0..n * 784).map(|i| (i % 251) as f32 / 251.0).collect(),
                labels: (0..n).map(|i| (i % 10) as i64).collect(),
                dim: 784,
                classes: 10,
            };
            let bytes = n as u64 * (784 * 4 + 8);
            let model = seeded(0, &device, |d| Cnn::new(10, d));
            let data = lrfind_zoo::data::training(&images, 64, 0, &device);
            drop(images);
            measure(finder, base, model, Classify::new(&device), data, bytes);
        }
        _ => {
            let tokens: Vec<i64> = (0..640_000i64).map(|i| i * 7919 % 65).collect();
            // Batches hold inputs and targets: two copies of the windows.
            let bytes = tokens.len() as u64 * 8 * 2;
            let model = seeded(0, &device, |d| CharLm::new(CharLmShape::reference(65), d));
            let windows = Windows::new(&tokens, 64, usize::MAX);
            let data = lrfind_zoo::data::training(&windows, 32, 0, &device);
            measure(finder, base, model, NextChar::new(&device), data, bytes);
        }
    }
}

/// Runs one child and parses its line of numbers.
fn child(task: &str, mode: &str) -> Vec<u64> {
    let exe = std::env::current_exe().expect("own path");
    let out = std::process::Command::new(exe)
        .env("LRFIND_MEMORY_TASK", format!("{task}:{mode}"))
        .output()
        .expect("child run");
    assert!(out.status.success(), "{task} {mode} failed");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(|v| v.parse().expect("a number"))
        .collect()
}

fn main() {
    if let Ok(spec) = std::env::var("LRFIND_MEMORY_TASK") {
        // As the lrfind command does: freed tensors stay in the process between steps.
        lrfind_burn::allocator::keep_freed_memory();
        let (task, mode) = spec.split_once(':').unwrap_or((&spec, "finder"));
        return run_task(task, mode == "finder");
    }
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    println!("| task | model MiB | AdamW state MiB | data MiB | after set-up MiB | peak, bare loop MiB | peak, range test MiB | range test / (2.5 × (model + state) + data) |");
    println!("|---|---|---|---|---|---|---|---|");
    for task in TASKS {
        let bare = child(task, "bare");
        let with = child(task, "finder");
        let [params, state, data, set_up, peak] = with[..] else {
            panic!("unexpected child output {with:?}")
        };
        let budget = 2.5 * (params + state) as f64 + data as f64;
        println!(
            "| {task} | {:.2} | {:.2} | {:.2} | {:.1} | {:.1} | {:.1} | {:.2} |",
            mib(params),
            mib(state),
            mib(data),
            mib(set_up),
            mib(bare[4]),
            mib(peak),
            peak as f64 / budget,
        );
    }
}
