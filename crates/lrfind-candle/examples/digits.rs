//! The range test on a candle MLP (64-128-128-10, AdamW, batch 64) over the embedded digits —
//! the same rows, batch order and architecture as `lrfind find`'s default on burn. Prints the
//! curve as text, the suggestions, and writes `candle_lr_find.png`.
//!
//! Run: `cargo run --release -p lrfind-candle --example digits [PLOT.png]`

use candle_core::{Device, Tensor};
use candle_nn::{Optimizer, ParamsAdamW};
use lrfind::{analyze, RangeTestConfig, DEFAULT_METHOD};
use lrfind_candle::{AdamW, CandleBatches, CandleProbe, Mlp};
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let device = Device::Cpu;
    let (train, _) = lrfind_data::digits::split();
    let data = CandleBatches::classification(&train, 64, 0, &device)?;
    let mlp = Mlp::new(&[64, 128, 128, 10], 0, &device)?;
    // PyTorch's AdamW defaults (lr is the range test's to set).
    let optimizer = AdamW::new(mlp.vars(), ParamsAdamW::default())?;
    let loss = |(x, y): &(Tensor, Tensor)| candle_nn::loss::cross_entropy(&mlp.forward(x)?, y);

    let mut probe = CandleProbe::new(mlp.vars(), optimizer, data, loss);
    let result = lrfind::run(&mut probe, RangeTestConfig::default(), &mut ())?; // weights restored
    let analysis = analyze(&result.curve, &Default::default())?;

    let recommended = analysis.recommend(DEFAULT_METHOD);
    print!(
        "{}",
        lrfind::text_plot::render_analysis(&analysis, DEFAULT_METHOD, 64, 12)
    );
    for (method, outcome) in &analysis.suggestions {
        if let lrfind::Outcome::Point(s) = outcome {
            println!("  {:<10} {:.3e}", method.name(), s.lr);
        }
    }
    match recommended {
        Ok((method, s)) => println!("recommended: {:.3e} ({method})", s.lr),
        Err(why) => println!("no recommendation: {why}"),
    }
    let plot = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "candle_lr_find.png".into());
    let title = "LR range test: candle MLP on digits";
    lrfind_plot::plot_analysis(&analysis, 5, title, Path::new(&plot))?;
    println!(
        "{} points ({}); wrote {plot}",
        result.curve.len(),
        result.stopped
    );
    Ok(())
}
