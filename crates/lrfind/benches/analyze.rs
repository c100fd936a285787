//! `analyze` with every rule on a 1,000,000-point curve (the bar: well under a second).

use criterion::{criterion_group, criterion_main, Criterion};
use lrfind::{analyze, AnalyzeOptions, Curve};
use std::hint::black_box;

fn big_curve(n: usize) -> Curve {
    let lr: Vec<f64> = (0..n)
        .map(|i| 1e-7 * (1e8f64).powf(i as f64 / (n - 1) as f64))
        .collect();
    let mut state = 1u64;
    let loss = lr
        .iter()
        .map(|l: &f64| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let noise = (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
            (l.log10() + 2.0).powi(2) * 0.05 + 0.5 + 0.01 * noise
        })
        .collect();
    Curve {
        lr,
        loss,
        raw_loss: None,
    }
}

fn bench(c: &mut Criterion) {
    let curve = big_curve(1_000_000);
    let options = AnalyzeOptions::default();
    let mut group = c.benchmark_group("analyze");
    group.sample_size(10);
    group.bench_function("all_methods_1m_points", |b| {
        b.iter(|| analyze(black_box(&curve), &options).unwrap())
    });
    group.bench_function("parse_csv_1m_points", |b| {
        let mut text = Vec::new();
        curve.write_csv(&mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        b.iter(|| Curve::parse(black_box(&text)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
