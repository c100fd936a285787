//! Bring your own burn model, optimizer and batches; get the suggestions and the plot.
//!
//! Run: `cargo run --release -p lrfind-burn --example custom_model`

use burn::nn::loss::MseLoss;
use burn::nn::{Linear, LinearConfig};
use burn::optim::AdamWConfig;
use burn::prelude::*;
use lrfind::{analyze, Method, RangeTestConfig};
use lrfind_burn::{BatchSource, BurnProbe};
use std::convert::Infallible;

/// Your model: here, linear regression.
#[derive(Module, Debug)]
struct Regressor {
    linear: Linear,
}

/// Your data: any type that hands out batches forever (cycling is yours to decide).
#[derive(Clone)]
struct Batches {
    x: Tensor<2>,
    y: Tensor<2>,
}

impl BatchSource for Batches {
    type Batch = (Tensor<2>, Tensor<2>);
    type Error = Infallible;
    fn next_batch(&mut self) -> Result<Self::Batch, Infallible> {
        Ok((self.x.clone(), self.y.clone()))
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let device = Device::flex().autodiff();
    let x = Tensor::<2>::random(
        [64, 8],
        burn::tensor::Distribution::Normal(0.0, 1.0),
        &device,
    );
    let y = x.clone().sum_dim(1) * 0.5 + 1.0;
    let model = Regressor {
        linear: LinearConfig::new(8, 1).init(&device),
    };

    // The ~15 lines a user writes: a probe over model + optimizer + data + loss, then run.
    let loss = |m: &Regressor, (x, y): &(Tensor<2>, Tensor<2>)| {
        MseLoss::new().forward(
            m.linear.forward(x.clone()),
            y.clone(),
            burn::nn::loss::Reduction::Mean,
        )
    };
    let mut probe = BurnProbe::new(model, AdamWConfig::new().init(), Batches { x, y }, loss);
    let result = lrfind::run(&mut probe, RangeTestConfig::default(), &mut ())?;
    let analysis = analyze(&result.curve, &Default::default())?;
    println!(
        "stopped: {} after {} steps",
        result.stopped,
        result.curve.len()
    );
    if let Some(s) = analysis.suggestion(Method::Valley) {
        println!("valley suggests lr = {:.3e}", s.lr);
    }
    lrfind_plot::plot_analysis(
        &analysis,
        5,
        "custom model",
        std::path::Path::new("custom_lr_find.png"),
    )?;
    println!("plot: custom_lr_find.png (the model in `probe` is back where it started)");
    Ok(())
}
